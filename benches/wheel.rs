//! Per-operation cost of `Wheel<T>` against two peers, at 1k / 100k / 1M /
//! 10M pending entries: `insert`, `remove`, `reset`, an `insert + remove`
//! pair, and expiry (per entry handed over by `advance`).
//!
//! Peers, in the same groups:
//! * `binary_heap`: `std::collections::BinaryHeap` of 16-byte
//!   `Reverse((deadline, slot, generation))` keys over a slab of values. Remove
//!   and reset use *lazy deletion*: the slab slot's generation changes at
//!   once (and `remove` hands the value back at once), the stale heap key is a
//!   tombstone discarded when it reaches the top, and the heap is rebuilt
//!   without tombstones whenever they outnumber live keys, so every cost stays
//!   amortised O(log n) and is charged to the operation that caused it.
//! * `delay_queue`: tokio-util's `DelayQueue` (1 ms ticks), inside a
//!   current-thread tokio runtime.
//!
//! Every benchmark is a *steady state*: each fixture is filled with `N`
//! entries once (lazily, on the first call, so a criterion filter that skips a
//! size never builds it), then criterion times batches of operations and the
//! work that undoes them (re-inserting what was removed, removing what was
//! inserted) runs outside the timed region, so `N` stays put. Deadlines are
//! uniform in `1..=2^20` ticks ahead (a fixed-seed xorshift), victims of
//! `remove` / `reset` are uniform among all pending entries. Reported times
//! are per operation (criterion's "iteration" is one operation).
//!
//! Expiry comes in two groups:
//! * `expiry`: `N` pending, deadlines spread over `2^20` ticks; each step
//!   advances a simulated clock so that about `min(256, N/8)` entries come
//!   due, hands them over (timed, including every cascade), then re-inserts
//!   them `1..=2^20` ticks ahead (untimed). Wheel and heap only: a
//!   `DelayQueue` runs on tokio's real clock (the `test-util` feature that
//!   would let `tokio::time::pause` drive it is not enabled), and a `2^20` ms
//!   spread cannot be replayed faster than real time.
//! * `expiry_dense`: the same, at a density the real clock can feed:
//!   deadlines spread over `max(4, N / 256)` ticks (ms), so about 256 entries
//!   come due per tick. The `DelayQueue` is drained with `poll_expired`
//!   inside `Runtime::block_on`; whenever it has caught up with the real
//!   clock (`poll_expired` is `Pending`), the benchmark waits 1 ms untimed,
//!   yielding to the runtime rather than sleeping, and the next, timed, poll
//!   does the work that came due (cascades included).
//!
//! `cargo test --benches` (criterion's test mode) runs only the 1k size.

#[path = "common/lazily.rs"]
mod lazily;
#[path = "common/rng.rs"]
mod rng;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::poll_fn;
use std::hint::black_box;
use std::task::Poll;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion};
use lazily::bench_lazily;
use rng::Rng;
use schedgroup::{Key, Wheel};
use tokio::runtime::Runtime;
use tokio_util::time::{delay_queue, DelayQueue};

/// The stored value: 16 bytes, the size of a `Box<dyn FnOnce()>`.
type Value = [u64; 2];
const VALUE: Value = [7, 11];

const SIZES: [usize; 4] = [1_000, 100_000, 1_000_000, 10_000_000];
/// Deadlines are uniform in `1..=SPREAD` ticks ahead.
const SPREAD: u64 = 1 << 20;
/// Entries due per tick in `expiry_dense`.
const DENSITY: u64 = 256;

/// The operations every peer offers; deadlines are `ahead` ticks after the
/// peer's current time.
trait Peer {
    type Handle: Copy;
    fn name() -> &'static str;
    fn insert(&mut self, ahead: u64, value: Value) -> Self::Handle;
    fn remove(&mut self, handle: Self::Handle) -> Option<Value>;
    /// Returns the handle that names the entry from now on.
    fn reset(&mut self, handle: Self::Handle, ahead: u64) -> Self::Handle;
}

/// A peer whose clock the benchmark moves by hand.
trait SimulatedClock: Peer {
    /// Moves the clock `delta` ticks on and pushes every value that came due.
    fn expire(&mut self, delta: u64, out: &mut Vec<Value>);
}

impl Peer for Wheel<Value> {
    type Handle = Key;

    fn name() -> &'static str {
        "wheel"
    }

    fn insert(&mut self, ahead: u64, value: Value) -> Key {
        Wheel::insert(self, self.now() + ahead, value)
    }

    fn remove(&mut self, key: Key) -> Option<Value> {
        Wheel::remove(self, key)
    }

    fn reset(&mut self, key: Key, ahead: u64) -> Key {
        let reset = Wheel::reset(self, key, self.now() + ahead);
        debug_assert!(reset);
        key
    }
}

impl SimulatedClock for Wheel<Value> {
    fn expire(&mut self, delta: u64, out: &mut Vec<Value>) {
        self.advance(self.now() + delta, |_, value| out.push(value));
    }
}

/// The heap peer described in the module docs.
#[derive(Default)]
struct HeapTimers {
    heap: BinaryHeap<Reverse<(u64, u32, u32)>>,
    /// A slot is live iff its generation is odd.
    slots: Vec<HeapSlot>,
    free: Vec<u32>,
    tombstones: usize,
    now: u64,
}

struct HeapSlot {
    generation: u32,
    value: Value,
}

#[derive(Clone, Copy)]
struct HeapHandle {
    slot: u32,
    generation: u32,
}

impl HeapTimers {
    fn is_live(&self, slot: u32, generation: u32) -> bool {
        self.slots[slot as usize].generation == generation
    }

    /// Rebuilds the heap without tombstones once they outnumber live keys.
    fn bury_tombstones(&mut self) {
        if self.tombstones * 2 <= self.heap.len() {
            return;
        }
        let mut keys = std::mem::take(&mut self.heap).into_vec();
        keys.retain(|&Reverse((_, slot, generation))| self.is_live(slot, generation));
        self.heap = BinaryHeap::from(keys);
        self.tombstones = 0;
    }
}

impl Peer for HeapTimers {
    type Handle = HeapHandle;

    fn name() -> &'static str {
        "binary_heap"
    }

    fn insert(&mut self, ahead: u64, value: Value) -> HeapHandle {
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(HeapSlot {
                    generation: 0,
                    value,
                });
                (self.slots.len() - 1) as u32
            }
        };
        let entry = &mut self.slots[slot as usize];
        entry.generation = entry.generation.wrapping_add(1);
        entry.value = value;
        let generation = entry.generation;
        self.heap
            .push(Reverse((self.now + ahead, slot, generation)));
        HeapHandle { slot, generation }
    }

    fn remove(&mut self, handle: HeapHandle) -> Option<Value> {
        if !self.is_live(handle.slot, handle.generation) {
            return None;
        }
        let entry = &mut self.slots[handle.slot as usize];
        entry.generation = entry.generation.wrapping_add(1);
        let value = entry.value;
        self.free.push(handle.slot);
        self.tombstones += 1;
        self.bury_tombstones();
        Some(value)
    }

    fn reset(&mut self, handle: HeapHandle, ahead: u64) -> HeapHandle {
        debug_assert!(self.is_live(handle.slot, handle.generation));
        let entry = &mut self.slots[handle.slot as usize];
        // Odd stays odd: still live, but the old heap key is now a tombstone.
        entry.generation = entry.generation.wrapping_add(2);
        let generation = entry.generation;
        self.heap
            .push(Reverse((self.now + ahead, handle.slot, generation)));
        self.tombstones += 1;
        self.bury_tombstones();
        HeapHandle {
            slot: handle.slot,
            generation,
        }
    }
}

impl SimulatedClock for HeapTimers {
    fn expire(&mut self, delta: u64, out: &mut Vec<Value>) {
        self.now += delta;
        while let Some(&Reverse((deadline, slot, generation))) = self.heap.peek() {
            if deadline > self.now {
                break;
            }
            self.heap.pop();
            if self.is_live(slot, generation) {
                let entry = &mut self.slots[slot as usize];
                entry.generation = entry.generation.wrapping_add(1);
                out.push(entry.value);
                self.free.push(slot);
            } else {
                self.tombstones -= 1;
            }
        }
    }
}

/// tokio-util's `DelayQueue`, never polled in these groups, so its clock
/// stays at `base` and deadlines are `base + ahead` ms.
struct DelayQueuePeer {
    queue: DelayQueue<Value>,
    base: tokio::time::Instant,
}

impl DelayQueuePeer {
    /// Needs a tokio runtime context (entered in `main`).
    fn new() -> Self {
        let queue = DelayQueue::new();
        DelayQueuePeer {
            queue,
            base: tokio::time::Instant::now(),
        }
    }
}

impl Peer for DelayQueuePeer {
    type Handle = delay_queue::Key;

    fn name() -> &'static str {
        "delay_queue"
    }

    fn insert(&mut self, ahead: u64, value: Value) -> delay_queue::Key {
        self.queue
            .insert_at(value, self.base + Duration::from_millis(ahead))
    }

    fn remove(&mut self, key: delay_queue::Key) -> Option<Value> {
        Some(self.queue.remove(&key).into_inner())
    }

    fn reset(&mut self, key: delay_queue::Key, ahead: u64) -> delay_queue::Key {
        self.queue
            .reset_at(&key, self.base + Duration::from_millis(ahead));
        key
    }
}

/// A peer holding `N` entries, the handles of all of them, and scratch space.
struct Fixture<P: Peer> {
    peer: P,
    /// Every pending entry's handle; victims are drawn from it.
    pool: Vec<P::Handle>,
    rng: Rng,
    batch: usize,
    aheads: Vec<u64>,
    inserted: Vec<P::Handle>,
}

impl<P: Peer> Fixture<P> {
    fn new(mut peer: P, n: usize) -> Self {
        let mut rng = Rng::new(n as u64);
        let pool = (0..n)
            .map(|_| peer.insert(rng.ahead(SPREAD), VALUE))
            .collect();
        let batch = (n / 8).clamp(1, 1024);
        Fixture {
            peer,
            pool,
            rng,
            batch,
            aheads: Vec::with_capacity(batch),
            inserted: Vec::with_capacity(batch),
        }
    }

    fn draw_aheads(&mut self, count: usize) {
        self.aheads.clear();
        for _ in 0..count {
            self.aheads.push(self.rng.ahead(SPREAD));
        }
    }

    /// Moves `count` distinct, uniformly chosen pending handles to
    /// `pool[..count]` (a partial Fisher–Yates shuffle).
    fn draw_victims(&mut self, count: usize) {
        let n = self.pool.len() as u64;
        for i in 0..count {
            let j = i + self.rng.below(n - i as u64) as usize;
            self.pool.swap(i, j);
        }
    }

    /// Runs `op` on `iters` operations in batches; returns the timed total.
    fn batches(
        &mut self,
        iters: u64,
        mut op: impl FnMut(&mut Self, usize) -> Duration,
    ) -> Duration {
        let mut total = Duration::ZERO;
        let mut left = iters as usize;
        while left > 0 {
            let count = left.min(self.batch);
            total += op(self, count);
            left -= count;
        }
        total
    }

    /// Inserts `count` entries (timed), then removes them again (untimed).
    fn insert(&mut self, iters: u64) -> Duration {
        self.batches(iters, |f, count| {
            f.draw_aheads(count);
            f.inserted.clear();
            let start = Instant::now();
            for &ahead in &f.aheads {
                f.inserted.push(f.peer.insert(ahead, VALUE));
            }
            let elapsed = start.elapsed();
            for &handle in &f.inserted {
                black_box(f.peer.remove(handle));
            }
            elapsed
        })
    }

    /// Removes `count` random pending entries (timed), then inserts as many
    /// fresh ones in their place (untimed).
    fn remove(&mut self, iters: u64) -> Duration {
        self.batches(iters, |f, count| {
            f.draw_victims(count);
            let start = Instant::now();
            for &handle in &f.pool[..count] {
                black_box(f.peer.remove(handle));
            }
            let elapsed = start.elapsed();
            f.draw_aheads(count);
            for (slot, &ahead) in f.pool[..count].iter_mut().zip(&f.aheads) {
                *slot = f.peer.insert(ahead, VALUE);
            }
            elapsed
        })
    }

    /// Moves `count` random pending entries to new random deadlines.
    fn reset(&mut self, iters: u64) -> Duration {
        self.batches(iters, |f, count| {
            f.draw_victims(count);
            f.draw_aheads(count);
            let start = Instant::now();
            for (slot, &ahead) in f.pool[..count].iter_mut().zip(&f.aheads) {
                *slot = f.peer.reset(*slot, ahead);
            }
            start.elapsed()
        })
    }

    /// One operation = insert a fresh entry and remove a random older one
    /// (the pending count never changes).
    fn insert_remove(&mut self, iters: u64) -> Duration {
        self.batches(iters, |f, count| {
            f.draw_victims(count);
            f.draw_aheads(count);
            let start = Instant::now();
            for (slot, &ahead) in f.pool[..count].iter_mut().zip(&f.aheads) {
                let fresh = f.peer.insert(ahead, VALUE);
                black_box(f.peer.remove(*slot));
                *slot = fresh;
            }
            start.elapsed()
        })
    }
}

/// A simulated-clock peer in the expiry steady state.
struct ExpiryFixture<P: SimulatedClock> {
    peer: P,
    rng: Rng,
    spread: u64,
    /// Ticks per step: about `min(256, N / 8)` entries come due per step.
    step: u64,
    out: Vec<Value>,
}

impl<P: SimulatedClock> ExpiryFixture<P> {
    fn new(mut peer: P, n: usize, spread: u64) -> Self {
        let mut rng = Rng::new(n as u64 ^ spread);
        for _ in 0..n {
            peer.insert(rng.ahead(spread), VALUE);
        }
        let due_per_step = (n as u64 / 8).clamp(1, 256);
        let step = (due_per_step * spread / n as u64).max(1);
        ExpiryFixture {
            peer,
            rng,
            spread,
            step,
            out: Vec::new(),
        }
    }

    /// Time per entry handed over, scaled to `iters` entries.
    fn expire(&mut self, iters: u64) -> Duration {
        let mut total = Duration::ZERO;
        let mut handed = 0;
        while handed < iters {
            self.out.clear();
            let start = Instant::now();
            self.peer.expire(self.step, &mut self.out);
            total += start.elapsed();
            handed += self.out.len() as u64;
            for &value in &self.out {
                self.peer.insert(self.rng.ahead(self.spread), value);
            }
        }
        total.mul_f64(iters as f64 / handed as f64)
    }
}

/// A `DelayQueue` in the `expiry_dense` steady state, on tokio's real clock.
struct DelayQueueExpiry {
    queue: DelayQueue<Value>,
    rng: Rng,
    spread: u64,
    out: Vec<(tokio::time::Instant, Value)>,
}

impl DelayQueueExpiry {
    fn new(n: usize, spread: u64) -> Self {
        let mut queue = DelayQueue::with_capacity(0);
        let base = tokio::time::Instant::now();
        let mut rng = Rng::new(n as u64 ^ spread);
        for _ in 0..n {
            queue.insert_at(VALUE, base + Duration::from_millis(rng.ahead(spread)));
        }
        DelayQueueExpiry {
            queue,
            rng,
            spread,
            out: Vec::with_capacity(256),
        }
    }

    fn reinsert(&mut self, deadline: tokio::time::Instant, value: Value) {
        let ahead = Duration::from_millis(self.rng.ahead(self.spread));
        self.queue.insert_at(value, deadline + ahead);
    }

    /// Drains due entries in runs of at most 256 (timed), re-inserting each
    /// run `1..=spread` ms after its own deadline (untimed). When the queue
    /// has caught up with the real clock, the benchmark waits 1 ms (untimed)
    /// without polling it, so the work of the next tick is timed.
    fn expire(&mut self, runtime: &Runtime, iters: u64) -> Duration {
        runtime.block_on(async {
            let mut total = Duration::ZERO;
            let mut handed = 0;
            while handed < iters {
                let want = (iters - handed).min(256) as usize;
                self.out.clear();
                let start = Instant::now();
                let caught_up = poll_fn(|cx| {
                    while self.out.len() < want {
                        match self.queue.poll_expired(cx) {
                            Poll::Ready(Some(expired)) => {
                                self.out.push((expired.deadline(), expired.into_inner()));
                            }
                            Poll::Ready(None) => unreachable!("the queue is never empty"),
                            Poll::Pending => return Poll::Ready(true),
                        }
                    }
                    Poll::Ready(false)
                })
                .await;
                total += start.elapsed();
                handed += self.out.len() as u64;
                for i in 0..self.out.len() {
                    let (deadline, value) = self.out[i];
                    self.reinsert(deadline, value);
                }
                if caught_up {
                    // Wait for the next tick without sleeping: yielding lets
                    // the runtime's timer driver run, and the thread keeps
                    // the CPU and its caches, as the simulated peers do.
                    let until = Instant::now() + Duration::from_millis(1);
                    while Instant::now() < until {
                        tokio::task::yield_now().await;
                    }
                }
            }
            total.mul_f64(iters as f64 / handed as f64)
        })
    }
}

fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_millis(1500));
}

fn bench_peer<P: Peer>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    n: usize,
    new: impl Fn() -> P,
    op: fn(&mut Fixture<P>, u64) -> Duration,
) {
    bench_lazily(
        group,
        BenchmarkId::new(P::name(), n),
        || Fixture::new(new(), n),
        op,
    );
}

fn bench_ops(c: &mut Criterion, sizes: &[usize]) {
    type Ops<P> = [(&'static str, fn(&mut Fixture<P>, u64) -> Duration); 4];
    let wheel_ops: Ops<Wheel<Value>> = [
        ("insert", Fixture::insert),
        ("remove", Fixture::remove),
        ("reset", Fixture::reset),
        ("insert_remove", Fixture::insert_remove),
    ];
    let heap_ops: Ops<HeapTimers> = [
        ("insert", Fixture::insert),
        ("remove", Fixture::remove),
        ("reset", Fixture::reset),
        ("insert_remove", Fixture::insert_remove),
    ];
    let queue_ops: Ops<DelayQueuePeer> = [
        ("insert", Fixture::insert),
        ("remove", Fixture::remove),
        ("reset", Fixture::reset),
        ("insert_remove", Fixture::insert_remove),
    ];
    for i in 0..wheel_ops.len() {
        let mut group = c.benchmark_group(wheel_ops[i].0);
        configure(&mut group);
        for &n in sizes {
            bench_peer(&mut group, n, Wheel::new, wheel_ops[i].1);
            bench_peer(&mut group, n, HeapTimers::default, heap_ops[i].1);
            bench_peer(&mut group, n, DelayQueuePeer::new, queue_ops[i].1);
        }
        group.finish();
    }
}

fn bench_expiry(c: &mut Criterion, runtime: &Runtime, sizes: &[usize]) {
    let mut group = c.benchmark_group("expiry");
    configure(&mut group);
    for &n in sizes {
        bench_lazily(
            &mut group,
            BenchmarkId::new("wheel", n),
            || ExpiryFixture::new(Wheel::new(), n, SPREAD),
            ExpiryFixture::expire,
        );
        bench_lazily(
            &mut group,
            BenchmarkId::new("binary_heap", n),
            || ExpiryFixture::new(HeapTimers::default(), n, SPREAD),
            ExpiryFixture::expire,
        );
    }
    group.finish();

    let mut group = c.benchmark_group("expiry_dense");
    configure(&mut group);
    for &n in sizes {
        let spread = (n as u64 / DENSITY).max(4);
        bench_lazily(
            &mut group,
            BenchmarkId::new("wheel", n),
            || ExpiryFixture::new(Wheel::new(), n, spread),
            ExpiryFixture::expire,
        );
        bench_lazily(
            &mut group,
            BenchmarkId::new("binary_heap", n),
            || ExpiryFixture::new(HeapTimers::default(), n, spread),
            ExpiryFixture::expire,
        );
        bench_lazily(
            &mut group,
            BenchmarkId::new("delay_queue", n),
            || DelayQueueExpiry::new(n, spread),
            |fixture, iters| fixture.expire(runtime, iters),
        );
    }
    group.finish();
}

fn main() {
    // Criterion runs benchmarks for real only under `cargo bench` (which
    // passes `--bench`); `cargo test --benches` just checks that they run.
    let sizes: &[usize] = if std::env::args().any(|arg| arg == "--bench") {
        &SIZES
    } else {
        &SIZES[..1]
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a tokio runtime");
    // `DelayQueue` creates tokio timers: it needs a runtime context.
    let _context = runtime.enter();
    let mut c = Criterion::default().configure_from_args();
    bench_ops(&mut c, sizes);
    bench_expiry(&mut c, &runtime, sizes);
    c.final_summary();
}
