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
