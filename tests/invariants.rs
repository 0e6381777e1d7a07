//! One test (or more) per invariant of DESIGN.md, each written so that it
//! fails if the invariant breaks, plus the pool's promises (concurrency cap,
//! workers on demand, idle exit) and `wait()`'s.
//!
//! Timing: lower bounds ("never early") are exact; upper bounds are generous
//! (seconds), for a loaded 2-core CI machine. Tests that count the process's
//! threads take `common::exclusive()`, the others `common::shared()`.

// Builds groups: under `--features loom` their threads and locks are loom's,
// which work only inside a loom model (`loom-tests/` has those).
#![cfg(not(feature = "loom"))]

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use common::{DropCounter, Rng, INTENTIONAL, SOON};
use schedgroup::{Error, Group, TaskHandle};

const MS: Duration = Duration::from_millis(1);
const HOUR: Duration = Duration::from_secs(3600);

/// Waits on a clone of `group` under a watchdog: a hang fails the test.
fn wait_within(group: &Group, limit: Duration) -> Result<(), Error> {
    let group = group.clone();
    common::within("Group::wait", limit, move || group.wait())
}

/// Sets `flags[i]` when dropped: tells when a closure's captures are gone.
struct SetOnDrop {
    flags: Arc<Vec<AtomicBool>>,
    i: usize,
}

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.flags[self.i].store(true, Ordering::SeqCst);
    }
}

fn flags(n: usize) -> Arc<Vec<AtomicBool>> {
    Arc::new((0..n).map(|_| AtomicBool::new(false)).collect())
}

fn counters(n: usize) -> Arc<Vec<AtomicUsize>> {
    Arc::new((0..n).map(|_| AtomicUsize::new(0)).collect())
}

// ===========================================================================
// 1. Never early.
// ===========================================================================

/// Many tasks with random deadlines (via `schedule`, `delay` and `reset`),
/// under several tick sizes, odd ones included: each records the instant it
/// starts, which must not precede its deadline.
#[test]
fn inv1_never_early_under_various_ticks() {
    let _gate = common::shared();
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
        assert_eq!(wait_within(&group, SOON), Ok(()), "tick {tick:?}");
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

/// Lateness is one tick plus wake-up latency when a worker is free: a due
/// task must not be held back behind an unrelated slow task while the
/// concurrency cap leaves room for it to run.
#[test]
fn inv1_due_tasks_are_not_held_behind_a_slow_task() {
    let _gate = common::shared();
    let group = Group::builder().max_concurrency(2).build();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel();
    let at = Instant::now() + 20 * MS;
    // The slow one first: all nine fire in one batch, in this order.
    group.schedule(at, move || {
        let _ = release_rx.recv_timeout(Duration::from_secs(10));
    });
    const N: usize = 8;
    for i in 0..N {
        let started_tx = started_tx.clone();
        group.schedule(at, move || started_tx.send(i).unwrap());
    }
    let mut late = (0..N).collect::<HashSet<_>>();
    let limit = Instant::now() + SOON;
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
        "with a worker free, tasks {late:?} waited behind the slow task for over {SOON:?}"
    );
    assert_eq!(wait_within(&group, 3 * SOON), Ok(()));
}

// ===========================================================================
// 2. Exactly once.
// ===========================================================================

/// A burst bigger than what the driver hands to the workers at once (it
/// takes due tasks out of the wheels in parts) still runs every task exactly
/// once, from every shard, and `wait()` sees the end of it.
#[test]
fn inv2_a_burst_bigger_than_one_batch_runs_exactly_once() {
    let _gate = common::shared();
    let group = Group::new();
    const PER_THREAD: usize = 40_000;
    let runs = counters(2 * PER_THREAD);
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
    assert_eq!(wait_within(&group, Duration::from_secs(60)), Ok(()));
    let wrong: Vec<usize> = (0..runs.len())
        .filter(|&i| runs[i].load(Ordering::SeqCst) != 1)
        .collect();
    assert!(
        wrong.is_empty(),
        "{} tasks did not run exactly once",
        wrong.len()
    );
}

/// Threads race `TaskHandle::cancel` (two per task, on clones of the handle)
/// against the task firing. For every task exactly one of "it ran" and "a
/// cancel returned true" holds, and when a cancel returns true the closure's
/// captures are already dropped.
#[test]
fn inv2_exactly_once_under_cancel_races() {
    let _gate = common::shared();
    const ROUNDS: usize = 20;
    const N: usize = 400;
    const CANCELLERS: usize = 3;
    let group = Group::new();
    let (mut total_ran, mut total_canceled) = (0, 0);
    let mut rng = Rng::new(42);
    for round in 0..ROUNDS {
        let ran = counters(N);
        let cancels = counters(N);
        let dropped = flags(N);
        let base = Instant::now() + 2 * MS;
        let handles: Arc<Vec<TaskHandle>> = Arc::new(
            (0..N)
                .map(|i| {
                    let ran = ran.clone();
                    let guard = SetOnDrop {
                        flags: dropped.clone(),
                        i,
                    };
                    let at = base + Duration::from_micros(rng.below(4_000));
                    group.schedule(at, move || {
                        let _guard = guard;
                        ran[i].fetch_add(1, Ordering::SeqCst);
                    })
                })
                .collect(),
        );
        let barrier = Arc::new(Barrier::new(CANCELLERS));
        let threads: Vec<_> = (0..CANCELLERS)
            .map(|t| {
                let (handles, cancels, dropped, barrier) = (
                    handles.clone(),
                    cancels.clone(),
                    dropped.clone(),
                    barrier.clone(),
                );
                let mut order: Vec<usize> = (0..N).collect();
                let mut rng = Rng::new((round * CANCELLERS + t) as u64 + 1);
                for i in (1..N).rev() {
                    order.swap(i, rng.below(i as u64 + 1) as usize);
                }
                thread::spawn(move || {
                    barrier.wait();
                    // Start near the middle of the firing window.
                    if let Some(pause) = (base + 2 * MS).checked_duration_since(Instant::now()) {
                        thread::sleep(pause);
                    }
                    for i in order {
                        if handles[i].cancel() {
                            assert!(
                                dropped[i].load(Ordering::SeqCst),
                                "cancel returned true but task {i}'s closure is alive"
                            );
                            cancels[i].fetch_add(1, Ordering::SeqCst);
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(wait_within(&group, SOON), Ok(()));
        for i in 0..N {
            let (r, c) = (
                ran[i].load(Ordering::SeqCst),
                cancels[i].load(Ordering::SeqCst),
            );
            assert_eq!(
                r + c,
                1,
                "round {round} task {i}: ran {r} times, canceled {c} times"
            );
            assert!(
                dropped[i].load(Ordering::SeqCst),
                "task {i}'s closure leaked"
            );
            total_ran += r;
            total_canceled += c;
        }
    }
    // Not vacuous: both sides of the race won sometimes.
    assert!(
        total_ran > 0 && total_canceled > 0,
        "ran {total_ran}, canceled {total_canceled}"
    );
}

/// `Group::cancel` racing the firing: every task runs at most once, every
/// closure is dropped exactly once (ran or not), and `wait` says Canceled.
#[test]
fn inv2_exactly_once_under_group_cancel_races() {
    let _gate = common::shared();
    let mut rng = Rng::new(7);
    for _ in 0..20 {
        const N: usize = 300;
        let group = Group::new();
        let ran = counters(N);
        let dropped = flags(N);
        let base = Instant::now() + MS;
        for i in 0..N {
            let ran = ran.clone();
            let guard = SetOnDrop {
                flags: dropped.clone(),
                i,
            };
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
        assert_eq!(wait_within(&group, SOON), Err(Error::Canceled));
        for i in 0..N {
            assert!(ran[i].load(Ordering::SeqCst) <= 1, "task {i} ran twice");
            assert!(
                dropped[i].load(Ordering::SeqCst),
                "task {i}'s closure leaked"
            );
        }
    }
}

/// A periodic series is a scheduled task too: once `cancel` returns true
/// its closure's captures are released, even while its handle lives on.
#[test]
fn inv2_canceled_series_releases_its_closure() {
    let _gate = common::shared();
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
    assert_eq!(wait_within(&group, SOON), Ok(()));
}

/// Tasks that have fired but not started (due, waiting for a worker behind a
/// running task) are canceled too when the group is canceled or dropped:
/// their closures are dropped before `cancel` / `drop` returns, not when the
/// unrelated running task happens to finish.
#[test]
fn inv2_group_stop_drops_fired_but_unstarted_closures_promptly() {
    let _gate = common::shared();
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
            let _ = release_rx.recv_timeout(SOON);
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
            .recv_timeout(SOON)
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
            assert_eq!(wait_within(&group, SOON), Err(Error::Canceled));
        }
        common::wait_for("every closure to be dropped", SOON, || drops.dropped() == 8);
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

/// A canceled task's captures are released by the time `cancel` returns
/// (checked through the captured `Arc`'s strong count).
#[test]
fn inv2_cancel_releases_captures_promptly() {
    let _gate = common::shared();
    let group = Group::new();
    let payload = Arc::new(vec![0u8; 1024]);
    let handles: Vec<_> = (0..100)
        .map(|_| {
            let payload = payload.clone();
            group.delay(HOUR, move || drop(payload))
        })
        .collect();
    assert_eq!(Arc::strong_count(&payload), 101);
    for (n, handle) in handles.iter().enumerate() {
        assert!(handle.cancel());
        assert_eq!(Arc::strong_count(&payload), 100 - n);
        assert!(!handle.cancel(), "canceled twice");
    }
    assert_eq!(group.len(), 0);
}

/// Closures of every layout (zero-sized, one byte, one word, two words,
/// over-aligned, large) are run at most once and dropped exactly once, on
/// every path: run, handle cancel, group cancel, schedule after cancel and
/// drop of the group.
#[test]
fn inv2_closures_of_every_layout_run_once_and_drop_once() {
    let _gate = common::shared();
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
        _token: common::DropToken,
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
        assert_eq!(wait_within(&group, SOON), Ok(()), "kind {kind}");
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
        assert_eq!(wait_within(&group, SOON), Err(Error::Canceled));
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
// 3. No lost wake-up.
// ===========================================================================

/// The driver parks on a far deadline; a nearer task scheduled from another
/// thread (or a far one reset to now) must wake it.
#[test]
fn inv3_earlier_schedule_wakes_the_parked_driver() {
    let _gate = common::shared();
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
            rx.recv_timeout(SOON).is_ok(),
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
        rx.recv_timeout(SOON),
        Ok(()),
        "reset to now did not wake the driver"
    );
    assert!(far.cancel());
}

/// Many threads schedule near tasks at once, each earlier than the last,
/// while the driver sleeps far away: every one of them runs.
#[test]
fn inv3_concurrent_near_schedules_all_run() {
    let _gate = common::shared();
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
    common::wait_for("every near task to run", SOON, || {
        count.load(Ordering::SeqCst) == THREADS * PER
    });
    assert!(far.cancel());
    assert_eq!(wait_within(&group, SOON), Ok(()));
}

/// `wait` wakes when the last task finishes, however the race falls.
#[test]
fn inv3_wait_wakes_when_the_last_task_finishes() {
    let _gate = common::shared();
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
        assert_eq!(wait_within(&group, SOON), Ok(()));
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
    let _gate = common::shared();
    let group = Group::new();
    let handle = group.delay(HOUR, || {});
    let waiter = {
        let group = group.clone();
        thread::spawn(move || group.wait())
    };
    thread::sleep(50 * MS);
    assert!(!waiter.is_finished(), "wait returned with a task pending");
    assert!(handle.cancel());
    let waited = common::within("wait after the last cancel", SOON, move || {
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
    let waited = common::within("wait after group cancel", SOON, move || {
        waiter.join().unwrap()
    });
    assert_eq!(waited, Err(Error::Canceled));
}

// ===========================================================================
// 4. No polling.
// ===========================================================================

/// Builds a group and returns it with its driver thread's tid. Needs the
/// exclusive gate: the new driver is the only one that appears meanwhile.
fn group_and_driver(build: impl FnOnce() -> Group) -> (Group, u32) {
    let before: HashSet<u32> = common::tids_named(common::DRIVER_COMM)
        .into_iter()
        .collect();
    let group = build();
    let mut found = Vec::new();
    common::wait_for("the driver thread to appear", SOON, || {
        found = common::tids_named(common::DRIVER_COMM)
            .into_iter()
            .filter(|tid| !before.contains(tid))
            .collect();
        !found.is_empty()
    });
    assert_eq!(found.len(), 1, "one group, several new drivers: {found:?}");
    (group, found[0])
}

/// Context switches of the driver over `window`.
fn driver_switches(tid: u32, window: Duration) -> u64 {
    let (v0, n0) = common::context_switches(tid).expect("driver status");
    thread::sleep(window);
    let (v1, n1) = common::context_switches(tid).expect("driver status");
    (v1 - v0) + (n1 - n0)
}

/// With nothing scheduled the driver sleeps: no wake-ups at all.
#[test]
fn inv4_idle_driver_does_not_poll() {
    let _gate = common::exclusive();
    let (group, tid) = group_and_driver(Group::new);
    thread::sleep(100 * MS);
    let switches = driver_switches(tid, Duration::from_secs(1));
    assert!(
        switches <= 3,
        "idle driver switched {switches} times in 1 s"
    );
    drop(group);
}

/// 10k tasks pending an hour out: the driver sleeps until their slot, it
/// does not tick.
#[test]
fn inv4_driver_with_far_timers_does_not_poll() {
    let _gate = common::exclusive();
    let (group, tid) = group_and_driver(Group::new);
    let mut rng = Rng::new(11);
    for _ in 0..10_000 {
        group.delay(HOUR + Duration::from_millis(rng.below(600_000)), || {});
    }
    assert_eq!(group.len(), 10_000);
    thread::sleep(200 * MS);
    let switches = driver_switches(tid, Duration::from_secs(1));
    assert!(
        switches <= 3,
        "driver with 10k far timers switched {switches} times in 1 s"
    );
    drop(group);
}

/// One task 300 ms out sits on level 1 of the wheel: the driver wakes at
/// its slot, cascades, wakes at the deadline, runs it, and sleeps again: a
/// handful of wake-ups over a second, not one per tick.
#[test]
fn inv4_driver_wakes_only_at_occupied_slots() {
    let _gate = common::exclusive();
    let (group, tid) = group_and_driver(Group::new);
    thread::sleep(50 * MS);
    let (tx, rx) = mpsc::channel();
    let (v0, n0) = common::context_switches(tid).expect("driver status");
    group.delay(300 * MS, move || tx.send(()).unwrap());
    assert_eq!(rx.recv_timeout(SOON), Ok(()));
    thread::sleep(Duration::from_millis(700));
    let (v1, n1) = common::context_switches(tid).expect("driver status");
    let switches = (v1 - v0) + (n1 - n0);
    assert!(
        switches <= 8,
        "driver switched {switches} times for one task"
    );
    drop(group);
}

// ===========================================================================
// 5. Stale handles are harmless.
// ===========================================================================

/// The slab index a handle's key names, from its `Debug` output.
fn slot_of(handle: &TaskHandle) -> u32 {
    let text = format!("{handle:?}");
    let rest = &text[text.find("index: ").expect("Key's Debug shows its index") + 7..];
    rest[..rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len())]
        .parse()
        .expect("an index")
}

#[test]
fn inv5_stale_handle_after_run_spares_the_slot_reuser() {
    let _gate = common::shared();
    let group = Group::new();
    let old = group.schedule(Instant::now(), || {});
    assert_eq!(wait_within(&group, SOON), Ok(()));
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    // An hour out, so that it is certainly still pending while the stale
    // handle is tried, however slow the machine; then it is moved to now.
    let new = group.delay(HOUR, move || r.store(true, Ordering::SeqCst));
    assert_eq!(
        slot_of(&old),
        slot_of(&new),
        "the new task did not reuse the slot"
    );
    assert!(!old.is_pending());
    assert!(
        !old.cancel(),
        "a handle to a finished task canceled something"
    );
    assert!(!old.reset(Instant::now() + HOUR));
    assert!(new.is_pending());
    assert_eq!(group.len(), 1);
    assert!(new.reset(Instant::now()));
    assert_eq!(wait_within(&group, SOON), Ok(()));
    assert!(
        ran.load(Ordering::SeqCst),
        "the slot's new task did not run"
    );
}

#[test]
fn inv5_stale_handle_after_cancel_spares_the_slot_reuser() {
    let _gate = common::shared();
    let group = Group::new();
    let old = group.delay(HOUR, || {});
    assert!(old.cancel());
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    // An hour out, so that it is certainly still pending while the stale
    // handle is tried, however slow the machine; then it is moved to now.
    let new = group.delay(HOUR, move || r.store(true, Ordering::SeqCst));
    assert_eq!(
        slot_of(&old),
        slot_of(&new),
        "the new task did not reuse the slot"
    );
    assert!(!old.cancel());
    assert!(!old.reset(Instant::now() + HOUR));
    assert!(!old.is_pending());
    assert!(new.is_pending());
    assert!(new.reset(Instant::now()));
    assert_eq!(wait_within(&group, SOON), Ok(()));
    assert!(
        ran.load(Ordering::SeqCst),
        "the slot's new task did not run"
    );
}

/// Many rounds: every stale handle kept so far is tried against every new
/// generation of tasks; none of them is ever touched.
#[test]
fn inv5_stale_handles_never_touch_later_tasks() {
    let _gate = common::shared();
    let group = Group::new();
    let mut stale: Vec<TaskHandle> = Vec::new();
    let ran = Arc::new(AtomicUsize::new(0));
    for round in 0..30 {
        let fresh: Vec<_> = (0..20)
            .map(|_| {
                let ran = ran.clone();
                group.delay(HOUR, move || {
                    ran.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        for handle in &stale {
            assert!(!handle.cancel(), "round {round}: a stale cancel succeeded");
            assert!(
                !handle.reset(Instant::now()),
                "round {round}: a stale reset succeeded"
            );
            assert!(!handle.is_pending());
        }
        assert_eq!(
            group.len(),
            20,
            "round {round}: a stale handle removed a task"
        );
        // Half are canceled, half run now; all become stale.
        for (i, handle) in fresh.iter().enumerate() {
            if i % 2 == 0 {
                assert!(handle.cancel());
            } else {
                assert!(handle.reset(Instant::now()));
            }
        }
        assert_eq!(wait_within(&group, SOON), Ok(()));
        assert_eq!(ran.load(Ordering::SeqCst), (round + 1) * 10);
        stale.extend(fresh);
    }
}

// ===========================================================================
// 6. Any deadline is accepted.
// ===========================================================================

#[test]
fn inv6_any_deadline_under_extreme_ticks() {
    let _gate = common::shared();
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
        group.schedule(
            common::far_past(now, Duration::from_secs(u64::MAX)),
            count(&ran),
        );
        group.schedule(
            common::far_past(now, Duration::from_secs(3600 * 24 * 365)),
            count(&ran),
        );
        let moved = group.delay(Duration::MAX, count(&ran));
        assert!(moved.reset(common::far_past(now, Duration::from_secs(1))));
        common::wait_for("the past tasks to run", SOON, || {
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
        assert_eq!(wait_within(&group, SOON), Ok(()));
        assert_eq!(ran.load(Ordering::SeqCst), 3);
    }
}

/// Extreme builder settings are accepted and the group works.
#[test]
fn inv6_extreme_builder_settings() {
    let _gate = common::shared();
    let far = Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600);
    let builders = [
        Group::builder().tick(Duration::ZERO),
        Group::builder().max_concurrency(0),
        Group::builder().max_concurrency(usize::MAX),
        Group::builder().keep_alive(Duration::ZERO),
        Group::builder().deadline(far),
    ];
    for builder in builders {
        let shown = format!("{builder:?}");
        let group = builder.build();
        let count = Arc::new(AtomicUsize::new(0));
        for i in 0..20 {
            let count = count.clone();
            group.delay(Duration::from_micros(i * 100), move || {
                count.fetch_add(1, Ordering::SeqCst);
            });
        }
        assert_eq!(wait_within(&group, SOON), Ok(()), "{shown}");
        assert_eq!(count.load(Ordering::SeqCst), 20, "{shown}");
    }
    // A tick of Duration::MAX: nothing not already due ever runs, but
    // scheduling, counting and canceling work.
    let group = Group::builder().tick(Duration::MAX).build();
    let h = group.delay(MS, || unreachable!());
    assert_eq!(group.len(), 1);
    assert!(h.reset(Instant::now() + HOUR));
    assert!(h.cancel());
    assert_eq!(wait_within(&group, SOON), Ok(()));
}

/// `keep_alive(Duration::MAX)` ("never retire a worker") must not break the
/// pool: tasks keep running after a worker has gone idle.
#[test]
fn inv6_keep_alive_max_keeps_the_pool_working() {
    let _gate = common::shared();
    let group = Group::builder().keep_alive(Duration::MAX).build();
    let count = Arc::new(AtomicUsize::new(0));
    for round in 1..=3 {
        let c = count.clone();
        group.delay(Duration::ZERO, move || {
            c.fetch_add(1, Ordering::SeqCst);
        });
        assert_eq!(wait_within(&group, SOON), Ok(()), "round {round}");
        assert_eq!(count.load(Ordering::SeqCst), round);
        // Let the worker go idle before the next task.
        thread::sleep(50 * MS);
    }
}

// ===========================================================================
// 7. A panicking task harms nobody.
// ===========================================================================

/// With one worker (kept alive for an hour), three of ten tasks panic: the
/// others run on the very same worker thread, `wait` reports the count and
/// the first message, and the group keeps working, reporting forever after.
#[test]
fn inv7_panicking_tasks_harm_nobody() {
    let _gate = common::shared();
    let group = Group::builder().max_concurrency(1).keep_alive(HOUR).build();
    let ran = Arc::new(AtomicUsize::new(0));
    let workers = Arc::new(Mutex::new(HashSet::new()));
    for i in 1..=10u32 {
        let (ran, workers) = (ran.clone(), workers.clone());
        group.delay(MS * i, move || {
            workers.lock().unwrap().insert(thread::current().id());
            match i {
                2 | 5 => panic!("{INTENTIONAL} #{i}"),
                7 => std::panic::panic_any(common::IntentionalPayload),
                _ => ran.fetch_add(1, Ordering::SeqCst),
            };
        });
    }
    let first = format!("{INTENTIONAL} #2");
    let error = Error::Panicked {
        count: 3,
        message: Some(first.clone()),
    };
    let expected = Err(error.clone());
    assert_eq!(wait_within(&group, SOON), expected);
    assert_eq!(ran.load(Ordering::SeqCst), 7);
    assert_eq!(
        workers.lock().unwrap().len(),
        1,
        "a worker died with its task"
    );
    // The driver and the worker go on; the report is sticky.
    let (tx, rx) = mpsc::channel();
    group.delay(MS, move || tx.send(thread::current().id()).unwrap());
    let id = rx
        .recv_timeout(SOON)
        .expect("the group stopped after a panic");
    assert!(
        workers.lock().unwrap().contains(&id),
        "the worker was replaced"
    );
    assert_eq!(wait_within(&group, SOON), expected);
    let shown = error.to_string();
    assert!(shown.contains('3') && shown.contains(&first), "{shown}");
}

/// Panics on many workers at once are all counted.
#[test]
fn inv7_concurrent_panics_are_all_counted() {
    let _gate = common::shared();
    let group = Group::builder().max_concurrency(4).build();
    let ran = Arc::new(AtomicUsize::new(0));
    for i in 0..40 {
        let ran = ran.clone();
        group.schedule(Instant::now(), move || {
            if i % 4 == 0 {
                panic!("{INTENTIONAL}");
            }
            ran.fetch_add(1, Ordering::SeqCst);
        });
    }
    let waited = wait_within(&group, SOON);
    assert!(
        matches!(&waited, Err(Error::Panicked { count: 10, message: Some(m) }) if m == INTENTIONAL),
        "{waited:?}"
    );
    assert_eq!(ran.load(Ordering::SeqCst), 30);
}

/// The stop reason wins over panics in `wait`'s report.
#[test]
fn inv7_cancel_wins_over_panics() {
    let _gate = common::shared();
    let group = Group::new();
    group.schedule(Instant::now(), || panic!("{INTENTIONAL}"));
    assert!(matches!(
        wait_within(&group, SOON),
        Err(Error::Panicked { count: 1, .. })
    ));
    group.cancel();
    assert_eq!(wait_within(&group, SOON), Err(Error::Canceled));
}

// ===========================================================================
// 8. Drop is clean.
// ===========================================================================

/// Dropping the last group drops every pending closure before it returns,
/// stops the driver, and leaves behind only the worker of the task still
/// running, which exits once that task ends.
#[test]
fn inv8_drop_drops_pending_and_stops_threads() {
    let _gate = common::exclusive();
    let before = common::tid_set();
    let group = Group::new();
    let drops = DropCounter::new();
    for i in 0..1000 {
        let token = drops.token();
        group.delay(HOUR + MS * i, move || drop(token));
    }
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let finished = Arc::new(AtomicBool::new(false));
    let f = finished.clone();
    group.schedule(Instant::now(), move || {
        started_tx.send(()).unwrap();
        let _ = release_rx.recv_timeout(SOON);
        f.store(true, Ordering::SeqCst);
    });
    started_rx
        .recv_timeout(SOON)
        .expect("the running task never started");
    assert_eq!(common::count_named(common::DRIVER_COMM), 1);

    common::within("drop of the last Group", SOON, move || drop(group));
    assert_eq!(drops.dropped(), 1000, "pending closures survived the drop");
    common::wait_for("the driver thread to exit", SOON, || {
        common::count_named(common::DRIVER_COMM) == 0
    });
    // The running task goes on, on its worker.
    assert!(!finished.load(Ordering::SeqCst));
    assert_eq!(common::count_named(common::WORKER_COMM), 1);
    release_tx.send(()).unwrap();
    common::wait_for("the running task to finish", SOON, || {
        finished.load(Ordering::SeqCst)
    });
    let mut leaked = Vec::new();
    common::wait_for("every thread of the group to exit", SOON, || {
        leaked = common::leaked_since(&before);
        leaked.is_empty()
    });
}

/// Dropping the last group releases a pending series' closure too, even if
/// the series' handle outlives the group.
#[test]
fn inv8_drop_releases_series_closures() {
    let _gate = common::shared();
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

/// A clone keeps the group alive: its tasks run, it accepts new ones.
#[test]
fn inv8_a_clone_keeps_the_group_alive() {
    let _gate = common::shared();
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
    assert_eq!(wait_within(&clone, SOON), Ok(()));
    assert_eq!(count.load(Ordering::SeqCst), 2);
}

/// A task that drops the last `Group` (its own) does not deadlock; the
/// group's pending closures are dropped and its threads exit.
#[test]
fn inv8_dropping_the_group_from_its_own_task() {
    let _gate = common::exclusive();
    let before = common::tid_set();
    let drops = DropCounter::new();
    let slot: Arc<Mutex<Option<Group>>> = Arc::new(Mutex::new(None));
    let group = Group::new();
    for _ in 0..10 {
        let token = drops.token();
        group.delay(HOUR, move || drop(token));
    }
    let (tx, rx) = mpsc::channel();
    let s = slot.clone();
    let counter = drops.clone();
    group.delay(10 * MS, move || {
        let last = s.lock().unwrap().take().expect("the group");
        drop(last);
        tx.send(counter.dropped()).unwrap();
    });
    *slot.lock().unwrap() = Some(group);
    let dropped = rx
        .recv_timeout(SOON)
        .expect("dropping the group from its own task hung");
    assert_eq!(dropped, 10, "pending closures survived the drop");
    let mut leaked = Vec::new();
    common::wait_for("the group's threads to exit", SOON, || {
        leaked = common::leaked_since(&before);
        leaked.is_empty()
    });
}

/// The last `Group` held only by one of its own pending closures: the
/// group's deadline drops that closure on the driver thread, which must
/// then shut itself down instead of joining itself.
#[test]
fn inv8_last_group_dropped_by_its_driver() {
    let _gate = common::exclusive();
    let before = common::tid_set();
    let group = Group::builder().deadline(Instant::now() + 50 * MS).build();
    let inner = group.clone();
    let drops = DropCounter::new();
    let token = drops.token();
    group.delay(HOUR, move || {
        let _keep = (inner, token);
    });
    drop(group);
    common::wait_for("the deadline to drop the last group", SOON, || {
        drops.dropped() == 1
    });
    let mut leaked = Vec::new();
    common::wait_for("the group's threads to exit", SOON, || {
        leaked = common::leaked_since(&before);
        leaked.is_empty()
    });
}

/// The last `Group` held only by a pending closure, released by canceling
/// that task's handle: `cancel` drops it (and with it the group) cleanly.
#[test]
fn inv8_last_group_dropped_by_a_handle_cancel() {
    let _gate = common::shared();
    let group = Group::new();
    let inner = group.clone();
    let handle = group.delay(HOUR, move || drop(inner));
    drop(group);
    assert!(common::within(
        "cancel dropping the last group",
        SOON,
        move || handle.cancel()
    ));
}

/// Handles that outlive their group answer `false` and do nothing.
#[test]
fn inv8_handles_outliving_the_group_are_inert() {
    let _gate = common::shared();
    let group = Group::new();
    let pending = group.delay(HOUR, || {});
    let done = group.schedule(Instant::now(), || {});
    common::wait_for("the task due now to start", SOON, || !done.is_pending());
    assert!(pending.is_pending());
    drop(group);
    for handle in [&pending, &done] {
        assert!(!handle.is_pending());
        assert!(!handle.cancel());
        assert!(!handle.reset(Instant::now()));
        assert!(!handle.clone().cancel());
    }
}

// ===========================================================================
// The pool: concurrency cap, workers on demand, idle exit.
// ===========================================================================

#[test]
fn max_concurrency_caps_running_tasks() {
    let _gate = common::shared();
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
        assert_eq!(wait_within(&group, SOON), Ok(()));
        assert_eq!(ran.load(Ordering::SeqCst), 20);
        let peak = peak.load(Ordering::SeqCst);
        assert!(peak <= cap, "cap {cap}: {peak} tasks ran at once");
    }
}

#[test]
fn no_worker_exists_before_the_first_task_fires() {
    let _gate = common::exclusive();
    let group = Group::builder().keep_alive(HOUR).build();
    for i in 0..100 {
        group.delay(HOUR + MS * i, || {});
    }
    thread::sleep(200 * MS);
    assert_eq!(common::count_named(common::DRIVER_COMM), 1);
    assert_eq!(
        common::count_named(common::WORKER_COMM),
        0,
        "a worker exists before any task fired"
    );
    group.schedule(Instant::now(), || {});
    common::wait_for("the first task to fire", SOON, || group.len() == 100);
    common::wait_for("a worker to appear", SOON, || {
        common::count_named(common::WORKER_COMM) >= 1
    });
    drop(group);
    common::wait_for("workers to exit after the drop", SOON, || {
        common::count_named(common::WORKER_COMM) == 0
    });
}

#[test]
fn idle_workers_exit_after_keep_alive() {
    let _gate = common::exclusive();
    // Short keep-alive: the workers go while the group lives on.
    let group = Group::builder()
        .keep_alive(100 * MS)
        .max_concurrency(4)
        .build();
    for _ in 0..8 {
        group.schedule(Instant::now(), || thread::sleep(20 * MS));
    }
    assert_eq!(wait_within(&group, SOON), Ok(()));
    common::wait_for("idle workers to exit", SOON, || {
        common::count_named(common::WORKER_COMM) == 0
    });
    // New work still finds (new) workers.
    let (tx, rx) = mpsc::channel();
    group.schedule(Instant::now(), move || tx.send(()).unwrap());
    assert_eq!(rx.recv_timeout(SOON), Ok(()));
    assert_eq!(wait_within(&group, SOON), Ok(()));
    drop(group);

    // Long keep-alive: an idle worker stays.
    let group = Group::builder().keep_alive(HOUR).build();
    group.schedule(Instant::now(), || {});
    assert_eq!(wait_within(&group, SOON), Ok(()));
    thread::sleep(300 * MS);
    assert!(
        common::count_named(common::WORKER_COMM) >= 1,
        "a worker left before its keep-alive"
    );
    drop(group);
}

// ===========================================================================
// wait().
// ===========================================================================

#[test]
fn wait_from_four_threads_at_once() {
    let _gate = common::shared();
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
        let waited = common::within("one of four waiters", SOON, move || waiter.join().unwrap());
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
        let waited = common::within("one of four waiters", SOON, move || waiter.join().unwrap());
        assert_eq!(waited, Err(Error::Canceled));
    }
}

/// After `cancel`, `wait` returns only once the task already running has
/// finished.
#[test]
fn wait_after_cancel_waits_for_the_running_task() {
    let _gate = common::shared();
    let group = Group::new();
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let finished = Arc::new(AtomicBool::new(false));
    let f = finished.clone();
    group.schedule(Instant::now(), move || {
        started_tx.send(()).unwrap();
        let _ = release_rx.recv_timeout(SOON);
        thread::sleep(20 * MS);
        f.store(true, Ordering::SeqCst);
    });
    group.delay(HOUR, || {});
    started_rx
        .recv_timeout(SOON)
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
    let (waited, task_finished) = common::within("wait after the running task", SOON, move || {
        waiter.join().unwrap()
    });
    assert_eq!(waited, Err(Error::Canceled));
    assert!(
        task_finished,
        "wait returned before the running task finished"
    );
}

// ===========================================================================
// The API contract's trait bounds.
// ===========================================================================

#[test]
fn api_contract_traits() {
    fn send_sync<T: Send + Sync>() {}
    fn clone<T: Clone>() {}
    fn error<T: std::error::Error + std::fmt::Debug + std::fmt::Display + Send + Sync + 'static>() {
    }
    fn key<T: Copy + Eq + std::hash::Hash + std::fmt::Debug>() {}
    send_sync::<Group>();
    clone::<Group>();
    send_sync::<TaskHandle>();
    clone::<TaskHandle>();
    error::<Error>();
    key::<schedgroup::Key>();
}
