//! Per-operation cost of `Wheel<T>` against two peers, at 1k / 100k / 1M /
//! 10M pending entries: `insert`, `remove`, `reset_any`, an `insert +
//! remove` pair, and expiry (per entry handed over by `advance`), all
//! throughput (a loop of independent operations, whose cache misses the CPU
//! overlaps); and two latency groups, `reset` and `remove_insert_chain`,
//! where each operation picks its victim from the result of the one before.
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
//! The latency groups (`wheel/chains.rs`) hold `N` entries due 30–60 s
//! ahead, the idle timeouts of `N` connections, and compare `wheel`
//! (millisecond deadlines), `wheel_us` (microsecond deadlines in slots of
//! 1,024 µs, `Wheel::with_slot_bits(10)`) and `delay_queue`:
//! * `reset`: a random pending entry moves to 60 s ahead (a little later
//!   each time, as if time moved on: always a later deadline), then its
//!   deadline is read back and picks the next victim;
//! * `remove_insert_chain`: a random pending entry is removed, a fresh one
//!   inserted 30–60 s ahead, and the removed value picks the next victim.
//!
//! Every other benchmark is a *steady state*: each fixture is filled with `N`
//! entries once (lazily, on the first call, so a criterion filter that skips a
//! size never builds it), then criterion times batches of operations and the
//! work that undoes them (re-inserting what was removed, removing what was
//! inserted) runs outside the timed region, so `N` stays put. Deadlines are
//! uniform in `1..=2^20` ticks ahead (a fixed-seed xorshift), victims of
//! `remove` / `reset_any` are uniform among all pending entries. Reported times
//! are per operation (criterion's "iteration" is one operation).
//!
//! `reset_any` moves victims to new random deadlines, earlier or later.
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
//! `cargo test -p schedgroup-bench --benches` (criterion's test mode) runs
//! only the 1k size.
//!
//! This file registers the groups; `wheel/peers.rs` holds the peers behind
//! one trait, `wheel/fixtures.rs` the steady states (what is timed, what is
//! undone untimed), `wheel/chains.rs` the latency groups.

mod chains;
mod fixtures;
#[path = "../common/lazily.rs"]
mod lazily;
mod peers;
#[path = "../common/setup.rs"]
mod setup;

use std::time::Duration;

use chains::Chain;
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion};
use fixtures::{DelayQueueExpiry, ExpiryFixture, Fixture};
use lazily::bench_lazily;
use peers::{Chained, DelayQueuePeer, HeapTimers, Peer, WheelUs};
use schedgroup::Wheel;
use tokio::runtime::Runtime;

/// The stored value: 16 bytes, the size of a `Box<dyn FnOnce()>`.
type Value = [u64; 2];
const VALUE: Value = [7, 11];

const SIZES: [usize; 4] = [1_000, 100_000, 1_000_000, 10_000_000];
/// Deadlines are uniform in `1..=SPREAD` ticks ahead.
const SPREAD: u64 = 1 << 20;
/// Entries due per tick in `expiry_dense`.
const DENSITY: u64 = 256;

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
        ("reset_any", Fixture::reset),
        ("insert_remove", Fixture::insert_remove),
    ];
    let heap_ops: Ops<HeapTimers> = [
        ("insert", Fixture::insert),
        ("remove", Fixture::remove),
        ("reset_any", Fixture::reset),
        ("insert_remove", Fixture::insert_remove),
    ];
    let queue_ops: Ops<DelayQueuePeer> = [
        ("insert", Fixture::insert),
        ("remove", Fixture::remove),
        ("reset_any", Fixture::reset),
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

fn bench_chain<P: Chained>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    n: usize,
    new: impl Fn() -> P,
    op: fn(&mut Chain<P>, u64) -> Duration,
) {
    bench_lazily(
        group,
        BenchmarkId::new(P::name(), n),
        || Chain::new(new(), n),
        op,
    );
}

fn bench_chains(c: &mut Criterion, sizes: &[usize]) {
    let mut group = c.benchmark_group("reset");
    configure(&mut group);
    for &n in sizes {
        bench_chain(&mut group, n, Wheel::new, Chain::reset_later);
        bench_chain(&mut group, n, WheelUs::new, Chain::reset_later);
        bench_chain(&mut group, n, DelayQueuePeer::new, Chain::reset_later);
    }
    group.finish();
    let mut group = c.benchmark_group("remove_insert_chain");
    configure(&mut group);
    // 1k only in test mode: the figures that matter are from 100k up.
    for &n in sizes.iter().filter(|&&n| n >= 100_000 || sizes.len() == 1) {
        bench_chain(&mut group, n, Wheel::new, Chain::remove_insert);
        bench_chain(&mut group, n, WheelUs::new, Chain::remove_insert);
        bench_chain(&mut group, n, DelayQueuePeer::new, Chain::remove_insert);
    }
    group.finish();
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
    let sizes: &[usize] = if setup::full_run() {
        &SIZES
    } else {
        &SIZES[..1]
    };
    let runtime = setup::tokio_runtime();
    let _context = runtime.enter();
    let mut c = Criterion::default().configure_from_args();
    bench_ops(&mut c, sizes);
    bench_chains(&mut c, sizes);
    bench_expiry(&mut c, &runtime, sizes);
    c.final_summary();
}
