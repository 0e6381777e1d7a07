//! A worker thread's life: take a chunk of the queue (or steal half of
//! another worker's) when the cap leaves room, run it a task at a time,
//! and exit after `keep_alive` without work.

use std::collections::VecDeque;
use std::time::Instant;

use super::{run_one, Claim, Owner, Pool, Queue, Submitter, Tagged, MY_CLAIM, SUBMITTING_WORKER};
use crate::sync::{Arc, Mutex};

/// Most tasks a worker takes from the queue per lock. Small enough that a
/// slow task delays few others; large enough that a million-task burst
/// takes the queue lock ~16k times instead of a million.
pub(crate) const MAX_CHUNK: usize = 64;

/// A watcher that wakes this long after its deadline, beyond the timer
/// slack the OS was allowed, shares what it takes at once (see
/// [`Pool::wake_or_spawn`]): it is later than a thread's usual wake-up, so
/// the machine (or the watcher) is busy, and other workers may get a CPU
/// sooner. Lateness the slack allowed is not a sign of that: counting it
/// would wake more threads exactly when the slack was chosen to wake fewer.
const LATE_BEYOND_SLACK: std::time::Duration = std::time::Duration::from_micros(100);

impl Pool {
    /// A worker thread's whole life.
    pub(super) fn work<O: Owner>(&self, owner: &Arc<O>) {
        // A watcher waits until deadlines: how late it may wake for one.
        crate::sync::set_timer_slack(self.timer_slack);
        let owner_arc = owner;
        let owner: &O = owner;
        let mine: Claim = Arc::new(Mutex::new(VecDeque::new()));
        MY_CLAIM.with(|slot| *slot.borrow_mut() = Some(Arc::clone(&mine)));
        self.queue.lock().claims.push(Arc::clone(&mine));
        // Scratch for what came due at this worker's watch.
        let mut due: Vec<Tagged> = Vec::new();
        let mut queue = loop {
            let mut queue = self.queue.lock();
            // A stopped owner starts nothing more: what is left is its to take.
            if owner.may_start() && queue.room(self.max_workers) > 0 {
                if !queue.tasks.is_empty() {
                    // A fair share, so that the other workers get work too.
                    let share = (queue.tasks.len() / (2 * queue.workers)).clamp(1, MAX_CHUNK);
                    let mut claim = mine.lock();
                    claim.extend(queue.tasks.drain(..share));
                    queue.busy += 1;
                    drop(queue);
                    owner.claimed(&mut claim.iter().map(|&(tag, _)| tag));
                    drop(claim);
                    self.run_chunk(owner, &mine);
                    continue;
                }
                if Self::steal(&queue, &mine) {
                    queue.busy += 1;
                    drop(queue);
                    self.run_chunk(owner, &mine);
                    continue;
                }
            }
            if queue.shut_down {
                break queue;
            }
            // A keep-alive too long to add to now (Duration::MAX) means
            // "never exit while the pool lives".
            let give_up = Instant::now().checked_add(self.keep_alive);
            // Watch the owner's next deadline if nobody does and this worker
            // will still be here then (`delegate` promised as much).
            let watching = match queue.watch {
                Some(at) if !queue.watched && owner.may_start() => {
                    give_up.map_or(true, |end| at <= end)
                }
                _ => false,
            };
            if watching {
                queue.watched = true;
            }
            let until = if watching { queue.watch } else { give_up };
            queue.idle += 1;
            let timed_out = self.work_arrived.wait_until(&mut queue, until);
            queue.idle -= 1;
            if watching {
                queue.watched = false;
                let now = Instant::now();
                if let Some(at) = queue.watch.filter(|&at| now >= at) {
                    // The deadline came: take what is due, as the owner's
                    // driver would, then run it like any other work.
                    queue.watch = None;
                    drop(queue);
                    let late = now.saturating_duration_since(at)
                        > self.timer_slack.saturating_add(LATE_BEYOND_SLACK);
                    let submitter = if late {
                        Submitter::WatcherLate
                    } else {
                        Submitter::WatcherOnTime
                    };
                    SUBMITTING_WORKER.with(|flag| flag.set(submitter));
                    let next = O::take_due(owner_arc, now, &mut due);
                    SUBMITTING_WORKER.with(|flag| flag.set(Submitter::Driver));
                    let mut queue = self.queue.lock();
                    if let Some(next) = next {
                        if queue.watch.map_or(true, |watched| next < watched) {
                            queue.watch = Some(next);
                        }
                    }
                    continue;
                }
                if queue.idle > 0 && queue.watch.is_some() {
                    // Woken for work while watching: another idle worker
                    // takes the watch over.
                    self.work_arrived.notify_one();
                }
            }
            if timed_out && !self.has_work_for(owner, &queue, &mine) {
                break queue;
            }
        };
        queue.claims.retain(|claim| !Arc::ptr_eq(claim, &mine));
        queue.workers -= 1;
        drop(queue);
        MY_CLAIM.with(|slot| slot.borrow_mut().take());
    }

    /// Runs this worker's claimed chunk, then gives its place under the cap
    /// back and tells the owner how many tasks ran.
    fn run_chunk<O: Owner + ?Sized>(&self, owner: &O, mine: &Claim) {
        let ran = Self::run_claimed(owner, mine);
        self.queue.lock().busy -= 1;
        self.room_freed.notify_all();
        owner.finished(ran);
    }

    /// Runs the claimed tasks one at a time, so that thieves, a stopping
    /// owner and `block` can take what has not started. Stops, leaving the
    /// rest claimed, once the owner says no more may start. Returns how
    /// many ran.
    fn run_claimed<O: Owner + ?Sized>(owner: &O, mine: &Claim) -> usize {
        let mut ran = 0;
        loop {
            let next = {
                let mut claim = mine.lock();
                // Decided under the claim lock: a stopping owner sets its
                // flag first and then takes claims under this lock, so a
                // task is either started here or taken back there.
                if !owner.may_start() {
                    break;
                }
                claim.pop_front()
            };
            let Some((_, task)) = next else { break };
            run_one(owner, task);
            ran += 1;
        }
        ran
    }

    /// Whether the worker with claim `mine` could take work now: the owner
    /// still starts tasks, the cap leaves room, and tasks are queued or
    /// claimed by another worker.
    fn has_work_for<O: Owner + ?Sized>(&self, owner: &O, queue: &Queue, mine: &Claim) -> bool {
        owner.may_start()
            && queue.room(self.max_workers) > 0
            && (!queue.tasks.is_empty()
                || queue
                    .claims
                    .iter()
                    .any(|claim| !Arc::ptr_eq(claim, mine) && !claim.lock().is_empty()))
    }

    /// Moves the back half of the fullest other claim into `mine`.
    /// `false` if every other claim is empty.
    fn steal(queue: &Queue, mine: &Claim) -> bool {
        let mut victim = None;
        let mut most = 0;
        for claim in &queue.claims {
            if Arc::ptr_eq(claim, mine) {
                continue;
            }
            let len = claim.lock().len();
            if len > most {
                most = len;
                victim = Some(claim);
            }
        }
        let Some(victim) = victim else {
            return false;
        };
        let mut theirs = victim.lock();
        // The back half: the victim keeps the earliest deadlines.
        let keep = theirs.len() / 2;
        mine.lock().extend(theirs.drain(keep..));
        true
    }
}
