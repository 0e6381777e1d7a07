//! The worker pool: the concurrency cap holds, due tasks are not held behind
//! a slow one while the cap leaves room, and any keep-alive works. (Workers
//! on demand and idle exit count threads: `group_threads.rs`.)

// Builds groups: under `--features loom` their threads and locks are loom's,
// which work only inside a loom model (`loom-tests/` has those).
#![cfg(not(feature = "loom"))]

mod support;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use schedgroup::Group;
use support::{wait_within, STEP_TIMEOUT};

const MS: Duration = Duration::from_millis(1);

#[test]
fn max_concurrency_caps_running_tasks() {
    for cap in [1usize, 2] {
        let group = Group::builder().max_concurrency(cap).build();
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let ran = Arc::new(AtomicUsize::new(0));
        for _ in 0..20 {
            let (running, peak, ran) = (running.clone(), peak.clone(), ran.clone());
            group.schedule(Instant::now(), move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                thread::sleep(10 * MS);
                running.fetch_sub(1, Ordering::SeqCst);
                ran.fetch_add(1, Ordering::SeqCst);
            });
        }
        assert_eq!(wait_within(&group, STEP_TIMEOUT), Ok(()));
        assert_eq!(ran.load(Ordering::SeqCst), 20);
        let peak = peak.load(Ordering::SeqCst);
        assert!(peak <= cap, "cap {cap}: {peak} tasks ran at once");
    }
}

/// A due task must not be held back behind an unrelated slow task while
/// the concurrency cap leaves room for it to run: whether the driver hands
/// the batch over (no worker yet), or an idle worker that was watching the
/// deadline takes the batch itself (it runs a small batch on its own, and
/// the rest must still reach another worker when the first task is slow).
#[test]
fn inv1_due_tasks_are_not_held_behind_a_slow_task() {
    for warm in [false, true] {
        let group = Group::builder().max_concurrency(2).build();
        if warm {
            // A worker that ran a task is idle, and may watch the deadline.
            let (done_tx, done_rx) = mpsc::channel();
            group.delay(Duration::ZERO, move || done_tx.send(()).unwrap());
            done_rx
                .recv_timeout(STEP_TIMEOUT)
                .expect("the first task never ran");
            thread::sleep(20 * MS);
        }
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let (started_tx, started_rx) = mpsc::channel();
        let at = Instant::now() + 20 * MS;
        // The slow one first: all nine fire in one batch, in this order. It
        // holds its worker for longer than the others are given to start.
        group.schedule(at, move || {
            let _ = release_rx.recv_timeout(2 * STEP_TIMEOUT);
        });
        const N: usize = 8;
        for i in 0..N {
            let started_tx = started_tx.clone();
            group.schedule(at, move || started_tx.send(i).unwrap());
        }
        let mut late = (0..N).collect::<HashSet<_>>();
        let limit = Instant::now() + STEP_TIMEOUT;
        while !late.is_empty() {
            let Some(left) = limit.checked_duration_since(Instant::now()) else {
                break;
            };
            match started_rx.recv_timeout(left) {
                Ok(i) => {
                    late.remove(&i);
                }
                Err(_) => break,
            }
        }
        release_tx.send(()).unwrap();
        assert!(
            late.is_empty(),
            "warm {warm}: with a worker free, tasks {late:?} waited behind the slow task for over {STEP_TIMEOUT:?}"
        );
        assert_eq!(wait_within(&group, 3 * STEP_TIMEOUT), Ok(()));
    }
}

/// `keep_alive(Duration::MAX)` ("never retire a worker") must not break the
/// pool: tasks keep running after a worker has gone idle.
#[test]
fn inv6_keep_alive_max_keeps_the_pool_working() {
    let group = Group::builder().keep_alive(Duration::MAX).build();
    let count = Arc::new(AtomicUsize::new(0));
    for round in 1..=3 {
        let c = count.clone();
        group.delay(Duration::ZERO, move || {
            c.fetch_add(1, Ordering::SeqCst);
        });
        assert_eq!(wait_within(&group, STEP_TIMEOUT), Ok(()), "round {round}");
        assert_eq!(count.load(Ordering::SeqCst), round);
        // Let the worker go idle before the next task.
        thread::sleep(50 * MS);
    }
}
