//! What the wheel holds and the pool runs: one user closure, type-erased,
//! in 12 bytes.
//!
//! A [`Task`] is a 32-bit reference to a static [`VTable`] and one word of
//! [`Payload`]: the closure itself when it fits in a word (a closure that
//! captures one `Arc`, say), otherwise the pointer to its box. Twelve bytes,
//! 4-byte aligned, is what keeps a wheel entry (20 bytes of bookkeeping plus
//! the task) at 32 bytes, and a one-word closure needs no allocation of its
//! own. How those figures were reached is in `docs/design/task.md`.
//!
//! This is the crate's only `unsafe` module. Its invariant: a task's payload
//! holds a live value of the type its vtable was made for, and that value is
//! consumed exactly once, by [`Task::run`] or by the task's drop. The vtable
//! reference is an offset from [`ANCHOR`] ([`VTableOffset`]); a closure whose
//! vtable lies out of reach of such an offset (possible only across dynamic
//! libraries far apart in memory) is boxed twice and runs through the
//! anchor's own vtable.

use std::marker::PhantomData;
use std::mem::{self, ManuallyDrop, MaybeUninit};
use std::num::NonZeroU32;
use std::ptr;

/// Bytes of a closure stored inline: one pointer-sized word.
const WORD: usize = mem::size_of::<usize>();

/// One word of storage for a task's value: a closure of at most one word,
/// or the pointer to a boxed closure. Only 4-byte aligned so that a [`Task`]
/// packs into 12 bytes on 64-bit targets; values are therefore always moved
/// in and out with unaligned reads and writes.
#[derive(Clone, Copy)]
#[repr(C, align(4))]
struct Payload([MaybeUninit<u8>; WORD]);

/// How to run or drop the value in a [`Payload`]; one static table per
/// closure type and storage kind.
struct VTable {
    /// Moves the value out of the payload and calls it.
    call: unsafe fn(Payload),
    /// Drops the value in the payload without calling it.
    drop: unsafe fn(Payload),
}

/// A scheduled closure. Dropping it drops the closure's captures.
pub(crate) struct Task {
    vtable: VTableOffset,
    payload: Payload,
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
                // SAFETY: `Inline::<F>`'s functions read an `F`, which `f` is.
                return unsafe { Task::with(vtable, f) };
            }
        } else if let Some(vtable) = VTableOffset::of(&Boxed::<F>::VTABLE) {
            // SAFETY: `Boxed::<F>`'s functions read a `Box<F>`, which this is.
            return unsafe { Task::with(vtable, Box::new(f)) };
        }
        Task::far(f)
    }

    /// A task for a closure whose vtable is out of reach of a 32-bit offset:
    /// it runs through the anchor's vtable, which is non-generic and thus
    /// always reachable (its offset is zero), at the price of a second box.
    fn far<F: FnOnce() + Send + 'static>(f: F) -> Task {
        let far: Box<dyn FnOnce() + Send> = Box::new(f);
        // SAFETY: the anchor's functions read a `Box<Box<dyn FnOnce() +
        // Send>>`, which this is.
        unsafe { Task::with(VTableOffset::anchor(), Box::new(far)) }
    }

    /// A task whose payload holds `value`.
    ///
    /// # Safety
    ///
    /// `vtable`'s functions must read exactly a `V` out of the payload: the
    /// task hands `value` to one of them, once, when it runs or is dropped.
    #[inline]
    unsafe fn with<V>(vtable: VTableOffset, value: V) -> Task {
        // A constant per `V`, so this compiles to nothing (a compile-time
        // `const` assertion would also fire for the closures `new` boxes,
        // whose inline branch is instantiated but never taken).
        assert!(mem::size_of::<V>() <= WORD);
        let mut payload = Payload([MaybeUninit::uninit(); WORD]);
        // SAFETY: `V` is at most `WORD` bytes (asserted above), so the
        // write stays inside the payload; it is unaligned because
        // the payload is only 4-byte aligned.
        unsafe { ptr::write_unaligned(payload.0.as_mut_ptr().cast::<V>(), value) };
        Task {
            vtable,
            payload,
            _not_sync: PhantomData,
        }
    }

    pub(crate) fn run(self) {
        // Not dropped here: `call` consumes the closure.
        let this = ManuallyDrop::new(self);
        // SAFETY: the payload holds a live value of the type `vtable` was
        // made for (the contract of `with`), and `ManuallyDrop` guarantees it
        // is consumed exactly once: by this call, never again by `Drop`.
        unsafe { (this.vtable.get().call)(this.payload) }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        // SAFETY: as in `run`: the payload holds a live value matching the
        // vtable, and a dropped task is never used again.
        unsafe { (self.vtable.get().drop)(self.payload) }
    }
}

impl std::fmt::Debug for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Task")
    }
}

/// A `&'static VTable` in 32 bits: its [`encode`]d distance from [`ANCHOR`].
/// Only [`VTableOffset::of`] makes one, from such a reference, so every
/// value names a vtable and [`VTableOffset::get`] is always sound.
#[derive(Clone, Copy)]
struct VTableOffset(NonZeroU32);

/// The vtable every offset is measured from: the one for a boxed
/// `Box<dyn FnOnce() + Send>`, the fallback for closures whose own vtable is
/// out of reach.
static ANCHOR: VTable = VTable {
    call: far_call,
    drop: far_drop,
};

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
        encode(vtable as *const VTable as usize).map(VTableOffset)
    }

    fn get(self) -> &'static VTable {
        let address = decode(self.0);
        // SAFETY: `self` was made by `of` (the only constructor) from a
        // `&'static VTable` whose address it exposed; `decode` inverts
        // `encode` exactly for an address a whole number of vtable
        // alignments from the anchor, which a vtable's is, so this is that
        // same reference. The integer-to-pointer cast picks up the exposed
        // provenance.
        unsafe { &*(address as *const VTable) }
    }
}

/// The bias that keeps an encoded offset from being zero, which gives
/// `Option<Task>` a niche.
const BIAS: i64 = 1 << 31;

/// The distance of `address` from the anchor in units of the vtable
/// alignment, plus [`BIAS`]; `None` if that does not fit in a `u32` or is
/// zero. `address` must be a whole number of alignments from the anchor, as
/// any vtable's is.
#[inline]
fn encode(address: usize) -> Option<NonZeroU32> {
    let distance = address as i64 - anchor_address() as i64;
    let align = mem::align_of::<VTable>() as i64;
    debug_assert_eq!(distance % align, 0, "not a vtable's address");
    let biased = u32::try_from(distance / align + BIAS).ok()?;
    NonZeroU32::new(biased)
}

/// The address [`encode`] was given.
#[inline]
fn decode(offset: NonZeroU32) -> usize {
    let units = i64::from(offset.get()) - BIAS;
    let align = mem::align_of::<VTable>() as i64;
    (anchor_address() as i64 + units * align) as usize
}

#[inline]
fn anchor_address() -> usize {
    ptr::addr_of!(ANCHOR) as usize
}

/// # Safety
/// `payload` holds a `Box<Box<dyn FnOnce() + Send>>` written by `Task::far`,
/// consumed only here.
unsafe fn far_call(payload: Payload) {
    // SAFETY: per the contract, the value is an owned, boxed closure.
    let f =
        unsafe { ptr::read_unaligned(payload.0.as_ptr().cast::<Box<Box<dyn FnOnce() + Send>>>()) };
    (*f)();
}

/// # Safety
/// As for `far_call`.
unsafe fn far_drop(payload: Payload) {
    // SAFETY: as in `far_call`; reading it out transfers ownership.
    drop(unsafe {
        ptr::read_unaligned(payload.0.as_ptr().cast::<Box<Box<dyn FnOnce() + Send>>>())
    });
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
    /// `payload` holds a live `F` written by `Task::new`, consumed only here.
    unsafe fn call(payload: Payload) {
        // SAFETY: per the contract, the bytes are a valid, owned `F`; the
        // read is unaligned because the payload is only 4-byte aligned.
        let f = unsafe { ptr::read_unaligned(payload.0.as_ptr().cast::<F>()) };
        f();
    }

    /// # Safety
    /// As for `call`.
    unsafe fn drop(payload: Payload) {
        // SAFETY: as in `call`; reading it out transfers ownership to `f`,
        // which is dropped at the end of this statement.
        drop(unsafe { ptr::read_unaligned(payload.0.as_ptr().cast::<F>()) });
    }
}

struct Boxed<F>(PhantomData<F>);

impl<F: FnOnce()> Boxed<F> {
    const VTABLE: VTable = VTable {
        call: Self::call,
        drop: Self::drop,
    };

    /// # Safety
    /// `payload` holds a `Box<F>` written by `Task::new`, consumed only here.
    unsafe fn call(payload: Payload) {
        // SAFETY: per the contract, the box is live and nothing else owns it.
        let f = unsafe { ptr::read_unaligned(payload.0.as_ptr().cast::<Box<F>>()) };
        f();
    }

    /// # Safety
    /// As for `call`.
    unsafe fn drop(payload: Payload) {
        // SAFETY: as in `call`.
        drop(unsafe { ptr::read_unaligned(payload.0.as_ptr().cast::<Box<F>>()) });
    }
}

#[cfg(test)]
mod tests;
