//! A closure whose captures panic when dropped, on every path by which the
//! group drops closures unrun: the panic never unwinds out of the group's
//! calls or threads, the group's bookkeeping completes, `wait()` returns,
//! the closure counts as canceled and the panic as a panic.

// Builds groups: under `--features loom` their threads and locks are loom's,
// which work only inside a loom model (`loom-tests/` has those).
#![cfg(not(feature = "loom"))]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use schedgroup::{Error, Group, ManualClock};

mod common;
use common::{
    count_named, exclusive, shared, wait_for, wait_patiently, DropCounter, DRIVER_COMM,
    INTENTIONAL, PATIENCE, SOON, WORKER_COMM,
};

const HOUR: Duration = Duration::from_secs(3600);

/// Panics when dropped (quietly: the test hook knows the message).
struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        panic!("{INTENTIONAL}: a capture's drop");
    }
}

/// A closure that captures a [`Bomb`] and must never run.
fn armed() -> impl FnOnce() + Send + 'static {
    let bomb = Bomb;
    move || {
        let _bomb = bomb;
        unreachable!("an armed closure ran");
    }
}

/// Whether `f` returned without unwinding.
fn returns(f: impl FnOnce()) -> bool {
    catch_unwind(AssertUnwindSafe(f)).is_ok()
}

fn is_panicked(outcome: &Result<(), Error>, expected: usize) -> bool {
    matches!(outcome, Err(Error::Panicked { count, message: Some(m) })
        if *count == expected && m.contains(INTENTIONAL))
}

#[test]
fn canceling_the_task_contains_the_panic_and_counts_it() {
    let _gate = shared();
    let group = Group::new();
    let handle = group.delay(HOUR, armed());
    let mut canceled = false;
    assert!(returns(|| canceled = handle.cancel()), "cancel unwound");
    assert!(canceled, "cancel said the task was not pending");
    assert!(!handle.is_pending());
    let outcome = wait_patiently(&group);
    assert!(is_panicked(&outcome, 1), "{outcome:?}");
    let stats = group.stats();
    assert_eq!((stats.pending, stats.canceled, stats.panicked), (0, 1, 1));
}

#[test]
fn canceling_the_group_drops_every_closure_and_wait_returns() {
    let _gate = shared();
    let group = Group::new();
    let drops = DropCounter::new();
    for i in 0..50u64 {
        let token = drops.token();
        group.delay(HOUR + Duration::from_secs(i), move || drop(token));
        if i % 10 == 3 {
            group.delay(HOUR, armed());
        }
    }
    assert!(returns(|| group.cancel()), "Group::cancel unwound");
    assert_eq!(
        drops.dropped(),
        50,
        "a closure survived the panic of another"
    );
    assert_eq!(group.len(), 0);
    assert_eq!(wait_patiently(&group), Err(Error::Canceled));
    let stats = group.stats();
    assert_eq!((stats.canceled, stats.panicked), (55, 5));
}

#[test]
fn the_deadline_passing_keeps_the_driver_alive() {
    let _gate = shared();
    let group = Group::builder()
        .deadline(Instant::now() + Duration::from_millis(30))
        .build();
    group.delay(HOUR, armed());
    assert_eq!(wait_patiently(&group), Err(Error::DeadlineExceeded));
    assert_eq!(group.stats().canceled, 1);
    // The driver survived: a late schedule is refused and counted, and the
    // group's drop completes under the watchdog.
    group.delay(HOUR, || {});
    assert_eq!(group.stats().canceled, 2);
    common::watchdog("dropping the group", move || drop(group));
}

#[test]
fn cancel_with_a_queued_closure_behind_a_running_task_settles_the_count() {
    let _gate = shared();
    let group = Group::builder().max_concurrency(1).build();
    let (started, running) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    group.delay(Duration::ZERO, move || {
        started.send(()).unwrap();
        let _ = released.recv_timeout(PATIENCE);
    });
    running
        .recv_timeout(PATIENCE)
        .expect("the first task never ran");
    // Due now, queued behind the running task (the cap is 1).
    group.delay(Duration::ZERO, armed());
    wait_for("the armed task to be due", SOON, || group.is_empty());
    assert!(returns(|| group.cancel()), "Group::cancel unwound");
    release.send(()).unwrap();
    assert_eq!(wait_patiently(&group), Err(Error::Canceled));
    let stats = group.stats();
    assert_eq!((stats.running, stats.canceled, stats.panicked), (0, 1, 1));
}

#[test]
fn scheduling_after_a_stop_contains_the_panic() {
    let _gate = shared();
    let group = Group::new();
    group.cancel();
    let mut handle = None;
    assert!(returns(|| handle = Some(group.delay(HOUR, armed()))));
    assert!(!handle.unwrap().is_pending());
    assert!(returns(|| {
        group.schedule(Instant::now(), armed());
    }));
    assert_eq!(wait_patiently(&group), Err(Error::Canceled));
    assert_eq!(group.stats().canceled, 2);
}

#[test]
fn canceling_a_series_contains_the_panic() {
    let _gate = shared();
    let group = Group::new();
    let bomb = Bomb;
    let series = group.every(HOUR, move || {
        let _ = &bomb;
    });
    let mut canceled = false;
    assert!(
        returns(|| canceled = series.cancel()),
        "series cancel unwound"
    );
    assert!(canceled);
    let outcome = wait_patiently(&group);
    assert!(is_panicked(&outcome, 1), "{outcome:?}");
}

#[test]
fn canceling_the_group_with_a_series_contains_the_panic() {
    let _gate = shared();
    let group = Group::new();
    let bomb = Bomb;
    group.every(HOUR, move || {
        let _ = &bomb;
    });
    assert!(returns(|| group.cancel()), "Group::cancel unwound");
    assert_eq!(wait_patiently(&group), Err(Error::Canceled));
    assert_eq!(group.stats().panicked, 1);
}

#[test]
fn a_manual_clock_reaching_the_deadline_contains_the_panic() {
    let _gate = shared();
    let clock = ManualClock::new();
    let group = Group::builder()
        .clock(clock.clone())
        .deadline(clock.now() + Duration::from_secs(1))
        .build();
    group.delay(HOUR, armed());
    let advancing = clock.clone();
    let advanced = common::watchdog("advance", move || returns(|| advancing.advance(HOUR)));
    assert!(advanced, "ManualClock::advance unwound");
    assert_eq!(wait_patiently(&group), Err(Error::DeadlineExceeded));
}

#[test]
fn dropping_the_group_contains_the_panic_and_its_threads_exit() {
    let _gate = exclusive();
    let group = Group::builder().keep_alive(Duration::MAX).build();
    // A worker exists (keep-alive forever) and a closure is pending.
    let (ran, done) = mpsc::channel();
    group.delay(Duration::ZERO, move || ran.send(()).unwrap());
    done.recv_timeout(PATIENCE)
        .expect("the first task never ran");
    group.delay(HOUR, armed());
    assert!(returns(move || drop(group)), "dropping the group unwound");
    wait_for("the driver and the worker to exit", PATIENCE, || {
        count_named(DRIVER_COMM) == 0 && count_named(WORKER_COMM) == 0
    });
}
