//! Issue 4's scheduler figures, with the peers in the same criterion group
//! and the same run. Every scheduled closure captures one `Arc<u64>` (cloned
//! outside the timed region, moved into the closure inside it), so
//! schedgroup stores it inline and the peers box it.
//!
//! Peers:
//! * `heap_*`: `benches/peers/go_heap.rs`, the Go package's design
//!   (`Mutex<BinaryHeap>` + `Condvar`, lazy cancellation: a cancelled id goes
//!   into a `HashSet` and its entry stays in the heap as a tombstone until it
//!   surfaces). Its deadlines here never surface, so the harness rebuilds it
//!   (untimed) whenever its tombstones reach its live count; the rebuild is
//!   a favour to the heap, whose memory would otherwise grow without bound.
//! * `delayqueue_*`: tokio-util's `DelayQueue<Box<dyn FnOnce() + Send>>`,
//!   single-threaded and unsynchronised (no lock), never polled, inside a
//!   current-thread runtime's context.
//! * `tokio_spawn_sleep` (`delay` group only): `tokio::spawn` of an async
//!   block that sleeps an hour, called from a task on a 2-worker
//!   multi-thread runtime; only the spawn calls are timed.
//!
//! Groups (criterion's "iteration" is one operation; filter by name, e.g.
//! `cargo bench --bench scheduler -- pair/`):
//! * `delay` (figure 2): schedule with a fixed one-hour delay. Each peer
//!   fills up to 1,000,000 pending tasks (100,000 for tokio) and is then
//!   replaced by a fresh one outside the timed region, so the pending count
//!   sweeps 0..1M. Handles are kept (pushed into a pre-sized `Vec`) and
//!   dropped untimed, except `schedgroup_delay_drop_handle`, which drops
//!   each `TaskHandle` at once (fire and forget). `*_schedule` passes a fixed
//!   `Instant` (computed once) and so skips the clock read.
//! * `cancel` (figure 3): 1,000,000 pending tasks with deadlines uniform in
//!   1 h + `0..2^20` ms; batches of up to 250,000 are cancelled (timed) and
//!   replaced (untimed). `*_random` cancels uniformly random pending tasks,
//!   `*_newest` the most recently scheduled ones (hot in cache). The
//!   cancelled closure (its `Arc`) is dropped inside the timed region for
//!   schedgroup and `DelayQueue`, not for the heap (lazy). schedgroup's
//!   handle is dropped at once, except in `schedgroup_keep_handle_random`,
//!   where it is dropped untimed (`TaskHandle::cancel` alone).
//! * `pair` (figure 7): at N = 1k / 100k / 1M / 10M pending (built once per
//!   N, lazily, untimed), one operation = schedule a fresh task (1 h +
//!   `0..2^20` ms) and cancel a uniformly random pending one, so N never
//!   changes.
//! * `threads` (figure 8): `delay` as in `delay`, from 1 or 2 threads at
//!   once into one group (threads spawned and synchronised on a `Barrier`
//!   untimed; the time is from the first thread's start to the last one's
//!   end), so the per-operation time is the aggregate's inverse throughput.
//!
//! Timed regions read wall-clock time. On a machine loaded by other work,
//! `SCHEDGROUP_BENCH_TIME=cpu` makes them read the measuring thread's CPU
//! time instead (`CLOCK_THREAD_CPUTIME_ID`; for tokio, the worker thread that
//! runs the spawning task), which leaves out the time spent waiting for a
//! core; `threads` stays on wall time.
//!
//! `cargo test --benches` (criterion's test mode) runs tiny sizes only.

// Bench targets with `harness = false` are checked with `cfg(test)` but
// without the test harness, so the peer's `#[test]` is stripped and its
// test module's imports look unused.
#[allow(unused_imports)]
#[path = "peers/go_heap.rs"]
mod go_heap;
#[path = "common/rng.rs"]
mod rng;

use std::hint::black_box;
use std::sync::{Arc, Barrier, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion};
use go_heap::HeapGroup;
use rng::Rng;
use schedgroup::{Group, TaskHandle};
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;
use tokio_util::time::{delay_queue, DelayQueue};

/// Far enough that nothing fires during a run.
const FAR: Duration = Duration::from_secs(3600);
/// Spread of the random deadlines (ms) after `FAR`: about 17 minutes.
const SPREAD_MS: u64 = 1 << 20;
/// Worker threads of the heap peer: schedgroup's default cap on this machine.
const HEAP_WORKERS: usize = 4;
/// Pending counts of the `pair` group.
const SIZES: [usize; 4] = [1_000, 100_000, 1_000_000, 10_000_000];

/// Sizes that differ between `cargo bench` and criterion's test mode.
#[derive(Clone, Copy)]
struct Scale {
    /// Pending tasks a `delay` / `threads` peer fills up to.
    fill: usize,
    /// The same for tokio spawn + sleep.
    fill_tokio: usize,
    /// Pending tasks of the `cancel` group.
    cancel_pool: usize,
    pair_sizes: &'static [usize],
}

const FULL: Scale = Scale {
    fill: 1_000_000,
    fill_tokio: 100_000,
    cancel_pool: 1_000_000,
    pair_sizes: &SIZES,
};

const TEST: Scale = Scale {
    fill: 1_000,
    fill_tokio: 1_000,
    cancel_pool: 1_000,
    pair_sizes: &[1_000],
};

/// The closure every peer schedules: it captures one `Arc`.
fn job(payload: Arc<u64>) -> impl FnOnce() + Send + 'static {
    move || {
        black_box(&payload);
    }
}

type BoxedJob = Box<dyn FnOnce() + Send + 'static>;

/// `FAR` plus a uniform `0..SPREAD_MS` ms.
fn random_delay(rng: &mut Rng) -> Duration {
    FAR + Duration::from_millis(rng.below(SPREAD_MS))
}

/// What every single-threaded harness needs from a peer.
trait Peer {
    type Handle;
    fn build() -> Self;
    fn add(&mut self, delay: Duration, payload: Arc<u64>) -> Self::Handle;
    /// Cancels a pending task (and drops its handle, unless the peer defers
    /// that to `tidy`).
    fn cancel(&mut self, handle: Self::Handle);
    /// Untimed clean-up after each timed batch.
    fn tidy(&mut self) {}
    /// Whether the harness must rebuild the peer (untimed), given `live`
    /// pending tasks: for the heap, once its tombstones reach `live`.
    fn worn_out(&self, _live: usize) -> bool {
        false
    }
}

/// schedgroup through `Group::delay`.
struct SgDelay(Group);

impl Peer for SgDelay {
    type Handle = TaskHandle;

    fn build() -> Self {
        SgDelay(Group::new())
    }

    fn add(&mut self, delay: Duration, payload: Arc<u64>) -> TaskHandle {
        self.0.delay(delay, job(payload))
    }

    fn cancel(&mut self, handle: TaskHandle) {
        black_box(handle.cancel());
    }
}

/// schedgroup through `Group::schedule`, deadlines relative to a fixed
/// instant taken when the group was built (no clock read per call).
struct SgSchedule {
    group: Group,
    base: Instant,
}

impl Peer for SgSchedule {
    type Handle = TaskHandle;

    fn build() -> Self {
        SgSchedule {
            group: Group::new(),
            base: Instant::now(),
        }
    }

    fn add(&mut self, delay: Duration, payload: Arc<u64>) -> TaskHandle {
        self.group.schedule(self.base + delay, job(payload))
    }

    fn cancel(&mut self, handle: TaskHandle) {
        black_box(handle.cancel());
    }
}

/// schedgroup, with cancelled handles dropped outside the timed region:
/// `TaskHandle::cancel` alone.
struct SgKeepHandle {
    group: Group,
    graveyard: Vec<TaskHandle>,
}

impl Peer for SgKeepHandle {
    type Handle = TaskHandle;

    fn build() -> Self {
        SgKeepHandle {
            group: Group::new(),
            graveyard: Vec::new(),
        }
    }

    fn add(&mut self, delay: Duration, payload: Arc<u64>) -> TaskHandle {
        self.group.delay(delay, job(payload))
    }

    fn cancel(&mut self, handle: TaskHandle) {
        black_box(handle.cancel());
        self.graveyard.push(handle);
    }

    fn tidy(&mut self) {
        self.graveyard.clear();
    }
}

/// The Go design, through `HeapGroup::delay`.
struct Heap {
    group: HeapGroup,
    tombstones: usize,
}

impl Peer for Heap {
    type Handle = u64;

    fn build() -> Self {
        Heap {
            group: HeapGroup::new(HEAP_WORKERS),
            tombstones: 0,
        }
    }

    fn add(&mut self, delay: Duration, payload: Arc<u64>) -> u64 {
        self.group.delay(delay, job(payload))
    }

    fn cancel(&mut self, id: u64) {
        self.group.cancel(id);
        self.tombstones += 1;
    }

    fn worn_out(&self, live: usize) -> bool {
        self.tombstones >= live.max(1)
    }
}

/// The Go design, through `HeapGroup::schedule` with a fixed base instant.
struct HeapSchedule {
    group: HeapGroup,
    base: Instant,
}

impl Peer for HeapSchedule {
    type Handle = u64;

    fn build() -> Self {
        HeapSchedule {
            group: HeapGroup::new(HEAP_WORKERS),
            base: Instant::now(),
        }
    }

    fn add(&mut self, delay: Duration, payload: Arc<u64>) -> u64 {
        self.group.schedule(self.base + delay, job(payload))
    }

    fn cancel(&mut self, id: u64) {
        self.group.cancel(id);
    }
}

/// tokio-util's `DelayQueue` with boxed closures. Needs a runtime context
/// with time enabled (entered in `main`).
struct Queue(DelayQueue<BoxedJob>);

impl Peer for Queue {
    type Handle = delay_queue::Key;

    fn build() -> Self {
        Queue(DelayQueue::new())
    }

    fn add(&mut self, delay: Duration, payload: Arc<u64>) -> delay_queue::Key {
        self.0.insert(Box::new(job(payload)), delay)
    }

    fn cancel(&mut self, key: delay_queue::Key) {
        drop(self.0.remove(&key));
    }
}

/// What the timed regions read: wall-clock time (the default), or, with
/// `SCHEDGROUP_BENCH_TIME=cpu`, the CPU time of the measuring thread, which a
/// machine loaded by other processes inflates far less (it leaves out the
/// time the thread waits for a core). The `threads` group always uses wall
/// time: it measures how two threads overlap.
#[derive(Clone, Copy)]
enum Stopwatch {
    Wall(Instant),
    Cpu(Duration),
}

impl Stopwatch {
    fn start() -> Stopwatch {
        static CPU: OnceLock<bool> = OnceLock::new();
        let cpu = *CPU.get_or_init(|| {
            std::env::var("SCHEDGROUP_BENCH_TIME").is_ok_and(|v| v == "cpu")
                && thread_cpu_time().is_some()
        });
        match thread_cpu_time() {
            Some(now) if cpu => Stopwatch::Cpu(now),
            _ => Stopwatch::Wall(Instant::now()),
        }
    }

    fn elapsed(self) -> Duration {
        match self {
            Stopwatch::Wall(start) => start.elapsed(),
            Stopwatch::Cpu(start) => thread_cpu_time()
                .expect("it worked at the start")
                .saturating_sub(start),
        }
    }
}

/// `CLOCK_THREAD_CPUTIME_ID` through the C library std already links (no
/// `libc` dev-dependency needed).
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn thread_cpu_time() -> Option<Duration> {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut ts = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: on 64-bit Linux `struct timespec` is two 64-bit integers, as
    // declared above, and `ts` is a valid, exclusive place for the call to
    // write it.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
fn thread_cpu_time() -> Option<Duration> {
    None
}

fn payloads(payload: &Arc<u64>, count: usize) -> Vec<Arc<u64>> {
    (0..count).map(|_| Arc::clone(payload)).collect()
}

/// Figure 2: fills a peer up to `cap` pending tasks, one timed `add` per
/// operation, then starts over with a fresh peer (untimed).
struct Fill<P: Peer> {
    peer: Option<P>,
    handles: Vec<P::Handle>,
    added: usize,
    cap: usize,
    keep_handles: bool,
    payload: Arc<u64>,
}

impl<P: Peer> Fill<P> {
    fn new(cap: usize, keep_handles: bool) -> Self {
        // Built here, not in the first timed call: criterion sizes its
        // samples from the warm-up's wall time, untimed setup included.
        Fill {
            peer: Some(P::build()),
            handles: Vec::with_capacity(if keep_handles { cap } else { 0 }),
            added: 0,
            cap,
            keep_handles,
            payload: Arc::new(7),
        }
    }

    fn run(&mut self, iters: u64) -> Duration {
        let mut total = Duration::ZERO;
        let mut left = iters as usize;
        while left > 0 {
            if self.added == self.cap || self.peer.is_none() {
                self.handles.clear();
                drop(self.peer.take());
                self.peer = Some(P::build());
                self.added = 0;
            }
            let count = left.min(self.cap - self.added);
            let payloads = payloads(&self.payload, count);
            let peer = self.peer.as_mut().expect("built above");
            let start = Stopwatch::start();
            if self.keep_handles {
                for payload in payloads {
                    self.handles.push(peer.add(FAR, payload));
                }
            } else {
                for payload in payloads {
                    drop(peer.add(FAR, payload));
                }
            }
            total += start.elapsed();
            self.added += count;
            left -= count;
        }
        total
    }
}

/// Figure 2's tokio peer: `tokio::spawn` of a sleeping task, called from a
/// task on a 2-worker runtime, up to `cap` pending; then the runtime is
/// dropped (which drops its tasks) and rebuilt, untimed.
struct Spawn {
    runtime: Option<Runtime>,
    handles: Vec<JoinHandle<()>>,
    cap: usize,
    payload: Arc<u64>,
}

impl Spawn {
    fn new(cap: usize) -> Self {
        Spawn {
            runtime: Some(multi_thread_runtime()),
            handles: Vec::with_capacity(cap),
            cap,
            payload: Arc::new(7),
        }
    }

    fn run(&mut self, iters: u64) -> Duration {
        let mut total = Duration::ZERO;
        let mut left = iters as usize;
        while left > 0 {
            if self.handles.len() == self.cap || self.runtime.is_none() {
                for handle in self.handles.drain(..) {
                    handle.abort();
                }
                drop(self.runtime.take());
                self.runtime = Some(multi_thread_runtime());
            }
            let count = left.min(self.cap - self.handles.len());
            let payloads = payloads(&self.payload, count);
            let runtime = self.runtime.as_ref().expect("built above");
            let (elapsed, handles) = runtime
                .block_on(runtime.spawn(async move {
                    let mut handles = Vec::with_capacity(payloads.len());
                    let start = Stopwatch::start();
                    for payload in payloads {
                        handles.push(tokio::spawn(async move {
                            tokio::time::sleep(FAR).await;
                            black_box(&payload);
                        }));
                    }
                    (start.elapsed(), handles)
                }))
                .expect("the timing task does not panic");
            total += elapsed;
            self.handles.extend(handles);
            left -= count;
        }
        total
    }
}

fn multi_thread_runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("a tokio runtime")
}

/// Which pending tasks `Drain` cancels.
#[derive(Clone, Copy)]
enum Victims {
    /// Uniformly random among all pending.
    Random,
    /// The most recently scheduled.
    Newest,
}

/// `size` tasks pending in a peer, with their handles, built from scratch
/// again whenever the peer's tidying has worn it out.
struct Filled<P: Peer> {
    peer: Option<P>,
    pool: Vec<P::Handle>,
    size: usize,
    rng: Rng,
    payload: Arc<u64>,
}

impl<P: Peer> Filled<P> {
    fn new(size: usize) -> Self {
        let mut filled = Filled {
            peer: None,
            pool: Vec::with_capacity(size),
            size,
            rng: Rng::new(size as u64),
            payload: Arc::new(7),
        };
        filled.rebuild();
        filled
    }

    fn rebuild(&mut self) {
        self.pool.clear();
        drop(self.peer.take());
        let mut peer = P::build();
        for _ in 0..self.size {
            let delay = random_delay(&mut self.rng);
            self.pool.push(peer.add(delay, Arc::clone(&self.payload)));
        }
        self.peer = Some(peer);
    }

    /// Rebuilds first if the peer is worn out.
    fn refresh(&mut self) {
        if self
            .peer
            .as_ref()
            .map_or(true, |peer| peer.worn_out(self.size))
        {
            self.rebuild();
        }
    }
}

/// Figure 3: `size` pending tasks; batches of them are cancelled (timed)
/// and replaced (untimed).
struct Drain<P: Peer> {
    filled: Filled<P>,
    victims: Vec<P::Handle>,
    order: Victims,
}

impl<P: Peer> Drain<P> {
    fn new(size: usize, order: Victims) -> Self {
        Drain {
            filled: Filled::new(size),
            victims: Vec::with_capacity(size / 4 + 1),
            order,
        }
    }

    fn run(&mut self, iters: u64) -> Duration {
        let mut total = Duration::ZERO;
        let mut left = iters as usize;
        while left > 0 {
            self.filled.refresh();
            let Filled {
                peer,
                pool,
                size,
                rng,
                payload,
            } = &mut self.filled;
            let count = left.min((*size / 4).max(1));
            let len = pool.len();
            if let Victims::Random = self.order {
                // A partial Fisher–Yates shuffle into the tail.
                for i in 0..count {
                    let j = rng.index(len - i);
                    pool.swap(j, len - 1 - i);
                }
            }
            self.victims.extend(pool.drain(len - count..));
            let peer = peer.as_mut().expect("built above");
            let start = Stopwatch::start();
            for handle in self.victims.drain(..) {
                peer.cancel(handle);
            }
            total += start.elapsed();
            peer.tidy();
            for _ in 0..count {
                let delay = random_delay(rng);
                pool.push(peer.add(delay, Arc::clone(payload)));
            }
            left -= count;
        }
        total
    }
}

/// Figure 7: `n` pending; one operation schedules a fresh task and cancels
/// a random pending one in its place.
struct Pairs<P: Peer> {
    filled: Filled<P>,
    work: Vec<(usize, Duration, Arc<u64>)>,
}

impl<P: Peer> Pairs<P> {
    fn new(n: usize) -> Self {
        Pairs {
            filled: Filled::new(n),
            work: Vec::new(),
        }
    }

    fn run(&mut self, iters: u64) -> Duration {
        let mut total = Duration::ZERO;
        let mut left = iters as usize;
        let batch = self.filled.size.min(1 << 16);
        while left > 0 {
            self.filled.refresh();
            let Filled {
                peer,
                pool,
                size,
                rng,
                payload,
            } = &mut self.filled;
            let count = left.min(batch);
            for _ in 0..count {
                let victim = rng.index(*size);
                let delay = random_delay(rng);
                self.work.push((victim, delay, Arc::clone(payload)));
            }
            let peer = peer.as_mut().expect("built above");
            let start = Stopwatch::start();
            for (victim, delay, payload) in self.work.drain(..) {
                let fresh = peer.add(delay, payload);
                let old = std::mem::replace(&mut pool[victim], fresh);
                peer.cancel(old);
            }
            total += start.elapsed();
            peer.tidy();
            left -= count;
        }
        total
    }
}

/// A peer that several threads may schedule into at once.
trait SharedPeer: Sync {
    type Handle: Send;
    fn build() -> Self;
    fn add(&self, delay: Duration, payload: Arc<u64>) -> Self::Handle;
}

impl SharedPeer for Group {
    type Handle = TaskHandle;

    fn build() -> Self {
        Group::new()
    }

    fn add(&self, delay: Duration, payload: Arc<u64>) -> TaskHandle {
        self.delay(delay, job(payload))
    }
}

impl SharedPeer for HeapGroup {
    type Handle = u64;

    fn build() -> Self {
        HeapGroup::new(HEAP_WORKERS)
    }

    fn add(&self, delay: Duration, payload: Arc<u64>) -> u64 {
        self.delay(delay, job(payload))
    }
}

/// Figure 8: `threads` threads fill one peer at once, up to `cap` pending
/// in all, then it is replaced (untimed).
struct Threads<S: SharedPeer> {
    peer: Option<S>,
    threads: usize,
    handles: Vec<Vec<S::Handle>>,
    added: usize,
    cap: usize,
    payload: Arc<u64>,
}

impl<S: SharedPeer> Threads<S> {
    fn new(threads: usize, cap: usize) -> Self {
        Threads {
            peer: Some(S::build()),
            threads,
            handles: Vec::new(),
            added: 0,
            cap,
            payload: Arc::new(7),
        }
    }

    fn run(&mut self, iters: u64) -> Duration {
        let mut total = Duration::ZERO;
        let mut left = iters as usize;
        while left > 0 {
            if self.added == self.cap || self.peer.is_none() {
                self.handles.clear();
                drop(self.peer.take());
                self.peer = Some(S::build());
                self.added = 0;
            }
            let count = left.min(self.cap - self.added);
            let share = |t: usize| count / self.threads + usize::from(t < count % self.threads);
            let work: Vec<Vec<Arc<u64>>> = (0..self.threads)
                .map(|t| payloads(&self.payload, share(t)))
                .collect();
            let peer = self.peer.as_ref().expect("built above");
            let barrier = Barrier::new(self.threads);
            let spans: Vec<(Instant, Instant, Vec<S::Handle>)> = thread::scope(|scope| {
                let running: Vec<_> = work
                    .into_iter()
                    .map(|payloads| {
                        let barrier = &barrier;
                        scope.spawn(move || {
                            let mut handles = Vec::with_capacity(payloads.len());
                            barrier.wait();
                            let start = Instant::now();
                            for payload in payloads {
                                handles.push(peer.add(FAR, payload));
                            }
                            (start, Instant::now(), handles)
                        })
                    })
                    .collect();
                running
                    .into_iter()
                    .map(|thread| thread.join().expect("a scheduling thread panicked"))
                    .collect()
            });
            let first = spans.iter().map(|span| span.0).min().expect("one thread");
            let last = spans.iter().map(|span| span.1).max().expect("one thread");
            total += last - first;
            self.handles
                .extend(spans.into_iter().map(|(_, _, handles)| handles));
            self.added += count;
            left -= count;
        }
        total
    }
}

fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(1500));
}

/// Benchmarks `run` on a lazily built fixture (so a filter that skips the
/// benchmark never builds it), dropped afterwards.
fn bench_lazily<F>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    id: BenchmarkId,
    build: impl Fn() -> F,
    mut run: impl FnMut(&mut F, u64) -> Duration,
) {
    let mut fixture = None;
    group.bench_function(id, |b| {
        let fixture = fixture.get_or_insert_with(&build);
        b.iter_custom(|iters| run(fixture, iters));
    });
}

fn id(name: &str) -> BenchmarkId {
    BenchmarkId::from_parameter(name)
}

fn bench_delay(c: &mut Criterion, scale: Scale) {
    let mut group = c.benchmark_group("delay");
    configure(&mut group);
    let cap = scale.fill;
    bench_lazily(
        &mut group,
        id("schedgroup_delay"),
        || Fill::<SgDelay>::new(cap, true),
        Fill::run,
    );
    bench_lazily(
        &mut group,
        id("schedgroup_schedule"),
        || Fill::<SgSchedule>::new(cap, true),
        Fill::run,
    );
    bench_lazily(
        &mut group,
        id("schedgroup_delay_drop_handle"),
        || Fill::<SgDelay>::new(cap, false),
        Fill::run,
    );
    bench_lazily(
        &mut group,
        id("heap_delay"),
        || Fill::<Heap>::new(cap, true),
        Fill::run,
    );
    bench_lazily(
        &mut group,
        id("heap_schedule"),
        || Fill::<HeapSchedule>::new(cap, true),
        Fill::run,
    );
    bench_lazily(
        &mut group,
        id("delayqueue_insert"),
        || Fill::<Queue>::new(cap, true),
        Fill::run,
    );
    let cap = scale.fill_tokio;
    bench_lazily(
        &mut group,
        id("tokio_spawn_sleep"),
        || Spawn::new(cap),
        Spawn::run,
    );
    group.finish();
}

fn bench_cancel(c: &mut Criterion, scale: Scale) {
    let mut group = c.benchmark_group("cancel");
    configure(&mut group);
    let size = scale.cancel_pool;
    for (name, order) in [("random", Victims::Random), ("newest", Victims::Newest)] {
        bench_lazily(
            &mut group,
            id(&format!("schedgroup_{name}")),
            || Drain::<SgDelay>::new(size, order),
            Drain::run,
        );
        bench_lazily(
            &mut group,
            id(&format!("heap_{name}")),
            || Drain::<Heap>::new(size, order),
            Drain::run,
        );
        bench_lazily(
            &mut group,
            id(&format!("delayqueue_{name}")),
            || Drain::<Queue>::new(size, order),
            Drain::run,
        );
    }
    bench_lazily(
        &mut group,
        id("schedgroup_keep_handle_random"),
        || Drain::<SgKeepHandle>::new(size, Victims::Random),
        Drain::run,
    );
    group.finish();
}

fn bench_pair(c: &mut Criterion, scale: Scale) {
    let mut group = c.benchmark_group("pair");
    configure(&mut group);
    for &n in scale.pair_sizes {
        bench_lazily(
            &mut group,
            BenchmarkId::new("schedgroup", n),
            || Pairs::<SgDelay>::new(n),
            Pairs::run,
        );
        bench_lazily(
            &mut group,
            BenchmarkId::new("schedgroup_schedule", n),
            || Pairs::<SgSchedule>::new(n),
            Pairs::run,
        );
        bench_lazily(
            &mut group,
            BenchmarkId::new("heap", n),
            || Pairs::<Heap>::new(n),
            Pairs::run,
        );
        bench_lazily(
            &mut group,
            BenchmarkId::new("delayqueue", n),
            || Pairs::<Queue>::new(n),
            Pairs::run,
        );
    }
    group.finish();
}

fn bench_threads(c: &mut Criterion, scale: Scale) {
    let mut group = c.benchmark_group("threads");
    configure(&mut group);
    let cap = scale.fill;
    for threads in [1, 2] {
        bench_lazily(
            &mut group,
            BenchmarkId::new("schedgroup", threads),
            || Threads::<Group>::new(threads, cap),
            Threads::run,
        );
        bench_lazily(
            &mut group,
            BenchmarkId::new("heap", threads),
            || Threads::<HeapGroup>::new(threads, cap),
            Threads::run,
        );
    }
    group.finish();
}

fn main() {
    // Criterion runs benchmarks for real only under `cargo bench` (which
    // passes `--bench`); `cargo test --benches` just checks that they run.
    let scale = if std::env::args().any(|arg| arg == "--bench") {
        FULL
    } else {
        TEST
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a tokio runtime");
    // `DelayQueue` creates tokio timers: it needs a runtime context.
    let _context = runtime.enter();
    let mut c = Criterion::default().configure_from_args();
    bench_delay(&mut c, scale);
    bench_cancel(&mut c, scale);
    bench_pair(&mut c, scale);
    bench_threads(&mut c, scale);
    c.final_summary();
}
