//! The fixtures behind each figure: what one criterion "iteration" does,
//! and what is rebuilt outside the timed region.

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

use crate::peers::{random_delay, Peer, SharedPeer};
use crate::stopwatch::Stopwatch;
use crate::FAR;
use schedgroup_bench::rng::Rng;

pub(crate) fn payloads(payload: &Arc<u64>, count: usize) -> Vec<Arc<u64>> {
    (0..count).map(|_| Arc::clone(payload)).collect()
}

/// Figure 2: fills a peer up to `cap` pending tasks, one timed `add` per
/// operation, then starts over with a fresh peer (untimed).
pub(crate) struct Fill<P: Peer> {
    peer: Option<P>,
    handles: Vec<P::Handle>,
    added: usize,
    cap: usize,
    keep_handles: bool,
    payload: Arc<u64>,
}

impl<P: Peer> Fill<P> {
    pub(crate) fn new(cap: usize, keep_handles: bool) -> Self {
        // Built here, not in the first timed call: criterion sizes its
        // samples from the warm-up's wall time, untimed setup included.
        Fill {
            peer: Some(P::build()),
            handles: Vec::with_capacity(if keep_handles { cap } else { 0 }),
            added: 0,
            cap,
            keep_handles,
            payload: Arc::new(7),
        }
    }

    pub(crate) fn run(&mut self, iters: u64) -> Duration {
        let mut total = Duration::ZERO;
        let mut left = iters as usize;
        while left > 0 {
            if self.added == self.cap || self.peer.is_none() {
                self.handles.clear();
                drop(self.peer.take());
                self.peer = Some(P::build());
                self.added = 0;
            }
            let count = left.min(self.cap - self.added);
            let payloads = payloads(&self.payload, count);
            let peer = self.peer.as_mut().expect("built above");
            let start = Stopwatch::start();
            if self.keep_handles {
                for payload in payloads {
                    self.handles.push(peer.add(FAR, payload));
                }
            } else {
                for payload in payloads {
                    drop(peer.add(FAR, payload));
                }
            }
            total += start.elapsed();
            self.added += count;
            left -= count;
        }
        total
    }
}

/// Figure 2's tokio peer: `tokio::spawn` of a sleeping task, called from a
/// task on a 2-worker runtime, up to `cap` pending; then the runtime is
/// dropped (which drops its tasks) and rebuilt, untimed.
pub(crate) struct Spawn {
    runtime: Option<Runtime>,
    handles: Vec<JoinHandle<()>>,
    cap: usize,
    payload: Arc<u64>,
}

impl Spawn {
    pub(crate) fn new(cap: usize) -> Self {
        Spawn {
            runtime: Some(multi_thread_runtime()),
            handles: Vec::with_capacity(cap),
            cap,
            payload: Arc::new(7),
        }
    }

    pub(crate) fn run(&mut self, iters: u64) -> Duration {
        let mut total = Duration::ZERO;
        let mut left = iters as usize;
        while left > 0 {
            if self.handles.len() == self.cap || self.runtime.is_none() {
                for handle in self.handles.drain(..) {
                    handle.abort();
                }
                drop(self.runtime.take());
                self.runtime = Some(multi_thread_runtime());
            }
            let count = left.min(self.cap - self.handles.len());
            let payloads = payloads(&self.payload, count);
            let runtime = self.runtime.as_ref().expect("built above");
            let (elapsed, handles) = runtime
                .block_on(runtime.spawn(async move {
                    let mut handles = Vec::with_capacity(payloads.len());
                    let start = Stopwatch::start();
                    for payload in payloads {
                        handles.push(tokio::spawn(async move {
                            tokio::time::sleep(FAR).await;
                            black_box(&payload);
                        }));
                    }
                    (start.elapsed(), handles)
                }))
                .expect("the timing task does not panic");
            total += elapsed;
            self.handles.extend(handles);
            left -= count;
        }
        total
    }
}

pub(crate) fn multi_thread_runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("a tokio runtime")
}

/// Which pending tasks `Drain` cancels.
#[derive(Clone, Copy)]
pub(crate) enum Victims {
    /// Uniformly random among all pending.
    Random,
    /// The most recently scheduled.
    Newest,
}

/// `size` tasks pending in a peer, with their handles, built from scratch
/// again whenever the peer's tidying has worn it out.
pub(crate) struct Filled<P: Peer> {
    peer: Option<P>,
    pool: Vec<P::Handle>,
    size: usize,
    rng: Rng,
    payload: Arc<u64>,
}

impl<P: Peer> Filled<P> {
    pub(crate) fn new(size: usize) -> Self {
        let mut filled = Filled {
            peer: None,
            pool: Vec::with_capacity(size),
            size,
            rng: Rng::new(size as u64),
            payload: Arc::new(7),
        };
        filled.rebuild();
        filled
    }

    pub(crate) fn rebuild(&mut self) {
        self.pool.clear();
        drop(self.peer.take());
        let mut peer = P::build();
        for _ in 0..self.size {
            let delay = random_delay(&mut self.rng);
            self.pool.push(peer.add(delay, Arc::clone(&self.payload)));
        }
        self.peer = Some(peer);
    }

    /// Rebuilds first if the peer is worn out.
    pub(crate) fn refresh(&mut self) {
        if self
            .peer
            .as_ref()
            .is_none_or(|peer| peer.worn_out(self.size))
        {
            self.rebuild();
        }
    }
}

/// Figure 3: `size` pending tasks; batches of them are canceled (timed)
/// and replaced (untimed).
pub(crate) struct Drain<P: Peer> {
    filled: Filled<P>,
    victims: Vec<P::Handle>,
    order: Victims,
}

impl<P: Peer> Drain<P> {
    pub(crate) fn new(size: usize, order: Victims) -> Self {
        Drain {
            filled: Filled::new(size),
            victims: Vec::with_capacity(size / 4 + 1),
            order,
        }
    }

    pub(crate) fn run(&mut self, iters: u64) -> Duration {
        let mut total = Duration::ZERO;
        let mut left = iters as usize;
        while left > 0 {
            self.filled.refresh();
            let Filled {
                peer,
                pool,
                size,
                rng,
                payload,
            } = &mut self.filled;
            let count = left.min((*size / 4).max(1));
            let len = pool.len();
            if let Victims::Random = self.order {
                // A partial Fisher–Yates shuffle into the tail.
                for i in 0..count {
                    let j = rng.index(len - i);
                    pool.swap(j, len - 1 - i);
                }
            }
            self.victims.extend(pool.drain(len - count..));
            let peer = peer.as_mut().expect("built above");
            let start = Stopwatch::start();
            for handle in self.victims.drain(..) {
                peer.cancel(handle);
            }
            total += start.elapsed();
            peer.tidy();
            for _ in 0..count {
                let delay = random_delay(rng);
                pool.push(peer.add(delay, Arc::clone(payload)));
            }
            left -= count;
        }
        total
    }
}

/// Figure 7: `n` pending; one operation schedules a fresh task and cancels
/// a random pending one in its place.
pub(crate) struct Pairs<P: Peer> {
    filled: Filled<P>,
    work: Vec<(usize, Duration, Arc<u64>)>,
}

impl<P: Peer> Pairs<P> {
    pub(crate) fn new(n: usize) -> Self {
        Pairs {
            filled: Filled::new(n),
            work: Vec::new(),
        }
    }

    pub(crate) fn run(&mut self, iters: u64) -> Duration {
        let mut total = Duration::ZERO;
        let mut left = iters as usize;
        let batch = self.filled.size.min(1 << 16);
        while left > 0 {
            self.filled.refresh();
            let Filled {
                peer,
                pool,
                size,
                rng,
                payload,
            } = &mut self.filled;
            let count = left.min(batch);
            for _ in 0..count {
                let victim = rng.index(*size);
                let delay = random_delay(rng);
                self.work.push((victim, delay, Arc::clone(payload)));
            }
            let peer = peer.as_mut().expect("built above");
            let start = Stopwatch::start();
            for (victim, delay, payload) in self.work.drain(..) {
                let fresh = peer.add(delay, payload);
                let old = std::mem::replace(&mut pool[victim], fresh);
                peer.cancel(old);
            }
            total += start.elapsed();
            peer.tidy();
            left -= count;
        }
        total
    }
}

/// Figure 8: `threads` threads fill one peer at once, up to `cap` pending
/// in all, then it is replaced (untimed).
pub(crate) struct Threads<S: SharedPeer> {
    peer: Option<S>,
    threads: usize,
    handles: Vec<Vec<S::Handle>>,
    added: usize,
    cap: usize,
    payload: Arc<u64>,
}

impl<S: SharedPeer> Threads<S> {
    pub(crate) fn new(threads: usize, cap: usize) -> Self {
        Threads {
            peer: Some(S::build()),
            threads,
            handles: Vec::new(),
            added: 0,
            cap,
            payload: Arc::new(7),
        }
    }

    pub(crate) fn run(&mut self, iters: u64) -> Duration {
        let mut total = Duration::ZERO;
        let mut left = iters as usize;
        while left > 0 {
            if self.added == self.cap || self.peer.is_none() {
                self.handles.clear();
                drop(self.peer.take());
                self.peer = Some(S::build());
                self.added = 0;
            }
            let count = left.min(self.cap - self.added);
            let share = |t: usize| count / self.threads + usize::from(t < count % self.threads);
            let work: Vec<Vec<Arc<u64>>> = (0..self.threads)
                .map(|t| payloads(&self.payload, share(t)))
                .collect();
            let peer = self.peer.as_ref().expect("built above");
            let barrier = Barrier::new(self.threads);
            let spans: Vec<(Instant, Instant, Vec<S::Handle>)> = thread::scope(|scope| {
                let running: Vec<_> = work
                    .into_iter()
                    .map(|payloads| {
                        let barrier = &barrier;
                        scope.spawn(move || {
                            let mut handles = Vec::with_capacity(payloads.len());
                            barrier.wait();
                            let start = Instant::now();
                            for payload in payloads {
                                handles.push(peer.add(FAR, payload));
                            }
                            (start, Instant::now(), handles)
                        })
                    })
                    .collect();
                running
                    .into_iter()
                    .map(|thread| thread.join().expect("a scheduling thread panicked"))
                    .collect()
            });
            let first = spans.iter().map(|span| span.0).min().expect("one thread");
            let last = spans.iter().map(|span| span.1).max().expect("one thread");
            total += last - first;
            self.handles
                .extend(spans.into_iter().map(|(_, _, handles)| handles));
            self.added += count;
            left -= count;
        }
        total
    }
}
