//! `--mode lateness`: N tasks (100k) with deadlines spread evenly over D
//! seconds (2 s), at the default 1 ms tick (figure 5 of the README).
//!
//! Task `i` is due at `t0 + D * i / N`, `t0` a quarter second after the
//! start of scheduling (the table says if scheduling overran it). The first
//! thing each task does is read the clock and store `now - deadline`, in
//! nanoseconds, into its own preallocated slot, so the percentiles are
//! exact (nearest rank over all N), and a negative value is an early start.
//! schedgroup's own `Group::stats().lateness` is printed beside: it is
//! measured when a worker takes the task, from the deadline rounded up to
//! a tick, and kept in a histogram whose values are bucket upper bounds.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use schedgroup::Group;

use crate::args::Config;
use crate::figures::{self, header, row, since, Figures, Sides};
use crate::procfs;
use crate::report::{count, duration, met, nanos, or_na, signed_nanos, Grid};
use crate::threads::{self, Census};
use crate::timers::Timers;
use crate::Failure;
use schedgroup_bench::go_heap::HeapGroup;

/// The first deadline, after the start of scheduling.
const LEAD: Duration = Duration::from_millis(250);
/// A slot no task has written.
const NOT_RUN: i64 = i64::MIN;
/// The crate's goals for figure 5.
const GOAL_P99_NS: f64 = 1.2e6;
const GOAL_MAX_NS: f64 = 3e6;

/// What every closure captures (with its index).
struct Log {
    t0: Instant,
    span_ns: u128,
    n: usize,
    /// `start - deadline` of task `i`, nanoseconds; [`NOT_RUN`] until it runs.
    late: Vec<AtomicI64>,
}

impl Log {
    fn deadline(&self, i: usize) -> Instant {
        let offset = self.span_ns * i as u128 / self.n as u128;
        self.t0 + Duration::from_nanos(offset as u64)
    }

    #[inline]
    fn record(&self, i: usize) {
        let now = Instant::now();
        let late = since(now, self.deadline(i)) as i64;
        self.late[i].store(late, Ordering::Relaxed);
    }
}

/// Percentiles shown, with their figure keys.
const QUANTILES: [(&str, f64); 3] = [("p50", 0.5), ("p99", 0.99), ("p999", 0.999)];

pub fn run(config: &Config) -> Result<(), Failure> {
    if let Some(side) = config.child {
        return figures::emit_for(
            side,
            || measure::<Group>(config),
            || measure::<HeapGroup>(config),
        );
    }
    let n = config.tasks;
    println!(
        "schedgroup million, mode lateness: {} tasks due evenly over {}, the first {} after the start; 1 ms tick",
        count(n),
        duration(config.delay),
        duration(LEAD)
    );
    println!("each task stores Instant::now() - its requested deadline first thing (exact, nearest-rank percentiles)");
    println!("(each closure captures one Arc and its index: 16 bytes, so schedgroup boxes it)");
    println!();
    let both = Sides::measure(config, measure::<Group>(config))?;
    let (wheel, heap) = (both.wheel(), both.heap());
    let (sides, names) = (both.refs(), both.names());
    println!();

    let mut grid = Grid::new(
        format!(
            "lateness: {} tasks spread over {} (start - requested deadline)",
            count(n),
            duration(config.delay)
        ),
        &header("", &names),
    );
    let late = |key: &str| {
        let key = key.to_string();
        move |f: &Figures| or_na(f.get(&key), signed_nanos)
    };
    grid.row(row("load average at start", &sides, |f| {
        f.text("loadavg").unwrap_or("n/a").to_string()
    }));
    grid.row(row("scheduling finished", &sides, |f| {
        or_na(f.get("margin_ns"), |ns| {
            if ns >= 0.0 {
                format!("{} before the first deadline", nanos(ns))
            } else {
                format!("{} AFTER the first deadline", nanos(-ns))
            }
        })
    }));
    grid.row(row("min", &sides, late("min_ns")));
    for (name, _) in QUANTILES {
        grid.row(row(name, &sides, late(&format!("{name}_ns"))));
    }
    grid.row(row("max", &sides, late("max_ns")));
    grid.row(row("mean", &sides, late("mean_ns")));
    grid.row(row("later than 1.2 ms / 3 ms", &sides, |f| {
        format!(
            "{} / {}",
            or_na(f.get("over_p99_goal"), |c| count(c as usize)),
            or_na(f.get("over_max_goal"), |c| count(c as usize))
        )
    }));
    grid.row(row("early (must be 0)", &sides, |f| {
        or_na(f.get("early"), |c| count(c as usize))
    }));
    grid.row(row("ran / not run", &sides, |f| {
        format!(
            "{} / {}",
            or_na(f.get("ran"), |c| count(c as usize)),
            or_na(f.get("not_run"), |c| count(c as usize))
        )
    }));
    grid.row(row("timer thread, during the run", &sides, |f| {
        threads::describe(f, "run_", "timer")
    }));
    grid.row(row("workers, during the run", &sides, |f| {
        format!(
            "{} threads: {}",
            or_na(f.get("run_workers"), |w| format!("{w}")),
            threads::describe(f, "run_", "workers")
        )
    }));
    let stat = |key: &str| {
        let key = key.to_string();
        move |f: &Figures| or_na(f.get(&key), nanos)
    };
    grid.row(row("Group::stats().lateness:", &sides, |f| {
        or_na(f.get("stats_samples"), |s| {
            format!("{} samples", count(s as usize))
        })
    }));
    for (name, _) in QUANTILES {
        grid.row(row(
            &format!("  {name}"),
            &sides,
            stat(&format!("stats_{name}_ns")),
        ));
    }
    grid.row(row("  max", &sides, stat("stats_max_ns")));
    grid.print();
    println!("(during the run = from the end of scheduling to wait() returning, per thread from");
    println!(
        " /proc/self/task/<tid>/schedstat: CPU time, and time runnable but waiting for a CPU)"
    );
    println!(
        "(stats(): from the deadline rounded up to the 1 ms tick to when a worker took the task, histogram\n bucket upper bounds (<= 12.5% high); the rows above it also count the rounding, up to one tick)"
    );
    if heap.is_some() {
        println!("{}", figures::PEER_NOTE);
        println!("  (the heap keeps exact Instants: no tick rounding)");
    }

    let verdict = |f: &Figures| {
        let (p99, max, early) = (f.get("p99_ns"), f.get("max_ns"), f.get("early"));
        format!(
            "p99 {} (goal <= 1.2 ms: {}), max {} (goal <= 3 ms: {}), early {} (goal 0: {})",
            or_na(p99, signed_nanos),
            p99.map_or("not measured", |v| met(v <= GOAL_P99_NS)),
            or_na(max, signed_nanos),
            max.map_or("not measured", |v| met(v <= GOAL_MAX_NS)),
            or_na(early, |c| count(c as usize)),
            early.map_or("not measured", |c| met(c == 0.0)),
        )
    };
    println!("verdict #5, schedgroup: {}", verdict(wheel));
    if let Some(heap) = &heap {
        println!("       for comparison, Go design: {}", verdict(heap));
    }
    println!("(lateness depends on the machine's load: other runnable threads delay the wake-ups)");
    for (f, name) in sides.iter().zip(&names) {
        if let Some(e) = f.text("wait_error") {
            return Err(Failure(format!("{name}: wait() returned Err({e})")));
        }
        if f.get("not_run").is_some_and(|c| c > 0.0) {
            return Err(Failure(format!("{name}: some tasks never ran")));
        }
        if f.get("early").is_some_and(|c| c > 0.0) {
            return Err(Failure(format!(
                "{name}: tasks started before their deadline"
            )));
        }
    }
    Ok(())
}

/// Schedules the spread on a fresh `T`, waits, and summarises the slots.
pub fn measure<T: Timers>(config: &Config) -> Figures {
    let n = config.tasks;
    let mut f = Figures::default();
    if let Some(load) = procfs::loadavg() {
        f.note("loadavg", load);
    }
    let census = Census::before_start();
    let timers = T::start();
    let start = Instant::now();
    let log = Arc::new(Log {
        t0: start + LEAD,
        span_ns: config.delay.as_nanos(),
        n: n.max(1),
        late: (0..n).map(|_| AtomicI64::new(NOT_RUN)).collect(),
    });
    for i in 0..n {
        let task_log = Arc::clone(&log);
        timers.schedule(log.deadline(i), move || task_log.record(i));
    }
    let scheduled = Instant::now();
    let before = procfs::threads();
    let waited = timers.wait();
    let after = procfs::threads();
    census.record::<T>(&mut f, "run_", &before, &after);
    if let Some(stats) = timers.lateness() {
        f.set("stats_samples", stats.samples as f64);
        f.set("stats_p50_ns", stats.p50.as_nanos() as f64);
        f.set("stats_p99_ns", stats.p99.as_nanos() as f64);
        f.set("stats_p999_ns", stats.p999.as_nanos() as f64);
        f.set("stats_max_ns", stats.max.as_nanos() as f64);
    }
    drop(timers);

    f.set("margin_ns", since(log.t0, scheduled));
    if let Err(e) = waited {
        f.note("wait_error", e);
    }
    let mut late: Vec<i64> = log
        .late
        .iter()
        .map(|slot| slot.load(Ordering::Relaxed))
        .filter(|&v| v != NOT_RUN)
        .collect();
    late.sort_unstable();
    f.set("ran", late.len() as f64);
    f.set("not_run", (n - late.len()) as f64);
    f.set("early", late.iter().filter(|&&v| v < 0).count() as f64);
    let over = |limit: f64| late.iter().filter(|&&v| v as f64 > limit).count() as f64;
    f.set("over_p99_goal", over(GOAL_P99_NS));
    f.set("over_max_goal", over(GOAL_MAX_NS));
    if let (Some(&min), Some(&max)) = (late.first(), late.last()) {
        f.set("min_ns", min as f64);
        f.set("max_ns", max as f64);
        let sum: i128 = late.iter().map(|&v| i128::from(v)).sum();
        f.set("mean_ns", sum as f64 / late.len() as f64);
        for (name, q) in QUANTILES {
            // Nearest rank: the smallest value with at least q of all at or below it.
            let rank = ((late.len() as f64 * q).ceil() as usize).clamp(1, late.len());
            f.set(&format!("{name}_ns"), late[rank - 1] as f64);
        }
    }
    f
}
