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

    /// The last entry, or `NIL`.
    pub(crate) fn tail(&self) -> u32 {
        self.list.tail
    }

    /// The links `(prev, next)` of a new last entry; `id` is the list's.
    #[inline]
    pub(crate) fn append_links(&self, id: u32) -> (u32, u32) {
        self.list.append_links(id)
    }

    /// A lower bound of the overdue deadlines, or `None` if there are none.
    pub(crate) fn min(&self) -> Option<u64> {
        (!self.list.is_empty()).then_some(self.min)
    }

    /// Links entry `index`, due at `deadline`, at the tail, with the links
    /// [`append_links`](Overdue::append_links) gave.
    #[inline]
    pub(crate) fn append(&mut self, index: u32, deadline: u64, prev: u32, links: &mut impl Links) {
        self.min = self.min.min(deadline);
        self.list.append(index, prev, links);
    }

    /// Unlinks the entry whose links were `prev` and `next`.
    #[inline]
    pub(crate) fn unlink(&mut self, prev: u32, next: u32, links: &mut impl Links) {
        self.list.unlink(prev, next, links);
        if self.list.is_empty() {
            self.min = u64::MAX;
        }
    }
}
