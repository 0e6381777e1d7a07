//! The `queue` group: schedgroup's `Queue<u64>` beside tokio-util's
//! `DelayQueue<u64>`, in the same run. The values are plain `u64`s, so
//! neither side boxes anything.
//!
//! Benchmarks (criterion's "iteration" is one operation, except in
//! expiry; filter by name, e.g.
//! `cargo bench -p schedgroup-bench --bench queue -- queue/`):
//! * `insert/*`: insert with a fixed one-hour delay, keys kept (pushed into
//!   a pre-sized `Vec`); each side fills up to 1,000,000 pending and is
//!   then replaced untimed, so the pending count sweeps 0..1M.
//!   `DelayQueue` is single-threaded and unsynchronised (no lock), never
//!   polled, inside a current-thread runtime's context; `Queue` takes its
//!   shard's lock on every call.
//! * `insert_at/*`: the same with `insert_at` of one instant an hour out
//!   (fixed when the fixture is built): no clock is read, so this is the
//!   structure's own cost; `insert` minus `insert_at` is what reading and
//!   converting "now" costs on the machine.
//! * `remove_random/*`, `remove_newest/*`: 1,000,000 pending with
//!   deadlines uniform in 1 h + `0..2^20` ms; batches of up to 250,000 are
//!   removed (timed: the value comes back) and replaced (untimed); random
//!   victims, or the most recently inserted (hot in cache).
//! * `threads/1`, `threads/2`: `Queue::insert` as in `insert`, from 1 or 2
//!   threads at once into one queue (spawned and synchronised on a
//!   `Barrier` untimed); the time is from the first thread's start to the
//!   last one's end, so the per-insert time is the aggregate's inverse
//!   throughput. `DelayQueue` is not `Sync`: it has no such row.
//! * `expiry/*` (a second group under the same name, sampled flat): one
//!   iteration = 1,000,000 values inserted (untimed) for ONE instant, then
//!   all received by one thread (`Queue::recv_timeout` in a loop; the
//!   `DelayQueue`'s owner awaiting `poll_expired` on a current-thread
//!   runtime); timed from the deadline to the last value received, on the
//!   wall clock (it includes the wake-up at the deadline). Criterion's
//!   throughput figure is values received per second.
//!
//! `SCHEDGROUP_BENCH_TIME=cpu` times insert and remove with the measuring
//! thread's CPU time (see `common/stopwatch.rs`); threads and expiry stay
//! on wall time. `cargo test -p schedgroup-bench --benches` (criterion's
//! test mode) runs tiny sizes only.

mod expiry;
mod fixtures;
#[path = "../common/lazily.rs"]
mod lazily;
mod peers;
#[path = "../common/setup.rs"]
mod setup;
#[path = "../common/stopwatch.rs"]
mod stopwatch;

use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput};
use expiry::Expiry;
use fixtures::{Drain, Fill, Threads, Victims};
use lazily::bench_lazily;
use peers::{Dq, Sg};
use schedgroup::Queue;

/// Far enough that nothing expires during a run.
const FAR: Duration = Duration::from_secs(3600);
/// Spread of the random deadlines (ms) after `FAR`: about 17 minutes.
const SPREAD_MS: u64 = 1 << 20;

/// Sizes that differ between `cargo bench` and criterion's test mode.
#[derive(Clone, Copy)]
struct Scale {
    /// Pending values an `insert` / `threads` side fills up to.
    fill: usize,
    /// Pending values of the `remove_*` benchmarks.
    pool: usize,
    /// Values per expiry burst.
    burst: usize,
}

const FULL: Scale = Scale {
    fill: 1_000_000,
    pool: 1_000_000,
    burst: 1_000_000,
};

const TEST: Scale = Scale {
    fill: 1_000,
    pool: 1_000,
    burst: 1_000,
};

fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(1500));
}

fn bench_operations(c: &mut Criterion, scale: Scale) {
    let mut group = c.benchmark_group("queue");
    configure(&mut group);
    let (fill, pool) = (scale.fill, scale.pool);
    bench_lazily(
        &mut group,
        BenchmarkId::new("insert", "schedgroup"),
        || Fill::<Sg>::new(fill),
        Fill::run,
    );
    bench_lazily(
        &mut group,
        BenchmarkId::new("insert", "delayqueue"),
        || Fill::<Dq>::new(fill),
        Fill::run,
    );
    bench_lazily(
        &mut group,
        BenchmarkId::new("insert_at", "schedgroup"),
        || Fill::<Sg>::at(fill),
        Fill::run,
    );
    bench_lazily(
        &mut group,
        BenchmarkId::new("insert_at", "delayqueue"),
        || Fill::<Dq>::at(fill),
        Fill::run,
    );
    for (name, order) in [
        ("remove_random", Victims::Random),
        ("remove_newest", Victims::Newest),
    ] {
        bench_lazily(
            &mut group,
            BenchmarkId::new(name, "schedgroup"),
            || Drain::<Sg>::new(pool, order),
            Drain::run,
        );
        bench_lazily(
            &mut group,
            BenchmarkId::new(name, "delayqueue"),
            || Drain::<Dq>::new(pool, order),
            Drain::run,
        );
    }
    for threads in [1, 2] {
        bench_lazily(
            &mut group,
            BenchmarkId::new("threads", threads),
            || Threads::new(threads, fill),
            Threads::run,
        );
    }
    group.finish();
}

fn bench_expiry(c: &mut Criterion, scale: Scale) {
    let mut group = c.benchmark_group("queue");
    // One iteration is a whole burst (tens of milliseconds, after an
    // untimed lead of a few hundred): ten of them, one per sample.
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_millis(100))
        .throughput(Throughput::Elements(scale.burst as u64));
    let n = scale.burst;
    bench_lazily(
        &mut group,
        BenchmarkId::new("expiry", "schedgroup"),
        || Expiry::<Queue<u64>>::new(n),
        Expiry::run,
    );
    bench_lazily(
        &mut group,
        BenchmarkId::new("expiry", "delayqueue"),
        || Expiry::<expiry::Dq>::new(n),
        Expiry::run,
    );
    group.finish();
}

fn main() {
    let scale = if setup::full_run() { FULL } else { TEST };
    let runtime = setup::tokio_runtime();
    let _context = runtime.enter();
    let mut c = Criterion::default().configure_from_args();
    bench_operations(&mut c, scale);
    bench_expiry(&mut c, scale);
    c.final_summary();
}
