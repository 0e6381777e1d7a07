//! Edge cases of the public `Wheel<T>` API, each checked exactly: which
//! entries come out of which `advance`, in what order, and what every method
//! answers before and after. The random counterpart is `wheel_proptest.rs`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use schedgroup::{Key, Wheel};

mod support;
use support::Rng;

/// Advances and returns what was handed over, in order.
fn advance<T>(wheel: &mut Wheel<T>, to: u64) -> Vec<(Key, T)> {
    let mut out = Vec::new();
    wheel.advance(to, |key, value| out.push((key, value)));
    out
}

/// Advances and returns only the values handed over, in order.
fn values<T>(wheel: &mut Wheel<T>, to: u64) -> Vec<T> {
    advance(wheel, to).into_iter().map(|(_, v)| v).collect()
}

/// Starting from a wheel at `now`, inserts one entry per deadline (each
/// `>= now`) and checks that each comes out exactly at its tick: nothing at
/// `d - 1`, all of them at `d`. `next_deadline` must stay a lower bound that
/// is never behind `now`.
fn assert_fire_exactly_on_time(now: u64, deadlines: &[u64]) {
    let mut wheel = Wheel::new();
    assert!(advance(&mut wheel, now).is_empty());
    for &d in deadlines {
        assert!(d >= now);
        wheel.insert(d, d);
    }
    let mut sorted = deadlines.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    for d in sorted {
        let count = deadlines.iter().filter(|&&x| x == d).count();
        let next = wheel.next_deadline().expect("entries are pending");
        assert!(
            wheel.now() <= next && next <= d,
            "now {now}: next_deadline {next} outside [{}, {d}]",
            wheel.now()
        );
        if d > wheel.now() {
            let early = values(&mut wheel, d - 1);
            assert!(early.is_empty(), "now {now}: {early:?} fired at {}", d - 1);
        }
        assert_eq!(values(&mut wheel, d), vec![d; count], "now {now}, tick {d}");
    }
    assert!(wheel.is_empty());
    assert_eq!(wheel.next_deadline(), None);
}

#[test]
fn deadline_equal_to_now_is_due_at_the_next_advance_even_by_zero() {
    for now in [0, 1, 63, 64, 4096, 1 << 40, u64::MAX] {
        let mut wheel = Wheel::new();
        wheel.advance(now, |_, _: &str| {});
        let later = (now < u64::MAX).then(|| wheel.insert(now + 1, "later"));
        let key = wheel.insert(now, "now");
        assert_eq!(wheel.next_deadline(), Some(now));
        assert_eq!(wheel.deadline(key), Some(now));
        assert_eq!(advance(&mut wheel, now), [(key, "now")], "now {now}");
        assert_eq!(wheel.now(), now);
        // An entry handed over can be re-inserted for the same tick: due again
        // at the next advance by zero.
        let again = wheel.insert(now, "again");
        assert_eq!(advance(&mut wheel, now), [(again, "again")]);
        assert!(advance(&mut wheel, now).is_empty());
        if let Some(later) = later {
            assert_eq!(wheel.deadline(later), Some(now + 1));
        }
    }
}

#[test]
fn deadline_in_the_past_is_handed_over_first_in_deadline_order() {
    let mut wheel = Wheel::new();
    wheel.advance(1000, |_, _| {});
    wheel.insert(1001, 1001);
    wheel.insert(1000, 1000);
    let late = wheel.insert(999, 999);
    wheel.insert(0, 0);
    wheel.insert(500, 500);
    wheel.insert(5, 5);
    // The deadline is kept as given, not clamped to now.
    assert_eq!(wheel.deadline(late), Some(999));
    assert_eq!(wheel.next_deadline(), Some(0));
    assert_eq!(values(&mut wheel, 1000), [0, 5, 500, 999, 1000]);
    assert_eq!(wheel.next_deadline(), Some(1001));
    assert_eq!(values(&mut wheel, 1001), [1001]);
}

#[test]
fn advance_backwards_is_advance_to_now() {
    let mut wheel = Wheel::new();
    wheel.insert(600, 600);
    assert!(values(&mut wheel, 500).is_empty());
    wheel.insert(400, 400);
    wheel.insert(500, 500);
    assert_eq!(values(&mut wheel, 100), [400, 500]);
    assert_eq!(wheel.now(), 500);
    assert!(values(&mut wheel, 0).is_empty());
    assert_eq!(values(&mut wheel, 600), [600]);
}

#[test]
fn u64_max_deadline_fires_only_at_u64_max() {
    let mut wheel = Wheel::new();
    let max = wheel.insert(u64::MAX, "max");
    wheel.insert(u64::MAX - 1, "max-1");
    wheel.insert(1 << 63, "2^63");
    assert_eq!(wheel.deadline(max), Some(u64::MAX));
    assert_eq!(values(&mut wheel, u64::MAX - 2), ["2^63"]);
    assert_eq!(values(&mut wheel, u64::MAX - 1), ["max-1"]);
    assert_eq!(wheel.next_deadline(), Some(u64::MAX));
    assert_eq!(values(&mut wheel, u64::MAX), ["max"]);
    assert_eq!(wheel.now(), u64::MAX);
    // At the end of time everything is due at once, past ones first.
    wheel.insert(u64::MAX, "max again");
    wheel.insert(3, "3");
    assert_eq!(values(&mut wheel, u64::MAX), ["3", "max again"]);
}

#[test]
fn huge_jumps_hand_over_exactly_the_due_entries() {
    let mut wheel = Wheel::new();
    for d in [
        u64::MAX,
        u64::MAX - 1,
        1 << 63,
        (1 << 50) + 1,
        1 << 50,
        (1 << 50) - 1,
        7,
    ] {
        wheel.insert(d, d);
    }
    assert_eq!(values(&mut wheel, 1 << 50), [7, (1 << 50) - 1, 1 << 50]);
    assert_eq!(wheel.now(), 1 << 50);
    assert!(wheel.next_deadline().unwrap() <= (1 << 50) + 1);
    assert_eq!(
        values(&mut wheel, u64::MAX),
        [(1 << 50) + 1, 1 << 63, u64::MAX - 1, u64::MAX]
    );
    assert!(wheel.is_empty());
}

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
fn level_boundaries_fire_exactly_on_time_from_any_now() {
    const OFFSETS: [u64; 27] = [
        0,
        1,
        2,
        62,
        63,
        64,
        65,
        127,
        128,
        4094,
        4095,
        4096,
        4097,
        262_143,
        262_144,
        262_145,
        (1 << 24) - 1,
        1 << 24,
        (1 << 36) - 1,
        1 << 36,
        (1 << 36) + 1,
        1 << 50,
        (1 << 60) - 1,
        1 << 60,
        (1 << 60) + 1,
        1 << 63,
        u64::MAX,
    ];
    let nows = [
        0,
        1,
        63,
        64,
        100,
        4095,
        4096,
        262_143,
        (1 << 36) - 1,
        (1 << 40) + 12_345,
        0xdead_beef_cafe,
        (1 << 63) - 1,
        u64::MAX - (1 << 37),
        u64::MAX - 70,
    ];
    for now in nows {
        let mut deadlines: Vec<u64> = OFFSETS.iter().map(|&o| now.saturating_add(o)).collect();
        // The ticks where now's digit on level k next changes, and around
        // them: exactly where entries cascade.
        for k in 1..=10u32 {
            let block_end = (now | ((1u64 << (6 * k)) - 1)).checked_add(1);
            if let Some(end) = block_end {
                deadlines.extend([end - 1, end, end.saturating_add(1)]);
            }
        }
        deadlines.retain(|&d| d >= now);
        assert_fire_exactly_on_time(now, &deadlines);
    }
}

#[test]
fn many_entries_with_the_same_deadline() {
    const D: u64 = 5_000_000; // level 3 from now = 17
    let mut wheel = Wheel::new();
    wheel.advance(17, |_, _| {});
    let mut keys = Vec::new();
    for i in 0..10_000u64 {
        // Half go straight to D, half get there by reset from elsewhere.
        let key = if i % 2 == 0 {
            wheel.insert(D, i)
        } else {
            let key = wheel.insert(i * 977, i);
            assert!(wheel.reset(key, D));
            key
        };
        keys.push(key);
    }
    for i in 0..10u64 {
        wheel.insert(D - 1, 100_000 + i);
        wheel.insert(D + 1, 200_000 + i);
    }
    for key in keys.iter().step_by(3) {
        assert!(wheel.remove(*key).is_some());
    }
    assert_eq!(values(&mut wheel, D - 1), Vec::from_iter(100_000..100_010));
    let out = values(&mut wheel, D);
    let mut all = out.clone();
    all.sort_unstable();
    assert_eq!(all, Vec::from_iter((0..10_000).filter(|i| i % 3 != 0)));
    // First filed (inserted at D, or reset to D from later), first out. An
    // entry reset to D from an earlier deadline was left where it was, and
    // joins the line when the wheel reaches it: anywhere among the others.
    let filed_at_d = |&i: &u64| i % 2 == 0 || i * 977 > D;
    let expected: Vec<u64> = (0..10_000)
        .filter(|i| i % 3 != 0)
        .filter(filed_at_d)
        .collect();
    let in_line: Vec<u64> = out.into_iter().filter(filed_at_d).collect();
    assert_eq!(in_line, expected);
    assert_eq!(wheel.len(), 10);
    assert_eq!(wheel.next_deadline(), Some(D + 1));
}

#[test]
fn next_deadline_is_a_lower_bound_and_none_iff_empty() {
    let mut wheel = Wheel::new();
    assert_eq!(wheel.next_deadline(), None);
    let near = wheel.insert(40, ());
    let far = wheel.insert(1 << 40, ());
    assert_eq!(wheel.next_deadline(), Some(40)); // exact on level 0
    wheel.remove(near);
    let bound = wheel.next_deadline().unwrap();
    assert!(bound > 40 && bound <= 1 << 40, "{bound}");
    wheel.remove(far);
    assert_eq!(wheel.next_deadline(), None);

    // The same against a brute-force minimum over a long mixed sequence.
    let mut rng = Rng::new(0x5eed);
    let mut pending: Vec<(Key, u64)> = Vec::new();
    for step in 0..5_000 {
        match rng.next() % 4 {
            0 | 1 => {
                let d = wheel.now().saturating_add(rng.any_magnitude());
                pending.push((wheel.insert(d, ()), d));
            }
            2 if !pending.is_empty() => {
                let (key, _) = pending.swap_remove(rng.next() as usize % pending.len());
                assert!(wheel.remove(key).is_some());
            }
            _ => {
                let to = wheel.now().saturating_add(rng.any_magnitude() >> 8);
                wheel.advance(to, |_, _| {});
                pending.retain(|&(_, d)| d > to);
            }
        }
        let min = pending.iter().map(|&(_, d)| d).min();
        match (wheel.next_deadline(), min) {
            (None, None) => {}
            (Some(next), Some(min)) => {
                assert!(
                    wheel.now() <= next && next <= min,
                    "step {step}: {next} vs {min}"
                );
            }
            other => panic!("step {step}: {other:?}"),
        }
    }
}

#[test]
fn advance_order_is_non_decreasing_across_all_levels() {
    let mut wheel = Wheel::new();
    let mut rng = Rng::new(42);
    wheel.advance(rng.next() >> 4, |_, _| {});
    let now = wheel.now();
    let deadlines: Vec<u64> = (0..5_000)
        .map(|i| match i % 3 {
            0 => now.saturating_add(rng.any_magnitude()),
            1 => now.saturating_sub(rng.any_magnitude()), // overdue
            _ => rng.next(),
        })
        .collect();
    for &d in &deadlines {
        wheel.insert(d, d);
    }
    let out = values(&mut wheel, u64::MAX);
    let mut sorted = deadlines.clone();
    sorted.sort_unstable();
    assert_eq!(out, sorted);
}

#[test]
fn shrink_to_fit_returns_memory_after_a_burst_and_keeps_live_keys() {
    let mut wheel = Wheel::new();
    // Inserted first, so it sits in the slab's first slot and the burst's
    // slots all lie above it.
    let live = wheel.insert(1 << 45, u64::MAX);
    for i in 0..1_000_000u64 {
        wheel.insert(1 + i * 4099 % (1 << 30), i);
    }
    assert!(wheel.capacity() > 1_000_000);
    let mut fired = 0;
    wheel.advance(1 << 30, |_, _| fired += 1);
    assert_eq!(fired, 1_000_000);
    assert_eq!(wheel.len(), 1);
    wheel.shrink_to_fit();
    assert!(wheel.capacity() < 1024, "capacity {}", wheel.capacity());
    assert_eq!(wheel.deadline(live), Some(1 << 45));
    assert_eq!(wheel.get(live), Some(&u64::MAX));
    // Still a working wheel around the live entry.
    let after = wheel.insert((1 << 30) + 5, 5);
    assert_eq!(advance(&mut wheel, 1 << 45), [(after, 5), (live, u64::MAX)]);
}

#[test]
fn shrink_to_fit_never_moves_a_live_entry() {
    // A live entry in the middle of the slab with free slots on both sides:
    // shrinking may only trim above it, since moving it would break its key.
    let mut wheel = Wheel::new();
    let below: Vec<Key> = (0..1000).map(|i| wheel.insert(1 << 20, i)).collect();
    let live = wheel.insert(1 << 30, u64::MAX);
    for i in 0..1000 {
        wheel.insert((1 << 21) + i, i);
    }
    for key in below {
        assert!(wheel.remove(key).is_some());
    }
    assert_eq!(values(&mut wheel, 1 << 22).len(), 1000);
    wheel.shrink_to_fit();
    let capacity = wheel.capacity();
    assert!((1001..2000).contains(&capacity), "capacity {capacity}");
    assert_eq!(wheel.deadline(live), Some(1 << 30));
    assert_eq!(wheel.get(live), Some(&u64::MAX));
    // New entries fill the free slots below without disturbing it.
    for i in 0..1000 {
        wheel.insert((1 << 23) + i, i);
    }
    assert_eq!(wheel.capacity(), capacity, "free slots were not reused");
    assert_eq!(values(&mut wheel, (1 << 30) - 1).len(), 1000);
    assert_eq!(advance(&mut wheel, 1 << 30), [(live, u64::MAX)]);
}

#[test]
fn drain_empties_the_wheel_and_it_stays_usable() {
    let deadlines = [3, 100, 100, 4096, 1 << 40, u64::MAX];
    let mut wheel = Wheel::new();
    wheel.advance(100, |_, _| {});
    let keys: Vec<Key> = deadlines.iter().map(|&d| wheel.insert(d, d)).collect();
    let mut all: Vec<u64> = wheel.drain().collect();
    all.sort_unstable();
    assert_eq!(all, deadlines);
    assert!(wheel.is_empty());
    assert_eq!(wheel.next_deadline(), None);
    assert_eq!(wheel.now(), 100);
    assert!(keys.iter().all(|&k| !wheel.contains(k)));

    // Dropping the iterator early still empties the wheel.
    for &d in &deadlines {
        wheel.insert(d, d);
    }
    assert_eq!(wheel.drain().take(1).count(), 1);
    assert!(wheel.is_empty());
    assert_eq!(wheel.next_deadline(), None);

    // The same slots and slab indices are reused: only the new entries may
    // come out, where they belong.
    wheel.insert(4096, 1);
    wheel.insert(7, 2);
    assert_eq!(values(&mut wheel, u64::MAX), [2, 1]);
}

#[test]
fn panicking_callback_leaves_the_wheel_consistent() {
    // Overdue entries, a shared level-0 slot, cascaded entries, and ones not
    // due. Let the k-th callback panic, for every k.
    let deadlines = [
        5,
        1,
        9,
        1000,
        1000,
        1000,
        1001,
        70_000,
        1 << 33,
        1 << 50,
        u64::MAX,
    ];
    let target = 1 << 40;
    let due = deadlines.iter().filter(|&&d| d <= target).count();
    for k in 0..due {
        let token = Arc::new(());
        let mut wheel = Wheel::new();
        wheel.advance(100, |_, _| {});
        for &d in &deadlines {
            wheel.insert(d, (d, Arc::clone(&token)));
        }
        let mut out = Vec::new();
        let mut calls = 0;
        let result = catch_unwind(AssertUnwindSafe(|| {
            wheel.advance(target, |_, (d, _)| {
                calls += 1;
                if calls == k + 1 {
                    panic!("callback {k} panics");
                }
                out.push(d);
            });
        }));
        assert!(result.is_err());
        // The panicking entry is gone (and its value dropped); the rest is
        // still there, and next_deadline still bounds it.
        assert_eq!(wheel.len(), deadlines.len() - k - 1);
        assert!(wheel.now() <= target);
        assert!(wheel.next_deadline().is_some());
        out.extend(values(&mut wheel, target).into_iter().map(|(d, _)| d));
        let mut expected: Vec<u64> = deadlines.iter().copied().filter(|&d| d <= target).collect();
        expected.sort_unstable();
        let lost = expected.remove(k);
        assert_eq!(out, expected, "panic at {k} (deadline {lost})");
        assert_eq!(wheel.now(), target);
        assert_eq!(wheel.len(), deadlines.len() - due);
        drop(wheel);
        assert_eq!(Arc::strong_count(&token), 1, "a value leaked");
    }
}

#[test]
fn advancing_across_huge_spans_is_cheap() {
    // 10_000 advances of ~2^50 ticks each with a few entries pending. Work
    // proportional to the span would never finish; the checks say each entry
    // comes out once, in the very advance it became due in.
    const STEP: u64 = u64::MAX / 10_001;
    let mut wheel = Wheel::new();
    let mut rng = Rng::new(7);
    let mut calls = 0u64;
    let mut previous = None;
    for i in 0..10_000u64 {
        let target = i * STEP + rng.next() % STEP;
        let d = target.saturating_add(rng.next() % (3 * STEP));
        wheel.insert(d, d);
        wheel.advance(target, |_, d| {
            calls += 1;
            assert!(d <= target, "step {i}: {d} handed over early");
            assert!(previous < Some(d), "step {i}: {d} was due at {previous:?}");
        });
        assert!(wheel.len() <= 4, "step {i}: {} pending", wheel.len());
        previous = Some(target);
    }
    wheel.advance(u64::MAX, |_, _| calls += 1);
    assert_eq!(calls, 10_000);
    assert!(wheel.is_empty());
}

#[test]
fn driver_wakeups_are_bounded_by_entries_times_levels() {
    // A driver sleeps until next_deadline and advances there. Every wake-up
    // must hand something over or cascade (at most once per level per
    // entry), and every entry must come out exactly at its deadline.
    let mut wheel = Wheel::new();
    let mut rng = Rng::new(99);
    for _ in 0..1_000 {
        let d = rng.any_magnitude();
        wheel.insert(d, d);
    }
    let mut wakeups = 0;
    while let Some(wake) = wheel.next_deadline() {
        wakeups += 1;
        wheel.advance(wake, |_, d| assert_eq!(d, wake, "fired late"));
    }
    assert!(wakeups <= 1_000 * 11, "{wakeups} wake-ups for 1000 entries");
}

#[test]
fn get_mut_and_capacity() {
    let mut wheel = Wheel::with_capacity(1000);
    let capacity = wheel.capacity();
    assert!(capacity >= 1000);
    let keys: Vec<Key> = (0..1000).map(|i| wheel.insert(i, i)).collect();
    assert_eq!(wheel.capacity(), capacity, "reallocated within capacity");
    *wheel.get_mut(keys[10]).unwrap() += 1_000_000;
    assert_eq!(wheel.get(keys[10]), Some(&1_000_010));
    assert_eq!(advance(&mut wheel, 10).pop(), Some((keys[10], 1_000_010)));
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

/// Counts its drops in a shared counter; its drop panics if it is a bomb.
struct Tracked {
    drops: Arc<std::sync::atomic::AtomicUsize>,
    bomb: bool,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if self.bomb {
            panic!("a value's drop panicked");
        }
    }
}

fn tracked(drops: &Arc<std::sync::atomic::AtomicUsize>, bomb: bool) -> Tracked {
    Tracked {
        drops: Arc::clone(drops),
        bomb,
    }
}

#[test]
fn every_value_is_dropped_once_however_it_leaves_the_wheel() {
    let drops = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = || drops.load(std::sync::atomic::Ordering::SeqCst);
    // Enough entries for three slab chunks.
    let mut wheel = Wheel::new();
    let keys: Vec<Key> = (0..40_000u64)
        .map(|i| wheel.insert(i % 4000, tracked(&drops, false)))
        .collect();
    drop(wheel.remove(keys[0]));
    assert_eq!(count(), 1);
    wheel.advance(99, |_, value| drop(value));
    assert_eq!(count(), 1 + 999);
    let mut drained = wheel.drain();
    drained.next();
    drained.next();
    drop(drained);
    assert_eq!(count(), 40_000, "values left in an unfinished drain");
    for i in 0..20_000u64 {
        wheel.insert(i, tracked(&drops, false));
    }
    drop(wheel);
    assert_eq!(count(), 60_000, "values left in a dropped wheel");
}

#[test]
fn a_panicking_drop_does_not_keep_the_other_values_from_dropping() {
    let drops = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = || drops.load(std::sync::atomic::Ordering::SeqCst);
    let mut wheel = Wheel::new();
    for i in 0..20_000u64 {
        wheel.insert(i, tracked(&drops, i == 5));
    }
    assert!(catch_unwind(AssertUnwindSafe(|| drop(wheel))).is_err());
    assert_eq!(count(), 20_000);

    let mut wheel = Wheel::new();
    for i in 0..20_000u64 {
        wheel.insert(i, tracked(&drops, i == 17_000));
    }
    let mut drained = wheel.drain();
    drained.next();
    assert!(catch_unwind(AssertUnwindSafe(|| drop(drained))).is_err());
    assert_eq!(count(), 40_000);
    assert!(wheel.is_empty());
    wheel.insert(1, tracked(&drops, false));
    assert_eq!(wheel.len(), 1);
}
