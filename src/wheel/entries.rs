//! What the wheel stores per entry, and the key that names one.

use std::num::NonZeroU32;

/// "No entry": the end of a slot list, or an empty slot.
pub(crate) const NIL: u32 = u32::MAX;

/// Where an entry is linked. Slot lists are `level * 64 + slot`; entries
/// inserted with a deadline already behind `now` wait on their own list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Location(u16);

impl Location {
    pub(crate) const OVERDUE: Location = Location(u16::MAX);

    pub(crate) fn slot(level: usize, slot: usize) -> Location {
        debug_assert!(level < super::level::LEVELS && slot < super::level::SLOTS);
        Location((level * super::level::SLOTS + slot) as u16)
    }

    /// `(level, slot)`, or `None` for the overdue list.
    pub(crate) fn level_and_slot(self) -> Option<(usize, usize)> {
        if self == Location::OVERDUE {
            None
        } else {
            let index = self.0 as usize;
            Some((index / super::level::SLOTS, index % super::level::SLOTS))
        }
    }
}

/// One pending entry. The links are slab indices (u32, not pointers) so the
/// whole bookkeeping is 24 bytes and the wheel needs no `unsafe`.
#[derive(Debug)]
pub(crate) struct Entry<T> {
    pub(crate) deadline: u64,
    pub(crate) prev: u32,
    pub(crate) next: u32,
    /// Distinguishes this entry from every other one that used the same slab
    /// index; `NonZero` also gives the slab's vacant variant a niche.
    pub(crate) generation: NonZeroU32,
    pub(crate) location: Location,
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
