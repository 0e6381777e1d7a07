//! The state one queue's handles and driver share: the shards its pending
//! values wait in, and the values that have expired and wait for a
//! receiver, with the signalling that hands them over.

use std::collections::VecDeque;
use std::task::Waker;
use std::time::{Duration, Instant};

use crate::clock::Clock;
use crate::driver::{
    self, earliest, give_back_memory, hand_over_due, Delegation, Host, Wakeup, BATCH_LIMIT,
};
use crate::shard::Shard;
use crate::sync::{
    thread, thread_index, Arc, AtomicBool, AtomicUsize, Condvar, Mutex, MutexGuard, Ordering,
    Parker,
};
use crate::unwind::PanicLog;

pub(crate) struct QueueShared<T> {
    shards: Box<[Arc<Shard<T>>]>,
    clock: Clock,
    wakeup: Arc<Wakeup>,
    /// Values dropped by the queue itself (on its drop) whose `Drop`
    /// panicked: contained, and counted here.
    panics: Arc<PanicLog>,
    /// Held from taking expired values out of the wheels until they are in
    /// `ready`, so that values taken by different threads reach `ready` in
    /// the order they were taken: deadline order.
    hand_off: Mutex<()>,
    ready: Mutex<Ready<T>>,
    /// Notified when values arrive in `ready`.
    arrived: Condvar,
    /// Live `Queue` values; the last one to go shuts the queue down.
    handles: AtomicUsize,
    shutting_down: AtomicBool,
    driver: Mutex<Option<thread::JoinHandle<()>>>,
}

/// Expired values waiting for a receiver, and the futures waiting for one.
pub(crate) struct Ready<T> {
    pub(crate) values: VecDeque<T>,
    /// `recv_async` futures waiting for a value, by id, oldest first.
    pub(crate) wakers: VecDeque<(u64, Waker)>,
    pub(crate) next_waker: u64,
    /// Receivers blocked in `recv`, each sleeping until the next deadline
    /// at most: the driver may leave that deadline to them.
    pub(crate) watchers: usize,
    /// The deadline the driver last left to them (when it changes, they
    /// look again).
    pub(crate) watch: Option<Instant>,
}

/// Most expired values a receiver moves into `ready` when it found none
/// there: the driver's own part size.
pub(crate) const RECEIVE_PART: usize = BATCH_LIMIT;

impl<T: Send + 'static> QueueShared<T> {
    /// Builds a queue's state and starts its driver thread (none on a
    /// manual clock).
    ///
    /// # Panics
    ///
    /// If the OS refuses to create the driver thread.
    pub(crate) fn start(clock: Clock, shards: usize, timer_slack: Duration) -> Arc<Self> {
        let parker = Parker::new();
        let wakeup = Arc::new(Wakeup::new(parker.unparker()));
        let panics = Arc::new(PanicLog::default());
        let shards = Shard::many(shards, &clock, &wakeup, &panics);
        let shared = Arc::new(QueueShared {
            shards,
            clock,
            wakeup,
            panics,
            hand_off: Mutex::new(()),
            ready: Mutex::new(Ready {
                values: VecDeque::new(),
                wakers: VecDeque::new(),
                next_waker: 0,
                watchers: 0,
                watch: None,
            }),
            arrived: Condvar::new(),
            handles: AtomicUsize::new(1),
            shutting_down: AtomicBool::new(false),
            driver: Mutex::new(None),
        });
        // On a manual clock, whoever advances it moves what expired (and an
        // insert of a value already due expires it): no driver is needed.
        if !shared.clock.is_manual() {
            let driver_shared = Arc::clone(&shared);
            let handle = thread::Builder::new()
                .name("schedgroup-queue".into())
                .spawn(move || driver::drive(&driver_shared, parker, None, timer_slack))
                .expect("failed to spawn the schedgroup queue's driver thread");
            *shared.driver.lock() = Some(handle);
        }
        shared
    }

    /// On a manual clock (which has no driver thread: time moves only when
    /// the clock is advanced), a value filed for a tick the clock has
    /// already reached expires at once, on the calling thread, so that
    /// what a test sees does not depend on which thread got there first.
    #[inline]
    pub(crate) fn expire_if_reached(this: &Arc<Self>, tick: u64) {
        if this.clock.is_manual() && tick <= this.clock.reached() {
            QueueShared::take_expired(this, usize::MAX);
        }
    }

    /// Moves up to `limit` values expired by the clock's now into `ready`,
    /// earliest first (on the calling thread: a receiver need not wait for
    /// the driver to wake). Returns how many it moved. A receiver that found
    /// nothing ready passes [`RECEIVE_PART`]: it gets the first of a million
    /// expired values after moving a part of them, not all (the rest follow,
    /// part by part, as it or the driver look again), and `ready` stays
    /// small.
    pub(crate) fn take_expired(this: &Arc<Self>, limit: usize) -> usize {
        let now = this.clock.reached();
        let mut batch = Vec::new();
        let scan = hand_over_due(this, now, limit, &mut batch);
        if scan.drained && this.clock.is_manual() {
            // No driver thread to do it (and no real time to lose).
            give_back_memory(&this.shards);
        }
        scan.handed
    }
}

impl<T> QueueShared<T> {
    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    /// How many values the shards have memory for.
    pub(crate) fn capacity(&self) -> usize {
        self.shards.iter().map(|shard| shard.capacity()).sum()
    }

    /// This thread's shard and its number.
    #[inline]
    pub(crate) fn shard(&self) -> (u32, &Arc<Shard<T>>) {
        debug_assert!(self.shards.len().is_power_of_two());
        let number = thread_index() & (self.shards.len() - 1);
        (number as u32, &self.shards[number])
    }

    /// Shard `number`, if there is one (a key from another queue may name
    /// any number).
    pub(crate) fn shard_numbered(&self, number: u32) -> Option<&Arc<Shard<T>>> {
        self.shards.get(number as usize)
    }

    pub(crate) fn ready(&self) -> MutexGuard<'_, Ready<T>> {
        self.ready.lock()
    }

    pub(crate) fn arrived(&self) -> &Condvar {
        &self.arrived
    }

    /// Values pending in the wheels.
    pub(crate) fn pending(&self) -> usize {
        self.shards.iter().map(|shard| shard.len()).sum()
    }

    /// The earliest pending deadline (a lower bound), as an instant.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let next = self
            .shards
            .iter()
            .fold(None, |next, shard| earliest(next, shard.next_deadline()));
        self.clock.instant_of(next?)
    }

    pub(crate) fn add_handle(&self) {
        self.handles.fetch_add(1, Ordering::SeqCst);
    }

    /// One `Queue` value is gone; the last one stops the driver and drops
    /// every value, pending or expired (a panic in a value's drop is
    /// contained).
    pub(crate) fn release_handle(&self) {
        if self.handles.fetch_sub(1, Ordering::SeqCst) != 1 {
            return;
        }
        self.shutting_down.store(true, Ordering::SeqCst);
        self.wakeup.wake();
        let driver = self.driver.lock().take();
        if let Some(driver) = driver {
            if driver.thread().id() != thread::current().id() {
                let _ = driver.join();
            }
        }
        let pending: Vec<T> = self.shards.iter().flat_map(|shard| shard.close()).collect();
        let expired = std::mem::take(&mut self.ready.lock().values);
        self.panics.drop_all(pending);
        self.panics.drop_all(expired);
    }

    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }
}

impl<T: Send + 'static> Host for QueueShared<T> {
    type Task = T;

    fn shards(&self) -> &[Arc<Shard<T>>] {
        &self.shards
    }

    fn clock(&self) -> &Clock {
        &self.clock
    }

    fn wakeup(&self) -> &Wakeup {
        &self.wakeup
    }

    fn shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }

    fn hand_off(&self) -> MutexGuard<'_, ()> {
        self.hand_off.lock()
    }

    fn fired(&self, _count: usize) {}

    fn deadline_passed(&self) {}

    fn all_empty(&self) {}

    fn delegate(this: &Arc<Self>, deadline: Instant) -> Delegation {
        let mut ready = this.ready.lock();
        if ready.watchers == 0 {
            ready.watch = None;
            return Delegation::Declined;
        }
        if ready.watch != Some(deadline) {
            // The deadline changed since the receivers went to sleep (an
            // earlier insert woke the driver, say): they look again.
            ready.watch = Some(deadline);
            this.arrived.notify_all();
        }
        Delegation::Taken
    }

    fn dispatch(this: &Arc<Self>, batch: &mut Vec<(u64, T)>) {
        let count = batch.len();
        let wakers: Vec<Waker> = {
            let mut ready = this.ready.lock();
            ready.values.extend(batch.drain(..).map(|(_, value)| value));
            let woken = count.min(ready.wakers.len());
            ready
                .wakers
                .drain(..woken)
                .map(|(_, waker)| waker)
                .collect()
        };
        if count == 1 {
            this.arrived.notify_one();
        } else {
            this.arrived.notify_all();
        }
        for waker in wakers {
            waker.wake();
        }
    }
}
