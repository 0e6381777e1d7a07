//! The asynchronous face of a group: waiting for it, sleeping on its
//! clock, and bounding a future's time, all without a runtime.

use std::future::{Future, IntoFuture};
use std::pin::pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use super::{Group, Sleep, Wait};
use crate::error::Error;
use crate::sync::Arc;

impl Group {
    /// [`wait`](Group::wait) as a future: it completes with what `wait()`
    /// would return, once the group is idle. It blocks no thread and needs
    /// no runtime (the group's own threads wake it), so it works under any
    /// executor. Awaited from inside one of the group's own tasks (on an
    /// executor that task blocks on), it excuses that task as `wait()`
    /// does.
    ///
    /// ```
    /// use std::time::Duration;
    /// let group = schedgroup::Group::new();
    /// group.delay(Duration::from_millis(5), || {});
    /// futures::executor::block_on(async {
    ///     assert_eq!(group.wait_async().await, Ok(()));
    /// });
    /// ```
    pub fn wait_async(&self) -> Wait {
        Wait::new(Arc::clone(&self.shared))
    }

    /// A future that completes once `delay` has passed on the group's
    /// clock; see [`Sleep`]. Dropping it early cancels its timer.
    ///
    /// ```
    /// use std::time::Duration;
    /// let group = schedgroup::Group::new();
    /// let sleep = group.sleep(Duration::from_secs(60));
    /// assert_eq!(group.len(), 1);
    /// drop(sleep);
    /// assert_eq!(group.len(), 0);
    /// ```
    pub fn sleep(&self, delay: Duration) -> Sleep {
        let clock = self.shared.clock();
        Sleep::new(&self.shared, clock.deadline_after(clock.now(), delay))
    }

    /// A future that completes at or after `deadline`; see [`Sleep`]. A
    /// deadline in the past completes as soon as the driver sees it.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let group = schedgroup::Group::new();
    /// let at = Instant::now() + Duration::from_millis(10);
    /// assert_eq!(futures::executor::block_on(group.sleep_until(at)), Ok(()));
    /// assert!(Instant::now() >= at);
    /// ```
    pub fn sleep_until(&self, deadline: Instant) -> Sleep {
        Sleep::new(&self.shared, self.shared.clock().deadline_at(deadline))
    }

    /// Runs `future` for at most `limit` on the group's clock: its output,
    /// or [`Error::TimedOut`] once the time is up (the future is then
    /// dropped, and never polled again). If the group stops first, the
    /// timeout can no longer fire: the result is then the stop's reason
    /// ([`Error::Canceled`] or [`Error::DeadlineExceeded`]) and the future
    /// is dropped too, rather than left to run unbounded.
    ///
    /// The timer is started by this call, not by the first poll. The
    /// returned future is `Send` when `future` is.
    ///
    /// ```
    /// use std::time::Duration;
    /// use schedgroup::{Error, Group};
    /// let group = Group::new();
    /// futures::executor::block_on(async {
    ///     let quick = group.timeout(Duration::from_secs(5), async { 7 });
    ///     assert_eq!(quick.await, Ok(7));
    ///     let never = group.timeout(Duration::from_millis(10), std::future::pending::<()>());
    ///     assert_eq!(never.await, Err(Error::TimedOut));
    /// });
    /// ```
    pub fn timeout<F: IntoFuture>(
        &self,
        limit: Duration,
        future: F,
    ) -> impl Future<Output = Result<F::Output, Error>> {
        let sleep = self.sleep(limit);
        let future = future.into_future();
        async move {
            let mut future = pin!(future);
            let mut sleep = sleep;
            std::future::poll_fn(move |cx| {
                if let Poll::Ready(output) = future.as_mut().poll(cx) {
                    return Poll::Ready(Ok(output));
                }
                match std::pin::Pin::new(&mut sleep).poll(cx) {
                    Poll::Ready(Ok(())) => Poll::Ready(Err(Error::TimedOut)),
                    Poll::Ready(Err(stopped)) => Poll::Ready(Err(stopped)),
                    Poll::Pending => Poll::Pending,
                }
            })
            .await
        }
    }
}
