//! `ManualClock` at its extremes: far deadlines, `advance` by zero and by
//! `Duration::MAX`, the group's deadline on the manual clock, dropped
//! groups, clones of the clock, and `Group::now`.
//!
//! Everything here is exact: tasks record `clock.now()` when they start, and
//! the tests compare those instants (as offsets from the clock's start) with
//! the deadlines, and the order of starts and ends with deadline order. Real
//! time appears only as "nothing happens while we sleep" and as watchdogs.

// Builds groups: under `--features loom` their threads and locks are loom's,
// which work only inside a loom model (`loom-tests/` has those).
#![cfg(not(feature = "loom"))]

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use schedgroup::{Error, Group, ManualClock};
use support::manual::{at_ms, manual_group, Log};
use support::{advance, within, DropCounter, STEP_TIMEOUT};

const MS: Duration = Duration::from_millis(1);
const SEC: Duration = Duration::from_secs(1);
const HOUR: Duration = Duration::from_secs(3600);

/// Deadlines an hour and a day out sit on the wheel's upper levels; the
/// clock still stops at each exact deadline, not at a slot boundary.
#[test]
fn far_deadlines_run_at_their_exact_instant() {
    let clock = ManualClock::new();
    let log = Log::new(&clock);
    let group = manual_group(&clock);
    group.delay(HOUR, log.task("hour"));
    group.delay(HOUR + MS, log.task("hour+1ms"));
    group.delay(25 * HOUR + 7 * MS, log.task("day"));
    advance(&clock, HOUR - MS);
    assert_eq!(log.starts(), []);
    advance(&clock, MS);
    assert_eq!(log.starts(), [("hour".to_string(), HOUR)]);
    advance(&clock, 30 * HOUR);
    assert_eq!(
        log.starts(),
        [
            ("hour".to_string(), HOUR),
            ("hour+1ms".to_string(), HOUR + MS),
            ("day".to_string(), 25 * HOUR + 7 * MS),
        ]
    );
    assert_eq!(log.now(), 31 * HOUR);
}

/// `advance(Duration::ZERO)` runs what is due now (a zero delay) and
/// returns after it finished.
#[test]
fn advance_by_zero_runs_what_is_due_now() {
    let clock = ManualClock::new();
    let group = manual_group(&clock);
    let done = Arc::new(AtomicUsize::new(0));
    for _ in 0..10 {
        let done = done.clone();
        group.delay(Duration::ZERO, move || {
            thread::sleep(MS);
            done.fetch_add(1, Ordering::SeqCst);
        });
    }
    advance(&clock, Duration::ZERO);
    assert_eq!(done.load(Ordering::SeqCst), 10);
    assert_eq!(group.len(), 0);
}

/// The builder's deadline is on the manual clock: the group runs until
/// `advance` passes it, then stops with `DeadlineExceeded`, dropping the
/// task due later.
#[test]
fn builder_deadline_is_measured_on_the_manual_clock() {
    let clock = ManualClock::new();
    let log = Log::new(&clock);
    let group = Group::builder()
        .clock(clock.clone())
        .deadline(clock.now() + 10 * SEC)
        .build();
    group.delay(5 * SEC, log.task("early"));
    let late_drops = DropCounter::new();
    {
        let guard = late_drops.token();
        let log = log.clone();
        group.delay(20 * SEC, move || {
            let _guard = guard;
            log.start("late");
        });
    }
    // Real time passing does not reach a manual deadline.
    thread::sleep(30 * MS);
    assert_eq!(group.wait_timeout(MS), Ok(false));
    advance(&clock, 5 * SEC);
    assert_eq!(log.starts(), [("early".to_string(), 5 * SEC)]);
    assert_eq!(group.wait_timeout(20 * MS), Ok(false), "stopped early");
    advance(&clock, 6 * SEC);
    let waited = {
        let group = group.clone();
        within("wait after the manual deadline", STEP_TIMEOUT, move || {
            group.wait()
        })
    };
    assert_eq!(waited, Err(Error::DeadlineExceeded));
    assert_eq!(late_drops.dropped(), 1, "late closure kept");
    assert_eq!(group.len(), 0);
    advance(&clock, 20 * SEC);
    assert_eq!(log.starts(), [("early".to_string(), 5 * SEC)]);
}

/// One `advance` that spans both the group's deadline and a later task: the
/// group must stop at its deadline, so the later task never runs (as under
/// real time, where the driver checks the deadline before firing).
///
/// The driver also applies the deadline when woken; here it is parked (50
/// ms of quiet) and the task is on the wheel's first level, so only
/// `advance` itself can stop the group in time.
#[test]
fn one_advance_past_the_deadline_runs_nothing_due_after_it() {
    let clock = ManualClock::new();
    let log = Log::new(&clock);
    let group = Group::builder()
        .clock(clock.clone())
        .deadline(clock.now() + 10 * MS)
        .build();
    group.delay(20 * MS, log.task("after the deadline"));
    thread::sleep(50 * MS); // the driver parks
    advance(&clock, 30 * MS);
    let waited = {
        let group = group.clone();
        within("wait after the manual deadline", STEP_TIMEOUT, move || {
            group.wait()
        })
    };
    assert_eq!(waited, Err(Error::DeadlineExceeded));
    assert_eq!(log.starts(), []);
}

/// "A span past the end of time saturates": with a task an hour out it
/// runs it and returns, with time pinned at the end.
#[test]
fn advance_by_duration_max_saturates() {
    let clock = ManualClock::new();
    let log = Log::new(&clock);
    let group = manual_group(&clock);
    group.delay(HOUR, log.task("hour"));
    advance(&clock, Duration::MAX);
    assert_eq!(log.starts(), [("hour".to_string(), HOUR)]);
    assert!(log.now() >= Duration::from_secs(500 * 365 * 24 * 3600));
}

/// `delay(Duration::MAX)` means "never"; `advance(Duration::MAX)` must still
/// return (it saturates) instead of spinning on a deadline it cannot reach.
#[test]
fn advance_by_duration_max_with_a_never_task_returns() {
    let clock = ManualClock::new();
    let group = manual_group(&clock);
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    group.delay(Duration::MAX, move || r.store(true, Ordering::SeqCst));
    advance(&clock, Duration::MAX);
    assert!(!ran.load(Ordering::SeqCst));
    assert_eq!(group.len(), 1);
}

/// A dropped group's tasks are forgotten by the clock: they do not run and
/// advancing past them neither hangs nor disturbs the other groups.
#[test]
fn dropped_groups_are_forgotten() {
    let clock = ManualClock::new();
    let log = Log::new(&clock);
    let gone = manual_group(&clock);
    let kept = manual_group(&clock);
    gone.delay(10 * MS, log.task("gone"));
    kept.delay(20 * MS, log.task("kept"));
    drop(gone);
    advance(&clock, 30 * MS);
    assert_eq!(log.starts(), at_ms(&[("kept", 20)]));
}

/// Clones of a clock share one time: a group built on one clone is driven
/// by advancing another.
#[test]
fn clones_share_one_time() {
    let clock = ManualClock::new();
    let other = clock.clone();
    let log = Log::new(&clock);
    let group = Group::builder().clock(other.clone()).build();
    for (name, secs) in [("c", 30), ("a", 10), ("b", 20)] {
        group.delay(Duration::from_secs(secs), log.task(name));
    }
    advance(&other, 25 * SEC);
    assert_eq!(clock.now(), other.now());
    assert_eq!(log.now(), 25 * SEC);
    assert_eq!(
        log.starts(),
        [("a".to_string(), 10 * SEC), ("b".to_string(), 20 * SEC)]
    );
    assert_eq!(group.len(), 1);
    let shown = format!("{clock:?}");
    assert!(shown.contains("ManualClock"), "{shown}");
}

#[test]
fn now_is_the_groups_clock() {
    let clock = ManualClock::new();
    let group = Group::builder().clock(clock.clone()).build();
    assert_eq!(group.now(), clock.now());
    thread::sleep(5 * MS);
    assert_eq!(group.now(), clock.now());
    let real = Group::new();
    let before = Instant::now();
    let now = real.now();
    assert!(now >= before && now <= Instant::now());
}
