//! Model 1: schedule vs the driver parking. A task scheduled while the
//! driver starts, scans the shards or parks is never missed: no lost
//! wake-up (invariant 3).
//!
//! loom has no time, so a driver that misses the notification sleeps
//! forever and `wait()` with it: loom reports a deadlock.

use loom::thread;

use crate::{check, group, past, Probe, FAR};

/// The driver starts with an empty wheel and parks with no deadline at all;
/// a due task scheduled before, during or after its first look must be run.
#[test]
fn schedule_vs_driver_parking_forever() {
    check("schedule_vs_driver_parking_forever", || {
        let group = group();
        let task = Probe::new();
        group.schedule(past(), task.task());
        assert_eq!(group.wait(), Ok(()));
        assert_eq!(task.runs(), 1);
    });
}

/// Two threads schedule at once, into different shards (under loom the
/// model's own thread files into one and every other thread into the
/// other), while
/// the driver scans the shards one after the other and parks: neither task
/// may be missed, whichever shard the scan has passed when it lands.
#[test]
fn schedules_on_two_shards_vs_driver_scan() {
    check("schedules_on_two_shards_vs_driver_scan", || {
        let group = group();
        let first = Probe::new();
        let second = Probe::new();
        let helper = {
            let group = group.clone();
            let task = second.task();
            thread::spawn(move || {
                group.schedule(past(), task);
            })
        };
        group.schedule(past(), first.task());
        helper.join().unwrap();
        assert_eq!(group.wait(), Ok(()));
        assert_eq!(first.runs(), 1);
        assert_eq!(second.runs(), 1);
    });
}

/// The driver may be parked until a far-future task's deadline; a task due
/// earlier must wake it. The early task cancels the far one, so that
/// `wait()` can return.
#[test]
fn schedule_earlier_than_the_park_deadline() {
    check("schedule_earlier_than_the_park_deadline", || {
        let group = group();
        let far = Probe::new();
        let near = Probe::new();
        let far_handle = group.delay(FAR, far.task());
        let near_task = near.task();
        group.schedule(past(), move || {
            assert!(far_handle.cancel(), "the far task was still pending");
            near_task();
        });
        assert_eq!(group.wait(), Ok(()));
        assert_eq!(near.runs(), 1);
        assert_eq!(far.runs(), 0);
        assert_eq!(far.drops(), 1);
    });
}

/// Moving a far-future task to now must wake a driver parked until its old
/// deadline.
#[test]
fn reset_earlier_than_the_park_deadline() {
    check("reset_earlier_than_the_park_deadline", || {
        let group = group();
        let task = Probe::new();
        let handle = group.delay(FAR, task.task());
        assert!(handle.reset(past()), "the task was still pending");
        assert_eq!(group.wait(), Ok(()));
        assert_eq!(task.runs(), 1);
        assert!(!handle.reset(past()), "the task has run");
        assert!(!handle.cancel(), "the task has run");
    });
}
