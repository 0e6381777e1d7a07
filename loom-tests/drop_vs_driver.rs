//! Model 5: dropping the last `Group` vs the driver and a worker. No
//! deadlock, a pending closure is dropped before `drop` returns, every
//! closure runs at most once and is dropped, and every loom thread (driver
//! and worker) finishes: loom fails the model if one stays blocked, and if
//! any `Arc` (the group's shared state) leaks.

use crate::{check, group, past, Probe, FAR};

/// Two tasks due at once (with one worker, one may run while the other is
/// queued, or both still be in the wheel or in the driver's hands) and one
/// far-future task that is surely pending when the group goes.
#[test]
fn drop_vs_driver_and_worker() {
    check("drop_vs_driver_and_worker", || {
        let group = group();
        let first = Probe::waitable();
        let second = Probe::waitable();
        let far = Probe::new();
        group.schedule(past(), first.task());
        group.schedule(past(), second.task());
        group.delay(FAR, far.task());
        drop(group);
        assert_eq!(
            far.drops(),
            1,
            "drop returned before dropping a pending closure"
        );
        assert_eq!(far.runs(), 0);
        // A task the worker had already taken may still be running or being
        // dropped on the worker thread: wait until both closures are gone.
        first.wait_gone(1);
        second.wait_gone(1);
        assert!(first.runs() <= 1);
        assert!(second.runs() <= 1);
    });
}

/// The last `Group` lives in a task's closure: main's drop and the task's
/// run race for which of them drops it, so `Group::drop` may run on the
/// worker thread, joining the driver from there.
#[test]
fn last_group_dropped_by_its_own_task() {
    check("last_group_dropped_by_its_own_task", || {
        let group = group();
        let probe = Probe::waitable();
        let inner = group.clone();
        let count = probe.task();
        group.schedule(past(), move || {
            drop(inner);
            count();
        });
        drop(group);
        probe.wait_gone(1);
        assert_eq!(
            probe.runs(),
            1,
            "nothing stopped the group before the task ran"
        );
    });
}

/// A group whose deadline has already passed, with the last `Group` in a
/// pending closure: the driver drops that closure when it handles the
/// deadline, so `Group::drop` may run on the driver thread itself, which
/// must not join itself. Or the schedule comes after the deadline and the
/// closure is dropped at once.
#[test]
fn last_group_dropped_by_the_driver_at_the_deadline() {
    check("last_group_dropped_by_the_driver_at_the_deadline", || {
        let group = deadline_group();
        let probe = Probe::waitable();
        let inner = group.clone();
        let count = probe.task();
        group.delay(FAR, move || {
            drop(inner);
            count();
        });
        drop(group);
        probe.wait_gone(1);
        assert_eq!(probe.runs(), 0, "a task ran after the group's deadline");
    });
}

/// Like [`group`], with a deadline that passes when the driver first looks.
fn deadline_group() -> schedgroup::Group {
    schedgroup::Group::builder()
        .max_concurrency(1)
        .deadline(past())
        .build()
}
