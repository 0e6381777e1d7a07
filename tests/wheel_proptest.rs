//! `Wheel<T>` against a naive model, on random operation sequences.
//!
//! The model and every assertion live in `fuzz/wheel_model.rs`, the
//! operations in `fuzz/wheel_ops.rs`, both shared with the `wheel` fuzz
//! target; this file only says which sequences to try. Deadlines and advance
//! targets are drawn relative to the wheel's current `now` (small offsets,
//! slot and level boundaries both from `now` and from the start of its block,
//! points inside the current slot, the past, random absolute deadlines,
//! `u64::MAX`), so every level is hit from every position, however far time
//! has jumped; wheels have slots of 1 up to `2^63` deadlines. Resets move
//! entries later (which may leave them where they are) and earlier; bursts
//! file many entries at once in adversarial orders. Some sequences run the
//! slab's chunks out of generations (through the `skip_generations` test
//! hook), so that spent chunks, and stale keys into them, are checked too.

use proptest::prelude::*;

#[path = "../fuzz/wheel_model.rs"]
mod wheel_model;
#[path = "../fuzz/wheel_ops.rs"]
mod wheel_ops;

use wheel_model::Harness;
use wheel_ops::{Burst, Op, Order, When};

fn slot_bits() -> impl Strategy<Value = u32> {
    prop_oneof![3 => Just(0u32), 2 => Just(10u32), 2 => 1u32..8, 1 => 8u32..64]
}

fn when() -> impl Strategy<Value = When> {
    prop_oneof![
        5 => (0u64..130).prop_map(When::After),
        4 => (1u8..=11, -2i8..=2, any::<bool>()).prop_map(|(level, delta, aligned)| {
            When::Boundary { level, delta, aligned }
        }),
        2 => (-2i8..=2).prop_map(When::SlotEnd),
        2 => any::<u64>().prop_map(When::InSlot),
        1 => (0u32..64).prop_map(|bit| When::After(1 << bit)),
        2 => prop_oneof![1u64..200, any::<u64>()].prop_map(When::Before),
        1 => any::<u64>().prop_map(When::At),
        1 => Just(When::Max),
    ]
}

/// Advance targets: mostly steps that stay within reach of the pending
/// entries, often within the current slot, sometimes jumps across the whole
/// range. `u64::MAX` is rare since a wheel that reached it has nowhere left
/// to go.
fn target() -> impl Strategy<Value = When> {
    prop_oneof![
        8 => (0u64..130).prop_map(When::After),
        4 => (1u8..=10, -2i8..=2, any::<bool>()).prop_map(|(level, delta, aligned)| {
            When::Boundary { level, delta, aligned }
        }),
        2 => (-2i8..=2).prop_map(When::SlotEnd),
        2 => any::<u64>().prop_map(When::InSlot),
        1 => (0u32..64).prop_map(|bit| When::After(1 << bit)),
        1 => any::<u64>().prop_map(When::At),
        1 => (0u64..100).prop_map(When::Before),
    ]
}

fn order() -> impl Strategy<Value = Order> {
    prop_oneof![
        Just(Order::Same),
        Just(Order::Rising),
        Just(Order::Falling),
        Just(Order::ZigZag),
        any::<u64>().prop_map(Order::Scatter),
    ]
}

/// Up to 300 entries (more than a short walk back from a tail reaches),
/// spread over up to a few slots.
fn burst() -> impl Strategy<Value = Burst> {
    (
        0usize..300,
        when(),
        prop_oneof![Just(0u64), 0u64..64, 0u64..5000],
        order(),
    )
        .prop_map(|(count, base, spread, order)| Burst {
            count,
            base,
            spread,
            order,
        })
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        10 => when().prop_map(Op::Insert),
        1 => burst().prop_map(Op::Burst),
        3 => any::<usize>().prop_map(Op::Remove),
        5 => (any::<usize>(), when()).prop_map(|(key, when)| Op::Reset(key, when)),
        2 => any::<usize>().prop_map(Op::Inspect),
        5 => target().prop_map(Op::Advance),
        2 => (target(), 0usize..40).prop_map(|(to, limit)| Op::AdvanceAtMost(to, limit)),
        3 => Just(Op::Drive),
        1 => Just(Op::Advance(When::Max)),
        1 => Just(Op::ShrinkToFit),
        1 => Just(Op::Drain),
        1 => skip().prop_map(Op::SkipGenerations),
    ]
}

/// Generations to skip: mostly enough that the chunk runs out within a few
/// inserts (so chunks are spent and replaced with entries still pending),
/// sometimes any amount.
fn skip() -> impl Strategy<Value = u32> {
    prop_oneof![
        3 => (0u32..8).prop_map(|left| u32::MAX - left),
        1 => any::<u32>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn wheel_matches_model(bits in slot_bits(), ops in prop::collection::vec(op(), 1..200)) {
        let mut harness = Harness::with_slot_bits(bits);
        for op in ops {
            harness.run(op);
        }
        harness.finish();
    }

    /// Many entries, then only driver steps (see `Harness::drive`): every
    /// cascade path is taken, each wake-up must find work, and the number of
    /// wake-ups is bounded by entries × levels.
    #[test]
    fn driver_drains_everything(
        bits in slot_bits(),
        inserts in prop::collection::vec(when(), 1..100),
        resets in prop::collection::vec((any::<usize>(), when()), 0..50),
        start in prop_oneof![Just(0u64), any::<u64>()],
    ) {
        let mut harness = Harness::with_slot_bits(bits);
        harness.run(Op::Advance(When::At(start)));
        for when in inserts {
            harness.run(Op::Insert(when));
        }
        for (key, when) in resets {
            harness.run(Op::Reset(key, when));
        }
        harness.drive_until_empty();
    }

    /// Entries moved by resets to later deadlines, then the wheel advanced
    /// across the slots they were left in, in small steps and large.
    #[test]
    fn resets_later_then_advance_across_where_they_were(
        bits in slot_bits(),
        count in 1usize..200,
        spread in prop_oneof![1u64..64, 1u64..100_000],
        moves in prop::collection::vec((any::<usize>(), 1u64..100_000), 1..200),
        steps in prop::collection::vec(target(), 1..60),
    ) {
        let mut harness = Harness::with_slot_bits(bits);
        let burst = Burst { count, base: When::After(1 << bits), spread: spread << bits, order: Order::Scatter(spread) };
        harness.run(Op::Burst(burst));
        for (key, later) in moves {
            harness.run(Op::Reset(key, When::After(later << bits)));
        }
        for step in steps {
            harness.run(Op::Advance(step));
            harness.run(Op::Remove(0));
        }
        harness.finish();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// The same model check on a wheel holding tens of thousands of
    /// entries, so the slab spans several of its fixed-size chunks (16,384
    /// entries each) and removals, reuse and shrinking cross chunk borders.
    #[test]
    fn large_wheel_matches_model(
        bits in slot_bits(),
        count in 20_000usize..50_000,
        ops in prop::collection::vec(op(), 1..300),
    ) {
        let mut harness = Harness::with_slot_bits(bits);
        for offset in 0..count as u64 {
            harness.run(Op::Insert(When::After(offset % 5_000)));
        }
        for op in ops {
            harness.run(op);
        }
        harness.finish();
    }
}
