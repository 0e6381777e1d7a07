//! `Group::sleep`: a future fired by the group's driver, under any executor.
//!
//! Completion and wake-ups are checked exactly on a `ManualClock` (with
//! counting wakers); the executors (tokio current-thread and multi-thread,
//! `futures::executor::block_on`, and a hand-written thread-parking one)
//! are checked in real time, where the only timing bound is "never early".

// Builds groups: under `--features loom` their threads and locks are loom's,
// which work only inside a loom model (`loom-tests/` has those).
#![cfg(not(feature = "loom"))]

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use schedgroup::{Error, Group, ManualClock, Sleep};

mod common;
use common::{advance, watchdog as within, PATIENCE as SOON};

const MS: Duration = Duration::from_millis(1);
const HOUR: Duration = Duration::from_secs(3600);

/// A waker that counts its wake-ups.
#[derive(Default)]
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting_waker() -> (Arc<CountingWaker>, Waker) {
    let counter = Arc::new(CountingWaker::default());
    let waker = Waker::from(counter.clone());
    (counter, waker)
}

fn wakes(counter: &CountingWaker) -> usize {
    counter.0.load(Ordering::SeqCst)
}

fn poll_with(sleep: &mut Sleep, waker: &Waker) -> Poll<Result<(), Error>> {
    Pin::new(sleep).poll(&mut Context::from_waker(waker))
}

// ===========================================================================
// A hand-written executor: poll, park the thread until woken, poll again.
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
/// longer than [`SOON`].
fn park_on<F: Future>(future: F) -> (F::Output, usize, usize) {
    let mut future = pin!(future);
    let state = Arc::new(ThreadWaker {
        thread: thread::current(),
        wakes: AtomicUsize::new(0),
    });
    let waker = Waker::from(state.clone());
    let mut cx = Context::from_waker(&waker);
    let give_up = Instant::now() + SOON;
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

// ===========================================================================
// Exact, on a manual clock.
// ===========================================================================

/// Pending until the clock reaches the deadline, not one nanosecond
/// earlier; then its waker is woken exactly once and it is ready (and stays
/// ready).
#[test]
fn completes_exactly_at_the_deadline_and_wakes_once() {
    let clock = ManualClock::new();
    let group = Group::builder().clock(clock.clone()).build();
    let mut sleep = group.sleep(500 * MS);
    let (counter, waker) = counting_waker();
    assert_eq!(poll_with(&mut sleep, &waker), Poll::Pending);
    assert_eq!(poll_with(&mut sleep, &waker), Poll::Pending);
    advance(&clock, 500 * MS - Duration::from_nanos(1));
    assert_eq!(wakes(&counter), 0, "woken early");
    assert_eq!(poll_with(&mut sleep, &waker), Poll::Pending);
    assert_eq!(group.len(), 1);
    advance(&clock, Duration::from_nanos(1));
    assert_eq!(wakes(&counter), 1);
    assert_eq!(poll_with(&mut sleep, &waker), Poll::Ready(Ok(())));
    assert_eq!(poll_with(&mut sleep, &waker), Poll::Ready(Ok(())));
    assert_eq!(wakes(&counter), 1);
    assert!(!sleep.is_orphaned());
}

/// A sleep moved between tasks: only the waker of the latest poll is woken.
#[test]
fn the_latest_waker_is_the_one_woken() {
    let clock = ManualClock::new();
    let group = Group::builder().clock(clock.clone()).build();
    let mut sleep = group.sleep(10 * MS);
    let (first, first_waker) = counting_waker();
    let (second, second_waker) = counting_waker();
    assert_eq!(poll_with(&mut sleep, &first_waker), Poll::Pending);
    assert_eq!(poll_with(&mut sleep, &second_waker), Poll::Pending);
    advance(&clock, 10 * MS);
    assert_eq!((wakes(&first), wakes(&second)), (0, 1));
    assert_eq!(poll_with(&mut sleep, &second_waker), Poll::Ready(Ok(())));
}

/// Dropping sleeps before they fire cancels their timers, polled or not:
/// `len()` goes back down and they count as canceled; the others still
/// complete.
#[test]
fn dropping_a_sleep_cancels_its_timer() {
    let clock = ManualClock::new();
    let group = Group::builder().clock(clock.clone()).build();
    let (counter, waker) = counting_waker();
    let mut sleeps: Vec<Sleep> = (0..100).map(|i| group.sleep(MS * (i + 1))).collect();
    for sleep in &mut sleeps[..60] {
        assert_eq!(poll_with(sleep, &waker), Poll::Pending);
    }
    assert_eq!(group.len(), 100);
    // Drop 30 polled and 40 unpolled ones; keep 30 polled ones.
    let kept: Vec<Sleep> = sleeps.drain(..30).collect();
    drop(sleeps);
    assert_eq!(group.len(), 30);
    assert_eq!(group.stats().canceled, 70);
    advance(&clock, 100 * MS);
    assert_eq!(wakes(&counter), 30, "a dropped sleep's waker was woken");
    for mut sleep in kept {
        assert_eq!(poll_with(&mut sleep, &waker), Poll::Ready(Ok(())));
    }
    let stats = group.stats();
    assert_eq!((stats.pending, stats.fired, stats.canceled), (0, 30, 70));
}

/// Dropping a sleep that already completed cancels nothing.
#[test]
fn dropping_a_completed_sleep_cancels_nothing() {
    let clock = ManualClock::new();
    let group = Group::builder().clock(clock.clone()).build();
    let sleep = group.sleep(MS);
    advance(&clock, MS);
    drop(sleep);
    let stats = group.stats();
    assert_eq!((stats.fired, stats.canceled), (1, 0));
}

/// Canceling (or dropping) the group orphans pending sleeps: they report
/// it, their waker is woken, and they complete with the group's stop
/// reason. Sleeps that completed are not orphaned; sleeps made after the
/// cancel are orphaned at once.
#[test]
fn group_cancel_orphans_pending_sleeps_and_completes_them() {
    let clock = ManualClock::new();
    let group = Group::builder().clock(clock.clone()).build();
    let mut done = group.sleep(MS);
    let mut pending = group.sleep(HOUR);
    let (counter, waker) = counting_waker();
    assert_eq!(poll_with(&mut pending, &waker), Poll::Pending);
    advance(&clock, MS);
    assert!(!pending.is_orphaned());
    group.cancel();
    assert!(pending.is_orphaned());
    assert_eq!(
        wakes(&counter),
        1,
        "an orphaned sleep's waker was not woken"
    );
    assert!(!done.is_orphaned(), "a completed sleep was orphaned");
    assert_eq!(poll_with(&mut done, &waker), Poll::Ready(Ok(())));
    assert_eq!(
        poll_with(&mut pending, &waker),
        Poll::Ready(Err(Error::Canceled))
    );
    let mut late = group.sleep(MS);
    assert!(late.is_orphaned());
    assert_eq!(
        poll_with(&mut late, &waker),
        Poll::Ready(Err(Error::Canceled))
    );

    let other = Group::builder().clock(clock.clone()).build();
    let clone = other.clone();
    let mut sleep = other.sleep(HOUR);
    drop(other);
    assert!(!sleep.is_orphaned(), "a clone keeps the group alive");
    drop(clone);
    assert!(sleep.is_orphaned());
    assert_eq!(
        poll_with(&mut sleep, &waker),
        Poll::Ready(Err(Error::Canceled))
    );
}

/// The group's own deadline orphans its sleeps with `DeadlineExceeded`.
#[test]
fn the_group_deadline_completes_pending_sleeps_with_its_reason() {
    let clock = ManualClock::new();
    let group = Group::builder()
        .clock(clock.clone())
        .deadline(clock.now() + 10 * MS)
        .build();
    let mut sleep = group.sleep(HOUR);
    let (counter, waker) = counting_waker();
    assert_eq!(poll_with(&mut sleep, &waker), Poll::Pending);
    advance(&clock, 10 * MS);
    assert_eq!(wakes(&counter), 1);
    assert_eq!(
        poll_with(&mut sleep, &waker),
        Poll::Ready(Err(Error::DeadlineExceeded))
    );
}

/// `sleep_until` measures from the group's clock; `deadline` and `reset`
/// move it.
#[test]
fn sleep_until_deadline_and_reset() {
    let clock = ManualClock::new();
    let group = Group::builder().clock(clock.clone()).build();
    let start = clock.now();
    let mut sleep = group.sleep_until(start + 100 * MS);
    assert_eq!(sleep.deadline(), Some(start + 100 * MS));
    assert!(sleep.reset(start + 300 * MS));
    assert_eq!(sleep.deadline(), Some(start + 300 * MS));
    let (_, waker) = counting_waker();
    advance(&clock, 299 * MS);
    assert_eq!(poll_with(&mut sleep, &waker), Poll::Pending);
    advance(&clock, MS);
    assert_eq!(poll_with(&mut sleep, &waker), Poll::Ready(Ok(())));
    assert_eq!(sleep.deadline(), None);
    assert!(!sleep.reset(start));
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
    let first = polled_rx.recv_timeout(SOON).expect("never polled");
    assert!(first, "ready before the clock moved");
    advance(&clock, 499 * MS);
    thread::sleep(20 * MS);
    assert!(!executor.is_finished(), "completed before its deadline");
    advance(&clock, MS);
    let (slept, polls, wakes) = within("the executor", move || executor.join().unwrap());
    assert_eq!(slept, Ok(()));
    assert_eq!(wakes, 1);
    assert!(polls >= 2);
}

// ===========================================================================
// Executors, in real time.
// ===========================================================================

/// Woken exactly once if the first poll found it pending (which it does
/// unless this thread stalled for the whole 30 ms in between).
#[test]
fn completes_under_a_hand_written_executor() {
    let group = Group::new();
    let start = Instant::now();
    let (slept, polls, wakes) = within("park_on", move || park_on(group.sleep(30 * MS)));
    assert_eq!(slept, Ok(()));
    assert!(start.elapsed() >= 30 * MS, "woke early");
    assert_eq!(wakes, usize::from(polls > 1), "{polls} polls");
}

#[test]
fn completes_under_futures_block_on() {
    let group = Group::new();
    let start = Instant::now();
    let g = group.clone();
    within("block_on", move || {
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
    let slept = tokio::time::timeout(SOON, group.sleep(20 * MS)).await;
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
    tokio::time::timeout(SOON, futures::future::join_all(sleeps))
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
    tokio::time::timeout(SOON, all).await.expect("hang");
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
    let timeouts = tokio::time::timeout(SOON, all).await.expect("hang");
    assert_eq!(timeouts, 100);
    assert_eq!(group.len(), 0, "abandoned sleeps left timers pending");
    let stats = group.stats();
    assert_eq!((stats.fired, stats.canceled), (0, 100));
}

#[test]
fn sleep_is_send_sync_unpin_and_debug() {
    fn check<T: Send + Sync + Unpin + std::fmt::Debug>() {}
    check::<Sleep>();
    let group = Group::new();
    let shown = format!("{:?}", group.sleep(HOUR));
    assert!(shown.contains("Sleep"), "{shown}");
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
    let outcome = tokio::time::timeout(SOON, async {
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
    let outcome = within("block_on", move || {
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
