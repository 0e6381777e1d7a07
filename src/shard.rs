//! `Shard`: one wheel behind one lock, what a `TaskHandle` holds on to.
//!
//! An owner files its tasks into several shards so that threads scheduling
//! at once do not contend on a lock: a thread always uses the same shard,
//! and a handle keeps a reference to the shard its task is in. Each shard
//! carries what its handles need without going back to the owner: the
//! clock (to turn a handle's new deadline into a tick), the driver's
//! wake-up state (to wake it for an earlier deadline), and the owner's
//! panic log (a canceled closure's drop may panic).

use crate::clock::Clock;
use crate::driver::Wakeup;
use crate::sync::{Arc, Mutex};
use crate::unwind::{drop_contained, PanicLog};
use crate::wheel::{Key, Wheel};

/// One wheel and its lock.
#[derive(Debug)]
pub(crate) struct Shard<T> {
    state: Mutex<ShardState<T>>,
    clock: Clock,
    wakeup: Arc<Wakeup>,
    panics: Arc<PanicLog>,
}

#[derive(Debug)]
struct ShardState<T> {
    wheel: Wheel<T>,
    /// Bumped on every insert and removal, so that an observer can tell
    /// that a shard it saw empty twice stayed empty in between.
    version: u64,
    /// Set once when the owner stops: later inserts are refused.
    closed: bool,
    /// Tasks taken out by `remove` (canceled), for statistics.
    removed: u64,
}

/// Below this many slab slots an empty wheel keeps its memory for reuse.
const SHRINK_ABOVE: usize = 4096;

impl<T> Shard<T> {
    pub(crate) fn new(clock: Clock, wakeup: Arc<Wakeup>, panics: Arc<PanicLog>) -> Self {
        Shard {
            state: Mutex::new(ShardState {
                wheel: Wheel::with_slot_bits(clock.slot_bits()),
                version: 0,
                closed: false,
                removed: 0,
            }),
            clock,
            wakeup,
            panics,
        }
    }

    /// The owner's clock.
    #[inline]
    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Files `task` for tick `deadline`, or gives it back if the shard is
    /// closed.
    #[inline]
    pub(crate) fn insert(&self, deadline: u64, task: T) -> Result<Key, T> {
        let mut state = self.state.lock();
        if state.closed {
            return Err(task);
        }
        let key = state.wheel.insert(deadline, task);
        state.version += 1;
        // Checked under the lock: the driver's scan of this shard is either
        // before this insert (then it sees SCANNING or its new deadline
        // here) or after it (then the scan sees the task).
        self.wakeup.wake_if_before(deadline);
        Ok(key)
    }

    /// Takes a pending task out. If that empties the shard while someone
    /// waits for idleness, the driver is woken to tell the owner. (Without
    /// a waiter, a removal costs no wake-up at all.)
    pub(crate) fn remove(&self, key: Key) -> Option<T> {
        let mut state = self.state.lock();
        let task = state.wheel.remove(key)?;
        state.version += 1;
        state.removed += 1;
        if state.wheel.is_empty() {
            self.wakeup.wake_for_idle_waiters();
        }
        Some(task)
    }

    /// Removes a pending task and drops it, after the lock is released (its
    /// captures' `Drop` may call back into the owner). A panic in that drop
    /// is recorded in the owner's panic log, not raised. `false` for a stale
    /// key.
    pub(crate) fn cancel(&self, key: Key) -> bool {
        let Some(task) = self.remove(key) else {
            return false;
        };
        if let Err(payload) = drop_contained(task) {
            self.panics.record(payload);
        }
        true
    }

    /// Moves a pending task; `false` if the key is stale.
    pub(crate) fn reset(&self, key: Key, deadline: u64) -> bool {
        let mut state = self.state.lock();
        let moved = state.wheel.reset(key, deadline);
        if moved {
            self.wakeup.wake_if_before(deadline);
        }
        moved
    }

    /// The tick a pending task is due at; `None` for a stale key.
    pub(crate) fn deadline(&self, key: Key) -> Option<u64> {
        self.state.lock().wheel.deadline(key)
    }

    pub(crate) fn contains(&self, key: Key) -> bool {
        self.state.lock().wheel.contains(key)
    }

    pub(crate) fn len(&self) -> usize {
        self.state.lock().wheel.len()
    }

    /// How many tasks `remove` has taken out.
    pub(crate) fn removed(&self) -> u64 {
        self.state.lock().removed
    }

    /// A lower bound of the earliest pending deadline (see
    /// [`Wheel::next_deadline`]).
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        self.state.lock().wheel.next_deadline()
    }

    /// `(is_empty, version)`: see [`ShardState::version`].
    pub(crate) fn snapshot(&self) -> (bool, u64) {
        let state = self.state.lock();
        (state.wheel.is_empty(), state.version)
    }

    /// Refuses all later inserts and returns every pending task.
    pub(crate) fn close(&self) -> Vec<T> {
        let mut state = self.state.lock();
        state.closed = true;
        state.version += 1;
        state.wheel.drain().collect()
    }

    /// Moves the tasks due at `now`, up to `limit` of them, into `batch`
    /// with their deadlines, calls `fired` with their number before the lock
    /// is released, and returns `(next_deadline, is_empty)`.
    pub(crate) fn advance(
        &self,
        now: u64,
        limit: usize,
        batch: &mut Vec<(u64, T)>,
        fired: impl FnOnce(usize),
    ) -> (Option<u64>, bool) {
        let mut state = self.state.lock();
        let before = batch.len();
        state
            .wheel
            .advance_at_most_with_deadlines(now, limit, |_key, deadline, task| {
                batch.push((deadline, task))
            });
        let count = batch.len() - before;
        if count > 0 {
            state.version += 1;
            // Under the lock, so nobody sees these tasks neither pending nor
            // in flight.
            fired(count);
        }
        if state.wheel.is_empty() && state.wheel.capacity() > SHRINK_ABOVE {
            // A burst has drained: give its memory back.
            state.wheel.shrink_to_fit();
        }
        (state.wheel.next_deadline(), state.wheel.is_empty())
    }
}
