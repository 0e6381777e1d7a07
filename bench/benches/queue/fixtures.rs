//! The `queue` group's fixtures: what one criterion "iteration" does, and
//! what is rebuilt outside the timed region.

use std::hint::black_box;
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use schedgroup::{Queue, QueueKey};

use crate::peers::ValueQueue;
use crate::stopwatch::Stopwatch;
use crate::{FAR, SPREAD_MS};
use schedgroup_bench::rng::Rng;

/// Inserts into a queue up to `cap` pending values, one timed `insert` per
/// operation (keys kept), then starts over with a fresh queue (untimed).
pub(crate) struct Fill<Q: ValueQueue> {
    queue: Option<Q>,
    keys: Vec<Q::Key>,
    cap: usize,
    /// `Some`: `insert_at` this instant (an hour out, fixed when the fixture
    /// is built), which reads no clock; `None`: `insert` with a delay.
    at: Option<Instant>,
}

impl<Q: ValueQueue> Fill<Q> {
    /// Timed `insert(value, FAR)`: reads the clock once per insert.
    pub(crate) fn new(cap: usize) -> Self {
        Fill {
            queue: Some(Q::build()),
            keys: Vec::with_capacity(cap),
            cap,
            at: None,
        }
    }

    /// Timed `insert_at(value, now + FAR)`: the structure alone.
    pub(crate) fn at(cap: usize) -> Self {
        Fill {
            at: Some(Instant::now() + FAR),
            ..Fill::new(cap)
        }
    }

    pub(crate) fn run(&mut self, iters: u64) -> Duration {
        let mut total = Duration::ZERO;
        let mut left = iters as usize;
        while left > 0 {
            if self.keys.len() == self.cap || self.queue.is_none() {
                self.keys.clear();
                drop(self.queue.take());
                self.queue = Some(Q::build());
            }
            let count = left.min(self.cap - self.keys.len());
            let queue = self.queue.as_mut().expect("built above");
            let first = self.keys.len() as u64;
            let start = Stopwatch::start();
            match self.at {
                None => {
                    for value in first..first + count as u64 {
                        self.keys.push(queue.insert(value, FAR));
                    }
                }
                Some(at) => {
                    for value in first..first + count as u64 {
                        self.keys.push(queue.insert_at(value, at));
                    }
                }
            }
            total += start.elapsed();
            left -= count;
        }
        total
    }
}

/// Which pending values `Drain` removes.
#[derive(Clone, Copy)]
pub(crate) enum Victims {
    /// Uniformly random among all pending.
    Random,
    /// The most recently inserted.
    Newest,
}

/// `size` values pending (deadlines `FAR + 0..SPREAD_MS` ms); batches of
/// them are removed (timed) and replaced (untimed).
pub(crate) struct Drain<Q: ValueQueue> {
    queue: Q,
    keys: Vec<Q::Key>,
    victims: Vec<Q::Key>,
    size: usize,
    order: Victims,
    rng: Rng,
}

impl<Q: ValueQueue> Drain<Q> {
    pub(crate) fn new(size: usize, order: Victims) -> Self {
        let mut rng = Rng::new(size as u64);
        let mut queue = Q::build();
        let keys = (0..size as u64)
            .map(|value| queue.insert(value, far(&mut rng)))
            .collect();
        Drain {
            queue,
            keys,
            victims: Vec::with_capacity(size / 4 + 1),
            size,
            order,
            rng,
        }
    }

    pub(crate) fn run(&mut self, iters: u64) -> Duration {
        let mut total = Duration::ZERO;
        let mut left = iters as usize;
        while left > 0 {
            let count = left.min((self.size / 4).max(1));
            let len = self.keys.len();
            if let Victims::Random = self.order {
                // A partial Fisher–Yates shuffle into the tail.
                for i in 0..count {
                    let j = self.rng.index(len - i);
                    self.keys.swap(j, len - 1 - i);
                }
            }
            self.victims.extend(self.keys.drain(len - count..));
            let mut missed = 0usize;
            let start = Stopwatch::start();
            for key in &self.victims {
                missed += usize::from(black_box(self.queue.remove(key)).is_none());
            }
            total += start.elapsed();
            assert_eq!(missed, 0, "a remove of a pending value found nothing");
            self.victims.clear();
            for value in 0..count as u64 {
                let delay = far(&mut self.rng);
                self.keys.push(self.queue.insert(value, delay));
            }
            left -= count;
        }
        total
    }
}

fn far(rng: &mut Rng) -> Duration {
    FAR + Duration::from_millis(rng.below(SPREAD_MS))
}

/// `threads` threads insert into one `Queue` at once, up to `cap` pending
/// in all, then it is replaced (untimed). Time: from the first thread's
/// start to the last one's end, on the wall clock.
pub(crate) struct Threads {
    queue: Option<Queue<u64>>,
    threads: usize,
    keys: Vec<Vec<QueueKey>>,
    added: usize,
    cap: usize,
}

impl Threads {
    pub(crate) fn new(threads: usize, cap: usize) -> Self {
        Threads {
            queue: Some(Queue::new()),
            threads,
            keys: Vec::new(),
            added: 0,
            cap,
        }
    }

    pub(crate) fn run(&mut self, iters: u64) -> Duration {
        let mut total = Duration::ZERO;
        let mut left = iters as usize;
        while left > 0 {
            if self.added == self.cap || self.queue.is_none() {
                self.keys.clear();
                drop(self.queue.take());
                self.queue = Some(Queue::new());
                self.added = 0;
            }
            let count = left.min(self.cap - self.added);
            let share = |t: usize| count / self.threads + usize::from(t < count % self.threads);
            let queue = self.queue.as_ref().expect("built above");
            let barrier = Barrier::new(self.threads);
            let spans: Vec<(Instant, Instant, Vec<QueueKey>)> = thread::scope(|scope| {
                let running: Vec<_> = (0..self.threads)
                    .map(|t| {
                        let (barrier, count) = (&barrier, share(t));
                        scope.spawn(move || {
                            let mut keys = Vec::with_capacity(count);
                            barrier.wait();
                            let start = Instant::now();
                            for value in 0..count as u64 {
                                keys.push(queue.insert(value, FAR));
                            }
                            (start, Instant::now(), keys)
                        })
                    })
                    .collect();
                running
                    .into_iter()
                    .map(|thread| thread.join().expect("an inserting thread panicked"))
                    .collect()
            });
            let first = spans.iter().map(|span| span.0).min().expect("one thread");
            let last = spans.iter().map(|span| span.1).max().expect("one thread");
            total += last - first;
            self.keys.extend(spans.into_iter().map(|(_, _, keys)| keys));
            self.added += count;
            left -= count;
        }
        total
    }
}
