//! `wait()` called from inside the group's own tasks must not wait for itself.

// Builds groups: under `--features loom` their threads and locks are loom's,
// which work only inside a loom model (`loom-tests/` has those).
#![cfg(not(feature = "loom"))]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use schedgroup::Group;

const GENEROUS: Duration = Duration::from_secs(20);

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
    let (result, done_when_returned) = seen.recv_timeout(GENEROUS).expect("wait in task hung");
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
            seen.recv_timeout(GENEROUS).expect("a waiting task hung"),
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
    let (result, ran_when_returned) = seen.recv_timeout(GENEROUS).expect("hung");
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
        .recv_timeout(GENEROUS)
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
    let (result, ran_when_returned) = seen.recv_timeout(GENEROUS).expect("claimed tasks stranded");
    assert_eq!(result, Ok(()));
    assert_eq!(ran_when_returned, 1000);
    assert_eq!(group.wait(), Ok(()));
}
