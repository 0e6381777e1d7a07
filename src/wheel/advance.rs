//! How [`Levels`] move `now` on: the overdue entries first, then the
//! current slot's entries due by the target, then each next occupied slot in
//! turn, a level-0 slot becoming the current slot (sorted once, if it was
//! filed out of order) and a higher one cascading down (the part of it not
//! already moved ahead, see `ahead.rs`).

use super::entry::Key;
use super::level::slot_of;
use super::levels::{Filed, Levels};
use super::list::is_sentinel;
use super::store::Store;

impl Levels {
    /// Moves `now` towards `target`, handing the entries due on the way to
    /// `expired` (at most `budget` of them, the overdue ones all at once) and
    /// taking them out of `entries`. Returns whether it reached `target`;
    /// if not, `now` is the deadline of the entries left due. Once there,
    /// it does a part of the cascades to come (`ahead.rs`).
    pub(crate) fn advance<T>(
        &mut self,
        entries: &mut Store<T>,
        target: u64,
        budget: usize,
        expired: &mut impl FnMut(Key, u64, T),
    ) -> bool {
        let target = target.max(self.now);
        self.forget_empty_ahead();
        let handed = self.hand_over_overdue(entries, expired);
        let mut budget = budget.saturating_sub(handed);
        loop {
            if !self.hand_over_current(entries, target, &mut budget, expired) {
                return false;
            }
            if !self.current.is_empty() {
                // The rest of the current slot, and so everything, is due
                // after the target.
                break;
            }
            let Some((level, slot)) = self.next_event() else {
                break;
            };
            let start = self.slot_start(level, slot);
            debug_assert!(start >= self.now, "the next slot lies behind now");
            if start > target {
                break;
            }
            self.now = start;
            if level == 0 {
                self.load(slot, entries);
            } else {
                self.cascade(level, slot, entries);
            }
        }
        self.now = target;
        self.move_ahead(entries);
        true
    }

    /// Hands over the current slot's entries due by `target`, earliest first,
    /// as many as `budget` allows; returns `false` if it ran out with one
    /// left due (then `now` is that one's deadline).
    #[inline]
    fn hand_over_current<T>(
        &mut self,
        entries: &mut Store<T>,
        target: u64,
        budget: &mut usize,
        expired: &mut impl FnMut(Key, u64, T),
    ) -> bool {
        if self.slot_bits == 0 || self.current.all_due_by(target, entries) {
            // One run, due to its end (slots one deadline wide always are):
            // no need to look at a deadline before taking the entry.
            while let Some(index) = self.current.only_head() {
                if *budget == 0 {
                    self.now = entries[index].deadline;
                    return false;
                }
                *budget -= 1;
                let (key, deadline, value) = self.take(index, entries);
                debug_assert!(self.now <= deadline && deadline <= target);
                self.now = deadline;
                expired(key, deadline, value);
            }
            return true;
        }
        while let Some((deadline, index)) = self.current.first(entries) {
            debug_assert!(self.now <= deadline && deadline <= self.current_end());
            if deadline > target {
                break;
            }
            if *budget == 0 {
                self.now = deadline;
                return false;
            }
            *budget -= 1;
            self.now = deadline;
            let (key, _, value) = self.take(index, entries);
            expired(key, deadline, value);
        }
        true
    }

    /// Hands over the overdue entries, earliest deadline first, and returns
    /// how many. They are all behind `now`, so they come before anything in
    /// a slot.
    fn hand_over_overdue<T>(
        &mut self,
        entries: &mut Store<T>,
        expired: &mut impl FnMut(Key, u64, T),
    ) -> usize {
        let mut index = self.overdue.head();
        if is_sentinel(index) {
            return 0;
        }
        let mut order = std::mem::take(&mut self.sort_buffer);
        order.clear();
        while !is_sentinel(index) {
            let entry = &entries[index];
            debug_assert!(entry.deadline < self.now, "an overdue entry is not overdue");
            order.push((entry.deadline, order.len() as u32, index));
            index = entry.next;
        }
        sort(&mut order, &mut self.sort_scratch);
        // Unlink one at a time so a panicking `expired` leaves the rest
        // linked and the wheel consistent.
        for &(_, _, index) in &order {
            let (key, deadline, value) = self.take(index, entries);
            expired(key, deadline, value);
        }
        let handed = order.len();
        self.sort_buffer = order;
        handed
    }

    /// Makes level-0 slot `slot`, which `now` just reached, the current slot.
    /// Filed in order, it is taken as it is. Otherwise it is sorted (stably:
    /// equal deadlines keep their filing order), and the entries that a
    /// reset moved past its end are filed where they now belong.
    fn load<T>(&mut self, slot: usize, entries: &mut Store<T>) {
        debug_assert!(self.current.is_empty());
        debug_assert_eq!(slot, slot_of(self.now >> self.slot_bits, 0));
        let ordered = self.levels[0].is_ordered(slot);
        let list = self.levels[0].take_slot(slot);
        if ordered {
            self.current.load(list, entries);
            return;
        }
        let end = self.current_end();
        let mut order = std::mem::take(&mut self.sort_buffer);
        order.clear();
        let mut index = list.head;
        while !is_sentinel(index) {
            let entry = &entries[index];
            let (deadline, next) = (entry.deadline, entry.next);
            if deadline > end {
                self.refile(index, entries);
            } else {
                debug_assert!(deadline >= self.now);
                order.push((deadline, order.len() as u32, index));
            }
            index = next;
        }
        sort(&mut order, &mut self.sort_scratch);
        self.current.load_sorted(&order, entries);
        self.sort_buffer = order;
    }

    /// Files every entry of a higher-level slot that `now` just reached
    /// where its deadline now belongs: a lower level for those filed here
    /// by their deadline; anywhere ahead for those a reset moved on. Those
    /// due within `now`'s own level-0 slot go to that slot's list, which
    /// `advance` loads next, sorting it once if it came out of order.
    fn cascade<T>(&mut self, level: usize, slot: usize, entries: &mut Store<T>) {
        self.take_ahead(level, slot, entries);
        let list = self.levels[level].take_slot(slot);
        self.refile_all(list.head, entries);
    }

    /// Files anew every entry of a list taken out of its place (from
    /// `head`, following the links it still has).
    pub(super) fn refile_all<T>(&mut self, head: u32, entries: &mut Store<T>) {
        let mut index = head;
        while !is_sentinel(index) {
            index = self.refile(index, entries);
        }
    }

    /// Takes a linked entry out of its list and the store.
    #[inline]
    fn take<T>(&mut self, index: u32, entries: &mut Store<T>) -> (Key, u64, T) {
        let (key, entry) = entries.take(index);
        self.unlink(entry.prev, entry.next, entries);
        (key, entry.deadline, entry.into_value())
    }
}

/// Sorts entries by deadline, and those due at once in the order they were
/// filed (their order in `order`), using `scratch` as room.
///
/// A slot's deadlines differ only in their low bits, so a radix sort on the
/// offset from the earliest one, a byte at a time, is stable and O(n) per
/// byte: for a slot 1,024 deadlines wide, two passes. Short lists are
/// insertion-sorted; wider spans (the overdue list, wide slots) go to a
/// comparison sort, unstable but with the filing position in the key.
fn sort(order: &mut [Filed], scratch: &mut Vec<Filed>) {
    /// Below this, an insertion sort beats passes over 256 counters.
    const SHORT: usize = 32;
    let deadlines = order.iter().map(|&(deadline, _, _)| deadline);
    let (Some(min), Some(max)) = (deadlines.clone().min(), deadlines.max()) else {
        return;
    };
    let span_bits = 64 - (max - min).leading_zeros();
    if span_bits == 0 {
        // All due at once: in filing order already.
    } else if order.len() <= SHORT {
        order.sort_by_key(|&(deadline, _, _)| deadline);
    } else if span_bits <= 16 {
        let len = order.len();
        if scratch.len() < len {
            scratch.resize(len, (0, 0, 0));
        }
        // Passes go from `order` to `scratch` and back, so an even number
        // of them ends where it began.
        let (mut from, mut to) = (&mut order[..], &mut scratch[..len]);
        for shift in (0..span_bits).step_by(8) {
            let digit = |&(deadline, _, _): &Filed| ((deadline - min) >> shift) as u8 as usize;
            let mut starts = [0u32; 256];
            from.iter().for_each(|filed| starts[digit(filed)] += 1);
            let mut start = 0;
            for count in starts.iter_mut() {
                (*count, start) = (start, start + *count);
            }
            for filed in from.iter() {
                let place = &mut starts[digit(filed)];
                to[*place as usize] = *filed;
                *place += 1;
            }
            std::mem::swap(&mut from, &mut to);
        }
        if span_bits <= 8 {
            // One pass: the result is in `scratch`.
            order.copy_from_slice(&scratch[..len]);
        }
    } else {
        order.sort_unstable_by_key(|&(deadline, position, _)| (deadline, position));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_is_by_deadline_then_filing_order_for_every_span_and_length() {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || crate::test_rng::xorshift(&mut seed);
        let mut scratch = Vec::new();
        for len in [0, 1, 2, 31, 32, 33, 100, 1000] {
            for span_bits in [0, 1, 7, 8, 9, 15, 16, 17, 40, 64] {
                let base = next() >> 1;
                let mut order: Vec<Filed> = (0..len as u32)
                    .map(|position| {
                        let offset = next().checked_shr(64 - span_bits).unwrap_or(0);
                        (base.wrapping_add(offset), position, position + 7)
                    })
                    .collect();
                let mut expected = order.clone();
                expected.sort_by_key(|&(deadline, _, _)| deadline); // stable
                sort(&mut order, &mut scratch);
                assert_eq!(order, expected, "{len} entries over {span_bits} bits");
            }
        }
    }
}
