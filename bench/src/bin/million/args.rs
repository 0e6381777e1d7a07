//! Command-line flags, parsed with std only.

use std::time::Duration;

/// Tasks scheduled when `--tasks` is not given (modes may differ, see
/// [`Mode::default_tasks`]).
pub const DEFAULT_TASKS: usize = 1_000_000;
/// Seconds each task waits when `--delay` is not given (modes may differ,
/// see [`Mode::default_delay_secs`]).
pub const DEFAULT_DELAY_SECS: f64 = 10.0;
/// `--mode idle`: seconds to watch when `--observe` is not given.
pub const DEFAULT_OBSERVE_SECS: f64 = 10.0;
/// `--mode scale`: the largest pending count when `--max-pending` is not given.
pub const DEFAULT_MAX_PENDING: usize = 10_000_000;
const MAX_DELAY_SECS: f64 = 1e9;

/// One experiment. Each mode lives in its own module and prints its own
/// table; add a variant here, a line to `ALL`, and an arm in `main`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Schedule N closures D seconds out and watch threads, memory, rate,
    /// lateness and the final count (the Go package's experiment).
    Schedule,
    /// N closures with one deadline: how soon after it are all done?
    Burst,
    /// N closures spread over D seconds: how late does each start?
    Lateness,
    /// N closures an hour out: what does the process cost while it waits?
    Idle,
    /// Memory and delay+cancel cost at growing pending counts.
    Scale,
}

impl Mode {
    /// Every mode, in the order `--help` lists them; the first is the default.
    pub const ALL: &'static [Mode] = &[
        Mode::Schedule,
        Mode::Burst,
        Mode::Lateness,
        Mode::Idle,
        Mode::Scale,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Mode::Schedule => "schedule",
            Mode::Burst => "burst",
            Mode::Lateness => "lateness",
            Mode::Idle => "idle",
            Mode::Scale => "scale",
        }
    }

    /// `--help` text, one entry per line.
    fn about(self) -> &'static [&'static str] {
        match self {
            Mode::Schedule => &[
                "schedule N tasks D seconds out; report threads and memory while",
                "they are pending, the cost of a delay() call, the time from the",
                "deadline to the last task done, and the final count (must be N)",
            ],
            Mode::Burst => &[
                "schedule N tasks (default 1M) for ONE deadline D seconds after the",
                "start (default 1); report the time from the deadline to the last",
                "task done and tasks/s (goal: <= 100 ms, >= 10 M tasks/s)",
            ],
            Mode::Lateness => &[
                "schedule N tasks (default 100k) spread evenly over D seconds",
                "(default 2), each recording how late it started; report exact",
                "p50/p99/p999/max, early starts (must be 0) and Group::stats()",
                "(goal: p99 <= 1.2 ms, max <= 3 ms, zero early)",
            ],
            Mode::Idle => &[
                "schedule N tasks (default 1M) D seconds out (default 3600), then",
                "watch for --observe seconds: the driver thread's wake-ups and the",
                "process's CPU time (goal: <= 2 wake-ups, <= 20 ms CPU)",
            ],
            Mode::Scale => &[
                "fill 1k, 100k, 1M, 10M pending (up to --max-pending) D seconds out",
                "(default 3600, spread over [D, 2D)), each level in a fresh child",
                "process; report RSS growth per timer and the cost of a delay+cancel",
                "pair at that level (goals: <= 40 B/timer at 1M; flat",
                "max/min <= 1.5x, 10M pending in <= 400 MB RSS)",
            ],
        }
    }

    /// `--tasks` when not given.
    pub fn default_tasks(self) -> usize {
        match self {
            Mode::Lateness => 100_000,
            _ => DEFAULT_TASKS,
        }
    }

    /// `--delay` when not given, seconds.
    pub fn default_delay_secs(self) -> f64 {
        match self {
            Mode::Schedule => DEFAULT_DELAY_SECS,
            Mode::Burst => 1.0,
            Mode::Lateness => 2.0,
            Mode::Idle | Mode::Scale => 3600.0,
        }
    }

    fn parse(name: &str) -> Option<Mode> {
        Mode::ALL.iter().copied().find(|mode| mode.name() == name)
    }
}

/// Which scheduler a measurement runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// `schedgroup::Group`.
    Wheel,
    /// The Go package's design, `schedgroup_bench::go_heap`.
    Heap,
}

impl Side {
    pub fn flag(self) -> &'static str {
        match self {
            Side::Wheel => "wheel",
            Side::Heap => "heap",
        }
    }
}

/// What to run.
#[derive(Clone, Debug)]
pub struct Config {
    pub mode: Mode,
    pub tasks: usize,
    pub delay: Duration,
    /// `--mode idle`: how long to watch.
    pub observe: Duration,
    /// `--mode scale`: the largest pending count.
    pub max_pending: usize,
    /// Run the heap peer too and print it beside.
    pub compare: bool,
    /// Hidden: this process is a child started by `--compare` (or by
    /// `--mode scale`); measure this side only and print machine-readable
    /// figures (see `figures.rs`).
    pub child: Option<Side>,
}

/// The outcome of parsing: a run, or a request for the usage text.
pub enum Parsed {
    Run(Config),
    Help,
}

/// A bad command line; `main` prints it with the usage and exits with 2.
pub struct UsageError(pub String);

pub fn usage() -> String {
    let mut modes = String::new();
    for (i, mode) in Mode::ALL.iter().enumerate() {
        let default = if i == 0 { " (default)" } else { "" };
        modes.push_str(&format!("    {}{default}\n", mode.name()));
        for line in mode.about() {
            modes.push_str(&format!("        {line}\n"));
        }
    }
    format!(
        "\
Usage: cargo run --release -p schedgroup-bench --bin million -- [OPTIONS]

Schedules many closures on one schedgroup::Group, each capturing one Arc
and incrementing a shared atomic counter, and reports what it cost.

Options:
    --tasks N         tasks to schedule (default {DEFAULT_TASKS}, lateness 100000;
                      `_` separators ok; not for scale, see --max-pending)
    --delay SECS      seconds, fractions ok; per mode: schedule: each task's delay
                      (default {DEFAULT_DELAY_SECS}); burst: the one deadline, counted from the
                      start of scheduling (default 1); lateness: the span the
                      deadlines are spread over, starting 0.25 s in (default 2);
                      idle, scale: how far out the tasks are (default 3600)
    --observe SECS    idle: how long to watch (default {DEFAULT_OBSERVE_SECS})
    --max-pending N   scale: the largest pending count (default {DEFAULT_MAX_PENDING});
                      levels are 1k, 100k, 1M, 10M up to it, plus N itself
    --compare         burst, lateness, idle, scale: also run the Go package's
                      design (bench/src/go_heap.rs: Mutex<BinaryHeap> +
                      Condvar, fixed worker pool) right after, in a child
                      process of this binary, and print it beside
    --mode MODE       experiment to run (default {default_mode})
    -h, --help        print this help and exit

Modes:
{modes}
Each mode reports its figures against the crate's goals for them (met or
missed); a missed goal never changes the exit status. Timing modes (burst,
lateness, idle) are sensitive to other load on the machine: run them
several times.

Exit status: 0 on success, 1 if the experiment failed (e.g. the final count
is not N, or a task started early), 2 on a bad command line.",
        default_mode = Mode::ALL[0].name(),
    )
}

/// Parses the arguments after the program name. Accepts `--flag value` and
/// `--flag=value`; a repeated flag takes its last value.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Parsed, UsageError> {
    let mut mode = Mode::ALL[0];
    let mut tasks = None;
    let mut delay = None;
    let mut observe = None;
    let mut max_pending = None;
    let mut compare = false;
    let mut child = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag.to_string(), Some(value)),
            _ => (arg.clone(), None),
        };
        let mut value = |what: &str| -> Result<String, UsageError> {
            match inline {
                Some(v) => Ok(v.to_string()),
                None => args
                    .next()
                    .ok_or_else(|| UsageError(format!("{flag} needs a value ({what})"))),
            }
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Parsed::Help),
            "--tasks" => tasks = Some(parse_count("--tasks", &value("a count, e.g. 1000000")?)?),
            "--delay" => delay = Some(parse_secs("--delay", &value("seconds, e.g. 10 or 0.5")?)?),
            "--observe" => observe = Some(parse_secs("--observe", &value("seconds, e.g. 10")?)?),
            "--max-pending" => {
                max_pending = Some(parse_count(
                    "--max-pending",
                    &value("a count, e.g. 10000000")?,
                )?)
            }
            "--compare" => match inline {
                None => compare = true,
                Some(_) => return Err(UsageError("--compare takes no value".into())),
            },
            "--child" => {
                child = Some(match value("wheel or heap")?.as_str() {
                    "wheel" => Side::Wheel,
                    "heap" => Side::Heap,
                    other => return Err(UsageError(format!("--child: unknown side `{other}`"))),
                })
            }
            "--mode" => {
                let name = value("a mode name")?;
                mode = Mode::parse(&name).ok_or_else(|| {
                    let known: Vec<_> = Mode::ALL.iter().map(|m| m.name()).collect();
                    UsageError(format!(
                        "unknown mode `{name}` (known: {})",
                        known.join(", ")
                    ))
                })?;
            }
            _ if flag.starts_with('-') => {
                return Err(UsageError(format!("unknown option `{flag}`")))
            }
            _ => return Err(UsageError(format!("unexpected argument `{arg}`"))),
        }
    }
    let only = |given: bool, flag: &str, modes: &[Mode]| -> Result<(), UsageError> {
        if given && !modes.contains(&mode) {
            let names: Vec<_> = modes.iter().map(|m| m.name()).collect();
            return Err(UsageError(format!(
                "{flag} does not apply to --mode {} (only to {})",
                mode.name(),
                names.join(", ")
            )));
        }
        Ok(())
    };
    let measured = [Mode::Burst, Mode::Lateness, Mode::Idle, Mode::Scale];
    only(compare, "--compare", &measured)?;
    only(child.is_some(), "--child", &measured)?;
    only(observe.is_some(), "--observe", &[Mode::Idle])?;
    only(max_pending.is_some(), "--max-pending", &[Mode::Scale])?;
    let counted = [Mode::Schedule, Mode::Burst, Mode::Lateness, Mode::Idle];
    only(tasks.is_some(), "--tasks", &counted)?;
    Ok(Parsed::Run(Config {
        mode,
        tasks: tasks.unwrap_or(mode.default_tasks()),
        delay: delay.unwrap_or(Duration::from_secs_f64(mode.default_delay_secs())),
        observe: observe.unwrap_or(Duration::from_secs_f64(DEFAULT_OBSERVE_SECS)),
        max_pending: max_pending.unwrap_or(DEFAULT_MAX_PENDING),
        compare,
        child,
    }))
}

impl Config {
    /// The command line of a child that measures `side` alone, with this
    /// configuration (`max_pending` replaced by `level` for scale).
    pub fn child_args(&self, side: Side, level: Option<usize>) -> Vec<String> {
        let mut args = vec![
            "--mode".to_string(),
            self.mode.name().to_string(),
            "--child".to_string(),
            side.flag().to_string(),
            "--delay".to_string(),
            // Exact to the nanosecond: `{:?}` of an f64 round-trips.
            format!("{:?}", self.delay.as_secs_f64()),
        ];
        match self.mode {
            Mode::Scale => {
                args.push("--max-pending".into());
                args.push(level.unwrap_or(self.max_pending).to_string());
            }
            _ => {
                args.push("--tasks".into());
                args.push(self.tasks.to_string());
            }
        }
        if self.mode == Mode::Idle {
            args.push("--observe".into());
            args.push(format!("{:?}", self.observe.as_secs_f64()));
        }
        args
    }
}

fn parse_count(flag: &str, text: &str) -> Result<usize, UsageError> {
    let digits: String = text.chars().filter(|&c| c != '_').collect();
    digits.parse::<usize>().map_err(|_| {
        UsageError(format!(
            "{flag}: `{text}` is not a whole number between 0 and {}",
            usize::MAX
        ))
    })
}

fn parse_secs(flag: &str, text: &str) -> Result<Duration, UsageError> {
    let bad = |why: &str| UsageError(format!("{flag}: `{text}` {why}"));
    let secs: f64 = text
        .trim()
        .parse()
        .map_err(|_| bad("is not a number of seconds"))?;
    if !secs.is_finite() || secs < 0.0 {
        return Err(bad("must be a finite number of seconds, 0 or more"));
    }
    // Deadlines are `now + delay` in this program; keep that far from overflow.
    if secs > MAX_DELAY_SECS {
        return Err(bad("is too large (at most 1e9 seconds)"));
    }
    Ok(Duration::from_secs_f64(secs))
}
