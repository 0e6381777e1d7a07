//! Cascading a slot ahead of its turn, a part at every `advance`
//! ([`Levels::move_ahead`]).
//!
//! When `now` reaches a slot on level `L`, every entry in it is filed one
//! level down or lower. For a slot of level 2 (4.2 s wide at a 1 ms tick)
//! holding a few hundred thousand timers, that is milliseconds of work in
//! one `advance`, under the caller's lock, just when the first of those
//! timers comes due; a level-1 slot (65 ms) of timers due at a million a
//! second took 0.7-0.9 ms. So each level `L >= 1` starts on the cascade of
//! its next slot as soon as `now` is in the slot before it: every `advance`
//! moves up to [`AHEAD_PER_ADVANCE`] entries of those slots, the lowest
//! level's first, into a spare set of level-`(L - 1)` slot lists (`Ahead`),
//! laid out as level `L - 1` will be once `now` crosses into the slot. At
//! that crossing level `L - 1` is empty (`now` walked through all of it), so
//! the spare lists become its lists, and only what was not moved yet (a
//! wheel advanced rarely) is cascaded as before.
//!
//! Nothing else changes: an entry moved ahead is due at or after the start
//! of its new slot, a removal or reset finds its list by the sentinels at
//! the list's ends (see `list.rs`), and entries due at the same deadline
//! keep their filing order, since each slot is moved head first and new
//! entries are appended after it. Level 1's spare lists become level-0
//! slots, which keep an order bit (see `level.rs`): a move keeps it as an
//! insert does, crossing hands it over with the list, and a later reset of
//! a moved entry sets it (`Levels::defer_later`).

use super::level::{slot_of, slot_start, Level, BITS_PER_LEVEL, LEVELS, SLOTS};
use super::levels::Levels;
use super::list::{is_sentinel, sentinel};
use super::store::Store;

/// Entries moved ahead per `advance`: a few microseconds of work, and
/// enough that a wheel advanced every 20 µs moves some 13 million entries
/// through the 4.2 s before a level-2 crossing.
pub(super) const AHEAD_PER_ADVANCE: usize = 64;

/// The lowest level whose slots are moved ahead.
pub(super) const FIRST_AHEAD_LEVEL: usize = 1;
/// One past the highest: the top level has no next block to fill.
pub(super) const END_AHEAD_LEVEL: usize = LEVELS - 1;

/// One level's spare lists, and which of its slots they are filled from.
#[derive(Debug)]
pub(crate) struct Ahead {
    /// The slot being moved down, the one after `now`'s on this level;
    /// `None` while none is.
    pub(super) source: Option<usize>,
    /// Its entries moved so far, by their slot one level down.
    pub(super) lists: Level,
}

impl Ahead {
    pub(crate) fn new() -> Self {
        Ahead {
            source: None,
            lists: Level::new(),
        }
    }
}

impl Levels {
    /// Moves up to [`AHEAD_PER_ADVANCE`] entries of the slots that `now`
    /// reaches next on levels 1 and up into their spare lists, the lowest
    /// level's first (its crossing comes first).
    pub(super) fn move_ahead<T>(&mut self, entries: &mut Store<T>) {
        let now = self.now >> self.slot_bits;
        let mut budget = AHEAD_PER_ADVANCE;
        for level in FIRST_AHEAD_LEVEL..END_AHEAD_LEVEL {
            let slot = match self.ahead[level].source {
                Some(slot) => slot,
                None => {
                    // The first slot of the next block is filled by the
                    // cascade from above, at the crossing.
                    let next = slot_of(now, level) + 1;
                    if next == SLOTS || !self.levels[level].is_occupied(next) {
                        continue;
                    }
                    self.ahead[level].source = Some(next);
                    next
                }
            };
            budget = self.move_slot_ahead(level, slot, budget, entries);
            if budget == 0 {
                return;
            }
        }
    }

    /// Moves up to `budget` entries of `slot` on `level` into the level's
    /// spare lists, head first; returns what is left of the budget.
    fn move_slot_ahead<T>(
        &mut self,
        level: usize,
        slot: usize,
        mut budget: usize,
        entries: &mut Store<T>,
    ) -> usize {
        let shift = level as u32 * BITS_PER_LEVEL;
        let start = self.slot_start(level, slot) >> self.slot_bits;
        let id = Self::slot_id(level, slot);
        while budget > 0 {
            let index = self.levels[level].list(slot).head;
            if is_sentinel(index) {
                break;
            }
            budget -= 1;
            let (deadline, next) = (entries[index].deadline, entries[index].next);
            self.levels[level].unlink(slot, sentinel(id), next, entries);
            let tick = deadline >> self.slot_bits;
            debug_assert!(tick >= start, "{index} due before its slot");
            if (tick ^ start) >> shift == 0 {
                // Due within the slot: where it goes one level down once
                // `now` is in the slot.
                let below = slot_of(tick, level - 1);
                let lists = &mut self.ahead[level].lists;
                let (prev, end) = lists.append_links(below, Self::ahead_id(level, below));
                let entry = &mut entries[index];
                (entry.prev, entry.next) = (prev, end);
                if level == 1 && self.slot_bits > 0 {
                    // A level-0 slot to be: its order bit counts.
                    lists.append_in_order(below, index, prev, deadline, entries);
                } else {
                    lists.append(below, index, prev, entries);
                }
            } else {
                // A reset moved it past the slot: file it where it belongs
                // now, a slot further ahead.
                self.refile(index, entries);
            }
        }
        budget
    }

    /// The slot `advance` must stop at next: the wheel's earliest occupied
    /// slot, or a slot being moved ahead whose spare lists hold entries, if
    /// that comes first (the slot itself may be empty by now).
    pub(super) fn next_event(&self) -> Option<(usize, usize)> {
        let occupied = self.next_occupied();
        // The lowest level's crossing comes first: its next slot lies
        // within `now`'s slot of every level above.
        let ahead = (FIRST_AHEAD_LEVEL..END_AHEAD_LEVEL)
            .find(|&level| !self.ahead[level].lists.is_empty())
            .and_then(|level| Some((level, self.ahead[level].source?)));
        match (occupied, ahead) {
            // An occupied slot on a lower level lies within `now`'s slot of
            // the source's level, before the source; one on that level or
            // higher is the source or after it.
            (Some((lower, _)), Some((level, _))) if lower < level => occupied,
            (_, Some(source)) => Some(source),
            (occupied, None) => occupied,
        }
    }

    /// Forgets the slots being moved ahead whose spare lists are empty
    /// (nothing moved yet, or all of it removed since): crossing into one is
    /// an ordinary cascade, which `next_event` need not stop for. Called
    /// before `now` moves.
    pub(super) fn forget_empty_ahead(&mut self) {
        for ahead in &mut self.ahead[FIRST_AHEAD_LEVEL..END_AHEAD_LEVEL] {
            if ahead.lists.is_empty() {
                ahead.source = None;
            }
        }
    }

    /// `now` just reached slot `slot` of `level`: if it is the one being
    /// moved ahead, the spare lists become level `L - 1`'s, which `now`
    /// walked through and left empty. All but the first: that one stands
    /// for the slot `now` is in on level `L - 1`, whose entries belong
    /// lower down, so they are filed again, as a cascade would, once the
    /// others are in place (one that a reset moved on may belong in any of
    /// them).
    pub(super) fn take_ahead<T>(&mut self, level: usize, slot: usize, entries: &mut Store<T>) {
        if level < FIRST_AHEAD_LEVEL || self.ahead[level].source != Some(slot) {
            return;
        }
        self.ahead[level].source = None;
        debug_assert!(self.levels[level - 1].is_empty());
        debug_assert_eq!(slot_of(self.now >> self.slot_bits, level - 1), 0);
        let first = self.ahead[level].lists.take_slot(0);
        for below in 1..SLOTS {
            if !self.ahead[level].lists.is_occupied(below) {
                continue;
            }
            let ordered = self.ahead[level].lists.is_ordered(below);
            let list = self.ahead[level].lists.take_slot(below);
            let end = sentinel(Self::slot_id(level - 1, below));
            entries[list.head].prev = end;
            entries[list.tail].next = end;
            self.levels[level - 1].put_slot(below, list);
            if level == 1 && !ordered {
                self.levels[0].mark_unordered(below);
            }
        }
        debug_assert!(self.ahead[level].lists.is_empty());
        self.refile_all(first.head, entries);
    }

    /// The first deadline of spare list `below` of `level`: the start of
    /// that slot one level down once `now` is in the source slot.
    pub(super) fn ahead_start(&self, level: usize, below: usize) -> Option<u64> {
        let slot = self.ahead[level].source?;
        let source = slot_start(self.now >> self.slot_bits, level, slot);
        let tick = source | ((below as u64) << ((level - 1) as u32 * BITS_PER_LEVEL));
        Some(tick << self.slot_bits)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Key, Wheel};
    use super::AHEAD_PER_ADVANCE;

    /// One-deadline slots: level 1's are 64 wide, level 2's 4,096. Level-2
    /// slot 1 (4,096..8,191) is moved ahead while `now` is in slot 0.
    const SOURCE_START: u64 = 4096;

    /// `n` entries in level-2 slot 1, scattered, with runs of three equal
    /// deadlines; their keys in filing order.
    fn filled(n: u32) -> (Wheel<u32>, Vec<Key>) {
        let mut wheel = Wheel::with_slot_bits(0);
        let keys = (0..n)
            .map(|i| wheel.insert(SOURCE_START + u64::from(i / 3 * 37 % 4096), i))
            .collect();
        (wheel, keys)
    }

    /// Everything due by `now`, in the order handed over.
    fn advance(wheel: &mut Wheel<u32>, now: u64) -> Vec<(u64, u32)> {
        let mut out = Vec::new();
        wheel.advance_at_most_with_deadlines(now, usize::MAX, |_, deadline, value| {
            out.push((deadline, value))
        });
        out
    }

    /// Entries still in level-2 slot 1.
    fn left_in_source(wheel: &Wheel<u32>) -> usize {
        let mut count = 0;
        let mut index = wheel.levels.levels[2].list(1).head;
        while !super::is_sentinel(index) {
            count += 1;
            index = wheel.entries[index].next;
        }
        count
    }

    /// Deadline order, and equal deadlines in filing (value) order.
    fn assert_in_order(out: &[(u64, u32)]) {
        for pair in out.windows(2) {
            assert!(pair[0] < pair[1], "{:?} before {:?}", pair[0], pair[1]);
        }
    }

    #[test]
    fn the_next_slot_moves_down_a_part_per_advance_before_now_reaches_it() {
        let n = 1000;
        let (mut wheel, _) = filled(n);
        assert_eq!(wheel.levels.ahead[2].source, None, "no advance yet");
        assert!(advance(&mut wheel, 1).is_empty());
        assert_eq!(wheel.levels.ahead[2].source, Some(1));
        assert_eq!(left_in_source(&wheel), n as usize - AHEAD_PER_ADVANCE);
        wheel.audit();
        // Every advance moves another part; the lower bound stays the
        // slot's start.
        for now in 2..20 {
            assert!(advance(&mut wheel, now).is_empty());
            wheel.audit();
            assert_eq!(wheel.next_deadline(), Some(SOURCE_START));
        }
        assert_eq!(left_in_source(&wheel), 0, "all moved before the crossing");
        assert!(!wheel.levels.levels[2].is_occupied(1));
        let out = advance(&mut wheel, u64::MAX);
        assert_eq!(out.len(), n as usize);
        assert_in_order(&out);
        assert_eq!(wheel.levels.ahead[2].source, None);
        wheel.audit();
    }

    #[test]
    fn entries_moved_ahead_can_be_removed_and_reset_and_new_ones_join_the_line() {
        let (mut wheel, keys) = filled(300);
        for now in 1..4 {
            advance(&mut wheel, now);
        }
        // 192 are in spare lists by now, the rest still in the slot.
        assert_eq!(left_in_source(&wheel), 300 - 3 * AHEAD_PER_ADVANCE);
        assert_eq!(wheel.levels.ahead[2].lists.list(0).head, keys[0].index);
        assert_eq!(wheel.remove(keys[0]), Some(0));
        assert_eq!(wheel.remove(keys[299]), Some(299));
        // Later, past the slot; later within it; earlier, before it.
        assert!(wheel.reset(keys[1], 50_000));
        assert!(wheel.reset(keys[2], SOURCE_START + 4000));
        assert!(wheel.reset(keys[3], 100));
        // Filed after the entries due at the same deadline moved ahead.
        let late = wheel.insert(SOURCE_START + 37, 1000);
        wheel.audit();
        assert_eq!(advance(&mut wheel, 100), [(100, 3)]);
        let out = advance(&mut wheel, u64::MAX);
        wheel.audit();
        assert_eq!(out.len(), 298);
        // 0 was removed, 1 and 2 reset away from 4,096; 3 left at once.
        let after = SOURCE_START + 37;
        assert_eq!(&out[..3], &[(after, 4), (after, 5), (after, 1000)]);
        assert_eq!(wheel.deadline(late), None);
        let at = |v: u32| out.iter().find(|&&(_, value)| value == v).map(|&(d, _)| d);
        assert_eq!(at(1), Some(50_000));
        assert_eq!(at(2), Some(SOURCE_START + 4000));
        for pair in out.windows(2) {
            assert!(pair[0].0 <= pair[1].0, "{:?} before {:?}", pair[0], pair[1]);
        }
    }

    #[test]
    fn an_idle_wheel_crosses_the_slot_in_one_advance() {
        let (mut wheel, _) = filled(500);
        advance(&mut wheel, 5);
        assert_eq!(wheel.levels.ahead[2].source, Some(1));
        // One call from before the slot to far beyond: the spare lists and
        // the rest of the slot both come out, in order.
        let out = advance(&mut wheel, 1 << 40);
        assert_eq!(out.len(), 500);
        assert_in_order(&out);
        wheel.audit();
    }

    #[test]
    fn an_entry_reset_out_of_the_first_spare_list_is_filed_after_the_merge() {
        // Due in the source's first level-1 slot when moved ahead, then reset
        // (in place) into its second: at the crossing the first spare list is
        // filed again, into a level-1 slot the merge has just filled.
        let mut wheel = Wheel::with_slot_bits(0);
        let moved = wheel.insert(SOURCE_START + 10, 0);
        wheel.insert(SOURCE_START + 70, 1);
        advance(&mut wheel, 1);
        assert!(wheel.reset(moved, SOURCE_START + 80));
        wheel.audit();
        advance(&mut wheel, SOURCE_START);
        wheel.audit();
        let out = advance(&mut wheel, u64::MAX);
        assert_eq!(out, [(SOURCE_START + 70, 1), (SOURCE_START + 80, 0)]);
    }

    #[test]
    fn every_level_moves_its_own_next_slot() {
        // Level 2's next slot and level 3's (262,144.. on level 3), both
        // moved ahead at once, and crossed in order.
        let mut wheel = Wheel::with_slot_bits(0);
        for i in 0..200u32 {
            wheel.insert(SOURCE_START + u64::from(i), i);
            wheel.insert((1 << 18) + u64::from(i), 1000 + i);
        }
        for now in 1..10 {
            advance(&mut wheel, now);
            wheel.audit();
        }
        assert_eq!(wheel.levels.ahead[2].source, Some(1));
        assert_eq!(wheel.levels.ahead[3].source, Some(1));
        assert!(!wheel.levels.levels[2].is_occupied(1) && !wheel.levels.levels[3].is_occupied(1));
        let out = advance(&mut wheel, u64::MAX);
        assert_eq!(out.len(), 400);
        assert_in_order(&out);
        wheel.audit();
    }

    /// Moves the wheel to `now` one deadline at a time, checking that each
    /// entry comes out once due and in deadline order; returns all of them.
    fn step_to(wheel: &mut Wheel<u32>, from: u64, to: u64) -> Vec<(u64, u32)> {
        let mut out: Vec<(u64, u32)> = Vec::new();
        for now in from..=to {
            for (deadline, value) in advance(wheel, now) {
                assert!(
                    deadline <= now,
                    "{value} due at {deadline} handed over at {now}"
                );
                if let Some(&(last, _)) = out.last() {
                    assert!(last <= deadline, "{value} due at {deadline} after {last}");
                }
                out.push((deadline, value));
            }
            if now % 16 == 0 {
                wheel.audit();
            }
        }
        out
    }

    #[test]
    fn level_one_moves_ahead_into_level_zero_slots_in_their_order() {
        // Level-0 slots 4 deadlines wide, so their order matters; level 1's
        // slots are 256 wide: slot 1 (256..511) is moved while `now` is in
        // slot 0, filed out of order on purpose.
        let mut wheel = Wheel::with_slot_bits(2);
        let keys: Vec<Key> = (0..600u32)
            .map(|i| wheel.insert(256 + u64::from(i * 37 % 256), i))
            .collect();
        let out = step_to(&mut wheel, 1, 20);
        assert!(out.is_empty());
        assert_eq!(wheel.levels.ahead[1].source, Some(1));
        assert!(!wheel.levels.levels[1].is_occupied(1), "all moved");
        // Moved entries reset later (in place): within the block, into a
        // later level-0 slot; and past it.
        let (within, past) = (keys[5], keys[6]);
        let (old_within, old_past) = (
            wheel.deadline(within).unwrap(),
            wheel.deadline(past).unwrap(),
        );
        assert!(wheel.reset(within, old_within.max(300) + 100));
        assert!(wheel.reset(past, 5_000));
        wheel.audit();
        let out = step_to(&mut wheel, 21, 6_000);
        assert_eq!(out.len(), 600);
        let at = |v: u32| out.iter().find(|&&(_, value)| value == v).map(|&(d, _)| d);
        assert_eq!(at(5), Some(old_within.max(300) + 100));
        assert_eq!(at(6), Some(5_000));
        assert_ne!(old_past, 5_000);
    }

    #[test]
    fn a_reset_of_a_moved_entry_within_its_level_zero_slot_to_be_keeps_it_due() {
        // Two entries in the same level-0 slot to be (264..267), moved in
        // order; the first is then reset later within that slot, so the
        // slot must be sorted when it becomes current.
        let mut wheel = Wheel::with_slot_bits(2);
        let first = wheel.insert(264, 0);
        wheel.insert(265, 1);
        advance(&mut wheel, 1);
        assert_eq!(wheel.levels.ahead[1].source, Some(1));
        assert!(wheel.reset(first, 267));
        wheel.audit();
        let out = step_to(&mut wheel, 2, 300);
        assert_eq!(out, [(265, 1), (267, 0)]);
    }
}
