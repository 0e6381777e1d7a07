//! The one driver thread of a group: advance every shard's wheel to now,
//! take the due tasks as one batch in deadline order, hand the batch on, and
//! park until the next occupied slot or until woken. It never polls.
//!
//! Tasks are filed in one of several [`Shard`]s (one wheel and one lock
//! each) so that threads scheduling at once do not contend on a lock.
//!
//! **Wake-ups.** The driver publishes the tick it will sleep until in
//! [`DriverLink::parked_until`]; a schedule earlier than that unparks it.
//! Before it scans the shards, the driver raises `parked_until` to
//! [`SCANNING`], so any schedule that races with the scan unparks it too;
//! the parker keeps one token, so an unpark that arrives before the park
//! makes the park return at once. No wake-up can be lost, and the only
//! spurious ones are for schedules that overlap a scan.

use std::time::Instant;

use crate::clock::Clock;
use crate::sync::{Arc, AtomicU64, AtomicUsize, Mutex, Ordering, Parker, Unparker};
use crate::wheel::{Key, Wheel};

/// The driver is awake and will scan the shards before it parks again.
const AWAKE: u64 = 0;
/// The driver is scanning (or about to): every schedule must unpark it.
const SCANNING: u64 = u64::MAX;

/// What schedulers need in order to talk to the driver.
#[derive(Debug)]
pub(crate) struct DriverLink {
    pub(crate) clock: Clock,
    /// The tick the driver sleeps until, [`AWAKE`] or [`SCANNING`].
    parked_until: AtomicU64,
    unparker: Unparker,
    /// Threads waiting for the owner to go idle. Only then does a removal
    /// that empties a shard need to wake the driver (to tell them).
    idle_waiters: AtomicUsize,
}

impl DriverLink {
    pub(crate) fn new(clock: Clock, unparker: Unparker) -> Self {
        DriverLink {
            clock,
            parked_until: AtomicU64::new(AWAKE),
            unparker,
            idle_waiters: AtomicUsize::new(0),
        }
    }

    /// Registers a thread about to wait for idleness; must come before it
    /// looks at the shards. The shard lock orders that look against every
    /// removal, so a removal it misses sees this count.
    pub(crate) fn add_idle_waiter(&self) {
        self.idle_waiters.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn remove_idle_waiter(&self) {
        self.idle_waiters.fetch_sub(1, Ordering::SeqCst);
    }

    /// Wakes the driver now (to shut down, or to notice a change).
    pub(crate) fn wake(&self) {
        self.unparker.unpark();
    }

    /// Wakes the driver if it sleeps past `deadline`. SeqCst pairs with the
    /// store of [`SCANNING`] in [`drive`]: if this load misses that store,
    /// the driver's scan comes after our insert and sees it.
    #[inline]
    fn wake_if_before(&self, deadline: u64) {
        if deadline < self.parked_until.load(Ordering::SeqCst) {
            self.unparker.unpark();
        }
    }
}

/// One wheel and its lock.
#[derive(Debug)]
pub(crate) struct Shard<T> {
    state: Mutex<ShardState<T>>,
    link: Arc<DriverLink>,
}

#[derive(Debug)]
struct ShardState<T> {
    wheel: Wheel<T>,
    /// Bumped on every insert and removal, so that an observer can tell
    /// that a shard it saw empty twice stayed empty in between.
    version: u64,
    /// Set once when the owner stops: later inserts are refused.
    closed: bool,
    /// Tasks taken out by `remove` (cancelled), for statistics.
    removed: u64,
}

/// Below this many slab slots an empty wheel keeps its memory for reuse.
const SHRINK_ABOVE: usize = 4096;

impl<T> Shard<T> {
    pub(crate) fn new(link: Arc<DriverLink>) -> Self {
        Shard {
            state: Mutex::new(ShardState {
                wheel: Wheel::new(),
                version: 0,
                closed: false,
                removed: 0,
            }),
            link,
        }
    }

    pub(crate) fn link(&self) -> &DriverLink {
        &self.link
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
        self.link.wake_if_before(deadline);
        Ok(key)
    }

    /// Takes a pending task out. If that empties the shard while someone
    /// waits for idleness, the driver is woken to tell the owner. (Without
    /// a waiter, a cancel costs no wake-up at all.)
    pub(crate) fn remove(&self, key: Key) -> Option<T> {
        let mut state = self.state.lock();
        let task = state.wheel.remove(key)?;
        state.version += 1;
        state.removed += 1;
        if state.wheel.is_empty() && self.link.idle_waiters.load(Ordering::SeqCst) > 0 {
            self.link.wake();
        }
        Some(task)
    }

    /// Moves a pending task; `false` if the key is stale.
    pub(crate) fn reset(&self, key: Key, deadline: u64) -> bool {
        let mut state = self.state.lock();
        let moved = state.wheel.reset(key, deadline);
        if moved {
            self.link.wake_if_before(deadline);
        }
        moved
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

/// What the driver needs from the group that owns it.
pub(crate) trait Host: Send + Sync + 'static {
    type Task: Send;

    fn shards(&self) -> &[Arc<Shard<Self::Task>>];
    fn link(&self) -> &DriverLink;
    /// Whether the driver must exit.
    fn shutting_down(&self) -> bool;
    /// `count` tasks left a wheel to run; called under that shard's lock.
    fn fired(&self, count: usize);
    /// The deadline given to [`drive`] has passed.
    fn deadline_passed(&self);
    /// A scan found every shard empty and fired nothing.
    fn all_empty(&self);
    /// Run the batch of `(deadline, task)`, in that order (no lock held).
    /// Must leave it empty.
    fn dispatch(this: &Arc<Self>, batch: &mut Vec<(u64, Self::Task)>);
}

/// Most tasks the driver takes out of the wheels before handing them to the
/// workers. A burst of a million tasks due at once is handed over in parts:
/// the first ones run while the driver is still taking out the rest, and
/// the batch buffer and the pool's queue stay small instead of growing (and
/// faulting in) tens of megabytes first.
const BATCH_LIMIT: usize = 16384;

/// The driver thread's body; returns once the host is shutting down.
pub(crate) fn drive<H: Host>(host: &Arc<H>, parker: Parker, mut stop_at: Option<u64>) {
    let link = host.link();
    let mut due: Vec<(u64, H::Task)> = Vec::new();
    loop {
        if host.shutting_down() {
            return;
        }
        link.parked_until.store(SCANNING, Ordering::SeqCst);
        let now = link.clock.tick_floor(link.clock.now());
        if stop_at.is_some_and(|stop| stop <= now) {
            stop_at = None;
            host.deadline_passed();
        }
        let (tasks_next, all_empty) = take_due(&**host, now, BATCH_LIMIT, &mut due);
        let next = earliest(stop_at, tasks_next);
        if !due.is_empty() {
            link.parked_until.store(AWAKE, Ordering::SeqCst);
            H::dispatch(host, &mut due);
            // Time passed while dispatching: look again before parking.
            continue;
        }
        if all_empty {
            host.all_empty();
        }
        // Tick 0 is always due already, and AWAKE must not be a deadline.
        let next = next.unwrap_or(SCANNING).max(1);
        link.parked_until.store(next, Ordering::SeqCst);
        parker.park(deadline_of(&link.clock, next));
    }
}

/// Moves the tasks due at `now`, from every shard, up to `limit` of them,
/// into `due` in deadline order (each shard hands over in order; a stable
/// sort merges the runs of several), counting them as fired under each
/// shard's lock. Returns the earliest pending deadline left and whether
/// every shard is now empty. If the limit stopped it, tasks are still due
/// (the deadline returned is not after `now`); a later call takes them.
pub(crate) fn take_due<H: Host + ?Sized>(
    host: &H,
    now: u64,
    limit: usize,
    due: &mut Vec<(u64, H::Task)>,
) -> (Option<u64>, bool) {
    let mut next = None;
    let mut all_empty = true;
    let mut shards_that_fired = 0;
    for shard in host.shards() {
        let before = due.len();
        let room = limit.saturating_sub(before);
        if room == 0 {
            // The other shards were not looked at: they may hold anything.
            return (Some(now), false);
        }
        let (shard_next, empty) = shard.advance(now, room, due, |count| host.fired(count));
        shards_that_fired += usize::from(due.len() > before);
        next = earliest(next, shard_next);
        all_empty &= empty;
    }
    if shards_that_fired > 1 {
        due.sort_by_key(|&(deadline, _)| deadline);
    }
    (next, all_empty)
}

/// The earlier of two optional ticks.
pub(crate) fn earliest(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// When to wake for tick `next`; `None` (never) for ticks out of reach.
fn deadline_of(clock: &Clock, next: u64) -> Option<Instant> {
    // Under a manual clock, whoever advances it runs what is due.
    if next == SCANNING || clock.is_manual() {
        None
    } else {
        clock.instant_of(next)
    }
}
