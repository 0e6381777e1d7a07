//! `Wheel<T>` against a naive model, on random operation sequences.
//!
//! The model and every assertion live in `fuzz/wheel_model.rs`, shared with
//! the `wheel` fuzz target; this file only says which sequences to try.
//! Deadlines and advance targets are drawn relative to the wheel's current
//! `now` (small offsets, `64^k ± 2` boundaries both from `now` and from the
//! start of `now`'s block, the past, random absolute ticks, `u64::MAX`), so
//! every level is hit from every position, however far time has jumped.
//! Some sequences run the slab's chunks out of generations (through the
//! `skip_generations` test hook), so that spent chunks, and stale keys into
//! them, are checked too.

use proptest::prelude::*;

#[path = "../fuzz/wheel_model.rs"]
mod wheel_model;

use wheel_model::{Harness, Op, When};

fn when() -> impl Strategy<Value = When> {
    prop_oneof![
        5 => (0u64..130).prop_map(When::After),
        4 => (1u8..=11, -2i8..=2, any::<bool>()).prop_map(|(level, delta, aligned)| {
            When::Boundary { level, delta, aligned }
        }),
        1 => (0u32..64).prop_map(|bit| When::After(1 << bit)),
        2 => prop_oneof![1u64..200, any::<u64>()].prop_map(When::Before),
        1 => any::<u64>().prop_map(When::At),
        1 => Just(When::Max),
    ]
}

/// Advance targets: mostly steps that stay within reach of the pending
/// entries, sometimes jumps across the whole range. `u64::MAX` is rare since
/// a wheel that reached it has nowhere left to go.
fn target() -> impl Strategy<Value = When> {
    prop_oneof![
        8 => (0u64..130).prop_map(When::After),
        4 => (1u8..=10, -2i8..=2, any::<bool>()).prop_map(|(level, delta, aligned)| {
            When::Boundary { level, delta, aligned }
        }),
        1 => (0u32..64).prop_map(|bit| When::After(1 << bit)),
        1 => any::<u64>().prop_map(When::At),
        1 => (0u64..100).prop_map(When::Before),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        10 => when().prop_map(Op::Insert),
        3 => any::<usize>().prop_map(Op::Remove),
        3 => (any::<usize>(), when()).prop_map(|(key, when)| Op::Reset(key, when)),
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
    fn wheel_matches_model(ops in prop::collection::vec(op(), 1..200)) {
        let mut harness = Harness::new();
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
        inserts in prop::collection::vec(when(), 1..100),
        start in prop_oneof![Just(0u64), any::<u64>()],
    ) {
        let mut harness = Harness::new();
        harness.run(Op::Advance(When::At(start)));
        for when in inserts {
            harness.run(Op::Insert(when));
        }
        harness.drive_until_empty();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// The same model check on a wheel holding tens of thousands of
    /// entries, so the slab spans several of its fixed-size chunks (16,384
    /// entries each) and removals, reuse and shrinking cross chunk borders.
    #[test]
    fn large_wheel_matches_model(
        count in 20_000usize..50_000,
        ops in prop::collection::vec(op(), 1..300),
    ) {
        let mut harness = Harness::new();
        for offset in 0..count as u64 {
            harness.run(Op::Insert(When::After(offset % 5_000)));
        }
        for op in ops {
            harness.run(op);
        }
        harness.finish();
    }
}
