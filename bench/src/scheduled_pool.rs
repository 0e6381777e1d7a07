//! The precise peer: scheduled-thread-pool's `ScheduledThreadPool` (one
//! `BinaryHeap` under a `parking_lot` mutex, and workers that each sleep on
//! its `Condvar` until the earliest job's exact `Instant`, then run it),
//! torn down before its drop returns, so that a harness that replaces it
//! never measures the next peer while the last one's jobs are still being
//! dropped on its worker threads.

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use scheduled_thread_pool::{JobHandle, OnPoolDropBehavior, ScheduledThreadPool};

/// How long a drop waits for the pool's workers to drop its jobs.
const TEARDOWN_LIMIT: Duration = Duration::from_secs(30);
/// The canary job's delay: later than any benchmark's deadline, and far
/// from overflowing `Instant`.
const CANARY_DELAY: Duration = Duration::from_secs(365 * 24 * 3600);

/// A `ScheduledThreadPool` whose drop discards the pending jobs (the
/// pool's default would run them, hours later) and waits until they are
/// dropped. Its threads are named `stp-worker-<i>`.
pub struct ScheduledPool {
    pool: Option<ScheduledThreadPool>,
    /// Also held by a job due after everything else, so that the count
    /// falls back to 1 exactly when the pool's queue has been dropped.
    canary: Arc<()>,
}

impl ScheduledPool {
    /// A pool of `workers` threads (at least 1).
    pub fn new(workers: usize) -> ScheduledPool {
        let pool = ScheduledThreadPool::builder()
            .num_threads(workers.max(1))
            .thread_name_pattern("stp-worker-{}")
            .on_drop_behavior(OnPoolDropBehavior::DiscardPendingScheduled)
            .build();
        let canary = Arc::new(());
        let held = Arc::clone(&canary);
        pool.execute_after(CANARY_DELAY, move || drop(held));
        ScheduledPool {
            pool: Some(pool),
            canary,
        }
    }

    /// `ScheduledThreadPool::execute_after`: the pool reads the clock and
    /// files the job for `now + delay`.
    #[inline]
    pub fn execute_after(&self, delay: Duration, job: impl FnOnce() + Send + 'static) -> JobHandle {
        self.pool().execute_after(delay, job)
    }

    /// `job` at `deadline`, through `execute_after` (the pool takes delays
    /// only): the pool's own clock read comes a little after this one, so
    /// the job is filed a few tens of nanoseconds after `deadline`, never
    /// before it.
    #[inline]
    pub fn execute_at(&self, deadline: Instant, job: impl FnOnce() + Send + 'static) -> JobHandle {
        let delay = deadline.saturating_duration_since(Instant::now());
        self.pool().execute_after(delay, job)
    }

    fn pool(&self) -> &ScheduledThreadPool {
        self.pool.as_ref().expect("only `drop` takes the pool")
    }
}

impl Drop for ScheduledPool {
    fn drop(&mut self) {
        drop(self.pool.take());
        // The workers see the shutdown, exit, and the last one drops the
        // queue with every job in it; bounded, so a stuck worker (a job
        // that never returns) cannot hang a harness.
        let until = Instant::now() + TEARDOWN_LIMIT;
        while Arc::strong_count(&self.canary) > 1 && Instant::now() < until {
            thread::sleep(Duration::from_millis(1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn runs_due_jobs_and_drops_pending_ones_before_drop_returns() {
        let ran = Arc::new(AtomicUsize::new(0));
        let pending = Arc::new(());
        let pool = ScheduledPool::new(2);
        let counter = Arc::clone(&ran);
        pool.execute_at(Instant::now(), move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        let held = Arc::clone(&pending);
        pool.execute_after(Duration::from_secs(3600), move || drop(held));
        let watchdog = Instant::now() + Duration::from_secs(20);
        while ran.load(Ordering::SeqCst) == 0 {
            assert!(Instant::now() < watchdog, "a due job never ran");
            thread::sleep(Duration::from_millis(1));
        }
        drop(pool);
        assert_eq!(
            Arc::strong_count(&pending),
            1,
            "a pending job outlived the drop"
        );
    }
}
