//! `TaskHandle`: cancel or move one scheduled task.

use std::fmt;
use std::time::Instant;

use crate::driver::Shard;
use crate::sync::Arc;
use crate::task::Task;
use crate::wheel::Key;

/// Cancels or reschedules one task. Cheap to clone (one reference count, on
/// the scheduling thread's own shard); `Send + Sync`; may outlive its group
/// (every call then answers `false`).
///
/// Both methods are generation-checked: once the task has started or been
/// cancelled, the handle can never affect another task, even one that
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
/// assert!(!handle.cancel()); // already cancelled
/// assert_eq!(group.len(), 0);
/// ```
#[derive(Clone)]
pub struct TaskHandle {
    shard: Arc<Shard<Task>>,
    key: Key,
}

impl TaskHandle {
    pub(crate) fn new(shard: Arc<Shard<Task>>, key: Key) -> TaskHandle {
        TaskHandle { shard, key }
    }

    /// Stops the task before it starts. `true` iff this call stopped it: it
    /// will never run, and its closure (with its captures) has been dropped
    /// by the time this returns. `false` if it already started, finished,
    /// was cancelled, or its group was cancelled or dropped. O(1).
    ///
    /// ```
    /// let group = schedgroup::Group::new();
    /// let handle = group.delay(std::time::Duration::from_secs(9), || {});
    /// assert!(handle.cancel());
    /// ```
    pub fn cancel(&self) -> bool {
        // The closure is dropped here, after the shard's lock is released:
        // its captures' Drop may call back into the group.
        self.shard.remove(self.key).is_some()
    }

    /// Moves a pending task to a new deadline, earlier or later; a deadline
    /// in the past makes it due at once. `true` iff the task was still
    /// pending and now has the new deadline. O(1).
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
        let tick = self.shard.link().clock.tick_ceil(deadline);
        self.shard.reset(self.key, tick)
    }

    /// Whether the task is still waiting for its deadline (not started, not
    /// cancelled). The answer can be stale by the time it is read.
    ///
    /// ```
    /// let group = schedgroup::Group::new();
    /// let handle = group.delay(std::time::Duration::from_secs(9), || {});
    /// assert!(handle.is_pending());
    /// handle.cancel();
    /// assert!(!handle.is_pending());
    /// ```
    pub fn is_pending(&self) -> bool {
        self.shard.contains(self.key)
    }
}

impl fmt::Debug for TaskHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskHandle")
            .field("key", &self.key)
            .finish()
    }
}
