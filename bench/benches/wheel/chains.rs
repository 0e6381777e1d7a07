//! The dependent-operation groups: each operation picks its victim with the
//! result of the one before, so the cache misses of consecutive operations
//! cannot overlap. The other groups run independent operations back to back,
//! which a CPU overlaps: they measure throughput, these latency, what one
//! operation costs a program that does something else between two of them.

use std::hint::black_box;
use std::time::{Duration, Instant};

use schedgroup_bench::rng::Rng;

use crate::peers::Chained;

/// Deadlines of the pending entries: 30 to 60 s ahead, as connection idle
/// timeouts are, in milliseconds.
const MIN_AHEAD_MS: u64 = 30_000;
const MAX_AHEAD_MS: u64 = 60_000;

/// A peer holding `n` entries due 30–60 s ahead, and their handles.
pub struct Chain<P: Chained> {
    peer: P,
    pool: Vec<P::Handle>,
    rng: Rng,
    /// One bit of the last operation's result, mixed into the next victim's
    /// index: the data dependency that keeps operations from overlapping.
    link: u64,
    /// How much later than 60 s the next reset moves its victim: each reset
    /// goes one deadline unit past the one before, as if time moved on.
    later: u64,
}

impl<P: Chained> Chain<P> {
    pub fn new(mut peer: P, n: usize) -> Self {
        let mut rng = Rng::new(n as u64 ^ 0x5EED);
        let pool = (0..n)
            .map(|_| {
                let ahead = Self::ahead(&mut rng);
                peer.insert(ahead, crate::VALUE)
            })
            .collect();
        Chain {
            peer,
            pool,
            rng,
            link: 0,
            later: 0,
        }
    }

    /// 30–60 s, in the peer's deadline unit.
    fn ahead(rng: &mut Rng) -> u64 {
        let span = (MAX_AHEAD_MS - MIN_AHEAD_MS) * P::UNITS_PER_MS;
        MIN_AHEAD_MS * P::UNITS_PER_MS + rng.below(span)
    }

    fn victim(&mut self) -> usize {
        ((self.rng.next_u64() ^ self.link) % self.pool.len() as u64) as usize
    }

    /// Resets a random pending entry to 60 s ahead (a little later each
    /// time: later than every pending deadline), reads its deadline back,
    /// and picks the next victim with it.
    pub fn reset_later(&mut self, iters: u64) -> Duration {
        let start = Instant::now();
        for _ in 0..iters {
            let victim = self.victim();
            self.later += 1;
            let deadline = MAX_AHEAD_MS * P::UNITS_PER_MS + self.later;
            let handle = self.peer.reset(self.pool[victim], deadline);
            self.pool[victim] = handle;
            self.link = black_box(self.peer.deadline(handle)) & 1;
        }
        start.elapsed()
    }

    /// Removes a random pending entry and inserts a fresh one 30–60 s ahead
    /// in its place; the removed value picks the next victim.
    pub fn remove_insert(&mut self, iters: u64) -> Duration {
        let start = Instant::now();
        for _ in 0..iters {
            let victim = self.victim();
            let value = self.peer.remove(self.pool[victim]).expect("pending");
            let ahead = Self::ahead(&mut self.rng);
            self.pool[victim] = self.peer.insert(ahead, value);
            self.link = black_box(value[0]) & 1;
        }
        start.elapsed()
    }
}
