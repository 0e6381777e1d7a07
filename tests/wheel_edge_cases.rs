//! Edge cases of the public `Wheel<T>`'s time keeping, each checked
//! exactly: which entries come out of which `advance`, in what order, and
//! what `next_deadline` answers before and after. Resets, removals and keys
//! are in `wheel_reset_remove.rs`, memory and drops in `wheel_lifecycle.rs`;
//! the random counterpart is `wheel_proptest.rs`.

use schedgroup::{Key, Wheel};

mod support;
use support::wheel::{advance, values};
use support::Rng;

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
