//! `Wheel<T>`, the public timing wheel: a [`Store`] of entries and the
//! [`Levels`] that link them by deadline, behind the public API.
//!
//! The wheel knows no clock and no threads: deadlines and `now` are plain
//! `u64` ticks whose length the caller chooses. How it is built and why:
//! `docs/design/wheel.md`.

mod advance;
mod ahead;
mod audit;
mod chunk;
mod current;
mod entry;
mod expiry;
mod level;
mod levels;
mod list;
mod overdue;
mod store;
#[cfg(test)]
mod tests;

use entry::Entry;
use std::mem::ManuallyDrop;

pub(crate) use chunk::UnusedMemory;
pub use entry::Key;
use levels::Levels;
use store::Store;

/// A timing wheel holding values of type `T` until their deadline.
///
/// Deadlines and `now` are plain `u64`s in a unit the caller chooses. The
/// lowest level's slots span `2^slot_bits` deadlines (one with
/// [`Wheel::new`], more with [`Wheel::with_slot_bits`]); whatever their
/// width, [`advance`](Wheel::advance) hands over exactly the entries due by
/// the `now` it is given, in deadline order.
///
/// * `insert`, `remove`, `reset` and `deadline` are O(1): entries live in a
///   slab and each wheel slot is an intrusive doubly-linked list of slab
///   indices, so nothing is searched to find an entry. The one exception is
///   an entry due within the slot `now` is in, which is filed in deadline
///   order: O(1) when such deadlines come in order or nearly so, amortised
///   O(log n) in the worst order.
/// * A [`reset`](Wheel::reset) to a later deadline of an entry due beyond the
///   slot `now` is in only rewrites its deadline (one memory access): the
///   entry keeps its place until `advance` reaches it and files it anew.
/// * [`advance`](Wheel::advance) costs time proportional to the entries it
///   hands over or files anew and to the 11 levels, never to the number of
///   slots it skips: advancing from 0 to `u64::MAX` is as cheap as by one.
///   Each call also files up to 64 entries of slots it will reach later one
///   level down ahead of time, so that reaching a slot that holds many
///   entries does not cost one call all of them at once.
/// * Every `u64` deadline is valid, `u64::MAX` included; deadlines at or
///   before [`now`](Wheel::now) are due at the next `advance`.
/// * A [`Key`] never outlives its entry: once the entry is gone, the key
///   reaches nothing, whatever was inserted since.
///
/// Bookkeeping is 20 bytes per entry beyond `T` (deadline, two `u32` links
/// and a generation; the slot an entry is linked in is not stored: the ends
/// of each slot's list name it), rounded up to `T`'s alignment (8 at least),
/// plus a fixed 12.4 KB of slot lists (half of it the spare lists of the
/// slots filed ahead of time). The slab grows in chunks of 16,384
/// entries, so it never copies more than one chunk.
///
/// ```
/// use schedgroup::Wheel;
///
/// let mut wheel = Wheel::new();
/// let late = wheel.insert(300, "late");
/// wheel.insert(20, "soon");
/// wheel.insert(7, "sooner");
/// assert!(wheel.reset(late, 10));
///
/// let mut fired = Vec::new();
/// wheel.advance(100, |_key, value| fired.push(value));
/// assert_eq!(fired, ["sooner", "late", "soon"]);
/// assert_eq!(wheel.now(), 100);
/// assert!(wheel.is_empty());
/// ```
#[derive(Debug)]
pub struct Wheel<T> {
    entries: Store<T>,
    levels: Levels,
}

impl<T> Default for Wheel<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Wheel<T> {
    /// An empty wheel at 0 whose lowest-level slots span one deadline each.
    ///
    /// ```
    /// let wheel: schedgroup::Wheel<u32> = schedgroup::Wheel::new();
    /// assert_eq!((wheel.now(), wheel.len(), wheel.next_deadline()), (0, 0, None));
    /// ```
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty wheel with room for `capacity` entries before it reallocates.
    ///
    /// ```
    /// let wheel: schedgroup::Wheel<u32> = schedgroup::Wheel::with_capacity(1000);
    /// assert!(wheel.capacity() >= 1000);
    /// ```
    pub fn with_capacity(capacity: usize) -> Self {
        Wheel {
            entries: Store::with_capacity(capacity),
            levels: Levels::new(0),
        }
    }

    /// An empty wheel whose lowest-level slots span `2^bits` deadlines.
    ///
    /// Deadlines stay exact: `advance(now)` hands over the entries due by
    /// `now` and no others, in deadline order, and
    /// [`next_deadline`](Wheel::next_deadline) is exact within the slot
    /// `now` is in. What wider slots change is the cost: with deadlines in
    /// microseconds, `with_slot_bits(10)` files a deadline 30 s ahead on
    /// level 2 (slots of 1,024 µs, 65.5 ms and 4.2 s) instead of level 4, so
    /// it cascades twice before it is due instead of four times, and a
    /// sleeper waking at each `next_deadline` wakes for fewer cascades.
    ///
    /// # Panics
    ///
    /// If `bits` is 64 or more: a slot would span more than every `u64`.
    ///
    /// ```
    /// let mut wheel = schedgroup::Wheel::with_slot_bits(10);
    /// wheel.insert(1_500, "b");
    /// wheel.insert(1_100, "a"); // the same 1,024-wide slot, earlier
    /// wheel.insert(2_100, "c");
    /// assert_eq!(wheel.next_deadline(), Some(1_024)); // that slot's start
    /// let mut out = Vec::new();
    /// wheel.advance(1_200, |_, v| out.push(v));
    /// assert_eq!(out, ["a"]);
    /// assert_eq!(wheel.next_deadline(), Some(1_500)); // exact in now's slot
    /// ```
    pub fn with_slot_bits(bits: u32) -> Self {
        Wheel {
            entries: Store::with_capacity(0),
            levels: Levels::new(bits),
        }
    }

    /// How many deadlines, as a power of two, a lowest-level slot spans.
    ///
    /// ```
    /// assert_eq!(schedgroup::Wheel::<()>::with_slot_bits(10).slot_bits(), 10);
    /// ```
    pub fn slot_bits(&self) -> u32 {
        self.levels.slot_bits()
    }

    /// Where the wheel was last advanced to.
    ///
    /// ```
    /// let mut wheel: schedgroup::Wheel<()> = schedgroup::Wheel::new();
    /// wheel.advance(42, |_, _| {});
    /// wheel.advance(7, |_, _| {}); // time never goes back
    /// assert_eq!(wheel.now(), 42);
    /// ```
    pub fn now(&self) -> u64 {
        self.levels.now()
    }

    /// How many entries are pending.
    ///
    /// ```
    /// let mut wheel = schedgroup::Wheel::new();
    /// wheel.insert(1, ());
    /// assert_eq!(wheel.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no entry is pending.
    ///
    /// ```
    /// let wheel: schedgroup::Wheel<()> = schedgroup::Wheel::new();
    /// assert!(wheel.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.entries.len() == 0
    }

    /// How many entries fit before the wheel allocates more. Growing never
    /// copies more than one chunk of 16,384 entries: the slab is a list of
    /// chunks, each allocated whole except the first of a wheel (or one that
    /// [`shrink_to_fit`](Wheel::shrink_to_fit) trimmed), which doubles up to
    /// that size.
    ///
    /// ```
    /// let wheel: schedgroup::Wheel<()> = schedgroup::Wheel::with_capacity(8);
    /// assert!(wheel.capacity() >= 8);
    /// ```
    pub fn capacity(&self) -> usize {
        self.entries.capacity()
    }

    /// Adds `value`, due at `deadline`, and returns its key. A deadline
    /// at or before [`now`](Wheel::now) is due at the next `advance`, which
    /// hands such entries over before any other, earliest deadline first.
    ///
    /// # Panics
    ///
    /// If the wheel is full: each of its `2^18 - 1` slab chunks of 16,384
    /// entries holds entries and has no room, which takes `2^32 - 2^14`
    /// entries (over 100 GB of them). Slab indices are `u32` to keep entries
    /// small. A chunk that ran out of generations (see [`Key`]) has no room
    /// until its last entry leaves, and only one runs out per `2^32 - 1`
    /// inserts.
    ///
    /// ```
    /// let mut wheel = schedgroup::Wheel::new();
    /// let key = wheel.insert(u64::MAX, "never too late");
    /// assert_eq!(wheel.deadline(key), Some(u64::MAX));
    /// ```
    // Always inlined: otherwise the value reaches the slab through a copy in
    // memory, which costs more than the call.
    #[inline(always)]
    pub fn insert(&mut self, deadline: u64, value: T) -> Key {
        // The entry is written once, with its final links: its place is
        // found before it exists.
        let place = self.levels.place(deadline, &self.entries);
        let key = self.entries.insert(|generation| Entry {
            deadline,
            prev: place.prev,
            next: place.next,
            generation,
            value: ManuallyDrop::new(value),
        });
        self.levels
            .link(place, key.index, deadline, &mut self.entries);
        key
    }

    /// Takes the entry out of the wheel. `None` if the key is stale: its
    /// entry was already removed or handed over by `advance`.
    ///
    /// ```
    /// let mut wheel = schedgroup::Wheel::new();
    /// let key = wheel.insert(10, 'x');
    /// assert_eq!(wheel.remove(key), Some('x'));
    /// assert_eq!(wheel.remove(key), None);
    /// ```
    #[inline]
    pub fn remove(&mut self, key: Key) -> Option<T> {
        let entry = self.entries.remove(key)?;
        self.levels
            .unlink(entry.prev, entry.next, &mut self.entries);
        Some(entry.into_value())
    }

    /// Moves the entry to a new deadline, earlier or later (a deadline at or
    /// before `now` makes it due at the next advance). `false` if the key is
    /// stale; the wheel is then unchanged.
    ///
    /// A move to a *later* deadline of an entry due after the lowest-level
    /// slot that `now` is in (after `now | (2^slot_bits - 1)`) rewrites the
    /// deadline and nothing else: the entry stays where it was filed, which
    /// is never after its new deadline, and `advance` files it anew when it
    /// gets there (so among entries due at the same deadline it may come out
    /// anywhere, see [`advance`](Wheel::advance)). Every other move takes the
    /// entry out of its list and files it at once, behind the entries already
    /// due at its new deadline.
    ///
    /// ```
    /// let mut wheel = schedgroup::Wheel::new();
    /// let key = wheel.insert(10, ());
    /// assert!(wheel.reset(key, 5000));
    /// assert_eq!(wheel.deadline(key), Some(5000));
    /// ```
    pub fn reset(&mut self, key: Key, deadline: u64) -> bool {
        let Some(entry) = self.entries.get_mut(key) else {
            return false;
        };
        let old = std::mem::replace(&mut entry.deadline, deadline);
        let (prev, next) = (entry.prev, entry.next);
        if deadline > old && self.levels.defer_later(old) {
            return true;
        }
        self.levels.unlink(prev, next, &mut self.entries);
        self.levels.file(key.index, &mut self.entries);
        true
    }

    /// The deadline the entry was inserted (or last reset) with, or `None`
    /// for a stale key.
    ///
    /// ```
    /// let mut wheel = schedgroup::Wheel::new();
    /// let key = wheel.insert(3, ());
    /// assert_eq!(wheel.deadline(key), Some(3));
    /// ```
    pub fn deadline(&self, key: Key) -> Option<u64> {
        self.entries.get(key).map(|entry| entry.deadline)
    }

    /// Whether the key names a pending entry.
    ///
    /// ```
    /// let mut wheel = schedgroup::Wheel::new();
    /// let key = wheel.insert(3, ());
    /// wheel.advance(3, |_, _| {});
    /// assert!(!wheel.contains(key));
    /// ```
    pub fn contains(&self, key: Key) -> bool {
        self.entries.get(key).is_some()
    }

    /// The pending value, or `None` for a stale key.
    ///
    /// ```
    /// let mut wheel = schedgroup::Wheel::new();
    /// let key = wheel.insert(3, "v");
    /// assert_eq!(wheel.get(key), Some(&"v"));
    /// ```
    pub fn get(&self, key: Key) -> Option<&T> {
        self.entries.get(key).map(|entry| &*entry.value)
    }

    /// The pending value, mutably, or `None` for a stale key.
    ///
    /// ```
    /// let mut wheel = schedgroup::Wheel::new();
    /// let key = wheel.insert(3, 1);
    /// *wheel.get_mut(key).unwrap() += 1;
    /// assert_eq!(wheel.remove(key), Some(2));
    /// ```
    pub fn get_mut(&mut self, key: Key) -> Option<&mut T> {
        self.entries.get_mut(key).map(|entry| &mut *entry.value)
    }

    /// Removes every entry and returns their values, in no particular order.
    /// `now` stays; keys of the removed entries become stale.
    ///
    /// ```
    /// let mut wheel = schedgroup::Wheel::new();
    /// wheel.insert(1, 'a');
    /// wheel.insert(9, 'b');
    /// let mut all: Vec<char> = wheel.drain().collect();
    /// all.sort();
    /// assert_eq!(all, ['a', 'b']);
    /// assert!(wheel.is_empty());
    /// ```
    pub fn drain(&mut self) -> impl Iterator<Item = T> + '_ {
        self.levels.clear();
        self.entries.drain()
    }

    /// Gives memory back to the allocator without invalidating any key:
    /// chunks of the slab that hold no entry are freed, the others trimmed
    /// to just past their last live entry.
    ///
    /// ```
    /// let mut wheel = schedgroup::Wheel::new();
    /// let keep = wheel.insert(5, ());
    /// for t in 0..10_000 { wheel.insert(t + 10, ()); }
    /// wheel.advance(20_000, |_, _| {});
    /// wheel.shrink_to_fit();
    /// assert!(wheel.capacity() < 100);
    /// assert!(wheel.contains(keep) == false); // 5 <= 20_000: it fired too
    /// ```
    pub fn shrink_to_fit(&mut self) {
        self.entries.shrink_to_fit();
        self.levels.shrink_to_fit();
    }

    /// Takes out the memory of the slab chunks that hold no entry (all of
    /// them, if the wheel is empty), for the caller to free outside its
    /// lock: freeing megabytes takes long enough to delay whoever waits for
    /// that lock. Keys stay as safe as after [`shrink_to_fit`](Wheel::shrink_to_fit).
    pub(crate) fn take_unused_memory(&mut self) -> UnusedMemory<T> {
        self.levels.shrink_to_fit();
        self.entries.take_unused()
    }

    /// Spends `count` generations of the slab chunk that the next insert
    /// goes into, as `count` inserts and removals there would, so that tests
    /// can reach the end of a chunk's generations in microseconds instead of
    /// hours. It never makes a key repeat; it only hastens the moment the
    /// chunk stops taking inserts.
    #[doc(hidden)]
    pub fn skip_generations(&mut self, count: u32) {
        self.entries.skip_generations(count);
    }

    /// Checks every invariant of the wheel's lists against its entries, and
    /// panics with what is broken. It walks everything: for tests.
    #[doc(hidden)]
    pub fn audit(&self) {
        self.levels.audit(&self.entries);
    }
}
