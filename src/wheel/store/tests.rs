//! The store's rules: where entries go, when chunks are picked, grown,
//! spent, emptied and reused, and that no key is ever handed out twice.

use std::collections::HashSet;
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

fn insert(store: &mut Store<u32>, value: u32) -> Key {
    store.insert(|generation| entry(generation, value))
}

#[test]
fn an_index_is_chunk_number_and_position() {
    assert_eq!(split(join(3, 7)), (3, 7));
    let last = join(CHUNK_NUMBERS as u32 - 1, CHUNK_LEN as u32 - 1);
    assert!(last < NIL);
    assert_eq!(
        split(NIL).0,
        CHUNK_NUMBERS,
        "NIL's chunk number is never used"
    );
}

#[test]
fn chunks_fill_in_order_and_entries_never_move() {
    let mut store = Store::with_capacity(0);
    let keys: Vec<Key> = (0..=CHUNK_LEN as u32)
        .map(|v| insert(&mut store, v))
        .collect();
    assert_eq!(split(keys[CHUNK_LEN - 1].index), (0, CHUNK_LEN - 1));
    assert_eq!(split(keys[CHUNK_LEN].index), (1, 0));
    let pinned = keys[CHUNK_LEN].index;
    let address = &store[pinned] as *const Entry<u32>;
    for value in 0..2 * CHUNK_LEN as u32 {
        insert(&mut store, value);
    }
    assert_eq!(&store[pinned] as *const Entry<u32>, address);
    assert_eq!(store.chunks.len(), 4);
    assert_eq!(store.len(), 3 * CHUNK_LEN + 1);
    assert_eq!(store.get(keys[5]).map(|e| *e.value), Some(5));
}

#[test]
fn only_a_first_chunk_grows_by_doubling() {
    let mut store = Store::with_capacity(0);
    let mut capacities = vec![0];
    for value in 0..CHUNK_LEN as u32 + 1 {
        insert(&mut store, value);
        if capacities.last() != Some(&store.capacity()) {
            capacities.push(store.capacity());
        }
    }
    let (last, doubling) = capacities.split_last().unwrap();
    assert_eq!(doubling[1], FIRST_CAPACITY);
    assert_eq!(doubling.last(), Some(&CHUNK_LEN));
    assert!(doubling[1..].windows(2).all(|w| w[1] == 2 * w[0]));
    assert_eq!(*last, 2 * CHUNK_LEN, "the second chunk is allocated whole");
}

#[test]
fn a_chunk_that_loses_an_entry_when_full_takes_inserts_again() {
    let mut store = Store::with_capacity(0);
    let keys: Vec<Key> = (0..CHUNK_LEN as u32)
        .map(|v| insert(&mut store, v))
        .collect();
    assert!(store.chunks[0].is_full());
    assert_eq!(store.remove(keys[77]).map(|e| *e.value), Some(77));
    let key = insert(&mut store, 1);
    assert_eq!(split(key.index), (0, 77));
    assert_ne!(key, keys[77]);
    assert_eq!(store.chunks.len(), 1);
}

#[test]
fn a_spent_chunk_takes_no_insert_and_its_number_waits() {
    let mut store = Store::with_capacity(0);
    let early = insert(&mut store, 1);
    store.skip_generations(u32::MAX - 3);
    let last = insert(&mut store, 2);
    assert_eq!((split(last.index).0, last.generation), (0, u32::MAX - 1));
    let spent = insert(&mut store, 3);
    assert_eq!(spent.generation, u32::MAX);
    assert_eq!(store.draining, 1);
    let elsewhere = insert(&mut store, 4);
    assert_eq!(split(elsewhere.index).0, 1, "a spent chunk takes no insert");
    // Its free places do not count: they take no more inserts.
    assert_eq!(store.capacity(), 3 + CHUNK_LEN);
    for key in [early, last, spent] {
        assert!(store.remove(key).is_some());
    }
    assert_eq!((store.draining, store.chunks[0].capacity()), (0, 0));
    assert_eq!(store.spent, [0]);
    assert_eq!(store.capacity(), CHUNK_LEN);
    // Numbers never used come first: chunk 0 is not used again.
    store.skip_generations(u32::MAX);
    assert_eq!(split(insert(&mut store, 5).index).0, 2);
    assert!(store.remove(elsewhere).is_some());
    assert_eq!(store.spent, [0, 1]);
}

#[test]
fn counts_survive_shrink_to_fit_and_drain() {
    let mut store = Store::with_capacity(0);
    let first = insert(&mut store, 1);
    store.remove(first);
    store.shrink_to_fit();
    assert_eq!(store.capacity(), 0);
    let second = insert(&mut store, 2);
    assert_eq!((second.index, second.generation), (first.index, 2));
    assert_eq!(store.drain().collect::<Vec<_>>(), [2]);
    assert_eq!((store.capacity(), store.len()), (0, 0));
    let third = insert(&mut store, 3);
    assert_eq!((third.index, third.generation), (first.index, 3));
    assert!(store.get(first).is_none() && store.get(second).is_none());
}

#[test]
fn shrinking_picks_chunks_with_memory_first() {
    let mut store = Store::with_capacity(0);
    let keys: Vec<Key> = (0..3 * CHUNK_LEN as u32)
        .map(|v| insert(&mut store, v))
        .collect();
    // Chunk 0 empties, chunk 1 keeps one entry, chunk 2 is full.
    for key in &keys[..2 * CHUNK_LEN - 1] {
        store.remove(*key);
    }
    store.shrink_to_fit();
    assert_eq!(store.capacity(), 2 * CHUNK_LEN);
    assert_eq!(store.with_room, [0, 1]);
    assert_eq!(split(insert(&mut store, 0).index).0, 1);
    assert_eq!(
        store.capacity(),
        2 * CHUNK_LEN,
        "a free place below is reused"
    );
}

#[test]
fn spent_numbers_come_back_longest_spent_first_once_all_were_used() {
    let mut store = Store::with_capacity(0);
    // A spent chunk that still holds an entry keeps its number meanwhile.
    let pinned = insert(&mut store, 0);
    store.skip_generations(u32::MAX);
    for number in 1..CHUNK_NUMBERS {
        store.skip_generations(u32::MAX);
        assert_eq!(store.spent.back(), Some(&(number as u32)));
    }
    assert_eq!(store.chunks.len(), CHUNK_NUMBERS);
    let reused = insert(&mut store, 1);
    assert_eq!((split(reused.index).0, reused.generation), (1, 1));
    store.skip_generations(u32::MAX);
    assert_eq!(split(insert(&mut store, 2).index).0, 2);
    assert!(store.remove(pinned).is_some());
    assert_eq!(store.spent.back(), Some(&0));
}

#[test]
#[should_panic(expected = "a Wheel is full")]
fn a_store_whose_chunks_all_hold_entries_and_are_spent_is_full() {
    // Built by hand: through inserts, each chunk would get its full size.
    let mut store = Store::with_capacity(0);
    for value in 0..CHUNK_NUMBERS as u32 {
        let mut chunk = Chunk::new();
        chunk.reserve(1);
        chunk.insert(|generation| entry(generation, value));
        chunk.skip_generations(u32::MAX);
        store.chunks.push(chunk);
        store.draining += 1;
    }
    insert(&mut store, 0);
}

#[test]
fn keys_never_repeat_across_a_spent_chunk() {
    // Churn one place across the end of its chunk's count: every key is new.
    let mut store = Store::with_capacity(0);
    let stale = insert(&mut store, 0);
    store.remove(stale);
    store.skip_generations(u32::MAX - 1000);
    let mut seen = HashSet::from([stale]);
    for value in 0..3000 {
        let key = insert(&mut store, value);
        assert!(seen.insert(key), "{key:?} handed out twice");
        assert!(store.get(stale).is_none());
        assert_eq!(store.remove(key).map(|e| *e.value), Some(value));
    }
    assert_eq!(store.spent, [0]);
}

/// What must hold between any two operations.
fn assert_consistent(store: &Store<u32>) {
    let chunks = &store.chunks;
    let listed: Vec<usize> = store.with_room.iter().map(|&n| n as usize).collect();
    let mut unique = listed.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), listed.len(), "a chunk listed twice");
    for (number, chunk) in chunks.iter().enumerate() {
        assert_eq!(chunk.listed, listed.contains(&number), "chunk {number}");
        let open = !chunk.is_full() && !chunk.is_spent();
        let current = number == store.current as usize;
        assert!(!open || current || chunk.listed, "chunk {number} lost");
        assert!(
            !(current && chunk.is_spent()),
            "spent chunk {number} is current"
        );
        let buried = store.spent.contains(&(number as u32));
        assert_eq!(
            buried,
            chunk.is_spent() && chunk.len() == 0,
            "chunk {number}"
        );
        assert!(
            !buried || chunk.capacity() == 0,
            "buried chunk {number} kept memory"
        );
    }
    let sum = |f: fn(&Chunk<u32>) -> usize| chunks.iter().map(f).sum::<usize>();
    assert_eq!(store.len(), sum(Chunk::len));
    assert_eq!(store.allocated, sum(Chunk::capacity));
    let draining = chunks.iter().filter(|c| c.is_spent() && c.len() > 0);
    assert_eq!(store.draining, draining.count());
}

#[test]
fn random_operations_keep_the_books_and_never_repeat_a_key() {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move |bound: u64| crate::test_rng::xorshift(&mut state) % bound;
    let mut store = Store::with_capacity(100);
    let mut live: Vec<(Key, u32)> = Vec::new();
    let mut stale: Vec<Key> = Vec::new();
    let mut seen = HashSet::new();
    for step in 0..60_000u32 {
        match next(100) {
            0..=54 => {
                let key = insert(&mut store, step);
                assert!(seen.insert(key), "{key:?} handed out twice");
                live.push((key, step));
            }
            55..=94 if !live.is_empty() => {
                let (key, value) = live.swap_remove(next(live.len() as u64) as usize);
                assert_eq!(store.remove(key).map(|e| *e.value), Some(value));
                stale.push(key);
            }
            95 => store.skip_generations(u32::MAX - next(4) as u32),
            96 => store.skip_generations(next(1 << 20) as u32),
            97 if next(2) == 0 => store.shrink_to_fit(),
            97 => {
                // Only empty chunks give memory up: every live entry stays.
                let before = store.allocated;
                let unused = store.take_unused();
                assert_eq!(store.allocated + unused.capacity(), before);
                assert!(unused.0.iter().all(|slab| slab.is_empty()));
            }
            98 if next(10) == 0 => {
                let mut values: Vec<u32> = store.drain().collect();
                values.sort_unstable();
                let mut expected: Vec<u32> = live.drain(..).map(|(_, v)| v).collect();
                expected.sort_unstable();
                assert_eq!(values, expected);
                stale.extend(seen.iter().copied());
            }
            _ => {
                if let Some(&key) = stale.get(next(stale.len() as u64 + 1) as usize) {
                    assert!(store.get(key).is_none() && store.remove(key).is_none());
                }
            }
        }
        if step % 97 == 0 {
            assert_consistent(&store);
        }
    }
    assert_consistent(&store);
    for (key, value) in live {
        assert_eq!(store.get(key).map(|e| *e.value), Some(value));
    }
}
