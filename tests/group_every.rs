//! `Group::every`: fixed-rate periodic tasks; missed runs are skipped, runs
//! never overlap, and a live series keeps the group busy.
//!
//! Run counts and run instants are checked exactly on a `ManualClock` (each
//! run records `clock.now()`); real time is used only where the behaviour
//! is about real time passing (a run that overruns, runs that could
//! overlap), with bounds that hold however slow the machine is. The
//! series' handle (`cancel`, `reset`) is in `group_every_handle.rs`.

// Builds groups: under `--features loom` their threads and locks are loom's,
// which work only inside a loom model (`loom-tests/` has those).
#![cfg(not(feature = "loom"))]

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use schedgroup::{Error, Group};
use support::manual::{ms, Manual};
use support::{quiet_intentional_panics, wait_for, wait_within, within, INTENTIONAL, STEP_TIMEOUT};

const MS: Duration = Duration::from_millis(1);
const HOUR: Duration = Duration::from_secs(3600);

// ===========================================================================
// Fixed rate
// ===========================================================================

/// The first run is one period after the call; run n is due at
/// start + n * period, exactly (deadlines are kept to the microsecond,
/// whatever the tick): with a 1.5 ms period, 1.5, 3, 4.5, 6, ... ms. A
/// "previous run + period" series would drift as soon as a run was late.
#[test]
fn fixed_rate_without_drift() {
    let m = Manual::new(MS);
    let series = m.group.every(Duration::from_micros(1500), m.recorder());
    m.advance(MS);
    assert_eq!(m.runs(), [], "ran before one period");
    m.advance(14 * MS);
    let expected: Vec<Duration> = (1..=10).map(|n| Duration::from_micros(1500 * n)).collect();
    assert_eq!(m.runs(), expected);
    assert!(series.cancel());
}

/// The same instants whether the clock moves in one step or in odd steps.
#[test]
fn run_instants_do_not_depend_on_how_the_clock_moves() {
    let expected: Vec<Duration> = (1..=10).map(|n| 7 * MS * n).collect();
    let steps: [&[u64]; 3] = [&[70], &[3; 24], &[1, 6, 13, 2, 40, 9]];
    for step in steps {
        let m = Manual::new(MS);
        let series = m.group.every(7 * MS, m.recorder());
        for &s in step {
            m.advance(Duration::from_millis(s));
        }
        assert!(m.now() >= 70 * MS);
        assert_eq!(m.runs(), expected, "steps {step:?}");
        assert!(series.cancel());
    }
}

/// A series started later runs relative to its own start, not the group's.
#[test]
fn the_first_run_is_one_period_after_the_call() {
    let m = Manual::new(MS);
    m.advance(13 * MS);
    let series = m.group.every(10 * MS, m.recorder());
    m.advance(9 * MS);
    assert_eq!(m.runs(), []);
    m.advance(21 * MS);
    assert_eq!(m.runs(), ms(&[23, 33, 43]));
    assert!(series.cancel());
}

/// A period below one tick is one tick: on a 10 ms tick, a 1 ms (or zero)
/// period runs once per tick, never several times per tick.
#[test]
fn a_period_below_one_tick_is_one_tick() {
    for period in [MS, Duration::from_nanos(1), Duration::ZERO] {
        let m = Manual::new(10 * MS);
        let series = m.group.every(period, m.recorder());
        m.advance(100 * MS);
        let expected: Vec<Duration> = (1..=10).map(|n| 10 * MS * n).collect();
        assert_eq!(m.runs(), expected, "period {period:?}");
        assert!(series.cancel());
    }
}

/// Any period is accepted: `Duration::MAX` never comes, and does not
/// overflow.
#[test]
fn a_huge_period_is_accepted() {
    let m = Manual::new(MS);
    let series = m.group.every(Duration::MAX, m.recorder());
    assert_eq!(m.group.len(), 1);
    m.advance(1000 * 24 * HOUR);
    assert_eq!(m.runs(), []);
    assert!(series.is_pending());
    assert!(series.cancel());
    assert_eq!(m.group.len(), 0);
}

// ===========================================================================
// Missed runs are skipped, runs never overlap
// ===========================================================================

/// A series re-anchored 100 periods in the past has missed 99 runs: they
/// are skipped, not replayed in a burst. The run filed by the reset is due
/// at once; after it the series resumes at the first deadline of the new
/// anchor not yet past (1 ms + 100 x 10 ms).
#[test]
fn missed_runs_are_skipped_not_replayed() {
    let m = Manual::new(MS);
    m.advance(1000 * MS);
    let series = m.group.every(10 * MS, m.recorder());
    m.advance(10 * MS);
    assert_eq!(m.runs(), ms(&[1010]));
    assert!(series.reset(m.start + MS));
    m.advance(Duration::ZERO);
    assert_eq!(m.runs(), ms(&[1010, 1010]), "the reset run is due at once");
    assert_eq!(m.group.len(), 1);
    m.advance(30 * MS);
    assert_eq!(m.runs(), ms(&[1010, 1010, 1011, 1021, 1031]));
    assert_eq!(m.group.stats().fired, 5, "missed runs were replayed");
    assert!(series.cancel());
}

/// A second `advance` while a run is in progress waits for it before it
/// moves the clock, so no time passes during the run and nothing is
/// missed: every later run is at its own deadline.
#[test]
fn a_concurrent_advance_lets_the_run_finish_first() {
    let m = Manual::new(MS);
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let release_rx = Mutex::new(release_rx);
    let (mut record, mut n) = (m.recorder(), 0);
    let series = m.group.every(10 * MS, move || {
        record();
        n += 1;
        if n == 1 {
            started_tx.send(()).unwrap();
            release_rx
                .lock()
                .unwrap()
                .recv_timeout(STEP_TIMEOUT)
                .unwrap();
        }
    });
    let first = {
        let clock = m.clock.clone();
        thread::spawn(move || clock.advance(10 * MS))
    };
    started_rx
        .recv_timeout(STEP_TIMEOUT)
        .expect("run 1 never started");
    let second = {
        let clock = m.clock.clone();
        thread::spawn(move || clock.advance(35 * MS))
    };
    thread::sleep(20 * MS);
    release_tx.send(()).unwrap();
    within("both advances", STEP_TIMEOUT, move || {
        first.join().unwrap();
        second.join().unwrap();
    });
    assert_eq!(m.runs(), ms(&[10, 20, 30, 40]));
    assert_eq!(m.now(), 45 * MS);
    assert!(series.cancel());
}

/// Skipping in real time: run 1 overruns by several periods. Every later
/// run is due at a deadline not yet past when run 1 returned, and runs
/// never start before their deadlines, so at most one run can start in the
/// first period after run 1 returns, however slow the machine. A replay of
/// the missed runs would start several there at once.
#[test]
fn missed_runs_are_skipped_in_real_time() {
    const PERIOD: Duration = Duration::from_millis(20);
    let group = Group::new();
    let starts = Arc::new(Mutex::new(Vec::new()));
    let first_end = Arc::new(OnceLock::new());
    let (s, e) = (starts.clone(), first_end.clone());
    let before = Instant::now();
    let series = group.every(PERIOD, move || {
        let now = Instant::now();
        let n = {
            let mut starts = s.lock().unwrap();
            starts.push(now);
            starts.len()
        };
        if n == 1 {
            thread::sleep(7 * PERIOD + PERIOD / 2);
            e.set(Instant::now()).unwrap();
        }
    });
    wait_for("four runs", STEP_TIMEOUT, || {
        starts.lock().unwrap().len() >= 4
    });
    assert!(series.cancel());
    assert_eq!(wait_within(&group, STEP_TIMEOUT), Ok(()));
    let starts = starts.lock().unwrap().clone();
    let end = *first_end.get().unwrap();
    for (n, start) in starts.iter().enumerate() {
        // Run n + 1 is due at the earliest at start + (n + 1) * period.
        assert!(
            *start >= before + PERIOD * (n as u32 + 1),
            "run {} started early",
            n + 1
        );
    }
    let right_after = starts
        .iter()
        .filter(|&&start| start >= end && start < end + PERIOD)
        .count();
    assert!(
        right_after <= 1,
        "{right_after} runs started within one period after the overrun: missed runs replayed"
    );
    assert!(starts[1] >= end, "run 2 started while run 1 ran");
}

/// A run that lasts several periods, on a group with several workers: the
/// next run is filed only when the current one returns (nothing of the
/// series is pending while it runs), so two runs never execute at once.
#[test]
fn runs_of_a_series_never_overlap() {
    let group = Group::builder().max_concurrency(4).build();
    let inside = Arc::new(AtomicBool::new(false));
    let overlaps = Arc::new(AtomicUsize::new(0));
    let filed_early = Arc::new(AtomicUsize::new(0));
    let runs = Arc::new(AtomicUsize::new(0));
    let (i, o, e, r) = (
        inside.clone(),
        overlaps.clone(),
        filed_early.clone(),
        runs.clone(),
    );
    let g = group.clone();
    let series = group.every(MS, move || {
        if i.swap(true, Ordering::SeqCst) {
            o.fetch_add(1, Ordering::SeqCst);
        }
        if !g.is_empty() {
            e.fetch_add(1, Ordering::SeqCst);
        }
        thread::sleep(3 * MS);
        i.store(false, Ordering::SeqCst);
        r.fetch_add(1, Ordering::SeqCst);
    });
    wait_for("ten runs", STEP_TIMEOUT, || {
        runs.load(Ordering::SeqCst) >= 10
    });
    assert!(series.cancel());
    assert_eq!(wait_within(&group, STEP_TIMEOUT), Ok(()));
    assert_eq!(overlaps.load(Ordering::SeqCst), 0, "two runs overlapped");
    assert_eq!(
        filed_early.load(Ordering::SeqCst),
        0,
        "the next run was pending while the current one ran"
    );
}

// ===========================================================================
// Panics, wait() and stats
// ===========================================================================

/// Runs 2 and 4 panic: every run still happens on time, `stats` and `wait`
/// count both panics, and the series goes on.
#[test]
fn a_panicking_run_is_reported_and_the_series_goes_on() {
    quiet_intentional_panics();
    let m = Manual::new(MS);
    let mut record = m.recorder();
    let mut n = 0;
    let series = m.group.every(10 * MS, move || {
        record();
        n += 1;
        if n == 2 || n == 4 {
            panic!("{INTENTIONAL} in run {n}");
        }
    });
    m.advance(60 * MS);
    assert_eq!(m.runs(), ms(&[10, 20, 30, 40, 50, 60]));
    let stats = m.group.stats();
    assert_eq!((stats.panicked, stats.fired, stats.pending), (2, 6, 1));
    assert!(series.is_pending());
    assert_eq!(m.group.wait_timeout(MS), Ok(false), "the series is live");
    assert!(series.cancel());
    assert_eq!(
        m.group.wait(),
        Err(Error::Panicked {
            count: 2,
            message: Some(format!("{INTENTIONAL} in run 2")),
        })
    );
}

/// A live series keeps the group busy: `wait_timeout` times out, and
/// `wait` returns `Ok` only once it is canceled (manual and real time).
#[test]
fn a_live_series_keeps_wait_from_returning() {
    let m = Manual::new(MS);
    let series = m.group.every(10 * MS, m.recorder());
    assert_eq!(m.group.wait_timeout(20 * MS), Ok(false));
    m.advance(30 * MS);
    assert_eq!(m.group.wait_timeout(20 * MS), Ok(false));
    assert!(series.cancel());
    assert_eq!(wait_within(&m.group, STEP_TIMEOUT), Ok(()));

    let group = Group::new();
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let series = group.every(2 * MS, move || {
        r.fetch_add(1, Ordering::SeqCst);
    });
    wait_for("a run", STEP_TIMEOUT, || runs.load(Ordering::SeqCst) >= 1);
    assert_eq!(group.wait_timeout(50 * MS), Ok(false));
    let waiter = {
        let group = group.clone();
        thread::spawn(move || group.wait())
    };
    thread::sleep(30 * MS);
    assert!(!waiter.is_finished(), "wait returned with a live series");
    assert!(series.cancel());
    assert_eq!(
        within("wait", STEP_TIMEOUT, move || waiter.join().unwrap()),
        Ok(())
    );
}

/// Each run is one fired task; the pending occurrence is one pending task.
#[test]
fn runs_show_in_stats() {
    let m = Manual::new(MS);
    let series = m.group.every(10 * MS, m.recorder());
    assert_eq!(m.group.stats().pending, 1);
    m.advance(50 * MS);
    let stats = m.group.stats();
    assert_eq!(
        (stats.pending, stats.running, stats.fired, stats.canceled),
        (1, 0, 5, 0)
    );
    // Runs start exactly at their deadline on a manual clock.
    assert_eq!(stats.lateness.samples, 5);
    assert_eq!(stats.lateness.max, Duration::ZERO);
    assert!(series.cancel());
}
