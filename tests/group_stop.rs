//! Stopping a group, by `Group::cancel` or by dropping its last clone: no
//! task that had not started runs after it, and its closure is dropped by
//! the time the call returns, wherever the task was: pending in a wheel,
//! due and on its way to the workers, queued, or claimed by a worker
//! (invariants 2 and 8).

// Builds groups: under `--features loom` their threads and locks are loom's,
// which work only inside a loom model (`loom-tests/` has those).
#![cfg(not(feature = "loom"))]

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use schedgroup::{Error, Group};
use support::{task_counters, wait_for, wait_within, DropCounter, DropFlags, Rng, STEP_TIMEOUT};

const MS: Duration = Duration::from_millis(1);
const HOUR: Duration = Duration::from_secs(3600);

// ===========================================================================
// Group::cancel
// ===========================================================================

/// Tasks of one round, filed from `THREADS` threads at one deadline.
const TASKS: usize = 16_384;
const THREADS: usize = 4;
const CAP: usize = 4;

/// One round: the tasks are due together, and `cancel` lands around their
/// deadline. Returns how many closures were neither started nor dropped
/// when `cancel` returned.
fn round(lead: Duration) -> usize {
    let group = Group::builder().max_concurrency(CAP).build();
    let started = Arc::new(AtomicUsize::new(0));
    let drops = DropCounter::new();
    let deadline = Instant::now() + Duration::from_millis(20);
    let barrier = Arc::new(Barrier::new(THREADS));
    let fillers: Vec<_> = (0..THREADS)
        .map(|_| {
            let (group, started, drops, barrier) = (
                group.clone(),
                started.clone(),
                drops.clone(),
                barrier.clone(),
            );
            thread::spawn(move || {
                barrier.wait();
                for _ in 0..TASKS / THREADS {
                    let (started, token) = (started.clone(), drops.token());
                    group.schedule(deadline, move || {
                        started.fetch_add(1, Ordering::SeqCst);
                        drop(token);
                    });
                }
            })
        })
        .collect();
    for filler in fillers {
        filler.join().unwrap();
    }
    let at = deadline + lead;
    while Instant::now() < at {
        std::hint::spin_loop();
    }
    group.cancel();
    // A task counts as started from the moment a worker decides to run it,
    // a moment before its closure's first line: at most `CAP` of those.
    let accounted = started.load(Ordering::SeqCst) + drops.dropped();
    let missing = TASKS.saturating_sub(accounted);
    assert_eq!(wait_within(&group, STEP_TIMEOUT), Err(Error::Canceled));
    missing
}

#[test]
fn cancel_drops_due_but_unstarted_closures_before_it_returns() {
    let mut worst = 0;
    for i in 0..60u32 {
        // Cancel from just before the deadline to a little after it, where
        // the driver is between taking the due tasks and handing them over.
        let lead = Duration::from_micros(u64::from(i % 12) * 150);
        worst = worst.max(round(lead));
    }
    assert!(
        worst <= CAP,
        "{worst} closures were neither started nor dropped when cancel returned"
    );
}

/// `Group::cancel` racing the firing: every task runs at most once, every
/// closure is dropped exactly once (ran or not), and `wait` says Canceled.
#[test]
fn inv2_exactly_once_under_group_cancel_races() {
    let mut rng = Rng::new(7);
    for _ in 0..20 {
        const N: usize = 300;
        let group = Group::new();
        let ran = task_counters(N);
        let dropped = DropFlags::new(N);
        let base = Instant::now() + MS;
        for i in 0..N {
            let ran = ran.clone();
            let guard = dropped.token(i);
            group.schedule(base + Duration::from_micros(rng.below(3_000)), move || {
                let _guard = guard;
                ran[i].fetch_add(1, Ordering::SeqCst);
            });
        }
        if let Some(pause) =
            (base + 1500 * Duration::from_micros(1)).checked_duration_since(Instant::now())
        {
            thread::sleep(pause);
        }
        group.cancel();
        assert_eq!(group.len(), 0);
        assert_eq!(wait_within(&group, STEP_TIMEOUT), Err(Error::Canceled));
        for i in 0..N {
            assert!(ran[i].load(Ordering::SeqCst) <= 1, "task {i} ran twice");
            assert!(dropped.is_dropped(i), "task {i}'s closure leaked");
        }
    }
}

// ===========================================================================
// Group::cancel and the drop of the last Group
// ===========================================================================

/// Tasks that have fired but not started (due, waiting for a worker behind a
/// running task) are canceled too when the group is canceled or dropped:
/// their closures are dropped before `cancel` / `drop` returns, not when the
/// unrelated running task happens to finish.
#[test]
fn inv2_group_stop_drops_fired_but_unstarted_closures_promptly() {
    for how in ["cancel", "drop"] {
        // One worker: while the first task blocks, nothing else can start.
        let group = Group::builder().max_concurrency(1).build();
        let drops = DropCounter::new();
        let (started_tx, started_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        // All due at one tick, so they fire together, in this order.
        let at = Instant::now() + 20 * MS;
        group.schedule(at, move || {
            started_tx.send(()).unwrap();
            let _ = release_rx.recv_timeout(STEP_TIMEOUT);
        });
        let ran = Arc::new(AtomicUsize::new(0));
        for _ in 0..8 {
            let (token, ran) = (drops.token(), ran.clone());
            group.schedule(at, move || {
                let _token = token;
                ran.fetch_add(1, Ordering::SeqCst);
            });
        }
        started_rx
            .recv_timeout(STEP_TIMEOUT)
            .expect("the first task never started");
        assert_eq!(group.len(), 0, "all nine have fired");
        let waiter = match how {
            "cancel" => {
                group.cancel();
                Some(group.clone())
            }
            _ => {
                drop(group);
                None
            }
        };
        let dropped_at_return = drops.dropped();
        release_tx.send(()).unwrap();
        if let Some(group) = waiter {
            assert_eq!(wait_within(&group, STEP_TIMEOUT), Err(Error::Canceled));
        }
        wait_for("every closure to be dropped", STEP_TIMEOUT, || {
            drops.dropped() == 8
        });
        assert_eq!(
            ran.load(Ordering::SeqCst),
            0,
            "{how}: a task started after it"
        );
        assert_eq!(
            dropped_at_return, 8,
            "{how}: only {dropped_at_return} of 8 fired-but-unstarted closures were dropped \
             by the time it returned; the rest waited for the running task"
        );
    }
}

/// A clone keeps the group alive: its tasks run, it accepts new ones.
#[test]
fn inv8_a_clone_keeps_the_group_alive() {
    let group = Group::new();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    // An hour out, so that it is certainly pending when counted; then now.
    let first = group.delay(HOUR, move || {
        c.fetch_add(1, Ordering::SeqCst);
    });
    let clone = group.clone();
    drop(group);
    assert_eq!(clone.len(), 1);
    assert!(first.reset(Instant::now()));
    let c = count.clone();
    clone.delay(10 * MS, move || {
        c.fetch_add(1, Ordering::SeqCst);
    });
    assert_eq!(wait_within(&clone, STEP_TIMEOUT), Ok(()));
    assert_eq!(count.load(Ordering::SeqCst), 2);
}
