//! The intrusive slot lists: every wheel slot (and the overdue list) is a
//! doubly-linked list of slab indices, so filing and unfiling an entry is
//! O(1) with no search.

use super::entries::{Entry, Location, NIL};
use super::level::{level_for, slot_of};
use super::Wheel;

/// Where a new tail goes: found before the entry is linked (or even
/// exists), so that `insert` can build the entry with its final links.
#[derive(Clone, Copy)]
pub(super) struct Tail {
    location: Location,
    head: u32,
    /// The new tail's `prev`: the old tail, or the entry itself if the
    /// list is empty.
    pub(super) prev: u32,
}

impl<T> Wheel<T> {
    /// Links an unlinked entry at the tail of the list its deadline belongs
    /// to, so that entries due at the same tick come out first in, first
    /// out.
    ///
    /// Lists are circular in one direction only: the head's `prev` is the
    /// tail (so appending is O(1) without a tail array), while the tail's
    /// `next` is [`NIL`] (so walks end).
    pub(super) fn file(&mut self, index: u32) {
        let tail = self.tail_for(self.entries[index].deadline, index);
        let entry = &mut self.entries[index];
        entry.prev = tail.prev;
        entry.next = NIL;
        self.append(tail, index);
    }

    /// Where entry `index`, due at `deadline`, goes at the tail of its list
    /// (noting an overdue deadline in `overdue_min`).
    #[inline]
    pub(super) fn tail_for(&mut self, deadline: u64, index: u32) -> Tail {
        let location = self.location_of(deadline);
        if location == Location::Overdue {
            self.overdue_min = self.overdue_min.min(deadline);
        }
        let head = self.head(location);
        let prev = if head == NIL {
            index
        } else {
            self.entries[head].prev
        };
        Tail {
            location,
            head,
            prev,
        }
    }

    /// Finishes linking entry `index`, whose own links already say
    /// `prev: tail.prev, next: NIL`, at the tail found by `tail_for`.
    #[inline]
    pub(super) fn append(&mut self, tail: Tail, index: u32) {
        if tail.head == NIL {
            self.set_head(tail.location, index);
        } else {
            self.entries[tail.prev].next = index;
            self.entries[tail.head].prev = index;
        }
    }

    /// Unlinks a linked entry from its list in O(1).
    pub(super) fn unlink(&mut self, index: u32) {
        let Entry {
            prev,
            next,
            deadline,
            ..
        } = self.entries[index];
        let location = self.location_of(deadline);
        let head = self.head(location);
        debug_assert_ne!(head, NIL, "unlinking from an empty list");
        if index == head {
            self.set_head(location, next);
            if next != NIL {
                // The new head inherits the pointer to the tail.
                self.entries[next].prev = prev;
            }
        } else {
            self.entries[prev].next = next;
            let after = if next == NIL { head } else { next };
            // Either the next entry's back link, or (removing the tail) the
            // head's pointer to the tail.
            self.entries[after].prev = prev;
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
    #[inline]
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

    #[inline]
    pub(super) fn head(&self, location: Location) -> u32 {
        match location {
            Location::Slot { level, slot } => self.levels[level].head(slot),
            Location::Overdue => self.overdue_head,
        }
    }

    #[inline]
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
