//! The one driver thread of a group: advance every shard's wheel to now,
//! take the due tasks as one batch in deadline order, hand the batch on, and
//! park until the next occupied slot or until woken. It never polls.
//!
//! Tasks wait in the owner's [`Shard`]s (one wheel and one lock each).
//!
//! **Wake-ups.** The driver publishes the tick it will sleep until in
//! [`Wakeup::parked_until`]; a schedule earlier than that unparks it.
//! Before it scans the shards, the driver raises `parked_until` to
//! [`SCANNING`], so any schedule that races with the scan unparks it too;
//! the parker keeps one token, so an unpark that arrives before the park
//! makes the park return at once. No wake-up can be lost, and the only
//! spurious ones are for schedules that overlap a scan.

use std::time::{Duration, Instant};

use crate::clock::Clock;
use crate::shard::Shard;
use crate::sync::{Arc, AtomicU64, AtomicUsize, MutexGuard, Ordering, Parker, Unparker};

/// The driver is awake and will scan the shards before it parks again.
const AWAKE: u64 = 0;
/// The driver is scanning (or about to): every schedule must unpark it.
const SCANNING: u64 = u64::MAX;

/// How schedulers wake the driver: the tick it sleeps until, its parker,
/// and how many threads wait for the owner to go idle.
#[derive(Debug)]
pub(crate) struct Wakeup {
    /// The tick the driver sleeps until, [`AWAKE`] or [`SCANNING`].
    parked_until: AtomicU64,
    unparker: Unparker,
    /// Threads waiting for the owner to go idle. Only then does a removal
    /// that empties a shard need to wake the driver (to tell them).
    idle_waiters: AtomicUsize,
}

impl Wakeup {
    pub(crate) fn new(unparker: Unparker) -> Self {
        Wakeup {
            parked_until: AtomicU64::new(AWAKE),
            unparker,
            idle_waiters: AtomicUsize::new(0),
        }
    }

    /// Registers a thread about to wait for idleness; must come before it
    /// looks at the shards. The shard lock orders that look against every
    /// removal, so a removal it misses sees this count.
    pub(crate) fn add_idle_waiter(&self) {
        self.idle_waiters.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn remove_idle_waiter(&self) {
        self.idle_waiters.fetch_sub(1, Ordering::SeqCst);
    }

    /// Wakes the driver now (to shut down, or to notice a change).
    pub(crate) fn wake(&self) {
        self.unparker.unpark();
    }

    /// A shard just became empty: if anyone waits for idleness, the driver
    /// must look at every shard and tell them.
    pub(crate) fn wake_for_idle_waiters(&self) {
        if self.idle_waiters.load(Ordering::SeqCst) > 0 {
            self.unparker.unpark();
        }
    }

    /// Wakes the driver if it sleeps past `deadline`. SeqCst pairs with the
    /// store of [`SCANNING`] in [`drive`]: if this load misses that store,
    /// the driver's scan comes after our insert and sees it.
    #[inline]
    pub(crate) fn wake_if_before(&self, deadline: u64) {
        if deadline < self.parked_until.load(Ordering::SeqCst) {
            self.unparker.unpark();
        }
    }
}

/// What the driver needs from the group that owns it.
pub(crate) trait Host: Send + Sync + 'static {
    type Task: Send;

    fn shards(&self) -> &[Arc<Shard<Self::Task>>];
    fn clock(&self) -> &Clock;
    fn wakeup(&self) -> &Wakeup;
    /// Whether the driver must exit.
    fn shutting_down(&self) -> bool;
    /// Held from taking due tasks out of the wheels until they are handed
    /// over, so that whoever stops the owner can wait for a batch in
    /// transit to arrive where it can be taken back.
    fn hand_off(&self) -> MutexGuard<'_, ()>;
    /// `count` tasks left a wheel to run; called under that shard's lock.
    fn fired(&self, count: usize);
    /// The deadline given to [`drive`] has passed.
    fn deadline_passed(&self);
    /// A scan found every shard empty and fired nothing.
    fn all_empty(&self);
    /// Called each time the driver wakes, before it parks again: a chance
    /// to check on work handed over earlier.
    fn nudge(_this: &Arc<Self>) {}
    /// Offers the wake-up for a task's deadline to someone else (a host's
    /// idle worker, which then takes what is due itself). If taken, the
    /// driver looks again only [`FALLBACK`] after the deadline.
    fn delegate(_this: &Arc<Self>, _deadline: Instant) -> Delegation {
        Delegation::Declined
    }
    /// Run the batch of `(deadline, task)`, in that order. Called under
    /// [`Host::hand_off`]; must leave the batch empty.
    fn dispatch(this: &Arc<Self>, batch: &mut Vec<(u64, Self::Task)>);
    /// Called by [`hand_over_due`] once the hand-off lock is released,
    /// for what dispatching should not do under it (a pool starting
    /// threads).
    fn after_hand_off(_this: &Arc<Self>) {}
}

/// A host's answer to [`Host::delegate`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Delegation {
    /// Someone else wakes for the deadline.
    Taken,
    /// Nobody can: the driver wakes for it itself.
    Declined,
    /// Ask again at this instant, before the deadline (someone is being
    /// made ready to watch it, but not this early).
    AskAgainAt(Instant),
}

/// Most tasks the driver takes out of the wheels before handing them to the
/// workers. A burst of a million tasks due at once is handed over in parts:
/// the first ones run while the driver is still taking out the rest, and
/// the batch buffer and the pool's queue stay small instead of growing (and
/// faulting in) tens of megabytes first.
pub(crate) const BATCH_LIMIT: usize = 16384;

/// How long after a deadline it delegated the driver looks for itself, in
/// case the worker that watches it is busy then: the bound on how late a
/// task can be for that reason, and how often, at most, the driver wakes
/// while workers keep up with a run of close deadlines.
const FALLBACK: Duration = Duration::from_millis(1);

/// How late the OS may wake a scheduler thread for a deadline, unless the
/// builder says otherwise. Linux's own default, 50 µs, made tasks start
/// ~37 µs late at the median (a heap's workers, racing each other for each
/// deadline, ~18 µs); 20 µs brings the median to theirs, at ~25% more CPU
/// for a run of close deadlines (docs/design/scheduler.md has the curve).
pub(crate) const DEFAULT_TIMER_SLACK: Duration = Duration::from_micros(20);

/// The driver thread's body; returns once the host is shutting down.
pub(crate) fn drive<H: Host>(
    host: &Arc<H>,
    parker: Parker,
    mut stop_at: Option<u64>,
    timer_slack: Duration,
) {
    crate::sync::set_timer_slack(timer_slack);
    let wakeup = host.wakeup();
    let clock = host.clock();
    let mut due: Vec<(u64, H::Task)> = Vec::new();
    loop {
        if host.shutting_down() {
            return;
        }
        wakeup.parked_until.store(SCANNING, Ordering::SeqCst);
        let now = clock.reached();
        if stop_at.is_some_and(|stop| stop <= now) {
            stop_at = None;
            host.deadline_passed();
        }
        let scan = hand_over_due(host, now, BATCH_LIMIT, &mut due);
        let tasks_next = scan.next;
        let next = earliest(stop_at, tasks_next);
        if scan.handed > 0 {
            wakeup.parked_until.store(AWAKE, Ordering::SeqCst);
            // Time passed while dispatching: look again before parking.
            continue;
        }
        if scan.all_empty {
            host.all_empty();
        }
        if scan.drained {
            give_back_memory(host.shards());
        }
        H::nudge(host);
        // Deadline 0 is always due already, and AWAKE must not be one.
        let next = next.unwrap_or(SCANNING).max(1);
        let mut until = deadline_of(clock, next);
        // A task's deadline (not the stop's) may be left to an idle worker.
        if let Some(at) = until.filter(|_| tasks_next == Some(next)) {
            until = match H::delegate(host, at) {
                Delegation::Taken => Some(at.checked_add(FALLBACK).unwrap_or(at)),
                Delegation::Declined => Some(at),
                Delegation::AskAgainAt(sooner) => Some(sooner.min(at)),
            };
        }
        // An insert before `next` still wakes the driver, delegated or not.
        wakeup.parked_until.store(next, Ordering::SeqCst);
        parker.park(until);
    }
}

/// What [`hand_over_due`] did, and what it left in the shards.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scan {
    /// How many tasks it handed over.
    pub(crate) handed: usize,
    /// The earliest deadline left.
    pub(crate) next: Option<u64>,
    /// Whether every shard is now empty.
    pub(crate) all_empty: bool,
    /// Whether some shard is empty and still holds a burst's memory (see
    /// [`give_back_memory`]).
    pub(crate) drained: bool,
}

/// Takes the tasks due at `now`, up to `limit`, and dispatches them, all
/// under the host's hand-off lock.
pub(crate) fn hand_over_due<H: Host>(
    host: &Arc<H>,
    now: u64,
    limit: usize,
    due: &mut Vec<(u64, H::Task)>,
) -> Scan {
    let hand_off = host.hand_off();
    let mut scan = take_due(&**host, now, limit, due);
    scan.handed = due.len();
    if scan.handed > 0 {
        H::dispatch(host, due);
    }
    debug_assert!(due.is_empty(), "dispatch left tasks behind");
    drop(hand_off);
    if scan.handed > 0 {
        H::after_hand_off(host);
    }
    scan
}

/// Gives back the memory that drained shards hold. Only threads whose
/// time matters little do it (the driver between scans, whoever advances
/// a manual clock), never one about to run or receive what it just took.
pub(crate) fn give_back_memory<T>(shards: &[Arc<Shard<T>>]) {
    shards.iter().for_each(|shard| shard.give_back_memory());
}

/// Moves the tasks due at `now`, from every shard, into `due` in deadline
/// order, counting them as fired under each shard's lock: up to `limit`
/// of them (at least one per shard), unless more are needed to keep the
/// order (below). If the limit
/// stopped it, tasks are still due (the deadline returned is not after
/// `now`); a later call takes them, and none of them is due before the
/// last one taken now.
///
/// Each shard hands over in order, so one shard's part is easy; several
/// shards' parts must be merged, and a part cut short by the limit leaves
/// that shard's later tasks behind while another shard's part may already
/// hold later ones. So, once the first pass is done, every shard that
/// stopped short before `latest` (the latest deadline taken) also hands
/// over what it holds due before `latest`: then nothing left anywhere is
/// due before anything taken, and one sort merges the parts.
fn take_due<H: Host + ?Sized>(
    host: &H,
    now: u64,
    limit: usize,
    due: &mut Vec<(u64, H::Task)>,
) -> Scan {
    let mut scan = Scan {
        handed: 0,
        next: None,
        all_empty: true,
        drained: false,
    };
    let shards = host.shards();
    // Where each shard stopped short, if one did.
    let mut stopped: Vec<Option<u64>> = Vec::new();
    let mut shards_that_fired = 0;
    for (number, shard) in shards.iter().enumerate() {
        let before = due.len();
        // Every shard hands over at least one task, so that each one's
        // stopping point is known.
        let room = limit.saturating_sub(before).max(1);
        let left = shard.advance(now, room, due, |count| host.fired(count));
        shards_that_fired += usize::from(due.len() > before);
        if left.stopped_at.is_some() {
            stopped.resize(shards.len(), None);
            stopped[number] = left.stopped_at;
        }
        scan.next = earliest(scan.next, left.next);
        scan.all_empty &= left.empty;
        scan.drained |= left.drained;
    }
    if shards_that_fired > 1 || !stopped.is_empty() {
        let latest = due.iter().map(|&(deadline, _)| deadline).max();
        if let Some(latest) = latest.filter(|_| shards.len() > 1) {
            // A shard stopped at `at` holds nothing due before `at`, and
            // `at <= latest - 1 < now`: this takes only what is due before
            // `latest`, however much that is.
            for (shard, stopped_at) in shards.iter().zip(&stopped) {
                if stopped_at.is_some_and(|at| at < latest) {
                    let before = due.len();
                    shard.advance(latest - 1, usize::MAX, due, |count| host.fired(count));
                    shards_that_fired += usize::from(due.len() > before);
                }
            }
        }
        if shards_that_fired > 1 {
            due.sort_by_key(|&(deadline, _)| deadline);
        }
    }
    if !stopped.is_empty() {
        scan.next = Some(now);
    }
    scan
}

/// The earlier of two optional ticks.
pub(crate) fn earliest(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// When to wake for tick `next`; `None` (never) for ticks out of reach.
fn deadline_of(clock: &Clock, next: u64) -> Option<Instant> {
    // Under a manual clock, whoever advances it runs what is due.
    if next == SCANNING || clock.is_manual() {
        None
    } else {
        clock.instant_of(next)
    }
}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::*;
    use crate::sync::{Mutex, Parker};
    use crate::test_rng::xorshift;
    use crate::unwind::PanicLog;

    /// A host of bare shards whose tasks are their own deadlines.
    struct Shards {
        shards: Box<[Arc<Shard<u64>>]>,
        clock: Clock,
        wakeup: Arc<Wakeup>,
        hand_off: Mutex<()>,
    }

    impl Shards {
        fn new(count: usize) -> Self {
            let clock = Clock::new(Instant::now(), Duration::from_millis(1));
            let wakeup = Arc::new(Wakeup::new(Parker::new().unparker()));
            let panics = Arc::new(PanicLog::default());
            let shards = Shard::many(count, &clock, &wakeup, &panics);
            Shards {
                shards,
                clock,
                wakeup,
                hand_off: Mutex::new(()),
            }
        }
    }

    impl Host for Shards {
        type Task = u64;
        fn shards(&self) -> &[Arc<Shard<u64>>] {
            &self.shards
        }
        fn clock(&self) -> &Clock {
            &self.clock
        }
        fn wakeup(&self) -> &Wakeup {
            &self.wakeup
        }
        fn shutting_down(&self) -> bool {
            false
        }
        fn hand_off(&self) -> MutexGuard<'_, ()> {
            self.hand_off.lock()
        }
        fn fired(&self, _count: usize) {}
        fn deadline_passed(&self) {}
        fn all_empty(&self) {}
        fn dispatch(_this: &Arc<Self>, batch: &mut Vec<(u64, u64)>) {
            batch.clear();
        }
    }

    /// Takes everything due at `now`, `limit` at a time, and returns the
    /// deadlines in the order they were handed over.
    fn take_all(host: &Shards, now: u64, limit: usize) -> Vec<u64> {
        let mut taken = Vec::new();
        let mut due = Vec::new();
        loop {
            let scan = take_due(host, now, limit, &mut due);
            taken.extend(due.drain(..).map(|(deadline, _)| deadline));
            if scan.next.map_or(true, |next| next > now) {
                return taken;
            }
        }
    }

    fn in_order(deadlines: &[u64]) -> bool {
        deadlines.windows(2).all(|pair| pair[0] <= pair[1])
    }

    #[test]
    fn a_take_cut_short_by_its_limit_is_still_in_deadline_order() {
        // Shard `s` holds deadlines s, s + 4, s + 8, ...: every shard's
        // tasks interleave with the others'.
        let host = Shards::new(4);
        for deadline in 0..400u64 {
            let shard = &host.shards[deadline as usize % 4];
            shard.insert(deadline, deadline).unwrap();
        }
        let mut due = Vec::new();
        let scan = take_due(&host, 1_000, 250, &mut due);
        let first: Vec<u64> = due.iter().map(|&(deadline, _)| deadline).collect();
        assert!(in_order(&first), "one take out of deadline order");
        assert!(first.len() >= 250, "the limit, or more to keep the order");
        assert_eq!(scan.next, Some(1_000), "tasks are still due");
        // What is left comes after everything taken.
        let rest = take_all(&host, 1_000, 250);
        assert!(rest
            .iter()
            .all(|&deadline| deadline >= *first.last().unwrap()));
        assert_eq!(first.len() + rest.len(), 400);
    }

    #[test]
    fn takes_cut_short_hand_everything_over_in_deadline_order() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut random = move |below: u64| xorshift(&mut seed) % below;
        for _ in 0..200 {
            let host = Shards::new(1 + random(5) as usize);
            let count = random(2_000) as usize;
            for _ in 0..count {
                // Few distinct deadlines: many equal ones, as in bursts.
                let spread = 1 + random(1_000);
                let deadline = random(spread);
                let shard = &host.shards[random(host.shards.len() as u64) as usize];
                shard.insert(deadline, deadline).unwrap();
            }
            let limit = 1 + random(300) as usize;
            let taken = take_all(&host, 1_000, limit);
            assert!(in_order(&taken), "out of deadline order at limit {limit}");
            assert_eq!(taken.len(), count, "a task was lost or handed over twice");
        }
    }
}
