//! Bytes of bookkeeping per pending entry, beyond the 16-byte value itself,
//! for `Wheel<T>`, two `BinaryHeap` timer queues and tokio-util's
//! `DelayQueue`, measured with a counting global allocator; and for
//! `Wheel<[u32; 3]>`, a 12-byte, 4-aligned value (its overhead is counted
//! beyond those 12 bytes).
//!
//! ```text
//! cargo run --release -p schedgroup-bench --example wheel_memory           # 1M and 10M entries
//! cargo run --release -p schedgroup-bench --example wheel_memory -- 1000   # any sizes
//! ```
//!
//! "Live bytes" are the bytes the structure holds from the allocator (the
//! sizes of its live allocations, not counting malloc's own headers), minus
//! what was live before it was built. "Overhead/entry" is
//! `live bytes / N - size_of::<T>()` with `T = [u64; 2]` (16 bytes, the size
//! of a `Box<dyn FnOnce()>`). "Grown" means the structure started empty and
//! grew by its own doubling (what a program sees); "exact" means it was
//! created with capacity for `N` (the per-entry cost without growth slack).
//! Deadlines are uniform in `1..=2^20` ticks (ms for `DelayQueue`) ahead.
//! "RSS growth" is how much the process's resident set grew while the
//! structure was filled (Linux only): capacity that was allocated but never
//! written to does not count there.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use schedgroup::Wheel;
use schedgroup_bench::counting::{self, Counting};
use tokio_util::time::DelayQueue;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The bytes that became live since the reading `base`.
fn grown(base: isize) -> usize {
    (counting::live() - base).max(0) as usize
}

/// Resident set size in bytes (Linux only; 4 KiB pages assumed).
fn resident() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// Growth of the resident set since `base`, in MB, or "n/a".
fn resident_growth(base: Option<usize>) -> String {
    match (base, resident()) {
        (Some(base), Some(now)) => format!("{:.0}", now.saturating_sub(base) as f64 / 1e6),
        _ => "n/a".to_string(),
    }
}

type Value = [u64; 2];
const VALUE: Value = [7, 11];
const SPREAD: u64 = 1 << 20;

/// xorshift64*, fixed seed.
struct Rng(u64);

impl Rng {
    fn ahead(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        1 + ((u128::from(x.wrapping_mul(0x2545_F491_4F6C_DD1D)) * u128::from(SPREAD)) >> 64) as u64
    }
}

/// One row of the report: live bytes of a structure holding `n` entries.
fn row(what: &str, n: usize, bytes: usize, rss: Option<usize>) {
    row_of::<Value>(what, n, bytes, rss);
}

/// [`row`], for values of type `V`.
fn row_of<V>(what: &str, n: usize, bytes: usize, rss: Option<usize>) {
    let per_entry = bytes as f64 / n as f64;
    let overhead = per_entry - std::mem::size_of::<V>() as f64;
    let rss = resident_growth(rss);
    println!("| {what} | {n} | {bytes} | {per_entry:.1} | {overhead:.1} | {rss} |");
}

fn after(what: &str, bytes: usize) {
    println!("| {what} | 0 | {bytes} | | | |");
}

fn wheel(n: usize, exact: bool) {
    wheel_of(n, exact, VALUE, "`Wheel<T>`");
}

/// A 12-byte, 4-aligned value: what a scheduled closure takes inline.
type Small = [u32; 3];

fn wheel_of<V: Copy>(n: usize, exact: bool, value: V, what: &str) {
    let base = counting::live();
    let rss = resident();
    let mut wheel = if exact {
        Wheel::with_capacity(n)
    } else {
        Wheel::new()
    };
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..n {
        wheel.insert(rng.ahead(), value);
    }
    let label = if exact { "exact" } else { "grown" };
    row_of::<V>(&format!("{what}, {label}"), n, grown(base), rss);
    if exact {
        wheel.drain().for_each(drop);
        after("… after `drain()`", grown(base));
        wheel.shrink_to_fit();
        after("… then `shrink_to_fit()`", grown(base));
    } else {
        let mut fired = 0usize;
        wheel.advance(u64::MAX, |_, _| fired += 1);
        assert_eq!(fired, n);
        after("… after `advance` expired all", grown(base));
        wheel.shrink_to_fit();
        after("… then `shrink_to_fit()`", grown(base));
    }
}

/// The plain lazy-deletion heap: values inside the heap, `(deadline, id, T)`.
fn heap_of_tuples(n: usize) {
    let base = counting::live();
    let rss = resident();
    let mut heap = BinaryHeap::new();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for id in 0..n {
        heap.push(Reverse((rng.ahead(), id as u32, VALUE)));
    }
    row("`BinaryHeap<(u64, u32, T)>`, grown", n, grown(base), rss);
    while heap.pop().is_some() {}
    after("… after popping all", grown(base));
    heap.shrink_to_fit();
    after("… then `shrink_to_fit()`", grown(base));
}

/// The benchmark's heap peer: 16-byte `(deadline, slot, generation)` heap
/// keys over a slab of `(generation, T)` slots (24 bytes each for a 16-byte
/// `T`), plus the free list the slab reuses slots from.
fn heap_peer(n: usize) {
    struct Slot {
        _generation: u32,
        _value: Value,
    }
    let base = counting::live();
    let rss = resident();
    let mut heap = BinaryHeap::new();
    let mut slots = Vec::new();
    let mut free: Vec<u32> = Vec::new();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for slot in 0..n {
        slots.push(Slot {
            _generation: 1,
            _value: VALUE,
        });
        heap.push(Reverse((rng.ahead(), slot as u32, 1u32)));
    }
    row("bench heap peer (keys + slab), grown", n, grown(base), rss);
    while let Some(Reverse((_, slot, _))) = heap.pop() {
        free.push(slot);
    }
    after("… after popping all (free list full)", grown(base));
    heap.shrink_to_fit();
    drop(slots);
    drop(free);
    after(
        "… then heap shrunk, slab and free list dropped",
        grown(base),
    );
}

fn delay_queue(n: usize, exact: bool) {
    let base = counting::live();
    let rss = resident();
    let mut queue = if exact {
        DelayQueue::with_capacity(n)
    } else {
        DelayQueue::new()
    };
    let start = tokio::time::Instant::now();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..n {
        queue.insert_at(VALUE, start + Duration::from_millis(rng.ahead()));
    }
    let label = if exact { "exact" } else { "grown" };
    row(&format!("`DelayQueue<T>`, {label}"), n, grown(base), rss);
    queue.clear();
    after("… after `clear()`", grown(base));
    queue.shrink_to_fit();
    after("… then `shrink_to_fit()`", grown(base));
    queue.compact();
    after("… then `compact()`", grown(base));
}

fn main() {
    counting::start();
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .map(|arg| arg.parse().expect("sizes are entry counts"))
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1_000_000, 10_000_000]
    } else {
        sizes
    };
    // `DelayQueue` creates a tokio timer: it needs a runtime with time.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a tokio runtime");
    let _context = runtime.enter();

    println!(
        "T = [u64; 2], size_of::<T>() = {} bytes",
        std::mem::size_of::<Value>()
    );
    println!();
    println!(
        "| structure | pending | live bytes | bytes/entry | overhead/entry beyond T | RSS growth (MB) |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for &n in &sizes {
        wheel(n, false);
        wheel(n, true);
        wheel_of::<Small>(n, false, [7, 11, 13], "`Wheel<[u32; 3]>`");
        wheel_of::<Small>(n, true, [7, 11, 13], "`Wheel<[u32; 3]>`");
        heap_of_tuples(n);
        heap_peer(n);
        delay_queue(n, false);
        delay_queue(n, true);
    }
}
