//! Model 4: `Group::cancel` vs `wait()` vs a running task. `wait()` returns
//! `Err(Canceled)` only once the task that was already running has
//! finished, a task that had not started by then never starts, and the
//! closure runs at most once and is always dropped.

use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::sync::Arc;
use loom::thread;
use schedgroup::Error;

use crate::{check, group, past, Probe, FAR};

/// The task's life, as seen through one atomic. The task moves it from
/// `NOT_STARTED` to `RUNNING` to `DONE`; a waiter that returned while the
/// task had not started moves it to `MUST_NOT_START`.
const NOT_STARTED: usize = 0;
const RUNNING: usize = 1;
const DONE: usize = 2;
const MUST_NOT_START: usize = 3;

#[test]
fn cancel_vs_wait_vs_running_task() {
    check("cancel_vs_wait_vs_running_task", || {
        let group = group();
        let life = Arc::new(AtomicUsize::new(NOT_STARTED));
        // Starts that found the task already started, or forbidden.
        let bad_starts = Arc::new(AtomicUsize::new(0));
        let probe = Probe::new();
        {
            let life = Arc::clone(&life);
            let bad_starts = Arc::clone(&bad_starts);
            let count = probe.task();
            group.schedule(past(), move || {
                if life
                    .compare_exchange(NOT_STARTED, RUNNING, SeqCst, SeqCst)
                    .is_err()
                {
                    bad_starts.fetch_add(1, SeqCst);
                    return;
                }
                count();
                life.store(DONE, SeqCst);
            });
        }
        let canceler = {
            let group = group.clone();
            thread::spawn(move || group.cancel())
        };

        let result = group.wait();
        // A read-modify-write reads the latest value: whatever the task did
        // before this point in the interleaving is seen, ordered or not.
        let seen = life.compare_exchange(NOT_STARTED, MUST_NOT_START, SeqCst, SeqCst);
        match result {
            Ok(()) => assert_eq!(seen, Err(DONE), "Ok before the task ran"),
            Err(Error::Canceled) => assert_ne!(
                seen,
                Err(RUNNING),
                "wait() returned Canceled while the task was running"
            ),
            Err(other) => panic!("unexpected {other:?}"),
        }

        canceler.join().unwrap();
        assert_eq!(group.wait(), Err(Error::Canceled));
        // The closure ran or was dropped unrun, and is gone either way.
        assert_eq!(probe.drops(), 1);
        assert_eq!(
            bad_starts.fetch_add(0, SeqCst),
            0,
            "the task started twice or too late"
        );
        let end = life.load(SeqCst);
        assert!(
            end == DONE || end == MUST_NOT_START,
            "task left in state {end}"
        );
        assert_eq!(probe.runs(), usize::from(end == DONE));
    });
}

/// `Group::cancel` with only a far-future task pending: the driver is (or
/// will be) parked on that task's deadline and fires nothing, so the cancel
/// itself must wake a waiter already blocked in `wait()`, and the closure is
/// dropped unrun.
#[test]
fn cancel_vs_wait_with_a_pending_task() {
    check("cancel_vs_wait_with_a_pending_task", || {
        let group = group();
        let probe = Probe::new();
        group.delay(FAR, probe.task());
        let canceler = {
            let group = group.clone();
            thread::spawn(move || group.cancel())
        };
        assert_eq!(group.wait(), Err(Error::Canceled));
        // Checked before the join: when `wait` reports the stop, the
        // stopped group's closures are already gone.
        assert_eq!(probe.drops(), 1, "wait() returned before the drop");
        canceler.join().unwrap();
        assert_eq!(probe.runs(), 0);
    });
}
