//! What the wheel holds and the pool runs: one user closure, type-erased,
//! stored inline when it fits in a word, in 12 bytes.
//!
//! This is the crate's only `unsafe` module. It exists because of two
//! measurements. With `Box<dyn FnOnce()>`, a pending timer whose closure
//! captures one `Arc` cost 72 bytes (a 40-byte slab entry plus a 32-byte
//! malloc chunk for the box) and one allocation per schedule; storing
//! closures of at most one word inline brought that to the 40-byte entry.
//! Then a task of two full words (vtable reference + closure word) was what
//! kept the entry at 40 bytes: the wheel's bookkeeping is 20 bytes, so a
//! 12-byte task makes the whole entry 32 bytes (4 MB less per 1M pending
//! timers, and an entry never straddles two cache lines). The vtable
//! reference is therefore stored as a 32-bit offset from a vtable in this
//! module. Larger closures are boxed; a closure whose vtable lies too far
//! away to be named by such an offset (possible only across dynamic
//! libraries) is boxed twice, behind the anchor vtable itself.

use std::marker::PhantomData;
use std::mem::{self, ManuallyDrop, MaybeUninit};
use std::num::NonZeroU32;
use std::ptr;

/// Bytes of a closure stored inline: one pointer-sized word.
const WORD: usize = mem::size_of::<usize>();

/// Storage for a closure of at most one word, or for the pointer to a boxed
/// closure. Only 4-byte aligned so that a [`Task`] packs into 12 bytes on
/// 64-bit targets; closures are therefore always moved in and out with
/// unaligned reads and writes.
#[derive(Clone, Copy)]
#[repr(C, align(4))]
struct Slot([MaybeUninit<u8>; WORD]);

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
    vtable: VTableOffset,
    slot: Slot,
    /// The closure is `Send` but maybe not `Sync`: keep `Task` `!Sync`.
    _not_sync: PhantomData<*mut ()>,
}

// SAFETY: `Task::new` only accepts `F: Send`, and a `Task` owns its closure
// exclusively (no method hands out a reference to it), so moving the task to
// another thread moves the closure, which `F: Send` allows.
unsafe impl Send for Task {}

impl Task {
    #[inline]
    pub(crate) fn new<F: FnOnce() + Send + 'static>(f: F) -> Task {
        if fits_inline::<F>() {
            if let Some(vtable) = VTableOffset::of(&Inline::<F>::VTABLE) {
                return Task::with(vtable, f);
            }
        } else if let Some(vtable) = VTableOffset::of(&Boxed::<F>::VTABLE) {
            return Task::with(vtable, Box::new(f));
        }
        Task::far(f)
    }

    /// A task for a closure whose vtable is out of reach of a 32-bit offset:
    /// it runs through the anchor's vtable, which is non-generic and thus
    /// always reachable (its offset is zero), at the price of a second box.
    fn far<F: FnOnce() + Send + 'static>(f: F) -> Task {
        let far: Box<dyn FnOnce() + Send> = Box::new(f);
        Task::with(VTableOffset::anchor(), Box::new(far))
    }

    /// A task whose slot holds `value`, which must be what `vtable`'s
    /// functions expect to find there.
    #[inline]
    fn with<V>(vtable: VTableOffset, value: V) -> Task {
        // A constant per `V`, so this compiles to nothing (a compile-time
        // `const` assertion would also fire for the closures `new` boxes,
        // whose inline branch is instantiated but never taken).
        assert!(mem::size_of::<V>() <= WORD);
        let mut slot = Slot([MaybeUninit::uninit(); WORD]);
        // SAFETY: `V` is at most `WORD` bytes (asserted above), so the
        // write stays inside the slot; it is unaligned because
        // the slot is only 4-byte aligned.
        unsafe { ptr::write_unaligned(slot.0.as_mut_ptr().cast::<V>(), value) };
        Task {
            vtable,
            slot,
            _not_sync: PhantomData,
        }
    }

    pub(crate) fn run(self) {
        // Not dropped here: `call` consumes the closure.
        let this = ManuallyDrop::new(self);
        // SAFETY: the slot holds a live value of the type `vtable` was made
        // for (set up together in `new`), and `ManuallyDrop` guarantees it is
        // consumed exactly once: by this call, never again by `Drop`.
        unsafe { (this.vtable.get().call)(this.slot) }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        // SAFETY: as in `run`: the slot holds a live value matching the
        // vtable, and a dropped task is never used again.
        unsafe { (self.vtable.get().drop)(self.slot) }
    }
}

impl std::fmt::Debug for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Task")
    }
}

/// A `&'static VTable` in 32 bits: its distance from [`ANCHOR`] in units of
/// the vtable alignment, biased by 2^31 so that zero never occurs (which
/// gives `Option<Task>` a niche).
#[derive(Clone, Copy)]
struct VTableOffset(NonZeroU32);

/// The vtable every offset is measured from: the one for a boxed
/// `Box<dyn FnOnce() + Send>`, the fallback for closures whose own vtable is
/// out of reach.
static ANCHOR: VTable = VTable {
    call: far_call,
    drop: far_drop,
};

const BIAS: i64 = 1 << 31;

impl VTableOffset {
    /// The anchor's own offset: zero, so always in reach.
    fn anchor() -> VTableOffset {
        // Through `of`, which also exposes the anchor's address for `get`.
        VTableOffset::of(&ANCHOR).expect("the anchor is at distance zero from itself")
    }

    /// The offset of `vtable`, or `None` if it lies more than 2^31 vtable
    /// alignments (16 GiB on 64-bit targets) from the anchor.
    #[inline]
    fn of(vtable: &'static VTable) -> Option<VTableOffset> {
        // The pointer-to-integer cast exposes the address, which lets `get`
        // rebuild a usable pointer from it (the exposed-provenance model; the
        // crate's MSRV predates `expose_provenance`). It costs nothing at
        // run time.
        Self::of_address(vtable as *const VTable as usize)
    }

    #[inline]
    fn of_address(address: usize) -> Option<VTableOffset> {
        let address = address as i64;
        let anchor = anchor_address() as i64;
        let align = mem::align_of::<VTable>() as i64;
        // Both are `VTable`s, so their distance is a multiple of the alignment.
        debug_assert_eq!((address - anchor) % align, 0);
        let biased = (address - anchor) / align + BIAS;
        let biased = u32::try_from(biased).ok()?;
        NonZeroU32::new(biased).map(VTableOffset)
    }

    fn get(self) -> &'static VTable {
        let units = i64::from(self.0.get()) - BIAS;
        let align = mem::align_of::<VTable>() as i64;
        let address = (anchor_address() as i64 + units * align) as usize;
        // SAFETY: every `VTableOffset` a task holds was built by `of` (via
        // `new`, `far` or `anchor`; `of_address` is otherwise called only by
        // tests that never turn its answer into a reference) from a
        // `&'static VTable` whose address it exposed, and offset, bias and
        // alignment round-trip exactly (the `try_from` rejected any that
        // would not), so this is that same reference. The integer-to-pointer
        // cast picks up the exposed provenance.
        unsafe { &*(address as *const VTable) }
    }
}

#[inline]
fn anchor_address() -> usize {
    ptr::addr_of!(ANCHOR) as usize
}

/// # Safety
/// `slot` holds a `Box<Box<dyn FnOnce() + Send>>` (as a raw pointer) written
/// by `Task::new`, consumed only here.
unsafe fn far_call(slot: Slot) {
    // SAFETY: per the contract, the value is an owned, boxed closure.
    let f = unsafe { ptr::read_unaligned(slot.0.as_ptr().cast::<Box<Box<dyn FnOnce() + Send>>>()) };
    (*f)();
}

/// # Safety
/// As for `far_call`.
unsafe fn far_drop(slot: Slot) {
    // SAFETY: as in `far_call`; reading it out transfers ownership.
    drop(unsafe { ptr::read_unaligned(slot.0.as_ptr().cast::<Box<Box<dyn FnOnce() + Send>>>()) });
}

const fn fits_inline<F>() -> bool {
    mem::size_of::<F>() <= WORD
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
        // SAFETY: per the contract, the bytes are a valid, owned `F`; the
        // read is unaligned because the slot is only 4-byte aligned.
        let f = unsafe { ptr::read_unaligned(slot.0.as_ptr().cast::<F>()) };
        f();
    }

    /// # Safety
    /// As for `call`.
    unsafe fn drop(slot: Slot) {
        // SAFETY: as in `call`; reading it out transfers ownership to `f`,
        // which is dropped at the end of this statement.
        drop(unsafe { ptr::read_unaligned(slot.0.as_ptr().cast::<F>()) });
    }
}

struct Boxed<F>(PhantomData<F>);

impl<F: FnOnce()> Boxed<F> {
    const VTABLE: VTable = VTable {
        call: Self::call,
        drop: Self::drop,
    };

    /// # Safety
    /// `slot` holds a `Box<F>` written by `Task::new`, consumed only here.
    unsafe fn call(slot: Slot) {
        // SAFETY: per the contract, the box is live and nothing else owns it.
        let f = unsafe { ptr::read_unaligned(slot.0.as_ptr().cast::<Box<F>>()) };
        f();
    }

    /// # Safety
    /// As for `call`.
    unsafe fn drop(slot: Slot) {
        // SAFETY: as in `call`.
        drop(unsafe { ptr::read_unaligned(slot.0.as_ptr().cast::<Box<F>>()) });
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
    fn a_task_is_one_word_and_a_half() {
        assert_eq!(mem::size_of::<Task>(), WORD + 4);
        assert_eq!(mem::align_of::<Task>(), 4);
        // The biased offset is never zero: Option<Task> costs nothing.
        assert_eq!(mem::size_of::<Option<Task>>(), WORD + 4);
    }

    #[test]
    fn vtable_offsets_round_trip_or_refuse() {
        fn round_trips(vtable: &'static VTable) -> bool {
            VTableOffset::of(vtable).is_some_and(|offset| ptr::eq(offset.get(), vtable))
        }
        assert!(round_trips(&ANCHOR));
        assert!(ptr::eq(VTableOffset::anchor().get(), &ANCHOR));
        assert!(round_trips(&Inline::<fn()>::VTABLE));
        fn boxed_vtable_of<F: FnOnce()>(_: &F) -> &'static VTable {
            &Boxed::<F>::VTABLE
        }
        let big = [1usize; 4];
        assert!(round_trips(boxed_vtable_of(&move || assert_eq!(big[3], 1))));
        // Addresses around the anchor: in reach up to 2^31 - 1 alignments
        // either way, refused beyond (on 64-bit targets, where that is less
        // than the address space).
        let anchor = anchor_address();
        let align = mem::align_of::<VTable>();
        let reach = ((1usize << 31) - 1).saturating_mul(align);
        for (distance, reachable) in [(reach, true), (reach + align, false)] {
            if let Some(above) = anchor.checked_add(distance) {
                assert_eq!(VTableOffset::of_address(above).is_some(), reachable);
            }
            if let Some(below) = anchor.checked_sub(distance) {
                assert_eq!(VTableOffset::of_address(below).is_some(), reachable);
            }
        }
    }

    #[test]
    fn far_closure_runs_once_and_drops_its_captures_once() {
        let (runs, drops) = counters();
        let tally = Tally(drops.clone());
        let runs_in = runs.clone();
        Task::far(move || {
            let _keep = &tally;
            runs_in.fetch_add(1, Ordering::SeqCst);
        })
        .run();
        assert_eq!(
            (runs.load(Ordering::SeqCst), drops.load(Ordering::SeqCst)),
            (1, 1)
        );
        let tally = Tally(drops.clone());
        drop(Task::far(move || drop(tally)));
        assert_eq!(drops.load(Ordering::SeqCst), 2);
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
