//! `ManualClock`: time that moves only when a test says so.

use std::fmt;
use std::time::{Duration, Instant};

use super::shared::Shared;
use crate::clock::{Clock, ManualTime, Source};
use crate::queue::QueueShared;
use crate::sync::{Arc, Mutex};

/// What a manual clock drives: a group, or a queue.
pub(crate) trait Driven: Send + Sync {
    /// The earliest instant something is due (a lower bound).
    fn next_deadline(&self) -> Option<Instant>;
    /// Makes due whatever the clock's now has reached, and returns once it
    /// is done (a group's tasks have run; a queue's values are ready).
    /// Returns how many tasks or values it made due.
    fn run_due(&self) -> usize;
    /// Whether it is gone (its last handle was dropped).
    fn is_gone(&self) -> bool;
}

impl Driven for Arc<Shared> {
    fn next_deadline(&self) -> Option<Instant> {
        Shared::next_deadline(self)
    }

    fn run_due(&self) -> usize {
        Shared::run_due(self)
    }

    fn is_gone(&self) -> bool {
        self.is_shutting_down()
    }
}

impl<T: Send + 'static> Driven for Arc<QueueShared<T>> {
    fn next_deadline(&self) -> Option<Instant> {
        QueueShared::next_deadline(self)
    }

    fn run_due(&self) -> usize {
        QueueShared::take_expired(self, usize::MAX)
    }

    fn is_gone(&self) -> bool {
        self.is_shutting_down()
    }
}

/// A clock that moves only when [`advance`](ManualClock::advance)d, for
/// exact, sleep-free tests of code that schedules with a [`Group`].
///
/// Give it to [`Builder::clock`]; the group then measures `delay` from the
/// manual now, and tasks run when `advance` reaches their deadline, never
/// because real time passed. Clones share the same time, so one clock can
/// drive several groups.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
/// use schedgroup::{Group, ManualClock};
///
/// let clock = ManualClock::new();
/// let group = Group::builder().clock(clock.clone()).build();
/// let log = Arc::new(Mutex::new(Vec::new()));
/// for (name, secs) in [("b", 20), ("a", 10), ("c", 30)] {
///     let log = log.clone();
///     group.delay(Duration::from_secs(secs), move || log.lock().unwrap().push(name));
/// }
/// clock.advance(Duration::from_secs(25)); // runs "a" then "b", and returns after both
/// assert_eq!(*log.lock().unwrap(), ["a", "b"]);
/// assert_eq!(group.len(), 1);
/// ```
///
/// [`Group`]: crate::Group
/// [`Builder::clock`]: crate::Builder::clock
#[derive(Clone)]
pub struct ManualClock {
    time: ManualTime,
    /// Everything built on this clock (boxed: loom's `Arc` does not
    /// coerce to a trait object).
    driven: Arc<Mutex<Vec<Attached>>>,
}

/// One group or queue on a manual clock.
type Attached = Arc<Box<dyn Driven>>;

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock::new()
    }
}

impl ManualClock {
    /// A clock whose now is the real `Instant::now()` at creation; from then
    /// on it moves only by [`advance`](ManualClock::advance).
    ///
    /// ```
    /// let clock = schedgroup::ManualClock::new();
    /// let before = clock.now();
    /// std::thread::sleep(std::time::Duration::from_millis(2));
    /// assert_eq!(clock.now(), before);
    /// ```
    pub fn new() -> ManualClock {
        ManualClock {
            time: ManualTime::new(Instant::now()),
            driven: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// The clock's current time.
    ///
    /// ```
    /// use std::time::Duration;
    /// let clock = schedgroup::ManualClock::new();
    /// let start = clock.now();
    /// clock.advance(Duration::from_secs(3));
    /// assert_eq!(clock.now() - start, Duration::from_secs(3));
    /// ```
    pub fn now(&self) -> Instant {
        self.time.now()
    }

    /// Moves time forward by `by` and returns once every task of every
    /// group on this clock that is due at or before the new time has run,
    /// including tasks those tasks schedule within the span. Tasks run in
    /// deadline order: all tasks due at one instant finish before any task
    /// due later starts. (Tasks due at the same instant may run
    /// concurrently, up to each group's `max_concurrency`.)
    ///
    /// It waits for tasks to finish, so calling it from one of the tasks of
    /// a group on this clock would wait for itself: don't. A task that is
    /// waiting for its own group ([`Group::wait`](crate::Group::wait)) is not waited for: what
    /// it waits for may only become due at a later `advance`. A span past
    /// the end of time saturates.
    ///
    /// ```
    /// use std::time::Duration;
    /// let clock = schedgroup::ManualClock::new();
    /// let group = schedgroup::Group::builder().clock(clock.clone()).build();
    /// let sleep = group.sleep(Duration::from_millis(500));
    /// clock.advance(Duration::from_millis(499));
    /// assert_eq!(group.len(), 1);
    /// clock.advance(Duration::from_millis(1));
    /// assert_eq!(futures::executor::block_on(sleep), Ok(())); // already complete
    /// ```
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        let target = self.time.offset().saturating_add(by);
        // First whatever is due already (fired but not finished, or
        // scheduled in the past): it must see the time it was due at.
        self.run_due_everywhere();
        loop {
            let next = self
                .live()
                .iter()
                .filter_map(|driven| driven.next_deadline())
                .map(|instant| self.time.offset_of(instant))
                .min();
            let Some(next) = next.filter(|&next| next <= target) else {
                break;
            };
            let before = self.time.offset();
            self.time.move_to(next);
            let fired = self.run_due_everywhere();
            if next <= before && fired == 0 {
                // Time cannot move and nothing runs: what is left lies at
                // the end of representable time (say, `Duration::MAX`).
                break;
            }
        }
        self.time.move_to(target);
        self.run_due_everywhere();
    }

    /// Runs what is due now in every group and queue; returns how many
    /// tasks and values became due.
    fn run_due_everywhere(&self) -> usize {
        self.live().iter().map(|driven| driven.run_due()).sum()
    }

    /// The clock of a group or queue built on this one, with `tick`: its
    /// origin is this clock's now.
    pub(crate) fn clock_with_tick(&self, tick: Duration) -> Clock {
        Clock::with_source(Source::Manual(self.time.clone()), self.now(), tick)
    }

    pub(crate) fn attach(&self, group: &Arc<Shared>) {
        self.driven
            .lock()
            .push(Arc::new(Box::new(Arc::clone(group))));
    }

    pub(crate) fn attach_queue<T: Send + 'static>(&self, queue: &Arc<QueueShared<T>>) {
        self.driven
            .lock()
            .push(Arc::new(Box::new(Arc::clone(queue))));
    }

    /// What on this clock is still alive; forgets what was dropped.
    fn live(&self) -> Vec<Attached> {
        let mut driven = self.driven.lock();
        driven.retain(|driven| !driven.is_gone());
        driven.clone()
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManualClock")
            .field("now", &self.time.now())
            .finish()
    }
}
