//! `ManualClock`: time that moves only when a test says so; `advance` runs
//! what falls due, at its exact instant, in deadline order, and returns once
//! it has finished.
//!
//! Everything here is exact: tasks record `clock.now()` when they start, and
//! the tests compare those instants (as offsets from the clock's start) with
//! the deadlines, and the order of starts and ends with deadline order. Real
//! time appears only as "nothing happens while we sleep" and as watchdogs.
//!
//! The clock's extremes are in `group_manual_clock_extremes.rs`.

// Builds groups: under `--features loom` their threads and locks are loom's,
// which work only inside a loom model (`loom-tests/` has those).
#![cfg(not(feature = "loom"))]

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use schedgroup::{Group, ManualClock};
use support::manual::{at_ms, manual_group, Event, Log};
use support::{advance, within, Rng, STEP_TIMEOUT};

const MS: Duration = Duration::from_millis(1);
const SEC: Duration = Duration::from_secs(1);
const HOUR: Duration = Duration::from_secs(3600);

/// `delay` and `schedule` count from the manual now, even after the clock
/// has moved far from real time, and real time passing runs nothing.
#[test]
fn delay_and_schedule_measure_from_the_manual_now() {
    let clock = ManualClock::new();
    let log = Log::new(&clock);
    let group = manual_group(&clock);
    advance(&clock, HOUR); // nothing pending: just moves time
    assert_eq!(log.now(), HOUR);
    group.delay(10 * SEC, log.task("delay"));
    group.schedule(clock.now() + 20 * SEC, log.task("schedule"));
    group.delay(MS, log.task("soon"));
    // Real time does not move a manual clock.
    thread::sleep(50 * MS);
    assert_eq!(group.len(), 3);
    assert_eq!(log.starts(), []);
    assert_eq!(log.now(), HOUR);

    advance(&clock, MS);
    advance(&clock, 10 * SEC - 2 * MS);
    assert_eq!(log.starts(), [("soon".to_string(), HOUR + MS)]);
    assert_eq!(group.len(), 2);
    advance(&clock, MS);
    advance(&clock, 10 * SEC);
    assert_eq!(
        log.starts(),
        [
            ("soon".to_string(), HOUR + MS),
            ("delay".to_string(), HOUR + 10 * SEC),
            ("schedule".to_string(), HOUR + 20 * SEC),
        ]
    );
    assert_eq!(group.len(), 0);
    assert_eq!(group.wait(), Ok(()));
}

/// A task never runs before the clock reaches its deadline, however the
/// clock gets there (small steps, one big step), and runs exactly at it,
/// to the microsecond, whatever the tick.
#[test]
fn tasks_run_exactly_when_the_clock_reaches_their_deadline() {
    let clock = ManualClock::new();
    let log = Log::new(&clock);
    let group = manual_group(&clock);
    group.delay(10 * MS, log.task("ten"));
    // Between two slots of the 1 ms tick: runs at 12.3 ms, not 13.
    group.delay(Duration::from_micros(12_300), log.task("twelve.3"));
    for step in 1..10 {
        advance(&clock, MS);
        assert_eq!(log.starts(), [], "ran at {step} ms");
    }
    advance(&clock, MS);
    assert_eq!(log.starts(), at_ms(&[("ten", 10)]));
    advance(&clock, 2 * MS);
    assert_eq!(group.len(), 1, "12.3 ms ran at 12 ms");
    advance(&clock, Duration::from_micros(299));
    assert_eq!(group.len(), 1, "12.3 ms ran at 12.299 ms");
    advance(&clock, Duration::from_micros(1));
    let mut expected = at_ms(&[("ten", 10)]);
    expected.push(("twelve.3".to_string(), Duration::from_micros(12_300)));
    assert_eq!(log.starts(), expected);
    // Even a task due in less than a microsecond waits for it.
    group.delay(Duration::from_nanos(1), log.task("a nanosecond"));
    assert_eq!(group.len(), 1);
    advance(&clock, Duration::from_nanos(999));
    assert_eq!(group.len(), 1, "ran before the microsecond it rounds up to");
    advance(&clock, Duration::from_nanos(1));
    assert_eq!(group.len(), 0);
}

/// `advance` returns only once the due tasks have *finished* (not merely
/// started), including slow ones and ones they schedule within the span.
#[test]
fn advance_returns_after_due_tasks_and_their_offspring_finished() {
    let clock = ManualClock::new();
    let log = Log::new(&clock);
    let group = manual_group(&clock);
    let slow_done = Arc::new(AtomicBool::new(false));
    {
        let (log, done) = (log.clone(), slow_done.clone());
        group.delay(5 * MS, move || {
            log.start("slow");
            thread::sleep(100 * MS);
            done.store(true, Ordering::SeqCst);
        });
    }
    {
        // At 10 ms: schedule 5 ms later, which schedules one due at once
        // and one outside the span.
        let (log, inner) = (log.clone(), group.clone());
        group.delay(10 * MS, move || {
            log.start("parent");
            let (log, group) = (log.clone(), inner.clone());
            inner.delay(5 * MS, move || {
                log.start("child");
                group.delay(Duration::ZERO, log.task("grandchild-now"));
                group.delay(100 * MS, log.task("grandchild-later"));
            });
        });
    }
    advance(&clock, 30 * MS);
    assert!(
        slow_done.load(Ordering::SeqCst),
        "advance returned while a due task was still running"
    );
    assert_eq!(
        log.starts(),
        at_ms(&[
            ("slow", 5),
            ("parent", 10),
            ("child", 15),
            ("grandchild-now", 15)
        ])
    );
    assert_eq!(group.len(), 1);
    advance(&clock, 85 * MS);
    assert_eq!(
        log.starts().last(),
        Some(&("grandchild-later".into(), 115 * MS))
    );
    assert_eq!(group.wait(), Ok(()));
}

/// Random deadlines (many shared), several workers: tasks start at their
/// exact deadline, in deadline order, and every task of one instant has
/// finished before any task of a later instant starts.
#[test]
fn advance_runs_instants_in_order_and_one_at_a_time() {
    let clock = ManualClock::new();
    let log = Log::new(&clock);
    let group = Group::builder()
        .clock(clock.clone())
        .max_concurrency(4)
        .build();
    let mut rng = Rng::new(0x2545_f491);
    let mut deadlines = Vec::new();
    for i in 0..120 {
        let ms = rng.below(41) * 5; // 0..=200 ms, on 41 distinct instants
        deadlines.push(ms);
        let (log, name) = (log.clone(), format!("{i}@{ms}"));
        group.delay(Duration::from_millis(ms), move || {
            log.start(&name);
            thread::sleep(Duration::from_micros(300));
            log.end(&name);
        });
    }
    advance(&clock, 100 * MS);
    let ran_first = log.starts().len();
    assert_eq!(
        ran_first,
        deadlines.iter().filter(|&&ms| ms <= 100).count(),
        "tasks due by 100 ms"
    );
    advance(&clock, 100 * MS);
    assert_eq!(group.len(), 0);
    let events = log.events();
    assert_eq!(events.len(), 2 * deadlines.len());
    let deadline_of = |name: &str| {
        let ms: u64 = name.split('@').nth(1).unwrap().parse().unwrap();
        Duration::from_millis(ms)
    };
    let mut finished_instants: Vec<Duration> = Vec::new();
    for event in &events {
        match event {
            Event::Start(name, at) => {
                assert_eq!(*at, deadline_of(name), "{name} started at {at:?}");
                // Every task due before this one has finished already.
                let due_earlier = deadlines
                    .iter()
                    .filter(|&&ms| Duration::from_millis(ms) < *at)
                    .count();
                let finished_earlier = finished_instants.iter().filter(|end| *end < at).count();
                assert_eq!(
                    finished_earlier, due_earlier,
                    "{name} started before every earlier task finished: {events:?}"
                );
            }
            Event::End(name, at) => {
                assert_eq!(*at, deadline_of(name), "{name}: time moved while it ran");
                finished_instants.push(*at);
            }
        }
    }
    assert_eq!(group.wait(), Ok(()));
}

/// Tasks already due when `advance` is called (a zero delay, fired by the
/// driver in real time) see the time they were due at, as they do when
/// `advance` fires them itself: otherwise what a task observes (and what it
/// schedules relative to `now`) would depend on a race with the driver.
/// Here the first of two due tasks holds the only worker for a while after
/// `advance` was called, so the second starts late in real time.
#[test]
fn tasks_due_when_advance_is_called_see_their_own_instant() {
    let clock = ManualClock::new();
    let log = Log::new(&clock);
    let group = Group::builder()
        .clock(clock.clone())
        .max_concurrency(1)
        .build();
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    {
        let log = log.clone();
        group.delay(Duration::ZERO, move || {
            log.start("first");
            started_tx.send(()).unwrap();
            release_rx.recv_timeout(STEP_TIMEOUT).unwrap();
            log.end("first");
        });
    }
    group.delay(Duration::ZERO, log.task("second"));
    group.delay(10 * MS, log.task("later"));
    started_rx
        .recv_timeout(STEP_TIMEOUT)
        .expect("the driver never fired");
    let advancing = {
        let clock = clock.clone();
        thread::spawn(move || clock.advance(10 * MS))
    };
    thread::sleep(30 * MS);
    release_tx.send(()).unwrap();
    within("advance", STEP_TIMEOUT, move || advancing.join().unwrap());
    assert_eq!(
        log.starts(),
        at_ms(&[("first", 0), ("second", 0), ("later", 10)])
    );
}

/// One clock, three groups (one with a coarser tick): tasks run in global
/// deadline order, each at its exact instant, including tasks one group's
/// task files in another group within the span.
#[test]
fn one_clock_drives_several_groups_in_global_deadline_order() {
    let clock = ManualClock::new();
    let log = Log::new(&clock);
    let a = manual_group(&clock);
    let b = manual_group(&clock);
    let c = Group::builder().clock(clock.clone()).tick(5 * MS).build();
    let slow = |name: &'static str| {
        let log = log.clone();
        move || {
            log.start(name);
            thread::sleep(10 * MS);
            log.end(name);
        }
    };
    a.delay(10 * MS, slow("a10"));
    a.delay(40 * MS, slow("a40"));
    b.delay(50 * MS, slow("b50"));
    c.delay(30 * MS, slow("c30"));
    c.delay(60 * MS, slow("c60"));
    {
        // b's task files into a (built before b) and c.
        let (a, c, log) = (a.clone(), c.clone(), log.clone());
        b.delay(20 * MS, move || {
            log.start("b20");
            a.delay(5 * MS, log.task("a25"));
            c.delay(25 * MS, log.task("c45"));
            log.end("b20");
        });
    }
    advance(&clock, 100 * MS);
    assert_eq!(
        log.starts(),
        at_ms(&[
            ("a10", 10),
            ("b20", 20),
            ("a25", 25),
            ("c30", 30),
            ("a40", 40),
            ("c45", 45),
            ("b50", 50),
            ("c60", 60),
        ])
    );
    // No overlap: each slow task ended before the next one started.
    let events = log.events();
    for pair in events.windows(2) {
        if let [Event::Start(first, _), Event::Start(second, _)] = pair {
            panic!("{second} started while {first} ran: {events:?}");
        }
    }
    for group in [&a, &b, &c] {
        assert_eq!(group.len(), 0);
        assert_eq!(group.wait(), Ok(()));
    }
}

/// A task that waits for its own group while a later task is pending: the
/// manual clock's `advance` must not wait for it (the later task can only
/// run once time moves on), and a later `advance` lets both finish.
#[test]
fn a_task_waiting_for_its_group_does_not_hold_up_advance() {
    let clock = ManualClock::new();
    let group = manual_group(&clock);
    let (report, seen) = mpsc::channel();
    let inner = group.clone();
    group.delay(SEC, move || report.send(inner.wait()).unwrap());
    let later = Arc::new(AtomicBool::new(false));
    let flag = later.clone();
    group.delay(10 * SEC, move || flag.store(true, Ordering::SeqCst));
    advance(&clock, 2 * SEC);
    assert!(
        seen.try_recv().is_err(),
        "the wait returned with a task pending"
    );
    advance(&clock, 10 * SEC);
    assert_eq!(
        seen.recv_timeout(STEP_TIMEOUT)
            .expect("the wait never returned"),
        Ok(())
    );
    assert!(later.load(Ordering::SeqCst));
    assert_eq!(group.wait(), Ok(()));
}
