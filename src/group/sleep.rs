//! `Sleep`: a future completed by the group's driver, usable from any
//! executor.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use std::time::Duration;

use super::{Group, TaskHandle};
use crate::sync::{Arc, AtomicBool, Mutex, Ordering};

/// A future that completes once its deadline has passed, returned by
/// [`Group::sleep`](crate::Group::sleep). It needs no runtime: the group's
/// driver fires it and wakes whichever waker polled it last, so it works
/// under tokio, `futures::executor::block_on` or a hand-written executor.
///
/// Dropping it before it completes cancels its timer, so abandoned sleeps
/// (a lost `select!` branch, say) do not stay pending.
///
/// If the group is cancelled or dropped first, the sleep never completes
/// (its timer was dropped with the group's other pending tasks); use
/// [`Sleep::is_orphaned`] or a `select!` on your own shutdown signal.
///
/// ```
/// use std::time::{Duration, Instant};
/// let group = schedgroup::Group::new();
/// let start = Instant::now();
/// futures::executor::block_on(group.sleep(Duration::from_millis(20)));
/// assert!(start.elapsed() >= Duration::from_millis(20));
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Sleep {
    state: Arc<SleepState>,
    timer: TaskHandle,
}

#[derive(Default)]
struct SleepState {
    fired: AtomicBool,
    /// The timer task was dropped without firing.
    orphaned: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

/// What the timer task captures (one word, so it is stored inline). If it
/// is dropped unfired, the group dropped it: the sleep is orphaned.
struct Fire(Arc<SleepState>);

impl Drop for Fire {
    fn drop(&mut self) {
        if !self.0.fired.load(Ordering::SeqCst) {
            self.0.orphaned.store(true, Ordering::SeqCst);
        }
    }
}

impl SleepState {
    /// Called by the timer task.
    fn fire(&self) {
        self.fired.store(true, Ordering::SeqCst);
        // Taken under the lock that `poll` registers under: either poll saw
        // `fired` (and will not wait), or its waker is here to be woken.
        let waker = self.waker.lock().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl Sleep {
    pub(crate) fn new(group: &Group, delay: Duration) -> Sleep {
        let state = Arc::new(SleepState::default());
        let fire = Fire(Arc::clone(&state));
        let timer = group.delay(delay, move || fire.0.fire());
        Sleep { state, timer }
    }

    /// Whether the sleep can no longer complete: its timer was dropped
    /// without firing because its group was cancelled or dropped.
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
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.state.fired.load(Ordering::SeqCst) {
            return Poll::Ready(());
        }
        let mut waker = self.state.waker.lock();
        // Checked again under the lock: `fire` sets the flag before it takes
        // the waker, so if it has not run yet it will find ours.
        if self.state.fired.load(Ordering::SeqCst) {
            return Poll::Ready(());
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
            self.timer.cancel();
        }
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("fired", &self.state.fired.load(Ordering::SeqCst))
            .finish()
    }
}
