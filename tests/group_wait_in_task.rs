//! `wait()` called from inside the group's own tasks must not wait for itself.

// Builds groups: under `--features loom` their threads and locks are loom's,
// which work only inside a loom model (`loom-tests/` has those).
#![cfg(not(feature = "loom"))]

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use schedgroup::Group;
use support::STEP_TIMEOUT;

/// A task waiting for its own group while one far-away task is pending;
/// `unblock` then makes the group idle in some way. The waiting task's
/// `wait()` must return then (its watchdog fails the test otherwise).
fn in_task_wait_returns_when(
    builder: schedgroup::Builder,
    unblock: impl FnOnce(&Group, schedgroup::TaskHandle) + Send + 'static,
) -> Result<(), schedgroup::Error> {
    let group = builder.build();
    let far = group.delay(Duration::from_secs(3600), || {});
    let (report, seen) = mpsc::channel();
    let (waiting, is_waiting) = mpsc::channel();
    let inner = group.clone();
    group.delay(Duration::ZERO, move || {
        waiting.send(()).unwrap();
        report.send(inner.wait()).unwrap();
    });
    is_waiting
        .recv_timeout(STEP_TIMEOUT)
        .expect("the waiting task never ran");
    // Let it reach its wait (no timing assumption: a late start only makes
    // the group idle before the wait, which must return all the same).
    std::thread::sleep(Duration::from_millis(20));
    unblock(&group, far);
    let outcome = seen
        .recv_timeout(STEP_TIMEOUT)
        .expect("the in-task wait slept through the group going idle");
    assert_eq!(group.wait(), outcome.clone());
    outcome
}

#[test]
fn a_task_waiting_for_its_group_sees_the_other_tasks_done() {
    let group = Group::new();
    let others_done = Arc::new(AtomicUsize::new(0));
    for ms in [5, 50, 120] {
        let others_done = others_done.clone();
        group.delay(Duration::from_millis(ms), move || {
            others_done.fetch_add(1, Ordering::SeqCst);
        });
    }
    let (report, seen) = mpsc::channel();
    let inner = group.clone();
    let counter = others_done.clone();
    group.delay(Duration::ZERO, move || {
        let result = inner.wait();
        report
            .send((result, counter.load(Ordering::SeqCst)))
            .unwrap();
    });
    let (result, done_when_returned) = seen.recv_timeout(STEP_TIMEOUT).expect("wait in task hung");
    assert_eq!(result, Ok(()));
    assert_eq!(done_when_returned, 3, "returned before the other tasks ran");
    assert_eq!(group.wait(), Ok(()));
}

#[test]
fn two_tasks_waiting_for_their_group_both_return() {
    let group = Group::builder().max_concurrency(4).build();
    let (report, seen) = mpsc::channel();
    for _ in 0..2 {
        let inner = group.clone();
        let report = report.clone();
        group.delay(Duration::ZERO, move || {
            report.send(inner.wait()).unwrap();
        });
    }
    for _ in 0..2 {
        assert_eq!(
            seen.recv_timeout(STEP_TIMEOUT)
                .expect("a waiting task hung"),
            Ok(())
        );
    }
    assert_eq!(group.wait(), Ok(()));
}

#[test]
fn waiting_for_another_group_from_a_task_still_waits_for_all_of_it() {
    let outer = Group::new();
    let other = Group::new();
    let ran = Arc::new(AtomicUsize::new(0));
    let counter = ran.clone();
    other.delay(Duration::from_millis(30), move || {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let (report, seen) = mpsc::channel();
    let other_in_task = other.clone();
    let counter = ran.clone();
    outer.delay(Duration::ZERO, move || {
        let result = other_in_task.wait();
        report
            .send((result, counter.load(Ordering::SeqCst)))
            .unwrap();
    });
    let (result, ran_when_returned) = seen.recv_timeout(STEP_TIMEOUT).expect("hung");
    assert_eq!(result, Ok(()));
    assert_eq!(ran_when_returned, 1);
    assert_eq!(outer.wait(), Ok(()));
}

#[test]
fn a_waiting_task_does_not_hold_the_only_worker_slot() {
    // With a cap of 1, the waiting task must step aside for the queued ones.
    let group = Group::builder().max_concurrency(1).build();
    let ran = Arc::new(AtomicUsize::new(0));
    let (report, seen) = mpsc::channel();
    let inner = group.clone();
    let counter = ran.clone();
    group.delay(Duration::ZERO, move || {
        report
            .send((inner.wait(), counter.load(Ordering::SeqCst)))
            .unwrap();
    });
    for _ in 0..100 {
        let ran = ran.clone();
        group.delay(Duration::ZERO, move || {
            ran.fetch_add(1, Ordering::SeqCst);
        });
    }
    let (result, ran_when_returned) = seen
        .recv_timeout(STEP_TIMEOUT)
        .expect("capped waiting task hung");
    assert_eq!(result, Ok(()));
    assert_eq!(ran_when_returned, 100);
    assert_eq!(group.wait(), Ok(()));
}

#[test]
fn a_waiting_task_hands_back_the_tasks_its_worker_claimed() {
    // Many tasks due together are claimed by workers in chunks; the waiting
    // task's own chunk must still run.
    let group = Group::builder().max_concurrency(1).build();
    let ran = Arc::new(AtomicUsize::new(0));
    let (report, seen) = mpsc::channel();
    let deadline = std::time::Instant::now() + Duration::from_millis(50);
    let inner = group.clone();
    let counter = ran.clone();
    group.schedule(deadline, move || {
        report
            .send((inner.wait(), counter.load(Ordering::SeqCst)))
            .unwrap();
    });
    for _ in 0..1000 {
        let ran = ran.clone();
        group.schedule(deadline, move || {
            ran.fetch_add(1, Ordering::SeqCst);
        });
    }
    let (result, ran_when_returned) = seen
        .recv_timeout(STEP_TIMEOUT)
        .expect("claimed tasks stranded");
    assert_eq!(result, Ok(()));
    assert_eq!(ran_when_returned, 1000);
    assert_eq!(group.wait(), Ok(()));
}

#[test]
fn an_in_task_wait_wakes_when_the_last_pending_task_is_canceled() {
    let outcome = in_task_wait_returns_when(Group::builder(), |_, far| {
        assert!(far.cancel());
    });
    assert_eq!(outcome, Ok(()));
}

#[test]
fn an_in_task_wait_wakes_when_the_last_pending_timer_is_a_dropped_sleep() {
    let group = Group::new();
    let sleep = group.sleep(Duration::from_secs(3600));
    let (report, seen) = mpsc::channel();
    let inner = group.clone();
    group.delay(Duration::ZERO, move || report.send(inner.wait()).unwrap());
    std::thread::sleep(Duration::from_millis(20));
    drop(sleep);
    assert_eq!(
        seen.recv_timeout(STEP_TIMEOUT)
            .expect("slept through the drop"),
        Ok(())
    );
}

#[test]
fn an_in_task_wait_wakes_when_the_last_pending_task_is_reset_into_the_past() {
    let outcome = in_task_wait_returns_when(Group::builder(), |_, far| {
        assert!(far.reset(std::time::Instant::now()));
    });
    assert_eq!(outcome, Ok(()));
}

#[test]
fn an_in_task_wait_wakes_when_the_group_is_canceled() {
    let outcome = in_task_wait_returns_when(Group::builder(), |group, _| group.cancel());
    assert_eq!(outcome, Err(schedgroup::Error::Canceled));
}

#[test]
fn an_in_task_wait_wakes_when_the_deadline_passes() {
    let deadline = std::time::Instant::now() + Duration::from_millis(200);
    let outcome = in_task_wait_returns_when(Group::builder().deadline(deadline), |_, _| {});
    assert_eq!(outcome, Err(schedgroup::Error::DeadlineExceeded));
}

/// With a cap of 1, a task that waited for its group and then goes on
/// running holds the only slot again: a task it schedules afterwards must
/// not run beside it.
#[test]
fn the_cap_holds_again_once_an_in_task_wait_returns() {
    let group = Group::builder().max_concurrency(1).build();
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let enter = {
        let (running, most) = (running.clone(), most.clone());
        move || {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
        }
    };
    let leave = {
        let running = running.clone();
        move || {
            running.fetch_sub(1, Ordering::SeqCst);
        }
    };
    let (done, finished) = mpsc::channel();
    let inner = group.clone();
    let (enter_a, leave_a) = (enter.clone(), leave.clone());
    group.delay(Duration::ZERO, move || {
        enter_a();
        // B runs while A waits (A does not count then).
        let (enter_b, leave_b) = (enter_a.clone(), leave_a.clone());
        inner.delay(Duration::ZERO, move || {
            enter_b();
            leave_b();
        });
        leave_a();
        let outcome = inner.wait();
        enter_a();
        // C is due at once; with the cap it must wait until A returns.
        let (enter_c, leave_c) = (enter_a.clone(), leave_a.clone());
        inner.delay(Duration::ZERO, move || {
            enter_c();
            leave_c();
        });
        std::thread::sleep(Duration::from_millis(100));
        leave_a();
        done.send(outcome).unwrap();
    });
    assert_eq!(finished.recv_timeout(STEP_TIMEOUT).expect("hung"), Ok(()));
    assert_eq!(group.wait(), Ok(()));
    assert_eq!(group.stats().fired, 3);
    assert_eq!(
        most.load(Ordering::SeqCst),
        1,
        "two tasks ran at once under a cap of 1"
    );
}
