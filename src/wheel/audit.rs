//! A full check of the wheel's lists against its entries
//! ([`Levels::audit`]), for tests: what the debug assertions check piecemeal
//! as the wheel works, checked everywhere at once.

use super::level::{slot_of, SLOTS};
use super::levels::Levels;
use super::list::{is_sentinel, sentinel, List, NIL};
use super::store::Store;

/// `(deadline, index)` of each entry of `list`, whose id is `id`, head to
/// tail; panics unless every link agrees and both ends name the list.
fn walk<T>(list: List, id: u32, entries: &Store<T>) -> Vec<(u64, u32)> {
    let mut out = Vec::new();
    let mut prev = sentinel(id);
    let mut index = list.head;
    while !is_sentinel(index) {
        let entry = &entries[index];
        assert_eq!(entry.prev, prev, "list {id}: entry {index}'s prev");
        out.push((entry.deadline, index));
        assert!(out.len() <= entries.len(), "list {id} loops");
        prev = index;
        index = entry.next;
    }
    let (last, tail) = match out.is_empty() {
        true => (NIL, NIL),
        false => (sentinel(id), prev),
    };
    assert_eq!(index, last, "list {id} does not end in its own sentinel");
    assert_eq!(list.tail, tail, "list {id}'s tail");
    out
}

fn sorted(list: &[(u64, u32)]) -> bool {
    list.windows(2).all(|pair| pair[0].0 <= pair[1].0)
}

impl Levels {
    /// Panics unless every invariant holds (see the module docs of
    /// `levels.rs`): each list is well linked and named by its ends; the
    /// bitmaps agree with the lists; overdue entries are behind `now`, the
    /// current slot's runs are sorted and due within it, and every entry in a
    /// slot is due after the current slot and not before its slot starts; a
    /// level-0 slot marked in order is in order; and every entry is on
    /// exactly one list.
    pub(crate) fn audit<T>(&self, entries: &Store<T>) {
        let (now, end) = (self.now, self.current_end());
        let now_tick = now >> self.slot_bits;
        let mut linked = 0;
        for (level, slots) in self.levels.iter().enumerate() {
            for slot in 0..SLOTS {
                let id = (level * SLOTS + slot) as u32;
                let list = walk(slots.list(slot), id, entries);
                assert_eq!(
                    slots.is_occupied(slot),
                    !list.is_empty(),
                    "bit of list {id}"
                );
                if list.is_empty() {
                    continue;
                }
                linked += list.len();
                assert!(
                    slot > slot_of(now_tick, level),
                    "list {id} is not ahead of now {now}"
                );
                let start = self.slot_start(level, slot);
                for &(deadline, index) in &list {
                    assert!(
                        deadline > end,
                        "{index} due at {deadline} in list {id}, now {now}"
                    );
                    assert!(
                        deadline >= start,
                        "{index} due at {deadline} before list {id}'s start"
                    );
                }
                if level == 0 && slots.is_ordered(slot) {
                    assert!(sorted(&list), "list {id} is marked in order: {list:?}");
                    let slot_end = start | ((1u64 << self.slot_bits) - 1);
                    assert!(list.iter().all(|&(deadline, _)| deadline <= slot_end));
                }
            }
        }
        linked += self.audit_ahead(entries);
        let overdue = walk(
            List {
                head: self.overdue.head(),
                tail: self.overdue.tail(),
            },
            self.overdue_id(),
            entries,
        );
        linked += overdue.len();
        let min = self.overdue.min();
        for &(deadline, index) in &overdue {
            assert!(
                deadline < now,
                "overdue {index} due at {deadline}, now {now}"
            );
            assert!(
                min.is_some_and(|min| min <= deadline),
                "overdue min {min:?}"
            );
        }
        let mut runs = 0;
        for (id, list) in self.current.runs() {
            let run = walk(list, id, entries);
            assert!(sorted(&run), "run {id} out of order: {run:?}");
            for &(deadline, index) in &run {
                assert!(
                    now <= deadline && deadline <= end,
                    "{index} due at {deadline} in run {id}"
                );
            }
            linked += run.len();
            runs += 1;
            if runs == self.current.runs().count() {
                assert!(!run.is_empty(), "the top run is empty");
            }
        }
        assert_eq!(linked, entries.len(), "entries on no list, or on two");
    }

    /// The spare lists of the slots moved ahead: a level has them only
    /// while its source is the slot after `now`'s; every entry is due at or
    /// after the start of the slot its list stands for. Returns how many
    /// entries they hold.
    fn audit_ahead<T>(&self, entries: &Store<T>) -> usize {
        let now_tick = self.now >> self.slot_bits;
        let mut linked = 0;
        for (level, ahead) in self.ahead.iter().enumerate() {
            match ahead.source {
                None => assert!(
                    ahead.lists.is_empty(),
                    "level {level}: spare lists, no source"
                ),
                Some(slot) => assert_eq!(
                    slot_of(now_tick, level) + 1,
                    slot,
                    "level {level}: the source is not next, now {}",
                    self.now
                ),
            }
            for below in 0..SLOTS {
                let id = Self::ahead_id(level, below);
                let list = walk(ahead.lists.list(below), id, entries);
                assert_eq!(
                    ahead.lists.is_occupied(below),
                    !list.is_empty(),
                    "bit of spare list {id}"
                );
                let Some(start) = self.ahead_start(level, below) else {
                    continue;
                };
                for &(deadline, index) in &list {
                    assert!(
                        deadline >= start,
                        "{index} due at {deadline} before spare list {id}'s start {start}"
                    );
                }
                // Level 1's spare lists become level-0 slots, order bit and all.
                if level == 1 && self.slot_bits > 0 && ahead.lists.is_ordered(below) {
                    assert!(
                        sorted(&list),
                        "spare list {id} is marked in order: {list:?}"
                    );
                }
                linked += list.len();
            }
        }
        linked
    }
}
