//! The group's threads, as Linux's `/proc` shows them: an idle driver does
//! not poll (invariant 4), workers exist only on demand and leave when idle,
//! and a group leaves no thread behind when it goes (invariant 8).
//!
//! Every test here counts the whole process's threads, so they all live in
//! this one binary and take turns ([`serial`]): while one counts, no group
//! of another test exists. Tests in other files run in other processes.

#![cfg(target_os = "linux")]
// Builds groups: under `--features loom` their threads and locks are loom's,
// which work only inside a loom model (`loom-tests/` has those).
#![cfg(not(feature = "loom"))]

mod support;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use schedgroup::Group;
use support::threads::{
    context_switches, count_named, count_threads, leaked_since, threads, tid_set, tids_named,
    DRIVER_COMM, WORKER_COMM,
};
use support::{
    armed, quiet_intentional_panics, returns, wait_for, wait_within, within, DropCounter, Rng,
    JOB_TIMEOUT, STEP_TIMEOUT,
};

const MS: Duration = Duration::from_millis(1);
const HOUR: Duration = Duration::from_secs(3600);

/// Takes this test's turn: the tests of this file run one at a time, and
/// each starts once the threads of the groups before it have exited (they
/// do promptly, but asynchronously).
fn serial() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    let turn = TURN.lock().unwrap_or_else(PoisonError::into_inner);
    wait_for(
        "earlier tests' schedgroup threads to exit",
        STEP_TIMEOUT,
        || count_named(WORKER_COMM) == 0 && count_named(DRIVER_COMM) == 0,
    );
    turn
}

// ===========================================================================
// No polling (invariant 4)
// ===========================================================================

/// Builds a group and returns it with its driver thread's tid. Needs the
/// test's turn ([`serial`]): the new driver is the only one that appears
/// meanwhile.
fn group_and_driver(build: impl FnOnce() -> Group) -> (Group, u32) {
    let before: HashSet<u32> = tids_named(DRIVER_COMM).into_iter().collect();
    let group = build();
    let mut found = Vec::new();
    wait_for("the driver thread to appear", STEP_TIMEOUT, || {
        found = tids_named(DRIVER_COMM)
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
    let (v0, n0) = context_switches(tid).expect("driver status");
    thread::sleep(window);
    let (v1, n1) = context_switches(tid).expect("driver status");
    (v1 - v0) + (n1 - n0)
}

/// With nothing scheduled the driver sleeps: no wake-ups at all.
#[test]
fn inv4_idle_driver_does_not_poll() {
    let _turn = serial();
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
    let _turn = serial();
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
    let _turn = serial();
    let (group, tid) = group_and_driver(Group::new);
    thread::sleep(50 * MS);
    let (tx, rx) = mpsc::channel();
    let (v0, n0) = context_switches(tid).expect("driver status");
    group.delay(300 * MS, move || tx.send(()).unwrap());
    assert_eq!(rx.recv_timeout(STEP_TIMEOUT), Ok(()));
    thread::sleep(Duration::from_millis(700));
    let (v1, n1) = context_switches(tid).expect("driver status");
    let switches = (v1 - v0) + (n1 - n0);
    assert!(
        switches <= 8,
        "driver switched {switches} times for one task"
    );
    drop(group);
}

// ===========================================================================
// Workers on demand, idle exit
// ===========================================================================

#[test]
fn no_worker_exists_before_the_first_task_fires() {
    let _turn = serial();
    let group = Group::builder().keep_alive(HOUR).build();
    for i in 0..100 {
        group.delay(HOUR + MS * i, || {});
    }
    thread::sleep(200 * MS);
    assert_eq!(count_named(DRIVER_COMM), 1);
    assert_eq!(
        count_named(WORKER_COMM),
        0,
        "a worker exists before any task fired"
    );
    group.schedule(Instant::now(), || {});
    wait_for("the first task to fire", STEP_TIMEOUT, || {
        group.len() == 100
    });
    wait_for("a worker to appear", STEP_TIMEOUT, || {
        count_named(WORKER_COMM) >= 1
    });
    drop(group);
    wait_for("workers to exit after the drop", STEP_TIMEOUT, || {
        count_named(WORKER_COMM) == 0
    });
}

#[test]
fn idle_workers_exit_after_keep_alive() {
    let _turn = serial();
    // Short keep-alive: the workers go while the group lives on.
    let group = Group::builder()
        .keep_alive(100 * MS)
        .max_concurrency(4)
        .build();
    for _ in 0..8 {
        group.schedule(Instant::now(), || thread::sleep(20 * MS));
    }
    assert_eq!(wait_within(&group, STEP_TIMEOUT), Ok(()));
    wait_for("idle workers to exit", STEP_TIMEOUT, || {
        count_named(WORKER_COMM) == 0
    });
    // New work still finds (new) workers.
    let (tx, rx) = mpsc::channel();
    group.schedule(Instant::now(), move || tx.send(()).unwrap());
    assert_eq!(rx.recv_timeout(STEP_TIMEOUT), Ok(()));
    assert_eq!(wait_within(&group, STEP_TIMEOUT), Ok(()));
    drop(group);

    // Long keep-alive: an idle worker stays.
    let group = Group::builder().keep_alive(HOUR).build();
    group.schedule(Instant::now(), || {});
    assert_eq!(wait_within(&group, STEP_TIMEOUT), Ok(()));
    thread::sleep(300 * MS);
    assert!(
        count_named(WORKER_COMM) >= 1,
        "a worker left before its keep-alive"
    );
    drop(group);
}

// ===========================================================================
// Nothing left behind (invariant 8)
// ===========================================================================

/// Dropping the last group drops every pending closure before it returns,
/// stops the driver, and leaves behind only the worker of the task still
/// running, which exits once that task ends.
#[test]
fn inv8_drop_drops_pending_and_stops_threads() {
    let _turn = serial();
    let before = tid_set();
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
        let _ = release_rx.recv_timeout(STEP_TIMEOUT);
        f.store(true, Ordering::SeqCst);
    });
    started_rx
        .recv_timeout(STEP_TIMEOUT)
        .expect("the running task never started");
    assert_eq!(count_named(DRIVER_COMM), 1);

    within("drop of the last Group", STEP_TIMEOUT, move || drop(group));
    assert_eq!(drops.dropped(), 1000, "pending closures survived the drop");
    wait_for("the driver thread to exit", STEP_TIMEOUT, || {
        count_named(DRIVER_COMM) == 0
    });
    // The running task goes on, on its worker.
    assert!(!finished.load(Ordering::SeqCst));
    assert_eq!(count_named(WORKER_COMM), 1);
    release_tx.send(()).unwrap();
    wait_for("the running task to finish", STEP_TIMEOUT, || {
        finished.load(Ordering::SeqCst)
    });
    let mut leaked = Vec::new();
    wait_for("every thread of the group to exit", STEP_TIMEOUT, || {
        leaked = leaked_since(&before);
        leaked.is_empty()
    });
}

/// A task that drops the last `Group` (its own) does not deadlock; the
/// group's pending closures are dropped and its threads exit.
#[test]
fn inv8_dropping_the_group_from_its_own_task() {
    let _turn = serial();
    let before = tid_set();
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
        .recv_timeout(STEP_TIMEOUT)
        .expect("dropping the group from its own task hung");
    assert_eq!(dropped, 10, "pending closures survived the drop");
    let mut leaked = Vec::new();
    wait_for("the group's threads to exit", STEP_TIMEOUT, || {
        leaked = leaked_since(&before);
        leaked.is_empty()
    });
}

/// The last `Group` held only by one of its own pending closures: the
/// group's deadline drops that closure on the driver thread, which must
/// then shut itself down instead of joining itself.
#[test]
fn inv8_last_group_dropped_by_its_driver() {
    let _turn = serial();
    let before = tid_set();
    let group = Group::builder().deadline(Instant::now() + 50 * MS).build();
    let inner = group.clone();
    let drops = DropCounter::new();
    let token = drops.token();
    group.delay(HOUR, move || {
        let _keep = (inner, token);
    });
    drop(group);
    wait_for("the deadline to drop the last group", STEP_TIMEOUT, || {
        drops.dropped() == 1
    });
    let mut leaked = Vec::new();
    wait_for("the group's threads to exit", STEP_TIMEOUT, || {
        leaked = leaked_since(&before);
        leaked.is_empty()
    });
}

/// Go: TestGroupScheduleNoTasks. 8 threads × 1024 rounds of a new group
/// and `wait` with nothing scheduled: no hang, and no thread left behind.
#[test]
fn many_groups_with_no_tasks_neither_hang_nor_leak_threads() {
    let _turn = serial();
    let before = tid_set();
    let total_before = count_threads();
    within("8 x 1024 new-group-then-wait", JOB_TIMEOUT, || {
        let threads: Vec<_> = (0..8)
            .map(|_| {
                thread::spawn(|| {
                    for _ in 0..1024 {
                        let group = Group::new();
                        assert_eq!(group.wait(), Ok(()));
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    });
    let mut leaked = Vec::new();
    wait_for("the groups' threads to exit", STEP_TIMEOUT, || {
        leaked = leaked_since(&before);
        leaked.is_empty()
    });
    assert_eq!(count_named(DRIVER_COMM), 0);
    assert_eq!(count_named(WORKER_COMM), 0);
    // The harness's own threads come and go: allow for one per test slot
    // that may have started meanwhile (they are named after tests).
    let slots = thread::available_parallelism().map_or(1, |n| n.get());
    let total_after = count_threads();
    assert!(
        total_after <= total_before + slots,
        "threads: {total_before} before, {total_after} after: {:?}",
        threads()
    );
}

/// A pending closure whose captures panic when dropped (see
/// `group_panics.rs`): dropping the group contains the panic, and the
/// group's driver and worker still exit.
#[test]
fn dropping_the_group_contains_the_panic_and_its_threads_exit() {
    let _turn = serial();
    quiet_intentional_panics();
    let group = Group::builder().keep_alive(Duration::MAX).build();
    // A worker exists (keep-alive forever) and a closure is pending.
    let (ran, done) = mpsc::channel();
    group.delay(Duration::ZERO, move || ran.send(()).unwrap());
    done.recv_timeout(STEP_TIMEOUT)
        .expect("the first task never ran");
    group.delay(HOUR, armed());
    assert!(returns(move || drop(group)), "dropping the group unwound");
    wait_for("the driver and the worker to exit", STEP_TIMEOUT, || {
        count_named(DRIVER_COMM) == 0 && count_named(WORKER_COMM) == 0
    });
}

// ===========================================================================
// Timer slack
// ===========================================================================

fn timer_slack_of(tid: u32) -> Option<u64> {
    // Per thread, it is under /proc/<tid> (not under /proc/self/task).
    std::fs::read_to_string(format!("/proc/{tid}/timerslack_ns"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The driver and the workers run with the group's timer slack (20 µs by
/// default, what the builder says otherwise), not the OS's 50 µs: it
/// bounds how late they may wake for a deadline.
#[test]
fn the_groups_threads_take_its_timer_slack() {
    let _turn = serial();
    for (builder, expected) in [
        (Group::builder(), 20_000),
        (
            Group::builder().timer_slack(Duration::from_micros(7)),
            7_000,
        ),
        (Group::builder().timer_slack(Duration::ZERO), 1),
    ] {
        let (group, driver) = group_and_driver(|| builder.build());
        let before: HashSet<u32> = tids_named(WORKER_COMM).into_iter().collect();
        let (ran, done) = mpsc::channel();
        group.delay(Duration::ZERO, move || ran.send(()).unwrap());
        done.recv_timeout(STEP_TIMEOUT).expect("the task never ran");
        // Only this test's group has threads: any new worker is its.
        let workers: Vec<u32> = tids_named(WORKER_COMM)
            .into_iter()
            .filter(|tid| !before.contains(tid))
            .collect();
        assert!(!workers.is_empty(), "no worker ran the task");
        assert_eq!(timer_slack_of(driver), Some(expected), "the driver's");
        for worker in workers {
            assert_eq!(timer_slack_of(worker), Some(expected), "a worker's");
        }
        drop(group);
        wait_for("the group's threads to exit", STEP_TIMEOUT, || {
            count_named(WORKER_COMM) == 0 && count_named(DRIVER_COMM) == 0
        });
    }
}
