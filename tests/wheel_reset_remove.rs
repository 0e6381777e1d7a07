//! `Wheel<T>`'s resets, removals and keys, each checked exactly: where an
//! entry goes when its deadline moves, removal from every place in a list,
//! and stale keys that never reach a live entry, however many generations
//! their places count through.

use schedgroup::{Key, Wheel};

mod support;
use support::wheel::{advance, values};

#[test]
fn reset_earlier_later_and_into_the_past() {
    let mut wheel = Wheel::new();
    wheel.advance(1000, |_, _| {});
    let later = wheel.insert(1010, "later"); // level 0 -> level 6
    let earlier = wheel.insert(1000 + (1 << 30), "earlier"); // level 5 -> 0
    let past = wheel.insert(1050, "past"); // level 0 -> overdue
    let now = wheel.insert(5000, "now"); // level 2 -> due now
    assert!(wheel.reset(later, 1000 + (1 << 40)));
    assert!(wheel.reset(earlier, 1005));
    assert!(wheel.reset(past, 3));
    assert!(wheel.reset(now, 1000));
    assert_eq!(wheel.deadline(past), Some(3));
    assert_eq!(wheel.next_deadline(), Some(3));
    assert_eq!(advance(&mut wheel, 1000), [(past, "past"), (now, "now")]);
    assert!(values(&mut wheel, 1004).is_empty());
    assert_eq!(values(&mut wheel, 1005), ["earlier"]);
    assert!(values(&mut wheel, 1000 + (1 << 40) - 1).is_empty());
    assert_eq!(advance(&mut wheel, 1000 + (1 << 40)), [(later, "later")]);
    // A stale key resets nothing and resurrects nothing.
    assert!(!wheel.reset(later, u64::MAX));
    assert!(wheel.is_empty());
}

#[test]
fn reset_after_cascade_and_back_and_forth() {
    let mut wheel = Wheel::new();
    let key = wheel.insert(10_000, ());
    let other = wheel.insert(10_001, ());
    // Passing 8192 cascades the level-2 slot holding both down a level.
    assert!(advance(&mut wheel, 8200).is_empty());
    assert!(wheel.reset(key, 9000));
    assert_eq!(wheel.next_deadline(), Some(8960)); // level-1 slot of 9000
    for d in [1 << 40, 8201, u64::MAX, 5, 9500, 9000] {
        assert!(wheel.reset(key, d));
        assert_eq!(wheel.deadline(key), Some(d));
    }
    assert!(advance(&mut wheel, 8999).is_empty());
    assert_eq!(advance(&mut wheel, 9000), [(key, ())]);
    assert_eq!(wheel.deadline(other), Some(10_001));
    assert_eq!(advance(&mut wheel, 10_001), [(other, ())]);
}

#[test]
fn remove_in_the_same_tick_and_from_every_list_position() {
    // Three entries share one slot list (same deadline), or the overdue list;
    // removing the head, middle or tail must leave the other two intact and
    // in the order they were inserted.
    for deadline in [500, 501, 600, 1 << 20, u64::MAX, 7] {
        for removed in 0..3 {
            let mut wheel = Wheel::new();
            wheel.advance(500, |_, _| {});
            let keys: Vec<Key> = (0..3).map(|i| wheel.insert(deadline, i)).collect();
            assert_eq!(wheel.remove(keys[removed]), Some(removed));
            assert_eq!(wheel.remove(keys[removed]), None);
            let out = values(&mut wheel, deadline.max(500));
            let expected: Vec<usize> = (0..3).filter(|&i| i != removed).collect();
            assert_eq!(out, expected, "deadline {deadline}, removed {removed}");
        }
    }
    // Inserted and removed within the tick it is due: never handed over.
    let mut wheel = Wheel::new();
    wheel.advance(64, |_, _| {});
    let key = wheel.insert(64, "gone");
    assert_eq!(wheel.remove(key), Some("gone"));
    assert_eq!(wheel.next_deadline(), None);
    assert!(advance(&mut wheel, 64).is_empty());
    // Removed right after its slot cascaded, before it is due.
    let key = wheel.insert(64 + 4096 + 5, "cascaded");
    assert!(advance(&mut wheel, 4096 + 64).is_empty());
    assert_eq!(wheel.remove(key), Some("cascaded"));
    assert!(advance(&mut wheel, u64::MAX).is_empty());
}

#[test]
fn stale_keys_after_slot_reuse_touch_nothing() {
    // With one entry at a time the slab hands the same slot out again, so
    // every old key names the slot the new entry lives in.
    let mut wheel = Wheel::new();
    let removed = wheel.insert(100, "removed");
    assert_eq!(wheel.remove(removed), Some("removed"));
    let expired = wheel.insert(1, "expired");
    assert_eq!(values(&mut wheel, 1), ["expired"]);
    let drained = wheel.insert(50, "drained");
    assert_eq!(wheel.drain().count(), 1);
    let shrunk = wheel.insert(60, "shrunk");
    assert_eq!(wheel.remove(shrunk), Some("shrunk"));
    wheel.shrink_to_fit();
    let new = wheel.insert(200, "new");
    for old in [removed, expired, drained, shrunk, Key::DANGLING] {
        assert_ne!(old, new);
        assert_eq!(wheel.deadline(old), None);
        assert_eq!(wheel.get(old), None);
        assert_eq!(wheel.get_mut(old), None);
        assert!(!wheel.contains(old));
        assert!(!wheel.reset(old, 5));
        assert_eq!(wheel.remove(old), None);
    }
    assert_eq!(wheel.len(), 1);
    assert_eq!(wheel.deadline(new), Some(200));
    assert_eq!(wheel.get(new), Some(&"new"));
    assert!(advance(&mut wheel, 199).is_empty());
    assert_eq!(advance(&mut wheel, 200), [(new, "new")]);

    // Many reuse cycles of one slot: every key differs from all before it.
    let mut wheel = Wheel::new();
    let mut seen = std::collections::HashSet::new();
    for i in 0..10_000u64 {
        let key = wheel.insert(i, i);
        assert!(seen.insert(key), "key {key:?} handed out twice");
        assert_eq!(wheel.remove(key), Some(i));
    }
}

#[test]
fn a_stale_key_stays_stale_when_its_places_generations_run_out() {
    // One entry at a time, so every insert lands where the stale key's entry
    // was. `skip_generations` does to the generations what 2^32 - 2 inserts
    // and removals there would do, in microseconds.
    let mut wheel = Wheel::new();
    let stale = wheel.insert(10, 0u32);
    assert_eq!(wheel.remove(stale), Some(0));
    wheel.skip_generations(u32::MAX - 1);
    let mut seen = std::collections::HashSet::from([stale]);
    for value in 1..=1000 {
        let key = wheel.insert(10, value);
        assert!(seen.insert(key), "{key:?} handed out twice");
        assert_eq!(wheel.remove(stale), None, "the stale key took a live entry");
        assert!(!wheel.contains(stale) && !wheel.reset(stale, 1));
        assert_eq!(wheel.remove(key), Some(value));
    }
}

#[test]
fn stale_keys_stay_stale_across_many_spent_chunks() {
    // Entries pending across several chunks running out of generations,
    // with real inserts and removals on both sides of each end.
    let mut wheel = Wheel::new();
    let mut stale = Vec::new();
    let mut pending = Vec::new();
    for round in 0..20u64 {
        wheel.skip_generations(u32::MAX - 300);
        for i in 0..600u64 {
            let key = wheel.insert(round * 1000 + i, i);
            if i % 3 == 0 {
                pending.push((key, i));
            } else {
                assert_eq!(wheel.remove(key), Some(i));
                stale.push(key);
            }
        }
    }
    let unique: std::collections::HashSet<Key> = stale
        .iter()
        .chain(pending.iter().map(|(k, _)| k))
        .copied()
        .collect();
    assert_eq!(unique.len(), stale.len() + pending.len(), "a key repeated");
    for key in &stale {
        assert_eq!(wheel.get(*key), None);
    }
    for (key, value) in &pending {
        assert_eq!(wheel.get(*key), Some(value));
    }
    assert_eq!(wheel.len(), pending.len());
    let mut out = advance(&mut wheel, u64::MAX);
    out.sort_unstable();
    pending.sort_unstable();
    assert_eq!(out, pending);
    wheel.shrink_to_fit();
    assert_eq!(
        wheel.capacity(),
        0,
        "every spent chunk gave its memory back"
    );
}
