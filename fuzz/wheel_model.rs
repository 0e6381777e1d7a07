//! A reference model of `schedgroup::Wheel` and the little operation language
//! that drives both, shared by `tests/wheel_proptest.rs` and the fuzz target
//! `fuzz/fuzz_targets/wheel.rs` (each includes this file with `#[path]`), so
//! the property test and the fuzzer assert exactly the same things.
//!
//! The model is deliberately naive: a map from key to its entry plus a
//! `BTreeSet` in hand-over order: by deadline, then first filed (inserted or
//! reset) first. Every wheel answer is compared with it, and any divergence
//! panics, which proptest shrinks and libFuzzer reports.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use schedgroup::{Key, Wheel};

/// A tick, chosen relative to the wheel's `now` at the moment the operation
/// runs, so a generated sequence keeps hitting the interesting spots (level
/// boundaries, the past, the end of time) however far time has moved.
#[derive(Clone, Copy, Debug)]
pub enum When {
    /// `now + offset`, saturating.
    After(u64),
    /// `now - offset`, saturating: behind `now`, i.e. overdue.
    Before(u64),
    /// `delta` ticks around where the level-`level` digit next changes
    /// (`level` 1..=11; 11 is past the end of `u64`). With `aligned`, the
    /// boundary is the start of `now`'s next `64^level` block, the exact tick
    /// where the wheel cascades; without it, simply `now + 64^level`.
    Boundary { level: u8, delta: i8, aligned: bool },
    /// An absolute tick: anywhere, often far behind or far ahead.
    At(u64),
    /// `u64::MAX`, the end of time.
    Max,
}

impl When {
    pub fn resolve(self, now: u64) -> u64 {
        match self {
            When::After(offset) => now.saturating_add(offset),
            When::Before(offset) => now.saturating_sub(offset),
            When::Boundary {
                level,
                delta,
                aligned,
            } => {
                // u128 so that 64^11 and `now + 64^10` cannot overflow.
                let span = 1u128 << (6 * u32::from(level.min(11)));
                let now = u128::from(now);
                let base = if aligned { now & !(span - 1) } else { now };
                let tick = (base + span) as i128 + i128::from(delta);
                tick.clamp(0, i128::from(u64::MAX)) as u64
            }
            When::At(tick) => tick,
            When::Max => u64::MAX,
        }
    }
}

/// One step of a test sequence. Key operands are indices that [`Harness`]
/// maps onto the keys handed out so far, stale ones included.
#[derive(Clone, Copy, Debug)]
pub enum Op {
    Insert(When),
    Remove(usize),
    Reset(usize, When),
    /// `deadline`, `contains`, `get` and `get_mut` agree with the model.
    Inspect(usize),
    /// `advance` to the tick (which may lie behind `now`: a no-op move).
    Advance(When),
    /// `advance_at_most` to the tick, handing over at most this many.
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

/// A pending entry of the model.
#[derive(Clone, Copy, Debug)]
struct Entry {
    /// As given to `insert` or `reset`, never clamped.
    deadline: u64,
    value: u64,
    /// When it was last inserted or reset, as a sequence number: entries due
    /// at the same tick come out in this order.
    filed: u64,
}

/// The wheel under test next to its model.
pub struct Harness {
    wheel: Wheel<u64>,
    pending: BTreeMap<Key, Entry>,
    /// `(deadline, filed, key)` of every pending entry: the exact order in
    /// which `advance` must hand them over.
    queue: BTreeSet<(u64, u64, Key)>,
    /// Every key ever handed out, in order; most are stale after a while.
    keys: Vec<Key>,
    issued: HashSet<Key>,
    next_value: u64,
    next_filed: u64,
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

impl Harness {
    pub fn new() -> Self {
        Harness {
            wheel: Wheel::new(),
            pending: BTreeMap::new(),
            queue: BTreeSet::new(),
            keys: Vec::new(),
            issued: HashSet::new(),
            next_value: 0,
            next_filed: 0,
        }
    }

    /// Runs one operation, checks its results, then checks the invariants.
    pub fn run(&mut self, op: Op) {
        let now = self.wheel.now();
        match op {
            Op::Insert(when) => self.insert(when.resolve(now)),
            Op::Remove(pick) => {
                let key = self.pick(pick);
                let expected = self.forget(key).map(|entry| entry.value);
                assert_eq!(self.wheel.remove(key), expected, "remove({key:?})");
            }
            Op::Reset(pick, when) => {
                let key = self.pick(pick);
                let deadline = when.resolve(now);
                let live = match self.forget(key) {
                    Some(entry) => {
                        self.remember(key, deadline, entry.value);
                        true
                    }
                    None => false,
                };
                let reset = self.wheel.reset(key, deadline);
                assert_eq!(reset, live, "reset({key:?}, {deadline})");
            }
            Op::Inspect(pick) => self.inspect(self.pick(pick)),
            Op::Advance(when) => {
                self.advance(when.resolve(now));
            }
            Op::AdvanceAtMost(when, limit) => self.advance_at_most(when.resolve(now), limit),
            Op::Drive => self.drive(),
            Op::ShrinkToFit => {
                self.wheel.shrink_to_fit();
                // Shrinking moves nothing: every pending key still answers.
                let keys: Vec<Key> = self.pending.keys().copied().collect();
                keys.into_iter().for_each(|key| self.inspect(key));
            }
            Op::SkipGenerations(count) => self.wheel.skip_generations(count),
            Op::Drain => {
                let mut got: Vec<u64> = self.wheel.drain().collect();
                let mut expected: Vec<u64> = self.pending.values().map(|e| e.value).collect();
                got.sort_unstable();
                expected.sort_unstable();
                assert_eq!(got, expected, "drain");
                assert_eq!(self.wheel.now(), now, "drain moved time");
                self.pending.clear();
                self.queue.clear();
            }
        }
        self.check();
    }

    /// Advances to the end of time and checks that everything came out.
    pub fn finish(&mut self) {
        self.run(Op::Advance(When::Max));
        assert!(self.wheel.is_empty() && self.pending.is_empty());
    }

    /// Empties the wheel the way the scheduler's driver does, by `Drive`
    /// steps only. Each wake-up hands over an entry or cascades one down a
    /// level, so an entry costs at most 11 of them (10 cascades, then out):
    /// waking is proportional to entries and levels, never to ticks.
    pub fn drive_until_empty(&mut self) {
        let bound = self.pending.len() * 11;
        let mut wakeups = 0;
        while !self.pending.is_empty() {
            assert!(wakeups < bound, "{wakeups} wake-ups and still not empty");
            self.run(Op::Drive);
            wakeups += 1;
        }
        assert_eq!(self.wheel.next_deadline(), None);
    }

    fn insert(&mut self, deadline: u64) {
        let value = self.next_value;
        self.next_value += 1;
        let key = self.wheel.insert(deadline, value);
        // No key is ever handed out twice (see `Key`), whatever place in the
        // slab it names and however many chunks ran out of generations.
        assert!(
            self.issued.insert(key),
            "insert returned a used key {key:?}"
        );
        self.keys.push(key);
        self.remember(key, deadline, value);
    }

    /// Half the picks name any key ever issued (mostly stale ones), half one
    /// of the 16 newest (mostly live ones), so both paths get exercised.
    fn pick(&self, pick: usize) -> Key {
        let n = self.keys.len();
        match (n, pick % 2) {
            (0, _) => Key::DANGLING,
            (_, 0) => self.keys[(pick / 2) % n],
            _ => self.keys[n - 1 - (pick / 2) % n.min(16)],
        }
    }

    /// Files an entry at the back of the line for its deadline.
    fn remember(&mut self, key: Key, deadline: u64, value: u64) {
        let filed = self.next_filed;
        self.next_filed += 1;
        let entry = Entry {
            deadline,
            value,
            filed,
        };
        self.pending.insert(key, entry);
        self.queue.insert((deadline, filed, key));
    }

    fn forget(&mut self, key: Key) -> Option<Entry> {
        let entry = self.pending.remove(&key)?;
        self.queue.remove(&(entry.deadline, entry.filed, key));
        Some(entry)
    }

    fn inspect(&mut self, key: Key) {
        let expected = self.pending.get(&key).copied();
        assert_eq!(
            self.wheel.deadline(key),
            expected.map(|e| e.deadline),
            "deadline({key:?})"
        );
        assert_eq!(
            self.wheel.contains(key),
            expected.is_some(),
            "contains({key:?})"
        );
        assert_eq!(
            self.wheel.get(key).copied(),
            expected.map(|e| e.value),
            "get({key:?})"
        );
        assert_eq!(
            self.wheel.get_mut(key).map(|v| *v),
            expected.map(|e| e.value),
            "get_mut({key:?})"
        );
    }

    /// Advances the wheel and checks what came out against the model: exactly
    /// the entries due by then, earliest deadline first, equal deadlines
    /// first filed first. Returns how many came out.
    fn advance(&mut self, to: u64) -> usize {
        let now = self.wheel.now();
        let target = to.max(now);
        let expected: Vec<(Key, u64)> = self
            .queue
            .iter()
            .take_while(|&&(deadline, _, _)| deadline <= target)
            .map(|&(_, _, key)| (key, self.pending[&key].value))
            .collect();
        let mut out = Vec::new();
        self.wheel.advance(to, |key, value| out.push((key, value)));
        assert_eq!(self.wheel.now(), target, "now after advance({to})");
        if out != expected {
            let deadlines = |list: &[(Key, u64)]| -> Vec<Option<u64>> {
                list.iter()
                    .map(|(key, _)| self.pending.get(key).map(|e| e.deadline))
                    .collect()
            };
            panic!(
                "advance({to}) from {now} handed over\n  {out:?}\n  deadlines {:?}\n\
                 instead of\n  {expected:?}\n  deadlines {:?}",
                deadlines(&out),
                deadlines(&expected),
            );
        }
        for (key, _) in &out {
            self.forget(*key);
        }
        out.len()
    }

    /// `advance_at_most`: the overdue entries (behind `now`) all come out,
    /// then due ones up to `limit` in all, in the order `advance` would hand
    /// them over; stopped short, `now` is the deadline of the first one left.
    fn advance_at_most(&mut self, to: u64, limit: usize) {
        let now = self.wheel.now();
        let target = to.max(now);
        let due: Vec<(Key, u64, u64)> = self
            .queue
            .iter()
            .take_while(|&&(deadline, _, _)| deadline <= target)
            .map(|&(deadline, _, key)| (key, self.pending[&key].value, deadline))
            .collect();
        let overdue = due
            .iter()
            .filter(|&&(_, _, deadline)| deadline < now)
            .count();
        let count = overdue.max(limit.min(due.len()));
        let expected: Vec<(Key, u64)> = due[..count].iter().map(|&(k, v, _)| (k, v)).collect();
        let mut out = Vec::new();
        let finished = self
            .wheel
            .advance_at_most(to, limit, |key, value| out.push((key, value)));
        assert_eq!(out, expected, "advance_at_most({to}, {limit}) from {now}");
        assert_eq!(finished, count == due.len(), "advance_at_most's answer");
        let expected_now = if finished { target } else { due[count].2 };
        assert_eq!(self.wheel.now(), expected_now, "now after advance_at_most");
        for (key, _) in &out {
            self.forget(*key);
        }
    }

    /// A driver that sleeps until `next_deadline()` must find work when it
    /// wakes: entries to hand over, or else a later `next_deadline()` (after
    /// a cascade). Otherwise it would spin, or sleep past an entry.
    fn drive(&mut self) {
        let now = self.wheel.now();
        let Some(wake) = self.wheel.next_deadline() else {
            return;
        };
        if wake >= now {
            // Nothing is overdue, so `wake` is a lower bound of every deadline
            // and whatever is due at `wake` is due exactly then.
            assert!(
                self.queue
                    .iter()
                    .take_while(|&&(d, _, _)| d <= wake)
                    .all(|&(d, _, _)| d == wake),
                "next_deadline {wake} was not a lower bound"
            );
        }
        if self.advance(wake) == 0 {
            let after = self.wheel.next_deadline();
            assert!(
                after.is_some_and(|after| after > wake),
                "woke at {wake} for nothing, next_deadline is now {after:?}"
            );
        }
    }

    /// What must hold between any two operations.
    fn check(&self) {
        assert_eq!(self.wheel.len(), self.pending.len(), "len");
        assert_eq!(self.wheel.is_empty(), self.pending.is_empty(), "is_empty");
        let now = self.wheel.now();
        let earliest = self.queue.first().map(|&(deadline, _, _)| deadline);
        match (self.wheel.next_deadline(), earliest) {
            (None, None) => {}
            (Some(next), Some(earliest)) => {
                assert!(
                    next <= earliest,
                    "next_deadline {next} > earliest {earliest}"
                );
                if earliest >= now {
                    // Nothing overdue: the wheel must not report the past (a
                    // driver would spin), and within now's level-0 block,
                    // where entries sit in exact one-tick slots, the answer
                    // is exact.
                    assert!(next >= now, "next_deadline {next} behind now {now}");
                    if earliest >> 6 == now >> 6 {
                        assert_eq!(next, earliest, "next_deadline inexact on level 0");
                    }
                }
            }
            (next, earliest) => panic!("next_deadline {next:?} but earliest {earliest:?}"),
        }
    }
}
