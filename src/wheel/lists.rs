//! The intrusive slot lists: every wheel slot (and the overdue list) is a
//! doubly-linked list of slab indices, so filing and unfiling an entry is
//! O(1) with no search.

use super::entries::{Entry, Location, NIL};
use super::level::{level_for, slot_of};
use super::Wheel;

/// One slot's list: its first and last entry, both [`NIL`] when empty.
///
/// The tail is kept (8 bytes per slot rather than 4) because appending
/// is the hot path of every schedule: with it, an append touches one other
/// entry (the old tail); with only a head, it had to reach the tail through
/// the head and update both, three entry accesses (~20 instructions more
/// per insert, by callgrind).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct List {
    pub(crate) head: u32,
    pub(crate) tail: u32,
}

impl List {
    pub(crate) const EMPTY: List = List {
        head: NIL,
        tail: NIL,
    };
}

/// Where a new tail goes: found before the entry is linked (or even
/// exists), so that `insert` can build the entry with its final links.
#[derive(Clone, Copy)]
pub(super) struct Tail {
    location: Location,
    /// The new entry's `prev`: the old tail, or [`NIL`] if the list is
    /// empty.
    pub(super) prev: u32,
}

impl<T> Wheel<T> {
    /// Links an unlinked entry at the tail of the list its deadline belongs
    /// to, so that entries due at the same tick come out first in, first
    /// out.
    pub(super) fn file(&mut self, index: u32) {
        let tail = self.tail_for(self.entries[index].deadline);
        let entry = &mut self.entries[index];
        entry.prev = tail.prev;
        entry.next = NIL;
        self.append(tail, index);
    }

    /// Where an entry due at `deadline` goes at the tail of its list
    /// (noting an overdue deadline in `overdue_min`).
    #[inline]
    pub(super) fn tail_for(&mut self, deadline: u64) -> Tail {
        let location = self.location_of(deadline);
        if location == Location::Overdue {
            self.overdue_min = self.overdue_min.min(deadline);
        }
        Tail {
            location,
            prev: self.list(location).tail,
        }
    }

    /// Finishes linking entry `index`, whose own links already say
    /// `prev: tail.prev, next: NIL`, at the tail found by `tail_for`.
    #[inline]
    pub(super) fn append(&mut self, tail: Tail, index: u32) {
        if tail.prev == NIL {
            self.set_head(tail.location, index);
        } else {
            self.entries[tail.prev].next = index;
        }
        self.set_tail(tail.location, index);
    }

    /// Unlinks a linked entry from its list in O(1).
    pub(super) fn unlink(&mut self, index: u32) {
        let Entry {
            prev,
            next,
            deadline,
            ..
        } = self.entries[index];
        self.detach(index, prev, next, deadline);
    }

    /// Unlinks entry `index`, whose links and deadline are given: it may
    /// already be out of the slab (a removal takes it out first, which saves
    /// looking it up twice), since only its neighbours and its list change.
    #[inline]
    pub(super) fn detach(&mut self, index: u32, prev: u32, next: u32, deadline: u64) {
        if prev == NIL || next == NIL {
            // At an end of its list: the list itself changes.
            let location = self.location_of(deadline);
            if prev == NIL {
                debug_assert_eq!(self.list(location).head, index, "not its list's head");
                self.set_head(location, next);
            }
            if next == NIL {
                debug_assert_eq!(self.list(location).tail, index, "not its list's tail");
                self.set_tail(location, prev);
            }
        }
        if prev != NIL {
            self.entries[prev].next = next;
        }
        if next != NIL {
            self.entries[next].prev = prev;
        }
    }

    /// The list an entry due at `deadline` is linked on.
    ///
    /// Recomputed when needed instead of stored: the wheel keeps every
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
    pub(super) fn list(&self, location: Location) -> List {
        match location {
            Location::Slot { level, slot } => self.levels[level].list(slot),
            Location::Overdue => self.overdue,
        }
    }

    #[inline]
    fn set_head(&mut self, location: Location, head: u32) {
        match location {
            Location::Slot { level, slot } => self.levels[level].set_head(slot, head),
            Location::Overdue => {
                self.overdue.head = head;
                if head == NIL {
                    self.overdue_min = u64::MAX;
                }
            }
        }
    }

    #[inline]
    fn set_tail(&mut self, location: Location, tail: u32) {
        match location {
            Location::Slot { level, slot } => self.levels[level].set_tail(slot, tail),
            Location::Overdue => self.overdue.tail = tail,
        }
    }
}
