//! `Sleep`: a future completed by the group's driver, usable from any
//! executor.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use super::shared::Shared;
use super::TaskHandle;
use crate::error::Error;
use crate::sync::{Arc, AtomicBool, Mutex, Ordering};
use crate::task::Task;

/// A future that completes once its deadline has passed, returned by
/// [`Group::sleep`](crate::Group::sleep) and
/// [`Group::sleep_until`](crate::Group::sleep_until). It needs no runtime:
/// the group's driver fires it and wakes whichever waker polled it last,
/// so it works under tokio, `futures::executor::block_on` or a
/// hand-written executor.
///
/// Its output is `Ok(())` at the deadline, or the reason the group stopped
/// first ([`Error::Canceled`] when it was canceled or dropped,
/// [`Error::DeadlineExceeded`] at the builder's deadline): a sleep always
/// completes, so a `select!` on it never hangs on a stopped group.
///
/// Dropping it before it completes cancels its timer, so abandoned sleeps
/// (a lost `select!` branch, say) do not stay pending.
///
/// ```
/// use std::time::{Duration, Instant};
/// let group = schedgroup::Group::new();
/// let start = Instant::now();
/// let slept = futures::executor::block_on(group.sleep(Duration::from_millis(20)));
/// assert_eq!(slept, Ok(()));
/// assert!(start.elapsed() >= Duration::from_millis(20));
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Sleep {
    state: Arc<SleepState>,
    timer: TaskHandle,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct SleepState {
    fired: AtomicBool,
    /// The timer task was dropped without firing: the group stopped.
    orphaned: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

/// What the timer task captures (one word, so it is stored inline). If it
/// is dropped unfired, the group dropped it: the sleep is orphaned, and
/// completes with the group's stop reason.
struct Fire(Arc<SleepState>);

impl Drop for Fire {
    fn drop(&mut self) {
        if !self.0.fired.load(Ordering::SeqCst) {
            self.0.orphaned.store(true, Ordering::SeqCst);
            self.0.wake();
        }
    }
}

impl SleepState {
    /// Called by the timer task.
    fn fire(&self) {
        self.fired.store(true, Ordering::SeqCst);
        self.wake();
    }

    /// Wakes the last poller. Taken under the lock that `poll` registers
    /// under: either poll saw the flag (and will not wait), or its waker is
    /// here to be woken.
    fn wake(&self) {
        let waker = self.waker.lock().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn outcome(&self, shared: &Shared) -> Option<Result<(), Error>> {
        if self.fired.load(Ordering::SeqCst) {
            Some(Ok(()))
        } else if self.orphaned.load(Ordering::SeqCst) {
            Some(Err(shared.stop_reason().unwrap_or(Error::Canceled)))
        } else {
            None
        }
    }
}

impl Sleep {
    /// A sleep until tick `tick` of the group's clock.
    pub(crate) fn new(shared: &Arc<Shared>, tick: u64) -> Sleep {
        let state = Arc::new(SleepState::default());
        let fire = Fire(Arc::clone(&state));
        let timer = shared.insert(tick, Task::new(move || fire.0.fire()));
        Sleep {
            state,
            timer,
            shared: Arc::clone(shared),
        }
    }

    /// When it completes, by the group's clock; `None` once it has.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let group = schedgroup::Group::new();
    /// let at = Instant::now() + Duration::from_secs(60);
    /// let sleep = group.sleep_until(at);
    /// assert!(sleep.deadline().unwrap() >= at);
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        self.timer.deadline()
    }

    /// Moves the deadline, earlier or later (one in the past completes the
    /// sleep at once); `false` if it already completed.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let group = schedgroup::Group::new();
    /// let mut sleep = group.sleep(Duration::from_secs(3600));
    /// assert!(sleep.reset(Instant::now()));
    /// assert_eq!(futures::executor::block_on(&mut sleep), Ok(()));
    /// assert!(!sleep.reset(Instant::now()));
    /// ```
    pub fn reset(&mut self, deadline: Instant) -> bool {
        self.timer.reset(deadline)
    }

    /// Whether the sleep can no longer reach its deadline: its group was
    /// canceled, hit its deadline or was dropped first (it then completes
    /// with that reason as its error).
    ///
    /// ```
    /// let group = schedgroup::Group::new();
    /// let sleep = group.sleep(std::time::Duration::from_secs(60));
    /// assert!(!sleep.is_orphaned());
    /// group.cancel();
    /// assert!(sleep.is_orphaned());
    /// ```
    pub fn is_orphaned(&self) -> bool {
        self.state.orphaned.load(Ordering::SeqCst)
    }
}

impl Future for Sleep {
    type Output = Result<(), Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(outcome) = self.state.outcome(&self.shared) {
            return Poll::Ready(outcome);
        }
        let mut waker = self.state.waker.lock();
        // Checked again under the lock: `fire` and the orphaning drop set
        // their flag before they take the waker, so if neither has run yet
        // it will find ours.
        if let Some(outcome) = self.state.outcome(&self.shared) {
            return Poll::Ready(outcome);
        }
        match &mut *waker {
            Some(registered) if registered.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if !self.state.fired.load(Ordering::SeqCst) {
            // Nobody polls a dropped sleep: its timer's drop must not wake
            // the task that polled it last.
            drop(self.state.waker.lock().take());
            self.timer.cancel();
        }
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("fired", &self.state.fired.load(Ordering::SeqCst))
            .field("orphaned", &self.state.orphaned.load(Ordering::SeqCst))
            .finish()
    }
}
