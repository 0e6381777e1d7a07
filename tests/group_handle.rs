//! `TaskHandle`: `cancel` racing the firing wins or loses exactly once and
//! releases the closure before it returns, a stale handle never touches
//! another task (invariants 2 and 5), and `deadline` / `reset_after` use the
//! group's own clock.

// Builds groups: under `--features loom` their threads and locks are loom's,
// which work only inside a loom model (`loom-tests/` has those).
#![cfg(not(feature = "loom"))]

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use schedgroup::{Group, ManualClock, TaskHandle};
use support::{
    advance, task_counters, wait_for, wait_within, within, DropFlags, Rng, STEP_TIMEOUT,
};

const MS: Duration = Duration::from_millis(1);
const HOUR: Duration = Duration::from_secs(3600);

// ===========================================================================
// cancel (invariant 2)
// ===========================================================================

/// Threads race `TaskHandle::cancel` (two per task, on clones of the handle)
/// against the task firing. For every task exactly one of "it ran" and "a
/// cancel returned true" holds, and when a cancel returns true the closure's
/// captures are already dropped.
#[test]
fn inv2_exactly_once_under_cancel_races() {
    const ROUNDS: usize = 20;
    const N: usize = 400;
    const CANCELLERS: usize = 3;
    let group = Group::new();
    let (mut total_ran, mut total_canceled) = (0, 0);
    let mut rng = Rng::new(42);
    for round in 0..ROUNDS {
        let ran = task_counters(N);
        let cancels = task_counters(N);
        let dropped = DropFlags::new(N);
        let base = Instant::now() + 2 * MS;
        let handles: Arc<Vec<TaskHandle>> = Arc::new(
            (0..N)
                .map(|i| {
                    let ran = ran.clone();
                    let guard = dropped.token(i);
                    let at = base + Duration::from_micros(rng.below(4_000));
                    group.schedule(at, move || {
                        let _guard = guard;
                        ran[i].fetch_add(1, Ordering::SeqCst);
                    })
                })
                .collect(),
        );
        let barrier = Arc::new(Barrier::new(CANCELLERS));
        let threads: Vec<_> = (0..CANCELLERS)
            .map(|t| {
                let (handles, cancels, dropped, barrier) = (
                    handles.clone(),
                    cancels.clone(),
                    dropped.clone(),
                    barrier.clone(),
                );
                let mut order: Vec<usize> = (0..N).collect();
                let mut rng = Rng::new((round * CANCELLERS + t) as u64 + 1);
                for i in (1..N).rev() {
                    order.swap(i, rng.below(i as u64 + 1) as usize);
                }
                thread::spawn(move || {
                    barrier.wait();
                    // Start near the middle of the firing window.
                    if let Some(pause) = (base + 2 * MS).checked_duration_since(Instant::now()) {
                        thread::sleep(pause);
                    }
                    for i in order {
                        if handles[i].cancel() {
                            assert!(
                                dropped.is_dropped(i),
                                "cancel returned true but task {i}'s closure is alive"
                            );
                            cancels[i].fetch_add(1, Ordering::SeqCst);
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(wait_within(&group, STEP_TIMEOUT), Ok(()));
        for i in 0..N {
            let (r, c) = (
                ran[i].load(Ordering::SeqCst),
                cancels[i].load(Ordering::SeqCst),
            );
            assert_eq!(
                r + c,
                1,
                "round {round} task {i}: ran {r} times, canceled {c} times"
            );
            assert!(dropped.is_dropped(i), "task {i}'s closure leaked");
            total_ran += r;
            total_canceled += c;
        }
    }
    // Not vacuous: both sides of the race won sometimes.
    assert!(
        total_ran > 0 && total_canceled > 0,
        "ran {total_ran}, canceled {total_canceled}"
    );
}

/// A canceled task's captures are released by the time `cancel` returns
/// (checked through the captured `Arc`'s strong count).
#[test]
fn inv2_cancel_releases_captures_promptly() {
    let group = Group::new();
    let payload = Arc::new(vec![0u8; 1024]);
    let handles: Vec<_> = (0..100)
        .map(|_| {
            let payload = payload.clone();
            group.delay(HOUR, move || drop(payload))
        })
        .collect();
    assert_eq!(Arc::strong_count(&payload), 101);
    for (n, handle) in handles.iter().enumerate() {
        assert!(handle.cancel());
        assert_eq!(Arc::strong_count(&payload), 100 - n);
        assert!(!handle.cancel(), "canceled twice");
    }
    assert_eq!(group.len(), 0);
}

// ===========================================================================
// Stale handles are harmless (invariant 5)
// ===========================================================================

/// The slab index a handle's key names, from its `Debug` output.
fn slot_of(handle: &TaskHandle) -> u32 {
    let text = format!("{handle:?}");
    let rest = &text[text.find("index: ").expect("Key's Debug shows its index") + 7..];
    rest[..rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len())]
        .parse()
        .expect("an index")
}

#[test]
fn inv5_stale_handle_after_run_spares_the_slot_reuser() {
    let group = Group::new();
    let old = group.schedule(Instant::now(), || {});
    assert_eq!(wait_within(&group, STEP_TIMEOUT), Ok(()));
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    // An hour out, so that it is certainly still pending while the stale
    // handle is tried, however slow the machine; then it is moved to now.
    let new = group.delay(HOUR, move || r.store(true, Ordering::SeqCst));
    assert_eq!(
        slot_of(&old),
        slot_of(&new),
        "the new task did not reuse the slot"
    );
    assert!(!old.is_pending());
    assert!(
        !old.cancel(),
        "a handle to a finished task canceled something"
    );
    assert!(!old.reset(Instant::now() + HOUR));
    assert!(new.is_pending());
    assert_eq!(group.len(), 1);
    assert!(new.reset(Instant::now()));
    assert_eq!(wait_within(&group, STEP_TIMEOUT), Ok(()));
    assert!(
        ran.load(Ordering::SeqCst),
        "the slot's new task did not run"
    );
}

#[test]
fn inv5_stale_handle_after_cancel_spares_the_slot_reuser() {
    let group = Group::new();
    let old = group.delay(HOUR, || {});
    assert!(old.cancel());
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    // An hour out, so that it is certainly still pending while the stale
    // handle is tried, however slow the machine; then it is moved to now.
    let new = group.delay(HOUR, move || r.store(true, Ordering::SeqCst));
    assert_eq!(
        slot_of(&old),
        slot_of(&new),
        "the new task did not reuse the slot"
    );
    assert!(!old.cancel());
    assert!(!old.reset(Instant::now() + HOUR));
    assert!(!old.is_pending());
    assert!(new.is_pending());
    assert!(new.reset(Instant::now()));
    assert_eq!(wait_within(&group, STEP_TIMEOUT), Ok(()));
    assert!(
        ran.load(Ordering::SeqCst),
        "the slot's new task did not run"
    );
}

/// Many rounds: every stale handle kept so far is tried against every new
/// generation of tasks; none of them is ever touched.
#[test]
fn inv5_stale_handles_never_touch_later_tasks() {
    let group = Group::new();
    let mut stale: Vec<TaskHandle> = Vec::new();
    let ran = Arc::new(AtomicUsize::new(0));
    for round in 0..30 {
        let fresh: Vec<_> = (0..20)
            .map(|_| {
                let ran = ran.clone();
                group.delay(HOUR, move || {
                    ran.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        for handle in &stale {
            assert!(!handle.cancel(), "round {round}: a stale cancel succeeded");
            assert!(
                !handle.reset(Instant::now()),
                "round {round}: a stale reset succeeded"
            );
            assert!(!handle.is_pending());
        }
        assert_eq!(
            group.len(),
            20,
            "round {round}: a stale handle removed a task"
        );
        // Half are canceled, half run now; all become stale.
        for (i, handle) in fresh.iter().enumerate() {
            if i % 2 == 0 {
                assert!(handle.cancel());
            } else {
                assert!(handle.reset(Instant::now()));
            }
        }
        assert_eq!(wait_within(&group, STEP_TIMEOUT), Ok(()));
        assert_eq!(ran.load(Ordering::SeqCst), (round + 1) * 10);
        stale.extend(fresh);
    }
}

// ===========================================================================
// Handles outliving their group
// ===========================================================================

/// Handles that outlive their group answer `false` and do nothing.
#[test]
fn inv8_handles_outliving_the_group_are_inert() {
    let group = Group::new();
    let pending = group.delay(HOUR, || {});
    let done = group.schedule(Instant::now(), || {});
    wait_for("the task due now to start", STEP_TIMEOUT, || {
        !done.is_pending()
    });
    assert!(pending.is_pending());
    drop(group);
    for handle in [&pending, &done] {
        assert!(!handle.is_pending());
        assert!(!handle.cancel());
        assert!(!handle.reset(Instant::now()));
        assert!(!handle.clone().cancel());
    }
}

/// The last `Group` held only by a pending closure, released by canceling
/// that task's handle: `cancel` drops it (and with it the group) cleanly.
#[test]
fn inv8_last_group_dropped_by_a_handle_cancel() {
    let group = Group::new();
    let inner = group.clone();
    let handle = group.delay(HOUR, move || drop(inner));
    drop(group);
    assert!(within(
        "cancel dropping the last group",
        STEP_TIMEOUT,
        move || handle.cancel()
    ));
}

// ===========================================================================
// deadline and reset_after, on the group's own clock
// ===========================================================================

/// `reset_after` measures from the group's clock, not `Instant::now()`:
/// under a manual clock that lags real time, a reset by 30 s fires after
/// 30 s of the manual clock.
#[test]
fn reset_after_measures_from_the_manual_clock() {
    let clock = ManualClock::new();
    let group = Group::builder().clock(clock.clone()).build();
    let ran = Arc::new(AtomicUsize::new(0));
    let counter = ran.clone();
    let handle = group.delay(HOUR, move || {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    thread::sleep(50 * MS); // real time passes; the manual clock does not
    assert!(handle.reset_after(Duration::from_secs(30)));
    assert_eq!(
        handle.deadline(),
        Some(group.now() + Duration::from_secs(30))
    );
    advance(&clock, Duration::from_secs(30) - MS);
    assert_eq!(ran.load(Ordering::SeqCst), 0, "fired early");
    advance(&clock, MS);
    assert_eq!(
        ran.load(Ordering::SeqCst),
        1,
        "reset_after used the wrong clock"
    );
    assert_eq!(handle.deadline(), None);
    assert!(!handle.reset_after(MS));
}

#[test]
fn reset_after_and_deadline_at_the_extremes() {
    let group = Group::new();
    let handle = group.delay(MS, || {});
    assert!(handle.reset_after(Duration::MAX));
    assert!(handle.is_pending());
    // After everything else: an instant centuries away, or none at all
    // where the platform's `Instant` cannot reach that far.
    let century = Duration::from_secs(100 * 365 * 86_400);
    assert!(handle
        .deadline()
        .is_none_or(|at| at > Instant::now() + century));
    assert!(handle.reset_after(Duration::ZERO));
    assert_eq!(wait_within(&group, STEP_TIMEOUT), Ok(()));

    let series = group.every(HOUR, || {});
    let next = series.deadline().expect("a series shows its next run");
    assert!(next > Instant::now() + HOUR - Duration::from_secs(1));
    assert!(series.reset_after(Duration::MAX));
    assert!(series.cancel());
    assert_eq!(series.deadline(), None);
}
