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

use std::cell::Cell;

use crate::sync::{thread, thread_local, Arc, Condvar, Mutex};
use crate::task::Task;

/// How a task handed to the pool ended.
pub(crate) enum Outcome {
    Ran,
    Panicked(Box<dyn Any + Send>),
    /// The owner refused to start it (e.g. the group was cancelled); the
    /// closure was dropped unrun.
    Dropped,
}

/// What the pool needs from whoever owns it.
pub(crate) trait Owner: Send + Sync + 'static {
    fn pool(&self) -> &Pool;
    /// Asked right before each task starts; `false` drops it unrun.
    fn may_start(&self) -> bool;
    /// Told after each task handed to the pool, whatever became of it.
    fn finished(&self, outcome: Outcome);
}

#[derive(Debug)]
pub(crate) struct Pool {
    queue: Mutex<Queue>,
    work_arrived: Condvar,
    max_workers: usize,
    keep_alive: Duration,
}

#[derive(Debug, Default)]
struct Queue {
    tasks: VecDeque<Task>,
    workers: usize,
    idle: usize,
    shut_down: bool,
}

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
    pub(crate) fn submit<O: Owner>(&self, owner: &Arc<O>, batch: &mut Vec<Task>) {
        if batch.is_empty() {
            return;
        }
        let mut queue = self.queue.lock();
        if queue.shut_down {
            drop(queue);
            for task in batch.drain(..) {
                drop(task);
                owner.finished(Outcome::Dropped);
            }
            return;
        }
        queue.tasks.extend(batch.drain(..));
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
        let room = self.max_workers - queue.workers;
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

    /// Stops the pool: idle workers exit, busy ones exit after their task.
    /// Returns the tasks that were queued but not started, for the owner to
    /// drop and account for outside any lock.
    pub(crate) fn shut_down(&self) -> Vec<Task> {
        let mut queue = self.queue.lock();
        queue.shut_down = true;
        self.work_arrived.notify_all();
        queue.tasks.drain(..).collect()
    }

    /// Takes the queued, unstarted tasks (the group was cancelled).
    pub(crate) fn take_queued(&self) -> Vec<Task> {
        self.queue.lock().tasks.drain(..).collect()
    }

    /// A worker thread's whole life.
    fn work<O: Owner + ?Sized>(&self, owner: &O) {
        let mut queue = self.queue.lock();
        loop {
            if let Some(task) = queue.tasks.pop_front() {
                drop(queue);
                run_one(owner, task);
                queue = self.queue.lock();
                continue;
            }
            if queue.shut_down {
                break;
            }
            queue.idle += 1;
            // A keep-alive too long to add to now (Duration::MAX) means
            // "never exit while the pool lives".
            let timed_out = match Instant::now().checked_add(self.keep_alive) {
                Some(deadline) => self.work_arrived.wait_until(&mut queue, deadline),
                None => {
                    self.work_arrived.wait(&mut queue);
                    false
                }
            };
            queue.idle -= 1;
            if timed_out && queue.tasks.is_empty() {
                break;
            }
        }
        queue.workers -= 1;
    }

    fn run_queued_inline<O: Owner + ?Sized>(&self, owner: &O) {
        loop {
            let task = self.queue.lock().tasks.pop_front();
            match task {
                Some(task) => run_one(owner, task),
                None => return,
            }
        }
    }
}

thread_local! {
    /// The address of the owner whose task this thread is running, or 0.
    static RUNNING_TASK_OF: Cell<usize> = const { Cell::new(0) };
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

fn run_one<O: Owner + ?Sized>(owner: &O, task: Task) {
    let outcome = if owner.may_start() {
        // Saved and restored rather than cleared: the inline fallback may run
        // a task on a thread that is itself inside another owner's task.
        let outer = RUNNING_TASK_OF.with(|running| running.replace(owner_address(owner)));
        let result = catch_unwind(AssertUnwindSafe(|| task.run()));
        RUNNING_TASK_OF.with(|running| running.set(outer));
        match result {
            Ok(()) => Outcome::Ran,
            Err(payload) => Outcome::Panicked(payload),
        }
    } else {
        // A closure's captures may panic in Drop; that must not kill the
        // worker either.
        match catch_unwind(AssertUnwindSafe(|| drop(task))) {
            Ok(()) => Outcome::Dropped,
            Err(payload) => Outcome::Panicked(payload),
        }
    };
    owner.finished(outcome);
}
