//! The wheel's time structure ([`Levels`]): its `now`, the width of a slot,
//! the 11 levels of slots, the overdue list and the current slot; where an
//! entry is filed, how it leaves, and which resets may leave it in place.
//! How `advance` moves `now` on is in `advance.rs`.
//!
//! Where an entry is, told from its deadline `d` alone (with `end` the last
//! deadline of the level-0 slot `now` is in, `now | (2^slot_bits - 1)`):
//!
//! * `d < now`: on the overdue list;
//! * `now <= d <= end`: in the current slot, in deadline order;
//! * `d > end`: in a slot ahead, either the slot its deadline names (the
//!   lowest level where `d` and `now` share the slot of the level above) or,
//!   if a reset moved it to a later deadline, a slot that starts at or
//!   before `d` (where it was filed before). Such an entry is filed anew
//!   when `advance` reaches that slot, which walks it anyway. Or, while
//!   `now` is in the last slot below the next slot of some level, in a
//!   spare list of that slot's entries moved one level down ahead of time
//!   (`ahead.rs`).
//!
//! So a reset to a later deadline of an entry beyond the current slot only
//! rewrites its deadline; everything else is exact and eager. Which list an
//! entry is on is never derived from its deadline: the ends of every list
//! name it (see `list.rs`), which also tells apart the runs of the current
//! slot.

use super::ahead::Ahead;
use super::current::{Current, MAX_RUNS};
use super::level::{level_for, slot_of, slot_start, Level, LEVELS, SLOTS};
use super::list::{is_sentinel, list_id, List, LIST_IDS};
use super::overdue::Overdue;
use super::store::Store;

/// The list id of the overdue list; slot `s` of level `l` is `l * 64 + s`.
const OVERDUE_ID: u32 = (LEVELS * SLOTS) as u32;
/// The list id of the current slot's first run.
const FIRST_RUN_ID: u32 = OVERDUE_ID + 1;
/// The list id of spare list 0 of level 0; spare list `b` of level `l`
/// (`ahead.rs`) is this plus `l * 64 + b`.
const FIRST_AHEAD_ID: u32 = FIRST_RUN_ID + MAX_RUNS as u32;
const _: () = assert!(FIRST_AHEAD_ID + (LEVELS * SLOTS) as u32 <= LIST_IDS);

/// An entry to sort: its deadline, its position in the list it came from
/// (filing order), and its index.
pub(super) type Filed = (u64, u32, u32);

/// A list an entry can be linked on, as its sentinel names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Location {
    Slot {
        level: usize,
        slot: usize,
    },
    Overdue,
    /// A run of the current slot.
    Run(usize),
    /// A spare list of a slot being moved ahead (`ahead.rs`).
    Ahead {
        level: usize,
        below: usize,
    },
}

/// Where a new entry goes: its list and its links there, found before the
/// entry is written so that it is written once.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Place {
    pub(crate) location: Location,
    pub(crate) prev: u32,
    pub(crate) next: u32,
}

#[derive(Debug)]
pub(crate) struct Levels {
    pub(super) levels: Box<[Level; LEVELS]>,
    pub(super) overdue: Overdue,
    pub(super) current: Current,
    /// Per level, its next slot, cascaded a part at a time before `now`
    /// reaches it (levels 2 and up).
    pub(super) ahead: Box<[Ahead; LEVELS]>,
    pub(super) now: u64,
    /// A level-0 slot spans `2^slot_bits` deadlines; a tick is a deadline
    /// shifted right by this.
    pub(super) slot_bits: u32,
    /// `2^slot_bits - 1`: the bits of a deadline within its level-0 slot.
    slot_mask: u64,
    /// Reused buffer for sorting the overdue entries and unordered slots.
    pub(super) sort_buffer: Vec<Filed>,
    /// Room for the radix sort's passes.
    pub(super) sort_scratch: Vec<Filed>,
}

impl Levels {
    /// Empty levels at 0 whose level-0 slots span `2^slot_bits` deadlines.
    pub(crate) fn new(slot_bits: u32) -> Self {
        assert!(
            slot_bits < 64,
            "slot bits must be below 64, not {slot_bits}"
        );
        Levels {
            levels: Box::new(std::array::from_fn(|_| Level::new())),
            overdue: Overdue::EMPTY,
            current: Current::new(FIRST_RUN_ID),
            ahead: Box::new(std::array::from_fn(|_| Ahead::new())),
            now: 0,
            slot_bits,
            slot_mask: (1u64 << slot_bits) - 1,
            sort_buffer: Vec::new(),
            sort_scratch: Vec::new(),
        }
    }

    pub(crate) fn now(&self) -> u64 {
        self.now
    }

    pub(crate) fn slot_bits(&self) -> u32 {
        self.slot_bits
    }

    /// The last deadline of the level-0 slot that `now` is in.
    #[inline]
    pub(super) fn current_end(&self) -> u64 {
        self.now | self.slot_mask
    }

    /// The list id of the overdue list.
    pub(super) fn overdue_id(&self) -> u32 {
        OVERDUE_ID
    }

    /// The list id of a slot.
    pub(super) fn slot_id(level: usize, slot: usize) -> u32 {
        (level * SLOTS + slot) as u32
    }

    /// The list id of `level`'s spare list for slot `below` one level down.
    pub(super) fn ahead_id(level: usize, below: usize) -> u32 {
        FIRST_AHEAD_ID + (level * SLOTS + below) as u32
    }

    /// The list that a sentinel names.
    #[inline]
    pub(super) fn location(&self, end: u32) -> Location {
        let id = list_id(end);
        if id < OVERDUE_ID {
            let id = id as usize;
            Location::Slot {
                level: id / SLOTS,
                slot: id % SLOTS,
            }
        } else if id == OVERDUE_ID {
            Location::Overdue
        } else if id < FIRST_AHEAD_ID {
            Location::Run(self.current.run_of(id))
        } else {
            let id = (id - FIRST_AHEAD_ID) as usize;
            Location::Ahead {
                level: id / SLOTS,
                below: id % SLOTS,
            }
        }
    }

    /// Where a new entry due at `deadline` is filed (see the module docs).
    /// Always inlined, as is [`link`](Levels::link): the place then stays in
    /// registers between the two.
    #[inline(always)]
    pub(crate) fn place<T>(&self, deadline: u64, entries: &Store<T>) -> Place {
        if deadline < self.now {
            let (prev, next) = self.overdue.append_links(OVERDUE_ID);
            Place {
                location: Location::Overdue,
                prev,
                next,
            }
        } else if deadline <= self.current_end() {
            self.place_current(deadline, entries)
        } else {
            self.place_in_slot(deadline)
        }
    }

    /// In the current slot, in deadline order: out of line, since it may
    /// walk, and most inserts go elsewhere.
    #[inline(never)]
    fn place_current<T>(&self, deadline: u64, entries: &Store<T>) -> Place {
        let (run, prev, next) = self.current.place(deadline, entries);
        Place {
            location: Location::Run(run),
            prev,
            next,
        }
    }

    /// At the tail of the slot that `deadline` (not behind `now`) names.
    /// Within the current slot that is `now`'s own level-0 slot, which only
    /// a cascade uses: `advance` loads it as the current slot right after.
    #[inline]
    pub(super) fn place_in_slot(&self, deadline: u64) -> Place {
        debug_assert!(deadline >= self.now);
        let tick = deadline >> self.slot_bits;
        let level = level_for(self.now >> self.slot_bits, tick);
        let slot = slot_of(tick, level);
        let (prev, next) = self.levels[level].append_links(slot, Self::slot_id(level, slot));
        Place {
            location: Location::Slot { level, slot },
            prev,
            next,
        }
    }

    /// Links entry `index`, due at `deadline`, where [`place`](Levels::place)
    /// said; its links must read what `place` gave.
    #[inline(always)]
    pub(crate) fn link<T>(
        &mut self,
        place: Place,
        index: u32,
        deadline: u64,
        entries: &mut Store<T>,
    ) {
        debug_assert_eq!(
            (entries[index].prev, entries[index].next),
            (place.prev, place.next)
        );
        match place.location {
            Location::Slot { level: 0, slot } if self.slot_bits > 0 => {
                self.levels[0].append_in_order(slot, index, place.prev, deadline, entries)
            }
            Location::Slot { level, slot } => {
                self.levels[level].append(slot, index, place.prev, entries)
            }
            Location::Overdue => self.overdue.append(index, deadline, place.prev, entries),
            Location::Run(run) => self
                .current
                .link(run, index, place.prev, place.next, entries),
            Location::Ahead { .. } => unreachable!("`place` never files into a spare list"),
        }
    }

    /// Links an unlinked entry where its deadline belongs.
    pub(crate) fn file<T>(&mut self, index: u32, entries: &mut Store<T>) {
        let deadline = entries[index].deadline;
        let place = self.place(deadline, entries);
        let entry = &mut entries[index];
        (entry.prev, entry.next) = (place.prev, place.next);
        self.link(place, index, deadline, entries);
    }

    /// Links entry `index`, due at or after `now` and taken out of a slot
    /// that `advance` reached, in the slot its deadline names (see
    /// [`place_in_slot`](Levels::place_in_slot)); returns the entry that
    /// followed it in the slot it left.
    #[inline(always)]
    pub(super) fn refile<T>(&mut self, index: u32, entries: &mut Store<T>) -> u32 {
        let entry = &mut entries[index];
        let (deadline, next) = (entry.deadline, entry.next);
        // Every entry's slot starts at or before its deadline.
        debug_assert!(
            deadline >= self.now,
            "{index} due at {deadline} behind {}",
            self.now
        );
        let place = self.place_in_slot(deadline);
        (entry.prev, entry.next) = (place.prev, place.next);
        self.link(place, index, deadline, entries);
        next
    }

    /// Unlinks the entry whose links are `prev` and `next`: its neighbours
    /// change, and its list if it was at an end (which the end's sentinel
    /// names). The entry itself is not touched: it may already be out of the
    /// store (a removal takes it out first, which saves a lookup).
    #[inline]
    pub(crate) fn unlink<T>(&mut self, prev: u32, next: u32, entries: &mut Store<T>) {
        let end = if is_sentinel(prev) {
            debug_assert!(!is_sentinel(next) || next == prev, "ends of two lists");
            prev
        } else if is_sentinel(next) {
            next
        } else {
            List::bypass(prev, next, entries);
            return;
        };
        match self.location(end) {
            Location::Slot { level, slot } => self.levels[level].unlink(slot, prev, next, entries),
            Location::Overdue => self.overdue.unlink(prev, next, entries),
            Location::Run(run) => self.current.unlink(run, prev, next, entries),
            Location::Ahead { level, below } => {
                self.ahead[level].lists.unlink(below, prev, next, entries)
            }
        }
    }

    /// Whether an entry due at `old` may move to a later deadline by
    /// rewriting its deadline alone: iff it lies beyond the current slot.
    /// Then it is in a slot that starts at or before `old` (see the module
    /// docs), which still starts before the new deadline, and `advance`
    /// files it anew when it reaches that slot. If that slot is on level 0,
    /// it is marked as out of order, so that it is sorted, and the entry
    /// moved on, when it becomes current.
    #[inline]
    pub(crate) fn defer_later(&mut self, old: u64) -> bool {
        if old <= self.current_end() {
            return false;
        }
        let (now, tick) = (self.now >> self.slot_bits, old >> self.slot_bits);
        match level_for(now, tick) {
            // The slot `old` names. If the entry was moved before, it is in
            // an earlier slot, marked then, and this mark is harmless (a
            // slot's first append clears it): an entry is due at or after the
            // start of its slot, which is ahead of `now`'s on its level, so
            // its deadline names a slot on that level or higher, and level 0
            // here means it is on level 0.
            0 => self.levels[0].mark_unordered(slot_of(tick, 0)),
            // In level 1's next slot, the entry may have been moved ahead
            // into the spare list that becomes level-0 slot `slot_of(tick,
            // 0)`: marked the same way (harmless if it was not moved yet:
            // the move files it by its new deadline).
            1 if self.ahead[1].source == Some(slot_of(tick, 1)) => {
                self.ahead[1].lists.mark_unordered(slot_of(tick, 0));
            }
            _ => {}
        }
        true
    }

    /// A lower bound of the earliest deadline linked; `None` iff none is.
    /// Exact for an overdue entry (until one is removed), in the current
    /// slot, and in the next level-0 slot if it was filed in order.
    pub(crate) fn next_deadline<T>(&self, entries: &Store<T>) -> Option<u64> {
        if let Some(min) = self.overdue.min() {
            return Some(min);
        }
        if let Some((deadline, _)) = self.current.first(entries) {
            return Some(deadline);
        }
        let (level, slot) = self.next_event()?;
        if level == 0 && self.slot_bits > 0 && self.levels[0].is_ordered(slot) {
            // In order and never left by a later reset: its head is first.
            let deadline = entries[self.levels[0].list(slot).head].deadline;
            debug_assert!(deadline >= self.slot_start(level, slot));
            return Some(deadline);
        }
        Some(self.slot_start(level, slot))
    }

    /// The lowest level with an occupied slot, and that slot: the wheel's
    /// earliest slot. Any occupied slot on a lower level lies within the
    /// current slot of every higher level, so it is earlier than anything
    /// filed higher up.
    pub(super) fn next_occupied(&self) -> Option<(usize, usize)> {
        let now = self.now >> self.slot_bits;
        self.levels.iter().enumerate().find_map(|(level, slots)| {
            if slots.is_empty() {
                return None;
            }
            let slot = slots.next_occupied_slot(slot_of(now, level));
            debug_assert!(slot.is_some(), "level {level} has slots only behind now");
            slot.map(|slot| (level, slot))
        })
    }

    /// The first deadline of a slot, in the block of its level that holds
    /// `now`. Cannot overflow: the tick is that of a deadline.
    pub(super) fn slot_start(&self, level: usize, slot: usize) -> u64 {
        let tick = slot_start(self.now >> self.slot_bits, level, slot);
        debug_assert!(tick <= u64::MAX >> self.slot_bits);
        tick << self.slot_bits
    }

    /// Unlinks everything, leaving `now` where it is.
    pub(crate) fn clear(&mut self) {
        self.levels
            .iter_mut()
            .for_each(|level| *level = Level::new());
        self.overdue = Overdue::EMPTY;
        self.current.clear();
        self.ahead
            .iter_mut()
            .for_each(|ahead| *ahead = Ahead::new());
    }

    /// Gives back the memory of the sorting buffers.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.sort_buffer = Vec::new();
        self.sort_scratch = Vec::new();
    }
}
