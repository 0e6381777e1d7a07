//! The public face: `Group`, its `Builder`, and `TaskHandle`.

mod builder;
mod every;
mod futures;
mod handle;
mod manual;
mod shared;
mod sleep;
mod wait;

use std::fmt;
use std::time::{Duration, Instant};

pub(crate) use builder::shard_count;
pub use builder::Builder;
pub use handle::TaskHandle;
pub use manual::ManualClock;
use shared::Shared;
pub use sleep::Sleep;
pub use wait::Wait;

use crate::error::Error;
use crate::stats::Stats;
use crate::sync::Arc;
use crate::task::Task;

/// A set of closures that run at or after their deadlines.
///
/// One driver thread per group sleeps until the next deadline; due closures
/// run on worker threads created on demand. `Group` is `Send + Sync` and all
/// methods take `&self`; clones share the same group, and dropping the last
/// clone cancels it (see [`Drop`](#impl-Drop-for-Group)).
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use std::time::{Duration, Instant};
/// use schedgroup::Group;
///
/// let group = Group::new();
/// let ran = Arc::new(AtomicUsize::new(0));
/// for ms in [30, 10, 20] {
///     let ran = ran.clone();
///     group.delay(Duration::from_millis(ms), move || {
///         ran.fetch_add(1, Ordering::SeqCst);
///     });
/// }
/// group.wait().unwrap();
/// assert_eq!(ran.load(Ordering::SeqCst), 3);
/// ```
pub struct Group {
    shared: Arc<Shared>,
}

impl Default for Group {
    fn default() -> Self {
        Group::new()
    }
}

impl Group {
    /// A group with the default settings (1 ms tick, no deadline).
    ///
    /// ```
    /// let group = schedgroup::Group::new();
    /// assert_eq!(group.wait(), Ok(()));
    /// ```
    pub fn new() -> Group {
        Builder::default().build()
    }

    /// A [`Builder`] with the default settings.
    ///
    /// ```
    /// let group = schedgroup::Group::builder().max_concurrency(2).build();
    /// # drop(group);
    /// ```
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// Runs `f` once `delay` has passed. Any delay is accepted:
    /// `Duration::MAX` means "after everything else" (in practice never)
    /// and does not overflow. After [`cancel`](Group::cancel), `f` is
    /// dropped unrun and the returned handle is inert.
    ///
    /// ```
    /// let group = schedgroup::Group::new();
    /// group.delay(std::time::Duration::from_millis(5), || println!("hi"));
    /// group.wait().unwrap();
    /// ```
    pub fn delay<F>(&self, delay: Duration, f: F) -> TaskHandle
    where
        F: FnOnce() + Send + 'static,
    {
        let clock = self.shared.clock();
        let tick = clock.deadline_after(clock.now(), delay);
        self.shared.insert(tick, Task::new(f))
    }

    /// Runs `f` at or after `deadline`. A deadline in the past runs `f` as
    /// soon as the driver sees it. After [`cancel`](Group::cancel), `f` is
    /// dropped unrun and the returned handle is inert.
    ///
    /// ```
    /// use std::time::Instant;
    /// let group = schedgroup::Group::new();
    /// group.schedule(Instant::now(), || println!("now"));
    /// group.wait().unwrap();
    /// ```
    pub fn schedule<F>(&self, deadline: Instant, f: F) -> TaskHandle
    where
        F: FnOnce() + Send + 'static,
    {
        let tick = self.shared.clock().deadline_at(deadline);
        self.shared.insert(tick, Task::new(f))
    }

    /// Cancels the group, like canceling the context of a Go `schedgroup`:
    /// every task that has not started is dropped unrun, whether it was
    /// still pending or already due and waiting for a worker, and its
    /// closure is dropped before this returns; later schedules are dropped
    /// too, and [`wait`](Group::wait) reports [`Error::Canceled`] once the
    /// tasks already running finish. Calling it again does nothing.
    ///
    /// A closure whose captures panic when dropped does not make this call
    /// panic: the panic is caught, the other closures are still dropped,
    /// and the panic is counted in [`Stats::panicked`].
    ///
    /// ```
    /// use schedgroup::{Error, Group};
    /// let group = Group::new();
    /// group.delay(std::time::Duration::from_secs(1), || unreachable!());
    /// group.cancel();
    /// assert_eq!(group.len(), 0);
    /// assert_eq!(group.wait(), Err(Error::Canceled));
    /// ```
    pub fn cancel(&self) {
        self.shared.stop(Error::Canceled);
    }

    /// Blocks until the group is idle: no task pending and none running.
    ///
    /// * `Ok(())` once that happens, if nothing went wrong;
    /// * `Err(Error::Canceled)` / `Err(Error::DeadlineExceeded)` after
    ///   [`cancel`](Group::cancel) or the builder's deadline, as soon as the
    ///   tasks already running have finished;
    /// * `Err(Error::Panicked { .. })` if any task panicked (panics are
    ///   counted for the group's life, so every later `wait` says so too).
    ///
    /// When it returns, no task of the group is running. It may be called
    /// again, from any thread; the group stays usable after `Ok`.
    ///
    /// Called from inside one of the group's own tasks, it waits for every
    /// other task (tasks that are waiting too excepted) instead of hanging
    /// on itself; while it waits, its task does not count against
    /// [`max_concurrency`](Builder::max_concurrency), so the tasks it waits
    /// for can run even at a cap of 1.
    ///
    /// ```
    /// let group = schedgroup::Group::new();
    /// group.delay(std::time::Duration::from_millis(1), || {});
    /// assert_eq!(group.wait(), Ok(()));
    /// assert_eq!(group.wait(), Ok(()));
    /// ```
    pub fn wait(&self) -> Result<(), Error> {
        self.wait_until(None)
            .expect("a wait without a deadline only returns once idle")
    }

    /// Like [`wait`](Group::wait), but gives up after `timeout`:
    /// `Ok(true)` once idle, `Ok(false)` if the time ran out first, and the
    /// same errors as `wait` once idle. A timeout too large to represent
    /// (`Duration::MAX`) waits as long as `wait`.
    ///
    /// ```
    /// use std::time::Duration;
    /// let group = schedgroup::Group::new();
    /// group.delay(Duration::from_secs(3600), || {});
    /// assert_eq!(group.wait_timeout(Duration::from_millis(10)), Ok(false));
    /// group.cancel();
    /// assert_eq!(group.wait_timeout(Duration::from_millis(10)), Err(schedgroup::Error::Canceled));
    /// ```
    pub fn wait_timeout(&self, timeout: Duration) -> Result<bool, Error> {
        match self.wait_until(Instant::now().checked_add(timeout)) {
            Some(outcome) => outcome.map(|()| true),
            None => Ok(false),
        }
    }

    fn wait_until(&self, deadline: Option<Instant>) -> Option<Result<(), Error>> {
        Shared::wait(&self.shared, deadline)
    }

    /// Runs `f` every `period`, the first time one period from now, until
    /// the returned handle's [`cancel`](TaskHandle::cancel) or the group
    /// stops.
    ///
    /// * **Fixed rate, no drift:** run `n` is due at `start + n * period`,
    ///   not "previous run + period".
    /// * **Missed runs are skipped:** if a run ends after later deadlines
    ///   have passed, those are skipped (not replayed in a burst) and the
    ///   series resumes at the first deadline not yet past.
    /// * **Never overlapping:** the next run is filed only when the current
    ///   one returns.
    /// * A period below one tick is one tick. A panicking run is reported by
    ///   [`wait`](Group::wait) like any task's; the series goes on.
    ///
    /// A live series keeps the group busy, so [`wait`](Group::wait) returns
    /// only once it is canceled (or the group is).
    ///
    /// A series lives as long as its group and keeps its closure until it
    /// ends, so a closure that captures a clone of its own [`Group`] keeps
    /// the group alive (with its driver thread) even after every other
    /// `Group` value is dropped, like an `Arc` cycle: cancel the series (or
    /// the group) to end it.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// let group = schedgroup::Group::new();
    /// let runs = Arc::new(AtomicUsize::new(0));
    /// let counter = runs.clone();
    /// let series = group.every(Duration::from_millis(5), move || {
    ///     counter.fetch_add(1, Ordering::SeqCst);
    /// });
    /// while runs.load(Ordering::SeqCst) < 3 {
    ///     std::thread::sleep(Duration::from_millis(1));
    /// }
    /// assert!(series.cancel());
    /// group.wait().unwrap();
    /// ```
    pub fn every<F>(&self, period: Duration, f: F) -> TaskHandle
    where
        F: FnMut() + Send + 'static,
    {
        TaskHandle::every(Box::new(every::Series::start(&self.shared, period, f)))
    }

    /// The group's clock: `Instant::now()`, or a [`ManualClock`]'s time
    /// for a group built on one. Deadlines relative to this clock are what
    /// [`delay`](Group::delay) and [`TaskHandle::reset_after`] use.
    ///
    /// ```
    /// use std::time::Duration;
    /// use schedgroup::{Group, ManualClock};
    /// let clock = ManualClock::new();
    /// let group = Group::builder().clock(clock.clone()).build();
    /// let start = group.now();
    /// clock.advance(Duration::from_secs(5));
    /// assert_eq!(group.now() - start, Duration::from_secs(5));
    /// ```
    pub fn now(&self) -> Instant {
        self.shared.clock().now()
    }

    /// Counters and a lateness summary for dashboards; see [`Stats`].
    ///
    /// ```
    /// let group = schedgroup::Group::new();
    /// group.delay(std::time::Duration::from_secs(60), || {});
    /// assert_eq!(group.stats().pending, 1);
    /// ```
    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }

    /// How many tasks are pending: scheduled, not yet started, not canceled.
    ///
    /// ```
    /// let group = schedgroup::Group::new();
    /// group.delay(std::time::Duration::from_secs(60), || {});
    /// assert_eq!(group.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.shared.len()
    }

    /// Whether no task is pending.
    ///
    /// ```
    /// assert!(schedgroup::Group::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Clone for Group {
    /// Another handle to the same group.
    fn clone(&self) -> Group {
        self.shared.add_group();
        Group {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl Drop for Group {
    /// Dropping the last handle cancels the group: pending and queued
    /// closures are dropped unrun, the driver thread is stopped and joined,
    /// and idle workers exit. Tasks already running finish on their worker
    /// threads, which then exit too.
    fn drop(&mut self) {
        self.shared.release_group();
    }
}

impl fmt::Debug for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Group")
            .field("pending", &self.len())
            .field("tick", &self.shared.clock().tick())
            .finish()
    }
}
