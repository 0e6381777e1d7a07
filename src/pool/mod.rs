//! Runs fired tasks on worker threads that exist only while there is work.
//!
//! No worker exists before the first batch arrives. A batch wakes idle
//! workers and spawns more only for what they cannot take, within the
//! concurrency cap, and a worker that finds nothing to do for `keep_alive`
//! exits. Each task runs under `catch_unwind`, so a panicking task costs its
//! worker nothing. The pool knows nothing of the wheel: its owner decides
//! whether a task may still start and hears how each one ended.
//!
//! **The cap** bounds the workers running tasks at once. A task that blocks
//! waiting for its own group ([`Pool::block`]) stops counting, so that the
//! tasks it waits for can run; when its wait is over it counts again, and
//! first waits for room ([`Pool::unblock`]), ahead of any worker that wants
//! to take new work.

mod worker;

pub(crate) use worker::MAX_CHUNK;

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use crate::driver::Delegation;
use crate::sync::{thread, thread_local, Arc, AtomicUsize, Condvar, Mutex, MutexGuard, Ordering};
use crate::task::Task;

/// How long before a deadline a worker is started to watch it when none is
/// alive (see [`Pool::delegate`]): longer than starting a thread takes
/// (0.3–0.6 ms on the 2-vCPU development VM, measured as the lateness of
/// the first task after an idle spell).
pub(crate) const WATCHER_LEAD: Duration = Duration::from_millis(2);

/// What the pool needs from whoever owns it.
pub(crate) trait Owner: Send + Sync + 'static {
    fn pool(&self) -> &Pool;
    /// Asked right before each task starts, under its worker's claim lock.
    /// `false` leaves the task where it is, unstarted, for the owner to take
    /// back with [`Pool::take_unstarted`]; once `false`, always `false`.
    fn may_start(&self) -> bool;
    /// Told as soon as a task panics (the payload, for its message).
    fn panicked(&self, payload: Box<dyn Any + Send>);
    /// Told once `count` tasks handed to the pool have run. Workers settle
    /// whole chunks at once, so this is not called once per task.
    fn finished(&self, count: usize);
    /// Told when a worker takes a chunk of tasks, with each task's tag (what
    /// the owner gave `submit` with it), in queue order.
    fn claimed(&self, tags: &mut dyn Iterator<Item = u64>);
    /// Asked by the worker watching a deadline the owner left to the pool
    /// ([`Pool::delegate`]) once that deadline has come: submit what is due
    /// at `now` (using `batch` as scratch), and say when the next deadline
    /// is.
    fn take_due(this: &Arc<Self>, now: Instant, batch: &mut Vec<Tagged>) -> Option<Instant>
    where
        Self: Sized;
}

/// A task and the owner's tag for it (for a group: its deadline tick).
pub(crate) type Tagged = (u64, Task);

#[derive(Debug)]
pub(crate) struct Pool {
    queue: Mutex<Queue>,
    /// Idle workers wait here for tasks (and for room under the cap).
    work_arrived: Condvar,
    /// Tasks whose wait for their group is over wait here for room.
    room_freed: Condvar,
    max_workers: usize,
    keep_alive: Duration,
    /// Each worker's timer slack (see `sync::set_timer_slack`).
    timer_slack: Duration,
    /// Workers counted in `Queue::workers` whose threads are not started
    /// yet: [`Pool::start_counted`] starts them once its caller holds no
    /// lock.
    to_start: AtomicUsize,
}

#[derive(Debug, Default)]
struct Queue {
    tasks: VecDeque<Tagged>,
    workers: usize,
    idle: usize,
    /// Workers holding a chunk of tasks, from taking it until it is done
    /// (blocked ones included). Tasks run inline count too.
    busy: usize,
    /// Of the busy workers, those whose task is blocked waiting for its own
    /// group. They do not count against the cap.
    blocked: usize,
    /// Of the blocked, those whose wait is over and that wait for room to
    /// go on; they are served before any new chunk is taken.
    resuming: usize,
    shut_down: bool,
    /// Every live worker's claim (see [`Claim`]).
    claims: Vec<Claim>,
    /// The next deadline the owner left to the idle workers to wake for
    /// (see [`Pool::delegate`]).
    watch: Option<Instant>,
    /// An idle worker is waiting for `watch`.
    watched: bool,
}

impl Queue {
    /// How many more workers may start running tasks under a cap of `max`.
    fn room(&self, max: usize) -> usize {
        debug_assert!(self.blocked <= self.busy && self.resuming <= self.blocked);
        let running = self.busy - self.blocked;
        max.saturating_sub(running + self.resuming)
    }
}

/// The tasks a worker took from the queue and has not started yet. A worker
/// takes a chunk at a time so that a burst costs one queue lock per chunk,
/// not per task; the chunk stays visible here so that an idle worker can
/// steal part of it (a slow task must not hold the rest of its chunk back)
/// and a stopping owner can take it back. Locked after the queue, never
/// before.
type Claim = Arc<Mutex<VecDeque<Tagged>>>;

impl Pool {
    pub(crate) fn new(max_workers: usize, keep_alive: Duration, timer_slack: Duration) -> Pool {
        Pool {
            queue: Mutex::new(Queue::default()),
            work_arrived: Condvar::new(),
            room_freed: Condvar::new(),
            max_workers: max_workers.max(1),
            keep_alive,
            timer_slack,
            to_start: AtomicUsize::new(0),
        }
    }

    /// Queues a whole batch under one lock and wakes workers for it, or
    /// counts the ones to start ([`Pool::start_counted`] starts them: call
    /// it once no lock is held), leaving `batch` empty (its allocation is
    /// kept for the next one). A pool that was shut down takes nothing: the
    /// batch is left as it is, for the owner to discard.
    pub(crate) fn submit(&self, batch: &mut Vec<Tagged>) {
        if batch.is_empty() {
            return;
        }
        let mut queue = self.queue.lock();
        if queue.shut_down {
            return;
        }
        queue.tasks.extend(batch.drain(..));
        self.wake_or_spawn(queue);
    }

    /// Offers to wake for `deadline` in the owner's place: if a worker is
    /// idle and would still be alive then, the one that watches wakes at
    /// `deadline` and takes what is due itself ([`Owner::take_due`]), so
    /// the first due task starts after one thread's wake-up rather than
    /// two (the owner's, then a worker's), and a run of close deadlines
    /// costs the watcher's wake-ups only. If it is taken, the owner need only
    /// look again later, in case the watcher is busy when the deadline
    /// comes.
    ///
    /// With no worker alive at all (the owner was idle for a while), one
    /// is started [`WATCHER_LEAD`] before the deadline to watch it: starting
    /// a thread takes longer than waking one, and the first task after an
    /// idle spell would otherwise wait for it. Until then the owner is told
    /// to ask again, so that nothing is started for a deadline far away.
    pub(crate) fn delegate<O: Owner>(&self, owner: &Arc<O>, deadline: Instant) -> Delegation {
        let mut queue = self.queue.lock();
        let now = Instant::now();
        let alive_then = now
            .checked_add(self.keep_alive)
            .map_or(true, |end| deadline <= end);
        if queue.shut_down || !alive_then {
            return Delegation::Declined;
        }
        if queue.idle == 0 {
            if queue.workers > 0 || self.keep_alive < WATCHER_LEAD || !owner.may_start() {
                return Delegation::Declined;
            }
            if let Some(start) = deadline
                .checked_sub(WATCHER_LEAD)
                .filter(|&start| start > now)
            {
                return Delegation::AskAgainAt(start);
            }
            // The new worker finds nothing to run and `watch` set, and
            // watches it.
            queue.watch = Some(
                queue
                    .watch
                    .map_or(deadline, |watched| watched.min(deadline)),
            );
            queue.workers += 1;
            self.to_start.fetch_add(1, Ordering::SeqCst);
            drop(queue);
            return match self.start_counted(owner) {
                true => Delegation::Taken,
                false => Delegation::Declined,
            };
        }
        let sooner = queue.watch.map_or(true, |watched| deadline < watched);
        if sooner {
            queue.watch = Some(deadline);
        }
        if !queue.watched {
            self.work_arrived.notify_one();
        } else if sooner {
            // The watcher waits for a later deadline: every idle worker
            // looks again (rare: an earlier schedule while one watches).
            self.work_arrived.notify_all();
        }
        Delegation::Taken
    }

    /// Starts a worker thread, already counted in `Queue::workers`; `false`
    /// if the OS refused one.
    fn start_thread<O: Owner>(owner: &Arc<O>) -> bool {
        let worker_owner = Arc::clone(owner);
        thread::Builder::new()
            .name("schedgroup-worker".into())
            .spawn(move || worker_owner.pool().work(&worker_owner))
            .is_ok()
    }

    /// Makes sure queued tasks do not wait for a worker while one is idle
    /// or could be spawned: the owner's driver calls it whenever it wakes
    /// (see [`Pool::wake_or_spawn`] for why tasks may be left so).
    pub(crate) fn nudge<O: Owner>(&self, owner: &Arc<O>) {
        let queue = self.queue.lock();
        if !queue.tasks.is_empty() && !queue.shut_down {
            self.wake_or_spawn(queue);
            self.start_counted(owner);
        }
    }

    /// Starts the worker threads counted but not started (by
    /// [`Pool::wake_or_spawn`], and by [`Pool::delegate`] for a watcher): starting
    /// a thread took 0.1-0.6 ms on the development VM, too long to hold the
    /// pool's lock (every worker and the driver want it) or an owner's
    /// hand-off lock (a watcher taking due tasks waits for it) for. Those
    /// who count workers call it once they hold no lock. If the OS refuses
    /// every thread, the calling thread runs what is queued itself rather
    /// than strand it until some later batch finds a thread. `false` if the
    /// OS refused one.
    pub(crate) fn start_counted<O: Owner>(&self, owner: &Arc<O>) -> bool {
        if self.to_start.load(Ordering::SeqCst) == 0 {
            return true;
        }
        let count = self.to_start.swap(0, Ordering::SeqCst);
        for started in 0..count {
            if Self::start_thread(owner) {
                continue;
            }
            let mut queue = self.queue.lock();
            // The ones not started are not workers after all.
            queue.workers -= count - started;
            let stranded = queue.workers == 0 && !queue.tasks.is_empty();
            drop(queue);
            if stranded {
                self.run_queued_inline(&**owner);
            }
            return false;
        }
        true
    }

    /// Wakes idle workers for the queued tasks and counts more to start
    /// (see [`Pool::start_counted`]), within the room the cap leaves, for
    /// those the idle ones cannot take.
    ///
    /// A worker that submitted the tasks itself (a watcher whose deadline
    /// came) takes a share too. If it woke on time, it takes them on its
    /// own while they fit in one chunk, however many there are: waking
    /// another thread costs as much CPU as running several short tasks,
    /// and close deadlines come in small batches. If one of them is slow,
    /// the rest wait in the queue only until the driver's next look
    /// ([`Pool::nudge`], at most a fallback interval after the deadline),
    /// which wakes an idle worker for them. A watcher that woke late (the
    /// machine is busy, or it was) shares them out at once instead.
    fn wake_or_spawn(&self, mut queue: MutexGuard<'_, Queue>) {
        let mut startable = queue.tasks.len().min(queue.room(self.max_workers));
        // Workers neither idle nor busy (starting, between two chunks, or a
        // watcher handing over what came due) look at the queue before they
        // wait again: each will take a share without being woken, so none
        // is spawned in its place.
        let mut looking = queue.workers.saturating_sub(queue.busy + queue.idle);
        match SUBMITTING_WORKER.with(Cell::get) {
            Submitter::Driver => {}
            Submitter::WatcherOnTime if queue.tasks.len() <= MAX_CHUNK => startable = 0,
            Submitter::WatcherOnTime | Submitter::WatcherLate => {
                // The submitting watcher is one of the lookers: counted here.
                startable = startable.saturating_sub(1);
                looking = looking.saturating_sub(1);
            }
        }
        let woken = startable.min(queue.idle);
        if woken > 0 && woken == queue.idle {
            self.work_arrived.notify_all();
        } else {
            for _ in 0..woken {
                self.work_arrived.notify_one();
            }
        }
        // New threads only for what neither the woken nor the looking
        // workers take, and only while the live workers that are not
        // blocked stay within the cap.
        let live = queue.workers.saturating_sub(queue.blocked) + queue.resuming;
        let spawn = (startable - woken)
            .saturating_sub(looking)
            .min(self.max_workers.saturating_sub(live));
        // Counted now, so that the next decision sees them; started by the
        // caller's `start_counted`, outside the locks.
        queue.workers += spawn;
        self.to_start.fetch_add(spawn, Ordering::SeqCst);
    }

    /// The calling task is about to block until its own group is idle:
    /// hands the tasks this worker claimed back to the queue (they would
    /// otherwise wait behind the blocked task) and lets another worker take
    /// this one's place under the cap. Undo with [`Pool::unblock`].
    pub(crate) fn block<O: Owner>(&self, owner: &Arc<O>) {
        let claimed: Vec<Tagged> = MY_CLAIM.with(|mine| match &*mine.borrow() {
            Some(claim) => claim.lock().drain(..).collect(),
            None => Vec::new(),
        });
        let mut queue = self.queue.lock();
        queue.blocked += 1;
        for task in claimed.into_iter().rev() {
            queue.tasks.push_front(task);
        }
        self.room_freed.notify_all();
        self.wake_or_spawn(queue);
        self.start_counted(owner);
    }

    /// The task that called [`Pool::block`] goes on: it waits until the cap
    /// leaves room for it, then counts again.
    pub(crate) fn unblock(&self) {
        let mut queue = self.queue.lock();
        queue.resuming += 1;
        while queue.busy - queue.blocked >= self.max_workers {
            self.room_freed.wait(&mut queue);
        }
        queue.resuming -= 1;
        queue.blocked -= 1;
    }

    /// Stops the pool: idle workers exit, busy ones exit after their chunk.
    /// Returns the tasks not started, for the owner to drop and account for
    /// outside any lock.
    pub(crate) fn shut_down(&self) -> Vec<Tagged> {
        let mut queue = self.queue.lock();
        queue.shut_down = true;
        self.work_arrived.notify_all();
        Self::drain_unstarted(&mut queue)
    }

    /// Takes back every task not yet started: queued, or claimed by a
    /// worker (the owner stopped).
    pub(crate) fn take_unstarted(&self) -> Vec<Tagged> {
        Self::drain_unstarted(&mut self.queue.lock())
    }

    fn drain_unstarted(queue: &mut Queue) -> Vec<Tagged> {
        let mut unstarted: Vec<Tagged> = queue.tasks.drain(..).collect();
        for claim in &queue.claims {
            unstarted.extend(claim.lock().drain(..));
        }
        unstarted
    }

    /// Runs the queued tasks on the calling thread (no worker could be
    /// created), counting it as a busy worker meanwhile.
    fn run_queued_inline<O: Owner + ?Sized>(&self, owner: &O) {
        loop {
            let task = {
                let mut queue = self.queue.lock();
                if !owner.may_start() {
                    return;
                }
                let task = queue.tasks.pop_front();
                queue.busy += usize::from(task.is_some());
                task
            };
            let Some((_, task)) = task else { return };
            run_one(owner, task);
            self.queue.lock().busy -= 1;
            self.room_freed.notify_all();
            owner.finished(1);
        }
    }
}

thread_local! {
    /// The address of the owner whose task this thread is running, or 0.
    static RUNNING_TASK_OF: Cell<usize> = const { Cell::new(0) };
    /// This worker's claim, for `block` to hand back.
    static MY_CLAIM: RefCell<Option<Claim>> = const { RefCell::new(None) };
    /// Who is submitting a batch on this thread: a worker whose watch came
    /// (it will take a share itself) or not.
    static SUBMITTING_WORKER: Cell<Submitter> = const { Cell::new(Submitter::Driver) };
}

/// Who submits a batch (see [`Pool::wake_or_spawn`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Submitter {
    /// The owner's driver, or anyone that is not one of its workers.
    Driver,
    /// A worker whose watched deadline came, and that woke on time.
    WatcherOnTime,
    /// A worker whose watched deadline came, and that woke late.
    WatcherLate,
}

/// Whether the calling thread is in the middle of running one of `owner`'s
/// tasks (so that, for instance, waiting for all of them would wait for
/// itself).
pub(crate) fn runs_task_of<O: Owner + ?Sized>(owner: &O) -> bool {
    RUNNING_TASK_OF.with(|running| running.get() == owner_address(owner))
}

fn owner_address<O: ?Sized>(owner: &O) -> usize {
    owner as *const O as *const () as usize
}

/// Runs one task; a panic is reported to the owner and goes no further.
fn run_one<O: Owner + ?Sized>(owner: &O, task: Task) {
    // Saved and restored rather than cleared: the inline fallback may run a
    // task on a thread that is itself inside another owner's task.
    let outer = RUNNING_TASK_OF.with(|running| running.replace(owner_address(owner)));
    let result = catch_unwind(AssertUnwindSafe(|| task.run()));
    RUNNING_TASK_OF.with(|running| running.set(outer));
    if let Err(payload) = result {
        owner.panicked(payload);
    }
}

#[cfg(all(test, not(feature = "loom")))]
mod tests;
