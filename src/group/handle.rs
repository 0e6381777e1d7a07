//! `TaskHandle`: cancel or move one scheduled task.

use std::fmt;
use std::time::Instant;

use super::shared::Shared;
use crate::sync::Arc;
use crate::wheel::Key;

/// Cancels or reschedules one task. Cheap to clone (one reference count);
/// `Send + Sync`; may outlive its group (every call then answers `false`).
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
    shared: Arc<Shared>,
    key: Key,
}

impl TaskHandle {
    pub(crate) fn new(shared: Arc<Shared>, key: Key) -> TaskHandle {
        TaskHandle { shared, key }
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
        let task = {
            let mut state = self.shared.state.lock();
            let task = state.timers.wheel.remove(self.key);
            if task.is_some() && self.shared.is_idle(&state, 0) {
                self.shared.became_idle.notify_all();
            }
            task
        };
        task.is_some()
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
        let tick = self.shared.clock.tick_ceil(deadline);
        let mut state = self.shared.state.lock();
        let (moved, wake) = state.timers.reset(self.key, tick);
        if wake {
            self.shared.driver_wake.notify_one();
        }
        moved
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
        self.shared.state.lock().timers.wheel.contains(self.key)
    }
}

impl fmt::Debug for TaskHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskHandle")
            .field("key", &self.key)
            .finish()
    }
}
