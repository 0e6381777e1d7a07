//! Model 2: the driver firing a task vs `TaskHandle::cancel`. Exactly one of
//! "the task ran" and "cancel returned true" (invariant 2), and a successful
//! cancel has dropped the closure by the time it returns.

use loom::thread;

use crate::{check, group, past, Probe, FAR};

/// The task is due at once; the driver may hand it to the worker before,
/// while or after the cancel looks for it in its shard.
#[test]
fn fire_vs_cancel() {
    check("fire_vs_cancel", || {
        let group = group();
        let task = Probe::new();
        let handle = group.schedule(past(), task.task());
        let canceled = handle.cancel();
        if canceled {
            assert_eq!(
                task.drops(),
                1,
                "cancel returned before dropping the closure"
            );
        }
        assert!(!handle.cancel(), "a second cancel found the task again");
        assert_eq!(group.wait(), Ok(()));
        assert_eq!(task.runs() + usize::from(canceled), 1);
        assert_eq!(task.drops(), 1);
    });
}

/// The same race with the cancel on its own thread while the main thread is
/// already in `wait()`: a cancel that empties the group must wake the waiter.
#[test]
fn fire_vs_cancel_vs_wait() {
    check("fire_vs_cancel_vs_wait", || {
        let group = group();
        let task = Probe::new();
        let handle = group.schedule(past(), task.task());
        let canceler = thread::spawn(move || handle.cancel());
        assert_eq!(group.wait(), Ok(()));
        let canceled = canceler.join().unwrap();
        assert_eq!(task.runs() + usize::from(canceled), 1);
        assert_eq!(task.drops(), 1);
    });
}

/// Canceling the last pending task makes the group idle: a waiter already
/// blocked in `wait()` must be woken. The task is far in the future, so the
/// driver is (or will be) parked on its deadline and fires nothing: only the
/// cancel itself can lead to the waiter's wake-up.
#[test]
fn cancel_of_the_last_pending_task_vs_wait() {
    check("cancel_of_the_last_pending_task_vs_wait", || {
        let group = group();
        let task = Probe::new();
        let handle = group.delay(FAR, task.task());
        let canceler = thread::spawn(move || handle.cancel());
        assert_eq!(group.wait(), Ok(()));
        assert!(canceler.join().unwrap(), "the far task was still pending");
        assert_eq!(task.runs(), 0);
        assert_eq!(task.drops(), 1);
    });
}
