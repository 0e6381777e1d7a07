//! The overdue list ([`Overdue`]): entries filed with a deadline already
//! behind the wheel's `now`, which the next advance hands over first, sorted.

use super::list::{Links, List};

/// Entries whose deadline was behind `now` when they were filed. Unlike a
/// slot's, these deadlines differ, so the list is sorted when it is handed
/// over, and only its lowest deadline is kept up to date.
#[derive(Debug)]
pub(crate) struct Overdue {
    list: List,
    /// A lower bound of every deadline on the list (exact until one is
    /// removed); `u64::MAX` when the list is empty.
    min: u64,
}

impl Overdue {
    pub(crate) const EMPTY: Overdue = Overdue {
        list: List::EMPTY,
        min: u64::MAX,
    };

    /// The first entry, or `NIL`.
    pub(crate) fn head(&self) -> u32 {
        self.list.head
    }

    /// The last entry, or `NIL`: a new entry's `prev`.
    #[inline]
    pub(crate) fn tail(&self) -> u32 {
        self.list.tail
    }

    /// A lower bound of the overdue deadlines, or `None` if there are none.
    pub(crate) fn min(&self) -> Option<u64> {
        (!self.list.is_empty()).then_some(self.min)
    }

    /// Links entry `index`, due at `deadline`, at the tail (its links must
    /// read `prev: self.tail(), next: NIL`).
    #[inline]
    pub(crate) fn add_entry(&mut self, index: u32, deadline: u64, links: &mut impl Links) {
        self.min = self.min.min(deadline);
        self.list.push_back(index, links);
    }

    /// Unlinks entry `index`, whose links are `prev` and `next`.
    #[inline]
    pub(crate) fn remove_entry(
        &mut self,
        index: u32,
        prev: u32,
        next: u32,
        links: &mut impl Links,
    ) {
        self.list.remove(index, prev, next, links);
        if self.list.is_empty() {
            self.min = u64::MAX;
        }
    }
}
