//! One chunk of the store: a [`Slab`] of at most [`CHUNK_LEN`] entries, and
//! the count of inserts into it that gives each entry its generation.

use std::num::NonZeroU32;

use slab::Slab;

use super::entry::Entry;

/// Bits of an entry index that give its position in its chunk; the bits
/// above give the chunk's number.
pub(crate) const CHUNK_BITS: u32 = 14;
/// Entries per chunk. Its slab never grows past this, so growing the store
/// adds a chunk and never copies more than one chunk's entries.
pub(crate) const CHUNK_LEN: usize = 1 << CHUNK_BITS;

#[derive(Debug)]
pub(crate) struct Chunk<T> {
    slab: Slab<Entry<T>>,
    /// The generation of the latest insert. `u32::MAX` means the chunk is
    /// *spent*: it takes no more inserts, since the next one would repeat a
    /// generation. Kept when the chunk's memory is given back, so a chunk
    /// that gets memory again goes on counting where it stopped.
    counted: u32,
    /// Whether the store's list of chunks with room holds this one.
    pub(crate) listed: bool,
}

impl<T> Chunk<T> {
    /// A chunk with no memory that has counted nothing.
    pub(crate) fn new() -> Self {
        Chunk {
            slab: Slab::new(),
            counted: 0,
            listed: false,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.slab.len()
    }

    /// Entries its memory holds, occupied or not.
    pub(crate) fn capacity(&self) -> usize {
        self.slab.capacity()
    }

    pub(crate) fn is_full(&self) -> bool {
        debug_assert!(self.slab.len() <= CHUNK_LEN);
        self.slab.len() == CHUNK_LEN
    }

    pub(crate) fn is_spent(&self) -> bool {
        self.counted == u32::MAX
    }

    /// Makes room for `capacity` entries in all (at most [`CHUNK_LEN`]).
    pub(crate) fn reserve(&mut self, capacity: usize) {
        debug_assert!(capacity <= CHUNK_LEN);
        self.slab
            .reserve_exact(capacity.saturating_sub(self.slab.len()));
    }

    /// Whether an insert needs more memory first.
    #[inline]
    pub(crate) fn needs_memory(&self) -> bool {
        self.slab.len() == self.slab.capacity()
    }

    /// Stores the entry `make` builds with the next generation, and returns
    /// its position and that generation. The chunk must be neither full nor
    /// spent, and have memory to spare.
    #[inline]
    pub(crate) fn insert(
        &mut self,
        make: impl FnOnce(NonZeroU32) -> Entry<T>,
    ) -> (u32, NonZeroU32) {
        debug_assert!(!self.is_full() && !self.is_spent() && !self.needs_memory());
        // `counted < u32::MAX`, so this is `counted + 1`, without a branch.
        let generation = NonZeroU32::MIN.saturating_add(self.counted);
        self.counted = generation.get();
        let position = self.slab.insert(make(generation));
        // A slab hands out its lowest free key or the one past its last entry,
        // and this one holds fewer than CHUNK_LEN entries.
        debug_assert!(position < CHUNK_LEN);
        (position as u32, generation)
    }

    /// The entry at `position`, if it is live and has `generation`.
    #[inline]
    pub(crate) fn get(&self, position: usize, generation: u32) -> Option<&Entry<T>> {
        self.slab
            .get(position)
            .filter(|entry| entry.generation.get() == generation)
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, position: usize, generation: u32) -> Option<&mut Entry<T>> {
        self.slab
            .get_mut(position)
            .filter(|entry| entry.generation.get() == generation)
    }

    /// Takes out the entry at `position` if it is live and has `generation`.
    #[inline]
    pub(crate) fn remove(&mut self, position: usize, generation: u32) -> Option<Entry<T>> {
        self.get(position, generation)?;
        Some(self.slab.remove(position))
    }

    /// The live entry at `position`.
    ///
    /// # Panics
    ///
    /// If there is none: the wheel follows only links to live entries.
    #[inline]
    pub(crate) fn entry(&self, position: usize) -> &Entry<T> {
        &self.slab[position]
    }

    #[inline]
    pub(crate) fn entry_mut(&mut self, position: usize) -> &mut Entry<T> {
        &mut self.slab[position]
    }

    /// Takes out the live entry at `position` (panics if there is none).
    #[inline]
    pub(crate) fn take(&mut self, position: usize) -> Entry<T> {
        self.slab.remove(position)
    }

    /// Spends `count` generations without inserting, as `count` inserts
    /// and removals would; saturates at spent.
    pub(crate) fn skip_generations(&mut self, count: u32) {
        self.counted = self.counted.saturating_add(count);
    }

    /// Counts from the start again: only for a spent, empty chunk whose
    /// number is reused (see `Store::open_chunk`).
    pub(crate) fn restart(&mut self) {
        debug_assert!(self.is_spent() && self.slab.capacity() == 0);
        self.counted = 0;
    }

    /// Takes every entry out and gives the memory back; the count stays.
    /// The values are the caller's to drop: hand the slab to [`Drain`].
    pub(crate) fn release(&mut self) -> Slab<Entry<T>> {
        std::mem::take(&mut self.slab)
    }

    /// The memory of a chunk that holds nothing, taken out for the caller
    /// to free (the count stays); `None` if it holds entries or no memory.
    pub(crate) fn take_unused(&mut self) -> Option<Slab<Entry<T>>> {
        (self.slab.is_empty() && self.slab.capacity() > 0).then(|| self.release())
    }

    /// Gives back the memory past the last live entry (all of it when empty).
    pub(crate) fn shrink_to_fit(&mut self) {
        if self.slab.is_empty() {
            self.slab = Slab::new();
        } else {
            self.slab.shrink_to_fit();
        }
    }
}

impl<T> Drop for Chunk<T> {
    /// Drops the values, which the slab does not (see [`Entry::value`]).
    fn drop(&mut self) {
        drop(Drain::new(vec![self.release()]));
    }
}

/// Memory taken out of a store's empty chunks ([`Store::take_unused`]):
/// the slabs hold no value, so dropping this only frees memory, which the
/// taker does where it holds no lock.
///
/// [`Store::take_unused`]: super::store::Store::take_unused
#[derive(Debug)]
pub(crate) struct UnusedMemory<T>(pub(super) Vec<Slab<Entry<T>>>);

impl<T> UnusedMemory<T> {
    /// How many entries the memory had room for.
    pub(crate) fn capacity(&self) -> usize {
        self.0.iter().map(Slab::capacity).sum()
    }
}

/// The values of whole slabs, handed out one by one; those not handed out
/// are dropped with it.
pub(crate) struct Drain<T> {
    slabs: std::vec::IntoIter<Slab<Entry<T>>>,
    slab: slab::IntoIter<Entry<T>>,
}

impl<T> Drain<T> {
    pub(crate) fn new(slabs: Vec<Slab<Entry<T>>>) -> Self {
        Drain {
            slabs: slabs.into_iter(),
            slab: Slab::new().into_iter(),
        }
    }
}

impl<T> Iterator for Drain<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        loop {
            if let Some((_, entry)) = self.slab.next() {
                return Some(entry.into_value());
            }
            self.slab = self.slabs.next()?.into_iter();
        }
    }
}

impl<T> Drop for Drain<T> {
    /// Drops every value not handed out. If one's drop panics, the others
    /// are still dropped (as a `Vec` does), while the panic unwinds.
    fn drop(&mut self) {
        struct Rest<'a, T>(&'a mut Drain<T>);
        impl<T> Drop for Rest<'_, T> {
            fn drop(&mut self) {
                self.0.for_each(drop);
            }
        }
        let rest = Rest(self);
        rest.0.for_each(drop);
    }
}

#[cfg(test)]
mod tests {
    use std::mem::ManuallyDrop;

    use super::*;

    fn entry(generation: NonZeroU32, value: u32) -> Entry<u32> {
        Entry {
            deadline: 0,
            prev: 0,
            next: 0,
            generation,
            value: ManuallyDrop::new(value),
        }
    }

    #[test]
    fn generations_count_inserts_and_outlive_the_memory() {
        let mut chunk = Chunk::new();
        chunk.reserve(2);
        let (first, one) = chunk.insert(|g| entry(g, 10));
        assert_eq!((first, one.get()), (0, 1));
        assert!(chunk.remove(0, 2).is_none(), "wrong generation");
        assert_eq!(chunk.remove(0, 1).map(Entry::into_value), Some(10));
        let (again, two) = chunk.insert(|g| entry(g, 20));
        assert_eq!((again, two.get()), (0, 2), "same place, next generation");
        assert!(chunk.get(0, 1).is_none() && chunk.get(0, 2).is_some());
        assert_eq!(chunk.release().len(), 1);
        assert_eq!(chunk.capacity(), 0);
        chunk.reserve(1);
        assert_eq!(chunk.insert(|g| entry(g, 30)).1.get(), 3);
    }

    #[test]
    fn spent_at_the_last_generation() {
        let mut chunk = Chunk::new();
        chunk.reserve(2);
        chunk.skip_generations(u32::MAX - 2);
        assert!(!chunk.is_spent());
        assert_eq!(chunk.insert(|g| entry(g, 0)).1.get(), u32::MAX - 1);
        assert_eq!(chunk.insert(|g| entry(g, 0)).1.get(), u32::MAX);
        assert!(chunk.is_spent());
        chunk.skip_generations(u32::MAX);
        assert!(chunk.is_spent());
    }
}
