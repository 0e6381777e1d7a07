//! `delay`, `schedule` and `reset`: every task runs exactly once, never
//! before its deadline, whatever the deadline, and a nearer one always wakes
//! the driver (invariants 1, 2, 3 and 6 of DESIGN.md).
//!
//! Timing: lower bounds ("never early") are exact; upper bounds are the
//! support module's watchdogs.

// Builds groups: under `--features loom` their threads and locks are loom's,
// which work only inside a loom model (`loom-tests/` has those).
#![cfg(not(feature = "loom"))]

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use schedgroup::{Error, Group};
use support::{
    far_past, task_counters, wait_for, wait_within, DropCounter, DropToken, Rng, JOB_TIMEOUT,
    STEP_TIMEOUT,
};

const MS: Duration = Duration::from_millis(1);
const HOUR: Duration = Duration::from_secs(3600);

// ===========================================================================
// Never early (invariant 1)
// ===========================================================================

/// Many tasks with random deadlines (via `schedule`, `delay` and `reset`),
/// under several tick sizes, odd ones included: each records the instant it
/// starts, which must not precede its deadline.
#[test]
fn inv1_never_early_under_various_ticks() {
    let ticks = [
        Duration::from_nanos(1),
        Duration::from_micros(100),
        Duration::from_micros(700),
        MS,
        Duration::from_micros(1300),
        Duration::from_millis(3),
        Duration::from_millis(7),
    ];
    let mut rng = Rng::new(0x5eed);
    for tick in ticks {
        const N: usize = 300;
        let group = Group::builder().tick(tick).build();
        let started: Arc<Vec<OnceLock<Instant>>> =
            Arc::new((0..N).map(|_| OnceLock::new()).collect());
        let mut deadlines = Vec::with_capacity(N);
        let mut handles = Vec::with_capacity(N);
        for i in 0..N {
            let started = started.clone();
            let task = move || {
                let now = Instant::now();
                assert!(started[i].set(now).is_ok(), "task {i} ran twice");
            };
            let offset = Duration::from_micros(rng.below(60_000));
            let (deadline, handle) = if rng.below(2) == 0 {
                let deadline = Instant::now() + offset;
                (deadline, group.schedule(deadline, task))
            } else {
                // `delay` reads the clock after this: the bound is not late.
                let lower_bound = Instant::now() + offset;
                (lower_bound, group.delay(offset, task))
            };
            deadlines.push(deadline);
            handles.push(handle);
        }
        // Move a third of them, earlier or later, while they are pending.
        for i in (0..N).step_by(3) {
            let deadline = Instant::now() + Duration::from_micros(rng.below(60_000));
            if handles[i].reset(deadline) {
                deadlines[i] = deadline;
            }
        }
        assert_eq!(wait_within(&group, STEP_TIMEOUT), Ok(()), "tick {tick:?}");
        for i in 0..N {
            let start = *started[i]
                .get()
                .unwrap_or_else(|| panic!("task {i} never ran"));
            assert!(
                start >= deadlines[i],
                "tick {tick:?}: task {i} started {:?} early",
                deadlines[i] - start
            );
        }
    }
}

// ===========================================================================
// Exactly once (invariant 2)
// ===========================================================================

/// A burst bigger than what the driver hands to the workers at once (it
/// takes due tasks out of the wheels in parts) still runs every task exactly
/// once, from every shard, and `wait()` sees the end of it.
#[test]
fn inv2_a_burst_bigger_than_one_batch_runs_exactly_once() {
    let group = Group::new();
    const PER_THREAD: usize = 40_000;
    let runs = task_counters(2 * PER_THREAD);
    let at = Instant::now() + 50 * MS;
    thread::scope(|scope| {
        for t in 0..2 {
            let (group, runs) = (&group, &runs);
            scope.spawn(move || {
                for i in 0..PER_THREAD {
                    let runs = Arc::clone(runs);
                    let slot = t * PER_THREAD + i;
                    // Half of them at `at` exactly, the rest up to 1 ms after.
                    let after = Duration::from_micros((i % 2 * (i % 1000)) as u64);
                    group.schedule(at + after, move || {
                        runs[slot].fetch_add(1, Ordering::SeqCst);
                    });
                }
            });
        }
    });
    assert_eq!(wait_within(&group, JOB_TIMEOUT), Ok(()));
    let wrong: Vec<usize> = (0..runs.len())
        .filter(|&i| runs[i].load(Ordering::SeqCst) != 1)
        .collect();
    assert!(
        wrong.is_empty(),
        "{} tasks did not run exactly once",
        wrong.len()
    );
}

/// Closures of every layout (zero-sized, one byte, one word, two words,
/// over-aligned, large) are run at most once and dropped exactly once, on
/// every path: run, handle cancel, group cancel, schedule after cancel and
/// drop of the group.
#[test]
fn inv2_closures_of_every_layout_run_once_and_drop_once() {
    static RUNS: [AtomicUsize; 6] = [const { AtomicUsize::new(0) }; 6];
    static TINY_DROPS: AtomicUsize = AtomicUsize::new(0);

    /// One byte with a Drop: stored in less than a word.
    struct Tiny(u8);
    impl Drop for Tiny {
        fn drop(&mut self) {
            TINY_DROPS.fetch_add(usize::from(self.0), Ordering::SeqCst);
        }
    }
    #[repr(align(64))]
    struct Aligned {
        _token: DropToken,
    }

    /// Runs the paths for closures made by `make`, each holding
    /// `tokens` drop tokens; `dropped` reads the count of dropped tokens.
    fn exercise<F: FnOnce() + Send + 'static>(
        kind: usize,
        tokens: usize,
        dropped: &dyn Fn() -> usize,
        make: &dyn Fn() -> F,
    ) {
        const K: usize = 10;
        let group = Group::new();
        for _ in 0..K {
            group.schedule(Instant::now(), make());
        }
        assert_eq!(wait_within(&group, STEP_TIMEOUT), Ok(()), "kind {kind}");
        assert_eq!(RUNS[kind].load(Ordering::SeqCst), K, "kind {kind}: runs");
        assert_eq!(dropped(), K * tokens, "kind {kind}: after running");

        let handles: Vec<_> = (0..K).map(|_| group.delay(HOUR, make())).collect();
        for handle in &handles {
            assert!(handle.reset(Instant::now() + 2 * HOUR));
            assert!(handle.cancel());
        }
        assert_eq!(
            dropped(),
            2 * K * tokens,
            "kind {kind}: after handle cancels"
        );

        for _ in 0..K {
            group.delay(HOUR, make());
        }
        group.cancel();
        assert_eq!(dropped(), 3 * K * tokens, "kind {kind}: after group cancel");
        group.delay(Duration::ZERO, make());
        assert_eq!(dropped(), (3 * K + 1) * tokens, "kind {kind}: after cancel");

        let other = Group::new();
        for _ in 0..K {
            other.delay(HOUR, make());
        }
        drop(other);
        assert_eq!(dropped(), (4 * K + 1) * tokens, "kind {kind}: after drop");
        assert_eq!(wait_within(&group, STEP_TIMEOUT), Err(Error::Canceled));
        assert_eq!(RUNS[kind].load(Ordering::SeqCst), K, "kind {kind}: runs");
    }

    exercise(0, 0, &|| 0, &|| {
        || {
            RUNS[0].fetch_add(1, Ordering::SeqCst);
        }
    });
    exercise(1, 1, &|| TINY_DROPS.load(Ordering::SeqCst), &|| {
        let tiny = Tiny(1);
        move || {
            let _tiny = tiny;
            RUNS[1].fetch_add(1, Ordering::SeqCst);
        }
    });
    let drops = DropCounter::new();
    let d = drops.clone();
    exercise(2, 1, &|| drops.dropped(), &|| {
        let token = d.token();
        move || {
            let _token = token;
            RUNS[2].fetch_add(1, Ordering::SeqCst);
        }
    });
    let drops = DropCounter::new();
    let d = drops.clone();
    exercise(3, 2, &|| drops.dropped(), &|| {
        let pair = (d.token(), d.token());
        move || {
            let _pair = pair;
            RUNS[3].fetch_add(1, Ordering::SeqCst);
        }
    });
    let drops = DropCounter::new();
    let d = drops.clone();
    exercise(4, 1, &|| drops.dropped(), &|| {
        let aligned = Aligned { _token: d.token() };
        move || {
            let _aligned = aligned;
            RUNS[4].fetch_add(1, Ordering::SeqCst);
        }
    });
    let drops = DropCounter::new();
    let d = drops.clone();
    exercise(5, 4, &|| drops.dropped(), &|| {
        let many = [d.token(), d.token(), d.token(), d.token()];
        move || {
            let _many = many;
            RUNS[5].fetch_add(1, Ordering::SeqCst);
        }
    });
}

// ===========================================================================
// No lost wake-up (invariant 3)
// ===========================================================================

/// The driver parks on a far deadline; a nearer task scheduled from another
/// thread (or a far one reset to now) must wake it.
#[test]
fn inv3_earlier_schedule_wakes_the_parked_driver() {
    let group = Group::new();
    // Parked on a level-3 slot (an hour out), on a level-1 slot (3 s out).
    let far = group.delay(HOUR, || {});
    group.delay(Duration::from_secs(3), || {});
    for round in 0..10 {
        thread::sleep(20 * MS); // let the driver park
        let (tx, rx) = mpsc::channel();
        let g = group.clone();
        thread::spawn(move || {
            g.delay(5 * MS, move || tx.send(Instant::now()).unwrap());
        })
        .join()
        .unwrap();
        assert!(
            rx.recv_timeout(STEP_TIMEOUT).is_ok(),
            "round {round}: a 5 ms task did not run while the driver was parked far away"
        );
    }
    // Reset of the far task to now wakes the driver too.
    thread::sleep(20 * MS);
    let (tx, rx) = mpsc::channel();
    let moved = group.delay(2 * HOUR, move || tx.send(()).unwrap());
    thread::sleep(20 * MS);
    assert!(moved.reset(Instant::now()));
    assert_eq!(
        rx.recv_timeout(STEP_TIMEOUT),
        Ok(()),
        "reset to now did not wake the driver"
    );
    assert!(far.cancel());
}

/// Many threads schedule near tasks at once, each earlier than the last,
/// while the driver sleeps far away: every one of them runs.
#[test]
fn inv3_concurrent_near_schedules_all_run() {
    let group = Group::new();
    let far = group.delay(HOUR, || {});
    let count = Arc::new(AtomicUsize::new(0));
    const THREADS: usize = 4;
    const PER: usize = 250;
    let barrier = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let (group, count, barrier) = (group.clone(), count.clone(), barrier.clone());
            thread::spawn(move || {
                barrier.wait();
                for i in 0..PER {
                    let count = count.clone();
                    // Decreasing delays: each lands before the driver's
                    // current park deadline.
                    let delay = Duration::from_micros(((PER - i) * 20 + t) as u64);
                    group.delay(delay, move || {
                        count.fetch_add(1, Ordering::SeqCst);
                    });
                    if i % 50 == 0 {
                        thread::sleep(Duration::from_micros(300));
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    wait_for("every near task to run", STEP_TIMEOUT, || {
        count.load(Ordering::SeqCst) == THREADS * PER
    });
    assert!(far.cancel());
    assert_eq!(wait_within(&group, STEP_TIMEOUT), Ok(()));
}

// ===========================================================================
// Any deadline is accepted (invariant 6)
// ===========================================================================

#[test]
fn inv6_any_deadline_under_extreme_ticks() {
    for tick in [Duration::from_nanos(1), MS, HOUR] {
        let group = Group::builder().tick(tick).build();
        let now = Instant::now();
        let ran = Arc::new(AtomicUsize::new(0));
        let count = |ran: &Arc<AtomicUsize>| {
            let ran = ran.clone();
            move || {
                ran.fetch_add(1, Ordering::SeqCst);
            }
        };
        let mut far = vec![
            group.delay(Duration::MAX, count(&ran)),
            group.delay(Duration::from_secs(u64::MAX / 2), count(&ran)),
            group.delay(Duration::from_secs(u64::MAX), count(&ran)),
        ];
        for years in [100u64, 10_000, 1_000_000_000] {
            if let Some(at) = now.checked_add(Duration::from_secs(years * 365 * 24 * 3600)) {
                far.push(group.schedule(at, count(&ran)));
            }
        }
        // Far past: due at once, whatever the tick.
        group.schedule(far_past(now, Duration::from_secs(u64::MAX)), count(&ran));
        group.schedule(
            far_past(now, Duration::from_secs(3600 * 24 * 365)),
            count(&ran),
        );
        let moved = group.delay(Duration::MAX, count(&ran));
        assert!(moved.reset(far_past(now, Duration::from_secs(1))));
        wait_for("the past tasks to run", STEP_TIMEOUT, || {
            ran.load(Ordering::SeqCst) == 3
        });
        assert_eq!(group.len(), far.len(), "tick {tick:?}");
        for handle in &far {
            assert!(handle.is_pending(), "tick {tick:?}");
            // Moving between extremes is fine too.
            assert!(handle.reset(now + Duration::from_secs(1000 * 365 * 24 * 3600)));
        }
        for handle in &far {
            assert!(handle.cancel(), "tick {tick:?}");
        }
        assert_eq!(group.len(), 0);
        assert_eq!(wait_within(&group, STEP_TIMEOUT), Ok(()));
        assert_eq!(ran.load(Ordering::SeqCst), 3);
    }
}
