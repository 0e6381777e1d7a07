//! The peer to beat: a faithful Rust port of the Go `schedgroup` package's
//! final design, for the benchmarks and `million --compare` only.
//!
//! Go's `Group` keeps one `container/heap` of tasks under a mutex; a single
//! goroutine waits on a timer for the earliest deadline (woken early when a
//! schedule lands before it), pops every due task and starts a goroutine per
//! task; `Wait` blocks until the heap is empty and no task runs. Rust has no
//! goroutines, so due tasks go to a fixed pool of worker threads (as many as
//! schedgroup's default cap) through one mutex-guarded queue. Cancellation,
//! which Go's package does not offer per task, is lazy: a canceled id is
//! remembered and skipped when popped, the usual way with a binary heap.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashSet, VecDeque};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

type Job = Box<dyn FnOnce() + Send + 'static>;

struct Entry {
    deadline: Instant,
    id: u64,
    job: Job,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.deadline, self.id) == (other.deadline, other.id)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.deadline, self.id).cmp(&(other.deadline, other.id))
    }
}

#[derive(Default)]
struct State {
    heap: BinaryHeap<Reverse<Entry>>,
    canceled: HashSet<u64>,
    next_id: u64,
    ready: VecDeque<Job>,
    running: usize,
    shut_down: bool,
}

struct Inner {
    state: Mutex<State>,
    /// The timer goroutine waits here for the earliest deadline.
    timer: Condvar,
    /// Workers wait here for due jobs.
    work: Condvar,
    /// `wait` waits here for the group to go idle.
    idle: Condvar,
}

/// A `Mutex<BinaryHeap>` + `Condvar` scheduler in the Go package's design.
pub struct HeapGroup {
    inner: Arc<Inner>,
    threads: Vec<JoinHandle<()>>,
}

impl HeapGroup {
    pub fn new(workers: usize) -> HeapGroup {
        let inner = Arc::new(Inner {
            state: Mutex::new(State::default()),
            timer: Condvar::new(),
            work: Condvar::new(),
            idle: Condvar::new(),
        });
        let mut threads = Vec::new();
        let timer_inner = Arc::clone(&inner);
        threads.push(thread::spawn(move || timer_loop(&timer_inner)));
        for _ in 0..workers.max(1) {
            let worker_inner = Arc::clone(&inner);
            threads.push(thread::spawn(move || worker_loop(&worker_inner)));
        }
        HeapGroup { inner, threads }
    }

    /// Go's `Delay`.
    pub fn delay(&self, delay: Duration, job: impl FnOnce() + Send + 'static) -> u64 {
        self.schedule(Instant::now() + delay, job)
    }

    /// Go's `Schedule`: push, and wake the timer if this is the new earliest.
    pub fn schedule(&self, deadline: Instant, job: impl FnOnce() + Send + 'static) -> u64 {
        let mut state = self.inner.state.lock().unwrap();
        let id = state.next_id;
        state.next_id += 1;
        let earliest = state
            .heap
            .peek()
            .is_none_or(|Reverse(first)| deadline < first.deadline);
        state.heap.push(Reverse(Entry {
            deadline,
            id,
            job: Box::new(job),
        }));
        if earliest {
            self.inner.timer.notify_one();
        }
        id
    }

    /// Lazy deletion: O(1) now, the entry is skipped when it surfaces.
    ///
    /// Only for ids still pending, which is all the benches cancel: the heap
    /// cannot tell a pending id from one that already ran without a second
    /// index, which would cost every `schedule` a hash insert. A canceled
    /// finished id stays remembered and skews `len` and `wait` (the counts
    /// saturate rather than underflow, but `wait` may return early).
    pub fn cancel(&self, id: u64) {
        self.inner.state.lock().unwrap().canceled.insert(id);
    }

    /// Go's `Wait`: until nothing is pending and nothing runs.
    pub fn wait(&self) {
        let mut state = self.inner.state.lock().unwrap();
        while !(state.heap.len() <= state.canceled.len()
            && state.ready.is_empty()
            && state.running == 0)
        {
            state = self.inner.idle.wait(state).unwrap();
        }
    }

    pub fn len(&self) -> usize {
        let state = self.inner.state.lock().unwrap();
        state.heap.len().saturating_sub(state.canceled.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for HeapGroup {
    fn drop(&mut self) {
        self.inner.state.lock().unwrap().shut_down = true;
        self.inner.timer.notify_all();
        self.inner.work.notify_all();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

fn timer_loop(inner: &Inner) {
    let mut state = inner.state.lock().unwrap();
    loop {
        if state.shut_down {
            return;
        }
        let now = Instant::now();
        let mut moved = false;
        while let Some(Reverse(first)) = state.heap.peek() {
            if first.deadline > now {
                break;
            }
            let Reverse(entry) = state.heap.pop().expect("peeked");
            if !state.canceled.remove(&entry.id) {
                state.ready.push_back(entry.job);
                moved = true;
            }
        }
        if moved {
            inner.work.notify_all();
        } else if state.heap.len() <= state.canceled.len()
            && state.running == 0
            && state.ready.is_empty()
        {
            inner.idle.notify_all();
        }
        state = match state.heap.peek().map(|Reverse(first)| first.deadline) {
            Some(deadline) => {
                let timeout = deadline.saturating_duration_since(Instant::now());
                inner.timer.wait_timeout(state, timeout).unwrap().0
            }
            None => inner.timer.wait(state).unwrap(),
        };
    }
}

fn worker_loop(inner: &Inner) {
    let mut state = inner.state.lock().unwrap();
    loop {
        if let Some(job) = state.ready.pop_front() {
            state.running += 1;
            drop(state);
            job();
            state = inner.state.lock().unwrap();
            state.running -= 1;
            if state.running == 0
                && state.ready.is_empty()
                && state.heap.len() <= state.canceled.len()
            {
                inner.idle.notify_all();
            }
            continue;
        }
        if state.shut_down {
            return;
        }
        state = inner.work.wait(state).unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};

    #[test]
    fn runs_in_order_and_cancels() {
        let group = HeapGroup::new(1);
        let log = Arc::new(Mutex::new(Vec::new()));
        for ms in [30u64, 10, 20] {
            let log = log.clone();
            group.delay(Duration::from_millis(ms), move || {
                log.lock().unwrap().push(ms)
            });
        }
        let ran = Arc::new(AtomicUsize::new(0));
        let ran_in = ran.clone();
        let id = group.delay(Duration::from_millis(15), move || {
            ran_in.fetch_add(1, AtomicOrdering::SeqCst);
        });
        group.cancel(id);
        group.wait();
        assert_eq!(*log.lock().unwrap(), [10, 20, 30]);
        assert_eq!(ran.load(AtomicOrdering::SeqCst), 0);
    }
}
