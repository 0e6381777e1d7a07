//! Model 3: `wait()` vs the last task finishing. No hang (a waiter that
//! checked too early is always woken) and no early return: once `wait()`
//! returns `Ok`, every task has run and its effects are visible. The tasks
//! count their runs with `Relaxed` atomics, so the visibility must come from
//! the crate's own synchronisation.

use crate::{check, group, past, Probe};

/// Two due tasks: the driver may fire them as one batch or as two, the
/// second while the worker runs the first or idles.
#[test]
fn wait_vs_last_task_finishing() {
    check("wait_vs_last_task_finishing", || {
        let group = group();
        let first = Probe::new();
        let second = Probe::new();
        group.schedule(past(), first.task());
        group.schedule(past(), second.task());
        assert_eq!(group.wait(), Ok(()));
        assert_eq!(first.runs(), 1);
        assert_eq!(second.runs(), 1);
        assert_eq!(group.wait(), Ok(()), "wait again on an idle group");
    });
}

/// The running task schedules another before it finishes: the group is
/// never idle in between, so `wait()` must not return until the second task
/// has run too.
#[test]
fn wait_vs_task_scheduling_a_task() {
    check("wait_vs_task_scheduling_a_task", || {
        let group = group();
        let first = Probe::new();
        let second = Probe::new();
        let inner = group.clone();
        let first_task = first.task();
        let second_task = second.task();
        group.schedule(past(), move || {
            inner.schedule(past(), second_task);
            first_task();
        });
        assert_eq!(group.wait(), Ok(()));
        assert_eq!(first.runs(), 1);
        assert_eq!(second.runs(), 1);
    });
}
