//! `--mode lateness`: N tasks (100k) with deadlines spread evenly over D
//! seconds (2 s), at schedgroup's default tick or `--tick` (figure 5 of the
//! README); with `--compare`, the Go design and scheduled-thread-pool beside
//! it (and, with `--tick`, schedgroup at its default tick too), each in a
//! child process.
//!
//! Task `i` is due at `t0 + D * i / N`, `t0` a quarter second after the
//! start of scheduling, or 1 µs per task if that is later (1 s for 1M), so
//! that every side has scheduled them all before the first is due (the
//! table says if scheduling overran it). The first
//! thing each task does is read the clock and store `now - deadline`, in
//! nanoseconds, into its own preallocated slot, so the percentiles are
//! exact (nearest rank over all N), and a negative value is an early start.
//! schedgroup's own `Group::stats().lateness` is printed beside: it is
//! measured when a worker takes the task, from the deadline, and kept in a
//! histogram whose values are bucket upper bounds.
//!
//! CPU: per thread from schedstat, the timer thread (schedgroup's driver,
//! the Go design's timer; scheduled-thread-pool has none) and the workers,
//! from the end of scheduling to `wait()` returning; their sum is what the
//! goals compare, and the process's `utime + stime` over the same span
//! (10 ms steps, threads that exited included) cross-checks it. The goals
//! are in `lateness_goals.rs`.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use schedgroup::Group;

use crate::args::{Config, Side};
use crate::figures::{self, header, row, since, Figures, Sides};
use crate::lateness_goals::{self, GOAL_MAX_NS, GOAL_P99_NS};
use crate::pool::Pool;
use crate::procfs;
use crate::report::{count, duration, nanos, or_na, signed_nanos, Grid};
use crate::threads::{self, Census};
use crate::timers::Timers;
use crate::Failure;
use schedgroup_bench::go_heap::HeapGroup;

/// The first deadline after the start of scheduling: at least this ...
const MIN_LEAD: Duration = Duration::from_millis(250);
/// ... and at least this per task, so that a side scheduling at a few
/// hundred nanoseconds per task finishes before the first is due.
const LEAD_PER_TASK: Duration = Duration::from_micros(1);
/// A slot no task has written.
const NOT_RUN: i64 = i64::MIN;
/// schedgroup's tick when `--tick` is not given.
const DEFAULT_TICK: Duration = Duration::from_millis(1);

/// The first deadline, after the start of scheduling, for `n` tasks.
fn lead(n: usize) -> Duration {
    let per_task = LEAD_PER_TASK.saturating_mul(u32::try_from(n).unwrap_or(u32::MAX));
    MIN_LEAD.max(per_task)
}

/// schedgroup's tick (and timer slack, if given), for the tables:
/// `"1.0 ms tick (default)"`, `"1.0 ms tick (default), 50.0 µs slack"`.
fn tick_label(tick: Option<Duration>, slack: Option<Duration>) -> String {
    let tick = match tick {
        Some(tick) => format!("{} tick", duration(tick)),
        None => format!("{} tick (default)", duration(DEFAULT_TICK)),
    };
    match slack {
        Some(slack) => format!("{tick}, {} slack", duration(slack)),
        None => tick,
    }
}

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
        return figures::emit(match side {
            Side::Heap => measure::<HeapGroup>(config),
            Side::Pool => measure::<Pool>(config),
            _ => measure::<Group>(config),
        });
    }
    let n = config.tasks;
    println!(
        "schedgroup million, mode lateness: {} tasks due evenly over {}, the first {} after the start; schedgroup at a {}",
        count(n),
        duration(config.delay),
        duration(lead(n)),
        tick_label(config.tick, config.timer_slack)
    );
    println!("each task stores Instant::now() - its requested deadline first thing (exact, nearest-rank percentiles)");
    println!("(each closure captures one Arc and its index: 16 bytes, so schedgroup boxes it)");
    println!();
    let wheel_name = format!(
        "schedgroup, {}",
        tick_label(config.tick, config.timer_slack)
    );
    let mut sides = Sides::new(Side::Wheel, wheel_name, measure::<Group>(config));
    if config.compare {
        if config.tick.is_some() || config.timer_slack.is_some() {
            let default_tick = Config {
                tick: None,
                timer_slack: None,
                ..config.clone()
            };
            let name = format!("schedgroup, {}", tick_label(None, None));
            sides.add_child(&default_tick, Side::Wheel, name)?;
        }
        sides.add_child(config, Side::Heap, HeapGroup::NAME)?;
        sides.add_child(config, Side::Pool, Pool::NAME)?;
    }
    print_table(config, &sides);
    lateness_goals::print_verdicts(config, &sides);
    for (f, name) in sides.refs().into_iter().zip(sides.names()) {
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

fn print_table(config: &Config, both: &Sides) {
    let (sides, names) = (both.refs(), both.names());
    println!();
    let mut grid = Grid::new(
        format!(
            "lateness: {} tasks spread over {} (start - requested deadline)",
            count(config.tasks),
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
    grid.row(row("timer thread: CPU / waiting / switches", &sides, |f| {
        if f.get("run_timer_cpu_ns").is_none() {
            "none (workers wait for deadlines)".to_string()
        } else {
            threads::compact(f, "run_", "timer")
        }
    }));
    grid.row(row("workers: CPU / waiting / switches", &sides, |f| {
        format!(
            "{}: {}",
            or_na(f.get("run_workers"), |w| format!("{w}")),
            threads::compact(f, "run_", "workers")
        )
    }));
    grid.row(row("CPU, timer + workers (compared)", &sides, |f| {
        or_na(f.get("run_cpu_ns"), nanos)
    }));
    grid.row(row("CPU, process utime+stime", &sides, |f| {
        or_na(f.get("proc_ticks_ns"), |ns| {
            format!("{} (10 ms steps)", nanos(ns))
        })
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
    println!("(from the end of scheduling to wait() returning, per thread from /proc/self/task/<tid>/schedstat:");
    println!(" CPU time, and time runnable but waiting for a CPU; switches from its status; workers: N threads.");
    println!(" utime+stime also counts threads that exited during the run)");
    println!(
        "(stats(): from the deadline to when a worker took the task, histogram bucket upper bounds (<= 12.5% high))"
    );
    if both.heap().is_some() {
        println!("{}", figures::PEER_NOTE);
    }
    if both.peer(Side::Pool).is_some() {
        println!("{}", figures::POOL_NOTE);
    }
}

/// Schedules the spread on a fresh `T`, waits, and summarises the slots.
pub fn measure<T: Timers>(config: &Config) -> Figures {
    let n = config.tasks;
    let mut f = Figures::default();
    if let Some(load) = procfs::loadavg() {
        f.note("loadavg", load);
    }
    let census = Census::before_start();
    let timers = T::start(config);
    let start = Instant::now();
    let log = Arc::new(Log {
        t0: start + lead(n),
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
    let ticks_before = procfs::process_cpu_ticks();
    let waited = timers.wait();
    let ticks_after = procfs::process_cpu_ticks();
    let after = procfs::threads();
    census.record::<T>(&mut f, "run_", &before, &after);
    f.set_opt(
        "run_cpu_ns",
        f.get("run_workers_cpu_ns")
            .map(|workers| workers + f.get("run_timer_cpu_ns").unwrap_or(0.0)),
    );
    f.set_opt(
        "proc_ticks_ns",
        ticks_before
            .zip(ticks_after)
            .map(|(b, a)| a.saturating_sub(b) as f64 * 1e9 / procfs::USER_HZ as f64),
    );
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
