//! What the wheel stores per pending value ([`Entry`]), and the [`Key`] that
//! names one.

use std::mem::ManuallyDrop;
use std::num::NonZeroU32;

use super::list::NIL;

/// One pending value and its bookkeeping: 20 bytes beyond `T`. The links are
/// `u32` indices into the store, not pointers, which keeps them small and the
/// wheel free of `unsafe`; the list the entry is linked in is not stored at
/// all: where the entry is an end of it, its link names the list instead of
/// a neighbour (see `list.rs`).
#[derive(Debug)]
pub(crate) struct Entry<T> {
    /// When the value is due: always the one given to `insert` or `reset`,
    /// even while the entry waits in a list that a reset to a later deadline
    /// left it in.
    pub(crate) deadline: u64,
    pub(crate) prev: u32,
    pub(crate) next: u32,
    /// Tells this entry apart from every other one stored at the same index
    /// (see [`Key`]). `NonZero` gives the slab's vacant variant a niche, so a
    /// vacant place is no bigger than an entry.
    pub(crate) generation: NonZeroU32,
    /// Dropped by whoever takes the entry apart ([`Entry::into_value`]), or
    /// by the chunk that holds it (`Chunk`'s `Drop`), never by the slab:
    /// an entry without drop glue keeps `Slab::insert` small enough for the
    /// compiler to inline it, which it does not do for values that need
    /// dropping.
    pub(crate) value: ManuallyDrop<T>,
}

impl<T> Entry<T> {
    /// The value, which the caller now owns (and drops).
    #[inline]
    pub(crate) fn into_value(self) -> T {
        ManuallyDrop::into_inner(self.value)
    }
}

/// Names an entry of a [`Wheel`](crate::Wheel). Cheap to copy (8 bytes).
///
/// A key whose entry has been removed, handed over by `advance` or drained is
/// *stale*: every wheel method answers it as it would a key it never issued
/// (`None` / `false`), and it never reaches another entry, even one stored
/// where its entry was.
///
/// It holds because of what a key is: the entry's place (a chunk of the
/// wheel's storage and a position in it) plus a generation.
/// Each chunk counts the inserts into it and gives each one the next count; a
/// chunk that has counted to `2^32 - 1` takes no more inserts, and once its
/// last entry leaves, its number is not used again while any of the wheel's
/// `2^18 - 1` chunk numbers is still unused. So:
///
/// * within a wheel's first `(2^18 - 1) · (2^32 - 1)` inserts (just under
///   `2^50`: 130 days of nothing but inserts at 100 million a second) no key
///   is issued twice, and a stale key can never reach a live entry;
/// * after that, chunk numbers are reused, the longest unused first. A stale
///   key can then reach a new entry only if it was kept while its chunk
///   counted through all `2^32 - 1` generations again and, as long as fewer
///   than `2^16` chunks are in use at once (a wheel that never holds more
///   than about a billion entries), while the wheel made at least `2^48`
///   inserts.
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
    /// Chunk number and position: see `store::split`.
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
