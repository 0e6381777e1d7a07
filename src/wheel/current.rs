//! The current slot ([`Current`]): the entries due within the level-0 slot
//! that `now` is in, kept in deadline order, so that `advance` hands over
//! exactly those due by any point inside the slot, and `next_deadline` is
//! exact there.
//!
//! A level-0 slot spans `2^slot_bits` deadlines, filed in any order. It is
//! put in order once, when it becomes current, and not at all if it was
//! filed in order (its order bit says so; a burst at one deadline always is).
//! Entries that arrive while it is current (inserts and resets due within
//! it) keep it in order at a bounded cost, whatever order they come in:
//!
//! * The slot is a stack of *runs*, each a list sorted by deadline, older
//!   runs below newer ones: every entry of a run was filed before every entry
//!   of the runs above it.
//! * A new entry goes into the top run: after the last entry due at or
//!   before it, found by walking back from the tail at most [`WALK`] steps
//!   (the first step, the tail itself, is the common case: deadlines filed
//!   while time moves on mostly rise), or at the front if it is due before
//!   the head. Otherwise it starts a new run.
//! * Runs merge like a binary counter: whenever a run is not more than twice
//!   the size of the one above it, the two merge (a walk of both). So sizes
//!   at least halve going up, there are at most 34 runs, and an entry takes
//!   part in O(log n) merges: filing is amortised O(log n) in the worst
//!   order, O(1) in the common one.
//! * The earliest entry is the earliest of the runs' heads; on equal
//!   deadlines the lower run's comes first, which keeps first-filed-first-out.
//!
//! Removal stays O(1): an entry leaves its run as it leaves any list (see
//! `list.rs`), by its links alone.

use super::list::{is_sentinel, sentinel, Links, List, NIL};

/// Runs the stack can hold. Sizes at least halve going up and a size never
/// exceeds `u32::MAX`, so at most 34 are ever in use (see `Current::collapse`).
pub(crate) const MAX_RUNS: usize = 40;

/// How far back from the tail an insert looks for its place before it starts
/// a new run instead.
pub(crate) const WALK: usize = 8;

#[derive(Clone, Copy, Debug)]
struct Run {
    list: List,
    /// Entries filed into it, its own and those of the runs merged into it
    /// (saturating): an upper bound of its length, which is all the merge
    /// rule needs. Removals do not count down: they cannot tell which run
    /// a middle entry is in.
    size: u32,
}

impl Run {
    const EMPTY: Run = Run {
        list: List::EMPTY,
        size: 0,
    };
}

#[derive(Debug)]
pub(crate) struct Current {
    runs: [Run; MAX_RUNS],
    /// Runs in use. The top one, if any, is never empty.
    len: usize,
    /// The list id of run 0; run `r`'s is `first_id + r`.
    first_id: u32,
}

impl Current {
    /// An empty current slot whose runs have the list ids `first_id..`.
    pub(crate) fn new(first_id: u32) -> Self {
        Current {
            runs: [Run::EMPTY; MAX_RUNS],
            len: 0,
            first_id,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Empties it without touching the entries.
    pub(crate) fn clear(&mut self) {
        self.len = 0;
    }

    fn id(&self, run: usize) -> u32 {
        self.first_id + run as u32
    }

    /// The lists of the runs in use with their ids, oldest first.
    pub(crate) fn runs(&self) -> impl Iterator<Item = (u32, List)> + '_ {
        (0..self.len).map(|run| (self.id(run), self.runs[run].list))
    }

    /// The earliest entry, as `(deadline, index)`: the earliest head of a
    /// run, the lowest run's on a tie.
    #[inline]
    pub(crate) fn first(&self, links: &impl Links) -> Option<(u64, u32)> {
        let mut first: Option<(u64, u32)> = None;
        for run in &self.runs[..self.len] {
            let head = run.list.head;
            if head != NIL {
                let deadline = links.deadline(head);
                if first.map_or(true, |(earliest, _)| deadline < earliest) {
                    first = Some((deadline, head));
                }
            }
        }
        first
    }

    /// Whether there is one run and all of it is due by `target` (its last
    /// entry is).
    #[inline]
    pub(crate) fn all_due_by(&self, target: u64, links: &impl Links) -> bool {
        self.len == 1 && links.deadline(self.runs[0].list.tail) <= target
    }

    /// The head of the only run, if there is one run. (Within a slot one
    /// deadline wide every insert appends, so there is never a second.)
    #[inline]
    pub(crate) fn only_head(&self) -> Option<u32> {
        debug_assert!(self.len <= 1);
        (self.len == 1).then_some(self.runs[0].list.head)
    }

    /// Where a new entry due at `deadline` goes: `(run, prev, next)`, its run
    /// and its links. `run == len` means a new run on top. Reads only.
    #[inline]
    pub(crate) fn place(&self, deadline: u64, links: &impl Links) -> (usize, u32, u32) {
        if self.len == 0 {
            let end = sentinel(self.id(0));
            return (0, end, end);
        }
        let top = self.len - 1;
        let list = self.runs[top].list;
        debug_assert!(!list.is_empty(), "the top run is empty");
        let mut after = list.tail;
        for _ in 0..WALK {
            if links.deadline(after) <= deadline {
                return (top, after, links.next(after));
            }
            let before = links.prev(after);
            if is_sentinel(before) {
                // Due before every entry of the run: its new head.
                return (top, before, after);
            }
            after = before;
        }
        if deadline < links.deadline(list.head) {
            return (top, sentinel(self.id(top)), list.head);
        }
        let end = sentinel(self.id(self.len));
        (self.len, end, end)
    }

    /// Links entry `index` where [`place`](Current::place) said, with the
    /// links it gave; a new run may make runs merge.
    pub(crate) fn link(
        &mut self,
        run: usize,
        index: u32,
        prev: u32,
        next: u32,
        links: &mut impl Links,
    ) {
        if run == self.len {
            debug_assert!(self.len < MAX_RUNS);
            self.runs[run] = Run {
                list: List {
                    head: index,
                    tail: index,
                },
                size: 1,
            };
            self.len += 1;
            self.collapse(links);
        } else {
            let run = &mut self.runs[run];
            run.list.link(index, prev, next, links);
            run.size = run.size.saturating_add(1);
        }
    }

    /// Unlinks the entry whose links were `prev` and `next` from `run`; the
    /// top runs that this leaves empty go.
    #[inline]
    pub(crate) fn unlink(&mut self, run: usize, prev: u32, next: u32, links: &mut impl Links) {
        debug_assert!(run < self.len, "run {run} of {}", self.len);
        let list = &mut self.runs[run].list;
        list.unlink(prev, next, links);
        if list.is_empty() && run + 1 == self.len {
            self.len -= 1;
            while self.len > 0 && self.runs[self.len - 1].list.is_empty() {
                self.len -= 1;
            }
        }
    }

    /// The run that list id `id` names.
    pub(crate) fn run_of(&self, id: u32) -> usize {
        (id - self.first_id) as usize
    }

    /// Makes a slot's list, in deadline order, the only run. The size is
    /// not known without a walk, so it counts as the largest: later runs
    /// merge among themselves and never into it, which would walk it.
    pub(crate) fn load(&mut self, list: List, links: &mut impl Links) {
        debug_assert!(self.is_empty());
        list.relabel(self.id(0), links);
        self.runs[0] = Run {
            list,
            size: u32::MAX,
        };
        self.len = usize::from(!list.is_empty());
    }

    /// Makes the entries of `order`, `(deadline, _, index)` in deadline
    /// order, the only run, linking each.
    pub(crate) fn load_sorted(&mut self, order: &[(u64, u32, u32)], links: &mut impl Links) {
        debug_assert!(self.is_empty());
        debug_assert!(order.windows(2).all(|pair| pair[0].0 <= pair[1].0));
        let end = sentinel(self.id(0));
        for (position, &(_, _, index)) in order.iter().enumerate() {
            let prev = position
                .checked_sub(1)
                .map_or(end, |before| order[before].2);
            let next = order.get(position + 1).map_or(end, |&(_, _, next)| next);
            links.set_links(index, prev, next);
        }
        let (Some(first), Some(last)) = (order.first(), order.last()) else {
            return;
        };
        self.runs[0] = Run {
            list: List {
                head: first.2,
                tail: last.2,
            },
            size: order.len().try_into().unwrap_or(u32::MAX),
        };
        self.len = 1;
    }

    /// Merges the top runs while one is not more than twice the size of the
    /// one above it, looking at the top three: after a new run, every
    /// pair below the top one already obeyed, so checking the top three
    /// after each merge restores the rule for all (sizes at least halve
    /// going up: `2^(len - 2) <= size of run 0 <= u32::MAX`, so `len <= 34`).
    fn collapse(&mut self, links: &mut impl Links) {
        loop {
            let len = self.len;
            let size = |run: usize| u64::from(self.runs[run].size);
            if len >= 3 && size(len - 3) <= 2 * size(len - 2) {
                self.merge(len - 3, links);
            } else if len >= 2 && (size(len - 2) <= 2 * size(len - 1) || len == MAX_RUNS) {
                self.merge(len - 2, links);
            } else {
                break;
            }
        }
        debug_assert!(self.len < MAX_RUNS);
    }

    /// Merges run `run + 1` into run `run`; the runs above move down one.
    fn merge(&mut self, run: usize, links: &mut impl Links) {
        let (older, newer) = (self.runs[run], self.runs[run + 1]);
        self.runs[run] = Run {
            list: merge(older.list, newer.list, self.id(run), links),
            size: older.size.saturating_add(newer.size),
        };
        for moved in run + 1..self.len - 1 {
            self.runs[moved] = self.runs[moved + 1];
            self.runs[moved].list.relabel(self.id(moved), links);
        }
        self.len -= 1;
    }
}

/// Merges two sorted lists into one named `id`, `older`'s entries first
/// among equal deadlines. `older` is named `id` already.
fn merge(older: List, newer: List, id: u32, links: &mut impl Links) -> List {
    if newer.is_empty() {
        return older;
    }
    if older.is_empty() {
        newer.relabel(id, links);
        return newer;
    }
    let end = sentinel(id);
    if links.deadline(older.tail) <= links.deadline(newer.head) {
        // Already in order, one after the other.
        links.set_next(older.tail, newer.head);
        links.set_prev(newer.head, older.tail);
        links.set_next(newer.tail, end);
        return List {
            head: older.head,
            tail: newer.tail,
        };
    }
    let (mut a, mut b) = (older.head, newer.head);
    let (mut due_a, mut due_b) = (links.deadline(a), links.deadline(b));
    let (mut head, mut last) = (NIL, end);
    let (rest, tail) = loop {
        let from_older = due_a <= due_b;
        let pick = if from_older { a } else { b };
        if from_older {
            a = links.next(a);
        } else {
            b = links.next(b);
        }
        links.set_prev(pick, last);
        if last == end {
            head = pick;
        } else {
            links.set_next(last, pick);
        }
        last = pick;
        if is_sentinel(a) {
            break (b, newer.tail);
        }
        if is_sentinel(b) {
            break (a, older.tail);
        }
        if from_older {
            due_a = links.deadline(a);
        } else {
            due_b = links.deadline(b);
        }
    };
    links.set_next(last, rest);
    links.set_prev(rest, last);
    links.set_next(tail, end);
    List { head, tail }
}

#[cfg(test)]
mod tests;
