//! `Group::wait` and `Group::wait_timeout`: they return once no task is
//! pending or running, never sleeping through that moment (invariant 3),
//! with the stop reason or the panics, from any number of threads.

// Builds groups: under `--features loom` their threads and locks are loom's,
// which work only inside a loom model (`loom-tests/` has those).
#![cfg(not(feature = "loom"))]

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use schedgroup::{Error, Group, ManualClock};
use support::manual::manual_group;
use support::{quiet_intentional_panics, wait_within, within, Rng, INTENTIONAL, STEP_TIMEOUT};

const MS: Duration = Duration::from_millis(1);
const HOUR: Duration = Duration::from_secs(3600);

// ===========================================================================
// wait
// ===========================================================================

/// `wait` wakes when the last task finishes, however the race falls.
#[test]
fn inv3_wait_wakes_when_the_last_task_finishes() {
    let group = Group::new();
    let mut rng = Rng::new(3);
    for _ in 0..100 {
        let done = Arc::new(AtomicBool::new(false));
        let d = done.clone();
        let spin = Duration::from_micros(rng.below(500));
        group.delay(Duration::from_micros(rng.below(2_000)), move || {
            let until = Instant::now() + spin;
            while Instant::now() < until {}
            d.store(true, Ordering::SeqCst);
        });
        assert_eq!(wait_within(&group, STEP_TIMEOUT), Ok(()));
        assert!(
            done.load(Ordering::SeqCst),
            "wait returned before the task finished"
        );
    }
}

/// `wait` wakes when the last pending task is canceled through its handle,
/// or when the group is canceled.
#[test]
fn inv3_wait_wakes_when_the_last_task_is_canceled() {
    let group = Group::new();
    let handle = group.delay(HOUR, || {});
    let waiter = {
        let group = group.clone();
        thread::spawn(move || group.wait())
    };
    thread::sleep(50 * MS);
    assert!(!waiter.is_finished(), "wait returned with a task pending");
    assert!(handle.cancel());
    let waited = within("wait after the last cancel", STEP_TIMEOUT, move || {
        waiter.join().unwrap()
    });
    assert_eq!(waited, Ok(()));

    group.delay(HOUR, || {});
    let waiter = {
        let group = group.clone();
        thread::spawn(move || group.wait())
    };
    thread::sleep(50 * MS);
    assert!(!waiter.is_finished(), "wait returned with a task pending");
    group.cancel();
    let waited = within("wait after group cancel", STEP_TIMEOUT, move || {
        waiter.join().unwrap()
    });
    assert_eq!(waited, Err(Error::Canceled));
}

#[test]
fn wait_from_four_threads_at_once() {
    let group = Group::new();
    for i in 1..=5 {
        group.delay(10 * MS * i, || {});
    }
    let waiters: Vec<_> = (0..4)
        .map(|_| {
            let group = group.clone();
            thread::spawn(move || group.wait())
        })
        .collect();
    for waiter in waiters {
        let waited = within("one of four waiters", STEP_TIMEOUT, move || {
            waiter.join().unwrap()
        });
        assert_eq!(waited, Ok(()));
    }
    assert!(group.is_empty());

    // And all four see a cancellation.
    group.delay(HOUR, || {});
    let waiters: Vec<_> = (0..4)
        .map(|_| {
            let group = group.clone();
            thread::spawn(move || group.wait())
        })
        .collect();
    thread::sleep(50 * MS);
    group.cancel();
    for waiter in waiters {
        let waited = within("one of four waiters", STEP_TIMEOUT, move || {
            waiter.join().unwrap()
        });
        assert_eq!(waited, Err(Error::Canceled));
    }
}

/// After `cancel`, `wait` returns only once the task already running has
/// finished.
#[test]
fn wait_after_cancel_waits_for_the_running_task() {
    let group = Group::new();
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let finished = Arc::new(AtomicBool::new(false));
    let f = finished.clone();
    group.schedule(Instant::now(), move || {
        started_tx.send(()).unwrap();
        let _ = release_rx.recv_timeout(STEP_TIMEOUT);
        thread::sleep(20 * MS);
        f.store(true, Ordering::SeqCst);
    });
    group.delay(HOUR, || {});
    started_rx
        .recv_timeout(STEP_TIMEOUT)
        .expect("the task never started");
    group.cancel();
    let waiter = {
        let (group, finished) = (group.clone(), finished.clone());
        thread::spawn(move || {
            let waited = group.wait();
            (waited, finished.load(Ordering::SeqCst))
        })
    };
    thread::sleep(200 * MS);
    assert!(
        !waiter.is_finished(),
        "wait returned while a task was running"
    );
    release_tx.send(()).unwrap();
    let (waited, task_finished) = within("wait after the running task", STEP_TIMEOUT, move || {
        waiter.join().unwrap()
    });
    assert_eq!(waited, Err(Error::Canceled));
    assert!(
        task_finished,
        "wait returned before the running task finished"
    );
}

// ===========================================================================
// wait_timeout: Ok(true) once idle, Ok(false) when the time runs out first
//
// Pending work sits on a `ManualClock`, so whether the group is idle is
// decided by the test, not by timing; the timeouts themselves are real time
// (checked as lower bounds only: never early).
// ===========================================================================

#[test]
fn an_idle_group_answers_true_at_once() {
    let group = Group::new();
    assert_eq!(group.wait_timeout(Duration::ZERO), Ok(true));
    let start = Instant::now();
    assert_eq!(group.wait_timeout(HOUR), Ok(true));
    assert!(start.elapsed() < STEP_TIMEOUT);
    // And again after work.
    group.delay(MS, || {});
    assert_eq!(group.wait_timeout(STEP_TIMEOUT), Ok(true));
    assert_eq!(group.len(), 0);
}

/// A pending task: `Ok(false)`, and not before the timeout.
#[test]
fn a_busy_group_times_out_with_false() {
    let clock = ManualClock::new();
    let group = manual_group(&clock);
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
    let clock = ManualClock::new();
    let group = manual_group(&clock);
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    group.delay(HOUR, move || r.store(true, Ordering::SeqCst));
    let advancing = thread::spawn(move || {
        thread::sleep(30 * MS);
        clock.advance(HOUR);
    });
    let g = group.clone();
    let start = Instant::now();
    let waited = within("wait_timeout", STEP_TIMEOUT, move || {
        g.wait_timeout(4 * STEP_TIMEOUT)
    });
    assert_eq!(waited, Ok(true));
    assert!(start.elapsed() < 4 * STEP_TIMEOUT);
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
        within("wait_timeout", STEP_TIMEOUT, move || g
            .wait_timeout(4 * STEP_TIMEOUT)),
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
        release_rx.recv_timeout(STEP_TIMEOUT).unwrap();
    });
    started_rx
        .recv_timeout(STEP_TIMEOUT)
        .expect("the task never started");
    assert_eq!(group.len(), 0);
    assert_eq!(group.wait_timeout(20 * MS), Ok(false));
    release_tx.send(()).unwrap();
    let g = group.clone();
    assert_eq!(
        within("wait_timeout", STEP_TIMEOUT, move || g
            .wait_timeout(STEP_TIMEOUT)),
        Ok(true)
    );
}

/// The errors of `wait`, once idle: canceled, deadline exceeded, panicked.
/// A panic with work still pending is not idle: `Ok(false)`.
#[test]
fn reports_the_errors_of_wait() {
    quiet_intentional_panics();
    let clock = ManualClock::new();
    let group = manual_group(&clock);
    group.delay(HOUR, || {});
    group.cancel();
    assert_eq!(group.wait_timeout(Duration::ZERO), Err(Error::Canceled));
    assert_eq!(group.wait_timeout(STEP_TIMEOUT), Err(Error::Canceled));

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
        within("wait_timeout", STEP_TIMEOUT, move || g
            .wait_timeout(STEP_TIMEOUT)),
        Err(Error::DeadlineExceeded)
    );

    let clock = ManualClock::new();
    let group = manual_group(&clock);
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
    assert_eq!(group.wait_timeout(STEP_TIMEOUT), Err(panicked.clone()));
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
        within("wait_timeout(MAX)", STEP_TIMEOUT, move || g
            .wait_timeout(Duration::MAX)),
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
        let idle = inner.wait_timeout(STEP_TIMEOUT);
        let far = inner.delay(HOUR, || {});
        let busy = inner.wait_timeout(10 * MS);
        far.cancel();
        tx.send((idle, o.load(Ordering::SeqCst), busy)).unwrap();
    });
    let (idle, other_done, busy) = rx.recv_timeout(2 * STEP_TIMEOUT).expect("hang");
    assert_eq!(idle, Ok(true));
    assert!(other_done, "returned before the other task ran");
    assert_eq!(busy, Ok(false));
    let g = group.clone();
    assert_eq!(within("wait", STEP_TIMEOUT, move || g.wait()), Ok(()));
}
