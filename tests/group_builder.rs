//! `Builder`: its settings at their extremes get the documented answers.

// Builds groups: under `--features loom` their threads and locks are loom's,
// which work only inside a loom model (`loom-tests/` has those).
#![cfg(not(feature = "loom"))]

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use schedgroup::{Error, Group, ManualClock};
use support::{advance, wait_within, STEP_TIMEOUT};

const MS: Duration = Duration::from_millis(1);
const HOUR: Duration = Duration::from_secs(3600);

#[test]
fn a_tick_of_duration_max_is_taken_as_one_hour() {
    let clock = ManualClock::new();
    let group = Group::builder()
        .clock(clock.clone())
        .tick(Duration::MAX)
        .build();
    let (ran, runs) = mpsc::channel();
    let past = clock.now();
    advance(&clock, Duration::from_millis(5));
    let (a, b) = (ran.clone(), ran);
    group.schedule(past, move || a.send("past").unwrap());
    group.delay(Duration::ZERO, move || b.send("zero").unwrap());
    advance(&clock, HOUR);
    let mut seen: Vec<_> = runs.try_iter().collect();
    seen.sort();
    assert_eq!(seen, ["past", "zero"], "tasks lost to a huge tick");
    assert_eq!(wait_within(&group, STEP_TIMEOUT), Ok(()));
}

#[test]
fn a_tick_of_duration_max_still_runs_tasks_in_real_time() {
    let group = Group::builder().tick(Duration::MAX).build();
    let (ran, runs) = mpsc::channel();
    // Before the group's first tick boundary: due at the start of tick 0.
    group.schedule(Instant::now() - Duration::from_millis(1), move || {
        ran.send(()).unwrap()
    });
    runs.recv_timeout(STEP_TIMEOUT)
        .expect("a past task never ran");
}

#[test]
fn a_deadline_already_past_stops_the_group_at_once() {
    let group = Group::builder().deadline(Instant::now()).build();
    let handle = group.delay(HOUR, || unreachable!());
    assert!(
        !handle.is_pending(),
        "scheduled into a group past its deadline"
    );
    assert_eq!(group.len(), 0);
    assert_eq!(group.wait(), Err(Error::DeadlineExceeded));
}

/// Extreme builder settings are accepted and the group works.
#[test]
fn inv6_extreme_builder_settings() {
    let far = Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600);
    let builders = [
        Group::builder().tick(Duration::ZERO),
        Group::builder().max_concurrency(0),
        Group::builder().max_concurrency(usize::MAX),
        Group::builder().keep_alive(Duration::ZERO),
        Group::builder().deadline(far),
    ];
    for builder in builders {
        let shown = format!("{builder:?}");
        let group = builder.build();
        let count = Arc::new(AtomicUsize::new(0));
        for i in 0..20 {
            let count = count.clone();
            group.delay(Duration::from_micros(i * 100), move || {
                count.fetch_add(1, Ordering::SeqCst);
            });
        }
        assert_eq!(wait_within(&group, STEP_TIMEOUT), Ok(()), "{shown}");
        assert_eq!(count.load(Ordering::SeqCst), 20, "{shown}");
    }
    // A tick of Duration::MAX: nothing not already due ever runs, but
    // scheduling, counting and canceling work.
    let group = Group::builder().tick(Duration::MAX).build();
    let h = group.delay(MS, || unreachable!());
    assert_eq!(group.len(), 1);
    assert!(h.reset(Instant::now() + HOUR));
    assert!(h.cancel());
    assert_eq!(wait_within(&group, STEP_TIMEOUT), Ok(()));
}
