//! 100,000 concurrent `Group::sleep` futures under a tokio multi-thread
//! runtime, fired by one schedgroup driver instead of tokio's own timer.
//!
//! ```text
//! cargo run --release --example sleep_tokio
//! ```
//!
//! Each tokio task awaits one sleep, due between 0.5 and 1.5 s after it was
//! created, and measures how late it woke. The run prints the wall time,
//! the worst lateness the tasks saw, the group's own `stats()`, and the
//! process's threads and resident memory (Linux `/proc/self/status`). A
//! second part shows that a sleep that loses a `tokio::select!` (to a
//! shorter tokio timeout) cancels its timer: `len()` goes back to 0.

use std::fs;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use schedgroup::Group;
use tokio::task::JoinSet;

const SLEEPS: u32 = 100_000;
const FIRST: Duration = Duration::from_millis(500);
const SPREAD: Duration = Duration::from_secs(1);
const ABANDONED: u32 = 10_000;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let runtime_threads = tokio::runtime::Handle::current().metrics().num_workers();
    println!(
        "tokio multi-thread runtime: {runtime_threads} workers; {SLEEPS} sleeps due {FIRST:?}..{:?} out",
        FIRST + SPREAD
    );
    report("before", 0);

    let group = Group::new();
    let worst = Arc::new(AtomicU64::new(0));
    let early = Arc::new(AtomicUsize::new(0));
    let mut tasks = JoinSet::new();
    let start = Instant::now();
    let mut last_deadline = start;
    for i in 0..SLEEPS {
        let delay = FIRST + SPREAD * i / SLEEPS;
        // Read before `sleep` reads the clock: a lower bound of its deadline,
        // so lateness is measured generously and "early" is never missed.
        let deadline = Instant::now() + delay;
        last_deadline = last_deadline.max(deadline);
        let sleep = group.sleep(delay);
        let (worst, early) = (worst.clone(), early.clone());
        tasks.spawn(async move {
            sleep.await.expect("the group outlives every sleep");
            let now = Instant::now();
            match now.checked_duration_since(deadline) {
                Some(late) => {
                    let nanos = u64::try_from(late.as_nanos()).unwrap_or(u64::MAX);
                    worst.fetch_max(nanos, Ordering::Relaxed);
                }
                None => {
                    early.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    let scheduled = start.elapsed();
    println!(
        "scheduled {SLEEPS} sleeps (and spawned their tasks) in {scheduled:?}; pending: {}",
        group.len()
    );
    report("all pending", group.len());
    while let Some(joined) = tasks.join_next().await {
        joined.expect("a sleeping task failed");
    }
    let elapsed = start.elapsed();
    println!(
        "all {SLEEPS} completed {elapsed:?} after the first was created (the last was due at {:?})",
        last_deadline - start
    );
    println!(
        "max lateness seen by a task: {:?}; woke early: {}",
        Duration::from_nanos(worst.load(Ordering::Relaxed)),
        early.load(Ordering::Relaxed)
    );
    println!("group.stats(): {:#?}", group.stats());
    report("all done", group.len());

    // Abandoned sleeps: each loses a select! against a shorter tokio timer;
    // dropping it cancels its timer in the group.
    let canceled_before = group.stats().canceled;
    let mut tasks = JoinSet::new();
    for _ in 0..ABANDONED {
        let sleep = group.sleep(Duration::from_secs(60));
        tasks.spawn(async move {
            tokio::select! {
                _ = sleep => false,
                _ = tokio::time::sleep(Duration::from_millis(50)) => true,
            }
        });
    }
    println!(
        "\nselect! demo: {ABANDONED} sleeps of 60 s racing a 50 ms tokio timeout; pending now: {}",
        group.len()
    );
    let mut timeouts = 0;
    while let Some(joined) = tasks.join_next().await {
        timeouts += u32::from(joined.expect("a select task failed"));
    }
    let stats = group.stats();
    println!(
        "timeouts won: {timeouts}/{ABANDONED}; pending after: {}; canceled: +{}",
        group.len(),
        stats.canceled - canceled_before
    );
    assert_eq!(group.len(), 0, "abandoned sleeps left their timers pending");
}

/// Prints the process's threads (and how many are the scheduler's) and its
/// resident memory, now and at peak.
fn report(when: &str, pending: usize) {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .map(|rest| rest.trim().to_string())
            .unwrap_or_else(|| "?".into())
    };
    let (driver, workers) = schedgroup_threads();
    println!(
        "[{when}] threads: {} (schedgroup driver {driver}, workers {workers}); RSS {} (peak {}); pending {}",
        field("Threads:"),
        field("VmRSS:"),
        field("VmHWM:"),
        pending
    );
}

/// Threads named by the scheduler (the kernel keeps 15 bytes of a name).
fn schedgroup_threads() -> (usize, usize) {
    let (mut driver, mut workers) = (0, 0);
    if let Ok(dir) = fs::read_dir("/proc/self/task") {
        for entry in dir.flatten() {
            match fs::read_to_string(entry.path().join("comm")).as_deref() {
                Ok("schedgroup-driv\n") => driver += 1,
                Ok("schedgroup-work\n") => workers += 1,
                _ => {}
            }
        }
    }
    (driver, workers)
}
