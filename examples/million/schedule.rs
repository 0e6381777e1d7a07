//! `--mode schedule`: the experiment behind Go's schedgroup package.
//!
//! Schedules N closures with `Group::delay(D, ..)`, each capturing one
//! `Arc<Tally>` and incrementing its counter, then reports: OS threads and
//! resident memory while they are pending (and RSS growth over a baseline
//! taken just before scheduling), the cost of a `delay` call, how long after
//! the deadline the last task was done, and the final count, which must be N.

use std::sync::Arc;
use std::time::{Duration, Instant};

use schedgroup::Error;

use crate::args::Config;
use crate::procfs::{self, Sample};
use crate::report::{self, bytes, bytes_delta, count, duration, offset, or_na, Table};
use crate::tally::Tally;
use crate::timers;
use crate::watch::{self, Watched};
use crate::Failure;

const PROGRESS_EVERY: Duration = Duration::from_millis(500);
/// How long to wait for worker threads to go away after the group is dropped.
const EXIT_GRACE: Duration = Duration::from_secs(3);

pub fn run(config: &Config) -> Result<(), Failure> {
    let (n, delay) = (config.tasks, config.delay);
    println!(
        "schedgroup million, mode schedule: {} x Group::delay({}, closure)",
        count(n),
        duration(delay)
    );
    println!("each closure captures one Arc and increments a shared AtomicUsize");
    println!("(MB = 10^6 bytes; threads and RSS from /proc/self/status)");
    println!();

    let no_group = procfs::sample();
    let group = timers::group(config);
    let tally = Tally::new(n);
    let baseline = procfs::sample();
    println!(
        "before scheduling  threads {} (main + driver) | RSS {} (baseline)",
        threads(baseline.threads),
        or_na(baseline.rss, bytes),
    );

    let start = Instant::now();
    for _ in 0..n {
        let tally = Arc::clone(&tally);
        group.delay(delay, move || tally.hit());
    }
    let scheduled = Instant::now();
    let pending = procfs::sample();
    let pending_count = group.len();
    let took = scheduled - start;
    println!(
        "scheduled          {} delay calls in {} | {} per call | {}",
        count(n),
        duration(took),
        per_call(took, n),
        calls_per_sec(took, n),
    );
    println!(
        "while pending      {} pending | threads {} | RSS {} ({})",
        count(pending_count),
        threads(pending.threads),
        or_na(pending.rss, bytes),
        growth(&baseline, &pending, n),
    );

    // Every deadline lies in [first_deadline, last_deadline]: each is the
    // instant of its `delay` call plus `delay`.
    let first_deadline = start + delay;
    let last_deadline = scheduled + delay;
    println!(
        "waiting            deadlines {} .. {} from the start of scheduling; progress every {}",
        offset(first_deadline, start),
        offset(last_deadline, start),
        duration(PROGRESS_EVERY),
    );
    println!();
    let watched = watch::until_done(&group, &tally, n, start, last_deadline, PROGRESS_EVERY);
    let waited = group.wait();
    let after_wait = procfs::sample();
    drop(group);
    let after_drop_threads = threads_settled(no_group.threads);
    println!();

    let measured = Measured {
        n,
        delay,
        took,
        no_group,
        baseline,
        pending,
        after_wait,
        after_drop_threads,
        watched,
        first_deadline,
        last_deadline,
        first_ran: tally.first(),
        last_done: tally.last(),
        waited,
        done: tally.done(),
    };
    measured.summary().print();
    measured.verdict()
}

/// Everything `run` measured, for the summary table and the verdict.
struct Measured {
    n: usize,
    delay: Duration,
    took: Duration,
    no_group: Sample,
    baseline: Sample,
    pending: Sample,
    after_wait: Sample,
    after_drop_threads: Option<usize>,
    watched: Watched,
    first_deadline: Instant,
    last_deadline: Instant,
    first_ran: Option<Instant>,
    last_done: Option<Instant>,
    waited: Result<(), Error>,
    done: usize,
}

impl Measured {
    fn summary(&self) -> Table {
        let mut table = Table::new(format!(
            "summary: mode schedule, {} tasks, delay {}",
            count(self.n),
            duration(self.delay)
        ));
        table.row(
            "delay() per call",
            format!(
                "{} ({}; {} for all)",
                per_call(self.took, self.n),
                calls_per_sec(self.took, self.n),
                duration(self.took)
            ),
        );
        table.row(
            "threads",
            format!(
                "{} pending, {} peak, {} after wait(), {} after drop ({} before the group)",
                threads(self.pending.threads),
                threads(self.watched.peak_threads.max(self.pending.threads)),
                threads(self.after_wait.threads),
                threads(self.after_drop_threads),
                threads(self.no_group.threads),
            ),
        );
        table.row("RSS baseline", or_na(self.baseline.rss, bytes));
        table.row(
            "RSS while pending",
            format!(
                "{} ({})",
                or_na(self.pending.rss, bytes),
                growth(&self.baseline, &self.pending, self.n)
            ),
        );
        let peak_rss = (self.after_wait.peak_rss)
            .max(self.watched.peak_rss)
            .max(self.pending.rss);
        table.row(
            "RSS after wait() / peak",
            format!(
                "{} / {}",
                or_na(self.after_wait.rss, bytes),
                or_na(peak_rss, bytes)
            ),
        );
        table.row(
            "first task ran",
            or_na(self.first_ran, |t| {
                format!(
                    "{} after the first deadline",
                    offset(t, self.first_deadline)
                )
            }),
        );
        table.row(
            "last task done",
            or_na(self.last_done, |t| {
                format!("{} after the last deadline", offset(t, self.last_deadline))
            }),
        );
        table.row(
            "first ran -> last done",
            or_na(self.first_ran.zip(self.last_done), |(a, b)| duration(b - a)),
        );
        table.row("wait()", format!("{:?}", self.waited));
        let verdict = if self.done == self.n { "OK" } else { "WRONG" };
        table.row(
            "final count",
            format!("{} of {} {verdict}", count(self.done), count(self.n)),
        );
        table
    }

    fn verdict(&self) -> Result<(), Failure> {
        if let Err(e) = &self.waited {
            return Err(Failure(format!("Group::wait() returned Err({e})")));
        }
        if self.done != self.n {
            return Err(Failure(format!(
                "final count is {}, expected {}",
                count(self.done),
                count(self.n)
            )));
        }
        Ok(())
    }
}

fn threads(threads: Option<usize>) -> String {
    or_na(threads, |t| t.to_string())
}

/// `"349.0 ns"`: the mean cost of one `delay` call.
fn per_call(took: Duration, n: usize) -> String {
    let ns = (n > 0).then(|| took.as_secs_f64() * 1e9 / n as f64);
    or_na(ns, |ns| format!("{ns:.1} ns"))
}

/// `"2.87 M/s"`: `delay` calls per second.
fn calls_per_sec(took: Duration, n: usize) -> String {
    let rate = (n > 0 && !took.is_zero()).then(|| n as f64 / took.as_secs_f64());
    or_na(rate, report::rate)
}

/// `"+72.0 MB over baseline, 72.0 B per task"`: RSS growth from `before`
/// to `after`.
fn growth(before: &Sample, after: &Sample, n: usize) -> String {
    or_na(before.rss.zip(after.rss), |(before, after)| {
        let per_task = after.saturating_sub(before) as f64 / n as f64;
        let per_task = or_na((n > 0).then_some(per_task), |b| format!("{b:.1} B"));
        format!(
            "{} over baseline, {per_task} per task",
            bytes_delta(after, before)
        )
    })
}

/// The thread count once worker threads have had `EXIT_GRACE` to exit
/// (a dropped group joins its driver; idle workers leave on their own).
fn threads_settled(target: Option<usize>) -> Option<usize> {
    let give_up = Instant::now() + EXIT_GRACE;
    loop {
        let threads = procfs::sample().threads;
        if threads <= target || Instant::now() >= give_up {
            return threads;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
