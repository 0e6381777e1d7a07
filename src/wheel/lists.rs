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
        let location = self.location_of(deadline);
        if location == Location::Overdue {
            self.overdue_min = self.overdue_min.min(deadline);
        }
        let head = self.head(location);
        let entry = &mut self.entries[index as usize];
        entry.next = NIL;
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
            deadline,
            ..
        } = self.entries[index as usize];
        let location = self.location_of(deadline);
        let head = self.head(location);
        debug_assert_ne!(head, NIL, "unlinking from an empty list");
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

    /// The list an entry due at `deadline` is linked on.
    ///
    /// Recomputed on every unlink instead of stored: the wheel keeps every
    /// linked entry exactly where `file` would put it at the current `now`.
    /// A deadline behind `now` was overdue when filed (a slot entry that
    /// `now` reached was handed over or cascaded by `advance` on the way),
    /// and for a deadline at or after `now`, `advance` only ever stops short
    /// of an entry's slot, inside the same block of the level above, so
    /// `level_for` and `slot_of` still name that slot.
    pub(super) fn location_of(&self, deadline: u64) -> Location {
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

    pub(super) fn head(&self, location: Location) -> u32 {
        match location {
            Location::Slot { level, slot } => self.levels[level].head(slot),
            Location::Overdue => self.overdue_head,
        }
    }

    pub(super) fn set_head(&mut self, location: Location, head: u32) {
        match location {
            Location::Slot { level, slot } => self.levels[level].set_head(slot, head),
            Location::Overdue => {
                self.overdue_head = head;
                if head == NIL {
                    self.overdue_min = u64::MAX;
                }
            }
        }
    }
}
