//! `Wheel<T>`'s memory and values over their life: `shrink_to_fit`,
//! `drain`, a panicking callback, `get_mut`, and every value dropped exactly
//! once however it leaves the wheel (a panicking drop included).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use schedgroup::{Key, Wheel};

mod support;
use support::wheel::{advance, values};

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
