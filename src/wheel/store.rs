//! The slab the wheel's entries live in: `u32` indices, a LIFO free list,
//! and storage in chunks that never move.
//!
//! Why not the `slab` crate: it keeps one `Vec`, so growing past its
//! capacity copies every entry (a 32 MB memcpy, ~10 ms, at 1M pending, under
//! the shard lock the driver also needs), and its insert is not inlined
//! into ours (~20 instructions, ~3.5 ns per schedule, by callgrind and
//! criterion). Here chunk `k` holds `FIRST << k` entries and is allocated
//! once at that size: growth adds a chunk and never copies, and the chunks
//! double so there are few of them (at most 32 for any `u32` index).

use super::entries::Entry;

/// Entries in the first chunk. A power of two, as the index arithmetic
/// needs.
const FIRST: usize = 64;
const FIRST_BITS: u32 = FIRST.trailing_zeros();

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
    /// Chunk `k` has capacity `FIRST << k`; every chunk but the last is full.
    chunks: Vec<Vec<Slot<T>>>,
    /// Occupied slots.
    len: usize,
    /// The most recently freed slot (reused first: it is likely in cache).
    free: u32,
}

/// The chunk and the position in it of slot `index`.
///
/// Chunk `k` covers indices `[FIRST * (2^k - 1), FIRST * (2^(k+1) - 1))`, so
/// `index + FIRST` lies in `[FIRST << k, FIRST << (k + 1))`: its highest set
/// bit, less `FIRST_BITS`, is `k`, and the bits below that bit are the
/// position.
#[inline]
fn locate(index: u32) -> (usize, usize) {
    let biased = index as usize + FIRST;
    let chunk = (usize::BITS - 1 - biased.leading_zeros() - FIRST_BITS) as usize;
    let position = biased - (FIRST << chunk);
    debug_assert!(position < FIRST << chunk);
    (chunk, position)
}

/// Slots in chunks `0..count`.
fn slots_in_chunks(count: usize) -> usize {
    FIRST * ((1 << count) - 1)
}

impl<T> Store<T> {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        let mut store = Store {
            chunks: Vec::new(),
            len: 0,
            free: NO_FREE,
        };
        while store.capacity() < capacity {
            store.add_chunk();
        }
        store
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Slots allocated, occupied or not.
    pub(crate) fn capacity(&self) -> usize {
        slots_in_chunks(self.chunks.len())
    }

    /// Slots ever handed out: every index below this has been occupied at
    /// least once (it is in a chunk, and in the free list if vacant).
    fn initialized(&self) -> usize {
        match self.chunks.last() {
            None => 0,
            Some(last) => slots_in_chunks(self.chunks.len() - 1) + last.len(),
        }
    }

    fn add_chunk(&mut self) {
        let size = FIRST << self.chunks.len();
        self.chunks.push(Vec::with_capacity(size));
    }

    /// The index the next [`insert`](Store::insert) will use.
    #[inline]
    pub(crate) fn vacant_key(&self) -> u32 {
        if self.free != NO_FREE {
            self.free
        } else {
            // `insert` refuses to hand out u32::MAX, so this cannot wrap
            // into a valid-looking index.
            u32::try_from(self.initialized()).unwrap_or(u32::MAX)
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
            let slot = self.slot_mut(index);
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
            if self
                .chunks
                .last()
                .map_or(true, |last| last.len() == last.capacity())
            {
                self.add_chunk();
            }
            let last = self.chunks.last_mut().expect("a chunk was just ensured");
            debug_assert!(last.len() < last.capacity(), "a chunk would reallocate");
            last.push(Slot::Occupied(entry));
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
        let slot = self.slot_mut(index);
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

    /// The entry at `index`, if that slot exists and is occupied.
    #[inline]
    pub(crate) fn get(&self, index: u32) -> Option<&Entry<T>> {
        let (chunk, position) = locate(index);
        match self.chunks.get(chunk)?.get(position)? {
            Slot::Occupied(entry) => Some(entry),
            Slot::Vacant { .. } => None,
        }
    }

    #[inline]
    fn slot_mut(&mut self, index: u32) -> &mut Slot<T> {
        let (chunk, position) = locate(index);
        &mut self.chunks[chunk][position]
    }

    /// Empties the store, handing out every entry; keeps no memory.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = Entry<T>> {
        self.len = 0;
        self.free = NO_FREE;
        std::mem::take(&mut self.chunks)
            .into_iter()
            .flatten()
            .filter_map(|slot| match slot {
                Slot::Occupied(entry) => Some(entry),
                Slot::Vacant { .. } => None,
            })
    }

    /// Frees every chunk past the one holding the highest occupied slot
    /// (all of them when empty), without moving any entry. The free list is
    /// rebuilt from what remains, lowest index first.
    pub(crate) fn shrink_to_fit(&mut self) {
        let highest = self.highest_occupied();
        let keep = highest.map_or(0, |index| locate(index).0 + 1);
        self.chunks.truncate(keep);
        if let (Some(index), Some(last)) = (highest, self.chunks.last_mut()) {
            // Slots after the highest occupied one in its chunk are vacant:
            // forget them (they are handed out again, fresh, by `insert`).
            last.truncate(locate(index).1 + 1);
        }
        self.chunks.shrink_to_fit();
        self.free = NO_FREE;
        for index in (0..self.initialized() as u32).rev() {
            let free = self.free;
            if let Slot::Vacant { next_free } = self.slot_mut(index) {
                *next_free = free;
                self.free = index;
            }
        }
    }

    fn highest_occupied(&self) -> Option<u32> {
        (0..self.initialized() as u32)
            .rev()
            .find(|&index| self.get(index).is_some())
    }
}

impl<T> std::ops::Index<u32> for Store<T> {
    type Output = Entry<T>;

    #[inline]
    fn index(&self, index: u32) -> &Entry<T> {
        match self.get(index) {
            Some(entry) => entry,
            None => panic!("no entry at {index}"),
        }
    }
}

impl<T> std::ops::IndexMut<u32> for Store<T> {
    #[inline]
    fn index_mut(&mut self, index: u32) -> &mut Entry<T> {
        match self.slot_mut(index) {
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
    fn locate_walks_the_doubling_chunks() {
        assert_eq!(locate(0), (0, 0));
        assert_eq!(locate(63), (0, 63));
        assert_eq!(locate(64), (1, 0));
        assert_eq!(locate(191), (1, 127));
        assert_eq!(locate(192), (2, 0));
        assert_eq!(locate(u32::MAX - 1).0, 26);
        let mut expected = (0, 0);
        for index in 0..100_000u32 {
            assert_eq!(locate(index), expected, "index {index}");
            expected.1 += 1;
            if expected.1 == FIRST << expected.0 {
                expected = (expected.0 + 1, 0);
            }
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
    fn growth_never_moves_an_entry() {
        let mut store = Store::with_capacity(0);
        let first = store.insert(entry(0));
        let address = store.get(first).map(|e| e as *const Entry<u32>);
        for value in 1..10_000 {
            assert_eq!(store.insert(entry(value)), value);
        }
        assert_eq!(store.get(first).map(|e| e as *const Entry<u32>), address);
        assert_eq!(store.len(), 10_000);
        assert!(store.capacity() >= 10_000 && store.capacity() < 20_000);
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
        // Index 70 is in chunk 1: chunks 0 and 1 stay, and chunk 1 ends at 70.
        assert_eq!(store.capacity(), 64 + 128);
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
