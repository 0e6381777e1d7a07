//! The one driver thread of a group: advance the wheel to now, take every
//! due task as one batch, hand the batch on, and park until the next
//! occupied slot or until woken. It never polls.
//!
//! Wake-ups are decided under the same lock as the wheel: the driver records
//! the tick it parks until ([`Timers::parked_until`]) before it waits, and a
//! schedule that lands earlier notifies it. Because both happen under the
//! lock, and the condvar releases the lock atomically, no wake-up is lost.

use crate::clock::Clock;
use crate::sync::{unlocked, wait_until_or_forever, Arc, Condvar, Mutex, MutexGuard};
use crate::wheel::{Key, Wheel};

/// "Not parked": the driver is awake and will look at the wheel before it
/// parks again, so nobody needs to wake it.
const AWAKE: u64 = 0;
/// Parked with no deadline at all.
const FOREVER: u64 = u64::MAX;

/// The timing state the driver shares with schedulers, kept inside the
/// group's lock.
#[derive(Debug)]
pub(crate) struct Timers<T> {
    pub(crate) wheel: Wheel<T>,
    /// The tick the driver sleeps until, [`AWAKE`] or [`FOREVER`].
    parked_until: u64,
    /// The tick at which the owner's deadline passes, if it has one.
    stop_at: Option<u64>,
    /// Set once: the driver exits at its next look.
    shut_down: bool,
}

impl<T> Timers<T> {
    pub(crate) fn new(stop_at: Option<u64>) -> Self {
        Timers {
            wheel: Wheel::new(),
            parked_until: AWAKE,
            stop_at,
            shut_down: false,
        }
    }

    /// Files `task` for `deadline`; the `bool` says whether the driver must
    /// be notified because it sleeps past that deadline.
    pub(crate) fn insert(&mut self, deadline: u64, task: T) -> (Key, bool) {
        let key = self.wheel.insert(deadline, task);
        (key, self.must_wake_for(deadline))
    }

    /// Moves a pending task; `(moved, must_wake)`.
    pub(crate) fn reset(&mut self, key: Key, deadline: u64) -> (bool, bool) {
        let moved = self.wheel.reset(key, deadline);
        (moved, moved && self.must_wake_for(deadline))
    }

    /// Asks the driver to exit; the caller notifies it.
    pub(crate) fn shut_down(&mut self) {
        self.shut_down = true;
    }

    fn must_wake_for(&self, deadline: u64) -> bool {
        // A parked driver's deadline is never AWAKE (0), so `deadline < 0`
        // being impossible is exactly "awake: it will see the wheel anyway".
        // Equal ticks need no wake: the driver fires them when it wakes.
        deadline < self.parked_until
    }
}

/// What the driver needs from the group that owns it.
pub(crate) trait Host: Send + Sync + 'static {
    type State;
    type Task: Send;

    fn state(&self) -> &Mutex<Self::State>;
    fn timers(state: &mut Self::State) -> &mut Timers<Self::Task>;
    /// The condvar the driver parks on; schedulers notify it.
    fn driver_wake(&self) -> &Condvar;
    fn clock(&self) -> &Clock;
    /// Under the lock, before it is released: `count` tasks left the wheel
    /// to run, so that nobody sees them neither pending nor in flight.
    fn fired(&self, state: &mut Self::State, count: usize);
    /// Under the lock: the deadline given in `Timers::new` has passed.
    /// Returns whatever must be dropped outside the lock.
    fn deadline_passed(&self, state: &mut Self::State) -> Vec<Self::Task>;
    /// Outside the lock: run the batch. Must leave it empty.
    fn dispatch(this: &Arc<Self>, batch: &mut Vec<Self::Task>);
}

/// The driver thread's body; returns once the timers are shut down.
pub(crate) fn drive<H: Host>(host: &Arc<H>) {
    let mut batch = Vec::new();
    let mut state = host.state().lock();
    loop {
        let now = host.clock().tick_floor(host.clock().now());
        let timers = H::timers(&mut state);
        if timers.shut_down {
            return;
        }
        timers.parked_until = AWAKE;
        let mut garbage = Vec::new();
        if timers.stop_at.is_some_and(|stop| stop <= now) {
            timers.stop_at = None;
            garbage = host.deadline_passed(&mut state);
        }
        let timers = H::timers(&mut state);
        timers.wheel.advance(now, |_key, task| batch.push(task));
        if !batch.is_empty() || !garbage.is_empty() {
            host.fired(&mut state, batch.len());
            // Run and drop user code without the lock, then look again:
            // time has passed and tasks may have been scheduled meanwhile.
            unlocked(&mut state, || {
                H::dispatch(host, &mut batch);
                drop(garbage);
            });
            continue;
        }
        if timers.wheel.is_empty() && timers.wheel.capacity() > SHRINK_ABOVE {
            // A burst has drained: give its memory back.
            timers.wheel.shrink_to_fit();
        }
        park(&**host, &mut state);
    }
}

/// Below this many slab slots an empty wheel keeps its memory for reuse.
const SHRINK_ABOVE: usize = 4096;

/// Sleeps until the next occupied slot, the owner's deadline, or a notify.
fn park<H: Host>(host: &H, state: &mut MutexGuard<'_, H::State>) {
    let timers = H::timers(state);
    let next = match (timers.wheel.next_deadline(), timers.stop_at) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b).unwrap_or(FOREVER),
    };
    // Tick 0 can only be due already, and AWAKE must not be a park deadline.
    let next = next.max(1);
    timers.parked_until = next;
    let deadline = if next == FOREVER {
        None
    } else {
        host.clock().instant_of(next)
    };
    wait_until_or_forever(host.driver_wake(), state, deadline);
}
