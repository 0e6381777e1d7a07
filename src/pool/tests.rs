//! The pool's contract with its owner, with an owner that only records
//! what it is told (the group's own tests cover the pool only through
//! the scheduler, where some of these paths are hard to reach on purpose).

use std::time::Instant;

use super::*;
use crate::sync::{AtomicBool, AtomicUsize, Ordering};

struct Recorder {
    pool: Pool,
    allow: AtomicBool,
    finished: AtomicUsize,
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
    fn finished(&self, count: usize) {
        self.finished.fetch_add(count, Ordering::SeqCst);
    }
    fn claimed(&self, _tags: &mut dyn Iterator<Item = u64>) {}
    fn take_due(_this: &Arc<Self>, _now: Instant, _batch: &mut Vec<Tagged>) -> Option<Instant> {
        None
    }
}

fn recorder(max_workers: usize) -> Arc<Recorder> {
    Arc::new(Recorder {
        pool: Pool::new(
            max_workers,
            Duration::from_secs(60),
            Duration::from_micros(20),
        ),
        allow: AtomicBool::new(true),
        finished: AtomicUsize::new(0),
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
fn a_task_the_owner_refuses_stays_unstarted_until_taken_back() {
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
    owner.pool.submit(&mut batch);
    owner.pool.start_counted(&owner);
    assert!(batch.is_empty());
    // Whatever the workers do meanwhile, nothing starts and nothing is lost.
    thread::sleep(Duration::from_millis(20));
    let unstarted = owner.pool.take_unstarted();
    assert_eq!(unstarted.len(), 5, "a refused task went missing");
    assert_eq!(runs.load(Ordering::SeqCst), 0, "a refused task ran");
    assert_eq!(drops.load(Ordering::SeqCst), 0, "the pool dropped a task");
    drop(unstarted);
    assert_eq!(drops.load(Ordering::SeqCst), 5);
    assert_eq!(owner.finished.load(Ordering::SeqCst), 0);
    owner.pool.shut_down();
}

#[test]
fn a_shut_down_pool_leaves_a_batch_to_its_owner() {
    let owner = recorder(2);
    assert!(owner.pool.shut_down().is_empty());
    let ran = Arc::new(AtomicUsize::new(0));
    let mut batch: Vec<Tagged> = vec![(0, counting(&ran))];
    owner.pool.submit(&mut batch);
    owner.pool.start_counted(&owner);
    assert_eq!(batch.len(), 1);
    assert_eq!(ran.load(Ordering::SeqCst), 0);
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
    owner.pool.submit(&mut batch);
    owner.pool.start_counted(&owner);
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
    owner.pool.submit(&mut batch);
    owner.pool.start_counted(&owner);
    assert!(eventually(|| owner.finished.load(Ordering::SeqCst) == 4));
    assert_eq!(owner.panics.load(Ordering::SeqCst), 1);
    assert_eq!(ran.load(Ordering::SeqCst), 3);
    owner.pool.shut_down();
}

#[test]
fn with_no_worker_alive_one_is_started_shortly_before_a_deadline_to_watch_it() {
    let owner = recorder(4);
    let far = Instant::now() + Duration::from_secs(30);
    // Far away: nothing is started, the driver is to ask again in time.
    assert_eq!(
        owner.pool.delegate(&owner, far),
        Delegation::AskAgainAt(far - WATCHER_LEAD)
    );
    assert_eq!(owner.pool.queue.lock().workers, 0);
    // Close: a worker is started, and it watches the deadline.
    let soon = Instant::now() + WATCHER_LEAD / 2;
    assert_eq!(owner.pool.delegate(&owner, soon), Delegation::Taken);
    assert_eq!(owner.pool.queue.lock().workers, 1);
    // Counted under the lock, started after it, before `delegate` returned.
    assert_eq!(owner.pool.to_start.load(Ordering::SeqCst), 0);
    assert!(eventually(|| {
        let queue = owner.pool.queue.lock();
        queue.watched || queue.watch.is_none()
    }));
    // Once it is alive (idle, or watching), it is the one asked.
    let later = Instant::now() + Duration::from_secs(20);
    assert_eq!(owner.pool.delegate(&owner, later), Delegation::Taken);
    assert_eq!(owner.pool.queue.lock().workers, 1);
    owner.pool.shut_down();
}

#[test]
fn no_worker_is_started_ahead_when_it_would_retire_before_the_deadline() {
    let owner = Arc::new(Recorder {
        pool: Pool::new(4, WATCHER_LEAD / 4, Duration::from_micros(20)),
        allow: AtomicBool::new(true),
        finished: AtomicUsize::new(0),
        panics: AtomicUsize::new(0),
    });
    let soon = Instant::now() + WATCHER_LEAD / 2;
    assert_eq!(owner.pool.delegate(&owner, soon), Delegation::Declined);
    assert_eq!(owner.pool.queue.lock().workers, 0);
}

#[test]
fn a_worker_about_to_look_at_the_queue_is_not_replaced_by_a_new_thread() {
    let owner = recorder(4);
    // A worker neither idle nor busy: starting up, or between two chunks.
    // (Here a stand-in that never comes: the queue is taken back below.)
    owner.pool.queue.lock().workers += 1;
    let ran = Arc::new(AtomicUsize::new(0));
    let mut batch = vec![(1, counting(&ran))];
    owner.pool.submit(&mut batch);
    owner.pool.start_counted(&owner);
    assert_eq!(
        owner.pool.queue.lock().workers,
        1,
        "a thread was started for a task the looking worker takes"
    );
    // Two tasks: one for it, one more thread for the other.
    let mut batch = vec![(2, counting(&ran))];
    owner.pool.submit(&mut batch);
    owner.pool.start_counted(&owner);
    assert_eq!(owner.pool.queue.lock().workers, 2);
    assert!(eventually(|| ran.load(Ordering::SeqCst) >= 1));
    owner.pool.queue.lock().workers -= 1;
    drop(owner.pool.shut_down());
}

#[test]
fn a_submit_counts_the_threads_it_needs_and_starts_none() {
    let owner = recorder(2);
    let ran = Arc::new(AtomicUsize::new(0));
    let mut batch: Vec<Tagged> = (0..3).map(|tag| (tag, counting(&ran))).collect();
    // A submit happens under its owner's hand-off lock, which a watcher
    // taking due tasks waits for: it must not start threads there.
    owner.pool.submit(&mut batch);
    assert_eq!(owner.pool.to_start.load(Ordering::SeqCst), 2);
    assert_eq!(
        owner.pool.queue.lock().workers,
        2,
        "counted, so the cap holds"
    );
    assert_eq!(ran.load(Ordering::SeqCst), 0, "no thread was started");
    owner.pool.start_counted(&owner);
    assert_eq!(owner.pool.to_start.load(Ordering::SeqCst), 0);
    assert!(eventually(|| ran.load(Ordering::SeqCst) == 3));
    // Nothing left to start: a second call does nothing.
    owner.pool.start_counted(&owner);
    assert_eq!(owner.pool.queue.lock().workers, 2);
}
