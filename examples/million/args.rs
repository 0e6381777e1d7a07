//! Command-line flags, parsed with std only.

use std::time::Duration;

/// Tasks scheduled when `--tasks` is not given.
pub const DEFAULT_TASKS: usize = 1_000_000;
/// Seconds each task waits when `--delay` is not given.
pub const DEFAULT_DELAY_SECS: f64 = 10.0;
const MAX_DELAY_SECS: f64 = 1e9;

/// One experiment. Each mode lives in its own module and prints its own
/// table; add a variant here, a line to `ALL`, and an arm in `main`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Schedule N closures D seconds out and watch threads, memory, rate,
    /// lateness and the final count (the Go package's experiment).
    Schedule,
}

impl Mode {
    /// Every mode, in the order `--help` lists them; the first is the default.
    pub const ALL: &'static [Mode] = &[Mode::Schedule];

    pub fn name(self) -> &'static str {
        match self {
            Mode::Schedule => "schedule",
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
        }
    }

    fn parse(name: &str) -> Option<Mode> {
        Mode::ALL.iter().copied().find(|mode| mode.name() == name)
    }
}

/// What to run.
#[derive(Clone, Debug)]
pub struct Config {
    pub mode: Mode,
    pub tasks: usize,
    pub delay: Duration,
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

Schedules many closures on one schedgroup::Group, each capturing one Arc
and incrementing a shared atomic counter, and reports what it cost.

Options:
    --tasks N        tasks to schedule (default {DEFAULT_TASKS}; `_` separators ok)
    --delay SECS     delay of each task, seconds, fractions ok (default {DEFAULT_DELAY_SECS})
    --mode MODE      experiment to run (default {default_mode})
    -h, --help       print this help and exit

Modes:
{modes}
Exit status: 0 on success, 1 if the experiment failed (e.g. the final count
is not N), 2 on a bad command line.",
        default_mode = Mode::ALL[0].name(),
    )
}

/// Parses the arguments after the program name. Accepts `--flag value` and
/// `--flag=value`; a repeated flag takes its last value.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Parsed, UsageError> {
    let mut config = Config {
        mode: Mode::ALL[0],
        tasks: DEFAULT_TASKS,
        delay: Duration::from_secs_f64(DEFAULT_DELAY_SECS),
    };
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
            "--tasks" => config.tasks = parse_tasks(&value("a count, e.g. 1000000")?)?,
            "--delay" => config.delay = parse_delay(&value("seconds, e.g. 10 or 0.5")?)?,
            "--mode" => {
                let name = value("a mode name")?;
                config.mode = Mode::parse(&name).ok_or_else(|| {
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
    Ok(Parsed::Run(config))
}

fn parse_tasks(text: &str) -> Result<usize, UsageError> {
    let digits: String = text.chars().filter(|&c| c != '_').collect();
    digits.parse::<usize>().map_err(|_| {
        UsageError(format!(
            "--tasks: `{text}` is not a whole number between 0 and {}",
            usize::MAX
        ))
    })
}

fn parse_delay(text: &str) -> Result<Duration, UsageError> {
    let bad = |why: &str| UsageError(format!("--delay: `{text}` {why}"));
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
