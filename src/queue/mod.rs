//! `Queue<T>`: values that come back when their deadline passes, to any
//! thread or task that receives them.

mod builder;
mod recv;
mod shared;

use std::fmt;
use std::time::{Duration, Instant};

pub use builder::QueueBuilder;
pub use recv::Recv;
pub(crate) use shared::QueueShared;
use shared::RECEIVE_PART;

use crate::sync::Arc;
use crate::wheel::Key;

/// A delay queue: insert a value with a deadline, receive it back once the
/// deadline has passed. What tokio-util's `DelayQueue` is, without a
/// runtime: `Send + Sync` (for `T: Send`), every method takes `&self`, and
/// values come back to whichever thread calls [`recv`](Queue::recv) (or
/// task awaiting [`recv_async`](Queue::recv_async)), never on a thread of
/// the queue's own.
///
/// * `insert`, `remove`, `reset` are O(1) (a hierarchical timing wheel over
///   a slab, as [`Group`](crate::Group)'s); keys are generation-checked, so
///   a stale key never reaches another value.
/// * A value is never received before its deadline, and exactly once, by
///   one receiver; one receiver gets values in deadline order. A value
///   removed before it expired is never received.
/// * One driver thread per queue moves expired values to the receivers; it
///   sleeps until the next deadline and costs nothing while nothing is due.
/// * Dropping the last `Queue` drops every value in it.
///
/// ```
/// use std::time::Duration;
/// use schedgroup::Queue;
///
/// let queue = Queue::new();
/// let key = queue.insert("session 7", Duration::from_millis(20));
/// queue.insert("session 9", Duration::from_millis(10));
/// assert_eq!(queue.remove(&key), Some("session 7"));
/// assert_eq!(queue.recv(), "session 9"); // after 10 ms
/// assert!(queue.is_empty());
/// ```
pub struct Queue<T> {
    shared: Arc<QueueShared<T>>,
}

/// Names a value in a [`Queue`]. Cheap to copy; once its value expired or
/// was removed, the key is stale and every method answers it with `None` /
/// `false`, even after its slot was reused.
///
/// ```
/// use std::time::Duration;
/// let queue = schedgroup::Queue::new();
/// let key = queue.insert(1, Duration::from_secs(60));
/// assert_eq!(queue.remove(&key), Some(1));
/// assert_eq!(queue.remove(&key), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct QueueKey {
    shard: u32,
    key: Key,
}

impl Queue<()> {
    /// A [`QueueBuilder`] with the default settings; its
    /// [`build`](QueueBuilder::build) makes a queue of any value type.
    ///
    /// ```
    /// let clock = schedgroup::ManualClock::new();
    /// let queue: schedgroup::Queue<u32> = schedgroup::Queue::builder().clock(clock).build();
    /// # drop(queue);
    /// ```
    pub fn builder() -> QueueBuilder {
        QueueBuilder::default()
    }
}

impl<T: Send + 'static> Default for Queue<T> {
    fn default() -> Self {
        Queue::new()
    }
}

impl<T: Send + 'static> Queue<T> {
    /// An empty queue with the default settings (1 ms wheel slots, the
    /// real clock).
    ///
    /// ```
    /// let queue: schedgroup::Queue<u32> = schedgroup::Queue::new();
    /// assert!(queue.is_empty());
    /// ```
    pub fn new() -> Queue<T> {
        QueueBuilder::default().build()
    }

    /// Adds `value`, to come back once `delay` has passed on the queue's
    /// clock. Any delay is accepted: `Duration::MAX` means "after everything
    /// else" (in practice never). O(1).
    ///
    /// ```
    /// use std::time::Duration;
    /// let queue = schedgroup::Queue::new();
    /// queue.insert('a', Duration::ZERO);
    /// assert_eq!(queue.recv(), 'a');
    /// ```
    #[inline]
    pub fn insert(&self, value: T, delay: Duration) -> QueueKey {
        let clock = self.shared.clock();
        self.insert_tick(value, clock.deadline_after(clock.now(), delay))
    }

    /// Adds `value`, to come back at or after `deadline`; a deadline in the
    /// past comes back as soon as a receiver looks. O(1).
    ///
    /// ```
    /// use std::time::Instant;
    /// let queue = schedgroup::Queue::new();
    /// queue.insert_at("now", Instant::now());
    /// assert_eq!(queue.recv(), "now");
    /// ```
    #[inline]
    pub fn insert_at(&self, value: T, deadline: Instant) -> QueueKey {
        let tick = self.shared.clock().deadline_at(deadline);
        self.insert_tick(value, tick)
    }

    #[inline]
    fn insert_tick(&self, value: T, tick: u64) -> QueueKey {
        let (shard, wheel) = self.shared.shard();
        let key = match wheel.insert(tick, value) {
            Ok(key) => key,
            Err(_) => unreachable!("a queue's shards close only when its last handle is dropped"),
        };
        QueueShared::expire_if_reached(&self.shared, tick);
        QueueKey { shard, key }
    }

    /// Takes a value out before it expires. `None` if it already expired
    /// (it is then, or will be, received) or was removed. O(1).
    ///
    /// ```
    /// use std::time::Duration;
    /// let queue = schedgroup::Queue::new();
    /// let key = queue.insert(5, Duration::from_secs(1));
    /// assert_eq!(queue.remove(&key), Some(5));
    /// ```
    pub fn remove(&self, key: &QueueKey) -> Option<T> {
        self.shared.shard_numbered(key.shard)?.remove(key.key)
    }

    /// Moves a pending value to come back `delay` from now on the queue's
    /// clock; `false` if it already expired or was removed. O(1).
    ///
    /// ```
    /// use std::time::Duration;
    /// let queue = schedgroup::Queue::new();
    /// let key = queue.insert((), Duration::from_secs(1));
    /// assert!(queue.reset(&key, Duration::from_secs(60)));
    /// ```
    pub fn reset(&self, key: &QueueKey, delay: Duration) -> bool {
        let Some(shard) = self.shared.shard_numbered(key.shard) else {
            return false;
        };
        let clock = shard.clock();
        let tick = clock.deadline_after(clock.now(), delay);
        let moved = shard.reset(key.key, tick);
        QueueShared::expire_if_reached(&self.shared, tick);
        moved
    }

    /// Moves a pending value to come back at or after `deadline`; `false`
    /// if it already expired or was removed. O(1).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let queue = schedgroup::Queue::new();
    /// let key = queue.insert((), Duration::from_secs(60));
    /// assert!(queue.reset_at(&key, Instant::now()));
    /// queue.recv();
    /// ```
    pub fn reset_at(&self, key: &QueueKey, deadline: Instant) -> bool {
        let Some(shard) = self.shared.shard_numbered(key.shard) else {
            return false;
        };
        let tick = shard.clock().deadline_at(deadline);
        let moved = shard.reset(key.key, tick);
        QueueShared::expire_if_reached(&self.shared, tick);
        moved
    }

    /// When a pending value comes back (its deadline, rounded up to a whole
    /// microsecond); `None` once it expired or was removed.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let queue = schedgroup::Queue::new();
    /// let at = Instant::now() + Duration::from_secs(60);
    /// let key = queue.insert_at(0, at);
    /// assert!(queue.deadline(&key).unwrap() >= at);
    /// ```
    pub fn deadline(&self, key: &QueueKey) -> Option<Instant> {
        let shard = self.shared.shard_numbered(key.shard)?;
        shard.clock().instant_of(shard.deadline(key.key)?)
    }

    /// Blocks until a value has expired and returns it (the earliest
    /// expired one not yet received). Values come back in deadline order.
    ///
    /// ```
    /// use std::time::Duration;
    /// let queue = schedgroup::Queue::new();
    /// queue.insert(2, Duration::from_millis(2));
    /// queue.insert(1, Duration::from_millis(1));
    /// assert_eq!((queue.recv(), queue.recv()), (1, 2));
    /// ```
    pub fn recv(&self) -> T {
        self.recv_until(None)
            .expect("a receive without a deadline returns a value")
    }

    /// Like [`recv`](Queue::recv), but gives up after `timeout` (real time):
    /// `None` if no value expired meanwhile.
    ///
    /// ```
    /// use std::time::Duration;
    /// let queue = schedgroup::Queue::new();
    /// queue.insert((), Duration::from_secs(60));
    /// assert_eq!(queue.recv_timeout(Duration::from_millis(5)), None);
    /// ```
    pub fn recv_timeout(&self, timeout: Duration) -> Option<T> {
        // A value already there needs no clock read for the timeout.
        if let Some(value) = self.try_recv() {
            return Some(value);
        }
        self.recv_until(Instant::now().checked_add(timeout))
    }

    /// An already-expired value, if there is one; never blocks. It looks at
    /// the clock itself, so a value whose deadline has just passed comes
    /// back even if the driver has not woken for it yet.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let queue = schedgroup::Queue::new();
    /// queue.insert_at('x', Instant::now() - Duration::from_millis(1));
    /// queue.insert('y', Duration::from_secs(60));
    /// assert_eq!(queue.try_recv(), Some('x'));
    /// assert_eq!(queue.try_recv(), None);
    /// ```
    pub fn try_recv(&self) -> Option<T> {
        if let Some(value) = self.shared.ready().values.pop_front() {
            return Some(value);
        }
        QueueShared::take_expired(&self.shared, RECEIVE_PART);
        self.shared.ready().values.pop_front()
    }

    /// Blocks until a value is ready or `deadline` (real time) passes. A
    /// blocked receiver sleeps until the queue's next deadline itself and
    /// takes what expired then, so a value reaches it after one wake-up
    /// (its own), not two (the driver's, then its own); the driver only
    /// looks again a little later, in case this receiver is gone by then.
    fn recv_until(&self, deadline: Option<Instant>) -> Option<T> {
        loop {
            if let Some(value) = self.try_recv() {
                return Some(value);
            }
            let next = self.shared.next_deadline();
            let mut ready = self.shared.ready();
            if let Some(value) = ready.values.pop_front() {
                return Some(value);
            }
            let until = match (deadline, next.filter(|_| !self.shared.clock().is_manual())) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            ready.watchers += 1;
            let timed_out = self.shared.arrived().wait_until(&mut ready, until);
            ready.watchers -= 1;
            if let Some(value) = ready.values.pop_front() {
                return Some(value);
            }
            if timed_out && deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                drop(ready);
                return self.try_recv();
            }
        }
    }

    /// A future that completes with the next expired value; see [`Recv`].
    /// It works under any executor, and dropping it before it completes
    /// loses nothing.
    ///
    /// ```
    /// use std::time::Duration;
    /// let queue = schedgroup::Queue::new();
    /// queue.insert("later", Duration::from_millis(5));
    /// assert_eq!(futures::executor::block_on(queue.recv_async()), "later");
    /// ```
    pub fn recv_async(&self) -> Recv<'_, T> {
        Recv::new(&self.shared)
    }

    /// How many values the queue holds: pending, or expired and not yet
    /// received.
    ///
    /// ```
    /// use std::time::Duration;
    /// let queue = schedgroup::Queue::new();
    /// queue.insert(1, Duration::from_secs(60));
    /// queue.insert(2, Duration::ZERO);
    /// assert_eq!(queue.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.shared.pending() + self.shared.ready().values.len()
    }

    /// How many values the queue has memory for without allocating more:
    /// those pending and room for others. It grows with the pending count;
    /// once a burst has expired and been received, the queue's driver gives
    /// the memory back, down to a few thousand.
    ///
    /// ```
    /// use std::time::Duration;
    /// let queue = schedgroup::Queue::new();
    /// queue.insert((), Duration::from_secs(60));
    /// assert!(queue.capacity() >= 1);
    /// ```
    pub fn capacity(&self) -> usize {
        self.shared.capacity()
    }

    /// Whether the queue holds no value.
    ///
    /// ```
    /// assert!(schedgroup::Queue::<()>::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The queue's clock: `Instant::now()`, or a
    /// [`ManualClock`](crate::ManualClock)'s time for a queue built on one.
    ///
    /// ```
    /// let queue: schedgroup::Queue<()> = schedgroup::Queue::new();
    /// assert!(queue.now() <= std::time::Instant::now());
    /// ```
    pub fn now(&self) -> Instant {
        self.shared.clock().now()
    }
}

impl<T> Clone for Queue<T> {
    /// Another handle to the same queue.
    fn clone(&self) -> Queue<T> {
        self.shared.add_handle();
        Queue {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> Drop for Queue<T> {
    /// Dropping the last handle stops the queue's driver and drops every
    /// value in it, pending or expired (a value whose `Drop` panics does
    /// not make this panic).
    fn drop(&mut self) {
        self.shared.release_handle();
    }
}

impl<T> fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue")
            .field("pending", &self.shared.pending())
            .field("expired", &self.shared.ready().values.len())
            .finish()
    }
}
