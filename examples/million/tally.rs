//! What every scheduled closure captures: one `Arc<Tally>`. Running a task
//! increments the counter; the tasks that make it 1 and N note the time, and
//! the N-th wakes whoever waits for them all.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Instant;

#[derive(Debug)]
pub struct Tally {
    done: AtomicUsize,
    target: usize,
    first: OnceLock<Instant>,
    last: Mutex<Option<Instant>>,
    all_done: Condvar,
}

impl Tally {
    pub fn new(target: usize) -> Arc<Tally> {
        Arc::new(Tally {
            done: AtomicUsize::new(0),
            target,
            first: OnceLock::new(),
            last: Mutex::new(None),
            all_done: Condvar::new(),
        })
    }

    /// The body of every task: one atomic increment (plus a clock read and
    /// a notify for the first and the last).
    #[inline]
    pub fn hit(&self) {
        let n = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if n == 1 {
            let _ = self.first.set(Instant::now());
        }
        if n == self.target {
            let now = Instant::now();
            *self.last.lock().unwrap() = Some(now);
            self.all_done.notify_all();
        }
    }

    /// Tasks run so far.
    pub fn done(&self) -> usize {
        self.done.load(Ordering::Relaxed)
    }

    /// When the first task ran, if one has.
    pub fn first(&self) -> Option<Instant> {
        self.first.get().copied()
    }

    /// When the N-th task finished its increment, if it has.
    pub fn last(&self) -> Option<Instant> {
        *self.last.lock().unwrap()
    }

    /// Blocks until all N tasks have run or `until` passes; `true` if all
    /// have run (at once when N is 0).
    pub fn wait_until(&self, until: Instant) -> bool {
        if self.target == 0 {
            return true;
        }
        let mut last = self.last.lock().unwrap();
        while last.is_none() {
            let now = Instant::now();
            if now >= until {
                return false;
            }
            last = self.all_done.wait_timeout(last, until - now).unwrap().0;
        }
        true
    }
}
