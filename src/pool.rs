//! Runs fired tasks on worker threads that exist only while there is work.
//!
//! No worker exists before the first batch arrives. A batch spawns workers
//! only for the tasks that idle workers cannot take, never more than the
//! concurrency cap, and a worker that finds nothing to do for `keep_alive`
//! exits. Each task runs under `catch_unwind`, so a panicking task costs its
//! worker nothing. The pool knows nothing of the wheel: its owner decides
//! whether a task may still start and hears how each one ended.

use std::any::Any;
use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use std::cell::{Cell, RefCell};

use crate::sync::{thread, thread_local, Arc, Condvar, Mutex, MutexGuard};
use crate::task::Task;

/// What the pool needs from whoever owns it.
pub(crate) trait Owner: Send + Sync + 'static {
    fn pool(&self) -> &Pool;
    /// Asked right before each task starts; `false` drops it unrun.
    fn may_start(&self) -> bool;
    /// Told as soon as a task panics (the payload, for its message).
    fn panicked(&self, payload: Box<dyn Any + Send>);
    /// Told once `count` tasks handed to the pool are over, whatever became
    /// of them; `dropped` of them were dropped unrun because `may_start`
    /// said no. Workers settle whole chunks at once, so this is not called
    /// once per task.
    fn finished(&self, count: usize, dropped: usize);
    /// Told when a worker takes a chunk of tasks, with each task's tag (what
    /// the owner gave `submit` with it), in queue order.
    fn claimed(&self, tags: &mut dyn Iterator<Item = u64>);
}

/// A task and the owner's tag for it (for a group: its deadline tick).
pub(crate) type Tagged = (u64, Task);

/// Most tasks a worker takes from the queue per lock. Small enough that a
/// slow task delays few others; large enough that a million-task burst
/// takes the queue lock ~16k times instead of a million.
const MAX_CHUNK: usize = 64;

#[derive(Debug)]
pub(crate) struct Pool {
    queue: Mutex<Queue>,
    work_arrived: Condvar,
    max_workers: usize,
    keep_alive: Duration,
}

#[derive(Debug, Default)]
struct Queue {
    tasks: VecDeque<Tagged>,
    workers: usize,
    idle: usize,
    /// Workers whose task is blocked waiting for its own group. They do not
    /// count against the cap, or a capped pool whose running tasks all wait
    /// for queued ones would never run those.
    blocked: usize,
    shut_down: bool,
    /// Every live worker's claim (see [`Claim`]).
    claims: Vec<Claim>,
}

/// The tasks a worker took from the queue and has not started yet. A worker
/// takes a chunk at a time so that a burst costs one queue lock per chunk,
/// not per task; the chunk stays visible here so that an idle worker can
/// steal part of it (a slow task must not hold the rest of its chunk back)
/// and a stopping owner can drop it. Locked after the queue, never before.
type Claim = Arc<Mutex<VecDeque<Tagged>>>;

impl Pool {
    pub(crate) fn new(max_workers: usize, keep_alive: Duration) -> Pool {
        Pool {
            queue: Mutex::new(Queue::default()),
            work_arrived: Condvar::new(),
            max_workers: max_workers.max(1),
            keep_alive,
        }
    }

    /// Queues a whole batch under one lock and wakes or spawns workers for
    /// it. Leaves `batch` empty (its allocation is kept for the next one).
    pub(crate) fn submit<O: Owner>(&self, owner: &Arc<O>, batch: &mut Vec<Tagged>) {
        if batch.is_empty() {
            return;
        }
        let mut queue = self.queue.lock();
        if queue.shut_down {
            drop(queue);
            let count = batch.len();
            batch.clear();
            owner.finished(count, count);
            return;
        }
        queue.tasks.extend(batch.drain(..));
        self.wake_or_spawn(owner, queue);
    }

    /// Wakes idle workers for the queued tasks and spawns more, up to the
    /// cap, for those the idle ones cannot take.
    fn wake_or_spawn<O: Owner>(&self, owner: &Arc<O>, mut queue: MutexGuard<'_, Queue>) {
        let waiting = queue.tasks.len();
        if queue.idle > 0 {
            if waiting >= queue.idle {
                self.work_arrived.notify_all();
            } else {
                for _ in 0..waiting {
                    self.work_arrived.notify_one();
                }
            }
        }
        let wanted = waiting.saturating_sub(queue.idle);
        let active = queue.workers - queue.blocked;
        let room = self.max_workers.saturating_sub(active);
        for _ in 0..wanted.min(room) {
            let worker_owner = Arc::clone(owner);
            let spawned = thread::Builder::new()
                .name("schedgroup-worker".into())
                .spawn(move || worker_owner.pool().work(&*worker_owner));
            match spawned {
                Ok(_) => queue.workers += 1,
                Err(_) => break,
            }
        }
        if queue.workers == 0 {
            // The OS refused every thread: rather than strand the batch
            // until some later batch finds a thread, run it here.
            drop(queue);
            self.run_queued_inline(&**owner);
        }
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
        self.wake_or_spawn(owner, queue);
    }

    /// The task that called [`Pool::block`] is running again.
    pub(crate) fn unblock(&self) {
        self.queue.lock().blocked -= 1;
    }

    /// Stops the pool: idle workers exit, busy ones exit after their task.
    /// Returns the tasks that were queued but not started, for the owner to
    /// drop and account for outside any lock.
    pub(crate) fn shut_down(&self) -> Vec<Tagged> {
        let mut queue = self.queue.lock();
        queue.shut_down = true;
        self.work_arrived.notify_all();
        Self::drain_unstarted(&mut queue)
    }

    /// Takes the queued, unstarted tasks (the group was cancelled).
    pub(crate) fn take_queued(&self) -> Vec<Tagged> {
        Self::drain_unstarted(&mut self.queue.lock())
    }

    /// Every task not yet started: queued, or claimed by a worker.
    fn drain_unstarted(queue: &mut Queue) -> Vec<Tagged> {
        let mut unstarted: Vec<Tagged> = queue.tasks.drain(..).collect();
        for claim in &queue.claims {
            unstarted.extend(claim.lock().drain(..));
        }
        unstarted
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

    /// A worker thread's whole life.
    fn work<O: Owner + ?Sized>(&self, owner: &O) {
        let mine: Claim = Arc::new(Mutex::new(VecDeque::new()));
        MY_CLAIM.with(|slot| *slot.borrow_mut() = Some(Arc::clone(&mine)));
        let mut queue = self.queue.lock();
        queue.claims.push(Arc::clone(&mine));
        loop {
            let took = if !queue.tasks.is_empty() {
                // A fair share, so that the other workers get work too.
                let share = (queue.tasks.len() / (2 * queue.workers)).clamp(1, MAX_CHUNK);
                let mut claim = mine.lock();
                claim.extend(queue.tasks.drain(..share));
                drop(queue);
                owner.claimed(&mut claim.iter().map(|&(tag, _)| tag));
                true
            } else {
                let stole = Self::steal(&queue, &mine);
                drop(queue);
                stole
            };
            if took {
                let (mut over, mut dropped) = (0, 0);
                // One at a time, so that thieves, a stopping owner and
                // `block` can take what has not started.
                loop {
                    let next = mine.lock().pop_front();
                    let Some((_, task)) = next else { break };
                    dropped += usize::from(!run_one(owner, task));
                    over += 1;
                }
                owner.finished(over, dropped);
                queue = self.queue.lock();
                continue;
            }
            queue = self.queue.lock();
            if !queue.tasks.is_empty() {
                continue;
            }
            if queue.shut_down {
                break;
            }
            queue.idle += 1;
            // A keep-alive too long to add to now (Duration::MAX) means
            // "never exit while the pool lives".
            let deadline = Instant::now().checked_add(self.keep_alive);
            let timed_out = self.work_arrived.wait_until(&mut queue, deadline);
            queue.idle -= 1;
            if timed_out && queue.tasks.is_empty() && !Self::any_claimed(&queue, &mine) {
                break;
            }
        }
        queue.claims.retain(|claim| !Arc::ptr_eq(claim, &mine));
        queue.workers -= 1;
        drop(queue);
        MY_CLAIM.with(|slot| slot.borrow_mut().take());
    }

    /// Whether another worker holds claimed tasks (worth staying for).
    fn any_claimed(queue: &Queue, mine: &Claim) -> bool {
        queue
            .claims
            .iter()
            .any(|claim| !Arc::ptr_eq(claim, mine) && !claim.lock().is_empty())
    }

    fn run_queued_inline<O: Owner + ?Sized>(&self, owner: &O) {
        loop {
            let task = self.queue.lock().tasks.pop_front();
            match task {
                Some((_, task)) => {
                    let dropped = usize::from(!run_one(owner, task));
                    owner.finished(1, dropped);
                }
                None => return,
            }
        }
    }
}

thread_local! {
    /// The address of the owner whose task this thread is running, or 0.
    static RUNNING_TASK_OF: Cell<usize> = const { Cell::new(0) };
    /// This worker's claim, for `block` to hand back.
    static MY_CLAIM: RefCell<Option<Claim>> = const { RefCell::new(None) };
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

/// Runs (or, if the owner refuses, drops) one task; a panic is reported to
/// the owner and goes no further. Returns whether it was started.
fn run_one<O: Owner + ?Sized>(owner: &O, task: Task) -> bool {
    let started = owner.may_start();
    let result = if started {
        // Saved and restored rather than cleared: the inline fallback may run
        // a task on a thread that is itself inside another owner's task.
        let outer = RUNNING_TASK_OF.with(|running| running.replace(owner_address(owner)));
        let result = catch_unwind(AssertUnwindSafe(|| task.run()));
        RUNNING_TASK_OF.with(|running| running.set(outer));
        result
    } else {
        // A closure's captures may panic in Drop; that must not kill the
        // worker either.
        catch_unwind(AssertUnwindSafe(|| drop(task)))
    };
    if let Err(payload) = result {
        owner.panicked(payload);
    }
    started
}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    //! The pool's contract with its owner, with an owner that only records
    //! what it is told (the group's own tests cover the pool only through
    //! the scheduler, where some of these paths are hard to reach on purpose).

    use super::*;
    use crate::sync::{AtomicBool, AtomicUsize, Ordering};

    struct Recorder {
        pool: Pool,
        allow: AtomicBool,
        finished: AtomicUsize,
        dropped: AtomicUsize,
        panics: AtomicUsize,
    }

    impl Owner for Recorder {
        fn pool(&self) -> &Pool {
            &self.pool
        }
        fn may_start(&self) -> bool {
            self.allow.load(Ordering::SeqCst)
        }
        fn panicked(&self, _payload: Box<dyn Any + Send>) {
            self.panics.fetch_add(1, Ordering::SeqCst);
        }
        fn finished(&self, count: usize, dropped: usize) {
            self.dropped.fetch_add(dropped, Ordering::SeqCst);
            self.finished.fetch_add(count, Ordering::SeqCst);
        }
        fn claimed(&self, _tags: &mut dyn Iterator<Item = u64>) {}
    }

    fn recorder(max_workers: usize) -> Arc<Recorder> {
        Arc::new(Recorder {
            pool: Pool::new(max_workers, Duration::from_secs(60)),
            allow: AtomicBool::new(true),
            finished: AtomicUsize::new(0),
            dropped: AtomicUsize::new(0),
            panics: AtomicUsize::new(0),
        })
    }

    /// Polls `done` for up to a minute (a generous bound: only a broken pool
    /// takes that long).
    fn eventually(done: impl Fn() -> bool) -> bool {
        let give_up = Instant::now() + Duration::from_secs(60);
        while Instant::now() < give_up {
            if done() {
                return true;
            }
            thread::sleep(Duration::from_millis(1));
        }
        done()
    }

    /// A task that counts its run in `ran`.
    fn counting(ran: &Arc<AtomicUsize>) -> Task {
        let ran = Arc::clone(ran);
        Task::new(move || {
            ran.fetch_add(1, Ordering::SeqCst);
        })
    }

    /// Counts its drops.
    struct Flag(Arc<AtomicUsize>);

    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_task_the_owner_refuses_is_dropped_unrun_and_counted() {
        let owner = recorder(2);
        owner.allow.store(false, Ordering::SeqCst);
        let (runs, drops) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let mut batch: Vec<Tagged> = (0..5)
            .map(|tag| {
                let (runs, flag) = (Arc::clone(&runs), Flag(Arc::clone(&drops)));
                let task = Task::new(move || {
                    let _flag = flag;
                    runs.fetch_add(1, Ordering::SeqCst);
                });
                (tag, task)
            })
            .collect();
        owner.pool.submit(&owner, &mut batch);
        assert!(eventually(|| owner.finished.load(Ordering::SeqCst) == 5));
        assert_eq!(runs.load(Ordering::SeqCst), 0, "a refused task ran");
        assert_eq!(owner.dropped.load(Ordering::SeqCst), 5);
        assert_eq!(drops.load(Ordering::SeqCst), 5, "closures not dropped");
        owner.pool.shut_down();
    }

    #[test]
    fn a_slow_task_does_not_hold_back_the_rest_of_its_chunk() {
        // Two workers, one blocked by the first task until every other task
        // has run: whatever the first worker claimed behind it must be
        // stolen by the second.
        let owner = recorder(2);
        let others = 40;
        let ran = Arc::new(AtomicUsize::new(0));
        let blocked_ok = Arc::new(AtomicBool::new(false));
        let mut batch: Vec<Tagged> = Vec::new();
        let (ran_in, ok) = (Arc::clone(&ran), Arc::clone(&blocked_ok));
        batch.push((
            0,
            Task::new(move || {
                let all_ran = eventually(|| ran_in.load(Ordering::SeqCst) == others);
                ok.store(all_ran, Ordering::SeqCst);
            }),
        ));
        batch.extend((1..=others as u64).map(|tag| (tag, counting(&ran))));
        owner.pool.submit(&owner, &mut batch);
        assert!(eventually(
            || owner.finished.load(Ordering::SeqCst) == others + 1
        ));
        assert!(
            blocked_ok.load(Ordering::SeqCst),
            "tasks waited behind the slow one"
        );
        owner.pool.shut_down();
    }

    #[test]
    fn a_panicking_task_costs_its_worker_nothing() {
        let owner = recorder(1);
        let ran = Arc::new(AtomicUsize::new(0));
        let mut batch: Vec<Tagged> = vec![(0, Task::new(|| panic!("boom")))];
        batch.extend((1..=3).map(|tag| (tag, counting(&ran))));
        owner.pool.submit(&owner, &mut batch);
        assert!(eventually(|| owner.finished.load(Ordering::SeqCst) == 4));
        assert_eq!(owner.panics.load(Ordering::SeqCst), 1);
        assert_eq!(ran.load(Ordering::SeqCst), 3);
        owner.pool.shut_down();
    }
}
