//! The store the wheel's entries live in: [`Chunk`]s of a `slab::Slab`
//! each, found by number; which chunk takes the next insert; and which chunk
//! numbers may be given out, which is what keeps a stale [`Key`] stale.
//!
//! An entry's index is its chunk's number times [`CHUNK_LEN`] plus its
//! position in the chunk, so a lookup is a shift, a mask and two bounds
//! checks, and growing adds a chunk without moving any entry. Each chunk
//! counts its inserts to stamp generations; a chunk whose count is spent
//! takes no more inserts and, once empty, gives its memory back and its
//! number up; numbers never used come before spent ones, and spent ones are
//! reused longest-spent first. `docs/design/wheel.md` tells why, and what
//! that guarantees.

use std::collections::VecDeque;
use std::num::NonZeroU32;

use super::chunk::{Chunk, Drain, UnusedMemory, CHUNK_BITS, CHUNK_LEN};
use super::entry::{Entry, Key};
use super::list::{Links, FIRST_SENTINEL, NIL};

/// How many chunk numbers there are: every 18-bit number but the highest,
/// whose last position would be [`NIL`].
const CHUNK_NUMBERS: usize = (NIL >> CHUNK_BITS) as usize;
// Every index is below the links that end lists.
const _: () = assert!(CHUNK_NUMBERS << CHUNK_BITS <= FIRST_SENTINEL as usize);
/// `current` when no chunk is chosen for the next insert.
const NO_CHUNK: u32 = u32::MAX;
/// The capacity a chunk starts growing from when the store has no memory.
const FIRST_CAPACITY: usize = 4;

/// The chunk number and the position in it of entry `index`.
#[inline]
fn split(index: u32) -> (usize, usize) {
    (
        (index >> CHUNK_BITS) as usize,
        index as usize & (CHUNK_LEN - 1),
    )
}

#[inline]
fn join(number: u32, position: u32) -> u32 {
    debug_assert!((number as usize) < CHUNK_NUMBERS && (position as usize) < CHUNK_LEN);
    number << CHUNK_BITS | position
}

#[derive(Debug)]
pub(crate) struct Store<T> {
    /// Every chunk number given out so far, by number: chunks holding
    /// entries, chunks without memory that keep their count, and spent empty
    /// ones waiting in `spent`.
    chunks: Vec<Chunk<T>>,
    /// The chunk inserts go into: the one an entry last left, or the one
    /// last picked; or [`NO_CHUNK`]. Never spent; when it is full, the next
    /// insert picks another.
    current: u32,
    /// Chunks with room, the next to pick last: every chunk that is neither
    /// full nor spent is `current` or here, once (its `listed` says so);
    /// some here may have filled up or been spent since, and are skipped.
    with_room: Vec<u32>,
    /// Spent chunks that hold nothing, spent longest ago first.
    spent: VecDeque<u32>,
    len: usize,
    /// The chunks' capacities, added up.
    allocated: usize,
    /// Spent chunks that still hold entries.
    draining: usize,
}

impl<T> Store<T> {
    /// A store with memory for `capacity` entries in all: full-size chunks
    /// and a last smaller one.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        let mut store = Store {
            chunks: Vec::new(),
            current: NO_CHUNK,
            with_room: Vec::new(),
            spent: VecDeque::new(),
            len: 0,
            allocated: 0,
            draining: 0,
        };
        let mut left = capacity;
        while left > 0 && store.chunks.len() < CHUNK_NUMBERS {
            let mut chunk = Chunk::new();
            chunk.reserve(left.min(CHUNK_LEN));
            left = left.saturating_sub(CHUNK_LEN);
            store.allocated += chunk.capacity();
            store.chunks.push(chunk);
        }
        store.rebuild_with_room();
        store
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// How many entries fit before the store allocates: all the memory,
    /// less the places in spent chunks, which take no more inserts.
    pub(crate) fn capacity(&self) -> usize {
        if self.draining == 0 {
            return self.allocated;
        }
        let usable = |chunk: &Chunk<T>| match chunk.is_spent() {
            true => chunk.len(),
            false => chunk.capacity(),
        };
        self.chunks.iter().map(usable).sum()
    }

    /// Stores the entry `make` builds from its generation; returns its key.
    ///
    /// # Panics
    ///
    /// If every chunk number is taken by a chunk that holds entries and has
    /// no room (see [`Wheel::insert`](super::Wheel::insert)).
    #[inline]
    pub(crate) fn insert(&mut self, make: impl FnOnce(NonZeroU32) -> Entry<T>) -> Key {
        // A full chunk has no memory to spare either, so one check covers
        // "no current chunk", "full" and "must grow".
        let current = self.chunks.get(self.current as usize);
        if current.map_or(true, Chunk::needs_memory) {
            self.make_room();
        }
        let number = self.current;
        let (position, generation) = self.chunks[number as usize].insert(make);
        if generation.get() == u32::MAX {
            self.retire_current();
        }
        self.len += 1;
        Key {
            index: join(number, position),
            generation: generation.get(),
        }
    }

    /// Takes out the entry `key` names, if it is live.
    #[inline]
    pub(crate) fn remove(&mut self, key: Key) -> Option<Entry<T>> {
        let (number, position) = split(key.index);
        let chunk = self.chunks.get_mut(number)?;
        let entry = chunk.remove(position, key.generation)?;
        let left = chunk.len();
        self.removed_from(number, left);
        Some(entry)
    }

    /// Takes out the live entry at `index` and returns its key with it.
    ///
    /// # Panics
    ///
    /// If there is none: the wheel only takes entries it has linked.
    #[inline]
    pub(crate) fn take(&mut self, index: u32) -> (Key, Entry<T>) {
        let (number, position) = split(index);
        let chunk = &mut self.chunks[number];
        let entry = chunk.take(position);
        let left = chunk.len();
        self.removed_from(number, left);
        let key = Key {
            index,
            generation: entry.generation.get(),
        };
        (key, entry)
    }

    /// The entry `key` names, if it is live.
    #[inline]
    pub(crate) fn get(&self, key: Key) -> Option<&Entry<T>> {
        let (number, position) = split(key.index);
        self.chunks.get(number)?.get(position, key.generation)
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, key: Key) -> Option<&mut Entry<T>> {
        let (number, position) = split(key.index);
        self.chunks
            .get_mut(number)?
            .get_mut(position, key.generation)
    }

    /// Spends `count` generations of the chunk the next insert goes into, as
    /// `count` inserts and removals there would, without making any key
    /// repeat.
    pub(crate) fn skip_generations(&mut self, count: u32) {
        self.pick_current();
        let chunk = &mut self.chunks[self.current as usize];
        chunk.skip_generations(count);
        if chunk.is_spent() {
            self.retire_current();
        }
    }

    /// Empties the store, handing out every value; keeps no memory, and
    /// every chunk's count.
    pub(crate) fn drain(&mut self) -> Drain<T> {
        let mut taken = Vec::new();
        for (number, chunk) in self.chunks.iter_mut().enumerate() {
            let slab = chunk.release();
            if chunk.is_spent() && !slab.is_empty() {
                self.spent.push_back(number as u32);
            }
            taken.push(slab);
        }
        self.len = 0;
        self.allocated = 0;
        self.draining = 0;
        self.rebuild_with_room();
        Drain::new(taken)
    }

    /// Gives back the memory of empty chunks, and each other chunk's past
    /// its last live entry; moves no entry and forgets no count.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.chunks.iter_mut().for_each(Chunk::shrink_to_fit);
        self.allocated = self.chunks.iter().map(Chunk::capacity).sum();
        self.rebuild_with_room();
    }

    /// Takes out the memory of every chunk that holds no entry, for the
    /// caller to free; forgets no count.
    pub(crate) fn take_unused(&mut self) -> UnusedMemory<T> {
        let unused = UnusedMemory(
            self.chunks
                .iter_mut()
                .filter_map(Chunk::take_unused)
                .collect(),
        );
        self.allocated -= unused.capacity();
        debug_assert_eq!(
            self.allocated,
            self.chunks.iter().map(Chunk::capacity).sum::<usize>()
        );
        self.rebuild_with_room();
        unused
    }

    /// Makes sure `current` names a chunk with room and memory for an insert.
    #[cold]
    fn make_room(&mut self) {
        self.pick_current();
        let number = self.current as usize;
        if self.chunks[number].needs_memory() {
            self.grow(number);
        }
    }

    /// Makes sure `current` names a chunk with room: it, if it has room;
    /// else one from `with_room`, else a number never used, else the one
    /// spent longest ago (its count starts over).
    fn pick_current(&mut self) {
        let current = self.chunks.get(self.current as usize);
        if current.is_some_and(|chunk| !chunk.is_full()) {
            return;
        }
        while let Some(number) = self.with_room.pop() {
            let chunk = &mut self.chunks[number as usize];
            chunk.listed = false;
            if !chunk.is_full() && !chunk.is_spent() {
                self.current = number;
                return;
            }
        }
        let number = if self.chunks.len() < CHUNK_NUMBERS {
            self.chunks.push(Chunk::new());
            (self.chunks.len() - 1) as u32
        } else if let Some(number) = self.spent.pop_front() {
            self.chunks[number as usize].restart();
            number
        } else {
            panic!("a Wheel is full: each of its chunks holds entries and none has room");
        };
        debug_assert!(!self.chunks[number as usize].is_full());
        debug_assert!(!self.chunks[number as usize].is_spent());
        self.current = number;
    }

    /// Gives the chunk `number` room for more entries: a chunk of a store that
    /// has no memory starts small and doubles; any other is given its full
    /// size at once (pages never written cost nothing).
    fn grow(&mut self, number: usize) {
        let chunk = &mut self.chunks[number];
        let before = chunk.capacity();
        let wanted = if before == 0 && self.allocated > 0 {
            CHUNK_LEN
        } else {
            (before * 2).clamp(FIRST_CAPACITY, CHUNK_LEN)
        };
        chunk.reserve(wanted);
        debug_assert!(chunk.capacity() > before);
        self.allocated += chunk.capacity() - before;
    }

    /// The current chunk is spent: it takes no more inserts, and its number
    /// waits for reuse once it holds nothing.
    #[cold]
    fn retire_current(&mut self) {
        let number = std::mem::replace(&mut self.current, NO_CHUNK) as usize;
        debug_assert!(self.chunks[number].is_spent());
        if self.chunks[number].len() == 0 {
            self.bury(number);
        } else {
            self.draining += 1;
        }
    }

    /// Bookkeeping after an entry left chunk `number`, which now holds
    /// `left`: inserts go there next, into the place just freed (likely
    /// still in cache), unless it is spent; a spent chunk is buried once
    /// empty.
    #[inline]
    fn removed_from(&mut self, number: usize, left: usize) {
        self.len -= 1;
        if number == self.current as usize {
            return;
        }
        if self.chunks[number].is_spent() {
            if left == 0 {
                self.draining -= 1;
                self.bury(number);
            }
            return;
        }
        let previous = std::mem::replace(&mut self.current, number as u32);
        if let Some(chunk) = self.chunks.get_mut(previous as usize) {
            if !chunk.listed && !chunk.is_full() {
                chunk.listed = true;
                self.with_room.push(previous);
            }
        }
    }

    /// A spent chunk emptied: its memory goes back, its number to the end of
    /// the line of spent numbers.
    #[cold]
    fn bury(&mut self, number: usize) {
        let chunk = &mut self.chunks[number];
        debug_assert!(chunk.is_spent() && chunk.len() == 0);
        self.allocated -= chunk.capacity();
        drop(chunk.release());
        self.spent.push_back(number as u32);
    }

    /// Lists again which chunks have room, so that those with memory are
    /// picked first, lowest number first.
    fn rebuild_with_room(&mut self) {
        self.current = NO_CHUNK;
        self.with_room.clear();
        let open = |chunk: &Chunk<T>| !chunk.is_spent() && !chunk.is_full();
        for pass_memory in [false, true] {
            for number in (0..self.chunks.len()).rev() {
                let chunk = &mut self.chunks[number];
                if pass_memory == (chunk.capacity() > 0) {
                    chunk.listed = open(chunk);
                    if chunk.listed {
                        self.with_room.push(number as u32);
                    }
                }
            }
        }
    }
}

impl<T> std::ops::Index<u32> for Store<T> {
    type Output = Entry<T>;

    /// The live entry at `index` (panics if there is none).
    #[inline]
    fn index(&self, index: u32) -> &Entry<T> {
        let (number, position) = split(index);
        self.chunks[number].entry(position)
    }
}

impl<T> std::ops::IndexMut<u32> for Store<T> {
    #[inline]
    fn index_mut(&mut self, index: u32) -> &mut Entry<T> {
        let (number, position) = split(index);
        self.chunks[number].entry_mut(position)
    }
}

impl<T> Links for Store<T> {
    #[inline]
    fn deadline(&self, index: u32) -> u64 {
        self[index].deadline
    }

    #[inline]
    fn prev(&self, index: u32) -> u32 {
        self[index].prev
    }

    #[inline]
    fn next(&self, index: u32) -> u32 {
        self[index].next
    }

    #[inline]
    fn set_prev(&mut self, index: u32, prev: u32) {
        self[index].prev = prev;
    }

    #[inline]
    fn set_next(&mut self, index: u32, next: u32) {
        self[index].next = next;
    }

    #[inline]
    fn set_links(&mut self, index: u32, prev: u32, next: u32) {
        let entry = &mut self[index];
        (entry.prev, entry.next) = (prev, next);
    }

    #[inline]
    fn set_next_for_deadline(&mut self, index: u32, next: u32) -> u64 {
        let entry = &mut self[index];
        entry.next = next;
        entry.deadline
    }
}

#[cfg(test)]
mod tests;
