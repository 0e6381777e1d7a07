//! The value queues the `queue` group measures, behind one small trait:
//! schedgroup's `Queue<u64>` and tokio-util's `DelayQueue<u64>`.

use std::time::{Duration, Instant};

use schedgroup::{Queue, QueueKey};
use tokio_util::time::{delay_queue, DelayQueue};

/// What the single-threaded fixtures need from a value queue.
pub(crate) trait ValueQueue {
    type Key;
    fn build() -> Self;
    fn insert(&mut self, value: u64, delay: Duration) -> Self::Key;
    fn insert_at(&mut self, value: u64, deadline: Instant) -> Self::Key;
    fn remove(&mut self, key: &Self::Key) -> Option<u64>;
}

/// schedgroup's `Queue<u64>` (`&self` methods; the `&mut` is the trait's).
pub(crate) struct Sg(pub(crate) Queue<u64>);

impl ValueQueue for Sg {
    type Key = QueueKey;

    fn build() -> Self {
        Sg(Queue::new())
    }

    #[inline]
    fn insert(&mut self, value: u64, delay: Duration) -> QueueKey {
        self.0.insert(value, delay)
    }

    #[inline]
    fn insert_at(&mut self, value: u64, deadline: Instant) -> QueueKey {
        self.0.insert_at(value, deadline)
    }

    #[inline]
    fn remove(&mut self, key: &QueueKey) -> Option<u64> {
        self.0.remove(key)
    }
}

/// tokio-util's `DelayQueue<u64>`: single-threaded, no lock, never polled
/// here. Needs a runtime context with time enabled (entered in `main`).
pub(crate) struct Dq(pub(crate) DelayQueue<u64>);

impl ValueQueue for Dq {
    type Key = delay_queue::Key;

    fn build() -> Self {
        Dq(DelayQueue::new())
    }

    #[inline]
    fn insert(&mut self, value: u64, delay: Duration) -> delay_queue::Key {
        self.0.insert(value, delay)
    }

    #[inline]
    fn insert_at(&mut self, value: u64, deadline: Instant) -> delay_queue::Key {
        self.0
            .insert_at(value, tokio::time::Instant::from_std(deadline))
    }

    #[inline]
    fn remove(&mut self, key: &delay_queue::Key) -> Option<u64> {
        // `DelayQueue::remove` panics on a key that is not pending: every
        // key here is.
        Some(self.0.remove(key).into_inner())
    }
}
