//! `Wait`: `Group::wait` as a future, woken by the group's own signalling.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::shared::Shared;
use crate::error::Error;
use crate::pool;
use crate::sync::Arc;

/// A future that completes once its group is idle, with what
/// [`Group::wait`](crate::Group::wait) would return; from
/// [`Group::wait_async`](crate::Group::wait_async).
///
/// It needs no runtime and blocks no thread: the group's driver and
/// workers wake it when the group may have become idle, so it works under
/// tokio, `futures::executor::block_on` or a hand-written executor.
/// Dropping it before it completes is always fine.
///
/// ```
/// use std::time::Duration;
/// let group = schedgroup::Group::new();
/// group.delay(Duration::from_millis(5), || {});
/// assert_eq!(futures::executor::block_on(group.wait_async()), Ok(()));
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Wait {
    shared: Arc<Shared>,
    state: State,
}

enum State {
    /// Not polled yet: not counted as a waiter.
    Fresh,
    /// Counted as a waiter; `id` names its registered waker, if any.
    Waiting {
        id: Option<u64>,
        /// Polled from inside one of the group's own tasks: it excuses
        /// itself (see [`Group::wait`](crate::Group::wait)).
        in_task: bool,
    },
    /// Completed with this outcome (polling again returns it again).
    Done(Result<(), Error>),
}

impl Wait {
    pub(crate) fn new(shared: Arc<Shared>) -> Wait {
        Wait {
            shared,
            state: State::Fresh,
        }
    }

    /// Stops counting as a waiter.
    fn leave(&mut self, outcome: Option<Result<(), Error>>) {
        let state = match outcome {
            Some(outcome) => State::Done(outcome),
            None => State::Fresh,
        };
        if let State::Waiting { id, in_task } = std::mem::replace(&mut self.state, state) {
            if let Some(id) = id {
                self.shared.forget_waker(id);
            }
            self.shared.remove_idle_waiter();
            if in_task {
                self.shared.end_task_wait();
            }
        }
    }
}

impl Future for Wait {
    type Output = Result<(), Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let State::Fresh = this.state {
            // Counted before the first look, so that a removal that empties
            // the group after it wakes the driver to tell us.
            this.shared.add_idle_waiter();
            let in_task = pool::runs_task_of(&*this.shared);
            if in_task {
                Shared::begin_task_wait(&this.shared);
            }
            this.state = State::Waiting { id: None, in_task };
        }
        let outcome = match &mut this.state {
            State::Done(outcome) => return Poll::Ready(outcome.clone()),
            State::Waiting { id, in_task } => this.shared.poll_idle(id, *in_task, cx.waker()),
            State::Fresh => unreachable!("registered just above"),
        };
        match outcome {
            Some(outcome) => {
                this.leave(Some(outcome.clone()));
                Poll::Ready(outcome)
            }
            None => Poll::Pending,
        }
    }
}

impl Drop for Wait {
    fn drop(&mut self) {
        self.leave(None);
    }
}

impl fmt::Debug for Wait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Fresh => "not polled",
            State::Waiting { .. } => "waiting",
            State::Done(_) => "done",
        };
        f.debug_struct("Wait").field("state", &state).finish()
    }
}
