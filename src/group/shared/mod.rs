//! `Shared`: the state one group's handles and threads share, and the
//! protocols that change it: scheduling, stopping, shutting down.
//!
//! The driver and the pool see it through their traits (`roles.rs`);
//! waiting for idleness is `idle.rs`, and running what a manual clock has
//! made due is `manual.rs`.

mod idle;
mod manual;
mod roles;

use std::task::Waker;
use std::time::{Duration, Instant};

use super::handle::TaskHandle;
use crate::clock::Clock;
use crate::driver::{self, Wakeup};
use crate::error::Error;
use crate::pool::{Pool, Tagged};
use crate::shard::Shard;
use crate::stats::{Histogram, Stats};
use crate::sync::{
    thread, thread_index, Arc, AtomicBool, AtomicU64, AtomicUsize, Condvar, Mutex, Ordering, Parker,
};
use crate::task::Task;
use crate::unwind::PanicLog;
use crate::wheel::Key;

/// What a group is built from (the builder's settings, resolved).
pub(crate) struct Config {
    pub(crate) clock: Clock,
    pub(crate) shards: usize,
    pub(crate) max_concurrency: usize,
    pub(crate) keep_alive: Duration,
    pub(crate) deadline: Option<Instant>,
    pub(crate) timer_slack: Duration,
}

pub(crate) struct Shared {
    /// Where tasks wait. A thread always files into the same shard, so
    /// threads scheduling at once touch different locks and counters.
    shards: Box<[Arc<Shard<Task>>]>,
    clock: Clock,
    wakeup: Arc<Wakeup>,
    /// Panics of the group's closures, running or dropped unrun.
    panics: Arc<PanicLog>,
    /// Stop reason and counts; `wait()` parks on `became_idle` with it.
    control: Mutex<Control>,
    /// Notified whenever the group may have become idle (or stopped).
    became_idle: Condvar,
    /// Tasks that left a wheel and have not finished: in transit to the
    /// pool, queued, or running. Atomic so that finishing a task takes no
    /// lock unless it is the last.
    in_flight: AtomicUsize,
    /// Tasks of this group that are themselves blocked in `wait()`. They are
    /// in flight but must not count as busy for each other, or a task that
    /// waits for its own group would wait for itself forever. Changed only
    /// under `control`; atomic so that finishers can read it without it.
    waiting_tasks: AtomicUsize,
    /// Threads of a manual clock's `advance` waiting for tasks in flight
    /// to finish (whatever is still pending).
    settling: AtomicUsize,
    /// Mirrors `Control::stop.is_some()` for workers, which check it before
    /// starting each task without taking a lock.
    stopped: AtomicBool,
    /// Set when the last `Group` is dropped: the driver exits.
    shutting_down: AtomicBool,
    /// Live `Group` values; the last one to go shuts everything down.
    groups: AtomicUsize,
    /// The tick of the builder's deadline, if any.
    stop_at: Option<u64>,
    /// Held by whoever moves due tasks from the wheels to the pool, so that
    /// a stop can wait for a batch in transit (see `stop`).
    hand_off: Mutex<()>,
    /// Tasks handed to the pool, ever (statistics only: Relaxed).
    fired: AtomicU64,
    /// How late tasks were when a worker took them.
    lateness: Mutex<Histogram>,
    pool: Pool,
    driver: Mutex<Option<thread::JoinHandle<()>>>,
}

#[derive(Debug, Default)]
pub(crate) struct Control {
    pub(crate) stop: Option<Error>,
    /// Tasks dropped unrun by stopping (pending, queued or not yet started)
    /// or refused because the group had stopped.
    pub(crate) dropped: u64,
    /// A stop is dropping the closures it took: not idle yet.
    pub(crate) draining: bool,
    /// Futures waiting for idleness (`wait_async`), by id; woken, and
    /// forgotten, whenever `became_idle` is notified.
    pub(crate) wakers: Vec<(u64, Waker)>,
    /// The id of the next future to register.
    pub(crate) next_waker: u64,
}

impl Shared {
    /// Builds the group's state and starts its driver thread. A deadline
    /// already past stops the group before this returns.
    ///
    /// # Panics
    ///
    /// If the OS refuses to create the driver thread.
    pub(crate) fn start(config: Config) -> Arc<Shared> {
        let Config {
            clock,
            shards,
            max_concurrency,
            keep_alive,
            deadline,
            timer_slack,
        } = config;
        let stop_at = deadline.map(|deadline| clock.deadline_at(deadline));
        let parker = Parker::new();
        let wakeup = Arc::new(Wakeup::new(parker.unparker()));
        let panics = Arc::new(PanicLog::default());
        let shards = Shard::many(shards, &clock, &wakeup, &panics);
        let shared = Arc::new(Shared {
            shards,
            clock,
            wakeup,
            panics,
            control: Mutex::new(Control::default()),
            became_idle: Condvar::new(),
            in_flight: AtomicUsize::new(0),
            waiting_tasks: AtomicUsize::new(0),
            settling: AtomicUsize::new(0),
            stopped: AtomicBool::new(false),
            shutting_down: AtomicBool::new(false),
            groups: AtomicUsize::new(1),
            stop_at,
            hand_off: Mutex::new(()),
            fired: AtomicU64::new(0),
            lateness: Mutex::new(Histogram::default()),
            pool: Pool::new(max_concurrency, keep_alive, timer_slack),
            driver: Mutex::new(None),
        });
        if stop_at.is_some_and(|stop| stop <= shared.clock.reached()) {
            shared.stop(Error::DeadlineExceeded);
        }
        let driver_shared = Arc::clone(&shared);
        let handle = thread::Builder::new()
            .name("schedgroup-driver".into())
            .spawn(move || driver::drive(&driver_shared, parker, stop_at, timer_slack))
            .expect("failed to spawn the schedgroup driver thread");
        *shared.driver.lock() = Some(handle);
        shared
    }

    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    /// This thread's shard.
    #[inline]
    pub(crate) fn shard(&self) -> &Arc<Shard<Task>> {
        // The count is a power of two: a mask, not a division, per schedule.
        debug_assert!(self.shards.len().is_power_of_two());
        &self.shards[thread_index() & (self.shards.len() - 1)]
    }

    /// Files `task` for tick `tick` and returns its handle. A stopped group
    /// drops the closure at once (a panic in that drop is recorded, not
    /// raised), counts it as canceled, and hands back an inert handle.
    pub(crate) fn insert(&self, tick: u64, task: Task) -> TaskHandle {
        let shard = self.shard();
        let key = match shard.insert(tick, task) {
            Ok(key) => key,
            Err(refused) => {
                self.panics.drop_all([refused]);
                self.control.lock().dropped += 1;
                Key::DANGLING
            }
        };
        TaskHandle::new(Arc::clone(shard), key)
    }

    /// Drops closures of the group (each on its own, outside any lock of
    /// the group's); a panic in a drop is recorded, not raised. Returns how
    /// many there were.
    pub(crate) fn drop_closures<T>(&self, closures: impl IntoIterator<Item = T>) -> usize {
        self.panics.drop_all(closures)
    }

    /// Stops the group for `reason` unless it is stopped already: every
    /// shard refuses new tasks, and every task not yet started is dropped
    /// before this returns, wherever it is: pending in a wheel, in transit
    /// to the pool, queued, or claimed by a worker. Running tasks finish on
    /// their own. A panic in a closure's drop is recorded, never raised.
    pub(crate) fn stop(&self, reason: Error) {
        let pending = {
            let mut control = self.control.lock();
            if control.stop.is_some() {
                return;
            }
            // Until the closures are dropped, nobody may see the group idle:
            // when `wait()` reports the stop, its closures are gone.
            control.draining = true;
            control.stop = Some(reason);
            self.stopped.store(true, Ordering::SeqCst);
            let pending: Vec<Task> = self.shards.iter().flat_map(|shard| shard.close()).collect();
            control.dropped += pending.len() as u64;
            pending
        };
        // A batch taken out of the wheels before they closed is on its way
        // to the pool: once the hand-off lock is ours it has arrived, and
        // nothing more can come (the wheels are closed). Workers start no
        // task once `stopped` is set, so whatever is queued or claimed now
        // stays unstarted until taken here.
        let unstarted = {
            let _hand_off = self.hand_off.lock();
            self.pool.take_unstarted()
        };
        self.panics.drop_all(pending);
        let unstarted = self
            .panics
            .drop_all(unstarted.into_iter().map(|(_, task)| task));
        let mut control = self.control.lock();
        control.dropped += unstarted as u64;
        control.draining = false;
        self.notify_idle(control);
        self.finish_in_flight(unstarted);
    }

    /// Another `Group` value for this state.
    pub(crate) fn add_group(&self) {
        self.groups.fetch_add(1, Ordering::SeqCst);
    }

    /// One `Group` value is gone; the last one shuts the group down: it is
    /// stopped (pending and unstarted closures dropped), the driver exits
    /// and is joined, and the pool's workers exit once idle.
    pub(crate) fn release_group(&self) {
        if self.groups.fetch_sub(1, Ordering::SeqCst) != 1 {
            return;
        }
        self.shutting_down.store(true, Ordering::SeqCst);
        self.wakeup.wake();
        self.stop(Error::Canceled);
        self.discard_unstarted(self.pool.shut_down());
        let driver = self.driver.lock().take();
        if let Some(driver) = driver {
            // The driver drops closures too; if one of them held the last
            // `Group`, we are on the driver thread and must not join it.
            if driver.thread().id() != thread::current().id() {
                let _ = driver.join();
            }
        }
    }

    /// Why the group stopped, if it has.
    pub(crate) fn stop_reason(&self) -> Option<Error> {
        self.control.lock().stop.clone()
    }

    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }

    /// Drops tasks that were handed to the pool but never started, counts
    /// them as canceled and settles the in-flight count.
    pub(crate) fn discard_unstarted(&self, unstarted: Vec<Tagged>) {
        let count = self
            .panics
            .drop_all(unstarted.into_iter().map(|(_, task)| task));
        if count == 0 {
            return;
        }
        self.control.lock().dropped += count as u64;
        self.finish_in_flight(count);
    }

    pub(crate) fn stats(&self) -> Stats {
        let pending = self.len();
        let in_flight = self.in_flight.load(Ordering::SeqCst);
        let removed: u64 = self.shards.iter().map(|shard| shard.removed()).sum();
        let dropped = self.control.lock().dropped;
        let (panicked, _) = self.panics.snapshot();
        Stats {
            pending,
            capacity: self.shards.iter().map(|shard| shard.capacity()).sum(),
            running: in_flight,
            fired: self.fired.load(Ordering::Relaxed),
            canceled: removed + dropped,
            panicked: panicked as u64,
            lateness: self.lateness.lock().summary(),
        }
    }

    /// Tasks pending across all shards.
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|shard| shard.len()).sum()
    }
}
