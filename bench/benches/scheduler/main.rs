//! The scheduler figures of the README (2, 3, 7 and 8), with the peers in
//! the same criterion group and the same run. Every scheduled closure captures one `Arc<u64>` (cloned
//! outside the timed region, moved into the closure inside it), so
//! schedgroup stores it inline and the peers box it.
//!
//! Peers:
//! * `heap_*`: `schedgroup_bench::go_heap`, the Go package's design
//!   (`Mutex<BinaryHeap>` + `Condvar`, lazy cancellation: a canceled id goes
//!   into a `HashSet` and its entry stays in the heap as a tombstone until it
//!   surfaces). Its deadlines here never surface, so the harness rebuilds it
//!   (untimed) whenever its tombstones reach its live count; the rebuild is
//!   a favour to the heap, whose memory would otherwise grow without bound.
//! * `pool_*` (`delay` and `cancel` groups): scheduled-thread-pool 0.2
//!   (`schedgroup_bench::scheduled_pool`: a `BinaryHeap` under a mutex, and
//!   4 workers that each sleep on its `Condvar` until the earliest job's
//!   exact `Instant`), through `execute_after`, which boxes the closure and
//!   allocates an `Arc<AtomicBool>` for its `JobHandle`. Its cancel is that
//!   flag alone (the job stays in the heap until its deadline), so it is
//!   rebuilt (untimed) like the heap once its canceled jobs reach its live
//!   count. It has no reset.
//! * `delayqueue_*`: tokio-util's `DelayQueue<Box<dyn FnOnce() + Send>>`,
//!   single-threaded and unsynchronised (no lock), never polled, inside a
//!   current-thread runtime's context.
//! * `tokio_spawn_sleep` (`delay` group only): `tokio::spawn` of an async
//!   block that sleeps an hour, called from a task on a 2-worker
//!   multi-thread runtime; only the spawn calls are timed.
//!
//! Groups (criterion's "iteration" is one operation; filter by name, e.g.
//! `cargo bench -p schedgroup-bench --bench scheduler -- pair/`):
//! * `delay` (figure 2): schedule with a fixed one-hour delay. Each peer
//!   fills up to 1,000,000 pending tasks (100,000 for tokio) and is then
//!   replaced by a fresh one outside the timed region, so the pending count
//!   sweeps 0..1M. Handles are kept (pushed into a pre-sized `Vec`) and
//!   dropped untimed, except `schedgroup_delay_drop_handle`, which drops
//!   each `TaskHandle` at once (fire and forget). `*_schedule` passes a fixed
//!   `Instant` (computed once) and so skips the clock read.
//! * `cancel` (figure 3): 1,000,000 pending tasks with deadlines uniform in
//!   1 h + `0..2^20` ms; batches of up to 250,000 are canceled (timed) and
//!   replaced (untimed). `*_random` cancels uniformly random pending tasks,
//!   `*_newest` the most recently scheduled ones (hot in cache). The
//!   canceled closure (its `Arc`) is dropped inside the timed region for
//!   schedgroup and `DelayQueue`, not for the heap and the pool (lazy).
//!   schedgroup's
//!   handle is dropped at once, except in `schedgroup_keep_handle_random`,
//!   where it is dropped untimed (`TaskHandle::cancel` alone).
//! * `pair` (figure 7): at N = 1k / 100k / 1M / 10M pending (built once per
//!   N, lazily, untimed), one operation = schedule a fresh task (1 h +
//!   `0..2^20` ms) and cancel a uniformly random pending one, so N never
//!   changes.
//! * `reset`: at N = 1k / 100k / 1M / 10M pending, filed 30–60 s out (built
//!   once per N, lazily, untimed; refilled before anything could fire), one
//!   operation = `TaskHandle::reset_after` (or `DelayQueue::reset`) of a
//!   pending task. `*_later`: a uniformly random one, to 60 s from now, so
//!   every reset moves its task later (an idle timeout renewed by a
//!   packet). `*_earlier`: each task once, in a random order, to 20 s from
//!   now: earlier than its filed deadline, and still pending.
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
//! `cargo test -p schedgroup-bench --benches` (criterion's test mode) runs
//! tiny sizes only.
//!
//! This file registers the groups; `scheduler/peers.rs` holds the peers,
//! `scheduler/fixtures.rs` one fixture per figure (what is timed, what is
//! rebuilt untimed), `scheduler/reset.rs` the `reset` group's, and
//! `common/stopwatch.rs` what the timed regions read.

mod fixtures;
#[path = "../common/lazily.rs"]
mod lazily;
mod peers;
mod reset;
#[path = "../common/setup.rs"]
mod setup;
#[path = "../common/stopwatch.rs"]
mod stopwatch;

use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion};
use fixtures::{Drain, Fill, Pairs, Spawn, Threads, Victims};
use lazily::bench_lazily;
use peers::{Heap, HeapSchedule, Pool, Queue, SgDelay, SgKeepHandle, SgSchedule};
use reset::{Direction, Resets};
use schedgroup::Group;
use schedgroup_bench::go_heap::HeapGroup;

/// Far enough that nothing fires during a run.
const FAR: Duration = Duration::from_secs(3600);
/// Spread of the random deadlines (ms) after `FAR`: about 17 minutes.
const SPREAD_MS: u64 = 1 << 20;
/// Worker threads of the heap peer: schedgroup's default cap on this machine.
const HEAP_WORKERS: usize = 4;
/// Pending counts of the `pair` and `reset` groups.
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
    /// Pending counts of the `pair` and `reset` groups.
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

fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(1500));
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
        id("pool_execute_after"),
        || Fill::<Pool>::new(cap, true),
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
            id(&format!("pool_{name}")),
            || Drain::<Pool>::new(size, order),
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

fn bench_reset(c: &mut Criterion, scale: Scale) {
    let mut group = c.benchmark_group("reset");
    configure(&mut group);
    for &n in scale.pair_sizes {
        for (name, direction) in [("later", Direction::Later), ("earlier", Direction::Earlier)] {
            bench_lazily(
                &mut group,
                BenchmarkId::new(format!("schedgroup_{name}"), n),
                || Resets::<SgDelay>::new(n, direction),
                Resets::run,
            );
            bench_lazily(
                &mut group,
                BenchmarkId::new(format!("delayqueue_{name}"), n),
                || Resets::<Queue>::new(n, direction),
                Resets::run,
            );
        }
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
    let scale = if setup::full_run() { FULL } else { TEST };
    let runtime = setup::tokio_runtime();
    let _context = runtime.enter();
    let mut c = Criterion::default().configure_from_args();
    bench_delay(&mut c, scale);
    bench_cancel(&mut c, scale);
    bench_pair(&mut c, scale);
    bench_reset(&mut c, scale);
    bench_threads(&mut c, scale);
    c.final_summary();
}
