//! `Group::stats`: counters and the lateness summary.
//!
//! On a `ManualClock` every counter is exact, and so is lateness: a task
//! fired by `advance` is taken by a worker at its deadline's instant (zero
//! late), and one kept waiting while another thread moves the clock is late
//! by exactly that move. Real time is used only to check the summary's
//! shape (sample count, ordered quantiles).

// Builds groups: under `--features loom` their threads and locks are loom's,
// which work only inside a loom model (`loom-tests/` has those).
#![cfg(not(feature = "loom"))]

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use schedgroup::{Error, Group, Lateness, ManualClock, Stats};
use support::{
    advance, quiet_intentional_panics, wait_within, within, DropCounter, INTENTIONAL, STEP_TIMEOUT,
};

const MS: Duration = Duration::from_millis(1);
const HOUR: Duration = Duration::from_secs(3600);

/// The counters, without the lateness summary.
fn counters(stats: &Stats) -> (usize, usize, u64, u64, u64) {
    (
        stats.pending,
        stats.running,
        stats.fired,
        stats.canceled,
        stats.panicked,
    )
}

/// A task that signals when it starts and then holds its worker until
/// released; the receivers tell when it started and release it.
fn blocker() -> (
    impl FnOnce() + Send + 'static,
    mpsc::Receiver<()>,
    mpsc::Sender<()>,
) {
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let task = move || {
        started_tx.send(()).unwrap();
        release_rx.recv_timeout(STEP_TIMEOUT).unwrap();
    };
    (task, started_rx, release_tx)
}

/// A new group starts at zero; `Stats` compares, clones, prints.
#[test]
fn a_new_group_reports_nothing() {
    let group = Group::new();
    let stats = group.stats();
    assert_eq!(counters(&stats), (0, 0, 0, 0, 0));
    assert_eq!(stats.lateness, Lateness::default());
    assert_eq!(stats.lateness.samples, 0);
    assert_eq!(stats.clone(), stats);
    let shown = format!("{stats:?}");
    for field in [
        "pending", "running", "fired", "canceled", "panicked", "p999",
    ] {
        assert!(shown.contains(field), "{shown}");
    }
}

/// pending / fired / canceled / panicked step by step, exactly.
#[test]
fn counters_are_exact_on_a_manual_clock() {
    quiet_intentional_panics();
    let clock = ManualClock::new();
    let group = Group::builder().clock(clock.clone()).build();
    for i in 0..10 {
        group.delay(10 * MS, move || {
            if i % 5 == 0 {
                panic!("{INTENTIONAL} {i}");
            }
        });
    }
    let far: Vec<_> = (0..5).map(|_| group.delay(HOUR, || {})).collect();
    assert_eq!(counters(&group.stats()), (15, 0, 0, 0, 0));
    assert_eq!(group.stats().pending, group.len());
    for handle in &far[..3] {
        assert!(handle.cancel());
    }
    assert!(!far[0].cancel(), "a second cancel counted");
    assert_eq!(counters(&group.stats()), (12, 0, 0, 3, 0));

    advance(&clock, 10 * MS);
    let stats = group.stats();
    assert_eq!(counters(&stats), (2, 0, 10, 3, 2));
    assert_eq!(stats.lateness.samples, 10);

    group.cancel();
    assert_eq!(counters(&group.stats()), (0, 0, 10, 5, 2));
    assert_eq!(wait_within(&group, STEP_TIMEOUT), Err(Error::Canceled));
}

/// Tasks a manual `advance` fires are taken at their deadline: every
/// lateness figure is exactly zero.
#[test]
fn lateness_is_zero_when_advance_fires_the_tasks() {
    let clock = ManualClock::new();
    let group = Group::builder().clock(clock.clone()).build();
    for i in 1..=300u32 {
        group.delay(MS * (i % 30 + 1), || {});
    }
    advance(&clock, 40 * MS);
    let lateness = group.stats().lateness;
    assert_eq!(lateness.samples, 300);
    for value in [lateness.p50, lateness.p99, lateness.p999, lateness.max] {
        assert_eq!(value, Duration::ZERO, "{lateness:?}");
    }
}

/// Lateness is the time from a task's deadline to the moment a worker
/// takes it. On a manual clock standing at 100 ms, tasks scheduled (or
/// reset) at 95 ms and 40 ms are taken at 100 ms: exactly 5 ms and 60 ms
/// late. Each figure is the upper bound of its value's bucket, at most
/// 12.5% above it.
#[test]
fn lateness_measures_the_time_from_deadline_to_worker() {
    let clock = ManualClock::new();
    let start = clock.now();
    let group = Group::builder().clock(clock.clone()).build();
    advance(&clock, 100 * MS);
    for _ in 0..600 {
        group.schedule(start + 95 * MS, || {});
    }
    for _ in 0..399 {
        group.schedule(start + 40 * MS, || {});
    }
    let moved = group.delay(HOUR, || {});
    assert!(moved.reset(start + 40 * MS));
    advance(&clock, Duration::ZERO);
    let lateness = group.stats().lateness;
    assert_eq!(lateness.samples, 1000);
    let bucket_of =
        |value: Duration, expected: Duration| value >= expected && value <= expected * 9 / 8;
    // 600 of 1000 are 5 ms late: the median; the other 400, 60 ms late,
    // are the 99th and 99.9th percentiles and the maximum.
    assert!(bucket_of(lateness.p50, 5 * MS), "{lateness:?}");
    for value in [lateness.p99, lateness.p999, lateness.max] {
        assert!(bucket_of(value, 60 * MS), "{lateness:?}");
    }
}

/// A task in progress is running; it stops being so when it returns.
#[test]
fn a_task_in_progress_is_running() {
    let clock = ManualClock::new();
    let group = Group::builder().clock(clock.clone()).build();
    let (task, started, release) = blocker();
    group.delay(10 * MS, task);
    group.delay(HOUR, || {});
    let advancing = {
        let clock = clock.clone();
        thread::spawn(move || clock.advance(10 * MS))
    };
    started
        .recv_timeout(STEP_TIMEOUT)
        .expect("the task never started");
    assert_eq!(counters(&group.stats()), (1, 1, 1, 0, 0));
    release.send(()).unwrap();
    within("advance", STEP_TIMEOUT, move || advancing.join().unwrap());
    assert_eq!(counters(&group.stats()), (1, 0, 1, 0, 0));
}

/// `running` is documented as "due and handed to the workers, not
/// finished (queued for a worker or running)": with one worker held by a
/// blocker, the three tasks due with it are queued, so four are running.
#[test]
fn queued_tasks_count_as_running() {
    let clock = ManualClock::new();
    let group = Group::builder()
        .clock(clock.clone())
        .max_concurrency(1)
        .build();
    let (task, started, release) = blocker();
    group.delay(10 * MS, task);
    for _ in 0..3 {
        group.delay(10 * MS, || {});
    }
    let advancing = {
        let clock = clock.clone();
        thread::spawn(move || clock.advance(10 * MS))
    };
    started
        .recv_timeout(STEP_TIMEOUT)
        .expect("the blocker never started");
    let stats = group.stats();
    release.send(()).unwrap();
    within("advance", STEP_TIMEOUT, move || advancing.join().unwrap());
    assert_eq!(counters(&stats), (0, 4, 4, 0, 0));
}

/// Canceling the group counts as canceled every task that will never
/// run: pending ones, and due ones still queued for the (busy) worker.
#[test]
fn group_cancel_counts_pending_and_queued_tasks() {
    let clock = ManualClock::new();
    let group = Group::builder()
        .clock(clock.clone())
        .max_concurrency(1)
        .build();
    let (task, started, release) = blocker();
    group.delay(10 * MS, task);
    let queued_ran = Arc::new(AtomicUsize::new(0));
    let queued_dropped = DropCounter::new();
    for _ in 0..3 {
        let (ran, guard) = (queued_ran.clone(), queued_dropped.token());
        group.delay(10 * MS, move || {
            let _guard = guard;
            ran.fetch_add(1, Ordering::SeqCst);
        });
    }
    for _ in 0..5 {
        group.delay(HOUR, || {});
    }
    assert!(group.delay(HOUR, || {}).cancel());
    let advancing = {
        let clock = clock.clone();
        thread::spawn(move || clock.advance(10 * MS))
    };
    started
        .recv_timeout(STEP_TIMEOUT)
        .expect("the blocker never started");
    group.cancel();
    release.send(()).unwrap();
    within("advance", STEP_TIMEOUT, move || advancing.join().unwrap());
    assert_eq!(wait_within(&group, STEP_TIMEOUT), Err(Error::Canceled));
    assert_eq!(queued_ran.load(Ordering::SeqCst), 0, "a queued task ran");
    assert_eq!(queued_dropped.dropped(), 3);
    // 4 fired (the blocker and the 3 queued); 1 + 5 + 3 never ran.
    assert_eq!(counters(&group.stats()), (0, 0, 4, 9, 0));
}

/// The builder's deadline drops the pending tasks: counted as canceled.
#[test]
fn deadline_drops_count_as_canceled() {
    let clock = ManualClock::new();
    let group = Group::builder()
        .clock(clock.clone())
        .deadline(clock.now() + 100 * MS)
        .build();
    group.delay(50 * MS, || {});
    for _ in 0..4 {
        group.delay(HOUR, || {});
    }
    advance(&clock, 60 * MS);
    advance(&clock, 60 * MS);
    assert_eq!(
        wait_within(&group, STEP_TIMEOUT),
        Err(Error::DeadlineExceeded)
    );
    assert_eq!(counters(&group.stats()), (0, 0, 1, 4, 0));
}

/// A sleep dropped before it fires is a canceled task; one awaited is a
/// fired one.
#[test]
fn sleeps_show_in_stats() {
    let clock = ManualClock::new();
    let group = Group::builder().clock(clock.clone()).build();
    let kept: Vec<_> = (0..3).map(|_| group.sleep(10 * MS)).collect();
    let dropped: Vec<_> = (0..4).map(|_| group.sleep(10 * MS)).collect();
    assert_eq!(group.stats().pending, 7);
    drop(dropped);
    assert_eq!(counters(&group.stats()), (3, 0, 0, 4, 0));
    advance(&clock, 10 * MS);
    for sleep in kept {
        assert_eq!(futures::executor::block_on(sleep), Ok(()));
    }
    assert_eq!(counters(&group.stats()), (0, 0, 3, 4, 0));
}

/// In real time: one sample per task, quantiles in order, and every task
/// measured no earlier than its deadline (so the summary is not negative
/// noise).
#[test]
fn real_time_summary_is_consistent() {
    let group = Group::new();
    let ran = Arc::new(AtomicUsize::new(0));
    for i in 0..500u64 {
        let ran = ran.clone();
        group.delay(Duration::from_micros(i * 97 % 40_000), move || {
            ran.fetch_add(1, Ordering::SeqCst);
        });
    }
    assert_eq!(wait_within(&group, STEP_TIMEOUT), Ok(()));
    let stats = group.stats();
    assert_eq!(ran.load(Ordering::SeqCst), 500);
    assert_eq!(counters(&stats), (0, 0, 500, 0, 0));
    let l = &stats.lateness;
    assert_eq!(l.samples, 500);
    assert!(
        l.p50 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.max,
        "{l:?}"
    );
}

/// Panicking tasks are counted, the same number `wait` reports.
#[test]
fn panics_are_counted() {
    quiet_intentional_panics();
    let group = Group::builder().max_concurrency(2).build();
    let done = Arc::new(AtomicBool::new(false));
    for i in 0..12 {
        group.delay(Duration::ZERO, move || {
            if i % 3 == 0 {
                panic!("{INTENTIONAL}");
            }
        });
    }
    let d = done.clone();
    group.delay(MS, move || d.store(true, Ordering::SeqCst));
    let waited = wait_within(&group, STEP_TIMEOUT);
    assert!(
        matches!(waited, Err(Error::Panicked { count: 4, .. })),
        "{waited:?}"
    );
    assert!(done.load(Ordering::SeqCst));
    let stats = group.stats();
    assert_eq!(counters(&stats), (0, 0, 13, 0, 4));
    assert_eq!(stats.lateness.samples, 13);
}

#[test]
fn schedules_refused_after_cancel_count_as_canceled() {
    let group = Group::new();
    group.cancel();
    let before = group.stats().canceled;
    for _ in 0..3 {
        let handle = group.delay(HOUR, || unreachable!());
        assert!(!handle.cancel());
    }
    assert_eq!(group.stats().canceled, before + 3);
    assert_eq!(group.stats().fired, 0);
}

/// Polls `capacity` until it reads 0, under a watchdog: the memory is given
/// back by the driver on its next look, not by `wait()`.
fn capacity_reaches_zero(what: &str, capacity: impl Fn() -> usize + Send + 'static) {
    within(what, STEP_TIMEOUT, move || {
        while capacity() > 0 {
            thread::sleep(MS);
        }
    });
}

#[test]
fn a_drained_burst_gives_its_memory_back() {
    let group = Group::new();
    let (ran, dropped) = (Arc::new(AtomicUsize::new(0)), DropCounter::new());
    let handles: Vec<_> = (0..20_000)
        .map(|_| {
            let (ran, token) = (Arc::clone(&ran), dropped.token());
            group.delay(HOUR, move || {
                let _token = token;
                ran.fetch_add(1, Ordering::SeqCst);
            })
        })
        .collect();
    assert!(group.stats().capacity >= 20_000);
    for handle in &handles {
        assert!(handle.reset_after(Duration::ZERO));
    }
    wait_within(&group, STEP_TIMEOUT).unwrap();
    let handle = group.clone();
    capacity_reaches_zero("the burst's memory to be given back", move || {
        handle.stats().capacity
    });
    // Giving the memory back dropped nothing again: each closure ran once
    // and its captures were dropped once.
    assert_eq!(ran.load(Ordering::SeqCst), 20_000);
    assert_eq!(dropped.dropped(), 20_000);
    // And it grows again for the next burst.
    group.delay(HOUR, || {});
    assert!(group.stats().capacity >= 1);
}

#[test]
fn a_drained_burst_gives_its_memory_back_on_a_manual_clock() {
    let clock = ManualClock::new();
    let group = Group::builder().clock(clock.clone()).build();
    for _ in 0..20_000 {
        group.delay(MS, || {});
    }
    assert!(group.stats().capacity >= 20_000);
    advance(&clock, MS);
    let handle = group.clone();
    capacity_reaches_zero("the burst's memory to be given back", move || {
        handle.stats().capacity
    });
}
