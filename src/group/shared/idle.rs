//! Waiting for a group to go idle, and telling waiters that it may have.
//!
//! Idle means: nothing pending (or the group stopped) and nothing in flight
//! but tasks that are themselves waiting, all at one instant. Whoever could
//! end a busy spell notifies `became_idle` under the `control` lock: the
//! last task to finish, a stop, a task that starts waiting (it is one more
//! excuse for the others), and the driver when a scan finds every shard
//! empty (a removal that empties a shard wakes it for that, when someone
//! waits).

use std::task::Waker;
use std::time::Instant;

use super::{Control, Shared};
use crate::error::Error;
use crate::pool;
use crate::sync::{Arc, MutexGuard, Ordering};

impl Shared {
    /// Blocks until idle, or until `deadline` passes (`None`: no deadline),
    /// and returns the outcome, or `None` if the deadline passed first.
    ///
    /// Called from inside one of this group's own tasks, it excuses every
    /// task that is waiting too, itself included, and lets the pool run
    /// others in its place meanwhile.
    pub(crate) fn wait(this: &Arc<Self>, deadline: Option<Instant>) -> Option<Result<(), Error>> {
        if !pool::runs_task_of(&**this) {
            return this.wait_idle(false, deadline);
        }
        this.pool.block(this);
        let outcome = this.wait_idle(true, deadline);
        this.pool.unblock();
        outcome
    }

    fn wait_idle(
        &self,
        from_own_task: bool,
        deadline: Option<Instant>,
    ) -> Option<Result<(), Error>> {
        let _registered = IdleWaiter::new(self);
        let mut control = self.control.lock();
        if from_own_task {
            // SeqCst, paired with `finish_in_flight`: either a finisher sees
            // this increment and notifies, or we see its decrement below.
            self.waiting_tasks.fetch_add(1, Ordering::SeqCst);
            // Other waiters (tasks, and a manual clock's advance) now have
            // one more excuse.
            control = self.notify_idle_locked(control);
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
        idle.then(|| self.outcome(&control))
    }

    /// One poll of an asynchronous wait: the outcome if the group is idle;
    /// otherwise `waker` is registered under `id` (replacing that id's
    /// earlier waker) and woken by the next notification. The caller has
    /// counted itself as an idle waiter ([`Shared::add_idle_waiter`]) before
    /// its first poll, and excuses `excused` waiting tasks.
    pub(crate) fn poll_idle(
        &self,
        id: &mut Option<u64>,
        excused: bool,
        waker: &Waker,
    ) -> Option<Result<(), Error>> {
        let mut control = self.control.lock();
        let excused = if excused {
            self.waiting_tasks.load(Ordering::SeqCst)
        } else {
            0
        };
        if self.is_idle(&control, excused) {
            if let Some(id) = id.take() {
                control.wakers.retain(|(other, _)| *other != id);
            }
            return Some(self.outcome(&control));
        }
        let id = *id.get_or_insert_with(|| {
            control.next_waker += 1;
            control.next_waker
        });
        match control.wakers.iter_mut().find(|(other, _)| *other == id) {
            Some((_, registered)) if registered.will_wake(waker) => {}
            Some((_, registered)) => registered.clone_from(waker),
            None => control.wakers.push((id, waker.clone())),
        }
        None
    }

    /// Forgets the waker registered under `id`, if any.
    pub(crate) fn forget_waker(&self, id: u64) {
        self.control.lock().wakers.retain(|(other, _)| *other != id);
    }

    /// Counts a waiter for idleness (see [`Wakeup::add_idle_waiter`]).
    ///
    /// [`Wakeup::add_idle_waiter`]: crate::driver::Wakeup::add_idle_waiter
    pub(crate) fn add_idle_waiter(&self) {
        self.wakeup.add_idle_waiter();
    }

    pub(crate) fn remove_idle_waiter(&self) {
        self.wakeup.remove_idle_waiter();
    }

    /// A task of this group is about to wait for it without blocking its
    /// thread's pool slot (an asynchronous wait it blocks on): it excuses
    /// itself and lets the pool run others in its place, as `wait` does.
    pub(crate) fn begin_task_wait(this: &Arc<Self>) {
        this.pool.block(this);
        let control = this.control.lock();
        this.waiting_tasks.fetch_add(1, Ordering::SeqCst);
        drop(this.notify_idle_locked(control));
    }

    /// Undoes [`Shared::begin_task_wait`].
    pub(crate) fn end_task_wait(&self) {
        self.waiting_tasks.fetch_sub(1, Ordering::SeqCst);
        self.pool.unblock();
    }

    /// What `wait()` reports once the group is idle: the stop reason wins
    /// over panics (which are still counted in the stats).
    fn outcome(&self, control: &MutexGuard<'_, Control>) -> Result<(), Error> {
        if let Some(reason) = &control.stop {
            return Err(reason.clone());
        }
        match self.panics.snapshot() {
            (0, _) => Ok(()),
            (count, message) => Err(Error::Panicked { count, message }),
        }
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
    fn is_idle(&self, control: &Control, excused: usize) -> bool {
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

    /// `count` in-flight tasks are done; wakes the waiters if that may have
    /// made the group idle.
    pub(crate) fn finish_in_flight(&self, count: usize) {
        if count == 0 {
            return;
        }
        let before = self.in_flight.fetch_sub(count, Ordering::SeqCst);
        debug_assert!(before >= count, "more tasks finished than were fired");
        if self.waiting_tasks.load(Ordering::SeqCst) > 0 {
            self.notify_maybe_idle();
        } else if before == count {
            // Nothing in flight: idle if nothing is pending either. A waiter
            // is told only then (or a manual clock's advance, which waits
            // for tasks to finish whatever is pending): with tasks still
            // pending, waking every `wait()` each time a batch finishes
            // cost a thread wake-up per batch. Looked at after the
            // decrement: a task that fires and finishes later looks again,
            // and a removal that empties the group wakes the driver, whose
            // scan tells the waiters (`shards_found_empty`).
            let settling = self.settling.load(Ordering::SeqCst) > 0;
            if settling || self.shards.iter().all(|shard| shard.snapshot().0) {
                self.notify_maybe_idle();
            }
        }
    }

    /// Every shard was found empty: the group is idle if nothing in flight
    /// is anything but a waiting task.
    pub(crate) fn shards_found_empty(&self) {
        // SeqCst, paired with `wait_idle`: a waiting task counted itself
        // before it looked, so either we see it here or it sees the shards
        // empty itself.
        let in_flight = self.in_flight.load(Ordering::SeqCst);
        if in_flight <= self.waiting_tasks.load(Ordering::SeqCst) {
            self.notify_maybe_idle();
        }
    }

    fn notify_maybe_idle(&self) {
        // Taking the lock orders this notify after any waiter's check: a
        // waiter that saw the group busy is already parked on the condvar
        // (or has registered its waker) by the time the lock is ours.
        self.notify_idle(self.control.lock());
    }

    /// Wakes every thread and future waiting for idleness; the futures'
    /// wakers run after the lock is released (a waker may run anything).
    pub(crate) fn notify_idle(&self, control: MutexGuard<'_, Control>) {
        drop(self.notify_idle_locked(control));
    }

    /// [`Shared::notify_idle`], keeping the lock: the futures are woken
    /// with it released for a moment.
    fn notify_idle_locked<'a>(
        &'a self,
        mut control: MutexGuard<'a, Control>,
    ) -> MutexGuard<'a, Control> {
        self.became_idle.notify_all();
        if control.wakers.is_empty() {
            return control;
        }
        let wakers = std::mem::take(&mut control.wakers);
        drop(control);
        for (_, waker) in wakers {
            waker.wake();
        }
        self.control.lock()
    }
}

/// Counts a thread as waiting for idleness for as long as it lives.
struct IdleWaiter<'a>(&'a Shared);

impl<'a> IdleWaiter<'a> {
    fn new(shared: &'a Shared) -> Self {
        shared.wakeup.add_idle_waiter();
        IdleWaiter(shared)
    }
}

impl Drop for IdleWaiter<'_> {
    fn drop(&mut self) {
        self.0.wakeup.remove_idle_waiter();
    }
}
