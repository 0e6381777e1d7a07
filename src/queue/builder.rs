//! `QueueBuilder`: how a queue is configured and started.

use std::time::{Duration, Instant};

use super::shared::QueueShared;
use super::Queue;
use crate::clock::Clock;
use crate::driver::DEFAULT_TIMER_SLACK;
use crate::group::ManualClock;

/// Configures a [`Queue`]; obtain one with [`Queue::builder`]. The same
/// `tick` and `clock` options as a [`Group`](crate::Group)'s.
///
/// ```
/// use std::time::Duration;
/// use schedgroup::{ManualClock, Queue};
///
/// let clock = ManualClock::new();
/// let queue = Queue::builder().clock(clock.clone()).build();
/// queue.insert("lease", Duration::from_secs(30));
/// clock.advance(Duration::from_secs(30));
/// assert_eq!(queue.try_recv(), Some("lease"));
/// ```
#[derive(Clone, Debug)]
pub struct QueueBuilder {
    tick: Duration,
    clock: Option<ManualClock>,
    timer_slack: Duration,
}

impl Default for QueueBuilder {
    fn default() -> Self {
        QueueBuilder {
            tick: Duration::from_millis(1),
            clock: None,
            timer_slack: DEFAULT_TIMER_SLACK,
        }
    }
}

impl QueueBuilder {
    /// The width of the wheel's finest slots (default 1 ms); as
    /// [`Builder::tick`](crate::Builder::tick): deadlines are kept to the
    /// microsecond whatever it is.
    ///
    /// ```
    /// let queue: schedgroup::Queue<u8> = schedgroup::Queue::builder()
    ///     .tick(std::time::Duration::from_micros(100))
    ///     .build();
    /// # drop(queue);
    /// ```
    pub fn tick(mut self, tick: Duration) -> QueueBuilder {
        self.tick = tick;
        self
    }

    /// How late the OS may wake the queue's driver thread for a deadline;
    /// as [`Builder::timer_slack`](crate::Builder::timer_slack). (A
    /// receiver blocked in [`Queue::recv`] waits on its own thread, whose
    /// timer slack is the caller's.)
    ///
    /// ```
    /// let queue: schedgroup::Queue<u8> = schedgroup::Queue::builder()
    ///     .timer_slack(std::time::Duration::from_micros(50))
    ///     .build();
    /// # drop(queue);
    /// ```
    pub fn timer_slack(mut self, slack: Duration) -> QueueBuilder {
        self.timer_slack = slack;
        self
    }

    /// Runs the queue on a [`ManualClock`]: `insert` measures from the
    /// clock's now, and values expire when [`ManualClock::advance`] reaches
    /// their deadline (it returns once they are ready to be received), or at
    /// once if inserted (or reset) with a deadline the clock has already
    /// reached. Nothing else moves them, so what a test sees is exact: such
    /// a queue has no driver thread.
    ///
    /// ```
    /// use std::time::Duration;
    /// use schedgroup::{ManualClock, Queue};
    /// let clock = ManualClock::new();
    /// let queue = Queue::builder().clock(clock.clone()).build();
    /// queue.insert(1, Duration::from_secs(3600));
    /// assert_eq!(queue.try_recv(), None);
    /// clock.advance(Duration::from_secs(3600));
    /// assert_eq!(queue.try_recv(), Some(1));
    /// ```
    pub fn clock(mut self, clock: ManualClock) -> QueueBuilder {
        self.clock = Some(clock);
        self
    }

    /// Starts the queue's driver thread (none on a manual clock) and returns
    /// the queue.
    ///
    /// # Panics
    ///
    /// If the OS refuses to create the driver thread.
    ///
    /// ```
    /// let queue: schedgroup::Queue<()> = schedgroup::Queue::builder().build();
    /// assert!(queue.is_empty());
    /// ```
    pub fn build<T: Send + 'static>(self) -> Queue<T> {
        let clock = match &self.clock {
            None => Clock::new(Instant::now(), self.tick),
            Some(manual) => manual.clock_with_tick(self.tick),
        };
        let shared = QueueShared::start(clock, crate::group::shard_count(), self.timer_slack);
        if let Some(manual) = &self.clock {
            manual.attach_queue(&shared);
        }
        Queue { shared }
    }
}
