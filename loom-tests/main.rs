//! Loom models of the scheduler's add / trigger / wait signalling.
//!
//! Under `--features loom`, `src/sync.rs` swaps every lock, condvar, atomic,
//! `Arc` and thread of the crate for loom's, so these models drive the real
//! public API (`Group`, `TaskHandle`) and loom explores the interleavings of
//! the real driver, pool and group code.
//!
//! ```text
//! cargo test --features loom                          # every test; the models among them
//! cargo test --features loom --test loom -- --nocapture   # the models, with their counts
//! ```
//!
//! Each model runs with a preemption bound of [`PREEMPTIONS`] unless
//! `LOOM_MAX_PREEMPTIONS` says otherwise, and prints its iteration count and
//! run time. To see the interleaving of a failure, rerun the failing model
//! alone with `LOOM_LOG=trace LOOM_LOCATION=1 LOOM_MAX_PREEMPTIONS=2` (with
//! `LOOM_LOG` set the model runs through `loom::model`, which installs the
//! log subscriber; it then takes its bound from the environment only).
//!
//! Two facts shape every model:
//!
//! * **loom has no time.** A timed wait is an untimed one (see
//!   `src/sync/loom_model.rs`), so any wait that only a timeout would end
//!   shows up as a loom deadlock.
//!   That is exactly how a lost wake-up shows, and also why the models only
//!   schedule tasks that are due whenever the driver looks ([`past`]), or
//!   far-future tasks ([`FAR`]) that must never fire and are canceled or
//!   dropped. A deadline read from the clock (`Instant::now()`,
//!   `delay(Duration::ZERO)`) would not do: whether the driver's own reading
//!   of the clock is at or past it depends on real time, which makes the
//!   executions differ from one another (loom needs them deterministic) and
//!   can leave the driver parked on a deadline that, under loom, never
//!   comes.
//! * **loom allows at most 5 threads.** [`check`] runs each model on a
//!   thread of its own, with a roomier stack than loom gives the main
//!   thread, and the main thread only waits for it; `max_concurrency(1)`
//!   keeps a group to the driver and one worker, so main + model + driver +
//!   worker (+ one helper thread in some models) fit.
//!
//! Test-side counters are loom atomics accessed with `Relaxed` ordering where
//! the claim is that the *crate* orders them (e.g. a task's effect is
//! visible once `wait()` returns `Ok`): loom then checks that the crate's
//! own synchronisation provides the happens-before edge.
//!
//! A loom deadlock (the symptom of a lost wake-up) aborts the whole test
//! binary after printing `deadlock; threads = [...]`: loom's own `Arc` panics
//! again while the blocked thread unwinds. Run the models one at a time
//! (`--exact NAME`) to see each verdict.

use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering as StdOrdering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use loom::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use loom::sync::{Arc, Condvar, Mutex};
use schedgroup::Group;

mod cancel_vs_transit;
mod cancel_vs_wait;
mod drop_vs_driver;
mod fire_vs_cancel;
mod outside_a_model;
mod queue_models;
mod schedule_vs_park;
mod wait_async_vs_idle;
mod wait_in_task;
mod wait_vs_finish;
mod watch_vs_schedule;

/// Default preemption bound (override with `LOOM_MAX_PREEMPTIONS`).
const PREEMPTIONS: usize = 2;

/// The stack of the thread a model runs on: std's default, 2 MiB. loom
/// hands the number to its coroutine library, which counts it in words.
const STACK_WORDS: usize = (2 << 20) / std::mem::size_of::<usize>();

/// Explores `model` with loom and reports how many executions it took.
fn check(name: &str, model: impl Fn() + Sync + Send + 'static) {
    let iterations = std::sync::Arc::new(StdAtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&iterations);
    let model = std::sync::Arc::new(model);
    let counted = move || {
        counter.fetch_add(1, StdOrdering::Relaxed);
        let model = std::sync::Arc::clone(&model);
        // loom runs a model's main thread on a 32 KiB stack, which an
        // unoptimised build of the crate overflows ("coroutine has
        // overflowed its stack"); a spawned thread's stack is ours to size.
        // The main thread only waits, and the crate counts both as the
        // model's own thread (`thread_index` in `src/sync/loom_model.rs`).
        let body = loom::thread::Builder::new()
            .stack_size(STACK_WORDS)
            .spawn(move || model())
            .expect("loom spawns the model's thread");
        if let Err(panic) = body.join() {
            std::panic::resume_unwind(panic);
        }
    };
    // Fix `past()` before the first group of the run is built.
    let _ = past();
    let start = Instant::now();
    let mut builder = loom::model::Builder::new();
    if builder.log {
        // Only `loom::model` installs the subscriber that prints the log.
        loom::model(counted);
    } else {
        if builder.preemption_bound.is_none() {
            builder.preemption_bound = Some(PREEMPTIONS);
        }
        builder.check(counted);
    }
    eprintln!(
        "loom model {name}: {} iterations in {:.2?} (preemption bound {})",
        iterations.load(StdOrdering::Relaxed),
        start.elapsed(),
        std::env::var("LOOM_MAX_PREEMPTIONS").unwrap_or_else(|_| PREEMPTIONS.to_string()),
    );
}

/// A group small enough for loom: the driver and at most one worker.
fn group() -> Group {
    Group::builder().max_concurrency(1).build()
}

/// An instant before every group of this process was built: a deadline
/// there is tick 0, due as soon as the driver looks, however much real time
/// loom spends between steps.
fn past() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

/// A deadline so far away that it never comes during a model.
const FAR: Duration = Duration::from_secs(3600);

/// Counts how often the closures it hands out ran and were dropped. A
/// waitable probe also lets a thread block until every closure is gone.
#[derive(Clone)]
struct Probe(Arc<ProbeState>);

struct ProbeState {
    runs: AtomicUsize,
    drops: AtomicUsize,
    /// Only for [`Probe::wait_gone`]: the number of closures gone, under a
    /// lock, and the condvar their drops notify.
    gone: Option<(Mutex<usize>, Condvar)>,
}

/// Lives inside a closure: it is dropped exactly when the closure is,
/// whether the closure ran or not.
struct Guard(Arc<ProbeState>);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.drops.fetch_add(1, Relaxed);
        if let Some((gone, all_gone)) = &self.0.gone {
            *gone.lock().unwrap() += 1;
            all_gone.notify_all();
        }
    }
}

impl Probe {
    /// Counters only (the fewest loom operations).
    fn new() -> Probe {
        Probe::with(None)
    }

    /// Counters, and [`Probe::wait_gone`].
    fn waitable() -> Probe {
        Probe::with(Some((Mutex::new(0), Condvar::new())))
    }

    fn with(gone: Option<(Mutex<usize>, Condvar)>) -> Probe {
        Probe(Arc::new(ProbeState {
            runs: AtomicUsize::new(0),
            drops: AtomicUsize::new(0),
            gone,
        }))
    }

    /// A closure that counts one run, then its drop (`Relaxed`: whoever
    /// reads the counters must be ordered after the closure by the crate or
    /// by a join).
    fn task(&self) -> impl FnOnce() + Send + 'static {
        let guard = Guard(Arc::clone(&self.0));
        move || {
            guard.0.runs.fetch_add(1, Relaxed);
            drop(guard);
        }
    }

    fn runs(&self) -> usize {
        self.0.runs.load(Relaxed)
    }

    fn drops(&self) -> usize {
        self.0.drops.load(Relaxed)
    }

    /// Blocks until `count` closures of a [`Probe::waitable`] probe are gone;
    /// a closure that is never dropped shows as a loom deadlock.
    fn wait_gone(&self, count: usize) {
        let (gone, all_gone) = self.0.gone.as_ref().expect("a waitable probe");
        let mut gone = gone.lock().unwrap();
        while *gone < count {
            gone = all_gone.wait(gone).unwrap();
        }
    }
}

/// Runs a future to completion on the model's thread: poll, then block on
/// a loom condvar until its waker is called. A missed wake-up shows as a
/// loom deadlock.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Wake, Waker};

    struct Signal {
        woken: Mutex<bool>,
        wakeup: Condvar,
    }

    impl Wake for Signal {
        fn wake(self: std::sync::Arc<Self>) {
            *self.woken.lock().unwrap() = true;
            self.wakeup.notify_one();
        }
    }

    let signal = std::sync::Arc::new(Signal {
        woken: Mutex::new(false),
        wakeup: Condvar::new(),
    });
    let waker = Waker::from(std::sync::Arc::clone(&signal));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        let mut woken = signal.woken.lock().unwrap();
        while !*woken {
            woken = signal.wakeup.wait(woken).unwrap();
        }
        *woken = false;
    }
}
