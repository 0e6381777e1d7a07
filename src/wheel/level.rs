//! One level of the hierarchical wheel ([`Level`]: its 64 slot lists and the
//! bitmaps of which hold entries and which may be out of order), and the
//! tick arithmetic of levels and slots.
//!
//! A *tick* here is a deadline with its low slot bits dropped
//! (`deadline >> slot_bits`, see `Levels`): level 0's slots are one tick
//! wide. Level `n` divides time into slots of `64^n` ticks. An entry lives at
//! the lowest level where its tick and the wheel's `now` share the same slot
//! at the level above, so every occupied slot on a level is at or after the
//! slot that `now` falls into (see [`Level::next_occupied_slot`]).

use super::list::{is_sentinel, Links, List};

/// Slots per level. A power of two so that slot digits are bit fields.
pub(crate) const SLOTS: usize = 64;
/// Bits of a tick that select the slot on one level.
pub(crate) const BITS_PER_LEVEL: u32 = 6;
/// Levels needed to cover every `u64` tick: `ceil(64 / 6) = 11`. The top level
/// only ever uses 16 of its slots (tick bits 60..=63).
pub(crate) const LEVELS: usize = 11;

#[derive(Debug)]
pub(crate) struct Level {
    /// Bit `s` is set iff `lists[s]` is not empty.
    occupied: u64,
    /// Bit `s` is set if `lists[s]` may be out of deadline order. Kept on
    /// level 0 only, whose slots become the current slot one by one and must
    /// then be in order: a slot whose bit is clear needs no sorting, and its
    /// head is its earliest entry.
    unordered: u64,
    /// Each slot's list of the entries filed there, in filing order.
    lists: [List; SLOTS],
}

impl Level {
    pub(crate) fn new() -> Self {
        Level {
            occupied: 0,
            unordered: 0,
            lists: [List::EMPTY; SLOTS],
        }
    }

    /// A slot's list (its head and tail).
    #[inline]
    pub(crate) fn list(&self, slot: usize) -> List {
        self.lists[slot]
    }

    /// The links `(prev, next)` of a new last entry of `slot`, whose list id
    /// is `id` (see [`List::append_links`]).
    #[inline]
    pub(crate) fn append_links(&self, slot: usize, id: u32) -> (u32, u32) {
        self.lists[slot].append_links(id)
    }

    /// Links entry `index` at the tail of `slot`, after the entries filed
    /// there before it, with the links [`append_links`](Level::append_links)
    /// gave, where the order of the slot does not matter: on levels above 0,
    /// and on level 0 when each slot is one deadline wide. A slot that was
    /// empty starts out in order, whatever an earlier guess said.
    #[inline]
    pub(crate) fn append(&mut self, slot: usize, index: u32, prev: u32, links: &mut impl Links) {
        let bit = 1 << slot;
        self.occupied |= bit;
        if is_sentinel(prev) {
            self.unordered &= !bit;
        }
        self.lists[slot].append(index, prev, links);
    }

    /// [`append`](Level::append) for entry `index`, due at `deadline`, into a
    /// slot whose order matters (level 0, slots wider than one deadline):
    /// keeps its order bit true from the old tail's deadline, which the
    /// append reads where it writes the old tail's link.
    #[inline]
    pub(crate) fn append_in_order(
        &mut self,
        slot: usize,
        index: u32,
        prev: u32,
        deadline: u64,
        links: &mut impl Links,
    ) {
        let bit = 1 << slot;
        self.occupied |= bit;
        match self.lists[slot].append_reading_tail(index, prev, links) {
            None => self.unordered &= !bit,
            Some(tail) if tail > deadline => self.unordered |= bit,
            Some(_) => {}
        }
    }

    /// Notes that `slot` may be out of deadline order.
    #[inline]
    pub(crate) fn mark_unordered(&mut self, slot: usize) {
        self.unordered |= 1 << slot;
    }

    /// Whether `slot`'s list holds entries.
    pub(crate) fn is_occupied(&self, slot: usize) -> bool {
        self.occupied & (1 << slot) != 0
    }

    /// Whether `slot`'s list is known to be in deadline order.
    #[inline]
    pub(crate) fn is_ordered(&self, slot: usize) -> bool {
        self.unordered & (1 << slot) == 0
    }

    /// Unlinks the entry whose links were `prev` and `next` from `slot`.
    #[inline]
    pub(crate) fn unlink(&mut self, slot: usize, prev: u32, next: u32, links: &mut impl Links) {
        debug_assert!(self.occupied & (1 << slot) != 0, "slot {slot} is empty");
        let list = &mut self.lists[slot];
        list.unlink(prev, next, links);
        if list.is_empty() {
            self.occupied &= !(1 << slot);
        }
    }

    /// Empties a slot and returns its list: the entries keep their links, so
    /// the caller can walk them and file each elsewhere.
    pub(crate) fn take_slot(&mut self, slot: usize) -> List {
        self.occupied &= !(1 << slot);
        self.unordered &= !(1 << slot);
        std::mem::replace(&mut self.lists[slot], List::EMPTY)
    }

    /// Makes `list`, whose ends already name `slot`, the list of `slot`,
    /// which must be empty.
    pub(crate) fn put_slot(&mut self, slot: usize, list: List) {
        debug_assert!(!self.is_occupied(slot) && !list.is_empty());
        self.occupied |= 1 << slot;
        self.unordered &= !(1 << slot);
        self.lists[slot] = list;
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.occupied == 0
    }

    /// The first occupied slot at or after `now_slot`, if any.
    ///
    /// The wheel never leaves an entry in a slot before `now_slot` (an entry
    /// is filed where its deadline's digit differs from `now`'s, and its digit
    /// is then the larger one; `advance` empties every slot it walks past), so
    /// no wrap-around search is needed. tokio's wheel writes this as
    /// `occupied.rotate_right(now_slot).trailing_zeros()` to also catch slots
    /// that wrapped; here the masked-off low bits are provably zero, and the
    /// assertion says so.
    pub(crate) fn next_occupied_slot(&self, now_slot: usize) -> Option<usize> {
        debug_assert!(now_slot < SLOTS);
        debug_assert_eq!(
            self.occupied & ((1u64 << now_slot) - 1),
            0,
            "an occupied slot lies behind now"
        );
        // Clear the bits below `now_slot`; the lowest remaining set bit is the
        // nearest occupied slot. trailing_zeros of 0 is 64: nothing occupied.
        let ahead = self.occupied & (u64::MAX << now_slot);
        match ahead.trailing_zeros() {
            64 => None,
            slot => Some(slot as usize),
        }
    }
}

/// The slot digit of `tick` on `level`.
#[inline]
pub(crate) fn slot_of(tick: u64, level: usize) -> usize {
    debug_assert!(level < LEVELS);
    ((tick >> (level as u32 * BITS_PER_LEVEL)) & (SLOTS as u64 - 1)) as usize
}

/// The level an entry due at `deadline` is filed on when the wheel is at
/// `now`: the level of the highest bit in which the two differ. A deadline at
/// or before `now` goes on level 0 (it is due at the next advance).
#[inline]
pub(crate) fn level_for(now: u64, deadline: u64) -> usize {
    // OR-ing in the level-0 mask makes equal ticks land on level 0 and keeps
    // leading_zeros below 64.
    let differing = (now ^ deadline) | (SLOTS as u64 - 1);
    let highest_bit = 63 - differing.leading_zeros();
    let level = (highest_bit / BITS_PER_LEVEL) as usize;
    debug_assert!(level < LEVELS);
    level
}

/// The first tick of slot `slot` on `level`, in the block of that level that
/// holds `now`. Bit arithmetic only, so it cannot overflow even at the top.
pub(crate) fn slot_start(now: u64, level: usize, slot: usize) -> u64 {
    debug_assert!(level < LEVELS && slot < SLOTS);
    // The top level has 4 bits left of a u64's 64, so 16 slots.
    debug_assert!(level < LEVELS - 1 || slot < 16, "top-level slot {slot}");
    let shift = level as u32 * BITS_PER_LEVEL;
    let block_shift = shift + BITS_PER_LEVEL;
    // The top level's block is the whole u64 range (shift 66 would overflow).
    let block_mask = u64::MAX.checked_shl(block_shift).unwrap_or(0);
    let start = (now & block_mask) | ((slot as u64) << shift);
    debug_assert_eq!(slot_of(start, level), slot);
    start
}

#[cfg(test)]
mod tests {
    use super::super::list::{sentinel, TestLinks, NIL};
    use super::*;

    #[test]
    fn level_for_boundaries() {
        assert_eq!(level_for(0, 0), 0);
        assert_eq!(level_for(0, 63), 0);
        assert_eq!(level_for(0, 64), 1);
        assert_eq!(level_for(0, 4095), 1);
        assert_eq!(level_for(0, 4096), 2);
        assert_eq!(level_for(0, u64::MAX), 10);
        assert_eq!(level_for(63, 64), 1);
        assert_eq!(level_for(u64::MAX - 1, u64::MAX), 0);
    }

    #[test]
    fn slot_start_top_level_does_not_overflow() {
        assert_eq!(slot_start(0, 10, 15), 15 << 60);
        assert_eq!(slot_start(u64::MAX, 10, 15), 15 << 60);
        assert_eq!(slot_start(130, 1, 3), 192);
        assert_eq!(slot_start(4096 + 5, 0, 9), 4096 + 9);
    }

    /// Appends entry `index`, due at `deadline`, to `slot` (list id = slot).
    fn append(level: &mut Level, links: &mut TestLinks, slot: usize, index: u32, deadline: u64) {
        let (prev, next) = level.append_links(slot, slot as u32);
        links.0[index as usize] = (deadline, prev, next);
        level.append_in_order(slot, index, prev, deadline, links);
    }

    #[test]
    fn the_bitmap_follows_the_lists() {
        let mut level = Level::new();
        let mut links = TestLinks::new(10);
        assert_eq!(level.next_occupied_slot(0), None);
        append(&mut level, &mut links, 40, 7, 0);
        append(&mut level, &mut links, 63, 8, 0);
        append(&mut level, &mut links, 50, 9, 0);
        assert_eq!((level.list(40).head, level.list(63).tail), (7, 8));
        assert_eq!(level.next_occupied_slot(0), Some(40));
        assert_eq!(level.next_occupied_slot(40), Some(40));
        assert_eq!(level.take_slot(40).head, 7);
        assert_eq!(level.next_occupied_slot(41), Some(50));
        level.unlink(50, sentinel(50), sentinel(50), &mut links);
        assert_eq!(level.next_occupied_slot(41), Some(63));
        assert_eq!(level.take_slot(63).head, 8);
        assert!(level.is_empty());
        assert_eq!(level.list(63), List::EMPTY);
        assert_eq!((level.list(63).head, level.list(63).tail), (NIL, NIL));
    }

    #[test]
    fn the_order_bit_follows_appends_and_resets_when_a_slot_refills() {
        let mut level = Level::new();
        let mut links = TestLinks::new(6);
        append(&mut level, &mut links, 3, 0, 10);
        append(&mut level, &mut links, 3, 1, 10);
        append(&mut level, &mut links, 3, 2, 12);
        assert!(
            level.is_ordered(3),
            "equal and rising deadlines are in order"
        );
        append(&mut level, &mut links, 3, 3, 11);
        assert!(!level.is_ordered(3));
        append(&mut level, &mut links, 3, 4, 20);
        assert!(
            !level.is_ordered(3),
            "only sorting puts a slot back in order"
        );
        level.take_slot(3);
        assert!(level.is_ordered(3));
        // A guess about an empty slot does not outlive its next first entry.
        level.mark_unordered(5);
        append(&mut level, &mut links, 5, 5, 1);
        assert!(level.is_ordered(5));
    }
}
