//! `Recv`: a queue's next expired value, as a future.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::shared::QueueShared;
use crate::sync::Arc;

/// A future that completes with the queue's next expired value; from
/// [`Queue::recv_async`](crate::Queue::recv_async).
///
/// It needs no runtime: the queue's driver wakes it when a value expires.
/// It is cancel-safe: dropping it before it completes loses no value (a
/// value it was woken for goes to the next receiver, whose waker is woken
/// in turn).
///
/// ```
/// use std::time::Duration;
/// let queue = schedgroup::Queue::new();
/// queue.insert(42, Duration::from_millis(1));
/// assert_eq!(futures::executor::block_on(queue.recv_async()), 42);
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Recv<'a, T> {
    shared: &'a Arc<QueueShared<T>>,
    /// The id its waker is registered under, while it is.
    id: Option<u64>,
}

impl<'a, T: Send + 'static> Recv<'a, T> {
    pub(crate) fn new(shared: &'a Arc<QueueShared<T>>) -> Self {
        Recv { shared, id: None }
    }
}

impl<T: Send + 'static> Future for Recv<'_, T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.get_mut();
        if let Some(value) = this.take() {
            return Poll::Ready(value);
        }
        QueueShared::take_expired(this.shared, usize::MAX);
        let mut ready = this.shared.ready();
        if let Some(value) = ready.values.pop_front() {
            drop(ready);
            this.forget();
            return Poll::Ready(value);
        }
        match this.id {
            Some(id) => match ready.wakers.iter_mut().find(|(other, _)| *other == id) {
                Some((_, waker)) => waker.clone_from(cx.waker()),
                None => ready.wakers.push_back((id, cx.waker().clone())),
            },
            None => {
                ready.next_waker += 1;
                let id = ready.next_waker;
                ready.wakers.push_back((id, cx.waker().clone()));
                this.id = Some(id);
            }
        }
        Poll::Pending
    }
}

impl<T> Recv<'_, T> {
    /// An expired value, if one is ready (without looking at the clock).
    fn take(&mut self) -> Option<T> {
        let value = self.shared.ready().values.pop_front()?;
        self.forget();
        Some(value)
    }

    /// Unregisters its waker. If it was woken (no longer registered) and a
    /// value is still waiting, another receiver's waker is woken in its
    /// place: a value is never left behind by a receiver that went away.
    fn forget(&mut self) {
        let Some(id) = self.id.take() else { return };
        let mut ready = self.shared.ready();
        let before = ready.wakers.len();
        ready.wakers.retain(|(other, _)| *other != id);
        let was_woken = ready.wakers.len() == before;
        let next = if was_woken && !ready.values.is_empty() {
            ready.wakers.pop_front().map(|(_, waker)| waker)
        } else {
            None
        };
        drop(ready);
        if let Some(waker) = next {
            waker.wake();
        }
    }
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        self.forget();
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recv")
            .field("registered", &self.id.is_some())
            .finish()
    }
}
