//! The state one group's threads share, and the two roles it plays: host of
//! the driver and owner of the pool.

use std::time::Instant;

use crate::clock::Clock;
use crate::driver::{Host, Timers};
use crate::error::{panic_message, Error};
use crate::pool::{Outcome, Owner, Pool};
use crate::sync::{thread, Arc, AtomicBool, AtomicUsize, Condvar, Mutex, Ordering};
use crate::task::Task;

pub(crate) struct Shared {
    pub(crate) state: Mutex<State>,
    /// The driver parks on this; schedules that land before its wake-up
    /// notify it.
    pub(crate) driver_wake: Condvar,
    /// `wait()` parks on this; notified whenever the group may have become
    /// idle (or stopped).
    pub(crate) became_idle: Condvar,
    /// Tasks that left the wheel and have not finished: queued or running.
    /// Atomic so that finishing a task takes no lock unless it is the last.
    pub(crate) in_flight: AtomicUsize,
    /// Tasks of this group that are themselves blocked in `wait()`. They are
    /// in flight but must not count as busy for each other, or a task that
    /// waits for its own group would wait for itself forever. Changed only
    /// under the lock; atomic so that finishers can read it without it.
    pub(crate) waiting_tasks: AtomicUsize,
    /// Mirrors `State::stop.is_some()` for workers, which check it before
    /// starting each task without taking the lock.
    pub(crate) stopped: AtomicBool,
    /// Live `Group` values; the last one to go shuts everything down.
    pub(crate) groups: AtomicUsize,
    pub(crate) clock: Clock,
    pub(crate) pool: Pool,
    pub(crate) driver: Mutex<Option<thread::JoinHandle<()>>>,
}

pub(crate) struct State {
    pub(crate) timers: Timers<Task>,
    pub(crate) stop: Option<Error>,
    pub(crate) panics: usize,
    pub(crate) first_panic: Option<String>,
}

impl State {
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
    /// Whether `wait()` may return, given the locked state: nothing pending
    /// (or the group stopped) and nothing in flight but `excused` tasks.
    pub(crate) fn is_idle(&self, state: &State, excused: usize) -> bool {
        self.in_flight.load(Ordering::SeqCst) == excused
            && (state.timers.wheel.is_empty() || state.stop.is_some())
    }

    /// Blocks until idle. A waiter that is itself one of this group's tasks
    /// excuses every task that is waiting too, itself included.
    pub(crate) fn wait_idle(&self, from_own_task: bool) -> Result<(), Error> {
        let mut state = self.state.lock();
        if from_own_task {
            // SeqCst, paired with `finish_in_flight`: either a finisher sees
            // this increment and notifies, or we see its decrement below.
            self.waiting_tasks.fetch_add(1, Ordering::SeqCst);
            // Other waiting tasks now have one more excuse.
            self.became_idle.notify_all();
        }
        loop {
            let excused = if from_own_task {
                self.waiting_tasks.load(Ordering::SeqCst)
            } else {
                0
            };
            if self.is_idle(&state, excused) {
                break;
            }
            self.became_idle.wait(&mut state);
        }
        if from_own_task {
            self.waiting_tasks.fetch_sub(1, Ordering::SeqCst);
        }
        state.outcome()
    }

    /// Stops the group for `reason` unless it is stopped already: pending
    /// tasks are taken out of the wheel and returned, for the caller to drop
    /// once the lock is released.
    pub(crate) fn stop_locked(&self, state: &mut State, reason: Error) -> Vec<Task> {
        if state.stop.is_some() {
            return Vec::new();
        }
        state.stop = Some(reason);
        self.stopped.store(true, Ordering::SeqCst);
        let pending = state.timers.wheel.drain().collect();
        self.became_idle.notify_all();
        pending
    }

    /// Stops the group and drops every pending or queued closure, outside
    /// the lock. Running tasks finish on their own.
    pub(crate) fn stop(&self, reason: Error) {
        let pending = {
            let mut state = self.state.lock();
            self.stop_locked(&mut state, reason)
        };
        drop(pending);
        let queued = self.pool.take_queued();
        let count = queued.len();
        drop(queued);
        self.finish_in_flight(count);
    }

    /// `count` in-flight tasks are done; wakes `wait()` if that was the last.
    pub(crate) fn finish_in_flight(&self, count: usize) {
        if count == 0 {
            return;
        }
        let before = self.in_flight.fetch_sub(count, Ordering::SeqCst);
        debug_assert!(before >= count, "more tasks finished than were fired");
        if before == count || self.waiting_tasks.load(Ordering::SeqCst) > 0 {
            // Taking the lock orders this notify after any waiter's check:
            // a waiter that saw `in_flight > 0` is already parked on the
            // condvar by the time the lock is ours.
            let _state = self.state.lock();
            self.became_idle.notify_all();
        }
    }

    pub(crate) fn now(&self) -> Instant {
        self.clock.now()
    }
}

impl Host for Shared {
    type State = State;
    type Task = Task;

    fn state(&self) -> &Mutex<State> {
        &self.state
    }

    fn timers(state: &mut State) -> &mut Timers<Task> {
        &mut state.timers
    }

    fn driver_wake(&self) -> &Condvar {
        &self.driver_wake
    }

    fn clock(&self) -> &Clock {
        &self.clock
    }

    fn fired(&self, _state: &mut State, count: usize) {
        self.in_flight.fetch_add(count, Ordering::SeqCst);
    }

    fn deadline_passed(&self, state: &mut State) -> Vec<Task> {
        // Tasks already queued in the pool are dropped by the workers, which
        // check `stopped` before starting each one.
        self.stop_locked(state, Error::DeadlineExceeded)
    }

    fn dispatch(this: &Arc<Self>, batch: &mut Vec<Task>) {
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

    fn finished(&self, outcome: Outcome) {
        if let Outcome::Panicked(payload) = outcome {
            let message = panic_message(&*payload);
            {
                let mut state = self.state.lock();
                state.panics += 1;
                if state.first_panic.is_none() {
                    state.first_panic = message;
                }
            }
            // A payload whose own Drop panics must not take the worker down.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(payload)));
        }
        self.finish_in_flight(1);
    }
}
