//! The slab the wheel's entries live in: `u32` indices, a LIFO free list,
//! and storage in fixed-size chunks so that growing never copies.
//!
//! Why not the `slab` crate: it keeps one `Vec`, so growing past its
//! capacity copies every entry (a multi-millisecond memcpy under the shard
//! lock at each doubling, once the allocator serves such sizes from its
//! heap), and its insert is not inlined into ours (~20 instructions per
//! schedule). Chunks of equal size keep finding a place to a shift and a
//! mask; chunks that double in size (tried first) cost a leading-zeros count
//! and more per access, which made cancel 40% slower.

use std::num::NonZeroU32;

use super::entry::{Entry, Key};
use super::list::Links;

/// Places per chunk: 512 KiB of 32-byte entries. Only the first chunk ever
/// reallocates (while it grows to this size, so a small wheel stays small);
/// the others are allocated whole, and pages never written cost no memory.
const CHUNK_BITS: u32 = 14;
const CHUNK: usize = 1 << CHUNK_BITS;

/// "No free place" in the free list.
const NO_FREE: u32 = u32::MAX;

/// A place: an entry, or a link in the free list. The entry's `NonZero`
/// generation gives the enum a niche, so a place is no bigger than an entry.
#[derive(Debug)]
enum Place<T> {
    Vacant { next_free: u32 },
    Occupied(Entry<T>),
}

#[derive(Debug)]
pub(crate) struct Store<T> {
    /// Every chunk but the last holds exactly `CHUNK` places.
    chunks: Vec<Vec<Place<T>>>,
    /// Places ever handed out, occupied or vacant: the next fresh index.
    initialized: usize,
    /// Occupied places.
    len: usize,
    /// The most recently freed place (reused first: it is likely in cache).
    free: u32,
    /// The generation given to the most recent insert. One counter for the
    /// whole store, not one per place, so a place that is freed and
    /// reallocated by `shrink_to_fit` can never hand out an old generation.
    last_generation: u32,
}

/// The chunk and the position in it of place `index`.
#[inline]
fn locate(index: u32) -> (usize, usize) {
    let index = index as usize;
    (index >> CHUNK_BITS, index & (CHUNK - 1))
}

impl<T> Store<T> {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        let mut chunks = Vec::new();
        let mut left = capacity;
        while left > 0 {
            chunks.push(Vec::with_capacity(left.min(CHUNK)));
            left = left.saturating_sub(CHUNK);
        }
        Store {
            chunks,
            initialized: 0,
            len: 0,
            free: NO_FREE,
            last_generation: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Places allocated, occupied or not.
    pub(crate) fn capacity(&self) -> usize {
        self.chunks.iter().map(Vec::capacity).sum()
    }

    /// The index the next [`insert`](Store::insert) will use.
    #[inline]
    pub(crate) fn vacant_key(&self) -> u32 {
        if self.free != NO_FREE {
            self.free
        } else {
            // `insert` refuses to hand out u32::MAX, so this cannot wrap
            // into a valid-looking index.
            u32::try_from(self.initialized).unwrap_or(u32::MAX)
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
            let place = self.place_mut(index);
            let Place::Vacant { next_free } = *place else {
                unreachable!("the free list names an occupied place");
            };
            *place = Place::Occupied(entry);
            self.free = next_free;
        } else {
            assert!(
                index < u32::MAX,
                "a Wheel holds at most u32::MAX - 1 entries"
            );
            let (chunk, _) = locate(index);
            if chunk == self.chunks.len() {
                let capacity = if chunk == 0 { 0 } else { CHUNK };
                self.chunks.push(Vec::with_capacity(capacity));
            }
            self.chunks[chunk].push(Place::Occupied(entry));
            self.initialized += 1;
        }
        self.len += 1;
        index
    }

    /// Stores the entry `make` builds from its generation; returns its key.
    #[inline]
    pub(crate) fn insert_with(&mut self, make: impl FnOnce(NonZeroU32) -> Entry<T>) -> Key {
        self.last_generation = self.last_generation.wrapping_add(1);
        let generation = NonZeroU32::new(self.last_generation).unwrap_or_else(|| {
            self.last_generation = 1;
            NonZeroU32::MIN
        });
        let index = self.insert(make(generation));
        Key {
            index,
            generation: generation.get(),
        }
    }

    /// Takes out the live entry at `index` and returns its key with it.
    #[inline]
    pub(crate) fn take(&mut self, index: u32) -> (Key, Entry<T>) {
        let entry = self.remove(index);
        let key = Key {
            index,
            generation: entry.generation.get(),
        };
        (key, entry)
    }

    /// The entry `key` names, if it is live.
    #[inline]
    pub(crate) fn get_live(&self, key: Key) -> Option<&Entry<T>> {
        self.get(key.index)
            .filter(|entry| entry.generation.get() == key.generation)
    }

    #[inline]
    pub(crate) fn get_live_mut(&mut self, key: Key) -> Option<&mut Entry<T>> {
        let (chunk, position) = locate(key.index);
        match self.chunks.get_mut(chunk)?.get_mut(position)? {
            Place::Occupied(entry) if entry.generation.get() == key.generation => Some(entry),
            _ => None,
        }
    }

    /// Takes the entry at `index` out.
    ///
    /// # Panics
    ///
    /// If the place is vacant: the wheel only removes entries it knows live.
    #[inline]
    pub(crate) fn remove(&mut self, index: u32) -> Entry<T> {
        let free = self.free;
        let place = self.place_mut(index);
        match std::mem::replace(place, Place::Vacant { next_free: free }) {
            Place::Occupied(entry) => {
                self.free = index;
                self.len -= 1;
                entry
            }
            vacant => {
                *place = vacant;
                panic!("removing a vacant place");
            }
        }
    }

    /// Takes out the entry at `index` if it is there and has `generation`.
    #[inline]
    pub(crate) fn remove_live(&mut self, index: u32, generation: u32) -> Option<Entry<T>> {
        let (chunk, position) = locate(index);
        let place = self.chunks.get_mut(chunk)?.get_mut(position)?;
        match place {
            Place::Occupied(entry) if entry.generation.get() == generation => {}
            _ => return None,
        }
        let vacant = Place::Vacant {
            next_free: self.free,
        };
        let Place::Occupied(entry) = std::mem::replace(place, vacant) else {
            unreachable!("checked just above");
        };
        self.free = index;
        self.len -= 1;
        Some(entry)
    }

    /// The entry at `index`, if that place exists and is occupied.
    #[inline]
    pub(crate) fn get(&self, index: u32) -> Option<&Entry<T>> {
        let (chunk, position) = locate(index);
        match self.chunks.get(chunk)?.get(position)? {
            Place::Occupied(entry) => Some(entry),
            Place::Vacant { .. } => None,
        }
    }

    #[inline]
    fn place_mut(&mut self, index: u32) -> &mut Place<T> {
        let (chunk, position) = locate(index);
        &mut self.chunks[chunk][position]
    }

    /// Empties the store, handing out every entry; keeps no memory.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = Entry<T>> {
        self.initialized = 0;
        self.len = 0;
        self.free = NO_FREE;
        std::mem::take(&mut self.chunks)
            .into_iter()
            .flatten()
            .filter_map(|place| match place {
                Place::Occupied(entry) => Some(entry),
                Place::Vacant { .. } => None,
            })
    }

    /// Drops the vacant places past the highest occupied one and gives the
    /// spare capacity back, without moving any entry. The free list is
    /// rebuilt from what remains, lowest index first.
    pub(crate) fn shrink_to_fit(&mut self) {
        let keep = (0..self.initialized as u32)
            .rev()
            .find(|&index| self.get(index).is_some())
            .map_or(0, |highest| highest as usize + 1);
        self.initialized = keep;
        self.chunks.truncate(keep.div_ceil(CHUNK));
        if let Some(last) = self.chunks.last_mut() {
            // Places in the last chunk: what is left after the full ones.
            last.truncate(keep - (keep - 1) / CHUNK * CHUNK);
            last.shrink_to_fit();
        }
        self.chunks.shrink_to_fit();
        self.free = NO_FREE;
        for index in (0..keep as u32).rev() {
            let free = self.free;
            if let Place::Vacant { next_free } = self.place_mut(index) {
                *next_free = free;
                self.free = index;
            }
        }
    }
}

impl<T> Links for Store<T> {
    #[inline]
    fn set_prev(&mut self, index: u32, prev: u32) {
        self[index].prev = prev;
    }

    #[inline]
    fn set_next(&mut self, index: u32, next: u32) {
        self[index].next = next;
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
        match self.place_mut(index) {
            Place::Occupied(entry) => entry,
            Place::Vacant { .. } => panic!("no entry at {index}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_place_is_no_bigger_than_its_entry() {
        assert_eq!(
            std::mem::size_of::<Place<[u32; 3]>>(),
            std::mem::size_of::<Entry<[u32; 3]>>()
        );
    }

    #[test]
    fn chunks_fill_up_in_order_and_never_move() {
        let mut store = Store::with_capacity(0);
        for value in 0..=CHUNK as u32 {
            assert_eq!(store.insert(entry(value)), value);
        }
        // The first entry of the second chunk: it must never move again.
        let pinned = CHUNK as u32;
        let address = store.get(pinned).map(|e| e as *const Entry<u32>);
        for value in CHUNK as u32 + 1..3 * CHUNK as u32 + 5 {
            assert_eq!(store.insert(entry(value)), value);
        }
        assert_eq!(store.get(pinned).map(|e| e as *const Entry<u32>), address);
        assert_eq!(store.chunks.len(), 4);
        assert!(store.chunks[..3].iter().all(|chunk| chunk.len() == CHUNK));
        assert_eq!(locate(CHUNK as u32 * 2 + 7), (2, 7));
        assert_eq!(store[CHUNK as u32 * 2 + 7].value, CHUNK as u32 * 2 + 7);
        store.shrink_to_fit();
        assert_eq!((store.chunks.len(), store.chunks[3].len()), (4, 5));
        for index in (CHUNK as u32..3 * CHUNK as u32 + 5).rev() {
            store.remove(index);
        }
        store.shrink_to_fit();
        assert_eq!((store.chunks.len(), store.chunks[0].len()), (1, CHUNK));
        assert_eq!(store.vacant_key(), CHUNK as u32);
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
        // places past the highest live one.
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
