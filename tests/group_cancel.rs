//! `Group::cancel`: when it returns, every task that had not started has
//! had its closure dropped, wherever that task was: pending in a wheel, due
//! and on its way to the workers, queued, or claimed by a worker.

// Builds groups: under `--features loom` their threads and locks are loom's,
// which work only inside a loom model (`loom-tests/` has those).
#![cfg(not(feature = "loom"))]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use schedgroup::{Error, Group};

mod common;
use common::{shared, wait_patiently, DropCounter};

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
    assert_eq!(wait_patiently(&group), Err(Error::Canceled));
    missing
}

#[test]
fn cancel_drops_due_but_unstarted_closures_before_it_returns() {
    let _gate = shared();
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
