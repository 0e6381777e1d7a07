//! The one switch between the real primitives and loom's.
//!
//! Everything that blocks, counts across threads or spawns a thread comes
//! from here: parking_lot's `Mutex`/`Condvar` and std's atomics, `Arc` and
//! threads normally; loom's under the `loom` feature, so the models in
//! `loom-tests/` explore every interleaving of the real scheduler code.
//! Both sides expose the same small API (parking_lot's shape: `lock()`
//! without poisoning, condvar waits on `&mut guard`).

use std::time::Instant;

pub(crate) use imp::*;

#[cfg(not(feature = "loom"))]
mod imp {
    use std::time::Instant;

    pub(crate) use parking_lot::MutexGuard;
    pub(crate) use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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

    /// Runs `f` with the lock released, then takes it back.
    pub(crate) fn unlocked<T, R>(guard: &mut MutexGuard<'_, T>, f: impl FnOnce() -> R) -> R {
        MutexGuard::unlocked(guard, f)
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

        /// Returns `true` if the deadline passed without a notification.
        pub(crate) fn wait_until<T>(
            &self,
            guard: &mut MutexGuard<'_, T>,
            deadline: Instant,
        ) -> bool {
            self.0.wait_until(guard, deadline).timed_out()
        }

        pub(crate) fn notify_one(&self) {
            self.0.notify_one();
        }

        pub(crate) fn notify_all(&self) {
            self.0.notify_all();
        }
    }
}

#[cfg(feature = "loom")]
mod imp {
    use std::ops::{Deref, DerefMut};
    use std::time::Instant;

    pub(crate) use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    pub(crate) use loom::sync::Arc;
    pub(crate) use loom::thread;
    pub(crate) use loom::thread_local;

    #[derive(Debug, Default)]
    pub(crate) struct Mutex<T>(loom::sync::Mutex<T>);

    /// loom's condvar takes the guard by value; holding it in an `Option`
    /// lets the wrappers below keep parking_lot's `&mut guard` shape.
    pub(crate) struct MutexGuard<'a, T> {
        mutex: &'a Mutex<T>,
        inner: Option<loom::sync::MutexGuard<'a, T>>,
    }

    impl<T> Mutex<T> {
        pub(crate) fn new(value: T) -> Self {
            Mutex(loom::sync::Mutex::new(value))
        }

        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            MutexGuard {
                mutex: self,
                inner: Some(self.0.lock().unwrap_or_else(|e| e.into_inner())),
            }
        }
    }

    /// Runs `f` with the lock released, then takes it back.
    pub(crate) fn unlocked<T, R>(guard: &mut MutexGuard<'_, T>, f: impl FnOnce() -> R) -> R {
        drop(guard.inner.take());
        let result = f();
        guard.inner = Some(guard.mutex.0.lock().unwrap_or_else(|e| e.into_inner()));
        result
    }

    impl<T> Deref for MutexGuard<'_, T> {
        type Target = T;
        fn deref(&self) -> &T {
            self.inner.as_ref().expect("guard present outside a wait")
        }
    }

    impl<T> DerefMut for MutexGuard<'_, T> {
        fn deref_mut(&mut self) -> &mut T {
            self.inner.as_mut().expect("guard present outside a wait")
        }
    }

    #[derive(Debug, Default)]
    pub(crate) struct Condvar(loom::sync::Condvar);

    impl Condvar {
        pub(crate) fn new() -> Self {
            Condvar(loom::sync::Condvar::new())
        }

        pub(crate) fn wait<T>(&self, guard: &mut MutexGuard<'_, T>) {
            let inner = guard.inner.take().expect("guard present");
            guard.inner = Some(self.0.wait(inner).unwrap_or_else(|e| e.into_inner()));
        }

        /// loom does not model time: a timed wait is a plain wait, so every
        /// model must end each wait with a notification (as the real code
        /// must, to be correct without relying on timeouts).
        pub(crate) fn wait_until<T>(
            &self,
            guard: &mut MutexGuard<'_, T>,
            _deadline: Instant,
        ) -> bool {
            self.wait(guard);
            false
        }

        pub(crate) fn notify_one(&self) {
            self.0.notify_one();
        }

        pub(crate) fn notify_all(&self) {
            self.0.notify_all();
        }
    }
}

/// Waits for a notification, or until `deadline` if there is one. Returns
/// `true` if it timed out.
pub(crate) fn wait_until_or_forever<T>(
    condvar: &Condvar,
    guard: &mut MutexGuard<'_, T>,
    deadline: Option<Instant>,
) -> bool {
    match deadline {
        Some(deadline) => condvar.wait_until(guard, deadline),
        None => {
            condvar.wait(guard);
            false
        }
    }
}
