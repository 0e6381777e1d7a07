//! `ManualClock`: time that moves only when a test says so.
//!
//! Everything here is exact: tasks record `clock.now()` when they start, and
//! the tests compare those instants (as offsets from the clock's start) with
//! the deadlines, and the order of starts and ends with deadline order. Real
//! time appears only as "nothing happens while we sleep" and as watchdogs.

// Builds groups: under `--features loom` their threads and locks are loom's,
// which work only inside a loom model (`loom-tests/` has those).
#![cfg(not(feature = "loom"))]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use schedgroup::{Error, Group, ManualClock};

mod common;
use common::{advance, watchdog as within, PATIENCE as SOON};

const MS: Duration = Duration::from_millis(1);
const SEC: Duration = Duration::from_secs(1);
const HOUR: Duration = Duration::from_secs(3600);

/// What tasks did, as offsets of the manual clock from its start.
#[derive(Clone)]
struct Log {
    clock: ManualClock,
    start: Instant,
    events: Arc<Mutex<Vec<Event>>>,
}

#[derive(Clone, Debug, PartialEq)]
enum Event {
    Start(String, Duration),
    End(String, Duration),
}

impl Log {
    fn new(clock: &ManualClock) -> Log {
        Log {
            clock: clock.clone(),
            start: clock.now(),
            events: Arc::default(),
        }
    }

    fn now(&self) -> Duration {
        self.clock.now() - self.start
    }

    fn start(&self, name: &str) {
        let at = self.now();
        self.events
            .lock()
            .unwrap()
            .push(Event::Start(name.into(), at));
    }

    fn end(&self, name: &str) {
        let at = self.now();
        self.events
            .lock()
            .unwrap()
            .push(Event::End(name.into(), at));
    }

    /// A task that records its start and its end.
    fn task(&self, name: &str) -> impl FnOnce() + Send + 'static {
        let (log, name) = (self.clone(), name.to_string());
        move || {
            log.start(&name);
            log.end(&name);
        }
    }

    /// The starts so far, in order: (name, manual offset).
    fn starts(&self) -> Vec<(String, Duration)> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter_map(|event| match event {
                Event::Start(name, at) => Some((name.clone(), *at)),
                Event::End(..) => None,
            })
            .collect()
    }

    fn events(&self) -> Vec<Event> {
        self.events.lock().unwrap().clone()
    }
}

/// `[("a", 10)]` -> `[("a", 10 ms)]`.
fn at_ms(expected: &[(&str, u64)]) -> Vec<(String, Duration)> {
    expected
        .iter()
        .map(|&(name, ms)| (name.to_string(), Duration::from_millis(ms)))
        .collect()
}

fn manual_group(clock: &ManualClock) -> Group {
    Group::builder().clock(clock.clone()).build()
}

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
/// clock gets there (small steps, one big step), and runs at the first tick
/// at or after it.
#[test]
fn tasks_run_exactly_when_the_clock_reaches_their_tick() {
    let clock = ManualClock::new();
    let log = Log::new(&clock);
    let group = manual_group(&clock);
    group.delay(10 * MS, log.task("ten"));
    // Not tick-aligned (1 ms tick): due in the tick starting at 13 ms.
    group.delay(Duration::from_micros(12_300), log.task("twelve.3"));
    for step in 1..10 {
        advance(&clock, MS);
        assert_eq!(log.starts(), [], "ran at {step} ms");
    }
    advance(&clock, MS);
    assert_eq!(log.starts(), at_ms(&[("ten", 10)]));
    advance(&clock, 2 * MS);
    assert_eq!(group.len(), 1, "12.3 ms ran at 12 ms");
    advance(&clock, Duration::from_micros(300));
    assert_eq!(group.len(), 1, "12.3 ms ran within tick 12");
    advance(&clock, Duration::from_micros(700));
    assert_eq!(log.starts(), at_ms(&[("ten", 10), ("twelve.3", 13)]));
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
    let mut seed = 0x2545_f491_u64;
    let mut deadlines = Vec::new();
    for i in 0..120 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let ms = seed % 41 * 5; // 0..=200 ms, on 41 distinct instants
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
            release_rx.recv_timeout(SOON).unwrap();
            log.end("first");
        });
    }
    group.delay(Duration::ZERO, log.task("second"));
    group.delay(10 * MS, log.task("later"));
    started_rx
        .recv_timeout(SOON)
        .expect("the driver never fired");
    let advancing = {
        let clock = clock.clone();
        thread::spawn(move || clock.advance(10 * MS))
    };
    thread::sleep(30 * MS);
    release_tx.send(()).unwrap();
    within("advance", move || advancing.join().unwrap());
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

/// Deadlines an hour and a day out sit on the wheel's upper levels; the
/// clock still stops at each exact deadline, not at a slot boundary.
#[test]
fn far_deadlines_run_at_their_exact_instant() {
    let clock = ManualClock::new();
    let log = Log::new(&clock);
    let group = manual_group(&clock);
    group.delay(HOUR, log.task("hour"));
    group.delay(HOUR + MS, log.task("hour+1ms"));
    group.delay(25 * HOUR + 7 * MS, log.task("day"));
    advance(&clock, HOUR - MS);
    assert_eq!(log.starts(), []);
    advance(&clock, MS);
    assert_eq!(log.starts(), [("hour".to_string(), HOUR)]);
    advance(&clock, 30 * HOUR);
    assert_eq!(
        log.starts(),
        [
            ("hour".to_string(), HOUR),
            ("hour+1ms".to_string(), HOUR + MS),
            ("day".to_string(), 25 * HOUR + 7 * MS),
        ]
    );
    assert_eq!(log.now(), 31 * HOUR);
}

/// `advance(Duration::ZERO)` runs what is due now (a zero delay) and
/// returns after it finished.
#[test]
fn advance_by_zero_runs_what_is_due_now() {
    let clock = ManualClock::new();
    let group = manual_group(&clock);
    let done = Arc::new(AtomicUsize::new(0));
    for _ in 0..10 {
        let done = done.clone();
        group.delay(Duration::ZERO, move || {
            thread::sleep(MS);
            done.fetch_add(1, Ordering::SeqCst);
        });
    }
    advance(&clock, Duration::ZERO);
    assert_eq!(done.load(Ordering::SeqCst), 10);
    assert_eq!(group.len(), 0);
}

/// The builder's deadline is on the manual clock: the group runs until
/// `advance` passes it, then stops with `DeadlineExceeded`, dropping the
/// task due later.
#[test]
fn builder_deadline_is_measured_on_the_manual_clock() {
    let clock = ManualClock::new();
    let log = Log::new(&clock);
    let group = Group::builder()
        .clock(clock.clone())
        .deadline(clock.now() + 10 * SEC)
        .build();
    group.delay(5 * SEC, log.task("early"));
    let late_dropped = Arc::new(AtomicBool::new(false));
    {
        let guard = SetOnDrop(late_dropped.clone());
        let log = log.clone();
        group.delay(20 * SEC, move || {
            let _guard = guard;
            log.start("late");
        });
    }
    // Real time passing does not reach a manual deadline.
    thread::sleep(30 * MS);
    assert_eq!(group.wait_timeout(MS), Ok(false));
    advance(&clock, 5 * SEC);
    assert_eq!(log.starts(), [("early".to_string(), 5 * SEC)]);
    assert_eq!(group.wait_timeout(20 * MS), Ok(false), "stopped early");
    advance(&clock, 6 * SEC);
    let waited = {
        let group = group.clone();
        within("wait after the manual deadline", move || group.wait())
    };
    assert_eq!(waited, Err(Error::DeadlineExceeded));
    assert!(late_dropped.load(Ordering::SeqCst), "late closure kept");
    assert_eq!(group.len(), 0);
    advance(&clock, 20 * SEC);
    assert_eq!(log.starts(), [("early".to_string(), 5 * SEC)]);
}

/// One `advance` that spans both the group's deadline and a later task: the
/// group must stop at its deadline, so the later task never runs (as under
/// real time, where the driver checks the deadline before firing).
///
/// The driver also applies the deadline when woken; here it is parked (50
/// ms of quiet) and the task is on the wheel's first level, so only
/// `advance` itself can stop the group in time.
#[test]
fn one_advance_past_the_deadline_runs_nothing_due_after_it() {
    let clock = ManualClock::new();
    let log = Log::new(&clock);
    let group = Group::builder()
        .clock(clock.clone())
        .deadline(clock.now() + 10 * MS)
        .build();
    group.delay(20 * MS, log.task("after the deadline"));
    thread::sleep(50 * MS); // the driver parks
    advance(&clock, 30 * MS);
    let waited = {
        let group = group.clone();
        within("wait after the manual deadline", move || group.wait())
    };
    assert_eq!(waited, Err(Error::DeadlineExceeded));
    assert_eq!(log.starts(), []);
}

/// "A span past the end of time saturates": with a task an hour out it
/// runs it and returns, with time pinned at the end.
#[test]
fn advance_by_duration_max_saturates() {
    let clock = ManualClock::new();
    let log = Log::new(&clock);
    let group = manual_group(&clock);
    group.delay(HOUR, log.task("hour"));
    advance(&clock, Duration::MAX);
    assert_eq!(log.starts(), [("hour".to_string(), HOUR)]);
    assert!(log.now() >= Duration::from_secs(500 * 365 * 24 * 3600));
}

/// `delay(Duration::MAX)` means "never"; `advance(Duration::MAX)` must still
/// return (it saturates) instead of spinning on a deadline it cannot reach.
#[test]
fn advance_by_duration_max_with_a_never_task_returns() {
    let clock = ManualClock::new();
    let group = manual_group(&clock);
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    group.delay(Duration::MAX, move || r.store(true, Ordering::SeqCst));
    advance(&clock, Duration::MAX);
    assert!(!ran.load(Ordering::SeqCst));
    assert_eq!(group.len(), 1);
}

/// A dropped group's tasks are forgotten by the clock: they do not run and
/// advancing past them neither hangs nor disturbs the other groups.
#[test]
fn dropped_groups_are_forgotten() {
    let clock = ManualClock::new();
    let log = Log::new(&clock);
    let gone = manual_group(&clock);
    let kept = manual_group(&clock);
    gone.delay(10 * MS, log.task("gone"));
    kept.delay(20 * MS, log.task("kept"));
    drop(gone);
    advance(&clock, 30 * MS);
    assert_eq!(log.starts(), at_ms(&[("kept", 20)]));
}

/// Clones of a clock share one time: a group built on one clone is driven
/// by advancing another.
#[test]
fn clones_share_one_time() {
    let clock = ManualClock::new();
    let other = clock.clone();
    let log = Log::new(&clock);
    let group = Group::builder().clock(other.clone()).build();
    for (name, secs) in [("c", 30), ("a", 10), ("b", 20)] {
        group.delay(Duration::from_secs(secs), log.task(name));
    }
    advance(&other, 25 * SEC);
    assert_eq!(clock.now(), other.now());
    assert_eq!(log.now(), 25 * SEC);
    assert_eq!(
        log.starts(),
        [("a".to_string(), 10 * SEC), ("b".to_string(), 20 * SEC)]
    );
    assert_eq!(group.len(), 1);
    let shown = format!("{clock:?}");
    assert!(shown.contains("ManualClock"), "{shown}");
}

struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
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
        seen.recv_timeout(SOON).expect("the wait never returned"),
        Ok(())
    );
    assert!(later.load(Ordering::SeqCst));
    assert_eq!(group.wait(), Ok(()));
}
