//! A list of entries ([`List`]), as every wheel slot, the overdue list and
//! each run of the current slot keep one: an intrusive doubly-linked list of
//! entry indices whose two ends name the list they end ("sentinels"), and the
//! rules for linking into and out of it.
//!
//! A leaf: it knows the storage only through [`Links`], so the levels, the
//! overdue list, the current slot and the store can all build on it without
//! importing each other.
//!
//! Why the ends name their list: an entry stores no slot, and its deadline
//! does not always say which list it is on (the current slot is several
//! sorted runs, see `current.rs`; a reset to a later deadline may leave an
//! entry where it was, see `Levels::defer_later`). An entry in the middle of
//! a list leaves by linking its two neighbours; an entry at an end finds the
//! list whose head or tail changes in its own `prev` or `next`. So an unlink
//! needs the entry's links and nothing else.

/// The first link value that is not an entry index: `FIRST_SENTINEL + id`
/// ends the list numbered `id`. Entry indices stay below it: the store's
/// chunk numbers stop short of it (checked in `store.rs`).
pub(crate) const FIRST_SENTINEL: u32 = u32::MAX - (1 << 14) + 1;

/// No entry and no list: an empty list's head and tail, and the index of
/// [`Key::DANGLING`](super::Key::DANGLING). The last sentinel value, which
/// names no list.
pub(crate) const NIL: u32 = u32::MAX;

/// How many lists can be named: every sentinel but [`NIL`].
pub(crate) const LIST_IDS: u32 = NIL - FIRST_SENTINEL;

/// The link that ends list `id`.
#[inline]
pub(crate) fn sentinel(id: u32) -> u32 {
    debug_assert!(id < LIST_IDS, "list id {id}");
    FIRST_SENTINEL + id
}

/// Whether a link ends a list instead of naming an entry.
#[inline]
pub(crate) fn is_sentinel(link: u32) -> bool {
    link >= FIRST_SENTINEL
}

/// The id of the list that `link`, a sentinel, ends.
#[inline]
pub(crate) fn list_id(link: u32) -> u32 {
    debug_assert!(is_sentinel(link) && link != NIL, "{link} ends no list");
    link - FIRST_SENTINEL
}

/// What a list needs from the storage its entries live in: their links and
/// deadlines. The storage is passed to each list operation, since the links
/// are part of the entries (intrusive), not of the list.
pub(crate) trait Links {
    /// The deadline of the live entry at `index`.
    fn deadline(&self, index: u32) -> u64;
    /// The `prev` link of the live entry at `index`.
    fn prev(&self, index: u32) -> u32;
    /// The `next` link of the live entry at `index`.
    fn next(&self, index: u32) -> u32;
    /// Sets the `prev` link of the live entry at `index`.
    fn set_prev(&mut self, index: u32, prev: u32);
    /// Sets the `next` link of the live entry at `index`.
    fn set_next(&mut self, index: u32, next: u32);
    /// Sets both links of the live entry at `index`.
    fn set_links(&mut self, index: u32, prev: u32, next: u32);
    /// Sets the `next` link of the live entry at `index` and returns its
    /// deadline: an append reads the old tail's deadline where it writes its
    /// link, with one lookup.
    fn set_next_for_deadline(&mut self, index: u32, next: u32) -> u64;
}

/// One list: its first and last entry, both [`NIL`] when empty.
///
/// The tail is kept so that appending, which every insert does, touches one
/// other entry (the old tail) and never walks the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct List {
    pub(crate) head: u32,
    pub(crate) tail: u32,
}

impl List {
    pub(crate) const EMPTY: List = List {
        head: NIL,
        tail: NIL,
    };

    pub(crate) fn is_empty(&self) -> bool {
        debug_assert_eq!(self.head == NIL, self.tail == NIL, "half-empty list");
        self.head == NIL
    }

    /// The links `(prev, next)` of a new last entry of this list, whose id
    /// is `id`: an insert writes them with the entry, so that the new entry
    /// is written once.
    #[inline]
    pub(crate) fn append_links(&self, id: u32) -> (u32, u32) {
        let end = sentinel(id);
        let prev = if self.tail == NIL { end } else { self.tail };
        (prev, end)
    }

    /// Links entry `index` at the tail, with the links
    /// [`append_links`](List::append_links) gave (its `prev` is the old
    /// tail, or the sentinel if the list was empty). Only writes to the old
    /// tail: a store, which does not wait for the old tail to be in cache.
    #[inline]
    pub(crate) fn append(&mut self, index: u32, prev: u32, links: &mut impl Links) {
        debug_assert!(!is_sentinel(index));
        debug_assert_eq!(is_sentinel(prev), self.is_empty());
        self.tail = index;
        if is_sentinel(prev) {
            self.head = index;
        } else {
            links.set_next(prev, index);
        }
    }

    /// [`append`](List::append), also reading the old tail's deadline where
    /// it writes the old tail's link (one lookup); `None` if the list was
    /// empty. The read waits for the old tail, where `append` need not.
    #[inline]
    pub(crate) fn append_reading_tail(
        &mut self,
        index: u32,
        prev: u32,
        links: &mut impl Links,
    ) -> Option<u64> {
        debug_assert!(!is_sentinel(index));
        debug_assert_eq!(is_sentinel(prev), self.is_empty());
        self.tail = index;
        if is_sentinel(prev) {
            self.head = index;
            None
        } else {
            Some(links.set_next_for_deadline(prev, index))
        }
    }

    /// Links entry `index` between `prev` and `next`: two neighbours in this
    /// list, or the list's sentinel where the entry becomes an end. The
    /// entry's own links must already read `prev` and `next`.
    #[inline]
    pub(crate) fn link(&mut self, index: u32, prev: u32, next: u32, links: &mut impl Links) {
        debug_assert!(!is_sentinel(index));
        if is_sentinel(prev) {
            self.head = index;
        } else {
            links.set_next(prev, index);
        }
        if is_sentinel(next) {
            self.tail = index;
        } else {
            links.set_prev(next, index);
        }
    }

    /// Unlinks the entry whose links were `prev` and `next`. The entry itself
    /// is not touched: it may already be out of the storage.
    #[inline]
    pub(crate) fn unlink(&mut self, prev: u32, next: u32, links: &mut impl Links) {
        if is_sentinel(prev) {
            self.head = if is_sentinel(next) { NIL } else { next };
        } else {
            links.set_next(prev, next);
        }
        if is_sentinel(next) {
            self.tail = if is_sentinel(prev) { NIL } else { prev };
        } else {
            links.set_prev(next, prev);
        }
    }

    /// Links `prev` and `next` to each other, around an entry that leaves
    /// from between them. When neither is a sentinel, that is all an unlink
    /// changes, so the caller need not even find the list.
    #[inline]
    pub(crate) fn bypass(prev: u32, next: u32, links: &mut impl Links) {
        debug_assert!(!is_sentinel(prev) && !is_sentinel(next));
        links.set_next(prev, next);
        links.set_prev(next, prev);
    }

    /// Makes the ends name list `id`: for a list that changes its name, as a
    /// slot's list does when it becomes the current slot.
    pub(crate) fn relabel(&self, id: u32, links: &mut impl Links) {
        if !self.is_empty() {
            links.set_prev(self.head, sentinel(id));
            links.set_next(self.tail, sentinel(id));
        }
    }
}

/// Storage for the unit tests of the list, the levels and the current slot:
/// `(deadline, prev, next)` per index.
#[cfg(test)]
pub(crate) struct TestLinks(pub(crate) Vec<(u64, u32, u32)>);

#[cfg(test)]
impl TestLinks {
    /// `count` unlinked entries, all due at 0.
    pub(crate) fn new(count: usize) -> Self {
        TestLinks(vec![(0, NIL, NIL); count])
    }

    /// The indices of `list`, head to tail, checking every link on the way,
    /// including that both ends name list `id`.
    pub(crate) fn walk(&self, list: &List, id: u32) -> Vec<u32> {
        let mut out = Vec::new();
        let mut prev = sentinel(id);
        let mut index = list.head;
        while !is_sentinel(index) {
            assert_eq!(self.prev(index), prev, "prev of {index}");
            out.push(index);
            prev = index;
            index = self.next(index);
        }
        assert_eq!(index, if out.is_empty() { NIL } else { sentinel(id) });
        assert_eq!(list.tail, if out.is_empty() { NIL } else { prev });
        out
    }
}

#[cfg(test)]
impl Links for TestLinks {
    fn deadline(&self, index: u32) -> u64 {
        self.0[index as usize].0
    }
    fn prev(&self, index: u32) -> u32 {
        self.0[index as usize].1
    }
    fn next(&self, index: u32) -> u32 {
        self.0[index as usize].2
    }
    fn set_prev(&mut self, index: u32, prev: u32) {
        self.0[index as usize].1 = prev;
    }
    fn set_next(&mut self, index: u32, next: u32) {
        self.0[index as usize].2 = next;
    }
    fn set_links(&mut self, index: u32, prev: u32, next: u32) {
        (self.0[index as usize].1, self.0[index as usize].2) = (prev, next);
    }
    fn set_next_for_deadline(&mut self, index: u32, next: u32) -> u64 {
        self.0[index as usize].2 = next;
        self.0[index as usize].0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unlink(list: &mut List, index: u32, links: &mut TestLinks) {
        let (prev, next) = (links.prev(index), links.next(index));
        list.unlink(prev, next, links);
    }

    #[test]
    fn append_then_unlink_from_every_position_knowing_only_the_links() {
        let id = 7;
        let mut links = TestLinks::new(5);
        let mut list = List::EMPTY;
        for index in 0..5 {
            let (prev, next) = list.append_links(id);
            (links.0[index as usize].1, links.0[index as usize].2) = (prev, next);
            list.append(index, prev, &mut links);
        }
        assert_eq!(links.walk(&list, id), [0, 1, 2, 3, 4]);
        // Middle, head, tail: each time only the entry's own links say
        // what changes.
        for (index, rest) in [(2, &[0, 1, 3, 4][..]), (0, &[1, 3, 4]), (4, &[1, 3])] {
            unlink(&mut list, index, &mut links);
            assert_eq!(links.walk(&list, id), rest);
        }
        assert_eq!(links.0[1].1, sentinel(id), "the new head names its list");
        assert_eq!(links.0[3].2, sentinel(id), "the new tail names its list");
        unlink(&mut list, 1, &mut links);
        unlink(&mut list, 3, &mut links);
        assert_eq!(list, List::EMPTY);
    }

    #[test]
    fn link_between_neighbours_or_at_either_end() {
        let id = 3;
        let mut links = TestLinks::new(4);
        let mut list = List::EMPTY;
        let put = |index: u32, prev: u32, next: u32, list: &mut List, links: &mut TestLinks| {
            (links.0[index as usize].1, links.0[index as usize].2) = (prev, next);
            list.link(index, prev, next, links);
        };
        put(0, sentinel(id), sentinel(id), &mut list, &mut links);
        put(1, sentinel(id), 0, &mut list, &mut links); // new head
        put(2, 0, sentinel(id), &mut list, &mut links); // new tail
        put(3, 1, 0, &mut list, &mut links); // middle
        assert_eq!(links.walk(&list, id), [1, 3, 0, 2]);
        list.relabel(9, &mut links);
        assert_eq!(links.walk(&list, 9), [1, 3, 0, 2]);
    }

    #[test]
    fn sentinels_are_never_entry_indices() {
        assert!(!is_sentinel(FIRST_SENTINEL - 1));
        assert!(is_sentinel(sentinel(0)) && is_sentinel(NIL));
        assert_eq!(list_id(sentinel(LIST_IDS - 1)), LIST_IDS - 1);
        assert_eq!(sentinel(LIST_IDS - 1), NIL - 1);
    }
}
