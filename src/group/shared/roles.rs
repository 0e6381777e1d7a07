//! The two roles a group's state plays: host of the driver, owner of the
//! pool.

use std::any::Any;
use std::time::Instant;

use super::Shared;
use crate::clock::Clock;
use crate::driver::{hand_over_due, Delegation, Host, Wakeup, BATCH_LIMIT};
use crate::error::Error;
use crate::pool::{Owner, Pool, Tagged};
use crate::shard::Shard;
use crate::sync::{Arc, MutexGuard, Ordering};
use crate::task::Task;

impl Host for Shared {
    type Task = Task;

    fn shards(&self) -> &[Arc<Shard<Task>>] {
        &self.shards
    }

    fn clock(&self) -> &Clock {
        &self.clock
    }

    fn wakeup(&self) -> &Wakeup {
        &self.wakeup
    }

    fn shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }

    fn hand_off(&self) -> MutexGuard<'_, ()> {
        self.hand_off.lock()
    }

    fn fired(&self, count: usize) {
        self.in_flight.fetch_add(count, Ordering::SeqCst);
        self.fired.fetch_add(count as u64, Ordering::Relaxed);
    }

    fn deadline_passed(&self) {
        self.stop(Error::DeadlineExceeded);
    }

    fn all_empty(&self) {
        self.shards_found_empty();
    }

    fn nudge(this: &Arc<Self>) {
        this.pool.nudge(this);
    }

    fn delegate(this: &Arc<Self>, deadline: Instant) -> Delegation {
        this.pool.delegate(this, deadline)
    }

    fn dispatch(this: &Arc<Self>, batch: &mut Vec<(u64, Task)>) {
        this.pool.submit(batch);
        // Only a pool shut down by the group's drop refuses a batch, and only
        // one taken in a race with that drop (a manual clock's advance).
        if !batch.is_empty() {
            this.discard_unstarted(std::mem::take(batch));
        }
    }

    fn after_hand_off(this: &Arc<Self>) {
        this.pool.start_counted(this);
    }
}

impl Owner for Shared {
    fn pool(&self) -> &Pool {
        &self.pool
    }

    fn may_start(&self) -> bool {
        !self.stopped.load(Ordering::SeqCst)
    }

    fn panicked(&self, payload: Box<dyn Any + Send>) {
        self.panics.record(payload);
    }

    fn finished(&self, count: usize) {
        self.finish_in_flight(count);
    }

    fn take_due(this: &Arc<Self>, now: Instant, batch: &mut Vec<Tagged>) -> Option<Instant> {
        // Only ever delegated on the real clock, which `now` was read from.
        debug_assert!(!this.clock.is_manual());
        let now = this.clock.reached_at(now);
        let scan = hand_over_due(this, now, BATCH_LIMIT, batch);
        this.clock.instant_of(scan.next?)
    }

    fn claimed(&self, deadlines: &mut dyn Iterator<Item = u64>) {
        let clock = &self.clock;
        let now = clock.now();
        let lateness = |tick: u64| {
            let deadline = clock.instant_of(tick).unwrap_or(now);
            u64::try_from(now.saturating_duration_since(deadline).as_nanos()).unwrap_or(u64::MAX)
        };
        let mut histogram = self.lateness.lock();
        // Tasks come in deadline order: one sample per run of equal
        // deadlines keeps a burst of a million cheap to record.
        let mut run: Option<(u64, u64)> = None;
        for tick in deadlines {
            match &mut run {
                Some((current, count)) if *current == tick => *count += 1,
                _ => {
                    if let Some((current, count)) = run.replace((tick, 1)) {
                        histogram.record(lateness(current), count);
                    }
                }
            }
        }
        if let Some((current, count)) = run {
            histogram.record(lateness(current), count);
        }
    }
}
