//! `wait_async()`'s waker registration vs the last task finishing: the
//! future is woken (a lost wake-up shows as a loom deadlock) and completes
//! only once the task has run, with its effects visible.

use crate::{block_on, check, group, past, Probe};

#[test]
fn wait_async_vs_last_task_finishing() {
    check("wait_async_vs_last_task_finishing", || {
        let group = group();
        let probe = Probe::new();
        group.schedule(past(), probe.task());
        assert_eq!(block_on(group.wait_async()), Ok(()));
        assert_eq!(probe.runs(), 1);
    });
}
