//! What the wheel holds and the pool runs: one user closure, type-erased,
//! stored inline when it fits in a word.
//!
//! This is the crate's only `unsafe` module. It exists because of a
//! measurement: with `Box<dyn FnOnce()>`, a pending timer whose closure
//! captures one `Arc` cost 72 bytes (a 40-byte slab entry plus a 32-byte
//! malloc chunk for the box) and one allocation per schedule; storing
//! closures of at most one word inline brings that to the 40-byte entry
//! alone. Larger closures are boxed as before.

use std::marker::PhantomData;
use std::mem::{self, ManuallyDrop, MaybeUninit};
use std::ptr;

/// Storage for a closure of at most one pointer-sized, pointer-aligned word,
/// or for a pointer to a boxed larger closure.
type Slot = MaybeUninit<usize>;

/// How to run or drop the closure in a [`Slot`]; one static table per
/// closure type and storage kind.
struct VTable {
    /// Moves the closure out of the slot and calls it.
    call: unsafe fn(Slot),
    /// Drops the closure in the slot without calling it.
    drop: unsafe fn(Slot),
}

/// A scheduled closure. Dropping it drops the closure's captures.
pub(crate) struct Task {
    vtable: &'static VTable,
    slot: Slot,
    /// The closure is `Send` but maybe not `Sync`: keep `Task` `!Sync`.
    _not_sync: PhantomData<*mut ()>,
}

// SAFETY: `Task::new` only accepts `F: Send`, and a `Task` owns its closure
// exclusively (no method hands out a reference to it), so moving the task to
// another thread moves the closure, which `F: Send` allows.
unsafe impl Send for Task {}

impl Task {
    pub(crate) fn new<F: FnOnce() + Send + 'static>(f: F) -> Task {
        if fits_inline::<F>() {
            let mut slot = Slot::uninit();
            // SAFETY: `fits_inline` checked that `F` is no larger and no more
            // aligned than the slot, so the write is in bounds and aligned.
            unsafe { ptr::write(slot.as_mut_ptr().cast::<F>(), f) };
            Task {
                vtable: &Inline::<F>::VTABLE,
                slot,
                _not_sync: PhantomData,
            }
        } else {
            let boxed = Box::into_raw(Box::new(f));
            Task {
                vtable: &Boxed::<F>::VTABLE,
                slot: Slot::new(boxed as usize),
                _not_sync: PhantomData,
            }
        }
    }

    pub(crate) fn run(self) {
        // Not dropped here: `call` consumes the closure.
        let this = ManuallyDrop::new(self);
        // SAFETY: the slot holds a live closure of the type `vtable` was made
        // for (set up together in `new`), and `ManuallyDrop` guarantees it is
        // consumed exactly once: by this call, never again by `Drop`.
        unsafe { (this.vtable.call)(this.slot) }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        // SAFETY: as in `run`: the slot holds a live closure matching the
        // vtable, and a dropped task is never used again.
        unsafe { (self.vtable.drop)(self.slot) }
    }
}

impl std::fmt::Debug for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Task")
    }
}

const fn fits_inline<F>() -> bool {
    mem::size_of::<F>() <= mem::size_of::<Slot>() && mem::align_of::<F>() <= mem::align_of::<Slot>()
}

struct Inline<F>(PhantomData<F>);

impl<F: FnOnce()> Inline<F> {
    const VTABLE: VTable = VTable {
        call: Self::call,
        drop: Self::drop,
    };

    /// # Safety
    /// `slot` holds a live `F` written by `Task::new`, consumed only here.
    unsafe fn call(slot: Slot) {
        // SAFETY: per the contract, the bytes are a valid, owned `F`, inline
        // and aligned (checked by `fits_inline` when it was written).
        let f = unsafe { ptr::read(slot.as_ptr().cast::<F>()) };
        f();
    }

    /// # Safety
    /// As for `call`.
    unsafe fn drop(slot: Slot) {
        // SAFETY: as in `call`; reading it out transfers ownership to `f`,
        // which is dropped at the end of this statement.
        drop(unsafe { ptr::read(slot.as_ptr().cast::<F>()) });
    }
}

struct Boxed<F>(PhantomData<F>);

impl<F: FnOnce()> Boxed<F> {
    const VTABLE: VTable = VTable {
        call: Self::call,
        drop: Self::drop,
    };

    /// # Safety
    /// `slot` holds a pointer from `Box::<F>::into_raw`, consumed only here.
    unsafe fn call(slot: Slot) {
        // SAFETY: per the contract, the pointer came from `Box::into_raw`
        // and nothing else owns it any more.
        let f = unsafe { Box::from_raw(slot.assume_init() as *mut F) };
        f();
    }

    /// # Safety
    /// As for `call`.
    unsafe fn drop(slot: Slot) {
        // SAFETY: as in `call`.
        drop(unsafe { Box::from_raw(slot.assume_init() as *mut F) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// Counts its own drops.
    struct Tally(Arc<AtomicUsize>);

    impl Drop for Tally {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counters() -> (Arc<AtomicUsize>, Arc<AtomicUsize>) {
        (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)))
    }

    #[test]
    fn a_task_is_two_words() {
        assert_eq!(mem::size_of::<Task>(), 16);
        // The vtable reference is never null: Option<Task> costs nothing.
        assert_eq!(mem::size_of::<Option<Task>>(), 16);
    }

    #[test]
    fn inline_closure_runs_once_and_drops_its_captures_once() {
        let (runs, drops) = counters();
        let tally = Tally(drops.clone());
        let runs_in = runs.clone();
        // A `Tally` is one word (an Arc): stored inline.
        assert!(fits_inline::<Tally>());
        let task = Task::new(move || {
            let _keep = &tally;
            runs_in.fetch_add(1, Ordering::SeqCst);
        });
        assert_eq!(drops.load(Ordering::SeqCst), 0);
        task.run();
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn inline_closure_dropped_unrun_drops_captures_once() {
        let (_, drops) = counters();
        let tally = Tally(drops.clone());
        let task = Task::new(move || drop(tally));
        drop(task);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn boxed_closure_runs_once_and_drops_once() {
        let (runs, drops) = counters();
        let (a, b) = (Tally(drops.clone()), Tally(drops.clone()));
        let runs_in = runs.clone();
        let task = Task::new(move || {
            let _keep = (&a, &b);
            runs_in.fetch_add(1, Ordering::SeqCst);
        });
        task.run();
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(drops.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn boxed_closure_dropped_unrun_drops_captures_once() {
        let (_, drops) = counters();
        let big = [
            Tally(drops.clone()),
            Tally(drops.clone()),
            Tally(drops.clone()),
        ];
        drop(Task::new(move || drop(big)));
        assert_eq!(drops.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn zero_sized_and_over_aligned_closures_work() {
        let task = Task::new(|| {});
        task.run();
        #[repr(align(16))]
        struct Aligned(u8);
        assert!(!fits_inline::<Aligned>());
        let value = Aligned(7);
        let (runs, _) = counters();
        let runs_in = runs.clone();
        Task::new(move || {
            assert_eq!(value.0, 7);
            runs_in.fetch_add(1, Ordering::SeqCst);
        })
        .run();
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_panicking_closure_still_drops_its_captures() {
        let (_, drops) = counters();
        let tally = Tally(drops.clone());
        let task = Task::new(move || {
            let _keep = &tally;
            panic!("boom");
        });
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| task.run()));
        assert!(result.is_err());
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn inline_value_survives_moves_of_the_task() {
        let mut tasks = Vec::new();
        let (runs, _) = counters();
        for i in 0..1000usize {
            let runs = runs.clone();
            tasks.push(Task::new(move || {
                runs.fetch_add(i, Ordering::SeqCst);
            }));
        }
        // Growing the Vec moved every task at least once.
        for task in tasks {
            task.run();
        }
        assert_eq!(runs.load(Ordering::SeqCst), (0..1000).sum::<usize>());
    }
}
