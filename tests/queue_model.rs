//! `Queue<T>` checked against a model: a map of pending values by deadline
//! and a line of expired ones, driven by a `ManualClock` (the wheel's model
//! with a clock). Every operation's answer, every received value and its
//! order must match.

// Builds queues: under `--features loom` their threads and locks are loom's,
// which work only inside a loom model (`loom-tests/` has those).
#![cfg(not(feature = "loom"))]

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use proptest::prelude::*;
use schedgroup::{ManualClock, Queue, QueueKey};

#[derive(Clone, Debug)]
enum Op {
    /// Insert the next value `ms` milliseconds out.
    Insert(u64),
    /// Remove the value inserted `n`-th (modulo how many were).
    Remove(usize),
    /// Reset the value inserted `n`-th to `ms` from now.
    Reset(usize, u64),
    /// Ask for the deadline of the value inserted `n`-th.
    Deadline(usize),
    /// Move the clock forward.
    Advance(u64),
    /// Take an expired value, if any.
    TryRecv,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u64..5_000).prop_map(Op::Insert),
        1 => (0u64..200).prop_map(Op::Insert),
        2 => any::<usize>().prop_map(Op::Remove),
        2 => (any::<usize>(), 0u64..5_000).prop_map(|(n, ms)| Op::Reset(n, ms)),
        1 => any::<usize>().prop_map(Op::Deadline),
        3 => (0u64..700).prop_map(Op::Advance),
        3 => Just(Op::TryRecv),
    ]
}

/// What the queue should hold: pending values by (deadline in ms, order of
/// filing), and the expired ones not yet received, in order, with their
/// deadlines.
#[derive(Default)]
struct Model {
    now: u64,
    filed: u64,
    pending: BTreeMap<(u64, u64), u64>,
    /// Value -> its key in `pending`, while it is pending.
    place: BTreeMap<u64, (u64, u64)>,
    ready: VecDeque<(u64, u64)>,
}

impl Model {
    fn file(&mut self, value: u64, deadline: u64) {
        self.filed += 1;
        let at = (deadline, self.filed);
        self.pending.insert(at, value);
        self.place.insert(value, at);
    }

    fn take(&mut self, value: u64) -> bool {
        match self.place.remove(&value) {
            Some(at) => self.pending.remove(&at).is_some(),
            None => false,
        }
    }

    fn advance(&mut self, ms: u64) {
        self.now += ms;
        while let Some((&(deadline, seq), &value)) = self.pending.iter().next() {
            if deadline > self.now {
                break;
            }
            self.pending.remove(&(deadline, seq));
            self.place.remove(&value);
            self.ready.push_back((deadline, value));
        }
    }

    /// Takes what the queue handed out off the line of expired values: the
    /// line's first, or another due at the same deadline (the queue promises
    /// deadline order, not an order among values due at once). `false` if
    /// that is not what it got.
    fn receive(&mut self, got: Option<u64>) -> bool {
        let Some(&(first, _)) = self.ready.front() else {
            return got.is_none();
        };
        let at = self
            .ready
            .iter()
            .take_while(|&&(deadline, _)| deadline == first)
            .position(|&(_, value)| Some(value) == got);
        at.and_then(|at| self.ready.remove(at)).is_some()
    }
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let clock = ManualClock::new();
    let start = clock.now();
    let queue: Queue<u64> = Queue::builder().clock(clock.clone()).build();
    let mut model = Model::default();
    let mut keys: Vec<(QueueKey, u64)> = Vec::new();
    for op in ops {
        match op {
            Op::Insert(ms) => {
                let value = keys.len() as u64;
                keys.push((queue.insert(value, Duration::from_millis(ms)), value));
                model.file(value, model.now + ms);
                // On a manual clock a value already due expires at once.
                model.advance(0);
            }
            Op::Remove(n) if !keys.is_empty() => {
                let (key, value) = keys[n % keys.len()];
                let expected = model.take(value).then_some(value);
                prop_assert_eq!(queue.remove(&key), expected);
            }
            Op::Reset(n, ms) if !keys.is_empty() => {
                let (key, value) = keys[n % keys.len()];
                let pending = model.take(value);
                if pending {
                    model.file(value, model.now + ms);
                    model.advance(0);
                }
                prop_assert_eq!(queue.reset(&key, Duration::from_millis(ms)), pending);
            }
            Op::Deadline(n) if !keys.is_empty() => {
                let (key, value) = keys[n % keys.len()];
                let expected = model
                    .place
                    .get(&value)
                    .map(|&(ms, _)| start + Duration::from_millis(ms));
                prop_assert_eq!(queue.deadline(&key), expected);
            }
            Op::Advance(ms) => {
                clock.advance(Duration::from_millis(ms));
                model.advance(ms);
            }
            Op::TryRecv => {
                // A receiver takes what is due by now itself.
                model.advance(0);
                let got = queue.try_recv();
                prop_assert!(
                    model.receive(got),
                    "got {:?}, expected from {:?}",
                    got,
                    model.ready
                );
            }
            _ => {}
        }
        prop_assert_eq!(queue.len(), model.pending.len() + model.ready.len());
    }
    // Everything left comes back, in order, once time has passed it all.
    clock.advance(Duration::from_secs(10));
    model.advance(10_000);
    let rest: Vec<u64> = std::iter::from_fn(|| queue.try_recv()).collect();
    for value in rest {
        prop_assert!(model.receive(Some(value)), "{} out of order", value);
    }
    prop_assert!(model.ready.is_empty() && queue.is_empty());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_queue_matches_its_model(ops in prop::collection::vec(op(), 1..200)) {
        run(ops)?;
    }
}
