//! The queue group's expiry case: N values inserted (untimed) for ONE
//! instant, then received by one thread until the last; one criterion
//! iteration is one such burst, timed from the deadline to the last value
//! received (wall time: it includes the wake-up at the deadline).
//!
//! The deadline is set far enough after the start of the inserts for them
//! to finish first; if they overran it anyway (a loaded machine), the burst
//! is received untimed and inserted again with twice the lead.

use std::future::poll_fn;
use std::time::{Duration, Instant};

use schedgroup::Queue;
use tokio::runtime::Runtime;
use tokio_util::time::DelayQueue;

/// The lead before the deadline: this much ...
const LEAD_BASE: Duration = Duration::from_millis(50);
/// ... plus this much per value, at first (doubled after an overrun).
const LEAD_PER_VALUE: Duration = Duration::from_nanos(300);
/// A burst whose last value has not come back this long after its
/// deadline fails the benchmark instead of hanging it.
const RECEIVE_LIMIT: Duration = Duration::from_secs(60);

/// A queue that can take a burst and hand it back to one receiver.
pub(crate) trait Burst {
    fn build() -> Self;
    fn insert_at(&mut self, value: u64, deadline: Instant);
    /// Receives `n` values; returns when the last came back (`None` if
    /// they had not by `give_up`) and the sum of the values.
    fn receive(&mut self, n: usize, give_up: Instant) -> (Option<Instant>, u64);
}

impl Burst for Queue<u64> {
    fn build() -> Self {
        Queue::new()
    }

    fn insert_at(&mut self, value: u64, deadline: Instant) {
        Queue::insert_at(self, value, deadline);
    }

    fn receive(&mut self, n: usize, give_up: Instant) -> (Option<Instant>, u64) {
        let mut sum = 0u64;
        for _ in 0..n {
            let left = give_up.saturating_duration_since(Instant::now());
            match self.recv_timeout(left) {
                Some(value) => sum = sum.wrapping_add(value),
                None => return (None, sum),
            }
        }
        (Some(Instant::now()), sum)
    }
}

/// `DelayQueue<u64>` owned by its receiver, polled on a current-thread
/// runtime of its own.
pub(crate) struct Dq {
    runtime: Runtime,
    queue: DelayQueue<u64>,
}

impl Burst for Dq {
    fn build() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a tokio runtime");
        let queue = {
            let _context = runtime.enter();
            DelayQueue::new()
        };
        Dq { runtime, queue }
    }

    fn insert_at(&mut self, value: u64, deadline: Instant) {
        let _context = self.runtime.enter();
        self.queue
            .insert_at(value, tokio::time::Instant::from_std(deadline));
    }

    fn receive(&mut self, n: usize, give_up: Instant) -> (Option<Instant>, u64) {
        let Dq { runtime, queue } = self;
        let mut sum = 0u64;
        let mut received = 0usize;
        let give_up = tokio::time::Instant::from_std(give_up);
        let _ = runtime.block_on(tokio::time::timeout_at(give_up, async {
            while received < n {
                match poll_fn(|cx| queue.poll_expired(cx)).await {
                    Some(expired) => {
                        sum = sum.wrapping_add(expired.into_inner());
                        received += 1;
                    }
                    None => break,
                }
            }
        }));
        ((received == n).then(Instant::now), sum)
    }
}

/// Bursts of `n` values into one queue, kept between bursts.
pub(crate) struct Expiry<B: Burst> {
    queue: B,
    n: usize,
    lead_per_value: Duration,
}

impl<B: Burst> Expiry<B> {
    pub(crate) fn new(n: usize) -> Self {
        Expiry {
            queue: B::build(),
            n,
            lead_per_value: LEAD_PER_VALUE,
        }
    }

    fn lead(&self) -> Duration {
        LEAD_BASE + self.lead_per_value * u32::try_from(self.n).unwrap_or(u32::MAX)
    }

    /// One burst: the time from its deadline to its last value received.
    fn burst(&mut self) -> Duration {
        let expected = (0..self.n as u64).fold(0u64, u64::wrapping_add);
        loop {
            let deadline = Instant::now() + self.lead();
            for value in 0..self.n as u64 {
                self.queue.insert_at(value, deadline);
            }
            let overran = Instant::now() >= deadline;
            let (last, sum) = self.queue.receive(self.n, deadline + RECEIVE_LIMIT);
            let last = last.expect("every value of the burst came back");
            assert_eq!(sum, expected, "each value of the burst came back once");
            if overran {
                self.lead_per_value *= 2;
                continue;
            }
            return last.saturating_duration_since(deadline);
        }
    }

    pub(crate) fn run(&mut self, iters: u64) -> Duration {
        (0..iters).map(|_| self.burst()).sum()
    }
}
