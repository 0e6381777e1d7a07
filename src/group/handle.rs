//! `TaskHandle`: cancel or move one scheduled task.

use std::fmt;
use std::time::{Duration, Instant};

use super::every::Periodic;
use crate::shard::Shard;
use crate::sync::Arc;
use crate::task::Task;
use crate::wheel::Key;

/// Cancels or reschedules one task. Cheap to clone (one reference count, on
/// the scheduling thread's own shard); `Send + Sync`; may outlive its group
/// (every call then answers `false`).
///
/// Both methods are generation-checked: once the task has started or been
/// canceled, the handle can never affect another task, even one that
/// reuses the same internal slot.
///
/// ```
/// use std::time::{Duration, Instant};
/// use schedgroup::Group;
///
/// let group = Group::new();
/// let handle = group.delay(Duration::from_secs(60), || unreachable!());
/// assert!(handle.reset(Instant::now() + Duration::from_secs(120)));
/// assert!(handle.cancel());
/// assert!(!handle.cancel()); // already canceled
/// assert_eq!(group.len(), 0);
/// ```
#[derive(Clone)]
pub struct TaskHandle {
    target: Target,
}

enum Target {
    /// A one-shot task: where it is filed.
    Once { shard: Arc<Shard<Task>>, key: Key },
    /// A series from [`Group::every`](crate::Group::every). Boxed twice: a
    /// thin pointer fits beside the `Arc`'s niche, so a handle is 16 bytes
    /// rather than 24 (handles are kept per pending timer, and writing them
    /// is part of every `delay`).
    Every(Box<Box<dyn Periodic>>),
}

impl Clone for Target {
    fn clone(&self) -> Target {
        match self {
            Target::Once { shard, key } => Target::Once {
                shard: Arc::clone(shard),
                key: *key,
            },
            Target::Every(series) => Target::Every(Box::new(series.clone_box())),
        }
    }
}

impl TaskHandle {
    #[inline]
    pub(crate) fn new(shard: Arc<Shard<Task>>, key: Key) -> TaskHandle {
        TaskHandle {
            target: Target::Once { shard, key },
        }
    }

    pub(crate) fn every(series: Box<dyn Periodic>) -> TaskHandle {
        TaskHandle {
            target: Target::Every(Box::new(series)),
        }
    }

    /// Stops the task before it starts. `true` iff this call stopped it: it
    /// will never run, and its closure (with its captures) has been dropped
    /// by the time this returns. `false` if it already started, finished,
    /// was canceled, or its group was canceled or dropped. O(1).
    ///
    /// If the closure's captures panic when dropped, the panic is caught
    /// (this still returns `true`) and counted in the group's
    /// [`Stats::panicked`](crate::Stats::panicked); [`Group::wait`](crate::Group::wait)
    /// then reports it like a task's panic.
    ///
    /// For a series from [`Group::every`](crate::Group::every): stops the
    /// series and returns `true` while it is live. No run begins after this
    /// returns; a run that had already begun finishes (it may be just
    /// entering the closure, since no lock is held across the user's code),
    /// and the closure is dropped when it does.
    ///
    /// ```
    /// let group = schedgroup::Group::new();
    /// let handle = group.delay(std::time::Duration::from_secs(9), || {});
    /// assert!(handle.cancel());
    /// ```
    pub fn cancel(&self) -> bool {
        match &self.target {
            Target::Once { shard, key } => shard.cancel(*key),
            Target::Every(series) => series.cancel(),
        }
    }

    /// Moves a pending task to a new deadline, earlier or later; a deadline
    /// in the past makes it due at once. `true` iff the task was still
    /// pending and now has the new deadline. O(1).
    ///
    /// For a series: its next run is at `deadline`, and the runs after it
    /// one period apart from there; `true` while the series is live.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let group = schedgroup::Group::new();
    /// let handle = group.delay(Duration::from_secs(3600), || {});
    /// assert!(handle.reset(Instant::now())); // run it now instead
    /// group.wait().unwrap();
    /// assert!(!handle.reset(Instant::now())); // it has run
    /// ```
    pub fn reset(&self, deadline: Instant) -> bool {
        match &self.target {
            Target::Once { shard, key } => {
                let tick = shard.clock().deadline_at(deadline);
                shard.reset(*key, tick)
            }
            Target::Every(series) => series.reset(deadline),
        }
    }

    /// Moves a pending task to `delay` from now, measured on its group's
    /// clock (a [`ManualClock`](crate::ManualClock)'s time for a group built
    /// on one, where `Instant::now()` would be the wrong clock). Otherwise
    /// as [`reset`](TaskHandle::reset); `Duration::MAX` means "after
    /// everything else" and does not overflow.
    ///
    /// ```
    /// use std::time::Duration;
    /// use schedgroup::{Group, ManualClock};
    /// let clock = ManualClock::new();
    /// let group = Group::builder().clock(clock.clone()).build();
    /// let idle = group.delay(Duration::from_secs(30), || {});
    /// clock.advance(Duration::from_secs(20));
    /// assert!(idle.reset_after(Duration::from_secs(30))); // activity: 30 s more
    /// clock.advance(Duration::from_secs(20));
    /// assert!(idle.is_pending());
    /// clock.advance(Duration::from_secs(10));
    /// assert!(!idle.is_pending());
    /// ```
    pub fn reset_after(&self, delay: Duration) -> bool {
        match &self.target {
            Target::Once { shard, key } => {
                let clock = shard.clock();
                shard.reset(*key, clock.deadline_after(clock.now(), delay))
            }
            Target::Every(series) => series.reset(series.clock().instant_after(delay)),
        }
    }

    /// When the task is due, by its group's clock (its deadline, rounded up
    /// to a whole microsecond); `None` once it has started or been canceled,
    /// or if it is too far away to be an `Instant` (`Duration::MAX`).
    /// For a series: its next run, while one is waiting for its deadline.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let group = schedgroup::Group::new();
    /// let at = Instant::now() + Duration::from_secs(60);
    /// let handle = group.schedule(at, || {});
    /// assert!(handle.deadline().unwrap() >= at);
    /// handle.cancel();
    /// assert_eq!(handle.deadline(), None);
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        match &self.target {
            Target::Once { shard, key } => shard.clock().instant_of(shard.deadline(*key)?),
            Target::Every(series) => series.deadline(),
        }
    }

    /// Whether the task is still waiting for its deadline (not started, not
    /// canceled); for a series, whether it is live. The answer can be stale
    /// by the time it is read.
    ///
    /// ```
    /// let group = schedgroup::Group::new();
    /// let handle = group.delay(std::time::Duration::from_secs(9), || {});
    /// assert!(handle.is_pending());
    /// handle.cancel();
    /// assert!(!handle.is_pending());
    /// ```
    pub fn is_pending(&self) -> bool {
        match &self.target {
            Target::Once { shard, key } => shard.contains(*key),
            Target::Every(series) => series.is_live(),
        }
    }
}

impl fmt::Debug for TaskHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.target {
            Target::Once { key, .. } => f.debug_struct("TaskHandle").field("key", key).finish(),
            Target::Every(_) => f.write_str("TaskHandle(every)"),
        }
    }
}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    #[test]
    fn a_handle_is_two_words() {
        // An `Arc` and a key; a series handle fits in the same two words.
        assert_eq!(std::mem::size_of::<super::TaskHandle>(), 16);
    }
}
