//! The real primitives: parking_lot's `Mutex`/`Condvar`, crossbeam's
//! parker, std's atomics, `Arc` and threads.

use std::time::Instant;

pub(crate) use parking_lot::MutexGuard;
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
pub(crate) use std::sync::Arc;
pub(crate) use std::thread;
pub(crate) use std::thread_local;

#[derive(Debug, Default)]
pub(crate) struct Mutex<T>(parking_lot::Mutex<T>);

impl<T> Mutex<T> {
    pub(crate) fn new(value: T) -> Self {
        Mutex(parking_lot::Mutex::new(value))
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        self.0.lock()
    }
}

/// A one-token parker: an `unpark` before `park` makes the next park
/// return at once, so a wake-up can never be lost between deciding to
/// park and parking.
#[derive(Debug, Default)]
pub(crate) struct Parker(crossbeam_utils::sync::Parker);

#[derive(Clone, Debug)]
pub(crate) struct Unparker(crossbeam_utils::sync::Unparker);

impl Parker {
    pub(crate) fn new() -> Parker {
        Parker(crossbeam_utils::sync::Parker::new())
    }

    pub(crate) fn unparker(&self) -> Unparker {
        Unparker(self.0.unparker().clone())
    }

    /// Parks until unparked or until `deadline` (forever if `None`).
    pub(crate) fn park(&self, deadline: Option<Instant>) {
        match deadline {
            Some(deadline) => self.0.park_deadline(deadline),
            None => self.0.park(),
        }
    }
}

impl Unparker {
    pub(crate) fn unpark(&self) {
        self.0.unpark();
    }
}

#[derive(Debug, Default)]
pub(crate) struct Condvar(parking_lot::Condvar);

impl Condvar {
    pub(crate) fn new() -> Self {
        Condvar(parking_lot::Condvar::new())
    }

    pub(crate) fn wait<T>(&self, guard: &mut MutexGuard<'_, T>) {
        self.0.wait(guard);
    }

    /// Waits for a notification, or until `deadline` if there is one
    /// (`None`: no deadline). Returns `true` if the deadline passed
    /// without a notification.
    pub(crate) fn wait_until<T>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        deadline: Option<Instant>,
    ) -> bool {
        match deadline {
            Some(deadline) => self.0.wait_until(guard, deadline).timed_out(),
            None => {
                self.0.wait(guard);
                false
            }
        }
    }

    pub(crate) fn notify_one(&self) {
        self.0.notify_one();
    }

    pub(crate) fn notify_all(&self) {
        self.0.notify_all();
    }
}

thread_local! {
    static THREAD_INDEX: std::cell::Cell<usize> = const { std::cell::Cell::new(usize::MAX) };
}

/// A small number fixed for the calling thread, handed out round-robin, so
/// that threads that start together get different numbers (and so different
/// shards).
#[inline]
pub(crate) fn thread_index() -> usize {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    THREAD_INDEX.with(|index| {
        if index.get() == usize::MAX {
            index.set(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        }
        index.get()
    })
}

/// Sets the calling thread's timer slack: how late the OS may end its
/// timed waits, to wake it together with other timers (Linux; 50 µs unless
/// set). A scheduler's thread waits until deadlines, so this bounds how
/// late it may wake for one. Elsewhere, and if the OS refuses, nothing
/// changes.
pub(crate) fn set_timer_slack(slack: std::time::Duration) {
    #[cfg(target_os = "linux")]
    {
        // Zero would mean "back to the default": the least is 1 ns.
        let nanos = u64::try_from(slack.as_nanos()).unwrap_or(u64::MAX).max(1);
        let _ = nix::sys::prctl::set_timerslack(nanos);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = slack;
}
