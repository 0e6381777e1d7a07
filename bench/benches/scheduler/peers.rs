//! The peers every single-threaded and multi-threaded harness drives:
//! schedgroup through its API, the Go design (`HeapGroup`),
//! scheduled-thread-pool (`ScheduledPool`) and tokio-util's `DelayQueue`,
//! behind the two small traits the fixtures are written against.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use schedgroup::{Group, TaskHandle};
use scheduled_thread_pool::JobHandle;
use tokio_util::time::{delay_queue, DelayQueue};

use crate::{FAR, HEAP_WORKERS, SPREAD_MS};
use schedgroup_bench::go_heap::HeapGroup;
use schedgroup_bench::rng::Rng;
use schedgroup_bench::scheduled_pool::ScheduledPool;

/// The closure every peer schedules: it captures one `Arc`.
pub(crate) fn job(payload: Arc<u64>) -> impl FnOnce() + Send + 'static {
    move || {
        black_box(&payload);
    }
}

pub(crate) type BoxedJob = Box<dyn FnOnce() + Send + 'static>;

/// `FAR` plus a uniform `0..SPREAD_MS` ms.
pub(crate) fn random_delay(rng: &mut Rng) -> Duration {
    FAR + Duration::from_millis(rng.below(SPREAD_MS))
}

/// What every single-threaded harness needs from a peer.
pub(crate) trait Peer {
    type Handle;
    fn build() -> Self;
    fn add(&mut self, delay: Duration, payload: Arc<u64>) -> Self::Handle;
    /// Cancels a pending task (and drops its handle, unless the peer defers
    /// that to `tidy`).
    fn cancel(&mut self, handle: Self::Handle);
    /// Untimed clean-up after each timed batch.
    fn tidy(&mut self) {}
    /// Whether the harness must rebuild the peer (untimed), given `live`
    /// pending tasks: for the heap, once its tombstones reach `live`.
    fn worn_out(&self, _live: usize) -> bool {
        false
    }
}

/// schedgroup through `Group::delay`.
pub(crate) struct SgDelay(Group);

impl Peer for SgDelay {
    type Handle = TaskHandle;

    fn build() -> Self {
        SgDelay(Group::new())
    }

    fn add(&mut self, delay: Duration, payload: Arc<u64>) -> TaskHandle {
        self.0.delay(delay, job(payload))
    }

    fn cancel(&mut self, handle: TaskHandle) {
        black_box(handle.cancel());
    }
}

/// schedgroup through `Group::schedule`, deadlines relative to a fixed
/// instant taken when the group was built (no clock read per call).
pub(crate) struct SgSchedule {
    group: Group,
    base: Instant,
}

impl Peer for SgSchedule {
    type Handle = TaskHandle;

    fn build() -> Self {
        SgSchedule {
            group: Group::new(),
            base: Instant::now(),
        }
    }

    fn add(&mut self, delay: Duration, payload: Arc<u64>) -> TaskHandle {
        self.group.schedule(self.base + delay, job(payload))
    }

    fn cancel(&mut self, handle: TaskHandle) {
        black_box(handle.cancel());
    }
}

/// schedgroup, with canceled handles dropped outside the timed region:
/// `TaskHandle::cancel` alone.
pub(crate) struct SgKeepHandle {
    group: Group,
    graveyard: Vec<TaskHandle>,
}

impl Peer for SgKeepHandle {
    type Handle = TaskHandle;

    fn build() -> Self {
        SgKeepHandle {
            group: Group::new(),
            graveyard: Vec::new(),
        }
    }

    fn add(&mut self, delay: Duration, payload: Arc<u64>) -> TaskHandle {
        self.group.delay(delay, job(payload))
    }

    fn cancel(&mut self, handle: TaskHandle) {
        black_box(handle.cancel());
        self.graveyard.push(handle);
    }

    fn tidy(&mut self) {
        self.graveyard.clear();
    }
}

/// The Go design, through `HeapGroup::delay`.
pub(crate) struct Heap {
    group: HeapGroup,
    tombstones: usize,
}

impl Peer for Heap {
    type Handle = u64;

    fn build() -> Self {
        Heap {
            group: HeapGroup::new(HEAP_WORKERS),
            tombstones: 0,
        }
    }

    fn add(&mut self, delay: Duration, payload: Arc<u64>) -> u64 {
        self.group.delay(delay, job(payload))
    }

    fn cancel(&mut self, id: u64) {
        self.group.cancel(id);
        self.tombstones += 1;
    }

    fn worn_out(&self, live: usize) -> bool {
        self.tombstones >= live.max(1)
    }
}

/// The Go design, through `HeapGroup::schedule` with a fixed base instant.
pub(crate) struct HeapSchedule {
    group: HeapGroup,
    base: Instant,
}

impl Peer for HeapSchedule {
    type Handle = u64;

    fn build() -> Self {
        HeapSchedule {
            group: HeapGroup::new(HEAP_WORKERS),
            base: Instant::now(),
        }
    }

    fn add(&mut self, delay: Duration, payload: Arc<u64>) -> u64 {
        self.group.schedule(self.base + delay, job(payload))
    }

    fn cancel(&mut self, id: u64) {
        self.group.cancel(id);
    }
}

/// scheduled-thread-pool through `execute_after`, with as many workers as
/// the heap. Its cancel only sets the job's flag (the job and its closure
/// stay in the heap until their deadline), so, like the heap, it is
/// rebuilt (untimed) once its canceled jobs reach its live count.
pub(crate) struct Pool {
    pool: ScheduledPool,
    canceled: usize,
}

impl Peer for Pool {
    type Handle = JobHandle;

    fn build() -> Self {
        Pool {
            pool: ScheduledPool::new(HEAP_WORKERS),
            canceled: 0,
        }
    }

    fn add(&mut self, delay: Duration, payload: Arc<u64>) -> JobHandle {
        self.pool.execute_after(delay, job(payload))
    }

    fn cancel(&mut self, handle: JobHandle) {
        handle.cancel();
        self.canceled += 1;
    }

    fn worn_out(&self, live: usize) -> bool {
        self.canceled >= live.max(1)
    }
}

/// tokio-util's `DelayQueue` with boxed closures. Needs a runtime context
/// with time enabled (entered in `main`).
pub(crate) struct Queue(pub(crate) DelayQueue<BoxedJob>);

impl Peer for Queue {
    type Handle = delay_queue::Key;

    fn build() -> Self {
        Queue(DelayQueue::new())
    }

    fn add(&mut self, delay: Duration, payload: Arc<u64>) -> delay_queue::Key {
        self.0.insert(Box::new(job(payload)), delay)
    }

    fn cancel(&mut self, key: delay_queue::Key) {
        drop(self.0.remove(&key));
    }
}

/// A peer that several threads may schedule into at once.
pub(crate) trait SharedPeer: Sync {
    type Handle: Send;
    fn build() -> Self;
    fn add(&self, delay: Duration, payload: Arc<u64>) -> Self::Handle;
}

impl SharedPeer for Group {
    type Handle = TaskHandle;

    fn build() -> Self {
        Group::new()
    }

    fn add(&self, delay: Duration, payload: Arc<u64>) -> TaskHandle {
        self.delay(delay, job(payload))
    }
}

impl SharedPeer for HeapGroup {
    type Handle = u64;

    fn build() -> Self {
        HeapGroup::new(HEAP_WORKERS)
    }

    fn add(&self, delay: Duration, payload: Arc<u64>) -> u64 {
        self.delay(delay, job(payload))
    }
}
