//! Fuzzes `Wheel<T>` against the model in `../wheel_model.rs`, the one
//! `tests/wheel_proptest.rs` uses: the input bytes decode to a slot width
//! and a sequence of operations (`../wheel_ops.rs`), each checked against the
//! model as it runs, and the sequence ends by handing over everything left
//! (see below).
//!
//! Run from the repository root: `cargo fuzz run -s none wheel` (stable
//! toolchain; `-s none` skips the sanitizer, which needs nightly).

#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

#[path = "../wheel_model.rs"]
mod wheel_model;
#[path = "../wheel_ops.rs"]
mod wheel_ops;

use wheel_model::Harness;
use wheel_ops::{Burst, Op, Order, When};

/// Slot widths to try, as powers of two: mostly the default and the
/// scheduler's, and the extremes.
const SLOT_BITS: [u32; 8] = [0, 0, 1, 3, 6, 10, 20, 63];

fuzz_target!(|data: &[u8]| {
    // The first byte picks how the sequence ends (bit 0: one advance to the
    // end of time, or driver steps until empty, which bounds the wake-ups)
    // and the slot width (bits 1..=3).
    let Some((&first, data)) = data.split_first() else {
        return;
    };
    let (ending, bits) = (first & 1, SLOT_BITS[usize::from(first >> 1 & 7)]);
    let mut input = Unstructured::new(data);
    let mut harness = Harness::with_slot_bits(bits);
    while !input.is_empty() {
        match op(&mut input) {
            Ok(op) => harness.run(op),
            Err(_) => break,
        }
    }
    if ending == 0 {
        harness.finish();
    } else {
        harness.drive_until_empty();
    }
});

/// The same mix as the proptest's strategies: offsets that stay near `now`,
/// slot and level boundaries, points in the current slot, the past,
/// anywhere, and the end of time.
fn when(input: &mut Unstructured) -> Result<When> {
    Ok(match input.int_in_range(0u8..=9)? {
        0 | 1 => When::After(input.int_in_range(0..=129)?),
        2 | 3 => When::Boundary {
            level: input.int_in_range(1..=11)?,
            delta: input.int_in_range(-2..=2)?,
            aligned: input.arbitrary()?,
        },
        4 => When::After(1 << input.int_in_range(0..=63)?),
        5 => When::Before(input.arbitrary()?),
        6 => When::At(input.arbitrary()?),
        7 => When::SlotEnd(input.int_in_range(-2..=2)?),
        8 => When::InSlot(input.arbitrary()?),
        _ => When::Max,
    })
}

/// Many inserts at once, in an order that is easy (one deadline, rising) or
/// hard (falling, zigzag, scattered) to keep sorted.
fn burst(input: &mut Unstructured) -> Result<Burst> {
    Ok(Burst {
        count: input.int_in_range(0..=300)?,
        base: when(input)?,
        spread: match input.int_in_range(0u8..=2)? {
            0 => 0,
            1 => input.int_in_range(0..=63)?,
            _ => input.arbitrary()?,
        },
        order: match input.int_in_range(0u8..=4)? {
            0 => Order::Same,
            1 => Order::Rising,
            2 => Order::Falling,
            3 => Order::ZigZag,
            _ => Order::Scatter(input.arbitrary()?),
        },
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
        _ => match input.int_in_range(0u8..=3)? {
            0 => Op::AdvanceAtMost(target(input)?, input.int_in_range(0..=40)?),
            1 => Op::Inspect(input.arbitrary()?),
            2 => Op::Burst(burst(input)?),
            // Mostly near the end of a chunk's generations.
            _ => Op::SkipGenerations(match input.arbitrary::<bool>()? {
                true => u32::MAX - input.int_in_range(0..=7)?,
                false => input.arbitrary()?,
            }),
        },
    })
}
