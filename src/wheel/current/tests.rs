//! The current slot on its own: every order of inserts comes out sorted and
//! first-filed-first-out, removals by links alone, and the run count stays
//! logarithmic.

use super::super::list::{is_sentinel, list_id, TestLinks};
use super::*;

const FIRST_ID: u32 = 100;

/// A current slot over test storage, filed and emptied the wheel's way.
struct Slot {
    current: Current,
    links: TestLinks,
    /// Peak number of runs seen.
    most_runs: usize,
}

impl Slot {
    fn new() -> Self {
        Slot {
            current: Current::new(FIRST_ID),
            links: TestLinks::new(0),
            most_runs: 0,
        }
    }

    /// Files a new entry due at `deadline`; returns its index.
    fn insert(&mut self, deadline: u64) -> u32 {
        let index = self.links.0.len() as u32;
        let (run, prev, next) = self.current.place(deadline, &self.links);
        self.links.0.push((deadline, prev, next));
        self.current.link(run, index, prev, next, &mut self.links);
        self.most_runs = self.most_runs.max(self.current.len);
        index
    }

    /// Unlinks `index` knowing only its links, as `Levels::unlink` does.
    fn remove(&mut self, index: u32) {
        let (_, prev, next) = self.links.0[index as usize];
        let end = if is_sentinel(prev) { prev } else { next };
        if is_sentinel(end) {
            let run = self.current.run_of(list_id(end));
            self.current.unlink(run, prev, next, &mut self.links);
        } else {
            List::bypass(prev, next, &mut self.links);
        }
        self.links.0[index as usize] = (u64::MAX, NIL, NIL);
    }

    /// Hands over everything, earliest first; checks each run on the way.
    fn drain(&mut self) -> Vec<u32> {
        let mut out = Vec::new();
        while let Some((deadline, index)) = self.current.first(&self.links) {
            self.check_runs();
            assert_eq!(self.links.deadline(index), deadline);
            out.push(index);
            self.remove(index);
        }
        assert!(self.current.is_empty());
        out
    }

    /// Every run: links that agree, ends that name it, deadlines in order.
    fn check_runs(&self) {
        for (id, list) in self.current.runs() {
            let walked = self.links.walk(&list, id);
            let deadlines: Vec<u64> = walked.iter().map(|&i| self.links.deadline(i)).collect();
            assert!(
                deadlines.windows(2).all(|w| w[0] <= w[1]),
                "run {id}: {deadlines:?}"
            );
        }
    }
}

/// Deadlines in `0..count / 4` (so many are equal), in the given order; the
/// drain must come out sorted by deadline, then by filing order.
fn check_order(name: &str, deadlines: &[u64]) -> usize {
    let mut slot = Slot::new();
    for &deadline in deadlines {
        slot.insert(deadline);
    }
    slot.check_runs();
    let out = slot.drain();
    let mut expected: Vec<u32> = (0..deadlines.len() as u32).collect();
    expected.sort_by_key(|&i| deadlines[i as usize]); // stable: filing order on ties
    assert_eq!(out, expected, "{name}");
    slot.most_runs
}

use crate::test_rng::xorshift as rng;

#[test]
fn every_insert_order_comes_out_sorted_and_first_filed_first() {
    let n = 2_000u64;
    let mut seed = 0x9E37_79B9_7F4A_7C15;
    let random: Vec<u64> = (0..n).map(|_| rng(&mut seed) % (n / 4)).collect();
    let zigzag: Vec<u64> = (0..n)
        .map(|i| if i % 2 == 0 { i / 2 } else { n - i / 2 })
        .collect();
    let blocks: Vec<u64> = (0..n).map(|i| (n - i / 100 * 100) + i % 100).collect();
    let orders: [(&str, Vec<u64>); 6] = [
        ("rising", (0..n).collect()),
        ("falling", (0..n).rev().collect()),
        ("one deadline", vec![5; n as usize]),
        ("random with ties", random),
        ("zigzag", zigzag),
        ("falling blocks of rising runs", blocks),
    ];
    for (name, deadlines) in &orders {
        let runs = check_order(name, deadlines);
        // 2^(runs - 2) <= 2n: the merge rule keeps the stack logarithmic.
        assert!(runs <= 2 + 12, "{name}: {runs} runs");
    }
}

#[test]
fn rising_falling_and_equal_deadlines_need_one_run() {
    for deadlines in [vec![1, 2, 2, 3, 9], vec![9, 7, 7, 3, 1], vec![4; 50]] {
        let runs = check_order("monotone", &deadlines);
        assert_eq!(runs, 1, "{deadlines:?}");
    }
    // Within WALK steps of the tail: still one run; one step further, a
    // second run.
    let mut near: Vec<u64> = (0..100).map(|i| i * 10).collect();
    near.extend([985, 955, 945]); // 945 goes after 940, 8 entries back
    assert_eq!(check_order("near the tail", &near), 1);
    near.push(935); // 9 back, and not before the head
    assert_eq!(check_order("past the walk", &near), 2);
}

#[test]
fn removal_from_any_run_and_position_needs_only_the_links() {
    let mut seed = 42;
    let mut most_runs = 0;
    for round in 0..50 {
        let mut slot = Slot::new();
        let count = 20 + round * 7;
        let deadlines: Vec<u64> = (0..count).map(|_| rng(&mut seed) % 40).collect();
        for &d in &deadlines {
            slot.insert(d);
        }
        most_runs = most_runs.max(slot.most_runs);
        // Remove a third of them at random, including heads and tails.
        let mut gone = vec![false; count as usize];
        for _ in 0..count / 3 {
            let victim = rng(&mut seed) % count;
            if !gone[victim as usize] {
                gone[victim as usize] = true;
                slot.remove(victim as u32);
                slot.check_runs();
            }
        }
        // Insert more after the removals, then everything comes out in order.
        for _ in 0..10 {
            slot.insert(rng(&mut seed) % 40);
        }
        gone.resize(slot.links.0.len(), false);
        let all: Vec<u64> = slot.links.0.iter().map(|e| e.0).collect();
        let out = slot.drain();
        let mut expected: Vec<u32> = (0..all.len() as u32)
            .filter(|&i| !gone[i as usize])
            .collect();
        expected.sort_by_key(|&i| all[i as usize]);
        assert_eq!(out, expected, "round {round}");
    }
    assert!(
        most_runs >= 3,
        "random orders should have made several runs"
    );
}

#[test]
fn a_loaded_slot_is_one_run_named_as_a_run() {
    let mut links = TestLinks::new(3);
    let mut list = List::EMPTY;
    for index in 0..3 {
        let (prev, next) = list.append_links(7);
        links.0[index as usize] = (10 + u64::from(index), prev, next);
        list.append(index, prev, &mut links);
    }
    let mut current = Current::new(FIRST_ID);
    current.load(list, &mut links);
    assert_eq!(links.walk(&current.runs[0].list, FIRST_ID), [0, 1, 2]);
    assert_eq!(current.first(&links), Some((10, 0)));
    // Later entries that do not fit run 0 never merge into it (size unknown).
    let (run, prev, next) = current.place(11, &links);
    assert_eq!(
        (run, prev, next),
        (0, 1, 2),
        "after the last entry due at or before it"
    );
    current.clear();
    current.load_sorted(&[(3, 0, 2), (4, 1, 0), (4, 2, 1)], &mut links);
    assert_eq!(links.walk(&current.runs[0].list, FIRST_ID), [2, 0, 1]);
}
