//! What the wheel stores per entry, and the key that names one.

use std::num::NonZeroU32;

/// "No entry": the end of a slot list, or an empty slot.
pub(crate) const NIL: u32 = u32::MAX;

/// Where an entry is linked: a slot of a level, or, for entries filed with
/// a deadline already behind `now`, the overdue list.
///
/// Entries do not store it: it is a pure function of the entry's deadline and
/// the wheel's `now` (see `Wheel::location_of`), which saves the bytes that
/// make an entry 32 rather than 40 bytes for a 12-byte value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Location {
    Slot { level: usize, slot: usize },
    Overdue,
}

/// One pending entry. The links are slab indices (u32, not pointers) so the
/// whole bookkeeping is 20 bytes and the wheel needs no `unsafe`.
#[derive(Debug)]
pub(crate) struct Entry<T> {
    pub(crate) deadline: u64,
    pub(crate) prev: u32,
    pub(crate) next: u32,
    /// Distinguishes this entry from every other one that used the same slab
    /// index; `NonZero` also gives the slab's vacant variant a niche.
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
/// let new = wheel.insert(5, "second"); // may reuse the same slot
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
        index: NIL,
        generation: 0,
    };
}
