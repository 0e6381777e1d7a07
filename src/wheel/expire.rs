//! Handing entries over: finding the earliest occupied slot, emptying a
//! level-0 slot, cascading a higher slot down, and the overdue list.

use super::entries::{Key, NIL};
use super::level::{level_for, slot_of};
use super::Wheel;

impl<T> Wheel<T> {
    /// The lowest level with an occupied slot, and that slot: the wheel's
    /// earliest slot. Any occupied slot on a lower level lies within the
    /// current slot of every higher level, so it is earlier than anything
    /// filed higher up.
    pub(super) fn next_occupied(&self) -> Option<(usize, usize)> {
        self.levels.iter().enumerate().find_map(|(level, slots)| {
            if slots.is_empty() {
                return None;
            }
            let slot = slots.next_occupied_slot(slot_of(self.now, level));
            debug_assert!(slot.is_some(), "level {level} has slots only behind now");
            slot.map(|slot| (level, slot))
        })
    }

    /// Hands over the overdue entries, earliest deadline first, and returns
    /// how many. They are all behind `now`, so they come before anything in
    /// a slot.
    pub(super) fn hand_over_overdue(&mut self, expired: &mut impl FnMut(Key, u64, T)) -> usize {
        if self.overdue.head == NIL {
            return 0;
        }
        let mut order = std::mem::take(&mut self.overdue_scratch);
        order.clear();
        let mut index = self.overdue.head;
        while index != NIL {
            let entry = &self.entries[index];
            order.push((entry.deadline, index));
            index = entry.next;
        }
        // Stable, over the list's first-in-first-out order: equal
        // deadlines keep the order they were filed in.
        order.sort_by_key(|&(deadline, _)| deadline);
        // Unlink one at a time so a panicking `expired` leaves the rest
        // linked and the wheel consistent.
        for &(deadline, index) in &order {
            let (key, value) = self.take(index);
            expired(key, deadline, value);
        }
        let handed = order.len();
        self.overdue_scratch = order;
        handed
    }

    /// Hands over a level-0 slot, whose entries are all due exactly now, or
    /// as many of them as `budget` allows, first in first out. Returns
    /// whether the slot is empty.
    pub(super) fn hand_over_slot(
        &mut self,
        slot: usize,
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
            debug_assert_eq!(self.entries[index].deadline, self.now);
            let (key, value) = self.take(index);
            expired(key, self.now, value);
        }
    }

    /// Re-files every entry of a higher-level slot that `now` just reached;
    /// each lands on a lower level since its deadline now shares this slot
    /// with `now`.
    pub(super) fn cascade(&mut self, level: usize, slot: usize) {
        let mut index = self.levels[level].take_slot(slot);
        while index != NIL {
            let next = self.entries[index].next;
            debug_assert!(level_for(self.now, self.entries[index].deadline) < level);
            self.file(index);
            index = next;
        }
    }

    /// Takes a linked entry out of its list and the slab.
    pub(super) fn take(&mut self, index: u32) -> (Key, T) {
        let entry = self.entries.remove(index);
        self.detach(index, entry.prev, entry.next, entry.deadline);
        let key = Key {
            index,
            generation: entry.generation.get(),
        };
        (key, entry.value)
    }
}
