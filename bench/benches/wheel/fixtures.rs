//! The steady states: each fixture holds `N` entries, times a batch of
//! operations, and undoes them untimed so that `N` stays put.

use std::future::poll_fn;
use std::hint::black_box;
use std::task::Poll;
use std::time::{Duration, Instant};

use schedgroup_bench::rng::Rng;
use tokio::runtime::Runtime;
use tokio_util::time::DelayQueue;

use crate::peers::{Peer, SimulatedClock};
use crate::{Value, SPREAD, VALUE};

/// A peer holding `N` entries, the handles of all of them, and scratch space.
pub struct Fixture<P: Peer> {
    peer: P,
    /// Every pending entry's handle; victims are drawn from it.
    pool: Vec<P::Handle>,
    rng: Rng,
    batch: usize,
    aheads: Vec<u64>,
    inserted: Vec<P::Handle>,
}

impl<P: Peer> Fixture<P> {
    pub fn new(mut peer: P, n: usize) -> Self {
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
    pub fn insert(&mut self, iters: u64) -> Duration {
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
    pub fn remove(&mut self, iters: u64) -> Duration {
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
    pub fn reset(&mut self, iters: u64) -> Duration {
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
    pub fn insert_remove(&mut self, iters: u64) -> Duration {
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
pub struct ExpiryFixture<P: SimulatedClock> {
    peer: P,
    rng: Rng,
    spread: u64,
    /// Ticks per step: about `min(256, N / 8)` entries come due per step.
    step: u64,
    out: Vec<Value>,
}

impl<P: SimulatedClock> ExpiryFixture<P> {
    pub fn new(mut peer: P, n: usize, spread: u64) -> Self {
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
    pub fn expire(&mut self, iters: u64) -> Duration {
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
pub struct DelayQueueExpiry {
    queue: DelayQueue<Value>,
    rng: Rng,
    spread: u64,
    out: Vec<(tokio::time::Instant, Value)>,
}

impl DelayQueueExpiry {
    pub fn new(n: usize, spread: u64) -> Self {
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
    pub fn expire(&mut self, runtime: &Runtime, iters: u64) -> Duration {
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
