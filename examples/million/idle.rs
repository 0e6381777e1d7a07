//! `--mode idle`: N tasks (1M) pending D seconds (1 h) out, then watch the
//! process for `--observe` seconds (10 s) (figure 6 of the README).
//!
//! Wake-ups are counted per thread from `/proc/self/task/<tid>/status`
//! (`voluntary_ctxt_switches + nonvoluntary_ctxt_switches`: a thread that
//! wakes, works briefly and blocks again leaves the CPU once per wake-up),
//! CPU time from `/proc/self/task/<tid>/schedstat` (nanoseconds on a CPU)
//! and, as a cross-check with 10 ms resolution, from `utime + stime` of
//! `/proc/self/stat`. The main thread sleeps through the window, so it
//! wakes once at its end, and it reads /proc at both edges: its share is
//! shown apart, and the process total includes it.

use std::collections::HashSet;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use schedgroup::Group;

use crate::args::{Config, Side};
use crate::figures::{self, header, row, since, Figures, Sides};
use crate::procfs::{self, ThreadStat};
use crate::report::{count, duration, met, nanos, or_na, Grid};
use crate::tally::Tally;
use crate::timers::Timers;
use crate::Failure;
use schedgroup_bench::go_heap::HeapGroup;

/// Time given to the scheduler to take in the last schedules (and the
/// driver to park) before the window opens.
const SETTLE: Duration = Duration::from_secs(1);
/// The crate's goal for figure 6, over 10 s.
const GOAL_WAKEUPS: f64 = 2.0;
const GOAL_CPU_NS: f64 = 20e6;
/// The contrast: a loop that polls every millisecond.
const POLL_EVERY: Duration = Duration::from_millis(1);

pub fn run(config: &Config) -> Result<(), Failure> {
    if let Some(side) = config.child {
        return figures::emit(match side {
            Side::Heap => measure::<HeapGroup>(config),
            _ => measure::<Group>(config),
        });
    }
    let n = config.tasks;
    println!(
        "schedgroup million, mode idle: {} tasks pending {} out, then {} settling and {} watched",
        count(n),
        duration(config.delay),
        duration(SETTLE),
        duration(config.observe)
    );
    println!(
        "wake-ups = voluntary + nonvoluntary context switches (/proc/self/task/<tid>/status);"
    );
    println!("CPU = /proc/self/task/<tid>/schedstat (ns), cross-checked with utime+stime of /proc/self/stat (10 ms ticks)");
    println!();
    let both = Sides::measure(config, measure::<Group>(config))?;
    let (wheel, heap) = (both.wheel(), both.heap());
    let (sides, names) = (both.refs(), both.names());
    println!();

    let mut grid = Grid::new(
        format!(
            "idle: {} tasks pending {} out, watched for {}",
            count(n),
            duration(config.delay),
            duration(config.observe)
        ),
        &header("", &names),
    );
    let num = |key: &str| {
        let key = key.to_string();
        move |f: &Figures| or_na(f.get(&key), |v| count(v as usize))
    };
    let cpu = |key: &str| {
        let key = key.to_string();
        move |f: &Figures| or_na(f.get(&key), nanos)
    };
    grid.row(row("load average at start", &sides, |f| {
        f.text("loadavg").unwrap_or("n/a").to_string()
    }));
    grid.row(row("scheduling took", &sides, cpu("schedule_ns")));
    grid.row(row("pending at start / end of window", &sides, |f| {
        format!(
            "{} / {}",
            or_na(f.get("pending_before"), |v| count(v as usize)),
            or_na(f.get("pending_after"), |v| count(v as usize))
        )
    }));
    grid.row(row("window measured", &sides, cpu("window_ns")));
    grid.row(row(
        "timer thread wake-ups (#6)",
        &sides,
        num("timer_switches"),
    ));
    grid.row(row("timer thread CPU", &sides, cpu("timer_cpu_ns")));
    grid.row(row("scheduler threads (all)", &sides, num("sched_threads")));
    grid.row(row("  their wake-ups", &sides, num("sched_switches")));
    grid.row(row("  their CPU", &sides, cpu("sched_cpu_ns")));
    grid.row(row("main thread wake-ups / CPU", &sides, |f| {
        format!(
            "{} / {}",
            or_na(f.get("main_switches"), |v| count(v as usize)),
            or_na(f.get("main_cpu_ns"), nanos)
        )
    }));
    grid.row(row(
        "process CPU, schedstat (#6)",
        &sides,
        cpu("proc_cpu_ns"),
    ));
    grid.row(row("process CPU, utime+stime", &sides, |f| {
        or_na(f.get("proc_ticks_ns"), |ns| {
            format!("{} (10 ms steps)", nanos(ns))
        })
    }));
    grid.row(row(
        "threads not alive at both ends",
        &sides,
        num("threads_changed"),
    ));
    let polls = config.observe.as_secs_f64() / POLL_EVERY.as_secs_f64();
    grid.row(row("a 1 ms polling loop (computed)", &sides, |_| {
        format!("{} wake-ups", count(polls.round() as usize))
    }));
    grid.print();
    for (f, name) in sides.iter().zip(&names) {
        println!(
            "{name}: timer thread = {}",
            f.text("timer_thread").unwrap_or("not found")
        );
    }
    if heap.is_some() {
        println!("{}", figures::PEER_NOTE);
    }

    let verdict = |f: &Figures| {
        let (wakeups, cpu) = (f.get("timer_switches"), f.get("proc_cpu_ns"));
        format!(
            "{} timer-thread wake-ups (goal <= 2: {}), {} process CPU (goal <= 20 ms: {}) over {}",
            or_na(wakeups, |v| count(v as usize)),
            wakeups.map_or("not measured", |v| met(v <= GOAL_WAKEUPS)),
            or_na(cpu, nanos),
            cpu.map_or("not measured", |v| met(v <= GOAL_CPU_NS)),
            duration(config.observe),
        )
    };
    if config.observe != Duration::from_secs(10) {
        println!(
            "(the goals are for a 10 s window; this one was {})",
            duration(config.observe)
        );
    }
    println!("verdict #6, schedgroup: {}", verdict(wheel));
    if let Some(heap) = &heap {
        println!("       for comparison, Go design: {}", verdict(heap));
    }
    println!(
        "(vs {} wake-ups for a 1 ms polling loop; a loaded machine adds preemptions, not wake-ups of a parked thread)",
        count(polls.round() as usize)
    );
    for (f, name) in sides.iter().zip(&names) {
        if f.get("pending_after") != Some(n as f64) {
            return Err(Failure(format!(
                "{name}: {} pending at the end of the window, expected {}",
                or_na(f.get("pending_after"), |v| count(v as usize)),
                count(n)
            )));
        }
    }
    Ok(())
}

/// How much `field` grew from `before` to `after`, summed over the kept
/// threads alive at the end (one born in the window counts from 0; one that
/// died in it is lost, which `threads_changed` reports).
pub fn delta(
    before: &[ThreadStat],
    after: &[ThreadStat],
    keep: impl Fn(u32) -> bool,
    field: impl Fn(&ThreadStat) -> Option<u64>,
) -> Option<f64> {
    let mut sum = 0u64;
    for b in after.iter().filter(|t| keep(t.tid)) {
        let a = match before.iter().find(|a| a.tid == b.tid) {
            Some(a) => field(a)?,
            None => 0,
        };
        sum += field(b)?.checked_sub(a)?;
    }
    Some(sum as f64)
}

/// Fills a fresh `T` with N tasks far out, lets it settle, and watches.
pub fn measure<T: Timers>(config: &Config) -> Figures {
    let n = config.tasks;
    let mut f = Figures::default();
    if let Some(load) = procfs::loadavg() {
        f.note("loadavg", load);
    }
    let existing: HashSet<u32> = procfs::threads().iter().map(|t| t.tid).collect();
    let timers = T::start(config);
    let started: Vec<ThreadStat> = procfs::threads()
        .into_iter()
        .filter(|t| !existing.contains(&t.tid))
        .collect();
    let ours: HashSet<u32> = started.iter().map(|t| t.tid).collect();
    let main_tid = std::process::id();

    let tally = Tally::new(n);
    let start = Instant::now();
    for _ in 0..n {
        let tally = Arc::clone(&tally);
        timers.delay(config.delay, move || tally.hit());
    }
    f.set("schedule_ns", since(Instant::now(), start));
    thread::sleep(SETTLE);
    f.set("pending_before", timers.len() as f64);

    let before = procfs::threads();
    let ticks_before = procfs::process_cpu_ticks();
    // Found only now: a new thread names itself once it runs, so right
    // after `start` its comm may still be the process's.
    let started: Vec<ThreadStat> = (before.iter())
        .filter(|t| ours.contains(&t.tid))
        .cloned()
        .collect();
    let timer_tid = T::timer_thread(&started);
    let opened = Instant::now();
    thread::sleep(config.observe);
    let closed = Instant::now();
    let ticks_after = procfs::process_cpu_ticks();
    let after = procfs::threads();
    f.set("pending_after", timers.len() as f64);

    f.set("window_ns", since(closed, opened));
    let switches = |t: &ThreadStat| t.switches;
    let cpu = |t: &ThreadStat| t.cpu_ns;
    if let Some(tid) = timer_tid {
        f.set_opt(
            "timer_switches",
            delta(&before, &after, |t| t == tid, switches),
        );
        f.set_opt("timer_cpu_ns", delta(&before, &after, |t| t == tid, cpu));
    }
    let live = after.iter().filter(|t| ours.contains(&t.tid)).count();
    f.set("sched_threads", live as f64);
    f.set_opt(
        "sched_switches",
        delta(&before, &after, |t| ours.contains(&t), switches),
    );
    f.set_opt(
        "sched_cpu_ns",
        delta(&before, &after, |t| ours.contains(&t), cpu),
    );
    f.set_opt(
        "main_switches",
        delta(&before, &after, |t| t == main_tid, switches),
    );
    f.set_opt(
        "main_cpu_ns",
        delta(&before, &after, |t| t == main_tid, cpu),
    );
    f.set_opt("proc_cpu_ns", delta(&before, &after, |_| true, cpu));
    f.set_opt(
        "proc_ticks_ns",
        ticks_before
            .zip(ticks_after)
            .map(|(b, a)| a.saturating_sub(b) as f64 * 1e9 / procfs::USER_HZ as f64),
    );
    if let Some(tid) = timer_tid {
        let comm = started
            .iter()
            .find(|t| t.tid == tid)
            .map(|t| t.comm.clone());
        f.note(
            "timer_thread",
            format!(
                "tid {tid}, comm `{}`; {}",
                comm.unwrap_or_default(),
                T::TIMER_THREAD
            ),
        );
    }
    let tids = |threads: &[ThreadStat]| threads.iter().map(|t| t.tid).collect::<HashSet<_>>();
    let changed = tids(&before).symmetric_difference(&tids(&after)).count();
    f.set("threads_changed", changed as f64);
    drop(timers);
    f
}
