//! `Group::wait_timeout`: `Ok(true)` once idle, `Ok(false)` when the time
//! runs out first, and `wait`'s errors.
//!
//! Pending work sits on a `ManualClock`, so whether the group is idle is
//! decided by the test, not by timing; the timeouts themselves are real
//! time (checked as lower bounds only: never early).

// Builds groups: under `--features loom` their threads and locks are loom's,
// which work only inside a loom model (`loom-tests/` has those).
#![cfg(not(feature = "loom"))]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use schedgroup::{Error, Group, ManualClock};

mod common;
use common::{quiet_intentional_panics, watchdog as within, INTENTIONAL, PATIENCE as SOON};

const MS: Duration = Duration::from_millis(1);
const HOUR: Duration = Duration::from_secs(3600);

fn manual_group() -> (ManualClock, Group) {
    let clock = ManualClock::new();
    let group = Group::builder().clock(clock.clone()).build();
    (clock, group)
}

#[test]
fn an_idle_group_answers_true_at_once() {
    let group = Group::new();
    assert_eq!(group.wait_timeout(Duration::ZERO), Ok(true));
    let start = Instant::now();
    assert_eq!(group.wait_timeout(HOUR), Ok(true));
    assert!(start.elapsed() < SOON);
    // And again after work.
    group.delay(MS, || {});
    assert_eq!(group.wait_timeout(SOON), Ok(true));
    assert_eq!(group.len(), 0);
}

/// A pending task: `Ok(false)`, and not before the timeout.
#[test]
fn a_busy_group_times_out_with_false() {
    let (_clock, group) = manual_group();
    group.delay(MS, || {});
    assert_eq!(group.wait_timeout(Duration::ZERO), Ok(false));
    for timeout in [MS, 30 * MS] {
        let start = Instant::now();
        assert_eq!(group.wait_timeout(timeout), Ok(false));
        assert!(start.elapsed() >= timeout, "gave up early");
    }
    assert_eq!(group.len(), 1);
}

/// It returns `Ok(true)` when the group becomes idle during the wait: the
/// task has run by then.
#[test]
fn returns_true_once_the_group_goes_idle() {
    let (clock, group) = manual_group();
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    group.delay(HOUR, move || r.store(true, Ordering::SeqCst));
    let advancing = thread::spawn(move || {
        thread::sleep(30 * MS);
        clock.advance(HOUR);
    });
    let g = group.clone();
    let start = Instant::now();
    let waited = within("wait_timeout", move || g.wait_timeout(4 * SOON));
    assert_eq!(waited, Ok(true));
    assert!(start.elapsed() < 4 * SOON);
    assert!(ran.load(Ordering::SeqCst), "idle before the task ran");
    advancing.join().unwrap();

    // Same with a handle cancel instead of a run.
    let handle = group.delay(HOUR, || {});
    let canceler = thread::spawn(move || {
        thread::sleep(30 * MS);
        assert!(handle.cancel());
    });
    let g = group.clone();
    assert_eq!(
        within("wait_timeout", move || g.wait_timeout(4 * SOON)),
        Ok(true)
    );
    canceler.join().unwrap();
}

/// A task in progress keeps the group busy, even with nothing pending.
#[test]
fn a_running_task_keeps_it_busy() {
    let group = Group::new();
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    group.delay(Duration::ZERO, move || {
        started_tx.send(()).unwrap();
        release_rx.recv_timeout(SOON).unwrap();
    });
    started_rx
        .recv_timeout(SOON)
        .expect("the task never started");
    assert_eq!(group.len(), 0);
    assert_eq!(group.wait_timeout(20 * MS), Ok(false));
    release_tx.send(()).unwrap();
    let g = group.clone();
    assert_eq!(
        within("wait_timeout", move || g.wait_timeout(SOON)),
        Ok(true)
    );
}

/// The errors of `wait`, once idle: canceled, deadline exceeded, panicked.
/// A panic with work still pending is not idle: `Ok(false)`.
#[test]
fn reports_the_errors_of_wait() {
    quiet_intentional_panics();
    let (_clock, group) = manual_group();
    group.delay(HOUR, || {});
    group.cancel();
    assert_eq!(group.wait_timeout(Duration::ZERO), Err(Error::Canceled));
    assert_eq!(group.wait_timeout(SOON), Err(Error::Canceled));

    let clock = ManualClock::new();
    let group = Group::builder()
        .clock(clock.clone())
        .deadline(clock.now() + 10 * MS)
        .build();
    group.delay(HOUR, || {});
    assert_eq!(group.wait_timeout(MS), Ok(false));
    clock.advance(10 * MS);
    let g = group.clone();
    assert_eq!(
        within("wait_timeout", move || g.wait_timeout(SOON)),
        Err(Error::DeadlineExceeded)
    );

    let (clock, group) = manual_group();
    group.delay(MS, || panic!("{INTENTIONAL}"));
    let pending = group.delay(HOUR, || {});
    clock.advance(MS);
    assert_eq!(group.stats().panicked, 1);
    assert_eq!(group.wait_timeout(10 * MS), Ok(false), "not idle yet");
    assert!(pending.cancel());
    let panicked = Error::Panicked {
        count: 1,
        message: Some(INTENTIONAL.to_string()),
    };
    assert_eq!(group.wait_timeout(SOON), Err(panicked.clone()));
    assert_eq!(group.wait(), Err(panicked));
}

/// A timeout too large to add to now waits like `wait`.
#[test]
fn duration_max_waits_like_wait() {
    let group = Group::new();
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    group.delay(20 * MS, move || r.store(true, Ordering::SeqCst));
    let g = group.clone();
    assert_eq!(
        within("wait_timeout(MAX)", move || g.wait_timeout(Duration::MAX)),
        Ok(true)
    );
    assert!(ran.load(Ordering::SeqCst));
    assert_eq!(group.wait_timeout(Duration::MAX), Ok(true));
}

/// Called from one of the group's own tasks, it does not wait for itself:
/// `Ok(true)` once the other tasks are done, `Ok(false)` if one is pending
/// past the timeout.
#[test]
fn from_inside_a_task_it_does_not_wait_for_itself() {
    let group = Group::new();
    let other_ran = Arc::new(AtomicBool::new(false));
    let o = other_ran.clone();
    group.delay(30 * MS, move || o.store(true, Ordering::SeqCst));
    let (tx, rx) = mpsc::channel();
    let inner = group.clone();
    let o = other_ran.clone();
    group.delay(Duration::ZERO, move || {
        let idle = inner.wait_timeout(SOON);
        let far = inner.delay(HOUR, || {});
        let busy = inner.wait_timeout(10 * MS);
        far.cancel();
        tx.send((idle, o.load(Ordering::SeqCst), busy)).unwrap();
    });
    let (idle, other_done, busy) = rx.recv_timeout(2 * SOON).expect("hang");
    assert_eq!(idle, Ok(true));
    assert!(other_done, "returned before the other task ran");
    assert_eq!(busy, Ok(false));
    let g = group.clone();
    assert_eq!(within("wait", move || g.wait()), Ok(()));
}
