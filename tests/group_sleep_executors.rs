//! `Group::sleep` under executors: tokio (current-thread and multi-thread),
//! `futures::executor::block_on`, and a hand-written thread-parking one.
//!
//! In real time the only timing bound is "never early"; the parking
//! executor is also checked on a `ManualClock`.

// Builds groups: under `--features loom` their threads and locks are loom's,
// which work only inside a loom model (`loom-tests/` has those).
#![cfg(not(feature = "loom"))]

mod support;

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use schedgroup::{Error, Group, ManualClock};
use support::{advance, within, STEP_TIMEOUT};

const MS: Duration = Duration::from_millis(1);
const HOUR: Duration = Duration::from_secs(3600);

// ===========================================================================
// A hand-written executor: poll, park the thread until woken, poll again
// ===========================================================================

struct ThreadWaker {
    thread: Thread,
    wakes: AtomicUsize,
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
        self.thread.unpark();
    }
}

/// Runs `future` to completion on this thread; returns its output, how many
/// times it was polled and how many times it was woken. Panics if it takes
/// longer than [`STEP_TIMEOUT`].
fn park_on<F: Future>(future: F) -> (F::Output, usize, usize) {
    let mut future = pin!(future);
    let state = Arc::new(ThreadWaker {
        thread: thread::current(),
        wakes: AtomicUsize::new(0),
    });
    let waker = Waker::from(state.clone());
    let mut cx = Context::from_waker(&waker);
    let give_up = Instant::now() + STEP_TIMEOUT;
    let mut polls = 0;
    loop {
        polls += 1;
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return (output, polls, state.wakes.load(Ordering::SeqCst));
        }
        // Parking may end spuriously: then we just poll again.
        let left = give_up
            .checked_duration_since(Instant::now())
            .expect("hang: the future was never woken");
        thread::park_timeout(left);
    }
}

/// The hand-written executor parks until the group's worker wakes it, which
/// happens only when `advance` reaches the deadline. (The clock moves only
/// once the executor has polled, so its waker is registered.)
#[test]
fn a_parking_executor_sleeps_until_the_manual_deadline() {
    let clock = ManualClock::new();
    let group = Group::builder().clock(clock.clone()).build();
    let mut sleep = group.sleep(500 * MS);
    let (polled_tx, polled_rx) = mpsc::channel();
    let mut polled_tx = Some(polled_tx);
    let future = std::future::poll_fn(move |cx| {
        let poll = Pin::new(&mut sleep).poll(cx);
        if let Some(tx) = polled_tx.take() {
            tx.send(poll.is_pending()).unwrap();
        }
        poll
    });
    let executor = thread::spawn(move || park_on(future));
    let first = polled_rx.recv_timeout(STEP_TIMEOUT).expect("never polled");
    assert!(first, "ready before the clock moved");
    advance(&clock, 499 * MS);
    thread::sleep(20 * MS);
    assert!(!executor.is_finished(), "completed before its deadline");
    advance(&clock, MS);
    let (slept, polls, wakes) = within("the executor", STEP_TIMEOUT, move || {
        executor.join().unwrap()
    });
    assert_eq!(slept, Ok(()));
    assert_eq!(wakes, 1);
    assert!(polls >= 2);
}

/// Woken exactly once if the first poll found it pending (which it does
/// unless this thread stalled for the whole 30 ms in between).
#[test]
fn completes_under_a_hand_written_executor() {
    let group = Group::new();
    let start = Instant::now();
    let (slept, polls, wakes) = within("park_on", STEP_TIMEOUT, move || {
        park_on(group.sleep(30 * MS))
    });
    assert_eq!(slept, Ok(()));
    assert!(start.elapsed() >= 30 * MS, "woke early");
    assert_eq!(wakes, usize::from(polls > 1), "{polls} polls");
}

// ===========================================================================
// Library executors, in real time
// ===========================================================================

#[test]
fn completes_under_futures_block_on() {
    let group = Group::new();
    let start = Instant::now();
    let g = group.clone();
    within("block_on", STEP_TIMEOUT, move || {
        assert_eq!(futures::executor::block_on(g.sleep(20 * MS)), Ok(()));
        assert_eq!(futures::executor::block_on(g.sleep(Duration::ZERO)), Ok(()));
    });
    assert!(start.elapsed() >= 20 * MS, "woke early");
    assert_eq!(group.stats().fired, 2);
}

#[tokio::test]
async fn completes_under_tokio_current_thread() {
    let group = Group::new();
    let start = Instant::now();
    let slept = tokio::time::timeout(STEP_TIMEOUT, group.sleep(20 * MS)).await;
    assert_eq!(slept.expect("hang"), Ok(()));
    assert!(start.elapsed() >= 20 * MS, "woke early");
    // Many at once on the one thread.
    let sleeps = (0..200u32).map(|i| {
        let delay = Duration::from_micros(u64::from(i) * 250);
        // Read before `sleep` reads the clock: a lower bound of its start.
        let before = Instant::now();
        let sleep = group.sleep(delay);
        async move {
            assert_eq!(sleep.await, Ok(()));
            assert!(before.elapsed() >= delay, "woke early");
        }
    });
    tokio::time::timeout(STEP_TIMEOUT, futures::future::join_all(sleeps))
        .await
        .expect("hang");
    assert_eq!(group.len(), 0);
    assert_eq!(group.stats().fired, 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completes_under_tokio_multi_thread() {
    let group = Group::new();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..2000u64 {
        let delay = Duration::from_micros(i * 47 % 100_000);
        let before = Instant::now();
        let sleep = group.sleep(delay);
        tasks.spawn(async move {
            assert_eq!(sleep.await, Ok(()));
            assert!(before.elapsed() >= delay, "woke early");
        });
    }
    let all = async {
        while let Some(joined) = tasks.join_next().await {
            joined.unwrap();
        }
    };
    tokio::time::timeout(STEP_TIMEOUT, all).await.expect("hang");
    assert_eq!(group.len(), 0);
    assert_eq!(group.stats().fired, 2000);
}

/// The `select!` pattern: the timeout branch wins, the sleep is dropped,
/// and its timer is canceled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_a_select_cancels_the_timer() {
    let group = Group::new();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let sleep = group.sleep(HOUR);
        tasks.spawn(async move {
            tokio::select! {
                _ = sleep => false,
                _ = tokio::time::sleep(10 * MS) => true,
            }
        });
    }
    let all = async {
        let mut timeouts = 0;
        while let Some(joined) = tasks.join_next().await {
            timeouts += usize::from(joined.unwrap());
        }
        timeouts
    };
    let timeouts = tokio::time::timeout(STEP_TIMEOUT, all).await.expect("hang");
    assert_eq!(timeouts, 100);
    assert_eq!(group.len(), 0, "abandoned sleeps left timers pending");
    let stats = group.stats();
    assert_eq!((stats.fired, stats.canceled), (0, 100));
}

/// A `select!` between a sleep and nothing else that will ever complete:
/// canceling (or dropping) the group completes the sleep, so the select
/// ends instead of hanging. On tokio and on `block_on`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_select_on_a_sleep_ends_when_the_group_stops() {
    let group = Group::new();
    let sleep = group.sleep(HOUR);
    let canceler = group.clone();
    tokio::spawn(async move {
        tokio::time::sleep(20 * MS).await;
        canceler.cancel();
    });
    let outcome = tokio::time::timeout(STEP_TIMEOUT, async {
        tokio::select! {
            slept = sleep => slept,
            _ = std::future::pending::<()>() => unreachable!(),
        }
    })
    .await
    .expect("hang: the sleep never completed after the cancel");
    assert_eq!(outcome, Err(Error::Canceled));

    let group = Group::new();
    let sleep = group.sleep(HOUR);
    let outcome = within("block_on", STEP_TIMEOUT, move || {
        let dropper = thread::spawn(move || {
            thread::sleep(20 * MS);
            drop(group);
        });
        let outcome = futures::executor::block_on(sleep);
        dropper.join().unwrap();
        outcome
    });
    assert_eq!(outcome, Err(Error::Canceled));
}
