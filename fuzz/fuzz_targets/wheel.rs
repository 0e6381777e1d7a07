//! Fuzzes `Wheel<T>` against the model in `../wheel_model.rs`, the one
//! `tests/wheel_proptest.rs` uses: the input bytes decode to a sequence of
//! operations, each checked against the model as it runs, and the sequence
//! ends by handing over everything left (see below).
//!
//! Run from the repository root: `cargo fuzz run -s none wheel` (stable
//! toolchain; `-s none` skips the sanitizer, which needs nightly).

#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

#[path = "../wheel_model.rs"]
mod wheel_model;

use wheel_model::{Harness, Op, When};

fuzz_target!(|data: &[u8]| {
    // The first byte picks how the sequence ends: one advance to the end of
    // time, or driver steps until empty (which bounds the wake-ups).
    let Some((&ending, data)) = data.split_first() else {
        return;
    };
    let mut input = Unstructured::new(data);
    let mut harness = Harness::new();
    while !input.is_empty() {
        match op(&mut input) {
            Ok(op) => harness.run(op),
            Err(_) => break,
        }
    }
    if ending & 1 == 0 {
        harness.finish();
    } else {
        harness.drive_until_empty();
    }
});

/// The same mix as the proptest's strategies: offsets that stay near `now`,
/// level boundaries, the past, anywhere, and the end of time.
fn when(input: &mut Unstructured) -> Result<When> {
    Ok(match input.int_in_range(0u8..=7)? {
        0 | 1 => When::After(input.int_in_range(0..=129)?),
        2 | 3 => When::Boundary {
            level: input.int_in_range(1..=11)?,
            delta: input.int_in_range(-2..=2)?,
            aligned: input.arbitrary()?,
        },
        4 => When::After(1 << input.int_in_range(0..=63)?),
        5 => When::Before(input.arbitrary()?),
        6 => When::At(input.arbitrary()?),
        _ => When::Max,
    })
}

/// Advance targets: like `when`, but the end of time only by its own opcode,
/// so most inputs keep time moving for a while.
fn target(input: &mut Unstructured) -> Result<When> {
    match when(input)? {
        When::Max => Ok(When::After(input.int_in_range(0..=129)?)),
        other => Ok(other),
    }
}

fn op(input: &mut Unstructured) -> Result<Op> {
    Ok(match input.int_in_range(0u8..=15)? {
        0..=4 => Op::Insert(when(input)?),
        5 | 6 => Op::Remove(input.arbitrary()?),
        7 | 8 => Op::Reset(input.arbitrary()?, when(input)?),
        9 => Op::Inspect(input.arbitrary()?),
        10 | 11 => Op::Advance(target(input)?),
        12 | 13 => Op::Drive,
        14 => match input.int_in_range(0u8..=2)? {
            0 => Op::Advance(When::Max),
            1 => Op::ShrinkToFit,
            _ => Op::Drain,
        },
        _ => match input.int_in_range(0u8..=2)? {
            0 => Op::AdvanceAtMost(target(input)?, input.int_in_range(0..=40)?),
            1 => Op::Inspect(input.arbitrary()?),
            // Mostly near the end of a chunk's generations.
            _ => Op::SkipGenerations(match input.arbitrary::<bool>()? {
                true => u32::MAX - input.int_in_range(0..=7)?,
                false => input.arbitrary()?,
            }),
        },
    })
}
