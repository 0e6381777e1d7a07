//! `Group::cancel` vs a due task on its way from the wheel to the worker:
//! when `cancel` returns, the task's closure has been dropped, or the task
//! had already started and runs. It is never dropped unrun after `cancel`
//! returned (the promise is that cancel drops it before it returns).

use schedgroup::Error;

use crate::{check, group, past, Probe};

#[test]
fn cancel_vs_a_batch_in_transit() {
    check("cancel_vs_a_batch_in_transit", || {
        let group = group();
        let probe = Probe::new();
        group.schedule(past(), probe.task());
        group.cancel();
        // Dropped by now (on this thread, so seen), or started.
        let dropped_by_cancel = probe.drops() == 1 && probe.runs() == 0;
        assert_eq!(group.wait(), Err(Error::Canceled));
        assert_eq!(probe.drops(), 1, "the closure was never dropped");
        if !dropped_by_cancel {
            assert_eq!(probe.runs(), 1, "dropped unrun after cancel returned");
        }
    });
}
