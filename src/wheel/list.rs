//! A slot list: the intrusive doubly-linked list of entry indices that every
//! wheel slot (and the overdue list) is, its [`NIL`] end marker, and the
//! rules for linking into and out of it.
//!
//! A leaf: it knows the storage only through [`Links`], so the levels, the
//! overdue list and the store can all build on it without importing each
//! other.

/// "No entry": the end of a list, or an empty list's head and tail. Also the
/// index of [`Key::DANGLING`](super::Key::DANGLING), which no entry ever has.
pub(crate) const NIL: u32 = u32::MAX;

/// Where an entry is linked: a slot of a level, or, for entries filed with a
/// deadline already behind `now`, the overdue list.
///
/// Entries do not store it: it is a pure function of an entry's deadline and
/// the wheel's `now` (see `Levels::location_of`), and storing it would make
/// every entry bigger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Location {
    Slot { level: usize, slot: usize },
    Overdue,
}

/// What a list needs from the storage its entries live in: write access to
/// their links. The storage is passed to each list operation, since the links
/// are part of the entries (intrusive), not of the list.
pub(crate) trait Links {
    /// Sets the `prev` link of the live entry at `index`.
    fn set_prev(&mut self, index: u32, prev: u32);
    /// Sets the `next` link of the live entry at `index`.
    fn set_next(&mut self, index: u32, next: u32);
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

    /// Links entry `index` at the tail. Its own links must already read
    /// `prev: self.tail, next: NIL`: an insert writes them with the entry,
    /// so that the new entry is written once.
    #[inline]
    pub(crate) fn push_back(&mut self, index: u32, links: &mut impl Links) {
        debug_assert_ne!(index, NIL);
        if self.tail == NIL {
            self.head = index;
        } else {
            links.set_next(self.tail, index);
        }
        self.tail = index;
    }

    /// Unlinks entry `index`, whose links are `prev` and `next`. The entry
    /// itself is not touched: it may already be out of the storage.
    #[inline]
    pub(crate) fn remove(&mut self, index: u32, prev: u32, next: u32, links: &mut impl Links) {
        if prev == NIL {
            debug_assert_eq!(self.head, index, "not its list's head");
            self.head = next;
        }
        if next == NIL {
            debug_assert_eq!(self.tail, index, "not its list's tail");
            self.tail = prev;
        }
        Self::bypass(prev, next, links);
    }

    /// Links `prev` and `next` to each other, around an entry that leaves
    /// from between them. When neither is [`NIL`], that is all an unlink
    /// changes, so the caller need not even find the list.
    #[inline]
    pub(crate) fn bypass(prev: u32, next: u32, links: &mut impl Links) {
        if prev != NIL {
            links.set_next(prev, next);
        }
        if next != NIL {
            links.set_prev(next, prev);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(prev, next)` per index.
    struct Vector(Vec<(u32, u32)>);

    impl Links for Vector {
        fn set_prev(&mut self, index: u32, prev: u32) {
            self.0[index as usize].0 = prev;
        }
        fn set_next(&mut self, index: u32, next: u32) {
            self.0[index as usize].1 = next;
        }
    }

    fn walk(list: &List, links: &Vector) -> Vec<u32> {
        let mut out = Vec::new();
        let mut index = list.head;
        while index != NIL {
            out.push(index);
            index = links.0[index as usize].1;
        }
        out
    }

    #[test]
    fn push_back_then_remove_from_every_position() {
        let mut links = Vector(vec![(NIL, NIL); 5]);
        let mut list = List::EMPTY;
        for index in 0..5 {
            links.0[index as usize] = (list.tail, NIL);
            list.push_back(index, &mut links);
        }
        assert_eq!(walk(&list, &links), [0, 1, 2, 3, 4]);
        for (index, rest) in [(2, &[0, 1, 3, 4][..]), (0, &[1, 3, 4]), (4, &[1, 3])] {
            let (prev, next) = links.0[index as usize];
            list.remove(index, prev, next, &mut links);
            assert_eq!(walk(&list, &links), rest);
        }
        assert_eq!((list.head, list.tail), (1, 3));
        assert_eq!(links.0[3], (1, NIL));
        list.remove(1, NIL, 3, &mut links);
        list.remove(3, NIL, NIL, &mut links);
        assert!(list.is_empty());
        assert_eq!(list, List::EMPTY);
    }
}
