//! `--mode queue`, measured on one side: schedgroup's `Queue<u64>` or
//! tokio-util's `DelayQueue<u64>`, each in the way its users run it.
//!
//! * Memory: N values inserted D (1 h) out; heap bytes from the counting
//!   allocator (`schedgroup_bench::counting`), RSS from `/proc/self/status`.
//!   Keys are dropped at once on both sides (they live in the user's own
//!   structures).
//! * Idle: the N values stay pending while a receiver waits for the next
//!   one: a thread blocked in `Queue::recv_timeout`, beside the queue's
//!   driver (`schedgroup-queue`); for `DelayQueue`, which has no thread of
//!   its own, the thread that owns it, awaiting `poll_expired` on a
//!   current-thread tokio runtime. After a settling second, each thread's
//!   context switches (wake-ups) and CPU are read over `--observe` seconds.
//! * Expiry: a fresh queue, N values inserted for ONE instant, then one
//!   thread receives them all (`recv` / `poll_expired` in a loop): the time
//!   from the deadline to the first and to the last, and a check that each
//!   value came back exactly once.

use std::collections::HashSet;
use std::future::poll_fn;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use schedgroup::Queue;
use tokio::runtime::Runtime;
use tokio_util::time::DelayQueue;

use crate::args::Config;
use crate::figures::{since, Figures};
use crate::idle::delta;
use crate::procfs::{self, ThreadStat};
use schedgroup_bench::counting;

/// Time for the last inserts to settle (and the driver to park) before the
/// idle window opens.
pub const SETTLE: Duration = Duration::from_secs(1);
/// The receiver of the idle phase gives up this long after the window.
const AFTER_WINDOW: Duration = Duration::from_secs(1);
/// Expiry: the one deadline is at least this far after the inserts start ...
const MIN_LEAD: Duration = Duration::from_millis(250);
/// ... and at least this much per value.
const LEAD_PER_VALUE: Duration = Duration::from_nanos(500);
/// Expiry: the receiver gives up this long after the deadline, so a lost
/// value fails the run instead of hanging it.
const RECEIVE_LIMIT: Duration = Duration::from_secs(60);
/// Thread names, as `/proc/<tid>/comm` shows them (at most 15 bytes).
const DRIVER: &str = "schedgroup-queu";
const RECEIVER: &str = "queue-receiver";
const OWNER: &str = "delayqueue-loop";

/// The one deadline of the expiry phase, after the start of the inserts.
pub fn lead(n: usize) -> Duration {
    MIN_LEAD.max(LEAD_PER_VALUE.saturating_mul(u32::try_from(n).unwrap_or(u32::MAX)))
}

fn new_queue(config: &Config) -> Queue<u64> {
    if config.tick.is_none() && config.timer_slack.is_none() {
        return Queue::new();
    }
    let mut builder = Queue::builder();
    if let Some(tick) = config.tick {
        builder = builder.tick(tick);
    }
    if let Some(slack) = config.timer_slack {
        builder = builder.timer_slack(slack);
    }
    builder.build()
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a tokio runtime")
}

/// The sum of `0..n`, which the values received must add up to.
fn expected_sum(n: usize) -> u64 {
    (0..n as u64).fold(0, u64::wrapping_add)
}

/// Memory before and after the inserts: `mem_*` figures.
struct Memory {
    rss: Option<u64>,
    heap: isize,
    start: Instant,
}

impl Memory {
    fn before() -> Memory {
        Memory {
            rss: procfs::sample().rss,
            heap: counting::live(),
            start: Instant::now(),
        }
    }

    fn after(self, f: &mut Figures) {
        f.set("fill_ns", since(Instant::now(), self.start));
        f.set("mem_heap", (counting::live() - self.heap) as f64);
        let rss = procfs::sample().rss;
        f.set_opt(
            "mem_rss",
            rss.zip(self.rss)
                .map(|(after, before)| after as f64 - before as f64),
        );
    }
}

/// Per-thread counters at the edges of the idle window: the side's timer
/// thread (if it has one), the thread waiting for a value, all the side's
/// threads (those not in `existing`), and the whole process.
fn window(
    f: &mut Figures,
    observe: Duration,
    existing: &HashSet<u32>,
    timer: Option<&str>,
    waiter: &str,
) {
    let before = procfs::threads();
    let ticks_before = procfs::process_cpu_ticks();
    let opened = Instant::now();
    thread::sleep(observe);
    let closed = Instant::now();
    let ticks_after = procfs::process_cpu_ticks();
    let after = procfs::threads();
    f.set("window_ns", since(closed, opened));
    let ours: HashSet<u32> = (before.iter())
        .map(|t| t.tid)
        .filter(|tid| !existing.contains(tid))
        .collect();
    let named = |name: &str| {
        before
            .iter()
            .find(|t| ours.contains(&t.tid) && t.comm == name)
    };
    let switches = |t: &ThreadStat| t.switches;
    let cpu = |t: &ThreadStat| t.cpu_ns;
    for (role, name) in [("timer", timer), ("waiter", Some(waiter))] {
        if let Some(tid) = name.and_then(named).map(|t| t.tid) {
            f.set_opt(
                &format!("{role}_switches"),
                delta(&before, &after, |t| t == tid, switches),
            );
            f.set_opt(
                &format!("{role}_cpu_ns"),
                delta(&before, &after, |t| t == tid, cpu),
            );
        }
    }
    f.set("side_threads", ours.len() as f64);
    f.set_opt(
        "side_switches",
        delta(&before, &after, |t| ours.contains(&t), switches),
    );
    f.set_opt(
        "side_cpu_ns",
        delta(&before, &after, |t| ours.contains(&t), cpu),
    );
    f.set_opt("proc_cpu_ns", delta(&before, &after, |_| true, cpu));
    f.set_opt(
        "proc_ticks_ns",
        ticks_before
            .zip(ticks_after)
            .map(|(b, a)| a.saturating_sub(b) as f64 * 1e9 / procfs::USER_HZ as f64),
    );
}

/// What one receiver saw of the expiry phase: `exp_*` figures.
#[derive(Default)]
struct Received {
    count: usize,
    sum: u64,
    first: Option<Instant>,
    last: Option<Instant>,
}

impl Received {
    /// Counts a value. The clock is read for the first value only: the
    /// last one's time is read once the loop ends ([`Received::done`]), so
    /// that the harness adds no clock read per value to either side.
    #[inline]
    fn take(&mut self, value: u64) {
        if self.first.is_none() {
            self.first = Some(Instant::now());
        }
        self.count += 1;
        self.sum = self.sum.wrapping_add(value);
    }

    /// The receiving loop ended: the time of the last value, if any came.
    fn done(&mut self) {
        if self.count > 0 {
            self.last = Some(Instant::now());
        }
    }

    fn record(&self, f: &mut Figures, n: usize, inserted: Instant, deadline: Instant) {
        f.set("exp_margin_ns", since(deadline, inserted));
        f.set("exp_received", self.count as f64);
        f.set(
            "exp_sum_ok",
            f64::from(u8::from(self.sum == expected_sum(n))),
        );
        f.set_opt("exp_first_ns", self.first.map(|t| since(t, deadline)));
        f.set_opt("exp_last_ns", self.last.map(|t| since(t, deadline)));
    }
}

/// schedgroup's `Queue<u64>`.
pub fn measure_queue(config: &Config) -> Figures {
    counting::start();
    let n = config.tasks;
    let mut f = Figures::default();
    if let Some(load) = procfs::loadavg() {
        f.note("loadavg", load);
    }
    let existing: HashSet<u32> = procfs::threads().iter().map(|t| t.tid).collect();
    let queue = new_queue(config);
    let memory = Memory::before();
    for i in 0..n {
        queue.insert(i as u64, config.delay);
    }
    memory.after(&mut f);
    let waits = SETTLE + config.observe + AFTER_WINDOW;
    let idle_received = thread::scope(|scope| {
        let receiver = thread::Builder::new()
            .name(RECEIVER.into())
            .spawn_scoped(scope, || queue.recv_timeout(waits))
            .expect("a receiver thread");
        thread::sleep(SETTLE);
        f.set("pending_before", queue.len() as f64);
        window(&mut f, config.observe, &existing, Some(DRIVER), RECEIVER);
        f.set("pending_after", queue.len() as f64);
        receiver.join().expect("the receiver does not panic")
    });
    f.set(
        "idle_received",
        f64::from(u8::from(idle_received.is_some())),
    );
    drop(queue);

    let queue = new_queue(config);
    let start = Instant::now();
    let deadline = start + lead(n);
    for i in 0..n {
        queue.insert_at(i as u64, deadline);
    }
    let inserted = Instant::now();
    f.set("exp_insert_ns", since(inserted, start));
    let mut received = Received::default();
    let give_up = deadline + RECEIVE_LIMIT;
    while received.count < n {
        // A value already expired needs no clock read for the time left.
        if let Some(value) = queue.try_recv() {
            received.take(value);
            continue;
        }
        let left = give_up.saturating_duration_since(Instant::now());
        match queue.recv_timeout(left) {
            Some(value) => received.take(value),
            None => break,
        }
    }
    received.done();
    received.record(&mut f, n, inserted, deadline);
    f
}

/// tokio-util's `DelayQueue<u64>`, owned by one thread that awaits it.
pub fn measure_delay_queue(config: &Config) -> Figures {
    counting::start();
    let n = config.tasks;
    let mut f = Figures::default();
    if let Some(load) = procfs::loadavg() {
        f.note("loadavg", load);
    }
    let existing: HashSet<u32> = procfs::threads().iter().map(|t| t.tid).collect();
    let (filled, owner_figures) = mpsc::channel::<Figures>();
    let (delay, waits) = (config.delay, SETTLE + config.observe + AFTER_WINDOW);
    let owner = thread::Builder::new()
        .name(OWNER.into())
        .spawn(move || {
            let runtime = runtime();
            let _context = runtime.enter();
            let mut queue = DelayQueue::new();
            let mut f = Figures::default();
            let memory = Memory::before();
            for i in 0..n {
                queue.insert(i as u64, delay);
            }
            memory.after(&mut f);
            f.set("pending_before", queue.len() as f64);
            let _ = filled.send(f);
            let until = tokio::time::Instant::now() + waits;
            let got = runtime.block_on(async {
                tokio::time::timeout_at(until, poll_fn(|cx| queue.poll_expired(cx))).await
            });
            let mut f = Figures::default();
            f.set("pending_after", queue.len() as f64);
            f.set(
                "idle_received",
                f64::from(u8::from(matches!(got, Ok(Some(_))))),
            );
            let _ = filled.send(f);
        })
        .expect("a thread to own the DelayQueue");
    f.extend(owner_figures.recv().expect("the owner reports its inserts"));
    thread::sleep(SETTLE);
    window(&mut f, config.observe, &existing, None, OWNER);
    f.extend(
        owner_figures
            .recv()
            .expect("the owner reports the end of its wait"),
    );
    owner.join().expect("the owner does not panic");

    let runtime = runtime();
    let _context = runtime.enter();
    let mut queue = DelayQueue::new();
    let start = Instant::now();
    let deadline = start + lead(n);
    let at = tokio::time::Instant::from_std(deadline);
    for i in 0..n {
        queue.insert_at(i as u64, at);
    }
    let inserted = Instant::now();
    f.set("exp_insert_ns", since(inserted, start));
    let mut received = Received::default();
    let give_up = tokio::time::Instant::from_std(deadline + RECEIVE_LIMIT);
    let _ = runtime.block_on(tokio::time::timeout_at(give_up, async {
        while received.count < n {
            match poll_fn(|cx| queue.poll_expired(cx)).await {
                Some(expired) => received.take(expired.into_inner()),
                None => break,
            }
        }
    }));
    received.done();
    received.record(&mut f, n, inserted, deadline);
    f
}
