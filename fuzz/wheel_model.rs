//! A reference model of `schedgroup::Wheel`, shared by
//! `tests/wheel_proptest.rs` and the fuzz target `fuzz/fuzz_targets/wheel.rs`
//! (each includes this file and `wheel_ops.rs`, the operations, with
//! `#[path]`), so the property test and the fuzzer assert exactly the same
//! things.
//!
//! The model is deliberately naive: a map from key to its entry plus a
//! `BTreeSet` in hand-over order: by deadline, then first filed (inserted or
//! reset) first. Every wheel answer is compared with it, the wheel's own
//! invariants are audited after every operation, and any divergence panics,
//! which proptest shrinks and libFuzzer reports.
//!
//! One documented freedom of the wheel is modelled: a reset to a later
//! deadline of an entry due after the lowest-level slot that `now` is in
//! leaves the entry where it was filed, so it may come out anywhere among
//! the entries due at its deadline. The model marks such entries *moved*
//! (until an eager reset files them again) and checks first-filed-first-out
//! among the others only.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use schedgroup::{Key, Wheel};

use crate::wheel_ops::{Op, When};

/// A pending entry of the model.
#[derive(Clone, Copy, Debug)]
struct Entry {
    /// As given to `insert` or `reset`, never clamped.
    deadline: u64,
    value: u64,
    /// When it was last inserted or reset, as a sequence number: entries due
    /// at the same deadline come out in this order (unless `moved`).
    filed: u64,
    /// Reset to a later deadline while due after the current slot: the
    /// wheel may hand it over anywhere among the entries due with it.
    moved: bool,
}

/// The wheel under test next to its model.
pub struct Harness {
    wheel: Wheel<u64>,
    slot_bits: u32,
    pending: BTreeMap<Key, Entry>,
    /// `(deadline, filed, key)` of every pending entry: the order in which
    /// `advance` hands them over.
    queue: BTreeSet<(u64, u64, Key)>,
    /// Every key ever handed out, in order; most are stale after a while.
    keys: Vec<Key>,
    issued: HashSet<Key>,
    next_value: u64,
    next_filed: u64,
    /// Operations run, to space out the audits of big wheels.
    ops: u64,
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

impl Harness {
    /// A harness around `Wheel::new()`.
    pub fn new() -> Self {
        Self::with_wheel(Wheel::new(), 0)
    }

    /// A harness around `Wheel::with_slot_bits(slot_bits)`.
    pub fn with_slot_bits(slot_bits: u32) -> Self {
        Self::with_wheel(Wheel::with_slot_bits(slot_bits), slot_bits)
    }

    fn with_wheel(wheel: Wheel<u64>, slot_bits: u32) -> Self {
        assert_eq!(wheel.slot_bits(), slot_bits);
        Harness {
            wheel,
            slot_bits,
            pending: BTreeMap::new(),
            queue: BTreeSet::new(),
            keys: Vec::new(),
            issued: HashSet::new(),
            next_value: 0,
            next_filed: 0,
            ops: 0,
        }
    }

    /// The last deadline of the lowest-level slot that `now` is in.
    fn current_end(&self) -> u64 {
        self.wheel.now() | ((1u64 << self.slot_bits) - 1)
    }

    fn resolve(&self, when: When) -> u64 {
        when.resolve(self.wheel.now(), self.slot_bits)
    }

    /// Runs one operation, checks its results, then checks the invariants.
    pub fn run(&mut self, op: Op) {
        let now = self.wheel.now();
        match op {
            Op::Insert(when) => self.insert(self.resolve(when)),
            Op::Burst(burst) => {
                for deadline in burst.deadlines(now, self.slot_bits) {
                    self.insert(deadline);
                }
            }
            Op::Remove(pick) => {
                let key = self.pick(pick);
                let expected = self.forget(key).map(|entry| entry.value);
                assert_eq!(self.wheel.remove(key), expected, "remove({key:?})");
            }
            Op::Reset(pick, when) => {
                let key = self.pick(pick);
                let deadline = self.resolve(when);
                let live = match self.forget(key) {
                    Some(old) => {
                        // The wheel's rule for leaving an entry in place.
                        let later = deadline > old.deadline && old.deadline > self.current_end();
                        self.remember(key, deadline, old.value, later);
                        true
                    }
                    None => false,
                };
                let reset = self.wheel.reset(key, deadline);
                assert_eq!(reset, live, "reset({key:?}, {deadline})");
            }
            Op::Inspect(pick) => self.inspect(self.pick(pick)),
            Op::Advance(when) => {
                self.advance(self.resolve(when));
            }
            Op::AdvanceAtMost(when, limit) => self.advance_at_most(self.resolve(when), limit),
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
        self.ops += 1;
        self.check();
    }

    /// Advances to the end of time and checks that everything came out.
    pub fn finish(&mut self) {
        self.run(Op::Advance(When::Max));
        assert!(self.wheel.is_empty() && self.pending.is_empty());
    }

    /// Empties the wheel the way the scheduler's driver does, by `Drive`
    /// steps only. Each wake-up hands over an entry, or files anew the
    /// entries of one slot: an entry costs at most 13 of them (the slot a
    /// reset left it in; 10 cascades; its lowest-level slot becoming current;
    /// its own deadline within it). Waking is proportional to entries and
    /// levels, never to slots.
    pub fn drive_until_empty(&mut self) {
        let bound = self.pending.len() * 13;
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
        self.remember(key, deadline, value, false);
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
    fn remember(&mut self, key: Key, deadline: u64, value: u64, moved: bool) {
        let filed = self.next_filed;
        self.next_filed += 1;
        let entry = Entry {
            deadline,
            value,
            filed,
            moved,
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

    /// The entries due by `target`, in the model's order.
    fn due(&self, target: u64) -> Vec<(u64, Key)> {
        self.queue
            .iter()
            .take_while(|&&(deadline, _, _)| deadline <= target)
            .map(|&(deadline, _, key)| (deadline, key))
            .collect()
    }

    /// Checks what an advance handed over, `out`, against `due` (the model's
    /// order of everything due) when it had to hand over the first `count`:
    /// the same deadlines in the same order, right values, no key twice;
    /// at each deadline, the entries not `moved` in filing order, and the
    /// first-filed ones of them; then forgets them.
    fn check_handed(&mut self, what: &str, out: &[(Key, u64)], due: &[(u64, Key)], count: usize) {
        let deadlines = |keys: &mut dyn Iterator<Item = Key>| -> Vec<Option<u64>> {
            keys.map(|key| self.pending.get(&key).map(|e| e.deadline))
                .collect()
        };
        let got = deadlines(&mut out.iter().map(|&(key, _)| key));
        let expected = deadlines(&mut due[..count].iter().map(|&(_, key)| key));
        assert!(
            got == expected,
            "{what} handed over\n  {out:?}\n  deadlines {got:?}\ninstead of\n  {:?}\n  deadlines {expected:?}",
            &due[..count]
        );
        let mut in_line: BTreeMap<u64, Vec<Key>> = BTreeMap::new();
        for &(deadline, key) in due {
            if !self.pending[&key].moved {
                in_line.entry(deadline).or_default().push(key);
            }
        }
        let mut taken: BTreeMap<u64, usize> = BTreeMap::new();
        for &(key, value) in out {
            let entry = self
                .forget(key)
                .unwrap_or_else(|| panic!("{what}: {key:?} twice"));
            assert_eq!(entry.value, value, "{what}: value of {key:?}");
            if !entry.moved {
                let position = taken.entry(entry.deadline).or_default();
                assert_eq!(
                    in_line[&entry.deadline].get(*position),
                    Some(&key),
                    "{what}: {key:?} out of filing order at {}",
                    entry.deadline
                );
                *position += 1;
            }
        }
    }

    /// Advances the wheel and checks what came out against the model: exactly
    /// the entries due by then, earliest deadline first, equal deadlines
    /// first filed first. Returns how many came out.
    fn advance(&mut self, to: u64) -> usize {
        let now = self.wheel.now();
        let target = to.max(now);
        let due = self.due(target);
        let mut out = Vec::new();
        self.wheel.advance(to, |key, value| out.push((key, value)));
        assert_eq!(self.wheel.now(), target, "now after advance({to})");
        self.check_handed(&format!("advance({to}) from {now}"), &out, &due, due.len());
        out.len()
    }

    /// `advance_at_most`: the overdue entries (behind `now`) all come out,
    /// then due ones up to `limit` in all, in the order `advance` would hand
    /// them over; stopped short, `now` is the deadline of the first one left.
    fn advance_at_most(&mut self, to: u64, limit: usize) {
        let now = self.wheel.now();
        let target = to.max(now);
        let due = self.due(target);
        let overdue = due.iter().filter(|&&(deadline, _)| deadline < now).count();
        let count = overdue.max(limit.min(due.len()));
        let mut out = Vec::new();
        let finished = self
            .wheel
            .advance_at_most(to, limit, |key, value| out.push((key, value)));
        assert_eq!(finished, count == due.len(), "advance_at_most's answer");
        let expected_now = if finished { target } else { due[count].0 };
        assert_eq!(self.wheel.now(), expected_now, "now after advance_at_most");
        let what = format!("advance_at_most({to}, {limit}) from {now}");
        self.check_handed(&what, &out, &due, count);
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
        if self.pending.len() <= 5_000 || self.ops % 64 == 0 {
            self.wheel.audit();
        }
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
                    // driver would spin), and within the current slot, which
                    // is kept in deadline order, the answer is exact.
                    assert!(next >= now, "next_deadline {next} behind now {now}");
                    if earliest <= self.current_end() {
                        assert_eq!(next, earliest, "next_deadline inexact in the current slot");
                    }
                }
            }
            (next, earliest) => panic!("next_deadline {next:?} but earliest {earliest:?}"),
        }
    }
}
