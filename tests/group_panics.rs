//! Panics: a panicking task harms nobody (invariant 7), and a closure whose
//! captures panic when dropped never unwinds out of the group's calls or
//! threads, on every path by which the group drops closures unrun.

// Builds groups: under `--features loom` their threads and locks are loom's,
// which work only inside a loom model (`loom-tests/` has those).
#![cfg(not(feature = "loom"))]

mod support;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use schedgroup::{Error, Group, ManualClock};
use support::{
    armed, quiet_intentional_panics, returns, wait_for, wait_within, within, Bomb, DropCounter,
    IntentionalPayload, INTENTIONAL, STEP_TIMEOUT,
};

const MS: Duration = Duration::from_millis(1);
const HOUR: Duration = Duration::from_secs(3600);

// ===========================================================================
// A panicking task harms nobody (invariant 7)
// ===========================================================================

/// With one worker (kept alive for an hour), three of ten tasks panic: the
/// others run on the very same worker thread, `wait` reports the count and
/// the first message, and the group keeps working, reporting forever after.
#[test]
fn inv7_panicking_tasks_harm_nobody() {
    quiet_intentional_panics();
    let group = Group::builder().max_concurrency(1).keep_alive(HOUR).build();
    let ran = Arc::new(AtomicUsize::new(0));
    let workers = Arc::new(Mutex::new(HashSet::new()));
    for i in 1..=10u32 {
        let (ran, workers) = (ran.clone(), workers.clone());
        group.delay(MS * i, move || {
            workers.lock().unwrap().insert(thread::current().id());
            match i {
                2 | 5 => panic!("{INTENTIONAL} #{i}"),
                7 => std::panic::panic_any(IntentionalPayload),
                _ => ran.fetch_add(1, Ordering::SeqCst),
            };
        });
    }
    let first = format!("{INTENTIONAL} #2");
    let error = Error::Panicked {
        count: 3,
        message: Some(first.clone()),
    };
    let expected = Err(error.clone());
    assert_eq!(wait_within(&group, STEP_TIMEOUT), expected);
    assert_eq!(ran.load(Ordering::SeqCst), 7);
    assert_eq!(
        workers.lock().unwrap().len(),
        1,
        "a worker died with its task"
    );
    // The driver and the worker go on; the report is sticky.
    let (tx, rx) = mpsc::channel();
    group.delay(MS, move || tx.send(thread::current().id()).unwrap());
    let id = rx
        .recv_timeout(STEP_TIMEOUT)
        .expect("the group stopped after a panic");
    assert!(
        workers.lock().unwrap().contains(&id),
        "the worker was replaced"
    );
    assert_eq!(wait_within(&group, STEP_TIMEOUT), expected);
    let shown = error.to_string();
    assert!(shown.contains('3') && shown.contains(&first), "{shown}");
}

/// Panics on many workers at once are all counted.
#[test]
fn inv7_concurrent_panics_are_all_counted() {
    quiet_intentional_panics();
    let group = Group::builder().max_concurrency(4).build();
    let ran = Arc::new(AtomicUsize::new(0));
    for i in 0..40 {
        let ran = ran.clone();
        group.schedule(Instant::now(), move || {
            if i % 4 == 0 {
                panic!("{INTENTIONAL}");
            }
            ran.fetch_add(1, Ordering::SeqCst);
        });
    }
    let waited = wait_within(&group, STEP_TIMEOUT);
    assert!(
        matches!(&waited, Err(Error::Panicked { count: 10, message: Some(m) }) if m == INTENTIONAL),
        "{waited:?}"
    );
    assert_eq!(ran.load(Ordering::SeqCst), 30);
}

/// The stop reason wins over panics in `wait`'s report.
#[test]
fn inv7_cancel_wins_over_panics() {
    quiet_intentional_panics();
    let group = Group::new();
    group.schedule(Instant::now(), || panic!("{INTENTIONAL}"));
    assert!(matches!(
        wait_within(&group, STEP_TIMEOUT),
        Err(Error::Panicked { count: 1, .. })
    ));
    group.cancel();
    assert_eq!(wait_within(&group, STEP_TIMEOUT), Err(Error::Canceled));
}

// ===========================================================================
// A panicking drop of a closure's captures
//
// On every path by which the group drops closures unrun: the panic never
// unwinds out of the group's calls or threads, the group's bookkeeping
// completes, `wait()` returns, the closure counts as canceled and the panic
// as a panic.
// ===========================================================================

fn is_panicked(outcome: &Result<(), Error>, expected: usize) -> bool {
    matches!(outcome, Err(Error::Panicked { count, message: Some(m) })
        if *count == expected && m.contains(INTENTIONAL))
}

#[test]
fn canceling_the_task_contains_the_panic_and_counts_it() {
    quiet_intentional_panics();
    let group = Group::new();
    let handle = group.delay(HOUR, armed());
    let mut canceled = false;
    assert!(returns(|| canceled = handle.cancel()), "cancel unwound");
    assert!(canceled, "cancel said the task was not pending");
    assert!(!handle.is_pending());
    let outcome = wait_within(&group, STEP_TIMEOUT);
    assert!(is_panicked(&outcome, 1), "{outcome:?}");
    let stats = group.stats();
    assert_eq!((stats.pending, stats.canceled, stats.panicked), (0, 1, 1));
}

#[test]
fn canceling_the_group_drops_every_closure_and_wait_returns() {
    quiet_intentional_panics();
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
    assert_eq!(wait_within(&group, STEP_TIMEOUT), Err(Error::Canceled));
    let stats = group.stats();
    assert_eq!((stats.canceled, stats.panicked), (55, 5));
}

#[test]
fn the_deadline_passing_keeps_the_driver_alive() {
    quiet_intentional_panics();
    let group = Group::builder()
        .deadline(Instant::now() + Duration::from_millis(30))
        .build();
    group.delay(HOUR, armed());
    assert_eq!(
        wait_within(&group, STEP_TIMEOUT),
        Err(Error::DeadlineExceeded)
    );
    assert_eq!(group.stats().canceled, 1);
    // The driver survived: a late schedule is refused and counted, and the
    // group's drop completes under the watchdog.
    group.delay(HOUR, || {});
    assert_eq!(group.stats().canceled, 2);
    within("dropping the group", STEP_TIMEOUT, move || drop(group));
}

#[test]
fn cancel_with_a_queued_closure_behind_a_running_task_settles_the_count() {
    quiet_intentional_panics();
    let group = Group::builder().max_concurrency(1).build();
    let (started, running) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    group.delay(Duration::ZERO, move || {
        started.send(()).unwrap();
        let _ = released.recv_timeout(STEP_TIMEOUT);
    });
    running
        .recv_timeout(STEP_TIMEOUT)
        .expect("the first task never ran");
    // Due now, queued behind the running task (the cap is 1).
    group.delay(Duration::ZERO, armed());
    wait_for("the armed task to be due", STEP_TIMEOUT, || {
        group.is_empty()
    });
    assert!(returns(|| group.cancel()), "Group::cancel unwound");
    release.send(()).unwrap();
    assert_eq!(wait_within(&group, STEP_TIMEOUT), Err(Error::Canceled));
    let stats = group.stats();
    assert_eq!((stats.running, stats.canceled, stats.panicked), (0, 1, 1));
}

#[test]
fn scheduling_after_a_stop_contains_the_panic() {
    quiet_intentional_panics();
    let group = Group::new();
    group.cancel();
    let mut handle = None;
    assert!(returns(|| handle = Some(group.delay(HOUR, armed()))));
    assert!(!handle.unwrap().is_pending());
    assert!(returns(|| {
        group.schedule(Instant::now(), armed());
    }));
    assert_eq!(wait_within(&group, STEP_TIMEOUT), Err(Error::Canceled));
    assert_eq!(group.stats().canceled, 2);
}

#[test]
fn canceling_a_series_contains_the_panic() {
    quiet_intentional_panics();
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
    let outcome = wait_within(&group, STEP_TIMEOUT);
    assert!(is_panicked(&outcome, 1), "{outcome:?}");
}

#[test]
fn canceling_the_group_with_a_series_contains_the_panic() {
    quiet_intentional_panics();
    let group = Group::new();
    let bomb = Bomb;
    group.every(HOUR, move || {
        let _ = &bomb;
    });
    assert!(returns(|| group.cancel()), "Group::cancel unwound");
    assert_eq!(wait_within(&group, STEP_TIMEOUT), Err(Error::Canceled));
    assert_eq!(group.stats().panicked, 1);
}

#[test]
fn a_manual_clock_reaching_the_deadline_contains_the_panic() {
    quiet_intentional_panics();
    let clock = ManualClock::new();
    let group = Group::builder()
        .clock(clock.clone())
        .deadline(clock.now() + Duration::from_secs(1))
        .build();
    group.delay(HOUR, armed());
    let advancing = clock.clone();
    let advanced = within("advance", STEP_TIMEOUT, move || {
        returns(|| advancing.advance(HOUR))
    });
    assert!(advanced, "ManualClock::advance unwound");
    assert_eq!(
        wait_within(&group, STEP_TIMEOUT),
        Err(Error::DeadlineExceeded)
    );
}
