//! The part of `Wheel<T>`'s public API that watches time pass: when the
//! next entry is due, and handing over what came due.

use super::{Key, Wheel};

impl<T> Wheel<T> {
    /// A lower bound of the earliest pending deadline; `None` iff the wheel
    /// is empty. It is exact when the earliest entry is overdue (and no
    /// overdue entry was removed since the last `advance`) or due within the
    /// lowest-level slot `now` is in; with wider slots (see
    /// [`with_slot_bits`](Wheel::with_slot_bits)) also when it lies in the
    /// next occupied slot of the lowest level and that slot was filed in
    /// deadline order. Otherwise it is the start of the wheel slot holding
    /// that entry, where an `advance` cascades the slot down (or sorts it) and
    /// a fresh `next_deadline` is closer. A caller that sleeps until this
    /// deadline and advances never oversleeps an entry.
    ///
    /// ```
    /// let mut wheel = schedgroup::Wheel::new();
    /// wheel.insert(40, ());
    /// assert_eq!(wheel.next_deadline(), Some(40));
    /// wheel.insert(1 << 40, ());
    /// assert_eq!(wheel.next_deadline(), Some(40));
    /// ```
    pub fn next_deadline(&self) -> Option<u64> {
        self.levels.next_deadline(&self.entries)
    }

    /// Moves the wheel to `now` and hands every entry whose deadline is at or
    /// before it to `expired`, in non-decreasing deadline order. Entries
    /// with equal deadlines come out in the order they were inserted (or
    /// reset to that deadline), except one that [`reset`](Wheel::reset)
    /// moved to a later deadline without taking it out of its list: it joins
    /// that order only when `advance` reaches the list, so it may come out
    /// anywhere among the entries due at its deadline. A `now` behind
    /// [`Wheel::now`] is taken as `Wheel::now`: time never goes back.
    ///
    /// If `expired` panics, the entries not yet handed over stay in the wheel,
    /// consistent, and a later `advance` hands them over.
    ///
    /// ```
    /// let mut wheel = schedgroup::Wheel::new();
    /// wheel.insert(u64::MAX, 'z');
    /// wheel.insert(1 << 50, 'b');
    /// wheel.insert(1, 'a');
    /// let mut out = Vec::new();
    /// wheel.advance(u64::MAX, |_, v| out.push(v));
    /// assert_eq!(out, ['a', 'b', 'z']);
    /// ```
    pub fn advance(&mut self, now: u64, expired: impl FnMut(Key, T)) {
        self.advance_at_most(now, usize::MAX, expired);
    }

    /// [`advance`](Wheel::advance), but handing over at most `limit` entries:
    /// returns whether it got all the way to `now` (everything due was
    /// handed over). Stopped short, [`now`](Wheel::now) is the deadline of
    /// the entries it left due, and the next call goes on in the same order,
    /// so an event loop can bound the work of each turn.
    ///
    /// Entries inserted with a deadline already behind `now` are the
    /// exception: they are handed over all at once, whatever `limit` (they
    /// must be sorted first, and sorting them again for each part would cost
    /// more than it saves); they count against `limit`.
    ///
    /// ```
    /// let mut wheel = schedgroup::Wheel::new();
    /// for value in 0..5 {
    ///     wheel.insert(10, value);
    /// }
    /// wheel.insert(20, 5);
    /// let mut out = Vec::new();
    /// assert!(!wheel.advance_at_most(100, 2, |_, v| out.push(v)));
    /// assert_eq!((out.as_slice(), wheel.now()), (&[0, 1][..], 10));
    /// assert!(wheel.advance_at_most(100, 10, |_, v| out.push(v)));
    /// assert_eq!((out, wheel.now()), (vec![0, 1, 2, 3, 4, 5], 100));
    /// ```
    pub fn advance_at_most(
        &mut self,
        now: u64,
        limit: usize,
        mut expired: impl FnMut(Key, T),
    ) -> bool {
        self.advance_at_most_with_deadlines(now, limit, |key, _deadline, value| expired(key, value))
    }

    /// [`advance_at_most`](Wheel::advance_at_most), also handing over each
    /// entry's deadline.
    pub(crate) fn advance_at_most_with_deadlines(
        &mut self,
        now: u64,
        limit: usize,
        mut expired: impl FnMut(Key, u64, T),
    ) -> bool {
        self.levels
            .advance(&mut self.entries, now, limit, &mut expired)
    }
}
