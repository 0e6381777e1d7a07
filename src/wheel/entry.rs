//! What the wheel stores per pending value ([`Entry`]), and the [`Key`] that
//! names one.

use std::num::NonZeroU32;

use super::list::NIL;

/// One pending value and its bookkeeping: 20 bytes beyond `T`. The links are
/// `u32` indices into the store, not pointers, which keeps them small and the
/// wheel free of `unsafe`; the slot the entry is linked in is not stored at
/// all (it follows from `deadline`, see `Levels::location_of`).
#[derive(Debug)]
pub(crate) struct Entry<T> {
    pub(crate) deadline: u64,
    pub(crate) prev: u32,
    pub(crate) next: u32,
    /// Tells this entry apart from every other one stored at the same index
    /// (see [`Key`]). `NonZero` gives the slab's vacant variant a niche, so a
    /// vacant place is no bigger than an entry.
    pub(crate) generation: NonZeroU32,
    pub(crate) value: T,
}

/// Names an entry of a [`Wheel`](crate::Wheel). Cheap to copy; a key whose
/// entry has expired or been removed is *stale* and every wheel method
/// answers it with `None` / `false`, even after its slab slot was reused.
///
/// ```
/// use schedgroup::Wheel;
/// let mut wheel = Wheel::new();
/// let old = wheel.insert(5, "first");
/// assert_eq!(wheel.remove(old), Some("first"));
/// let new = wheel.insert(5, "second"); // may be stored where "first" was
/// assert_ne!(old, new);
/// assert_eq!(wheel.remove(old), None); // the stale key touches nothing
/// assert_eq!(wheel.deadline(new), Some(5));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub(crate) index: u32,
    pub(crate) generation: u32,
}

impl Key {
    /// A key that never names an entry: every wheel answers it as stale.
    /// Useful as a placeholder.
    ///
    /// ```
    /// use schedgroup::{Key, Wheel};
    /// let mut wheel: Wheel<()> = Wheel::new();
    /// assert_eq!(wheel.remove(Key::DANGLING), None);
    /// ```
    pub const DANGLING: Key = Key {
        // No chunk has this number, and no entry generation 0.
        index: NIL,
        generation: 0,
    };
}
