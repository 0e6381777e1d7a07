//! The structures measured side by side: `Wheel<T>` itself (on millisecond
//! deadlines, and on microsecond deadlines in slots of 1,024 µs), a
//! `BinaryHeap` with lazy deletion, and tokio-util's `DelayQueue`, behind
//! one trait.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use schedgroup::{Key, Wheel};
use tokio_util::time::{delay_queue, DelayQueue};

use crate::Value;

/// The operations every peer offers; deadlines are `ahead` units after the
/// peer's current time.
pub trait Peer {
    /// Deadline units per millisecond.
    const UNITS_PER_MS: u64 = 1;
    type Handle: Copy;
    fn name() -> &'static str;
    fn insert(&mut self, ahead: u64, value: Value) -> Self::Handle;
    fn remove(&mut self, handle: Self::Handle) -> Option<Value>;
    /// Returns the handle that names the entry from now on.
    fn reset(&mut self, handle: Self::Handle, ahead: u64) -> Self::Handle;
}

/// A peer that can say when an entry is due, in units after its time.
pub trait Chained: Peer {
    fn deadline(&self, handle: Self::Handle) -> u64;
}

/// A peer whose clock the benchmark moves by hand.
pub trait SimulatedClock: Peer {
    /// Moves the clock `delta` ticks on and pushes every value that came due.
    fn expire(&mut self, delta: u64, out: &mut Vec<Value>);
}

impl Peer for Wheel<Value> {
    type Handle = Key;

    fn name() -> &'static str {
        "wheel"
    }

    fn insert(&mut self, ahead: u64, value: Value) -> Key {
        Wheel::insert(self, self.now() + ahead, value)
    }

    fn remove(&mut self, key: Key) -> Option<Value> {
        Wheel::remove(self, key)
    }

    fn reset(&mut self, key: Key, ahead: u64) -> Key {
        let reset = Wheel::reset(self, key, self.now() + ahead);
        debug_assert!(reset);
        key
    }
}

impl Chained for Wheel<Value> {
    fn deadline(&self, key: Key) -> u64 {
        Wheel::deadline(self, key).map_or(0, |deadline| deadline - self.now())
    }
}

/// A wheel on microsecond deadlines whose lowest slots span 1,024 µs: the
/// shape of a scheduler's wheel with exact deadlines.
pub struct WheelUs(Wheel<Value>);

impl WheelUs {
    pub fn new() -> Self {
        WheelUs(Wheel::with_slot_bits(10))
    }
}

impl Peer for WheelUs {
    const UNITS_PER_MS: u64 = 1_000;
    type Handle = Key;

    fn name() -> &'static str {
        "wheel_us"
    }

    fn insert(&mut self, ahead: u64, value: Value) -> Key {
        Peer::insert(&mut self.0, ahead, value)
    }

    fn remove(&mut self, key: Key) -> Option<Value> {
        self.0.remove(key)
    }

    fn reset(&mut self, key: Key, ahead: u64) -> Key {
        Peer::reset(&mut self.0, key, ahead)
    }
}

impl Chained for WheelUs {
    fn deadline(&self, key: Key) -> u64 {
        Chained::deadline(&self.0, key)
    }
}

impl SimulatedClock for Wheel<Value> {
    fn expire(&mut self, delta: u64, out: &mut Vec<Value>) {
        self.advance(self.now() + delta, |_, value| out.push(value));
    }
}

/// The heap peer described in the module docs.
#[derive(Default)]
pub struct HeapTimers {
    heap: BinaryHeap<Reverse<(u64, u32, u32)>>,
    /// A slot is live iff its generation is odd.
    slots: Vec<HeapSlot>,
    free: Vec<u32>,
    tombstones: usize,
    now: u64,
}

struct HeapSlot {
    generation: u32,
    value: Value,
}

#[derive(Clone, Copy)]
pub struct HeapHandle {
    slot: u32,
    generation: u32,
}

impl HeapTimers {
    fn is_live(&self, slot: u32, generation: u32) -> bool {
        self.slots[slot as usize].generation == generation
    }

    /// Rebuilds the heap without tombstones once they outnumber live keys.
    fn bury_tombstones(&mut self) {
        if self.tombstones * 2 <= self.heap.len() {
            return;
        }
        let mut keys = std::mem::take(&mut self.heap).into_vec();
        keys.retain(|&Reverse((_, slot, generation))| self.is_live(slot, generation));
        self.heap = BinaryHeap::from(keys);
        self.tombstones = 0;
    }
}

impl Peer for HeapTimers {
    type Handle = HeapHandle;

    fn name() -> &'static str {
        "binary_heap"
    }

    fn insert(&mut self, ahead: u64, value: Value) -> HeapHandle {
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(HeapSlot {
                    generation: 0,
                    value,
                });
                (self.slots.len() - 1) as u32
            }
        };
        let entry = &mut self.slots[slot as usize];
        entry.generation = entry.generation.wrapping_add(1);
        entry.value = value;
        let generation = entry.generation;
        self.heap
            .push(Reverse((self.now + ahead, slot, generation)));
        HeapHandle { slot, generation }
    }

    fn remove(&mut self, handle: HeapHandle) -> Option<Value> {
        if !self.is_live(handle.slot, handle.generation) {
            return None;
        }
        let entry = &mut self.slots[handle.slot as usize];
        entry.generation = entry.generation.wrapping_add(1);
        let value = entry.value;
        self.free.push(handle.slot);
        self.tombstones += 1;
        self.bury_tombstones();
        Some(value)
    }

    fn reset(&mut self, handle: HeapHandle, ahead: u64) -> HeapHandle {
        debug_assert!(self.is_live(handle.slot, handle.generation));
        let entry = &mut self.slots[handle.slot as usize];
        // Odd stays odd: still live, but the old heap key is now a tombstone.
        entry.generation = entry.generation.wrapping_add(2);
        let generation = entry.generation;
        self.heap
            .push(Reverse((self.now + ahead, handle.slot, generation)));
        self.tombstones += 1;
        self.bury_tombstones();
        HeapHandle {
            slot: handle.slot,
            generation,
        }
    }
}

impl SimulatedClock for HeapTimers {
    fn expire(&mut self, delta: u64, out: &mut Vec<Value>) {
        self.now += delta;
        while let Some(&Reverse((deadline, slot, generation))) = self.heap.peek() {
            if deadline > self.now {
                break;
            }
            self.heap.pop();
            if self.is_live(slot, generation) {
                let entry = &mut self.slots[slot as usize];
                entry.generation = entry.generation.wrapping_add(1);
                out.push(entry.value);
                self.free.push(slot);
            } else {
                self.tombstones -= 1;
            }
        }
    }
}

/// tokio-util's `DelayQueue`, never polled in these groups, so its clock
/// stays at `base` and deadlines are `base + ahead` ms.
pub struct DelayQueuePeer {
    queue: DelayQueue<Value>,
    base: tokio::time::Instant,
}

impl DelayQueuePeer {
    /// Needs a tokio runtime context (entered in `main`).
    pub fn new() -> Self {
        let queue = DelayQueue::new();
        DelayQueuePeer {
            queue,
            base: tokio::time::Instant::now(),
        }
    }
}

impl Peer for DelayQueuePeer {
    type Handle = delay_queue::Key;

    fn name() -> &'static str {
        "delay_queue"
    }

    fn insert(&mut self, ahead: u64, value: Value) -> delay_queue::Key {
        self.queue
            .insert_at(value, self.base + Duration::from_millis(ahead))
    }

    fn remove(&mut self, key: delay_queue::Key) -> Option<Value> {
        Some(self.queue.remove(&key).into_inner())
    }

    fn reset(&mut self, key: delay_queue::Key, ahead: u64) -> delay_queue::Key {
        self.queue
            .reset_at(&key, self.base + Duration::from_millis(ahead));
        key
    }
}

impl Chained for DelayQueuePeer {
    fn deadline(&self, key: delay_queue::Key) -> u64 {
        (self.queue.deadline(&key) - self.base).as_millis() as u64
    }
}
