//! The tests' time bounds, and the watchdogs that turn a hang into a
//! failure instead of a stalled suite.
//!
//! These bound only what must merely happen: no test asserts how fast
//! anything is. They are generous because CI is a loaded 2-core machine,
//! where a thread may wait a long time for a CPU, never this long unless
//! something is really stuck.

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use schedgroup::{Error, Group, ManualClock};

/// How long one step that must merely happen may take (a task to start, a
/// `wait` to return, an `advance` to finish, a thread to exit, a future to
/// complete) before the test fails it as a hang.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(10);

/// How long one big job run as a single step may take (thousands of groups,
/// tens of thousands of tasks) before the test fails it as a hang.
pub const JOB_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs `f` on its own thread and returns its result; panics naming `what`
/// if it does not finish within `limit`. A panic inside `f` is propagated.
pub fn within<T: Send + 'static>(
    what: &str,
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    let worker = thread::Builder::new()
        .name("test-watchdog".into())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .expect("spawn a test thread");
    match rx.recv_timeout(limit) {
        Ok(value) => {
            let _ = worker.join();
            value
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
            Err(payload) => std::panic::resume_unwind(payload),
            Ok(()) => unreachable!("the thread sent nothing and did not panic"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("hang: {what} did not finish within {limit:?}")
        }
    }
}

/// Polls `cond` every couple of milliseconds until it holds; panics naming
/// `what` if it does not within `limit`.
pub fn wait_for(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    loop {
        if cond() {
            return;
        }
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        thread::sleep(Duration::from_millis(2));
    }
}

/// `group.wait()` (on a clone) under [`within`].
pub fn wait_within(group: &Group, limit: Duration) -> Result<(), Error> {
    let group = group.clone();
    within("Group::wait", limit, move || group.wait())
}

/// `clock.advance(by)` (on a clone) under [`within`] with [`STEP_TIMEOUT`]:
/// it returns once the tasks due by then have run, which must merely happen.
pub fn advance(clock: &ManualClock, by: Duration) {
    let clock = clock.clone();
    within("ManualClock::advance", STEP_TIMEOUT, move || {
        clock.advance(by)
    });
}
