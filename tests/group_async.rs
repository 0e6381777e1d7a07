//! `Group::wait_async` and `Group::timeout`: `wait()`'s semantics and a
//! bounded future, as futures for any executor, woken by the group itself.
//! A missed wake-up shows as a hang, which the watchdogs turn into a
//! failure.

// Builds groups: under `--features loom` their threads and locks are loom's,
// which work only inside a loom model (`loom-tests/` has those).
#![cfg(not(feature = "loom"))]

mod support;

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use schedgroup::{Error, Group, ManualClock};
use support::{
    quiet_intentional_panics, wait_within, within, DropCounter, INTENTIONAL, STEP_TIMEOUT,
};

const MS: Duration = Duration::from_millis(1);
const HOUR: Duration = Duration::from_secs(3600);

// ===========================================================================
// wait_async
// ===========================================================================

#[test]
fn wait_async_under_block_on_sees_every_task_done() {
    let group = Group::new();
    let ran = Arc::new(AtomicUsize::new(0));
    for ms in [1u32, 5, 20, 40] {
        let ran = ran.clone();
        group.delay(ms * MS, move || {
            ran.fetch_add(1, Ordering::SeqCst);
        });
    }
    let g = group.clone();
    let outcome = within("wait_async", STEP_TIMEOUT, move || {
        futures::executor::block_on(g.wait_async())
    });
    assert_eq!(outcome, Ok(()));
    assert_eq!(
        ran.load(Ordering::SeqCst),
        4,
        "returned before the tasks ran"
    );
    // An idle group: ready at the first poll, and ready again.
    let g = group.clone();
    let again = within("wait_async again", STEP_TIMEOUT, move || {
        futures::executor::block_on(async {
            let mut wait = g.wait_async();
            let first = (&mut wait).await;
            let second = wait.await;
            (first, second)
        })
    });
    assert_eq!(again, (Ok(()), Ok(())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_wait_async_futures_on_tokio_all_complete() {
    let group = Group::new();
    let mut waiters = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let group = group.clone();
        waiters.spawn(async move { group.wait_async().await });
    }
    for i in 0..500u64 {
        group.delay(Duration::from_micros(i * 97 % 30_000), || {});
    }
    let all = async {
        while let Some(outcome) = waiters.join_next().await {
            assert_eq!(outcome.unwrap(), Ok(()));
        }
    };
    tokio::time::timeout(STEP_TIMEOUT, all)
        .await
        .expect("hang: a wait_async future was never woken");
    assert_eq!(group.stats().fired, 500);
}

#[tokio::test]
async fn wait_async_reports_a_cancel_and_a_panic() {
    let group = Group::new();
    group.delay(HOUR, || {});
    let waiting = group.wait_async();
    let canceler = group.clone();
    thread::spawn(move || {
        thread::sleep(10 * MS);
        canceler.cancel();
    });
    let outcome = tokio::time::timeout(STEP_TIMEOUT, waiting)
        .await
        .expect("hang");
    assert_eq!(outcome, Err(Error::Canceled));

    quiet_intentional_panics();
    let group = Group::new();
    group.delay(MS, || panic!("{}", INTENTIONAL));
    let outcome = tokio::time::timeout(STEP_TIMEOUT, group.wait_async())
        .await
        .expect("hang");
    assert!(
        matches!(outcome, Err(Error::Panicked { count: 1, .. })),
        "{outcome:?}"
    );
}

/// The last pending task canceled from another thread: no task finishes,
/// only the driver can tell the future (a removal that empties the group
/// wakes it for the registered waiter).
#[test]
fn wait_async_wakes_when_the_last_pending_task_is_canceled() {
    let group = Group::new();
    let far = group.delay(HOUR, || {});
    let g = group.clone();
    let (polled, first_poll) = mpsc::channel();
    let waiter = thread::spawn(move || {
        let mut wait = g.wait_async();
        let mut polled = Some(polled);
        futures::executor::block_on(std::future::poll_fn(move |cx| {
            let poll = std::pin::Pin::new(&mut wait).poll(cx);
            if let Some(polled) = polled.take() {
                polled.send(poll.is_pending()).unwrap();
            }
            poll
        }))
    });
    assert!(
        first_poll.recv_timeout(STEP_TIMEOUT).unwrap(),
        "ready while busy"
    );
    assert!(far.cancel());
    let outcome = within("the waiter", STEP_TIMEOUT, move || waiter.join().unwrap());
    assert_eq!(outcome, Ok(()));
}

/// Dropping a pending `Wait` unregisters it: the group stays usable and a
/// later wait is not disturbed.
#[test]
fn a_dropped_wait_async_leaves_nothing_behind() {
    let group = Group::new();
    group.delay(20 * MS, || {});
    let waker = futures::task::noop_waker();
    let mut wait = group.wait_async();
    let pending = std::pin::Pin::new(&mut wait).poll(&mut std::task::Context::from_waker(&waker));
    assert!(pending.is_pending());
    drop(wait);
    assert_eq!(wait_within(&group, STEP_TIMEOUT), Ok(()));
}

/// A task of the group that blocks on `wait_async` of its own group (an
/// executor inside a task) is excused, as with `wait()`: no self-deadlock,
/// even under a cap of 1.
#[test]
fn wait_async_inside_a_task_of_the_group_is_excused() {
    let group = Group::builder().max_concurrency(1).build();
    let ran = Arc::new(AtomicUsize::new(0));
    let (report, seen) = mpsc::channel();
    let inner = group.clone();
    let counter = ran.clone();
    group.delay(Duration::ZERO, move || {
        let outcome = futures::executor::block_on(inner.wait_async());
        report
            .send((outcome, counter.load(Ordering::SeqCst)))
            .unwrap();
    });
    for _ in 0..20 {
        let ran = ran.clone();
        group.delay(MS, move || {
            ran.fetch_add(1, Ordering::SeqCst);
        });
    }
    let (outcome, ran_when_done) = seen.recv_timeout(STEP_TIMEOUT).expect("self-deadlock");
    assert_eq!(outcome, Ok(()));
    assert_eq!(ran_when_done, 20);
    assert_eq!(wait_within(&group, STEP_TIMEOUT), Ok(()));
}

#[test]
fn wait_and_the_future_types_are_send_sync_and_debug() {
    fn check<T: Send + Sync + Unpin + std::fmt::Debug>() {}
    check::<schedgroup::Wait>();
    let group = Group::new();
    fn send<T: Send>(_: &T) {}
    send(&group.timeout(MS, async {}));
    assert!(format!("{:?}", group.wait_async()).contains("Wait"));
}

// ===========================================================================
// timeout
// ===========================================================================

#[test]
fn timeout_under_block_on() {
    let group = Group::new();
    let outcome = within("timeout", STEP_TIMEOUT, move || {
        futures::executor::block_on(async {
            let quick = group.timeout(STEP_TIMEOUT, group.sleep(5 * MS)).await;
            let slow = group.timeout(10 * MS, group.sleep(HOUR)).await;
            (quick, slow, group.len())
        })
    });
    assert_eq!(outcome, (Ok(Ok(())), Err(Error::TimedOut), 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_under_tokio_drops_the_future_once_the_time_is_up() {
    let group = Group::new();
    let drops = DropCounter::new();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..1000u64 {
        let token = drops.token();
        let never = async move {
            let _token = token;
            std::future::pending::<()>().await
        };
        let start = Instant::now();
        let limit = Duration::from_micros(i * 37 % 20_000);
        let bounded = group.timeout(limit, never);
        tasks.spawn(async move {
            let outcome = bounded.await;
            assert!(start.elapsed() >= limit, "timed out early");
            outcome
        });
    }
    let all = async {
        while let Some(outcome) = tasks.join_next().await {
            assert_eq!(outcome.unwrap(), Err(Error::TimedOut));
        }
    };
    tokio::time::timeout(STEP_TIMEOUT, all).await.expect("hang");
    assert_eq!(drops.dropped(), 1000, "timed-out futures were kept");
    assert_eq!(group.len(), 0);
}

/// The timer of a timeout whose future won is canceled, and a timeout
/// whose group stops reports the reason instead of running unbounded.
#[test]
fn timeout_cancels_its_timer_and_ends_when_the_group_stops() {
    let clock = ManualClock::new();
    let group = Group::builder().clock(clock.clone()).build();
    let out = futures::executor::block_on(group.timeout(HOUR, async { 42 }));
    assert_eq!(out, Ok(42));
    assert_eq!(group.len(), 0, "the winner's timer stayed pending");
    let stats = group.stats();
    assert_eq!((stats.fired, stats.canceled), (0, 1));

    let bounded = group.timeout(HOUR, std::future::pending::<()>());
    let g = group.clone();
    let canceler = thread::spawn(move || {
        thread::sleep(10 * MS);
        g.cancel();
    });
    let outcome = within("timeout on a canceled group", STEP_TIMEOUT, move || {
        futures::executor::block_on(bounded)
    });
    canceler.join().unwrap();
    assert_eq!(outcome, Err(Error::Canceled));
}
