//! The intrusive slot lists: every wheel slot (and the overdue list) is a
//! doubly-linked list of slab indices, so filing and unfiling an entry is
//! O(1) with no search.

use super::entries::{Entry, Location, NIL};
use super::level::{level_for, slot_of};
use super::Wheel;

impl<T> Wheel<T> {
    /// Links an unlinked entry at the tail of the list its deadline belongs
    /// to, so that entries due at the same tick come out first in, first
    /// out.
    ///
    /// Lists are circular in one direction only: the head's `prev` is the
    /// tail (so appending is O(1) without a tail array), while the tail's
    /// `next` is [`NIL`] (so walks end).
    pub(super) fn file(&mut self, index: u32) {
        let deadline = self.entries[index as usize].deadline;
        let location = if deadline < self.now {
            self.overdue_min = self.overdue_min.min(deadline);
            Location::OVERDUE
        } else {
            let level = level_for(self.now, deadline);
            Location::slot(level, slot_of(deadline, level))
        };
        let head = self.head(location);
        let entry = &mut self.entries[index as usize];
        entry.next = NIL;
        entry.location = location;
        if head == NIL {
            entry.prev = index;
            self.set_head(location, index);
        } else {
            let tail = self.entries[head as usize].prev;
            self.entries[index as usize].prev = tail;
            self.entries[tail as usize].next = index;
            self.entries[head as usize].prev = index;
        }
    }

    /// Unlinks a linked entry from its list in O(1).
    pub(super) fn unlink(&mut self, index: u32) {
        let Entry {
            prev,
            next,
            location,
            ..
        } = self.entries[index as usize];
        let head = self.head(location);
        if index == head {
            self.set_head(location, next);
            if next != NIL {
                // The new head inherits the pointer to the tail.
                self.entries[next as usize].prev = prev;
            }
        } else {
            self.entries[prev as usize].next = next;
            let after = if next == NIL { head } else { next };
            // Either the next entry's back link, or (removing the tail) the
            // head's pointer to the tail.
            self.entries[after as usize].prev = prev;
        }
    }

    pub(super) fn head(&self, location: Location) -> u32 {
        match location.level_and_slot() {
            Some((level, slot)) => self.levels[level].head(slot),
            None => self.overdue_head,
        }
    }

    pub(super) fn set_head(&mut self, location: Location, head: u32) {
        match location.level_and_slot() {
            Some((level, slot)) => self.levels[level].set_head(slot, head),
            None => {
                self.overdue_head = head;
                if head == NIL {
                    self.overdue_min = u64::MAX;
                }
            }
        }
    }
}
