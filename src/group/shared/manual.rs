//! What a manual clock asks of each group on it: when its next event is,
//! and to run, on the advancing thread's behalf, what its time made due.

use std::time::Instant;

use super::Shared;
use crate::driver::{earliest, hand_over_due};
use crate::error::Error;
use crate::sync::{Arc, Ordering};

impl Shared {
    /// The earliest instant something happens: a pending deadline (a lower
    /// bound, see [`crate::Wheel::next_deadline`]) or the group's own
    /// deadline while it has not stopped.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let tasks = self
            .shards
            .iter()
            .filter_map(|shard| shard.next_deadline())
            .min();
        let stop = self
            .stop_at
            .filter(|_| !self.stopped.load(Ordering::SeqCst));
        self.clock.instant_of(earliest(tasks, stop)?)
    }

    /// For a manual clock: applies the group's deadline if it has passed,
    /// then hands every task due at the clock's now to the pool and returns
    /// once they (and any due tasks they scheduled) have finished, or are
    /// themselves waiting for the group to go idle (they may be waiting for
    /// tasks only a later advance makes due). Returns how many tasks it
    /// fired.
    pub(crate) fn run_due(this: &Arc<Self>) -> usize {
        let now = this.clock.reached();
        if this.stop_at.is_some_and(|stop| stop <= now) {
            this.stop(Error::DeadlineExceeded);
        }
        let mut due = Vec::new();
        let mut fired = 0;
        loop {
            this.wait_until_settled();
            // No limit: whoever advances a manual clock runs what is due
            // in one batch, in deadline order across shards.
            let handed = hand_over_due(this, now, usize::MAX, &mut due).handed;
            if handed == 0 {
                if this.is_settled() {
                    break;
                }
                // The driver fired something meanwhile: let it finish.
                continue;
            }
            fired += handed;
        }
        // Let the driver look at the new time too.
        this.wakeup.wake();
        fired
    }

    /// Whether every task in flight is one waiting for the group.
    fn is_settled(&self) -> bool {
        self.in_flight.load(Ordering::SeqCst) <= self.waiting_tasks.load(Ordering::SeqCst)
    }

    /// Blocks until every task in flight has finished or is waiting for the
    /// group (both changes notify `became_idle`).
    fn wait_until_settled(&self) {
        let mut control = self.control.lock();
        // Counted while waiting: finishers then notify even with tasks
        // still pending in the wheels (see `finish_in_flight`).
        self.settling.fetch_add(1, Ordering::SeqCst);
        while !self.is_settled() {
            self.became_idle.wait(&mut control);
        }
        self.settling.fetch_sub(1, Ordering::SeqCst);
    }
}
