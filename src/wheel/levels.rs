//! The wheel's time structure ([`Levels`]): its `now`, the 11 levels of
//! slots and the overdue list; where an entry is linked at the current `now`,
//! and how `advance` moves `now` on, cascading slots down and handing over
//! what is due.

use super::entry::Key;
use super::level::{level_for, slot_of, slot_start, Level, LEVELS};
use super::list::{List, Location, NIL};
use super::overdue::Overdue;
use super::store::Store;

#[derive(Debug)]
pub(crate) struct Levels {
    levels: Box<[Level; LEVELS]>,
    overdue: Overdue,
    now: u64,
    /// Reused buffer for sorting the overdue entries.
    overdue_order: Vec<(u64, u32)>,
}

impl Levels {
    pub(crate) fn new() -> Self {
        Levels {
            levels: Box::new(std::array::from_fn(|_| Level::new())),
            overdue: Overdue::EMPTY,
            now: 0,
            overdue_order: Vec::new(),
        }
    }

    pub(crate) fn now(&self) -> u64 {
        self.now
    }

    /// The list an entry due at `deadline` is linked on.
    ///
    /// Recomputed when needed instead of stored: every linked entry stays
    /// exactly where it would be filed at the current `now`. A deadline
    /// behind `now` was overdue when filed (a slot entry that `now` reached
    /// was handed over or cascaded by `advance` on the way), and for a
    /// deadline at or after `now`, `advance` only ever stops short of an
    /// entry's slot, inside the same block of the level above, so
    /// `level_for` and `slot_of` still name that slot.
    #[inline]
    pub(crate) fn location_of(&self, deadline: u64) -> Location {
        if deadline < self.now {
            Location::Overdue
        } else {
            let level = level_for(self.now, deadline);
            Location::Slot {
                level,
                slot: slot_of(deadline, level),
            }
        }
    }

    /// The last entry at `location`, or [`NIL`]: a new entry's `prev`.
    #[inline]
    pub(crate) fn tail(&self, location: Location) -> u32 {
        match location {
            Location::Slot { level, slot } => self.levels[level].tail(slot),
            Location::Overdue => self.overdue.tail(),
        }
    }

    /// Links entry `index`, due at `deadline`, at the tail of `location`
    /// (which must be `location_of(deadline)`); its links must read `prev:
    /// self.tail(location), next: NIL`.
    #[inline]
    pub(crate) fn add_entry<T>(
        &mut self,
        location: Location,
        index: u32,
        deadline: u64,
        entries: &mut Store<T>,
    ) {
        debug_assert_eq!(location, self.location_of(deadline));
        match location {
            Location::Slot { level, slot } => self.levels[level].add_entry(slot, index, entries),
            Location::Overdue => self.overdue.add_entry(index, deadline, entries),
        }
    }

    /// Links an unlinked entry where its deadline belongs, after the entries
    /// filed there before it.
    pub(crate) fn file<T>(&mut self, index: u32, entries: &mut Store<T>) {
        let deadline = entries[index].deadline;
        let location = self.location_of(deadline);
        let entry = &mut entries[index];
        entry.prev = self.tail(location);
        entry.next = NIL;
        self.add_entry(location, index, deadline, entries);
    }

    /// Unlinks entry `index`, whose links and deadline are given: it may
    /// already be out of the store (a removal takes it out first, which saves
    /// looking it up twice), since only its neighbours and its list change.
    #[inline]
    pub(crate) fn unlink<T>(
        &mut self,
        index: u32,
        prev: u32,
        next: u32,
        deadline: u64,
        entries: &mut Store<T>,
    ) {
        if prev != NIL && next != NIL {
            // In the middle of its list: the list itself does not change.
            List::bypass(prev, next, entries);
            return;
        }
        match self.location_of(deadline) {
            Location::Slot { level, slot } => {
                self.levels[level].remove_entry(slot, index, prev, next, entries)
            }
            Location::Overdue => self.overdue.remove_entry(index, prev, next, entries),
        }
    }

    /// A lower bound of the earliest deadline linked; `None` iff none is.
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        self.overdue.min().or_else(|| {
            self.next_occupied()
                .map(|(level, slot)| slot_start(self.now, level, slot))
        })
    }

    /// The lowest level with an occupied slot, and that slot: the wheel's
    /// earliest slot. Any occupied slot on a lower level lies within the
    /// current slot of every higher level, so it is earlier than anything
    /// filed higher up.
    fn next_occupied(&self) -> Option<(usize, usize)> {
        self.levels.iter().enumerate().find_map(|(level, slots)| {
            if slots.is_empty() {
                return None;
            }
            let slot = slots.next_occupied_slot(slot_of(self.now, level));
            debug_assert!(slot.is_some(), "level {level} has slots only behind now");
            slot.map(|slot| (level, slot))
        })
    }

    /// Moves `now` towards `target`, handing the entries due on the way to
    /// `expired` (at most `budget` of them, the overdue ones all at once) and
    /// taking them out of `entries`. Returns whether it reached `target`;
    /// if not, `now` is the deadline of the entries left due.
    pub(crate) fn advance<T>(
        &mut self,
        entries: &mut Store<T>,
        target: u64,
        budget: usize,
        expired: &mut impl FnMut(Key, u64, T),
    ) -> bool {
        let target = target.max(self.now);
        let handed = self.hand_over_overdue(entries, expired);
        let mut budget = budget.saturating_sub(handed);
        while let Some((level, slot)) = self.next_occupied() {
            let start = slot_start(self.now, level, slot);
            debug_assert!(start >= self.now, "the next slot lies behind now");
            if start > target {
                break;
            }
            self.now = start;
            if level == 0 {
                if !self.hand_over_slot(slot, entries, &mut budget, expired) {
                    return false;
                }
            } else {
                self.cascade(level, slot, entries);
            }
        }
        self.now = target;
        true
    }

    /// Unlinks everything, leaving `now` where it is.
    pub(crate) fn clear(&mut self) {
        self.levels
            .iter_mut()
            .for_each(|level| *level = Level::new());
        self.overdue = Overdue::EMPTY;
    }

    /// Gives back the memory of the sorting buffer.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.overdue_order = Vec::new();
    }

    /// Hands over the overdue entries, earliest deadline first, and returns
    /// how many. They are all behind `now`, so they come before anything in
    /// a slot.
    fn hand_over_overdue<T>(
        &mut self,
        entries: &mut Store<T>,
        expired: &mut impl FnMut(Key, u64, T),
    ) -> usize {
        if self.overdue.head() == NIL {
            return 0;
        }
        let mut order = std::mem::take(&mut self.overdue_order);
        order.clear();
        let mut index = self.overdue.head();
        while index != NIL {
            let entry = &entries[index];
            order.push((entry.deadline, index));
            index = entry.next;
        }
        // Stable, over the list's first-in-first-out order: equal
        // deadlines keep the order they were filed in.
        order.sort_by_key(|&(deadline, _)| deadline);
        // Unlink one at a time so a panicking `expired` leaves the rest
        // linked and the wheel consistent.
        for &(deadline, index) in &order {
            let (key, value) = self.take(index, entries);
            expired(key, deadline, value);
        }
        let handed = order.len();
        self.overdue_order = order;
        handed
    }

    /// Hands over a level-0 slot, whose entries are all due exactly now, or
    /// as many of them as `budget` allows, first in first out. Returns
    /// whether the slot is empty.
    fn hand_over_slot<T>(
        &mut self,
        slot: usize,
        entries: &mut Store<T>,
        budget: &mut usize,
        expired: &mut impl FnMut(Key, u64, T),
    ) -> bool {
        loop {
            let index = self.levels[0].head(slot);
            if index == NIL {
                return true;
            }
            if *budget == 0 {
                return false;
            }
            *budget -= 1;
            debug_assert_eq!(entries[index].deadline, self.now);
            let (key, value) = self.take(index, entries);
            expired(key, self.now, value);
        }
    }

    /// Re-files every entry of a higher-level slot that `now` just reached;
    /// each lands on a lower level since its deadline now shares this slot
    /// with `now`.
    fn cascade<T>(&mut self, level: usize, slot: usize, entries: &mut Store<T>) {
        let mut index = self.levels[level].take_slot(slot);
        while index != NIL {
            let next = entries[index].next;
            debug_assert!(level_for(self.now, entries[index].deadline) < level);
            self.file(index, entries);
            index = next;
        }
    }

    /// Takes a linked entry out of its list and the store.
    fn take<T>(&mut self, index: u32, entries: &mut Store<T>) -> (Key, T) {
        let (key, entry) = entries.take(index);
        self.unlink(index, entry.prev, entry.next, entry.deadline, entries);
        (key, entry.into_value())
    }
}
