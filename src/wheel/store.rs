//! The slab the wheel's entries live in: one `Vec` of slots, `u32`
//! indices and a LIFO free list.
//!
//! Why not the `slab` crate, which is the same thing: its insert is not
//! inlined into ours (~20 instructions, ~3.5 ns per schedule, by callgrind
//! and criterion), and its indices are `usize`. (A list of chunks that
//! never move was tried too: every access then paid for finding the chunk,
//! and a cancel cost 259 instructions instead of 173.)

use super::entries::Entry;

/// "No free slot" in the free list.
const NO_FREE: u32 = u32::MAX;

/// A slot: an entry, or a link in the free list. The entry's `NonZero`
/// generation gives the enum a niche, so a slot is no bigger than an entry.
#[derive(Debug)]
enum Slot<T> {
    Vacant { next_free: u32 },
    Occupied(Entry<T>),
}

#[derive(Debug)]
pub(crate) struct Store<T> {
    slots: Vec<Slot<T>>,
    /// Occupied slots.
    len: usize,
    /// The most recently freed slot (reused first: it is likely in cache).
    free: u32,
}

impl<T> Store<T> {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Store {
            slots: Vec::with_capacity(capacity),
            len: 0,
            free: NO_FREE,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Slots allocated, occupied or not.
    pub(crate) fn capacity(&self) -> usize {
        self.slots.capacity()
    }

    /// The index the next [`insert`](Store::insert) will use.
    #[inline]
    pub(crate) fn vacant_key(&self) -> u32 {
        if self.free != NO_FREE {
            self.free
        } else {
            // `insert` refuses to hand out u32::MAX, so this cannot wrap
            // into a valid-looking index.
            u32::try_from(self.slots.len()).unwrap_or(u32::MAX)
        }
    }

    /// Stores `entry` at [`vacant_key`](Store::vacant_key) and returns that
    /// index.
    ///
    /// # Panics
    ///
    /// If every index below `u32::MAX` is occupied.
    #[inline]
    pub(crate) fn insert(&mut self, entry: Entry<T>) -> u32 {
        let index = self.vacant_key();
        if self.free != NO_FREE {
            let slot = &mut self.slots[index as usize];
            let Slot::Vacant { next_free } = *slot else {
                unreachable!("the free list names an occupied slot");
            };
            *slot = Slot::Occupied(entry);
            self.free = next_free;
        } else {
            assert!(
                index < u32::MAX,
                "a Wheel holds at most u32::MAX - 1 entries"
            );
            self.slots.push(Slot::Occupied(entry));
        }
        self.len += 1;
        index
    }

    /// Takes the entry at `index` out.
    ///
    /// # Panics
    ///
    /// If the slot is vacant: the wheel only removes entries it knows live.
    #[inline]
    pub(crate) fn remove(&mut self, index: u32) -> Entry<T> {
        let free = self.free;
        let slot = &mut self.slots[index as usize];
        match std::mem::replace(slot, Slot::Vacant { next_free: free }) {
            Slot::Occupied(entry) => {
                self.free = index;
                self.len -= 1;
                entry
            }
            vacant => {
                *slot = vacant;
                panic!("removing a vacant slot");
            }
        }
    }

    /// Takes out the entry at `index` if it is there and has `generation`.
    #[inline]
    pub(crate) fn remove_live(&mut self, index: u32, generation: u32) -> Option<Entry<T>> {
        let slot = self.slots.get_mut(index as usize)?;
        match slot {
            Slot::Occupied(entry) if entry.generation.get() == generation => {}
            _ => return None,
        }
        let vacant = Slot::Vacant {
            next_free: self.free,
        };
        let Slot::Occupied(entry) = std::mem::replace(slot, vacant) else {
            unreachable!("checked just above");
        };
        self.free = index;
        self.len -= 1;
        Some(entry)
    }

    /// The entry at `index`, if that slot exists and is occupied.
    #[inline]
    pub(crate) fn get(&self, index: u32) -> Option<&Entry<T>> {
        match self.slots.get(index as usize)? {
            Slot::Occupied(entry) => Some(entry),
            Slot::Vacant { .. } => None,
        }
    }

    /// Empties the store, handing out every entry; keeps no memory.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = Entry<T>> {
        self.len = 0;
        self.free = NO_FREE;
        std::mem::take(&mut self.slots)
            .into_iter()
            .filter_map(|slot| match slot {
                Slot::Occupied(entry) => Some(entry),
                Slot::Vacant { .. } => None,
            })
    }

    /// Drops the vacant slots past the highest occupied one and gives the
    /// spare capacity back, without moving any entry. The free list is
    /// rebuilt from what remains, lowest index first.
    pub(crate) fn shrink_to_fit(&mut self) {
        let keep = self
            .slots
            .iter()
            .rposition(|slot| matches!(slot, Slot::Occupied(_)))
            .map_or(0, |highest| highest + 1);
        self.slots.truncate(keep);
        self.slots.shrink_to_fit();
        self.free = NO_FREE;
        for (index, slot) in self.slots.iter_mut().enumerate().rev() {
            if let Slot::Vacant { next_free } = slot {
                *next_free = self.free;
                self.free = index as u32;
            }
        }
    }
}

impl<T> std::ops::Index<u32> for Store<T> {
    type Output = Entry<T>;

    #[inline]
    fn index(&self, index: u32) -> &Entry<T> {
        match &self.slots[index as usize] {
            Slot::Occupied(entry) => entry,
            Slot::Vacant { .. } => panic!("no entry at {index}"),
        }
    }
}

impl<T> std::ops::IndexMut<u32> for Store<T> {
    #[inline]
    fn index_mut(&mut self, index: u32) -> &mut Entry<T> {
        match &mut self.slots[index as usize] {
            Slot::Occupied(entry) => entry,
            Slot::Vacant { .. } => panic!("no entry at {index}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::num::NonZeroU32;

    fn entry(value: u32) -> Entry<u32> {
        Entry {
            deadline: 0,
            prev: 0,
            next: 0,
            generation: NonZeroU32::MIN,
            value,
        }
    }

    #[test]
    fn a_slot_is_no_bigger_than_its_entry() {
        assert_eq!(
            std::mem::size_of::<Slot<[u32; 3]>>(),
            std::mem::size_of::<Entry<[u32; 3]>>()
        );
    }

    #[test]
    fn indices_are_handed_out_in_order_then_reused() {
        let mut store = Store::with_capacity(0);
        for value in 0..10_000 {
            assert_eq!(store.insert(entry(value)), value);
        }
        assert_eq!(store.len(), 10_000);
        assert_eq!(store.remove(77).value, 77);
        assert_eq!(store.vacant_key(), 77);
        assert_eq!(store.insert(entry(1)), 77);
        assert_eq!(store.vacant_key(), 10_000);
    }

    #[test]
    fn freed_slots_are_reused_last_in_first_out() {
        let mut store = Store::with_capacity(4);
        for value in 0..4 {
            store.insert(entry(value));
        }
        assert_eq!(store.remove(1).value, 1);
        assert_eq!(store.remove(2).value, 2);
        assert!(store.get(1).is_none());
        assert_eq!(store.vacant_key(), 2);
        assert_eq!(store.insert(entry(20)), 2);
        assert_eq!(store.insert(entry(10)), 1);
        assert_eq!(store.insert(entry(4)), 4);
        assert_eq!(store[1].value, 10);
    }

    #[test]
    fn shrink_keeps_live_indices_and_rebuilds_the_free_list() {
        let mut store = Store::with_capacity(0);
        for value in 0..1000 {
            store.insert(entry(value));
        }
        for index in (0..1000).filter(|&i| i != 5 && i != 70) {
            store.remove(index);
        }
        store.shrink_to_fit();
        assert_eq!(store.capacity(), 71);
        assert_eq!((store[5].value, store[70].value), (5, 70));
        // The free list hands out the lowest vacant index first, then fresh
        // slots past the highest live one.
        assert_eq!(store.insert(entry(0)), 0);
        for expected in (1..70).filter(|&i| i != 5) {
            assert_eq!(store.insert(entry(expected)), expected);
        }
        assert_eq!(store.insert(entry(71)), 71);
        store.remove(5);
        store.remove(70);
        let all: Vec<u32> = store.drain().map(|e| e.value).collect();
        assert_eq!(all.len(), 70);
        store.shrink_to_fit();
        assert_eq!(
            (store.capacity(), store.len(), store.vacant_key()),
            (0, 0, 0)
        );
    }

    #[test]
    #[should_panic(expected = "vacant")]
    fn removing_a_vacant_slot_panics() {
        let mut store = Store::with_capacity(0);
        let index = store.insert(entry(1));
        store.remove(index);
        store.remove(index);
    }
}
