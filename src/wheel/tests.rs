//! Unit tests of `Wheel<T>` that need its insides: entry sizes, and orders
//! that the public tests check only at random.

use super::*;

/// What the slab crate stores per place (`slab::Entry`, private to it): the
/// same definition, so the same layout.
#[allow(dead_code)]
enum SlabEntry<T> {
    Vacant(usize),
    Occupied(T),
}

#[test]
fn an_entry_is_20_bytes_beyond_the_value_and_the_slab_adds_none() {
    use std::mem::{align_of, size_of};
    // 12-byte, 4-aligned values, like the scheduler's tasks: 32 bytes. The
    // generation's niche holds the slab's vacant variant, whose `usize`
    // fits beside it, so a vacant place is no bigger than an entry.
    type Task = [u32; 3];
    assert_eq!(size_of::<Entry<Task>>(), 32);
    assert_eq!(align_of::<Entry<Task>>(), 8);
    assert_eq!(size_of::<SlabEntry<Entry<Task>>>(), 32);
    assert_eq!(size_of::<SlabEntry<Entry<u32>>>(), 24);
    assert_eq!(size_of::<SlabEntry<Entry<u64>>>(), 32);
    assert_eq!(size_of::<SlabEntry<Entry<[u64; 2]>>>(), 40);
    assert_eq!(size_of::<Key>(), 8);
    // What a chunk number costs once its memory is gone (a spent one, or
    // one `shrink_to_fit` emptied): the slab's header and the count.
    assert_eq!(size_of::<chunk::Chunk<Task>>(), 48);
}

#[test]
fn equal_deadlines_come_out_first_in_first_out() {
    // Same deadline filed on level 0, on level 2 (cascaded twice), and
    // overdue; plus removals from the head, middle and tail of a slot.
    for deadline in [5u64, 5000, 300_000] {
        let mut wheel = Wheel::new();
        let keys: Vec<Key> = (0..10).map(|i| wheel.insert(deadline, i)).collect();
        assert_eq!(wheel.remove(keys[0]), Some(0));
        assert_eq!(wheel.remove(keys[5]), Some(5));
        assert_eq!(wheel.remove(keys[9]), Some(9));
        wheel.insert(deadline, 10);
        assert!(wheel.reset(keys[1], deadline)); // to the back of the line
        let mut out = Vec::new();
        wheel.advance(deadline, |_, v| out.push(v));
        assert_eq!(out, [2, 3, 4, 6, 7, 8, 10, 1], "deadline {deadline}");
    }
    let mut wheel = Wheel::new();
    wheel.advance(100, |_, _: u32| {});
    for i in 0..5 {
        wheel.insert(7, i);
    }
    let mut out = Vec::new();
    wheel.advance(100, |_, v| out.push(v));
    assert_eq!(out, [0, 1, 2, 3, 4]);
}

#[test]
fn reset_into_the_past_is_overdue_and_first() {
    let mut wheel = Wheel::new();
    wheel.advance(1000, |_, _: u32| {});
    let a = wheel.insert(1000, 1);
    let b = wheel.insert(2000, 2);
    assert!(wheel.reset(b, 10));
    assert_eq!(wheel.next_deadline(), Some(10));
    let mut out = Vec::new();
    wheel.advance(1000, |k, v| out.push((k, v)));
    assert_eq!(out, [(b, 2), (a, 1)]);
}

/// The keys of the entries in level-0 slot `slot`, head to tail.
fn slot_list(wheel: &Wheel<u32>, slot: usize) -> Vec<u32> {
    let mut out = Vec::new();
    let mut index = wheel.levels.levels[0].list(slot).head;
    while !list::is_sentinel(index) {
        out.push(index);
        index = wheel.entries[index].next;
    }
    out
}

#[test]
fn a_reset_to_a_later_deadline_rewrites_the_deadline_and_moves_nothing() {
    let mut wheel = Wheel::new();
    let a = wheel.insert(10, 1);
    let b = wheel.insert(10, 2);
    assert!(wheel.reset(a, 50));
    // Still first in slot 10, though due at 50.
    assert_eq!(slot_list(&wheel, 10), [a.index, b.index]);
    assert_eq!(wheel.deadline(a), Some(50));
    wheel.audit();
    let mut out = Vec::new();
    wheel.advance(10, |_, v| out.push(v));
    assert_eq!(out, [2], "only the entry due at 10");
    // Reaching slot 10 filed it where its deadline says.
    assert_eq!(slot_list(&wheel, 50), [a.index]);
    wheel.advance(49, |_, v| out.push(v));
    wheel.advance(50, |_, v| out.push(v));
    assert_eq!(out, [2, 1]);
}

#[test]
fn an_entry_left_in_place_leaves_by_its_links_alone() {
    // Resets to a later deadline leave four entries in slot 10, while their
    // deadlines name slot 50 (level 0) or a slot of level 1. Removing one,
    // or resetting it earlier, must unlink it from slot 10: only the ends of
    // that list say so.
    for later in [50, 5_000] {
        let mut wheel = Wheel::new();
        let keys: Vec<Key> = (0..4).map(|value| wheel.insert(10, value)).collect();
        wheel.insert(later, 9);
        for &key in &keys {
            assert!(wheel.reset(key, later));
        }
        let indices = |keys: &[Key]| keys.iter().map(|key| key.index).collect::<Vec<_>>();
        assert_eq!(slot_list(&wheel, 10), indices(&keys));
        // The head, then the tail (reset earlier), then the new head.
        assert_eq!(wheel.remove(keys[0]), Some(0));
        assert!(wheel.reset(keys[3], 5));
        assert_eq!(wheel.remove(keys[1]), Some(1));
        wheel.audit();
        assert_eq!(slot_list(&wheel, 10), indices(&keys[2..3]));
        assert_eq!(slot_list(&wheel, 5), indices(&keys[3..]));
        assert_eq!(
            wheel.remove(keys[2]),
            Some(2),
            "the last one: the slot empties"
        );
        wheel.audit();
        let mut out = Vec::new();
        wheel.advance(later, |_, v| out.push(v));
        assert_eq!(out, [3, 9]);
    }
}

#[test]
fn a_slot_left_by_a_later_reset_is_sorted_when_it_becomes_current() {
    // Slots 16 wide: 20 and 25 share slot [16, 31], filed in order.
    let mut wheel = Wheel::with_slot_bits(4);
    let a = wheel.insert(20, 1);
    wheel.insert(25, 2);
    assert_eq!(
        wheel.next_deadline(),
        Some(20),
        "in order: its head is first"
    );
    assert!(wheel.reset(a, 30)); // left first in the slot, due last
    assert_eq!(
        wheel.next_deadline(),
        Some(16),
        "out of order: the slot's start"
    );
    let mut out = Vec::new();
    wheel.advance(25, |_, v| out.push(v));
    assert_eq!(out, [2]);
    assert_eq!(wheel.next_deadline(), Some(30));
    assert!(wheel.reset(a, 40)); // into the next slot: never in place
    wheel.advance(31, |_, v| out.push(v));
    assert_eq!(out, [2]);
    wheel.advance(40, |_, v| out.push(v));
    assert_eq!(out, [2, 1]);
}

#[test]
fn inserts_into_the_current_slot_keep_it_in_order_whatever_their_order() {
    // Slots 1,024 wide; `now` inside one. Deadlines that zigzag through the
    // rest of it defeat any short walk from either end of the list.
    let mut wheel = Wheel::with_slot_bits(10);
    wheel.advance(1_024 + 100, |_, _: u32| {});
    let mut deadlines = Vec::new();
    for i in 0..400u64 {
        let offset = if i % 2 == 0 { i / 2 } else { 899 - i / 2 };
        deadlines.push(1_024 + 100 + offset);
    }
    for (value, &deadline) in deadlines.iter().enumerate() {
        wheel.insert(deadline, value as u32);
        assert_eq!(
            wheel.next_deadline(),
            Some(1_124),
            "exact after every insert"
        );
    }
    wheel.audit();
    let mut sorted: Vec<(u64, u32)> = deadlines.iter().copied().zip(0..).collect();
    sorted.sort();
    // Handed over a few deadlines at a time, as a driver waking often would.
    let mut out = Vec::new();
    for to in (1_124..=2_047).step_by(7).chain([2_047]) {
        wheel.advance_at_most_with_deadlines(to, usize::MAX, |_, d, v| out.push((d, v)));
        assert!(out.iter().all(|&(d, _)| d <= to));
        if let Some(next) = wheel.next_deadline() {
            assert_eq!(next, sorted[out.len()].0, "exact within the current slot");
        }
    }
    assert_eq!(out, sorted);
}

#[test]
fn a_reset_later_of_an_entry_in_the_current_slot_is_filed_at_once() {
    // Slots 16 wide, `now` 0: the current slot is [0, 15].
    let mut wheel = Wheel::with_slot_bits(4);
    let a = wheel.insert(15, 1); // the slot's last deadline
    let b = wheel.insert(3, 2);
    assert!(wheel.reset(b, 9)); // later, within the slot
    assert!(wheel.reset(a, 20)); // later, out of it
    wheel.audit();
    assert_eq!(wheel.next_deadline(), Some(9));
    let mut out = Vec::new();
    wheel.advance(15, |_, v| out.push(v));
    assert_eq!(out, [2]);
    assert_eq!(wheel.next_deadline(), Some(20), "first in the next slot");
    wheel.advance(20, |_, v| out.push(v));
    assert_eq!(out, [2, 1]);
}
