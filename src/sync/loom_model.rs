//! loom's primitives, in the real ones' shape, for the models in
//! `loom-tests/`; every constructor checks that a loom model is running.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::time::Instant;

pub(crate) use loom::sync::atomic::Ordering;

/// Panics, with a message that says what went wrong, unless the caller
/// runs inside a loom model.
///
/// loom's primitives work only inside `loom::model`; outside one, they
/// panic with a message about loom's internals that does not say why a
/// program got them. loom has no API that asks whether a model is
/// running, so this asks the coroutine library loom runs every thread
/// of a model on (`generator`, the version loom depends on, so the same
/// crate instance): code outside a coroutine cannot be inside a model.
/// It is a thread-local read and adds no step to a model's executions.
/// The converse does not hold (another library's coroutine is not a
/// model), and then loom's own panic is what the caller sees. If loom
/// ever ran its threads on another coroutine library, this would panic
/// inside the models too: a loud failure of every model, never a
/// silent pass.
#[track_caller]
fn assert_in_model() {
    assert!(
        generator::is_generator(),
        "schedgroup was built with its `loom` feature, which swaps its threads, locks and \
         atomics for loom's; those work only inside a loom model (`loom::model`). The \
         feature is for model checking schedgroup itself and must never be enabled in a \
         dependency: build schedgroup without it."
    );
}

/// loom's `Arc`, whose constructor checks that it runs inside a model.
pub(crate) struct Arc<T: ?Sized>(loom::sync::Arc<T>);

impl<T> Arc<T> {
    #[track_caller]
    pub(crate) fn new(value: T) -> Arc<T> {
        assert_in_model();
        Arc(loom::sync::Arc::new(value))
    }
}

impl<T: ?Sized> Arc<T> {
    pub(crate) fn ptr_eq(this: &Arc<T>, other: &Arc<T>) -> bool {
        loom::sync::Arc::ptr_eq(&this.0, &other.0)
    }
}

impl<T: ?Sized> Clone for Arc<T> {
    fn clone(&self) -> Arc<T> {
        Arc(loom::sync::Arc::clone(&self.0))
    }
}

impl<T: ?Sized> Deref for Arc<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Arc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// loom's atomics, whose constructors check that they run inside a
/// model; every operation is loom's, through `Deref`.
macro_rules! checked_atomics {
    ($($name:ident($value:ty)),*) => {$(
        #[derive(Debug)]
        pub(crate) struct $name(loom::sync::atomic::$name);

        impl $name {
            #[track_caller]
            pub(crate) fn new(value: $value) -> $name {
                assert_in_model();
                $name(loom::sync::atomic::$name::new(value))
            }
        }

        impl Default for $name {
            #[track_caller]
            fn default() -> $name {
                $name::new(<$value>::default())
            }
        }

        impl Deref for $name {
            type Target = loom::sync::atomic::$name;
            fn deref(&self) -> &Self::Target {
                &self.0
            }
        }
    )*};
}
checked_atomics!(AtomicBool(bool), AtomicU64(u64), AtomicUsize(usize));

/// loom's threads, with std's default stack size.
pub(crate) mod thread {
    use std::io;

    pub(crate) use loom::thread::{current, JoinHandle};

    /// loom runs each thread on a coroutine whose stack it sizes at
    /// 32 KiB by default, where std gives a thread 2 MiB; an unoptimised
    /// build of the crate needs more than 32 KiB. loom hands this number
    /// to its coroutine library, which counts it in words (an even
    /// count keeps the stack's creation cheap).
    const STACK_WORDS: usize = (2 << 20) / std::mem::size_of::<usize>();

    /// `std::thread::Builder`'s shape, spawning loom threads.
    pub(crate) struct Builder(loom::thread::Builder);

    impl Builder {
        #[track_caller]
        pub(crate) fn new() -> Builder {
            super::assert_in_model();
            Builder(loom::thread::Builder::new().stack_size(STACK_WORDS))
        }

        pub(crate) fn name(self, name: String) -> Builder {
            Builder(self.0.name(name))
        }

        #[track_caller]
        pub(crate) fn spawn<F, T>(self, f: F) -> io::Result<JoinHandle<T>>
        where
            F: FnOnce() -> T + Send + 'static,
            T: Send + 'static,
        {
            self.0.spawn(f)
        }
    }
}

/// loom's `thread_local!` matches the initialiser as a plain `expr`,
/// which (in loom's edition) does not accept std's `const { .. }` form:
/// strip the `const` and hand the rest to loom. (A repetition, not a
/// recursion: the macro's own name is not in scope where it is used.)
macro_rules! loom_thread_local {
    ($($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = const { $init:expr };)*) => {
        $(loom::thread_local!($(#[$attr])* $vis static $name: $t = $init;);)*
    };
}
pub(crate) use loom_thread_local as thread_local;

#[derive(Debug)]
pub(crate) struct Mutex<T>(loom::sync::Mutex<T>);

/// loom's condvar takes the guard by value; holding it in an `Option`
/// lets the wrappers below keep parking_lot's `&mut guard` shape.
pub(crate) struct MutexGuard<'a, T> {
    inner: Option<loom::sync::MutexGuard<'a, T>>,
}

impl<T> Mutex<T> {
    #[track_caller]
    pub(crate) fn new(value: T) -> Self {
        assert_in_model();
        Mutex(loom::sync::Mutex::new(value))
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        MutexGuard {
            inner: Some(self.0.lock().unwrap_or_else(|e| e.into_inner())),
        }
    }
}

impl<T: Default> Default for Mutex<T> {
    #[track_caller]
    fn default() -> Self {
        Mutex::new(T::default())
    }
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

/// The same one-token parker, from a loom mutex and condvar.
#[derive(Debug)]
pub(crate) struct Parker(Arc<ParkerInner>);

#[derive(Clone, Debug)]
pub(crate) struct Unparker(Arc<ParkerInner>);

#[derive(Debug, Default)]
pub(crate) struct ParkerInner {
    token: Mutex<bool>,
    unparked: Condvar,
}

impl Parker {
    #[track_caller]
    pub(crate) fn new() -> Parker {
        Parker(Arc::new(ParkerInner::default()))
    }

    pub(crate) fn unparker(&self) -> Unparker {
        Unparker(Arc::clone(&self.0))
    }

    /// loom has no time: a park with a deadline waits for an unpark.
    pub(crate) fn park(&self, _deadline: Option<Instant>) {
        let mut token = self.0.token.lock();
        while !*token {
            self.0.unparked.wait(&mut token);
        }
        *token = false;
    }
}

impl Unparker {
    pub(crate) fn unpark(&self) {
        *self.0.token.lock() = true;
        self.0.unparked.notify_one();
    }
}

#[derive(Debug)]
pub(crate) struct Condvar(loom::sync::Condvar);

impl Condvar {
    #[track_caller]
    pub(crate) fn new() -> Self {
        assert_in_model();
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
        _deadline: Option<Instant>,
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

impl Default for Condvar {
    #[track_caller]
    fn default() -> Self {
        Condvar::new()
    }
}

/// Under loom: 0 for the model's own thread, 1 for every thread it spawns
/// (the driver, workers, helper threads). Two threads that schedule at once
/// thus file into different shards, as distinct threads almost always do
/// outside loom, so the models exercise the cross-shard logic.
///
/// loom numbers its threads 0, 1, 2, .. in spawn order within each
/// execution, and shows the number only in its thread id's `Debug` form.
/// Thread 0 is the model's main thread; the models in `loom-tests/` run their
/// body on thread 1, which has a roomier stack than loom gives thread 0, and
/// thread 0 only waits for it. Both count as the model's own thread.
///
/// It must depend on nothing but the loom thread: loom replays schedules and
/// needs every execution of a model to behave the same given the same
/// schedule; a process-wide counter would hand the same loom thread a
/// different shard in each execution ("Reached unexpected exploration state.
/// Is the model fully deterministic?").
pub(crate) fn thread_index() -> usize {
    let id = format!("{:?}", loom::thread::current().id());
    let number: usize = id
        .trim_start_matches("ThreadId(")
        .trim_end_matches(')')
        .parse()
        .expect("loom's ThreadId prints as ThreadId(n)");
    usize::from(number > 1)
}

/// loom has no time: there is no slack to set.
pub(crate) fn set_timer_slack(_slack: std::time::Duration) {}
