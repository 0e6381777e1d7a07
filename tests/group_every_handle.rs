//! The handle of a `Group::every` series: `cancel` ends it (releasing its
//! closure at once) and `reset` re-anchors it.
//!
//! Run instants are checked exactly on a `ManualClock`; real time only
//! where the behaviour is about real time passing.

// Builds groups: under `--features loom` their threads and locks are loom's,
// which work only inside a loom model (`loom-tests/` has those).
#![cfg(not(feature = "loom"))]

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::thread;
use std::time::Duration;

use schedgroup::{Error, Group, TaskHandle};
use support::manual::{ms, Manual};
use support::{far_past, wait_for, wait_within, within, STEP_TIMEOUT};

const MS: Duration = Duration::from_millis(1);
const HOUR: Duration = Duration::from_secs(3600);

// ===========================================================================
// cancel()
// ===========================================================================

/// `cancel` stops the series: `true` while live, `false` after; no run
/// after it; the group becomes idle; the pending occurrence counts as one
/// canceled task.
#[test]
fn cancel_stops_the_series() {
    let m = Manual::new(MS);
    let series = m.group.every(10 * MS, m.recorder());
    let clone = series.clone();
    m.advance(35 * MS);
    assert_eq!(m.runs(), ms(&[10, 20, 30]));
    assert!(series.is_pending());
    assert!(clone.cancel());
    assert!(!series.cancel(), "canceled twice");
    assert!(!clone.cancel());
    assert!(!series.is_pending());
    assert!(
        !series.reset(m.clock.now()),
        "reset revived a canceled series"
    );
    assert_eq!(m.group.len(), 0);
    m.advance(HOUR);
    assert_eq!(m.runs(), ms(&[10, 20, 30]));
    assert_eq!(m.group.wait(), Ok(()));
    let stats = m.group.stats();
    assert_eq!((stats.fired, stats.canceled, stats.pending), (3, 1, 0));
}

/// A run may cancel its own series: `true`, and no run after it.
#[test]
fn a_run_can_cancel_its_own_series() {
    let m = Manual::new(MS);
    let handle: Arc<OnceLock<TaskHandle>> = Arc::default();
    let answers = Arc::new(Mutex::new(Vec::new()));
    let (h, a) = (handle.clone(), answers.clone());
    let (mut record, mut n) = (m.recorder(), 0);
    let series = m.group.every(10 * MS, move || {
        record();
        n += 1;
        if n == 2 {
            a.lock().unwrap().push(h.get().unwrap().cancel());
        }
    });
    handle.set(series.clone()).unwrap();
    m.advance(100 * MS);
    assert_eq!(m.runs(), ms(&[10, 20]));
    assert_eq!(*answers.lock().unwrap(), [true]);
    assert!(!series.is_pending());
    assert_eq!(m.group.len(), 0);
    assert_eq!(m.group.wait(), Ok(()));
}

/// `cancel` while a run is in progress: `true`; that run finishes, and no
/// run starts after `cancel` returned.
#[test]
fn cancel_during_a_run_lets_it_finish_and_stops_the_rest() {
    let m = Manual::new(MS);
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let release_rx = Mutex::new(release_rx);
    let finished = Arc::new(AtomicUsize::new(0));
    let token = Arc::new(());
    let (f, mut record, captured) = (finished.clone(), m.recorder(), token.clone());
    let series = m.group.every(10 * MS, move || {
        let _ = &captured;
        record();
        started_tx.send(()).unwrap();
        release_rx
            .lock()
            .unwrap()
            .recv_timeout(STEP_TIMEOUT)
            .unwrap();
        f.fetch_add(1, Ordering::SeqCst);
    });
    let advancing = {
        let clock = m.clock.clone();
        thread::spawn(move || clock.advance(10 * MS))
    };
    started_rx
        .recv_timeout(STEP_TIMEOUT)
        .expect("run 1 never started");
    assert!(series.cancel(), "cancel of a live series said false");
    assert!(!series.is_pending());
    release_tx.send(()).unwrap();
    within("advance", STEP_TIMEOUT, move || advancing.join().unwrap());
    assert_eq!(
        finished.load(Ordering::SeqCst),
        1,
        "the running run was cut"
    );
    assert_eq!(
        Arc::strong_count(&token),
        1,
        "the closure outlived the run that ended its canceled series"
    );
    m.advance(HOUR);
    assert_eq!(m.runs(), ms(&[10]));
    assert_eq!(m.group.len(), 0);
    assert_eq!(m.group.wait(), Ok(()));
}

/// In real time, on a fast series: once `cancel` returned (and `wait` let
/// the run in progress finish), nothing runs any more.
#[test]
fn no_run_starts_after_cancel_in_real_time() {
    let group = Group::new();
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let series = group.every(MS, move || {
        r.fetch_add(1, Ordering::SeqCst);
    });
    wait_for("three runs", STEP_TIMEOUT, || {
        runs.load(Ordering::SeqCst) >= 3
    });
    assert!(series.cancel());
    assert_eq!(wait_within(&group, STEP_TIMEOUT), Ok(()));
    let after = runs.load(Ordering::SeqCst);
    thread::sleep(30 * MS);
    assert_eq!(runs.load(Ordering::SeqCst), after, "ran after cancel");
    assert_eq!(group.len(), 0);
}

/// Canceling the group ends the series: no more runs, the handle says it
/// is over, `wait` says Canceled.
#[test]
fn group_cancel_ends_the_series() {
    let m = Manual::new(MS);
    let series = m.group.every(10 * MS, m.recorder());
    m.advance(20 * MS);
    m.group.cancel();
    assert!(!series.is_pending());
    assert!(!series.cancel(), "the group already ended it");
    assert!(!series.reset(m.clock.now() + MS));
    m.advance(HOUR);
    assert_eq!(m.runs(), ms(&[10, 20]));
    assert_eq!(m.group.wait(), Err(Error::Canceled));
}

/// Invariant 2 and `TaskHandle::cancel`'s contract: when `cancel` returns
/// `true`, the closure (with its captures) has been dropped. Likewise when
/// the group is canceled. Here the handle is still held, as a struct that
/// owns a series would hold it.
#[test]
fn cancel_drops_the_series_closure() {
    let m = Manual::new(MS);
    let token = Arc::new(());
    let captured = token.clone();
    let series = m.group.every(10 * MS, move || {
        let _ = &captured;
    });
    m.advance(20 * MS);
    assert_eq!(Arc::strong_count(&token), 2);
    assert!(series.cancel());
    assert_eq!(
        Arc::strong_count(&token),
        1,
        "cancel returned true but the closure's captures are alive"
    );

    let captured = token.clone();
    let other = m.group.every(10 * MS, move || {
        let _ = &captured;
    });
    m.group.cancel();
    assert!(!other.is_pending());
    assert_eq!(
        Arc::strong_count(&token),
        1,
        "the group was canceled but the closure's captures are alive"
    );
}

/// A periodic series is a scheduled task too: once `cancel` returns true
/// its closure's captures are released, even while its handle lives on.
#[test]
fn inv2_canceled_series_releases_its_closure() {
    let group = Group::new();
    let payload = Arc::new(());
    let p = payload.clone();
    let series = group.every(HOUR, move || {
        let _ = &p;
    });
    assert_eq!(Arc::strong_count(&payload), 2);
    assert!(series.cancel());
    assert!(!series.is_pending());
    assert_eq!(
        Arc::strong_count(&payload),
        1,
        "a canceled series still holds its closure (through its handle)"
    );
    assert_eq!(wait_within(&group, STEP_TIMEOUT), Ok(()));
}

/// Dropping the last group releases a pending series' closure too, even if
/// the series' handle outlives the group.
#[test]
fn inv8_drop_releases_series_closures() {
    let group = Group::new();
    let payload = Arc::new(());
    let p = payload.clone();
    let series = group.every(HOUR, move || {
        let _ = &p;
    });
    drop(group);
    assert!(!series.is_pending());
    assert!(!series.cancel());
    assert_eq!(
        Arc::strong_count(&payload),
        1,
        "the dropped group's series closure is still alive (through its handle)"
    );
}

// ===========================================================================
// reset()
// ===========================================================================

/// `reset(instant)` re-anchors the series: the next run is at `instant`,
/// then every period from there.
#[test]
fn reset_reanchors_the_series() {
    let m = Manual::new(MS);
    let series = m.group.every(10 * MS, m.recorder());
    m.advance(25 * MS);
    assert!(series.reset(m.start + 100 * MS));
    m.advance(74 * MS);
    assert_eq!(m.runs(), ms(&[10, 20]), "ran before the new anchor");
    m.advance(21 * MS);
    assert_eq!(m.runs(), ms(&[10, 20, 100, 110, 120]));
    // Earlier than the next run works too.
    assert!(series.reset(m.start + 123 * MS));
    m.advance(13 * MS);
    assert_eq!(m.runs(), ms(&[10, 20, 100, 110, 120, 123, 133]));
    assert!(series.cancel());
}

/// A run may reset its own series (the reset lands while the run is in
/// progress): the next run is at the new instant.
#[test]
fn a_run_can_reset_its_own_series() {
    let m = Manual::new(MS);
    let handle: Arc<OnceLock<TaskHandle>> = Arc::default();
    let answers = Arc::new(Mutex::new(Vec::new()));
    let (h, a, start) = (handle.clone(), answers.clone(), m.start);
    let mut record = m.recorder();
    let series = m.group.every(10 * MS, move || {
        record();
        let mut answers = a.lock().unwrap();
        if answers.is_empty() {
            answers.push(h.get().unwrap().reset(start + 55 * MS));
        }
    });
    handle.set(series.clone()).unwrap();
    m.advance(70 * MS);
    assert_eq!(*answers.lock().unwrap(), [true]);
    assert_eq!(m.runs(), ms(&[10, 55, 65]));
    assert!(series.cancel());
}

/// A reset to an instant already past makes the next run due at once; the
/// runs after it keep the new anchor's rate, skipping those already past
/// (17 ms here).
#[test]
fn reset_to_the_past_runs_at_once_then_keeps_the_new_rate() {
    let m = Manual::new(MS);
    let series = m.group.every(10 * MS, m.recorder());
    m.advance(25 * MS);
    assert!(series.reset(m.start + 7 * MS));
    m.advance(Duration::ZERO);
    assert_eq!(m.runs(), ms(&[10, 20, 25]));
    // Anchor 7 ms: 17 ms is past, 27 ms is next.
    m.advance(12 * MS);
    assert_eq!(m.runs(), ms(&[10, 20, 25, 27, 37]));
    assert!(series.cancel());
}

/// Run 1 is due but still queued behind another task (one worker) when
/// `reset` is called. The series is live, so `reset` must say `true` and the
/// series must run at the new instant (after the queued run, which is
/// already as good as started, like a running one).
#[test]
fn reset_while_a_run_is_queued() {
    let m = Manual::with(Group::builder().max_concurrency(1));
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    m.group.delay(10 * MS, move || {
        started_tx.send(()).unwrap();
        release_rx.recv_timeout(STEP_TIMEOUT).unwrap();
    });
    let series = m.group.every(10 * MS, m.recorder());
    let advancing = {
        let clock = m.clock.clone();
        thread::spawn(move || clock.advance(10 * MS))
    };
    started_rx
        .recv_timeout(STEP_TIMEOUT)
        .expect("the blocker never started");
    assert_eq!(m.group.len(), 0, "run 1 has not fired");
    let reset = series.reset(m.start + 100 * MS);
    release_tx.send(()).unwrap();
    within("advance", STEP_TIMEOUT, move || advancing.join().unwrap());
    m.advance(100 * MS);
    assert!(
        reset,
        "reset of a live series said false; runs at {:?}",
        m.runs()
    );
    assert_eq!(m.runs(), ms(&[10, 100, 110]));
    assert!(series.cancel());
}

/// A reset to an instant before the group was built is past like any
/// other: the next run is due at once, and the series keeps the new
/// anchor's rate and phase from there, however far back the anchor is.
#[test]
fn reset_to_before_the_group_was_built_runs_at_once_and_keeps_the_rate() {
    let m = Manual::new(MS);
    let series = m.group.every(10 * MS, m.recorder());
    m.advance(3 * MS);
    assert!(series.reset(m.start - Duration::from_millis(1500)));
    m.advance(Duration::ZERO);
    assert_eq!(m.runs(), ms(&[3]), "not at once");
    m.advance(27 * MS);
    assert_eq!(m.runs(), ms(&[3, 10, 20, 30]), "lost its rate");
    assert!(series.cancel());

    // As far back as an `Instant` goes: the phase is the clock's own.
    let m = Manual::new(MS);
    let series = m.group.every(10 * MS, m.recorder());
    m.advance(3 * MS);
    assert!(series.reset(far_past(m.start, Duration::from_secs(1 << 40))));
    m.advance(Duration::ZERO);
    m.advance(40 * MS);
    let runs = m.runs();
    assert_eq!(runs.len(), 5, "{runs:?}");
    assert_eq!(runs[0], 3 * MS, "not at once: {runs:?}");
    assert!(runs[1] > 3 * MS && runs[1] <= 13 * MS, "{runs:?}");
    for pair in runs[1..].windows(2) {
        assert_eq!(pair[1] - pair[0], 10 * MS, "lost its rate: {runs:?}");
    }
    assert!(series.cancel());
}
