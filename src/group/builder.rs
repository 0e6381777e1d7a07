//! `Builder`: how a group is configured and started.

use std::time::{Duration, Instant};

use super::shared::{Config, Shared};
use super::{Group, ManualClock};
use crate::clock::Clock;
use crate::driver::DEFAULT_TIMER_SLACK;

/// Configures a [`Group`]. Obtain one with [`Group::builder`].
///
/// ```
/// use std::time::{Duration, Instant};
/// let group = schedgroup::Group::builder()
///     .tick(Duration::from_millis(1))
///     .max_concurrency(8)
///     .deadline(Instant::now() + Duration::from_secs(5))
///     .build();
/// group.delay(Duration::from_millis(1), || {});
/// group.wait().unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct Builder {
    tick: Duration,
    max_concurrency: usize,
    deadline: Option<Instant>,
    keep_alive: Duration,
    clock: Option<ManualClock>,
    timer_slack: Duration,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            tick: Duration::from_millis(1),
            max_concurrency: default_max_concurrency(),
            deadline: None,
            keep_alive: Duration::from_secs(1),
            clock: None,
            timer_slack: DEFAULT_TIMER_SLACK,
        }
    }
}

/// The number of CPUs, but at least 4, so that a few blocking tasks do not
/// stall every other one on a small machine.
fn default_max_concurrency() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .max(4)
}

impl Builder {
    /// The width of the wheel's finest slots (default 1 ms, taken up to a
    /// power of two microseconds: 1,024 µs), and the shortest period of
    /// [`every`](crate::Group::every). Deadlines are kept to the
    /// microsecond whatever the tick: it does not make tasks later or
    /// sooner (that is [`timer_slack`](Builder::timer_slack)'s part), it
    /// sets how many timers share a slot, and so how often a timer far out
    /// is moved between levels on its way down. A tick below 1 µs is taken
    /// as 1 µs, and one longer than an hour as an hour.
    ///
    /// ```
    /// let group = schedgroup::Group::builder()
    ///     .tick(std::time::Duration::from_micros(100))
    ///     .build();
    /// # drop(group);
    /// ```
    pub fn tick(mut self, tick: Duration) -> Builder {
        self.tick = tick;
        self
    }

    /// The most tasks of this group that run at once (default: the number of
    /// CPUs, at least 4). Tasks due beyond the cap wait, in deadline order,
    /// for a worker. `0` is taken as 1.
    ///
    /// ```
    /// let group = schedgroup::Group::builder().max_concurrency(1).build();
    /// # drop(group);
    /// ```
    pub fn max_concurrency(mut self, max: usize) -> Builder {
        self.max_concurrency = max.max(1);
        self
    }

    /// Cancels the group when `deadline` passes, like a Go context deadline:
    /// pending tasks are dropped unrun and [`Group::wait`] reports
    /// [`Error::DeadlineExceeded`](crate::Error::DeadlineExceeded). A deadline already past stops the group
    /// at once.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use schedgroup::{Error, Group};
    /// let group = Group::builder().deadline(Instant::now()).build();
    /// group.delay(Duration::from_secs(1), || unreachable!());
    /// assert_eq!(group.wait(), Err(Error::DeadlineExceeded));
    /// ```
    pub fn deadline(mut self, deadline: Instant) -> Builder {
        self.deadline = Some(deadline);
        self
    }

    /// How long an idle worker thread waits for work before it exits
    /// (default 1 s). `Duration::MAX` keeps idle workers until the group is
    /// dropped; `Duration::ZERO` lets each exit as soon as the queue is empty.
    ///
    /// ```
    /// let group = schedgroup::Group::builder()
    ///     .keep_alive(std::time::Duration::from_millis(100))
    ///     .build();
    /// # drop(group);
    /// ```
    pub fn keep_alive(mut self, keep_alive: Duration) -> Builder {
        self.keep_alive = keep_alive;
        self
    }

    /// How late the OS may wake the group's threads for a deadline (its
    /// *timer slack*, on Linux; elsewhere this does nothing). Default
    /// 20 µs: tasks start ~15–25 µs after their deadline at the median on
    /// a quiet machine. A smaller slack starts them sooner (1 ns: ~5 µs)
    /// and costs more CPU when deadlines are close together, since fewer of
    /// them share a wake-up; a larger one (Linux's own default is 50 µs)
    /// costs less. It never makes a task early.
    ///
    /// ```
    /// let group = schedgroup::Group::builder()
    ///     .timer_slack(std::time::Duration::from_nanos(1))
    ///     .build();
    /// # drop(group);
    /// ```
    pub fn timer_slack(mut self, slack: Duration) -> Builder {
        self.timer_slack = slack;
        self
    }

    /// Runs the group on a [`ManualClock`] instead of real time: `delay`
    /// measures from the clock's now, and tasks run when
    /// [`ManualClock::advance`] reaches them. (Timeouts of
    /// [`Group::wait_timeout`] and the keep-alive stay in real time.)
    ///
    /// ```
    /// use std::time::Duration;
    /// use schedgroup::{Group, ManualClock};
    /// let clock = ManualClock::new();
    /// let group = Group::builder().clock(clock.clone()).build();
    /// group.delay(Duration::from_secs(3600), || {});
    /// clock.advance(Duration::from_secs(3600));
    /// assert_eq!(group.len(), 0);
    /// ```
    pub fn clock(mut self, clock: ManualClock) -> Builder {
        self.clock = Some(clock);
        self
    }

    /// Starts the group's driver thread and returns the group.
    ///
    /// # Panics
    ///
    /// If the OS refuses to create the driver thread, like
    /// [`std::thread::spawn`].
    ///
    /// ```
    /// let group = schedgroup::Group::builder().build();
    /// assert_eq!(group.len(), 0);
    /// ```
    pub fn build(self) -> Group {
        let clock = match &self.clock {
            None => Clock::new(Instant::now(), self.tick),
            Some(manual) => manual.clock_with_tick(self.tick),
        };
        let shared = Shared::start(Config {
            clock,
            shards: shard_count(),
            max_concurrency: self.max_concurrency,
            keep_alive: self.keep_alive,
            deadline: self.deadline,
            timer_slack: self.timer_slack,
        });
        if let Some(manual) = &self.clock {
            manual.attach(&shared);
        }
        Group { shared }
    }
}

/// Shards per group: twice the CPUs, rounded up to a power of two, so that
/// threads scheduling at once rarely share one.
pub(crate) fn shard_count() -> usize {
    if cfg!(feature = "loom") {
        // Two still model the cross-shard logic, at far fewer interleavings.
        return 2;
    }
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    (2 * cpus).next_power_of_two()
}
