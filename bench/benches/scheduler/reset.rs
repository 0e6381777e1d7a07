//! The `reset` group's fixture: N tasks pending, filed 30–60 s out, and
//! one operation = reset a pending task. Later: a uniformly random one, to
//! 60 s from now, so every reset moves its task later (the idle-timeout
//! case: a packet arrived). Earlier: each task at most once (a random
//! order drawn when the fixture is filled), to 20 s from now, so every
//! reset moves its task earlier and leaves it pending.
//!
//! Nothing fires while measured: the fixture is refilled (untimed) before
//! the first filed deadline, and before an earlier reset could stop being
//! earlier (20 s from now must stay before the 30 s of the fill's start).

use std::sync::Arc;
use std::time::{Duration, Instant};

use schedgroup::TaskHandle;
use tokio_util::time::delay_queue;

use crate::peers::{Peer, Queue, SgDelay};
use crate::stopwatch::Stopwatch;
use schedgroup_bench::rng::Rng;

/// Tasks are filed this far out from when they are added ...
const FILED_FROM: Duration = Duration::from_secs(30);
/// ... plus a uniform `0..FILED_SPREAD_MS` ms.
const FILED_SPREAD_MS: u64 = 30_000;
/// A later reset's delay: the far end of the filed spread.
const LATER: Duration = Duration::from_secs(60);
/// An earlier reset's delay: before every filed deadline while the fixture
/// is younger than `FILED_FROM - EARLIER`.
const EARLIER: Duration = Duration::from_secs(20);
/// Refill once the fixture is this old: later resets (nothing is due
/// before `FILED_FROM`) ...
const LATER_MAX_AGE: Duration = Duration::from_secs(20);
/// ... and earlier resets (which stay earlier until `FILED_FROM - EARLIER`).
const EARLIER_MAX_AGE: Duration = Duration::from_secs(8);
/// Resets per timed batch, at most.
const BATCH: usize = 1 << 16;

/// Which way every reset moves its task.
#[derive(Clone, Copy)]
pub(crate) enum Direction {
    Later,
    Earlier,
}

/// A peer whose pending tasks can be moved.
pub(crate) trait Resettable: Peer {
    /// Moves a pending task to `delay` from now; `false` if it was not
    /// pending.
    fn reset(&mut self, handle: &Self::Handle, delay: Duration) -> bool;
}

impl Resettable for SgDelay {
    #[inline]
    fn reset(&mut self, handle: &TaskHandle, delay: Duration) -> bool {
        handle.reset_after(delay)
    }
}

impl Resettable for Queue {
    #[inline]
    fn reset(&mut self, key: &delay_queue::Key, delay: Duration) -> bool {
        // `DelayQueue::reset` panics on a key that is not pending: every
        // key here is.
        self.0.reset(key, delay);
        true
    }
}

/// N pending tasks and the order their resets take.
pub(crate) struct Resets<P: Resettable> {
    peer: Option<P>,
    handles: Vec<P::Handle>,
    size: usize,
    direction: Direction,
    rng: Rng,
    payload: Arc<u64>,
    filled_at: Instant,
    /// Earlier: the handles not reset yet, in a random order, used from
    /// `next` on.
    order: Vec<u32>,
    next: usize,
    victims: Vec<u32>,
}

impl<P: Resettable> Resets<P> {
    pub(crate) fn new(size: usize, direction: Direction) -> Self {
        assert!(u32::try_from(size).is_ok(), "victims are u32 indices");
        let mut resets = Resets {
            peer: None,
            handles: Vec::with_capacity(size),
            size,
            direction,
            rng: Rng::new(size as u64),
            payload: Arc::new(7),
            filled_at: Instant::now(),
            order: Vec::new(),
            next: 0,
            victims: Vec::with_capacity(size.min(BATCH)),
        };
        resets.fill();
        resets
    }

    fn fill(&mut self) {
        self.handles.clear();
        drop(self.peer.take());
        let mut peer = P::build();
        self.filled_at = Instant::now();
        for _ in 0..self.size {
            let delay = FILED_FROM + Duration::from_millis(self.rng.below(FILED_SPREAD_MS));
            let handle = peer.add(delay, Arc::clone(&self.payload));
            self.handles.push(handle);
        }
        self.peer = Some(peer);
        if let Direction::Earlier = self.direction {
            self.order.clear();
            self.order.extend(0..self.size as u32);
            for i in (1..self.order.len()).rev() {
                let j = self.rng.index(i + 1);
                self.order.swap(i, j);
            }
            self.next = 0;
        }
    }

    /// Draws the next `count` victims (fewer if the earlier order runs
    /// out), refilling first where needed.
    fn draw(&mut self, count: usize) {
        let (max_age, spent) = match self.direction {
            Direction::Later => (LATER_MAX_AGE, false),
            Direction::Earlier => (EARLIER_MAX_AGE, self.next == self.order.len()),
        };
        if spent || self.filled_at.elapsed() >= max_age {
            self.fill();
        }
        self.victims.clear();
        match self.direction {
            Direction::Later => {
                for _ in 0..count {
                    self.victims.push(self.rng.index(self.size) as u32);
                }
            }
            Direction::Earlier => {
                let end = (self.next + count).min(self.order.len());
                self.victims.extend_from_slice(&self.order[self.next..end]);
                self.next = end;
            }
        }
    }

    pub(crate) fn run(&mut self, iters: u64) -> Duration {
        let delay = match self.direction {
            Direction::Later => LATER,
            Direction::Earlier => EARLIER,
        };
        let mut total = Duration::ZERO;
        let mut left = iters as usize;
        while left > 0 {
            self.draw(left.min(BATCH));
            let peer = self.peer.as_mut().expect("filled above");
            let mut missed = 0usize;
            let start = Stopwatch::start();
            for &victim in &self.victims {
                missed += usize::from(!peer.reset(&self.handles[victim as usize], delay));
            }
            total += start.elapsed();
            assert_eq!(
                missed, 0,
                "a reset of a pending task said it was not pending"
            );
            left -= self.victims.len();
        }
        total
    }
}
