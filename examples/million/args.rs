//! Command-line flags, parsed with std only.

use std::time::Duration;

pub use crate::mode::{Mode, DEFAULT_DELAY_SECS, DEFAULT_TASKS};

/// `--mode idle`: seconds to watch when `--observe` is not given.
pub const DEFAULT_OBSERVE_SECS: f64 = 10.0;
/// `--mode scale`: the largest pending count when `--max-pending` is not given.
pub const DEFAULT_MAX_PENDING: usize = 10_000_000;
const MAX_DELAY_SECS: f64 = 1e9;
/// The coarsest `--tick` accepted (schedgroup takes longer ones as an hour).
const MAX_TICK: Duration = Duration::from_secs(3600);

/// Which scheduler (or queue) a measurement runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// `schedgroup::Group`.
    Wheel,
    /// The Go package's design, `schedgroup_bench::go_heap`.
    Heap,
    /// scheduled-thread-pool, `schedgroup_bench::scheduled_pool`.
    Pool,
    /// `schedgroup::Queue<u64>`.
    Queue,
    /// tokio-util's `DelayQueue<u64>`.
    DelayQueue,
}

impl Side {
    const ALL: [Side; 5] = [
        Side::Wheel,
        Side::Heap,
        Side::Pool,
        Side::Queue,
        Side::DelayQueue,
    ];

    /// Its value of the hidden `--child` flag.
    pub fn flag(self) -> &'static str {
        match self {
            Side::Wheel => "wheel",
            Side::Heap => "heap",
            Side::Pool => "pool",
            Side::Queue => "queue",
            Side::DelayQueue => "delayqueue",
        }
    }

    /// The sides a mode measures: its own first, then those `--compare`
    /// adds, each in a child process.
    pub fn of(mode: Mode) -> &'static [Side] {
        match mode {
            Mode::Schedule => &[Side::Wheel],
            Mode::Burst | Mode::Idle | Mode::Scale => &[Side::Wheel, Side::Heap],
            Mode::Lateness => &[Side::Wheel, Side::Heap, Side::Pool],
            Mode::Queue => &[Side::Queue, Side::DelayQueue],
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
    /// schedgroup's `Builder::tick` (and `QueueBuilder::tick`); `None`: its
    /// default.
    pub tick: Option<Duration>,
    /// schedgroup's `Builder::timer_slack` (and `QueueBuilder::timer_slack`);
    /// `None`: its default.
    pub timer_slack: Option<Duration>,
    /// Run the peers too (see [`Side::of`]) and print them beside.
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
Usage: cargo run --release --example million -- [OPTIONS]

Schedules many closures on one schedgroup::Group (or values on one
schedgroup::Queue: --mode queue), each closure capturing one Arc and
incrementing a shared atomic counter, and reports what it cost.

Options:
    --tasks N         tasks (values) to schedule (default {DEFAULT_TASKS}, lateness
                      100000; `_` separators ok; not for scale, see --max-pending)
    --delay SECS      seconds, fractions ok; per mode: schedule: each task's delay
                      (default {DEFAULT_DELAY_SECS}); burst: the one deadline, counted from the
                      start of scheduling (default 1); lateness: the span the
                      deadlines are spread over, starting 0.25 s in, or 1 µs
                      per task if that is later (default 2); idle, scale,
                      queue: how far out the tasks are (default 3600)
    --observe SECS    idle, queue: how long to watch (default {DEFAULT_OBSERVE_SECS})
    --max-pending N   scale: the largest pending count (default {DEFAULT_MAX_PENDING});
                      levels are 1k, 100k, 1M, 10M up to it, plus N itself
    --tick DURATION   schedgroup's wheel resolution (Builder::tick,
                      QueueBuilder::tick), with a unit: 100us, 0.5ms, 1ms
                      (default: schedgroup's own, 1 ms); with lateness
                      --compare, schedgroup also runs at its default tick,
                      to show what the finer one changes
    --timer-slack DURATION
                      how late the OS may wake schedgroup's threads for a
                      deadline (Builder::timer_slack, QueueBuilder::timer_slack;
                      default: schedgroup's own, 20us); larger saves CPU
                      when deadlines are close together, smaller starts
                      tasks sooner
    --compare         also run the peers, each right after schedgroup in a
                      child process of this binary, and print them beside:
                      burst, idle, scale: the Go package's design
                      (bench/src/go_heap.rs: Mutex<BinaryHeap> + Condvar,
                      fixed worker pool); lateness: that and
                      scheduled-thread-pool (a BinaryHeap + Condvar whose
                      workers sleep until each job's exact Instant);
                      queue: tokio-util's DelayQueue
    --mode MODE       experiment to run (default {default_mode})
    -h, --help        print this help and exit

Modes:
{modes}
Each mode reports its figures against the crate's goals for them (met or
missed); a missed goal never changes the exit status. Timing modes (burst,
lateness, idle, queue) are sensitive to other load on the machine: run
them several times.

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
    let mut tick = None;
    let mut timer_slack = None;
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
            "--tick" => {
                tick = Some(parse_duration(
                    "--tick",
                    &value("a duration, e.g. 100us or 1ms")?,
                )?)
            }
            "--timer-slack" => {
                timer_slack = Some(parse_duration(
                    "--timer-slack",
                    &value("a duration, e.g. 50us")?,
                )?)
            }
            "--child" => {
                let name = value("a side, e.g. heap")?;
                child = Some(
                    Side::ALL
                        .into_iter()
                        .find(|side| side.flag() == name)
                        .ok_or_else(|| UsageError(format!("--child: unknown side `{name}`")))?,
                )
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
    let measured = [
        Mode::Burst,
        Mode::Lateness,
        Mode::Idle,
        Mode::Scale,
        Mode::Queue,
    ];
    only(compare, "--compare", &measured)?;
    only(child.is_some(), "--child", &measured)?;
    if let Some(side) = child.filter(|side| !Side::of(mode).contains(side)) {
        return Err(UsageError(format!(
            "--child {} does not apply to --mode {}",
            side.flag(),
            mode.name()
        )));
    }
    only(observe.is_some(), "--observe", &[Mode::Idle, Mode::Queue])?;
    only(max_pending.is_some(), "--max-pending", &[Mode::Scale])?;
    let counted = [
        Mode::Schedule,
        Mode::Burst,
        Mode::Lateness,
        Mode::Idle,
        Mode::Queue,
    ];
    only(tasks.is_some(), "--tasks", &counted)?;
    Ok(Parsed::Run(Config {
        mode,
        tasks: tasks.unwrap_or(mode.default_tasks()),
        delay: delay.unwrap_or(Duration::from_secs_f64(mode.default_delay_secs())),
        observe: observe.unwrap_or(Duration::from_secs_f64(DEFAULT_OBSERVE_SECS)),
        max_pending: max_pending.unwrap_or(DEFAULT_MAX_PENDING),
        tick,
        timer_slack,
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
        if matches!(self.mode, Mode::Idle | Mode::Queue) {
            args.push("--observe".into());
            args.push(format!("{:?}", self.observe.as_secs_f64()));
        }
        if let Some(tick) = self.tick {
            args.push("--tick".into());
            args.push(format!("{}ns", tick.as_nanos()));
        }
        if let Some(slack) = self.timer_slack {
            args.push("--timer-slack".into());
            args.push(format!("{}ns", slack.as_nanos()));
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

/// `--tick` or `--timer-slack`: a duration with a unit: `ns`, `us` (or
/// `µs`), `ms` or `s`, fractions ok; more than 0 and at most [`MAX_TICK`].
fn parse_duration(flag: &str, text: &str) -> Result<Duration, UsageError> {
    let bad = |why: &str| UsageError(format!("{flag}: `{text}` {why}"));
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| bad("needs a unit: ns, us, ms or s (e.g. 100us)"))?;
    let (number, unit) = trimmed.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| bad("does not start with a number"))?;
    let per_unit = match unit.trim() {
        "ns" => 1e-9,
        "us" | "µs" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        _ => return Err(bad("has an unknown unit (known: ns, us, ms, s)")),
    };
    let secs = number * per_unit;
    if !secs.is_finite() || secs > MAX_TICK.as_secs_f64() {
        return Err(bad("is too long (at most 1 hour)"));
    }
    let parsed = Duration::from_secs_f64(secs);
    if parsed.is_zero() {
        return Err(bad("must be at least 1 ns"));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_args(line: &str) -> Result<Config, String> {
        match parse(line.split_whitespace().map(String::from)) {
            Ok(Parsed::Run(config)) => Ok(config),
            Ok(Parsed::Help) => Err("help".into()),
            Err(UsageError(message)) => Err(message),
        }
    }

    #[test]
    fn tick_takes_a_unit_and_refuses_nonsense() {
        assert_eq!(
            parse_duration("--tick", "100us").ok(),
            Some(Duration::from_micros(100))
        );
        assert_eq!(
            parse_duration("--tick", "100µs").ok(),
            Some(Duration::from_micros(100))
        );
        assert_eq!(
            parse_duration("--tick", "0.5ms").ok(),
            Some(Duration::from_micros(500))
        );
        assert_eq!(
            parse_duration("--tick", "2s").ok(),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            parse_duration("--tick", "250ns").ok(),
            Some(Duration::from_nanos(250))
        );
        for bad in ["100", "0ms", "1 fortnight", "ms", "7200s", "1e400s", "-1ms"] {
            assert!(parse_duration("--tick", bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn a_child_gets_the_tick_and_only_its_modes_sides() {
        let config = parse_args("--mode lateness --tick 100us --compare").unwrap();
        assert_eq!(config.tick, Some(Duration::from_micros(100)));
        assert_eq!(config.timer_slack, None);
        let args = config.child_args(Side::Pool, None).join(" ");
        assert!(args.contains("--child pool"), "{args}");
        assert!(args.contains("--tick 100000ns"), "{args}");
        let child = parse_args(&args).unwrap();
        assert_eq!((child.child, child.tick), (Some(Side::Pool), config.tick));
        assert!(parse_args("--mode burst --child pool").is_err());
        assert!(parse_args("--mode queue --child delayqueue").is_ok());
        assert!(parse_args("--mode queue --child heap").is_err());
        assert!(parse_args("--mode schedule --observe 1").is_err());
        assert!(parse_args("--mode queue --observe 1 --tasks 10").is_ok());
    }

    #[test]
    fn a_child_gets_the_timer_slack() {
        let config = parse_args("--mode lateness --timer-slack 50us --compare").unwrap();
        assert_eq!(config.timer_slack, Some(Duration::from_micros(50)));
        let args = config.child_args(Side::Wheel, None).join(" ");
        assert!(args.contains("--timer-slack 50000ns"), "{args}");
        assert_eq!(parse_args(&args).unwrap().timer_slack, config.timer_slack);
        assert!(parse_args("--timer-slack 0us").is_err());
        assert!(parse_args("--timer-slack 50").is_err());
    }
}
