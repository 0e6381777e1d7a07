//! scheduled-thread-pool as a [`Timers`] side: each of its workers sleeps
//! on the pool's `Condvar` until the earliest job's exact `Instant` and runs
//! it, so it has no timer thread, and no rounding to a tick. The pool
//! offers no `wait` and no count of its jobs: a counter beside it gives
//! both (each job carries a ticket that counts it out when the job has run
//! or was dropped unrun), at one atomic add when scheduled and one
//! subtract when done.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use schedgroup::Lateness;
use scheduled_thread_pool::JobHandle;

use crate::args::Config;
use crate::procfs::ThreadStat;
use crate::timers::{default_workers, Timers};
use schedgroup_bench::scheduled_pool::ScheduledPool;

/// Jobs scheduled and not yet run (or dropped), and a way to wait for none.
#[derive(Default)]
struct Outstanding {
    count: AtomicUsize,
    lock: Mutex<()>,
    none: Condvar,
}

/// Counts one job out when dropped: after it ran, or with it unrun.
struct Ticket(Arc<Outstanding>);

impl Drop for Ticket {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            // Under the lock: a `wait` that saw a non-zero count is then
            // already waiting, and gets this notification.
            let _guard = self.0.lock.lock().unwrap_or_else(|e| e.into_inner());
            self.0.none.notify_all();
        }
    }
}

/// scheduled-thread-pool with as many workers as the other sides use.
pub struct Pool {
    pool: ScheduledPool,
    outstanding: Arc<Outstanding>,
}

impl Pool {
    fn ticket(&self) -> Ticket {
        self.outstanding.count.fetch_add(1, Ordering::AcqRel);
        Ticket(Arc::clone(&self.outstanding))
    }
}

impl Timers for Pool {
    type Handle = JobHandle;
    const NAME: &'static str = "scheduled-thread-pool";
    const TIMER_THREAD: &'static str =
        "none: each worker (`stp-worker-<i>`) waits for the earliest deadline itself";

    fn start(_: &Config) -> Self {
        Pool {
            pool: ScheduledPool::new(default_workers()),
            outstanding: Arc::default(),
        }
    }

    fn schedule<F: FnOnce() + Send + 'static>(&self, deadline: Instant, f: F) -> JobHandle {
        let ticket = self.ticket();
        self.pool.execute_at(deadline, move || {
            f();
            drop(ticket);
        })
    }

    fn delay<F: FnOnce() + Send + 'static>(&self, delay: Duration, f: F) -> JobHandle {
        let ticket = self.ticket();
        self.pool.execute_after(delay, move || {
            f();
            drop(ticket);
        })
    }

    fn cancel(&self, handle: JobHandle) -> bool {
        // Lazy, like the Go design's: a flag the worker checks when the job
        // surfaces; until then it is still counted in `len`.
        handle.cancel();
        true
    }

    fn wait(&self) -> Result<(), String> {
        let mut guard = self
            .outstanding
            .lock
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        while self.outstanding.count.load(Ordering::Acquire) > 0 {
            guard = self
                .outstanding
                .none
                .wait(guard)
                .unwrap_or_else(|e| e.into_inner());
        }
        Ok(())
    }

    fn len(&self) -> usize {
        self.outstanding.count.load(Ordering::Acquire)
    }

    fn lateness(&self) -> Option<Lateness> {
        None
    }

    fn timer_thread(_: &[ThreadStat]) -> Option<u32> {
        None
    }
}
