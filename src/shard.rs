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

    /// An owner's `count` shards, which share its clock, its driver's
    /// wake-up and its panic log.
    pub(crate) fn many(
        count: usize,
        clock: &Clock,
        wakeup: &Arc<Wakeup>,
        panics: &Arc<PanicLog>,
    ) -> Box<[Arc<Shard<T>>]> {
        (0..count)
            .map(|_| {
                let (wakeup, panics) = (Arc::clone(wakeup), Arc::clone(panics));
                Arc::new(Shard::new(clock.clone(), wakeup, panics))
            })
            .collect()
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
    /// is released, and says what is left.
    ///
    /// It never frees memory: giving back the few megabytes a drained burst
    /// held took 0.3–0.8 ms on the development VM, and those who take due
    /// tasks are about to run them. See [`Shard::give_back_memory`].
    pub(crate) fn advance(
        &self,
        now: u64,
        limit: usize,
        batch: &mut Vec<(u64, T)>,
        fired: impl FnOnce(usize),
    ) -> Advanced {
        let mut state = self.state.lock();
        let before = batch.len();
        let reached =
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
        let empty = state.wheel.is_empty();
        Advanced {
            next: state.wheel.next_deadline(),
            stopped_at: (!reached).then(|| state.wheel.now()),
            empty,
            drained: empty && state.wheel.capacity() > SHRINK_ABOVE,
        }
    }

    /// If the shard is empty and holds the memory of a burst, gives it back:
    /// taken out under the lock, freed after it.
    pub(crate) fn give_back_memory(&self) {
        let unused = {
            let mut state = self.state.lock();
            if !state.wheel.is_empty() || state.wheel.capacity() <= SHRINK_ABOVE {
                return;
            }
            state.wheel.take_unused_memory()
        };
        drop(unused);
    }

    /// How many tasks the shard has memory for.
    pub(crate) fn capacity(&self) -> usize {
        self.state.lock().wheel.capacity()
    }
}

/// What [`Shard::advance`] left in the shard.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Advanced {
    /// The earliest deadline still pending.
    pub(crate) next: Option<u64>,
    /// If the limit stopped it short of `now`: the deadline of the tasks it
    /// left due (no task left is due earlier).
    pub(crate) stopped_at: Option<u64>,
    /// Whether nothing is pending.
    pub(crate) empty: bool,
    /// Whether nothing is pending and the memory of a burst is still held,
    /// for [`Shard::give_back_memory`].
    pub(crate) drained: bool,
}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::sync::Parker;

    fn shard() -> Shard<u64> {
        let clock = Clock::new(Instant::now(), Duration::from_millis(1));
        let wakeup = Arc::new(Wakeup::new(Parker::new().unparker()));
        Shard::new(clock, wakeup, Arc::new(PanicLog::default()))
    }

    #[test]
    fn taking_due_tasks_keeps_the_memory_and_giving_it_back_frees_it() {
        let shard = shard();
        let count = 3 * SHRINK_ABOVE as u64;
        for deadline in 0..count {
            shard.insert(deadline, deadline).unwrap();
        }
        let grown = shard.capacity();
        assert!(grown >= count as usize);

        let mut due = Vec::new();
        let left = shard.advance(count, usize::MAX, &mut due, |_| {});
        assert_eq!(due.len(), count as usize);
        assert!(left.empty && left.drained && left.next.is_none());
        // Whoever took the tasks is about to run them: no freeing here.
        assert_eq!(shard.capacity(), grown);

        shard.give_back_memory();
        assert_eq!(shard.capacity(), 0);
        // Nothing left to give back, and the shard works on.
        let left = shard.advance(count, usize::MAX, &mut due, |_| {});
        assert!(left.empty && !left.drained);
        shard.insert(count + 1, 1).unwrap();
        assert_eq!(shard.len(), 1);
    }

    #[test]
    fn a_small_or_busy_shard_keeps_its_memory() {
        let shard = shard();
        for deadline in 0..10 {
            shard.insert(deadline, deadline).unwrap();
        }
        let mut due = Vec::new();
        assert!(!shard.advance(100, usize::MAX, &mut due, |_| {}).drained);
        let small = shard.capacity();
        shard.give_back_memory();
        assert_eq!(
            shard.capacity(),
            small,
            "a few thousand slots are kept for reuse"
        );

        for deadline in 0..2 * SHRINK_ABOVE as u64 {
            shard.insert(200 + deadline, deadline).unwrap();
        }
        let grown = shard.capacity();
        shard.give_back_memory();
        assert_eq!(
            shard.capacity(),
            grown,
            "nothing is freed while tasks are pending"
        );
    }
}
