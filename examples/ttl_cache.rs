//! A cache whose entries expire: a `HashMap` owned by one thread, and a
//! [`Queue`] that hands that thread the keys whose time-to-live ran out.
//! No closure runs on another thread, so the map needs no lock: the owner
//! takes expired keys between requests, exactly like a `DelayQueue` in an
//! event loop, but without a runtime.
//!
//! ```text
//! cargo run --release --example ttl_cache
//! cargo test --example ttl_cache      # the same logic on a ManualClock
//! ```
//!
//! `main` serves a stream of requests for 1.5 s: most are reads, some write
//! an entry with a 300 ms time-to-live (a write to a live entry pushes its
//! expiry back). It prints how many entries expired and how many reads hit.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

use schedgroup::{Queue, QueueKey};

/// A map whose entries go away `ttl` after they were last written.
pub struct TtlCache<K, V> {
    entries: HashMap<K, Entry<V>>,
    /// Each entry's key, with the write it belongs to.
    expiries: Queue<(K, u64)>,
    ttl: Duration,
    writes: u64,
    expired: usize,
}

struct Entry<V> {
    value: V,
    timer: QueueKey,
    /// The write whose timer this is: an expired timer of an earlier
    /// write of the same key must not drop a later one.
    write: u64,
}

impl<K: Clone + Eq + Hash + Send + 'static, V> TtlCache<K, V> {
    /// An empty cache whose entries live for `ttl`, on `expiries`' clock.
    pub fn new(expiries: Queue<(K, u64)>, ttl: Duration) -> Self {
        TtlCache {
            entries: HashMap::new(),
            expiries,
            ttl,
            writes: 0,
            expired: 0,
        }
    }

    /// Writes an entry; a live entry's expiry moves to `ttl` from now (one
    /// O(1) reset, no second timer).
    pub fn insert(&mut self, key: K, value: V) {
        self.expire();
        if let Some(entry) = self.entries.get_mut(&key) {
            if self.expiries.reset(&entry.timer, self.ttl) {
                entry.value = value;
                return;
            }
        }
        // New, or its timer ran out just now: a new timer for a new write.
        self.writes += 1;
        let timer = self.expiries.insert((key.clone(), self.writes), self.ttl);
        let write = self.writes;
        self.entries.insert(
            key,
            Entry {
                value,
                timer,
                write,
            },
        );
    }

    /// Reads an entry, if it has not expired.
    pub fn get(&mut self, key: &K) -> Option<&V> {
        self.expire();
        self.entries.get(key).map(|entry| &entry.value)
    }

    /// Removes an entry now, with its timer.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        let entry = self.entries.remove(key)?;
        self.expiries.remove(&entry.timer);
        Some(entry.value)
    }

    /// Drops every entry whose time is up. The queue hands back each
    /// expired timer once; a timer of an earlier write of a key (removed,
    /// or replaced after it ran out) finds a later write and leaves it.
    pub fn expire(&mut self) {
        while let Some((key, write)) = self.expiries.try_recv() {
            if self
                .entries
                .get(&key)
                .is_some_and(|entry| entry.write == write)
            {
                self.entries.remove(&key);
                self.expired += 1;
            }
        }
    }

    /// Live entries (call [`expire`](TtlCache::expire) first for an exact
    /// count).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries that expired so far.
    pub fn expired(&self) -> usize {
        self.expired
    }
}

fn main() {
    let mut cache = TtlCache::new(Queue::new(), Duration::from_millis(300));
    let (mut reads, mut hits) = (0u64, 0u64);
    let start = Instant::now();
    let mut request = 0u64;
    while start.elapsed() < Duration::from_millis(1500) {
        request += 1;
        // A cheap, repeatable spread over 1,000 keys.
        let key = (request.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) % 1000;
        if request % 8 == 0 {
            cache.insert(key, request);
        } else {
            reads += 1;
            hits += u64::from(cache.get(&key).is_some());
        }
        if request % 1024 == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    // Let the rest run out.
    std::thread::sleep(Duration::from_millis(400));
    cache.expire();
    println!(
        "{request} requests in 1.5 s: {reads} reads, {hits} hits; {} entries expired, {} left",
        cache.expired(),
        cache.len()
    );
    assert!(cache.is_empty(), "an entry outlived its time-to-live");
}

// Under `--features loom` a group or queue works only inside a loom model.
#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::*;
    use schedgroup::ManualClock;

    fn cache(ttl_secs: u64) -> (ManualClock, TtlCache<&'static str, u32>) {
        let clock = ManualClock::new();
        let queue = Queue::builder().clock(clock.clone()).build();
        (clock, TtlCache::new(queue, Duration::from_secs(ttl_secs)))
    }

    #[test]
    fn entries_expire_exactly_at_their_ttl() {
        let (clock, mut cache) = cache(30);
        cache.insert("a", 1);
        clock.advance(Duration::from_secs(29));
        assert_eq!(cache.get(&"a"), Some(&1));
        clock.advance(Duration::from_secs(1));
        assert_eq!(cache.get(&"a"), None);
        assert_eq!(cache.expired(), 1);
    }

    #[test]
    fn a_write_pushes_the_expiry_back() {
        let (clock, mut cache) = cache(30);
        cache.insert("a", 1);
        clock.advance(Duration::from_secs(20));
        cache.insert("a", 2);
        clock.advance(Duration::from_secs(20));
        assert_eq!(cache.get(&"a"), Some(&2));
        clock.advance(Duration::from_secs(10));
        assert_eq!(cache.get(&"a"), None);
    }

    /// The timer of a write ran out and is waiting to be received when the
    /// key is written again: the old timer must not drop the new write.
    #[test]
    fn a_timer_that_ran_out_does_not_drop_a_later_write() {
        let (clock, mut cache) = cache(30);
        cache.insert("a", 1);
        clock.advance(Duration::from_secs(30));
        // Expired, not yet taken: `insert` finds the entry, its reset fails.
        cache.entries.get_mut(&"a").unwrap().value = 1;
        let timer = cache.entries[&"a"].timer;
        assert!(!cache.expiries.reset(&timer, Duration::from_secs(1)));
        cache.writes += 1;
        let write = cache.writes;
        let timer = cache.expiries.insert(("a", write), cache.ttl);
        cache.entries.insert(
            "a",
            Entry {
                value: 2,
                timer,
                write,
            },
        );
        cache.expire();
        assert_eq!(
            cache.get(&"a"),
            Some(&2),
            "an old timer dropped a new write"
        );
        clock.advance(Duration::from_secs(30));
        assert_eq!(cache.get(&"a"), None);
    }

    #[test]
    fn a_removed_and_rewritten_entry_keeps_its_new_ttl() {
        let (clock, mut cache) = cache(30);
        cache.insert("a", 1);
        clock.advance(Duration::from_secs(10));
        assert_eq!(cache.remove(&"a"), Some(1));
        cache.insert("a", 2);
        clock.advance(Duration::from_secs(25));
        assert_eq!(
            cache.get(&"a"),
            Some(&2),
            "the old timer dropped the new entry"
        );
        clock.advance(Duration::from_secs(5));
        assert_eq!(cache.get(&"a"), None);
        assert!(cache.is_empty());
        assert_eq!(cache.expired(), 1);
    }
}
