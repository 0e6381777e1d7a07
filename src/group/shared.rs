//! The state one group's threads share, and the two roles it plays: host of
//! the driver and owner of the pool.

use std::time::Instant;

use crate::driver::{DriverLink, Host, Shard};
use crate::error::{panic_message, Error};
use crate::pool::{Owner, Pool, Tagged};
use crate::stats::{Histogram, Stats};
use crate::sync::{
    thread, thread_index, Arc, AtomicBool, AtomicU64, AtomicUsize, Condvar, Mutex, MutexGuard,
    Ordering,
};
use crate::task::Task;

pub(crate) struct Shared {
    /// Where tasks wait. A thread always files into the same shard, so
    /// threads scheduling at once touch different locks and counters.
    pub(crate) shards: Box<[Arc<Shard<Task>>]>,
    pub(crate) link: Arc<DriverLink>,
    /// Stop reason and panics; `wait()` parks on `became_idle` with it.
    pub(crate) control: Mutex<Control>,
    /// Notified whenever the group may have become idle (or stopped).
    pub(crate) became_idle: Condvar,
    /// Tasks that left a wheel and have not finished: queued or running.
    /// Atomic so that finishing a task takes no lock unless it is the last.
    pub(crate) in_flight: AtomicUsize,
    /// Tasks of this group that are themselves blocked in `wait()`. They are
    /// in flight but must not count as busy for each other, or a task that
    /// waits for its own group would wait for itself forever. Changed only
    /// under `control`; atomic so that finishers can read it without it.
    pub(crate) waiting_tasks: AtomicUsize,
    /// Mirrors `Control::stop.is_some()` for workers, which check it before
    /// starting each task without taking a lock.
    pub(crate) stopped: AtomicBool,
    /// Set when the last `Group` is dropped: the driver exits.
    pub(crate) shutting_down: AtomicBool,
    /// Live `Group` values; the last one to go shuts everything down.
    pub(crate) groups: AtomicUsize,
    /// The tick of the builder's deadline, if any.
    pub(crate) stop_at: Option<u64>,
    /// Tasks handed to the pool, ever (statistics only: Relaxed).
    pub(crate) fired: AtomicU64,
    /// How late tasks were when a worker took them.
    pub(crate) lateness: Mutex<Histogram>,
    pub(crate) pool: Pool,
    pub(crate) driver: Mutex<Option<thread::JoinHandle<()>>>,
}

#[derive(Debug, Default)]
pub(crate) struct Control {
    pub(crate) stop: Option<Error>,
    pub(crate) panics: usize,
    pub(crate) first_panic: Option<String>,
    /// Tasks dropped unrun by stopping (pending, queued or not yet started).
    pub(crate) dropped: u64,
    /// A stop is dropping the pending closures: not idle yet.
    pub(crate) draining: bool,
}

impl Control {
    /// What `wait()` reports once the group is idle.
    pub(crate) fn outcome(&self) -> Result<(), Error> {
        match (&self.stop, self.panics) {
            (Some(reason), _) => Err(reason.clone()),
            (None, 0) => Ok(()),
            (None, count) => Err(Error::Panicked {
                count,
                message: self.first_panic.clone(),
            }),
        }
    }
}

impl Shared {
    /// This thread's shard.
    #[inline]
    pub(crate) fn shard(&self) -> &Arc<Shard<Task>> {
        // The count is a power of two: a mask, not a division, per schedule.
        debug_assert!(self.shards.len().is_power_of_two());
        &self.shards[thread_index() & (self.shards.len() - 1)]
    }

    pub(crate) fn stats(&self) -> Stats {
        let pending = self.len();
        let in_flight = self.in_flight.load(Ordering::SeqCst);
        let removed: u64 = self.shards.iter().map(|shard| shard.removed()).sum();
        let (dropped, panicked) = {
            let control = self.control.lock();
            (control.dropped, control.panics as u64)
        };
        Stats {
            pending,
            running: in_flight,
            fired: self.fired.load(Ordering::Relaxed),
            cancelled: removed + dropped,
            panicked,
            lateness: self.lateness.lock().summary(),
        }
    }

    /// Tasks pending across all shards.
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|shard| shard.len()).sum()
    }

    /// Whether `wait()` may return: nothing pending (or the group stopped)
    /// and nothing in flight but `excused` tasks, all at one instant.
    ///
    /// The shards are locked one at a time, so a single pass could miss a
    /// task filed into a shard already looked at. Looking twice, with the
    /// in-flight count read in between, and finding every shard empty and
    /// unchanged (same version) both times, proves that at the moment of that
    /// read nothing was pending (a task that fires bumps its shard's version
    /// and enters `in_flight` under the shard's lock).
    pub(crate) fn is_idle(&self, control: &Control, excused: usize) -> bool {
        if control.draining {
            return false;
        }
        if control.stop.is_some() {
            return self.in_flight.load(Ordering::SeqCst) == excused;
        }
        let mut versions = Vec::with_capacity(self.shards.len());
        for shard in self.shards.iter() {
            let (empty, version) = shard.snapshot();
            if !empty {
                return false;
            }
            versions.push(version);
        }
        if self.in_flight.load(Ordering::SeqCst) != excused {
            return false;
        }
        self.shards
            .iter()
            .zip(versions)
            .all(|(shard, version)| shard.snapshot() == (true, version))
    }

    /// Blocks until idle, or until `deadline` passes (`None`: no deadline),
    /// and returns the outcome, or `None` if the deadline passed first. A
    /// waiter that is itself one of this group's tasks excuses every task
    /// that is waiting too, itself included.
    pub(crate) fn wait_idle(
        &self,
        from_own_task: bool,
        deadline: Option<Instant>,
    ) -> Option<Result<(), Error>> {
        let _registered = IdleWaiter::new(&self.link);
        let mut control = self.control.lock();
        if from_own_task {
            // SeqCst, paired with `finish_in_flight`: either a finisher sees
            // this increment and notifies, or we see its decrement below.
            self.waiting_tasks.fetch_add(1, Ordering::SeqCst);
            // Other waiting tasks now have one more excuse.
            self.became_idle.notify_all();
        }
        let idle = loop {
            let excused = if from_own_task {
                self.waiting_tasks.load(Ordering::SeqCst)
            } else {
                0
            };
            if self.is_idle(&control, excused) {
                break true;
            }
            if self.became_idle.wait_until(&mut control, deadline) {
                // Timed out; one last look, in case we were about to be told.
                break self.is_idle(&control, excused);
            }
        };
        if from_own_task {
            self.waiting_tasks.fetch_sub(1, Ordering::SeqCst);
        }
        idle.then(|| control.outcome())
    }

    /// Stops the group for `reason` unless it is stopped already: every
    /// shard refuses new tasks, and pending and queued closures are dropped
    /// (outside any lock). Running tasks finish on their own.
    pub(crate) fn stop(&self, reason: Error) {
        let pending = {
            let mut control = self.control.lock();
            if control.stop.is_some() {
                return;
            }
            // Until the closures are dropped, nobody may see the group idle:
            // when `wait()` reports the stop, its closures are gone.
            control.draining = true;
            self.stop_locked(&mut control, reason)
        };
        drop(pending);
        {
            let mut control = self.control.lock();
            control.draining = false;
            self.became_idle.notify_all();
        }
        // Still in flight until dropped, so no waiter sees the group idle
        // before these closures are gone either.
        self.discard_unstarted(self.pool.take_queued());
    }

    /// Drops tasks that were handed to the pool but never started, counts
    /// them as cancelled and settles the in-flight count.
    pub(crate) fn discard_unstarted(&self, unstarted: Vec<Tagged>) {
        let count = unstarted.len();
        drop(unstarted);
        if count == 0 {
            return;
        }
        self.control.lock().dropped += count as u64;
        self.finish_in_flight(count);
    }

    fn stop_locked(&self, control: &mut MutexGuard<'_, Control>, reason: Error) -> Vec<Task> {
        if control.stop.is_some() {
            return Vec::new();
        }
        control.stop = Some(reason);
        self.stopped.store(true, Ordering::SeqCst);
        let pending: Vec<Task> = self.shards.iter().flat_map(|shard| shard.close()).collect();
        control.dropped += pending.len() as u64;
        pending
    }

    /// `count` in-flight tasks are done; wakes `wait()` if that was the last.
    pub(crate) fn finish_in_flight(&self, count: usize) {
        if count == 0 {
            return;
        }
        let before = self.in_flight.fetch_sub(count, Ordering::SeqCst);
        debug_assert!(before >= count, "more tasks finished than were fired");
        if before == count || self.waiting_tasks.load(Ordering::SeqCst) > 0 {
            self.notify_maybe_idle();
        }
    }

    fn notify_maybe_idle(&self) {
        // Taking the lock orders this notify after any waiter's check: a
        // waiter that saw the group busy is already parked on the condvar by
        // the time the lock is ours.
        let _control = self.control.lock();
        self.became_idle.notify_all();
    }
}

/// Counts a thread as waiting for idleness for as long as it lives.
struct IdleWaiter<'a>(&'a DriverLink);

impl<'a> IdleWaiter<'a> {
    fn new(link: &'a DriverLink) -> Self {
        link.add_idle_waiter();
        IdleWaiter(link)
    }
}

impl Drop for IdleWaiter<'_> {
    fn drop(&mut self) {
        self.0.remove_idle_waiter();
    }
}

impl Host for Shared {
    type Task = Task;

    fn shards(&self) -> &[Arc<Shard<Task>>] {
        &self.shards
    }

    fn link(&self) -> &DriverLink {
        &self.link
    }

    fn shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }

    fn fired(&self, count: usize) {
        self.in_flight.fetch_add(count, Ordering::SeqCst);
        self.fired.fetch_add(count as u64, Ordering::Relaxed);
    }

    fn deadline_passed(&self) {
        self.stop(Error::DeadlineExceeded);
    }

    fn all_empty(&self) {
        if self.in_flight.load(Ordering::SeqCst) == 0 {
            self.notify_maybe_idle();
        }
    }

    fn dispatch(this: &Arc<Self>, batch: &mut Vec<(u64, Task)>) {
        this.pool.submit(this, batch);
    }
}

impl Owner for Shared {
    fn pool(&self) -> &Pool {
        &self.pool
    }

    fn may_start(&self) -> bool {
        !self.stopped.load(Ordering::SeqCst)
    }

    fn panicked(&self, payload: Box<dyn std::any::Any + Send>) {
        let message = panic_message(&*payload);
        {
            let mut control = self.control.lock();
            control.panics += 1;
            if control.first_panic.is_none() {
                control.first_panic = message;
            }
        }
        // A payload whose own Drop panics must not take the worker down.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(payload)));
    }

    fn finished(&self, count: usize, dropped: usize) {
        if dropped > 0 {
            self.control.lock().dropped += dropped as u64;
        }
        self.finish_in_flight(count);
    }

    fn claimed(&self, deadlines: &mut dyn Iterator<Item = u64>) {
        let clock = &self.link.clock;
        let now = clock.now();
        let lateness = |tick: u64| {
            let deadline = clock.instant_of(tick).unwrap_or(now);
            u64::try_from(now.saturating_duration_since(deadline).as_nanos()).unwrap_or(u64::MAX)
        };
        let mut histogram = self.lateness.lock();
        // Tasks come in deadline order: one sample per run of equal
        // deadlines keeps a burst of a million cheap to record.
        let mut run: Option<(u64, u64)> = None;
        for tick in deadlines {
            match &mut run {
                Some((current, count)) if *current == tick => *count += 1,
                _ => {
                    if let Some((current, count)) = run.replace((tick, 1)) {
                        histogram.record(lateness(current), count);
                    }
                }
            }
        }
        if let Some((current, count)) = run {
            histogram.record(lateness(current), count);
        }
    }
}
