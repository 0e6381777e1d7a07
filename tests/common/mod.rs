//! Helpers shared by the integration tests: thread counting through
//! `/proc/self/task`, a gate that serialises the tests which count threads,
//! a watchdog against hangs, drop counters and a tiny PRNG.
//!
//! Each test binary compiles its own copy and uses only some helpers.
#![allow(dead_code)]

use std::collections::HashSet;
use std::fs;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Once, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::thread;
use std::time::{Duration, Instant};

/// Thread names as the kernel keeps them: `comm` holds at most 15 bytes, so
/// "schedgroup-driver" reads back as "schedgroup-driv".
pub const DRIVER_COMM: &str = "schedgroup-driv";
/// "schedgroup-worker", truncated the same way.
pub const WORKER_COMM: &str = "schedgroup-work";

/// Generous bound for anything that must merely happen "soon": a loaded
/// 2-core CI machine may stall a thread for a long time, never for this long
/// unless something is really stuck.
pub const SOON: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------
// Serialising the tests that count threads.
// ---------------------------------------------------------------------------

/// Tests in one binary run in parallel. The ones that count threads of the
/// whole process take the gate exclusively; every other test takes it
/// shared, so that no group of another test exists while threads are
/// counted.
static GATE: RwLock<()> = RwLock::new(());

/// For tests that do not count threads.
pub fn shared() -> RwLockReadGuard<'static, ()> {
    quiet_intentional_panics();
    GATE.read().unwrap_or_else(PoisonError::into_inner)
}

/// For tests that count the process's threads: no other test runs
/// meanwhile, and the workers of the tests before have gone.
pub fn exclusive() -> RwLockWriteGuard<'static, ()> {
    quiet_intentional_panics();
    let guard = GATE.write().unwrap_or_else(PoisonError::into_inner);
    // Every group of an earlier test has been dropped; its workers and driver
    // exit promptly, but asynchronously.
    wait_for("earlier tests' schedgroup threads to exit", SOON, || {
        count_named(WORKER_COMM) == 0 && count_named(DRIVER_COMM) == 0
    });
    guard
}

// ---------------------------------------------------------------------------
// Threads of this process.
// ---------------------------------------------------------------------------

/// Thread ids (tids) of this process with their kernel names.
pub fn threads() -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let Ok(dir) = fs::read_dir("/proc/self/task") else {
        return out;
    };
    for entry in dir.flatten() {
        let Some(tid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        // The thread may exit between listing and reading: skip it then.
        if let Ok(comm) = fs::read_to_string(entry.path().join("comm")) {
            out.push((tid, comm.trim_end().to_string()));
        }
    }
    out
}

/// How many threads the process has.
pub fn count_threads() -> usize {
    fs::read_dir("/proc/self/task")
        .map(|dir| dir.count())
        .unwrap_or(0)
}

/// How many threads have exactly this (kernel, ≤ 15 byte) name.
pub fn count_named(comm: &str) -> usize {
    threads().iter().filter(|(_, name)| name == comm).count()
}

/// The tids of the threads with this name.
pub fn tids_named(comm: &str) -> Vec<u32> {
    threads()
        .into_iter()
        .filter(|(_, name)| name == comm)
        .map(|(tid, _)| tid)
        .collect()
}

/// The tids of every thread alive now.
pub fn tid_set() -> HashSet<u32> {
    threads().into_iter().map(|(tid, _)| tid).collect()
}

/// Threads born since `before` was taken that this crate could have left
/// behind: those named "schedgroup-…" (an unnamed thread inherits its
/// creator's name, so one spawned by the scheduler would carry it too) and
/// those bearing the process's name. The test harness's threads are named
/// after their tests and do not count: they come and go as tests start.
pub fn leaked_since(before: &HashSet<u32>) -> Vec<(u32, String)> {
    let process = fs::read_to_string("/proc/self/comm")
        .map(|s| s.trim_end().to_string())
        .unwrap_or_default();
    threads()
        .into_iter()
        .filter(|(tid, name)| {
            !before.contains(tid) && (name.starts_with("schedgroup") || *name == process)
        })
        .collect()
}

/// Voluntary plus involuntary context switches of one thread of this
/// process, from `/proc/self/task/<tid>/status`. `None` if it has exited.
pub fn context_switches(tid: u32) -> Option<(u64, u64)> {
    let status = fs::read_to_string(format!("/proc/self/task/{tid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().parse().ok())
    };
    Some((
        field("voluntary_ctxt_switches:")?,
        field("nonvoluntary_ctxt_switches:")?,
    ))
}

// ---------------------------------------------------------------------------
// Waiting without hanging.
// ---------------------------------------------------------------------------

/// Polls `cond` every millisecond or so until it holds; panics naming `what`
/// if it does not within `limit`.
pub fn wait_for(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    loop {
        if cond() {
            return;
        }
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        thread::sleep(Duration::from_millis(2));
    }
}

/// Runs `f` on its own thread and returns its result; panics naming `what`
/// if it does not finish within `limit` (a hang fails the test instead of
/// stalling the suite). A panic inside `f` is propagated.
pub fn within<T: Send + 'static>(
    what: &str,
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    let worker = thread::Builder::new()
        .name("test-watchdog".into())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .expect("spawn a test thread");
    match rx.recv_timeout(limit) {
        Ok(value) => {
            let _ = worker.join();
            value
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
            Err(payload) => std::panic::resume_unwind(payload),
            Ok(()) => unreachable!("the thread sent nothing and did not panic"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("hang: {what} did not finish within {limit:?}")
        }
    }
}

// ---------------------------------------------------------------------------
// Observing closures.
// ---------------------------------------------------------------------------

/// Counts how many of its tokens have been dropped.
#[derive(Clone, Default)]
pub struct DropCounter(Arc<AtomicUsize>);

impl DropCounter {
    pub fn new() -> DropCounter {
        DropCounter::default()
    }

    /// A token to move into a closure; dropping it (with the closure) counts.
    pub fn token(&self) -> DropToken {
        DropToken(Arc::clone(&self.0))
    }

    pub fn dropped(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

pub struct DropToken(Arc<AtomicUsize>);

impl Drop for DropToken {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

// ---------------------------------------------------------------------------
// Intentional panics.
// ---------------------------------------------------------------------------

/// Tests make tasks panic with messages containing this, or with an
/// [`IntentionalPayload`]; the panic hook keeps those out of the output.
pub const INTENTIONAL: &str = "intentional test panic";

/// A non-string panic payload.
pub struct IntentionalPayload;

/// Keeps the tests' intentional panics out of the output (idempotent).
pub fn quiet_intentional_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let text = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
            let intentional =
                text.is_some_and(|t| t.contains(INTENTIONAL)) || payload.is::<IntentionalPayload>();
            if !intentional {
                previous(info);
            }
        }));
    });
}

// ---------------------------------------------------------------------------
// Randomness without a dependency.
// ---------------------------------------------------------------------------

/// xorshift64*: plenty for spreading deadlines.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-ish in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// The earliest representable instant going back up to `back` from `now`:
/// `Instant` cannot precede the clock's origin (boot, on Linux).
pub fn far_past(now: Instant, back: Duration) -> Instant {
    let mut back = back;
    loop {
        if let Some(t) = now.checked_sub(back) {
            return t;
        }
        back /= 2;
    }
}

// ---------------------------------------------------------------------------
// Watchdogs for the feature tests.
// ---------------------------------------------------------------------------

/// How long the feature tests let something that must merely happen take,
/// on a loaded 2-core CI machine.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// [`within`] with [`PATIENCE`].
pub fn watchdog<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    within(what, PATIENCE, f)
}

/// `clock.advance(by)` under the watchdog.
pub fn advance(clock: &schedgroup::ManualClock, by: Duration) {
    let clock = clock.clone();
    watchdog("ManualClock::advance", move || clock.advance(by));
}

/// `group.wait()` under the watchdog.
pub fn wait_patiently(group: &schedgroup::Group) -> Result<(), schedgroup::Error> {
    let group = group.clone();
    watchdog("Group::wait", move || group.wait())
}
