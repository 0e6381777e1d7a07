//! Waits for every task of a [`Tally`] with a progress line every interval,
//! so nobody stares at a silent terminal until the deadline.

use std::time::{Duration, Instant};

use schedgroup::Group;

use crate::procfs;
use crate::report::{self, Progress};
use crate::tally::Tally;

/// What the progress samples saw.
#[derive(Debug, Default)]
pub struct Watched {
    /// Most OS threads seen in any sample.
    pub peak_threads: Option<usize>,
    /// Most resident memory seen in any sample, bytes.
    pub peak_rss: Option<u64>,
}

/// Returns once all N tasks have run, or once none is pending and the count
/// stood still for a whole interval (so a lost or panicked task ends the
/// wait instead of hanging it; the caller then calls `Group::wait` and
/// checks the count).
///
/// `start` is time zero of the elapsed column; `deadline` is the latest
/// deadline scheduled.
pub fn until_done(
    group: &Group,
    tally: &Tally,
    target: usize,
    start: Instant,
    deadline: Instant,
    every: Duration,
) -> Watched {
    let mut progress = Progress::new();
    let mut watched = Watched::default();
    let width = report::count(target).len();
    let mut next = Instant::now() + every;
    let mut done_before = usize::MAX;
    loop {
        let woken = tally.wait_until(next);
        let pending = group.len();
        let done = tally.done();
        // The last task may land between the timeout and the reads above.
        let all_done = woken || done == target;
        let sample = procfs::sample();
        watched.peak_threads = watched.peak_threads.max(sample.threads);
        watched.peak_rss = watched.peak_rss.max(sample.rss);
        let now = Instant::now();
        let when = if all_done {
            "all done".to_string()
        } else if now < deadline {
            format!("deadline in {}", report::duration(deadline - now))
        } else {
            format!("deadline {}", report::offset(now, deadline))
        };
        progress.update(&format!(
            "[{:>6.1} s] pending {:>width$} | done {:>width$} | threads {:>3} | RSS {:>9} | {when}",
            (now - start).as_secs_f64(),
            report::count(pending),
            report::count(done),
            report::or_na(sample.threads, |t| t.to_string()),
            report::or_na(sample.rss, report::bytes),
        ));
        if all_done || (pending == 0 && done == done_before) {
            break;
        }
        done_before = done;
        next += every;
        if next <= now {
            next = now + every;
        }
    }
    progress.finish();
    watched
}
