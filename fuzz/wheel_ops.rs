//! The little operation language that drives `schedgroup::Wheel` and its
//! model (`wheel_model.rs`), shared by `tests/wheel_proptest.rs` and the fuzz
//! target `fuzz/fuzz_targets/wheel.rs` (each includes both files with
//! `#[path]`): which deadlines to pick, and which operations to run.

/// A deadline, chosen relative to the wheel's `now` at the moment the
/// operation runs, so a generated sequence keeps hitting the interesting
/// spots (slot and level boundaries, the past, the end of time) however far
/// time has moved.
#[derive(Clone, Copy, Debug)]
pub enum When {
    /// `now + offset`, saturating.
    After(u64),
    /// `now - offset`, saturating: behind `now`, i.e. overdue.
    Before(u64),
    /// `delta` around where the level-`level` digit next changes (`level`
    /// 1..=11; 11 is past the end of `u64`), in a wheel whose lowest slots
    /// span `2^slot_bits`. With `aligned`, the boundary is the start of
    /// `now`'s next level-`level` block, the exact point where the wheel
    /// cascades; without it, simply `now` plus that block's span.
    Boundary { level: u8, delta: i8, aligned: bool },
    /// `delta` around the last deadline of the lowest-level slot `now` is
    /// in: the edge of the current slot.
    SlotEnd(i8),
    /// Somewhere in the lowest-level slot `now` is in, behind or ahead of
    /// `now`: `(slot start) + offset mod 2^slot_bits`.
    InSlot(u64),
    /// An absolute deadline: anywhere, often far behind or far ahead.
    At(u64),
    /// `u64::MAX`, the end of time.
    Max,
}

impl When {
    pub fn resolve(self, now: u64, slot_bits: u32) -> u64 {
        let mask = (1u64 << slot_bits) - 1;
        match self {
            When::After(offset) => now.saturating_add(offset),
            When::Before(offset) => now.saturating_sub(offset),
            When::Boundary {
                level,
                delta,
                aligned,
            } => {
                // u128 so that spans past 2^64 cannot overflow.
                let shift = (slot_bits + 6 * u32::from(level.min(11))).min(64);
                let span = 1u128 << shift;
                let now = u128::from(now);
                let base = if aligned { now & !(span - 1) } else { now };
                let tick = (base + span) as i128 + i128::from(delta);
                tick.clamp(0, i128::from(u64::MAX)) as u64
            }
            When::SlotEnd(delta) => {
                let end = i128::from(now | mask) + i128::from(delta);
                end.clamp(0, i128::from(u64::MAX)) as u64
            }
            When::InSlot(offset) => (now & !mask) | (offset & mask),
            When::At(tick) => tick,
            When::Max => u64::MAX,
        }
    }
}

/// The order in which a burst's deadlines are filed.
#[derive(Clone, Copy, Debug)]
pub enum Order {
    /// All at the same deadline: the shape of a burst of timers.
    Same,
    Rising,
    Falling,
    /// Alternately from the low end and the high end, closing in: every
    /// insert lands in the middle of what is filed, out of reach of a
    /// short walk from either end.
    ZigZag,
    /// Scattered by a pseudo-random sequence from this seed.
    Scatter(u64),
}

/// Many inserts at once: `count` deadlines in `[base, base + spread]`, in
/// the given order.
#[derive(Clone, Copy, Debug)]
pub struct Burst {
    pub count: usize,
    pub base: When,
    pub spread: u64,
    pub order: Order,
}

impl Burst {
    /// The deadlines, in filing order.
    pub fn deadlines(&self, now: u64, slot_bits: u32) -> Vec<u64> {
        let base = self.base.resolve(now, slot_bits);
        let n = self.count as u64;
        let step = |i: u64| match n {
            0 | 1 => 0,
            _ => (u128::from(self.spread) * u128::from(i) / u128::from(n - 1)) as u64,
        };
        let mut seed = match self.order {
            Order::Scatter(seed) => seed | 1,
            _ => 1,
        };
        (0..n)
            .map(|i| {
                let offset = match self.order {
                    Order::Same => 0,
                    Order::Rising => step(i),
                    Order::Falling => step(n - 1 - i),
                    Order::ZigZag if i % 2 == 0 => step(i / 2),
                    Order::ZigZag => step(n - 1 - i / 2),
                    Order::Scatter(_) => {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        seed % self.spread.saturating_add(1).max(1)
                    }
                };
                base.saturating_add(offset)
            })
            .collect()
    }
}

/// One step of a test sequence. Key operands are indices that the harness
/// maps onto the keys handed out so far, stale ones included.
#[derive(Clone, Copy, Debug)]
pub enum Op {
    Insert(When),
    Burst(Burst),
    Remove(usize),
    Reset(usize, When),
    /// `deadline`, `contains`, `get` and `get_mut` agree with the model.
    Inspect(usize),
    /// `advance` to the deadline (which may lie behind `now`: a no-op move).
    Advance(When),
    /// `advance_at_most` to the deadline, handing over at most this many.
    AdvanceAtMost(When, usize),
    /// What the scheduler's driver does: sleep until `next_deadline()`, then
    /// advance to it.
    Drive,
    ShrinkToFit,
    Drain,
    /// `skip_generations`: bring the chunk taking the next insert this many
    /// generations closer to running out (with a count near `u32::MAX`, it
    /// runs out within a few inserts and stops taking any).
    SkipGenerations(u32),
}
