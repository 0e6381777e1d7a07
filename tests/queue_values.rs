//! `Queue<T>`: values come back once their deadline has passed, exactly
//! once, to one receiver, in deadline order; a removed value never comes
//! back; dropping the queue drops everything in it.

// Builds queues: under `--features loom` their threads and locks are loom's,
// which work only inside a loom model (`loom-tests/` has those).
#![cfg(not(feature = "loom"))]

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use schedgroup::{ManualClock, Queue};

mod support;
use support::{advance, within, Bomb, DropCounter, DropToken, Rng, STEP_TIMEOUT};

const MS: Duration = Duration::from_millis(1);
const HOUR: Duration = Duration::from_secs(3600);

fn manual() -> (ManualClock, Queue<u64>) {
    let clock = ManualClock::new();
    let queue = Queue::builder().clock(clock.clone()).build();
    (clock, queue)
}

/// Drains what is ready now.
fn ready<T: Send + 'static>(queue: &Queue<T>) -> Vec<T> {
    std::iter::from_fn(|| queue.try_recv()).collect()
}

#[test]
fn values_come_back_in_deadline_order_and_never_early() {
    let (clock, queue) = manual();
    let start = clock.now();
    let mut rng = Rng::new(7);
    let mut deadlines: Vec<u64> = (0..2000).map(|_| rng.below(5000)).collect();
    for &ms in &deadlines {
        queue.insert(ms, Duration::from_millis(ms));
    }
    let mut got = Vec::new();
    for step in 0..=5000u64 {
        if step > 0 {
            advance(&clock, MS);
        }
        for value in ready(&queue) {
            assert!(value <= step, "{value} ms came back at {step} ms");
            got.push(value);
        }
        assert_eq!(clock.now() - start, Duration::from_millis(step));
    }
    deadlines.sort();
    assert_eq!(got, deadlines, "not exactly once, or out of order");
    assert!(queue.is_empty());
}

#[test]
fn a_removed_or_reset_value_follows_its_key() {
    let (clock, queue) = manual();
    let gone = queue.insert(1, 10 * MS);
    let later = queue.insert(2, 10 * MS);
    let sooner = queue.insert(3, HOUR);
    assert_eq!(queue.len(), 3);
    assert_eq!(queue.remove(&gone), Some(1));
    assert_eq!(queue.remove(&gone), None);
    assert!(queue.reset(&later, 30 * MS));
    assert!(queue.reset(&sooner, 20 * MS));
    assert_eq!(queue.deadline(&sooner), Some(clock.now() + 20 * MS));
    advance(&clock, 25 * MS);
    assert_eq!(ready(&queue), [3]);
    // Expired: every method answers the key as stale.
    assert_eq!(queue.remove(&sooner), None);
    assert!(!queue.reset(&sooner, MS));
    assert_eq!(queue.deadline(&sooner), None);
    advance(&clock, 5 * MS);
    assert_eq!(ready(&queue), [2]);
    assert!(queue.is_empty());
}

#[test]
fn keys_of_another_queue_name_nothing() {
    let (_clock, queue) = manual();
    let other: Queue<u64> = Queue::new();
    let theirs = other.insert(9, HOUR);
    queue.insert(1, HOUR);
    // Same shard and slab position, most likely: the generation or the
    // shard differs, or the entry is another's; never a wrong value.
    assert_ne!(queue.remove(&theirs), Some(9));
    assert_eq!(other.remove(&theirs), Some(9));
}

#[test]
fn extreme_deadlines_are_accepted() {
    let (clock, queue) = manual();
    queue.insert(3, Duration::MAX);
    queue.insert_at(
        1,
        support::far_past(clock.now(), Duration::from_secs(1 << 40)),
    );
    queue.insert_at(2, clock.now());
    advance(&clock, Duration::ZERO);
    assert_eq!(ready(&queue), [1, 2]);
    advance(&clock, Duration::from_secs(100 * 365 * 86_400));
    assert_eq!(ready(&queue), Vec::<u64>::new());
    assert_eq!(queue.len(), 1);
}

#[test]
fn dropping_the_queue_drops_every_value_pending_or_expired() {
    let clock = ManualClock::new();
    let queue = Queue::builder().clock(clock.clone()).build();
    let drops = DropCounter::new();
    for i in 0..100u64 {
        queue.insert(drops.token(), Duration::from_millis(i));
    }
    advance(&clock, 50 * MS);
    assert_eq!(queue.len(), 100);
    drop(queue.try_recv());
    assert_eq!(drops.dropped(), 1);
    let clone = queue.clone();
    drop(queue);
    assert_eq!(drops.dropped(), 1, "a clone keeps the queue alive");
    drop(clone);
    assert_eq!(drops.dropped(), 100);
}

/// A value whose `Drop` panics does not make dropping the queue panic, and
/// every other value is still dropped.
#[test]
fn dropping_a_queue_with_panicking_values_contains_the_panics() {
    support::quiet_intentional_panics();
    let drops = DropCounter::new();
    let queue: Queue<(Option<Bomb>, DropToken)> = Queue::new();
    for i in 0..10 {
        let bomb = (i % 3 == 0).then(|| Bomb);
        queue.insert((bomb, drops.token()), HOUR);
    }
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(queue)));
    assert!(dropped.is_ok(), "dropping the queue unwound");
    assert_eq!(drops.dropped(), 10);
}

#[test]
fn recv_blocks_until_a_value_expires() {
    let queue = Queue::new();
    let start = Instant::now();
    queue.insert("a", 30 * MS);
    let q = queue.clone();
    let value = within("recv", STEP_TIMEOUT, move || q.recv());
    assert_eq!(value, "a");
    assert!(start.elapsed() >= 30 * MS, "came back early");
    assert_eq!(queue.recv_timeout(5 * MS), None);
    queue.insert("b", 5 * MS);
    let q = queue.clone();
    assert_eq!(
        within("recv_timeout", STEP_TIMEOUT, move || q
            .recv_timeout(STEP_TIMEOUT)),
        Some("b")
    );
}

/// Several threads receiving at once: every value comes back exactly once,
/// none early.
#[test]
fn each_value_goes_to_exactly_one_receiver() {
    const VALUES: usize = 20_000;
    let queue: Queue<(usize, Instant)> = Queue::new();
    let received = Arc::new(Mutex::new(Vec::new()));
    let early = Arc::new(AtomicUsize::new(0));
    let receivers: Vec<_> = (0..4)
        .map(|_| {
            let (queue, received, early) = (queue.clone(), received.clone(), early.clone());
            thread::spawn(move || {
                while let Some((value, deadline)) = queue.recv_timeout(Duration::from_millis(300)) {
                    if Instant::now() < deadline {
                        early.fetch_add(1, Ordering::SeqCst);
                    }
                    received.lock().unwrap().push(value);
                }
            })
        })
        .collect();
    let mut rng = Rng::new(3);
    for value in 0..VALUES {
        let delay = Duration::from_micros(rng.below(100_000));
        let deadline = Instant::now() + delay;
        queue.insert_at((value, deadline), deadline);
    }
    for receiver in receivers {
        within("a receiver", STEP_TIMEOUT, move || receiver.join().unwrap());
    }
    let received = received.lock().unwrap();
    assert_eq!(received.len(), VALUES, "lost or duplicated values");
    assert_eq!(received.iter().collect::<HashSet<_>>().len(), VALUES);
    assert_eq!(early.load(Ordering::SeqCst), 0);
}

#[test]
fn recv_async_under_block_on_and_tokio() {
    let queue = Queue::new();
    queue.insert(1, 10 * MS);
    let q = queue.clone();
    let value = within("block_on", STEP_TIMEOUT, move || {
        futures::executor::block_on(q.recv_async())
    });
    assert_eq!(value, 1);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    let total = runtime.block_on(async {
        let mut receivers = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let queue = queue.clone();
            receivers.spawn(async move {
                let mut sum = 0u64;
                while let Ok(value) =
                    tokio::time::timeout(Duration::from_millis(300), queue.recv_async()).await
                {
                    sum += value;
                }
                sum
            });
        }
        for value in 1..=1000u64 {
            queue.insert(value, Duration::from_micros(value * 37 % 50_000));
        }
        let mut total = 0;
        while let Some(sum) = receivers.join_next().await {
            total += sum.unwrap();
        }
        total
    });
    assert_eq!(total, 1000 * 1001 / 2, "a value was lost or received twice");
}

/// A `recv_async` that was woken for a value and then dropped (it lost a
/// `select!`) hands the wake-up on: the value reaches the other receiver.
#[test]
fn a_dropped_recv_async_passes_its_value_on() {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    let queue: Queue<u32> = Queue::new();
    let (first_waker, first_woken) = flag_waker();
    let (second_waker, second_woken) = flag_waker();
    let mut first = queue.recv_async();
    let mut second = queue.recv_async();
    assert!(Pin::new(&mut first)
        .poll(&mut Context::from_waker(&first_waker))
        .is_pending());
    assert!(Pin::new(&mut second)
        .poll(&mut Context::from_waker(&second_waker))
        .is_pending());
    queue.insert(5, MS);
    support::wait_for("the first receiver to be woken", STEP_TIMEOUT, &first_woken);
    assert!(!second_woken(), "both woken for one value");
    drop(first);
    assert!(
        second_woken(),
        "the value's wake-up was lost with the first receiver"
    );
    assert_eq!(
        Pin::new(&mut second).poll(&mut Context::from_waker(&second_waker)),
        Poll::Ready(5)
    );
}

#[test]
fn queue_types_are_send_sync_and_debug() {
    fn check<T: Send + Sync + std::fmt::Debug>() {}
    check::<Queue<u64>>();
    check::<schedgroup::QueueKey>();
    fn key<T: Copy + Eq + std::hash::Hash + std::fmt::Debug>() {}
    key::<schedgroup::QueueKey>();
    let queue: Queue<u8> = Queue::new();
    assert!(format!("{queue:?}").contains("Queue"));
    assert!(format!("{:?}", queue.recv_async()).contains("Recv"));
}

/// A waker that raises a flag, and a way to read the flag.
fn flag_waker() -> (std::task::Waker, impl Fn() -> bool) {
    struct Flag(std::sync::atomic::AtomicBool);
    impl std::task::Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let flag = Arc::new(Flag(std::sync::atomic::AtomicBool::new(false)));
    let waker = std::task::Waker::from(flag.clone());
    (waker, move || flag.0.load(Ordering::SeqCst))
}

#[test]
fn a_drained_burst_gives_its_memory_back() {
    let queue = Arc::new(Queue::new());
    let keys: Vec<_> = (0..20_000u64)
        .map(|value| queue.insert(value, HOUR))
        .collect();
    assert!(queue.capacity() >= 20_000);
    for key in &keys {
        assert!(queue.reset(key, Duration::ZERO));
    }
    let receiver = Arc::clone(&queue);
    let received = within("the burst to be received", STEP_TIMEOUT, move || {
        let values: HashSet<u64> = (0..20_000).map(|_| receiver.recv()).collect();
        values.len()
    });
    assert_eq!(received, 20_000);
    // Given back by the queue's driver on its next look, not by a receiver.
    let watched = Arc::clone(&queue);
    within(
        "the burst's memory to be given back",
        STEP_TIMEOUT,
        move || {
            while watched.capacity() > 0 {
                thread::sleep(MS);
            }
        },
    );
}

#[test]
fn a_drained_burst_gives_its_memory_back_on_a_manual_clock() {
    let (clock, queue) = manual();
    for value in 0..20_000u64 {
        queue.insert(value, MS);
    }
    assert!(queue.capacity() >= 20_000);
    advance(&clock, MS);
    assert_eq!(ready(&queue).len(), 20_000);
    assert_eq!(queue.capacity(), 0, "no driver: the advance gave it back");
}
