//! `Builder`'s settings at their extremes get the documented answers.

// Builds groups: under `--features loom` their threads and locks are loom's,
// which work only inside a loom model (`loom-tests/` has those).
#![cfg(not(feature = "loom"))]

use std::sync::mpsc;
use std::time::{Duration, Instant};

use schedgroup::{Error, Group, ManualClock};

mod common;
use common::{advance, shared, wait_patiently, PATIENCE};

const HOUR: Duration = Duration::from_secs(3600);

#[test]
fn a_tick_of_duration_max_is_taken_as_one_hour() {
    let _gate = shared();
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
    assert_eq!(wait_patiently(&group), Ok(()));
}

#[test]
fn a_tick_of_duration_max_still_runs_tasks_in_real_time() {
    let _gate = shared();
    let group = Group::builder().tick(Duration::MAX).build();
    let (ran, runs) = mpsc::channel();
    // Before the group's first tick boundary: due at the start of tick 0.
    group.schedule(Instant::now() - Duration::from_millis(1), move || {
        ran.send(()).unwrap()
    });
    runs.recv_timeout(PATIENCE).expect("a past task never ran");
}

#[test]
fn a_deadline_already_past_stops_the_group_at_once() {
    let _gate = shared();
    let group = Group::builder().deadline(Instant::now()).build();
    let handle = group.delay(HOUR, || unreachable!());
    assert!(
        !handle.is_pending(),
        "scheduled into a group past its deadline"
    );
    assert_eq!(group.len(), 0);
    assert_eq!(group.wait(), Err(Error::DeadlineExceeded));
}
