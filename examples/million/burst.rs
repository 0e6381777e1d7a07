//! `--mode burst`: N tasks, all due at ONE deadline (figure 4 of the README).
//!
//! Every closure captures one `Arc<Tally>` and increments its counter; the
//! task that makes it N notes the time. The deadline is `--delay` (1 s)
//! after the start of scheduling, so that all N are pending before it; the
//! table says if scheduling overran it. Reported: the time from the
//! deadline to the last task done, and N over that time (tasks/s).

use std::sync::Arc;
use std::time::Instant;

use schedgroup::Group;

use crate::args::{Config, Side};
use crate::figures::{self, header, row, since, Figures, Sides};
use crate::procfs;
use crate::report::{count, duration, met, nanos, or_na, rate, signed_nanos, Grid};
use crate::tally::Tally;
use crate::threads::{self, Census};
use crate::timers::Timers;
use crate::Failure;
use schedgroup_bench::go_heap::HeapGroup;

/// The goal of figure 4: all done at most this long after the deadline ...
const GOAL_DONE_NS: f64 = 100e6;
/// ... which for a million tasks is this rate.
const GOAL_RATE: f64 = 10e6;

pub fn run(config: &Config) -> Result<(), Failure> {
    if let Some(side) = config.child {
        return figures::emit(match side {
            Side::Heap => measure::<HeapGroup>(config),
            _ => measure::<Group>(config),
        });
    }
    let n = config.tasks;
    println!(
        "schedgroup million, mode burst: {} tasks, all scheduled for ONE deadline {} after the start",
        count(n),
        duration(config.delay)
    );
    println!("each closure captures one Arc and increments a shared AtomicUsize; the N-th notes the time");
    println!("(times are from the requested deadline; rate = N / (last done - deadline))");
    println!();
    let both = Sides::measure(config, measure::<Group>(config))?;
    let (wheel, heap) = (both.wheel(), both.heap());
    let (sides, names) = (both.refs(), both.names());
    println!();

    let mut grid = Grid::new(
        format!(
            "burst: {} tasks, one deadline {} after the start",
            count(n),
            duration(config.delay)
        ),
        &header("", &names),
    );
    let at = |f: &Figures, key: &str| or_na(f.get(key), signed_nanos);
    grid.row(row("schedule() calls", &sides, |f| {
        or_na(f.get("schedule_ns"), |ns| {
            format!("{} ({} per call)", nanos(ns), nanos(ns / n.max(1) as f64))
        })
    }));
    grid.row(row("scheduling finished", &sides, |f| {
        or_na(f.get("margin_ns"), |ns| {
            if ns >= 0.0 {
                format!("{} before the deadline", nanos(ns))
            } else {
                format!("{} AFTER the deadline (not a clean burst)", nanos(-ns))
            }
        })
    }));
    grid.row(row("first task ran", &sides, |f| at(f, "first_ran_ns")));
    grid.row(row("last task done (#4)", &sides, |f| {
        at(f, "last_done_ns")
    }));
    grid.row(row("tasks/s from the deadline", &sides, |f| {
        or_na(rate_from(f, "last_done_ns", n), rate)
    }));
    grid.row(row("first ran -> last done", &sides, |f| {
        or_na(
            f.get("last_done_ns").zip(f.get("first_ran_ns")),
            |(last, first)| {
                let span = last - first;
                format!(
                    "{} ({})",
                    nanos(span),
                    or_na((span > 0.0).then(|| n as f64 / span * 1e9), rate)
                )
            },
        )
    }));
    grid.row(row("wait() returned", &sides, |f| at(f, "wait_ns")));
    grid.row(row("timer thread, during the burst", &sides, |f| {
        threads::describe(f, "burst_", "timer")
    }));
    grid.row(row("workers, during the burst", &sides, |f| {
        format!(
            "{} threads: {}",
            or_na(f.get("burst_workers"), |w| format!("{w}")),
            threads::describe(f, "burst_", "workers")
        )
    }));
    grid.row(row("threads after wait()", &sides, |f| {
        or_na(f.get("threads"), |t| format!("{t}"))
    }));
    grid.row(row("final count", &sides, |f| final_count(f, n)));
    grid.print();
    println!("(during the burst = from the end of scheduling to wait() returning, per thread from");
    println!(
        " /proc/self/task/<tid>/schedstat: CPU time, and time runnable but waiting for a CPU)"
    );
    if heap.is_some() {
        println!("{}", figures::PEER_NOTE);
    }

    let verdict = |f: &Figures| {
        let done = f.get("last_done_ns");
        let per_sec = rate_from(f, "last_done_ns", n);
        format!(
            "all done {} after the deadline (goal <= 100 ms: {}), {} (goal >= 10 M/s: {})",
            or_na(done, signed_nanos),
            done.map_or("not measured", |ns| met(ns <= GOAL_DONE_NS)),
            or_na(per_sec, rate),
            per_sec.map_or("not measured", |r| met(r >= GOAL_RATE)),
        )
    };
    println!("verdict #4, schedgroup: {}", verdict(wheel));
    if let Some(heap) = &heap {
        println!("       for comparison, Go design: {}", verdict(heap));
    }
    for (f, name) in sides.iter().zip(&names) {
        if f.get("margin_ns").is_some_and(|m| m < 0.0) {
            println!(
                "note: {name}: scheduling finished after the deadline; rerun with a larger --delay"
            );
        }
    }
    check(wheel, n, Group::NAME)?;
    if let Some(heap) = &heap {
        check(heap, n, HeapGroup::NAME)?;
    }
    Ok(())
}

/// Schedules `n` tasks for one deadline on a fresh `T` and waits for them.
pub fn measure<T: Timers>(config: &Config) -> Figures {
    let n = config.tasks;
    let census = Census::before_start();
    let timers = T::start(config);
    let tally = Tally::new(n);
    let start = Instant::now();
    let deadline = start + config.delay;
    for _ in 0..n {
        let tally = Arc::clone(&tally);
        timers.schedule(deadline, move || tally.hit());
    }
    let scheduled = Instant::now();
    let before = procfs::threads();
    let waited = timers.wait();
    let returned = Instant::now();
    let after = procfs::threads();
    let threads = procfs::sample().threads;
    drop(timers);

    let mut f = Figures::default();
    census.record::<T>(&mut f, "burst_", &before, &after);
    f.set("schedule_ns", since(scheduled, start));
    f.set("margin_ns", since(deadline, scheduled));
    f.set_opt("first_ran_ns", tally.first().map(|t| since(t, deadline)));
    f.set_opt("last_done_ns", tally.last().map(|t| since(t, deadline)));
    f.set("wait_ns", since(returned, deadline));
    f.set_opt("threads", threads.map(|t| t as f64));
    f.set("done", tally.done() as f64);
    if let Err(e) = waited {
        f.note("wait_error", e);
    }
    f
}

/// N over the time from the deadline to `key`, per second.
fn rate_from(f: &Figures, key: &str, n: usize) -> Option<f64> {
    f.get(key)
        .filter(|&ns| ns > 0.0)
        .map(|ns| n as f64 / ns * 1e9)
}

fn final_count(f: &Figures, n: usize) -> String {
    let done = f.get("done").map_or(0, |d| d as usize);
    let verdict = if done == n { "OK" } else { "WRONG" };
    match f.text("wait_error") {
        Some(e) => format!("{} of {} {verdict}, wait(): {e}", count(done), count(n)),
        None => format!("{} of {} {verdict}", count(done), count(n)),
    }
}

/// Correctness (not speed): every task ran once and wait() said Ok.
fn check(f: &Figures, n: usize, name: &str) -> Result<(), Failure> {
    if let Some(e) = f.text("wait_error") {
        return Err(Failure(format!("{name}: wait() returned Err({e})")));
    }
    let done = f.get("done").map_or(0, |d| d as usize);
    if done != n {
        return Err(Failure(format!(
            "{name}: final count is {}, expected {}",
            count(done),
            count(n)
        )));
    }
    Ok(())
}
