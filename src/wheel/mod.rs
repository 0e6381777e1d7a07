//! `Wheel<T>`: a hierarchical hashed timing wheel over a slab.
//!
//! The wheel knows no clock and no threads: deadlines and `now` are plain
//! `u64` ticks that the caller defines (the scheduler uses 1 ms by default).

mod entries;
mod expire;
mod level;
mod lists;
mod store;

use std::num::NonZeroU32;

pub use entries::Key;
use entries::{Entry, NIL};
use level::{slot_start, Level, LEVELS};
use lists::List;
use store::Store;

/// A timing wheel holding values of type `T` until their deadline tick.
///
/// * `insert`, `remove`, `reset` and `deadline` are O(1): entries live in a
///   slab and each wheel slot is an intrusive doubly-linked list of slab
///   indices, so nothing is ever searched or walked to find an entry.
/// * [`advance`](Wheel::advance) costs time proportional to the entries it
///   hands over or cascades and to the 11 levels, never to the number of ticks
///   it skips: advancing from 0 to `u64::MAX` is as cheap as by one tick.
/// * Every `u64` deadline is valid, `u64::MAX` included; deadlines at or
///   before [`now`](Wheel::now) are due at the next `advance`.
///
/// Bookkeeping is 20 bytes per entry beyond `T` (deadline, two `u32` links
/// and a generation; the slot an entry is linked in is recomputed from its
/// deadline, not stored), plus a fixed 5.7 KB of slot lists. With a 12-byte
/// `T`, as the scheduler's tasks are, an entry is 32 bytes.
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
    levels: Box<[Level; LEVELS]>,
    /// Entries inserted (or reset) with a deadline already behind `now`. They
    /// are handed over first at the next advance, sorted by deadline.
    overdue: List,
    /// A lower bound of every overdue deadline (exact until one is removed).
    overdue_min: u64,
    now: u64,
    /// The generation given to the most recent insert. One counter for the
    /// whole wheel, not one per slab slot, so a slot that is freed and
    /// reallocated by `shrink_to_fit` can never hand out an old generation.
    last_generation: u32,
    /// Reused buffer for sorting the overdue entries.
    overdue_scratch: Vec<(u64, u32)>,
}

impl<T> Default for Wheel<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Wheel<T> {
    /// An empty wheel at tick 0.
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
            levels: Box::new(std::array::from_fn(|_| Level::new())),
            overdue: List::EMPTY,
            overdue_min: u64::MAX,
            now: 0,
            last_generation: 0,
            overdue_scratch: Vec::new(),
        }
    }

    /// The tick the wheel was last advanced to.
    ///
    /// ```
    /// let mut wheel: schedgroup::Wheel<()> = schedgroup::Wheel::new();
    /// wheel.advance(42, |_, _| {});
    /// wheel.advance(7, |_, _| {}); // time never goes back
    /// assert_eq!(wheel.now(), 42);
    /// ```
    pub fn now(&self) -> u64 {
        self.now
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
    /// moves or copies an entry: the slab is a list of fixed-size chunks
    /// (16,384 entries each; only the first grows by reallocating, while it
    /// is smaller than that).
    ///
    /// ```
    /// let wheel: schedgroup::Wheel<()> = schedgroup::Wheel::with_capacity(8);
    /// assert!(wheel.capacity() >= 8);
    /// ```
    pub fn capacity(&self) -> usize {
        self.entries.capacity()
    }

    /// Adds `value`, due at tick `deadline`, and returns its key. A deadline
    /// at or before [`now`](Wheel::now) is due at the next `advance`, which
    /// hands such entries over before any other, earliest deadline first.
    ///
    /// # Panics
    ///
    /// If the wheel already holds `u32::MAX - 1` entries (about 100 GB of
    /// them): slab indices are `u32` to keep entries small.
    ///
    /// ```
    /// let mut wheel = schedgroup::Wheel::new();
    /// let key = wheel.insert(u64::MAX, "never too late");
    /// assert_eq!(wheel.deadline(key), Some(u64::MAX));
    /// ```
    #[inline]
    pub fn insert(&mut self, deadline: u64, value: T) -> Key {
        self.last_generation = self.last_generation.wrapping_add(1);
        let generation = NonZeroU32::new(self.last_generation).unwrap_or_else(|| {
            self.last_generation = 1;
            NonZeroU32::MIN
        });
        let index = self.entries.vacant_key();
        // Find the tail before the entry exists, so it is written once with
        // its final links (measured: ~8 ns less per insert than filing it
        // after the fact, which re-reads what was just written).
        let tail = self.tail_for(deadline);
        let stored_at = self.entries.insert(Entry {
            deadline,
            prev: tail.prev,
            next: NIL,
            generation,
            value,
        });
        debug_assert_eq!(stored_at, index);
        self.append(tail, index);
        Key {
            index,
            generation: generation.get(),
        }
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
    pub fn remove(&mut self, key: Key) -> Option<T> {
        let entry = self.entries.remove_live(key.index, key.generation)?;
        self.detach(key.index, entry.prev, entry.next, entry.deadline);
        Some(entry.value)
    }

    /// Moves the entry to a new deadline, earlier or later (a deadline at or
    /// before `now` makes it due at the next advance). `false` if the key is
    /// stale; the wheel is then unchanged.
    ///
    /// ```
    /// let mut wheel = schedgroup::Wheel::new();
    /// let key = wheel.insert(10, ());
    /// assert!(wheel.reset(key, 5000));
    /// assert_eq!(wheel.deadline(key), Some(5000));
    /// ```
    pub fn reset(&mut self, key: Key, deadline: u64) -> bool {
        let Some(index) = self.index_of(key) else {
            return false;
        };
        self.unlink(index);
        self.entries[index].deadline = deadline;
        self.file(index);
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
        self.index_of(key).map(|index| self.entries[index].deadline)
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
        self.index_of(key).is_some()
    }

    /// The pending value, or `None` for a stale key.
    ///
    /// ```
    /// let mut wheel = schedgroup::Wheel::new();
    /// let key = wheel.insert(3, "v");
    /// assert_eq!(wheel.get(key), Some(&"v"));
    /// ```
    pub fn get(&self, key: Key) -> Option<&T> {
        self.index_of(key).map(|index| &self.entries[index].value)
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
        self.index_of(key)
            .map(|index| &mut self.entries[index].value)
    }

    /// A lower bound of the earliest pending deadline; `None` iff the wheel
    /// is empty. It is exact when the earliest entry sits on the lowest level
    /// (within 64 ticks of `now`) or is overdue; further out it is the start
    /// of the wheel slot holding that entry, where an `advance` cascades the
    /// slot down and a fresh `next_deadline` is closer. A caller that sleeps
    /// until this tick and advances never oversleeps an entry.
    ///
    /// ```
    /// let mut wheel = schedgroup::Wheel::new();
    /// wheel.insert(40, ());
    /// assert_eq!(wheel.next_deadline(), Some(40));
    /// wheel.insert(1 << 40, ());
    /// assert_eq!(wheel.next_deadline(), Some(40));
    /// ```
    pub fn next_deadline(&self) -> Option<u64> {
        if self.overdue.head != NIL {
            return Some(self.overdue_min);
        }
        self.next_occupied()
            .map(|(level, slot)| slot_start(self.now, level, slot))
    }

    /// Moves the wheel to tick `now` and hands every entry whose deadline is
    /// at or before it to `expired`, in non-decreasing deadline order; entries
    /// with equal deadlines come out in the order they were inserted (or
    /// reset to that deadline). A `now` behind
    /// [`Wheel::now`] is taken as `Wheel::now`: time never goes back.
    ///
    /// If `expired` panics, the entries not yet handed over stay in the wheel,
    /// consistent, and a later `advance` hands them over.
    ///
    /// ```
    /// let mut wheel = schedgroup::Wheel::new();
    /// wheel.insert(u64::MAX, 'z');
    /// wheel.insert(1 << 50, 'b');
    /// wheel.insert(1, 'a');
    /// let mut out = Vec::new();
    /// wheel.advance(u64::MAX, |_, v| out.push(v));
    /// assert_eq!(out, ['a', 'b', 'z']);
    /// ```
    pub fn advance(&mut self, now: u64, expired: impl FnMut(Key, T)) {
        self.advance_at_most(now, usize::MAX, expired);
    }

    /// [`advance`](Wheel::advance), but handing over at most `limit` entries:
    /// returns whether it got all the way to `now` (everything due was
    /// handed over). Stopped short, [`now`](Wheel::now) is the deadline of
    /// the entries it left due, and the next call goes on in the same order,
    /// so an event loop can bound the work of each turn.
    ///
    /// Entries inserted with a deadline already behind `now` are the
    /// exception: they are handed over all at once, whatever `limit` (they
    /// must be sorted first, and sorting them again for each part would cost
    /// more than it saves); they count against `limit`.
    ///
    /// ```
    /// let mut wheel = schedgroup::Wheel::new();
    /// for value in 0..5 {
    ///     wheel.insert(10, value);
    /// }
    /// wheel.insert(20, 5);
    /// let mut out = Vec::new();
    /// assert!(!wheel.advance_at_most(100, 2, |_, v| out.push(v)));
    /// assert_eq!((out.as_slice(), wheel.now()), (&[0, 1][..], 10));
    /// assert!(wheel.advance_at_most(100, 10, |_, v| out.push(v)));
    /// assert_eq!((out, wheel.now()), (vec![0, 1, 2, 3, 4, 5], 100));
    /// ```
    pub fn advance_at_most(
        &mut self,
        now: u64,
        limit: usize,
        mut expired: impl FnMut(Key, T),
    ) -> bool {
        self.advance_at_most_with_deadlines(now, limit, |key, _deadline, value| expired(key, value))
    }

    /// [`advance_at_most`](Wheel::advance_at_most), also handing over each
    /// entry's deadline.
    pub(crate) fn advance_at_most_with_deadlines(
        &mut self,
        now: u64,
        budget: usize,
        mut expired: impl FnMut(Key, u64, T),
    ) -> bool {
        let target = now.max(self.now);
        let mut budget = budget.saturating_sub(self.hand_over_overdue(&mut expired));
        while let Some((level, slot)) = self.next_occupied() {
            let start = slot_start(self.now, level, slot);
            debug_assert!(start >= self.now, "the next slot lies behind now");
            if start > target {
                break;
            }
            self.now = start;
            if level == 0 {
                if !self.hand_over_slot(slot, &mut budget, &mut expired) {
                    return false;
                }
            } else {
                self.cascade(level, slot);
            }
        }
        self.now = target;
        true
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
        for level in self.levels.iter_mut() {
            *level = Level::new();
        }
        self.overdue = List::EMPTY;
        self.overdue_min = u64::MAX;
        self.entries.drain().map(|entry| entry.value)
    }

    /// Gives memory back to the allocator without invalidating any key: the
    /// slab shrinks down to just past its highest live entry (all the way
    /// when empty).
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
        self.overdue_scratch = Vec::new();
    }

    /// The slab index of a live key, or `None` if it is stale.
    fn index_of(&self, key: Key) -> Option<u32> {
        let entry = self.entries.get(key.index)?;
        (entry.generation.get() == key.generation).then_some(key.index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bookkeeping_is_20_bytes_beyond_the_value() {
        // The scheduler stores 12-byte, 4-aligned tasks: 32-byte entries, and
        // the generation's niche keeps the slab's vacant variant free.
        type Task = [u32; 3];
        assert_eq!(std::mem::size_of::<Entry<Task>>(), 32);
        assert_eq!(std::mem::size_of::<Option<Entry<Task>>>(), 32);
        assert_eq!(std::mem::size_of::<Entry<u32>>(), 24);
        assert_eq!(std::mem::size_of::<Entry<u64>>(), 32);
    }

    #[test]
    fn equal_deadlines_come_out_first_in_first_out() {
        // Same deadline filed on level 0, on level 2 (cascaded twice), and
        // overdue; plus removals from the head, middle and tail of a slot.
        for deadline in [5u64, 5000, 300_000] {
            let mut wheel = Wheel::new();
            let keys: Vec<Key> = (0..10).map(|i| wheel.insert(deadline, i)).collect();
            assert_eq!(wheel.remove(keys[0]), Some(0));
            assert_eq!(wheel.remove(keys[5]), Some(5));
            assert_eq!(wheel.remove(keys[9]), Some(9));
            wheel.insert(deadline, 10);
            assert!(wheel.reset(keys[1], deadline)); // to the back of the line
            let mut out = Vec::new();
            wheel.advance(deadline, |_, v| out.push(v));
            assert_eq!(out, [2, 3, 4, 6, 7, 8, 10, 1], "deadline {deadline}");
        }
        let mut wheel = Wheel::new();
        wheel.advance(100, |_, _: u32| {});
        for i in 0..5 {
            wheel.insert(7, i);
        }
        let mut out = Vec::new();
        wheel.advance(100, |_, v| out.push(v));
        assert_eq!(out, [0, 1, 2, 3, 4]);
    }

    #[test]
    fn reset_into_the_past_is_overdue_and_first() {
        let mut wheel = Wheel::new();
        wheel.advance(1000, |_, _: u32| {});
        let a = wheel.insert(1000, 1);
        let b = wheel.insert(2000, 2);
        assert!(wheel.reset(b, 10));
        assert_eq!(wheel.next_deadline(), Some(10));
        let mut out = Vec::new();
        wheel.advance(1000, |k, v| out.push((k, v)));
        assert_eq!(out, [(b, 2), (a, 1)]);
    }
}
