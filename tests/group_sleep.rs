//! `Group::sleep`, the future fired by the group's driver: pending until its
//! deadline, woken once, canceled when dropped, completed with the stop
//! reason when the group stops.
//!
//! Checked exactly on a `ManualClock`, with counting wakers. The executors
//! it runs under are in `group_sleep_executors.rs`.

// Builds groups: under `--features loom` their threads and locks are loom's,
// which work only inside a loom model (`loom-tests/` has those).
#![cfg(not(feature = "loom"))]

mod support;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use schedgroup::{Error, Group, ManualClock, Sleep};
use support::advance;

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

#[test]
fn sleep_is_send_sync_unpin_and_debug() {
    fn check<T: Send + Sync + Unpin + std::fmt::Debug>() {}
    check::<Sleep>();
    let group = Group::new();
    let shown = format!("{:?}", group.sleep(HOUR));
    assert!(shown.contains("Sleep"), "{shown}");
}
