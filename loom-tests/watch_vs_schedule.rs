//! An idle worker watching a deadline the driver left to it, vs a task
//! scheduled to run at once meanwhile: the driver is still woken by the
//! schedule (its park deadline stays the watched one), hands the task
//! over, and the watching worker is woken to run it. A lost wake-up shows
//! as a loom deadlock.

use std::time::Duration;

use schedgroup::Group;

use crate::{check, past, Probe, FAR};

#[test]
fn schedule_vs_a_watching_worker() {
    check("schedule_vs_a_watching_worker", || {
        // A worker that never retires, so that it may watch a far deadline.
        let group = Group::builder()
            .max_concurrency(1)
            .keep_alive(Duration::MAX)
            .build();
        let first = Probe::new();
        group.schedule(past(), first.task());
        assert_eq!(group.wait(), Ok(()));
        // The worker is idle now; the driver may leave this one to it.
        let far = group.delay(FAR, || {});
        let second = Probe::new();
        group.schedule(past(), second.task());
        assert!(far.cancel());
        assert_eq!(group.wait(), Ok(()));
        assert_eq!((first.runs(), second.runs()), (1, 1));
    });
}
