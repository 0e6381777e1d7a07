//! The experiments `--mode` picks from, what `--help` says of each, and
//! their defaults.

/// Tasks scheduled when `--tasks` is not given (modes may differ, see
/// [`Mode::default_tasks`]).
pub const DEFAULT_TASKS: usize = 1_000_000;
/// Seconds each task waits when `--delay` is not given (modes may differ,
/// see [`Mode::default_delay_secs`]).
pub const DEFAULT_DELAY_SECS: f64 = 10.0;

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
    /// `Queue<u64>`: memory per pending value, idle wake-ups, and N values
    /// received after ONE deadline.
    Queue,
}

impl Mode {
    /// Every mode, in the order `--help` lists them; the first is the default.
    pub const ALL: &'static [Mode] = &[
        Mode::Schedule,
        Mode::Burst,
        Mode::Lateness,
        Mode::Idle,
        Mode::Scale,
        Mode::Queue,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Mode::Schedule => "schedule",
            Mode::Burst => "burst",
            Mode::Lateness => "lateness",
            Mode::Idle => "idle",
            Mode::Scale => "scale",
            Mode::Queue => "queue",
        }
    }

    /// `--help` text, one entry per line.
    pub fn about(self) -> &'static [&'static str] {
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
                "p50/p99/p999/max, early starts (must be 0), the CPU time of the",
                "scheduler's threads and Group::stats() (goals: p99 <= 1.2 ms,",
                "max <= 3 ms, zero early; beside scheduled-thread-pool: p50 and",
                "p99 <= 2x its own, max no worse; CPU <= 1/3 of the Go design's)",
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
            Mode::Queue => &[
                "insert N u64 values (default 1M) into a schedgroup::Queue D seconds",
                "out (default 3600); report the memory per pending value (RSS and",
                "heap bytes), the queue driver's wake-ups over --observe seconds,",
                "then N values due at ONE instant received by one thread: the time",
                "from the deadline to the last (goals: <= 32 B per value beyond",
                "the value itself, 0 wake-ups, 1M received in <= 100 ms);",
                "--compare runs tokio-util's DelayQueue<u64> the same way",
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
            Mode::Idle | Mode::Scale | Mode::Queue => 3600.0,
        }
    }

    pub fn parse(name: &str) -> Option<Mode> {
        Mode::ALL.iter().copied().find(|mode| mode.name() == name)
    }
}
