//! `--mode queue`: schedgroup's `Queue<u64>` with N values (1M): memory
//! per pending value, idle wake-ups with them an hour out, and N values
//! due at ONE instant received by one thread; with `--compare`, tokio-util's
//! `DelayQueue<u64>` the same way, in a child process. How each side is
//! measured is in `queue_sides.rs`.

use crate::args::{Config, Side};
use crate::figures::{self, header, row, Figures, Sides};
use crate::queue_sides::{self, lead, SETTLE};
use crate::report::{bytes, count, duration, met, nanos, or_na, rate, signed_nanos, Grid};
use crate::Failure;

/// Memory per pending value at 1M: at most this many bytes beyond the
/// value itself.
const GOAL_BYTES_BEYOND_VALUE: f64 = 32.0;
/// An idle queue costs no wake-up.
const GOAL_WAKEUPS: f64 = 0.0;
/// 1M values due at one instant, all received by one thread within this.
const GOAL_EXPIRY_NS: f64 = 100e6;
const VALUE_BYTES: usize = std::mem::size_of::<u64>();
const QUEUE_NAME: &str = "schedgroup Queue<u64>";
const DELAY_QUEUE_NAME: &str = "tokio-util DelayQueue<u64>";

pub fn run(config: &Config) -> Result<(), Failure> {
    if let Some(side) = config.child {
        return figures::emit(match side {
            Side::DelayQueue => queue_sides::measure_delay_queue(config),
            _ => queue_sides::measure_queue(config),
        });
    }
    let n = config.tasks;
    println!(
        "schedgroup million, mode queue: {} u64 values pending {} out, {} settling and {} watched;",
        count(n),
        duration(config.delay),
        duration(SETTLE),
        duration(config.observe)
    );
    println!(
        "then {} values due at ONE instant {} after the start of their inserts, received by one thread",
        count(n),
        duration(lead(n))
    );
    match config.tick {
        Some(tick) => println!("(schedgroup's Queue at a {} tick)", duration(tick)),
        None => println!("(schedgroup's Queue at its default 1 ms tick)"),
    }
    println!();
    let mut sides = Sides::new(Side::Queue, QUEUE_NAME, queue_sides::measure_queue(config));
    if config.compare {
        sides.add_child(config, Side::DelayQueue, DELAY_QUEUE_NAME)?;
    }
    print_table(config, &sides);
    print_verdicts(config, &sides);
    check(config, &sides)
}

fn print_table(config: &Config, both: &Sides) {
    let n = config.tasks;
    let (sides, names) = (both.refs(), both.names());
    let per_value = |key: &'static str| {
        move |f: &Figures| {
            or_na(f.get(key), |b| {
                let each = b / n.max(1) as f64;
                format!(
                    "{each:.1} B ({:.1} B beyond the value; {} in all)",
                    each - VALUE_BYTES as f64,
                    bytes(b.max(0.0) as u64)
                )
            })
        }
    };
    let num = |key: &'static str| move |f: &Figures| or_na(f.get(key), |v| count(v as usize));
    let cpu = |key: &'static str| move |f: &Figures| or_na(f.get(key), nanos);
    println!();
    let mut grid = Grid::new(
        format!(
            "queue: {} u64 values pending {} out; then {} due at one instant",
            count(n),
            duration(config.delay),
            count(n)
        ),
        &header("", &names),
    );
    grid.row(row("load average at start", &sides, |f| {
        f.text("loadavg").unwrap_or("n/a").to_string()
    }));
    grid.row(row("inserts", &sides, |f| {
        or_na(f.get("fill_ns"), |ns| {
            format!("{} ({} per call)", nanos(ns), nanos(ns / n.max(1) as f64))
        })
    }));
    grid.row(row("heap bytes per value", &sides, per_value("mem_heap")));
    grid.row(row("RSS growth per value", &sides, per_value("mem_rss")));
    grid.row(row("pending at start / end of window", &sides, |f| {
        format!("{} / {}", num("pending_before")(f), num("pending_after")(f))
    }));
    grid.row(row("window measured", &sides, cpu("window_ns")));
    grid.row(row("driver thread wake-ups / CPU", &sides, |f| {
        match f.get("timer_switches") {
            Some(_) => format!("{} / {}", num("timer_switches")(f), cpu("timer_cpu_ns")(f)),
            None => "none (no thread of its own)".to_string(),
        }
    }));
    grid.row(row("receiving thread wake-ups / CPU", &sides, |f| {
        format!(
            "{} / {}",
            num("waiter_switches")(f),
            cpu("waiter_cpu_ns")(f)
        )
    }));
    grid.row(row("all its threads: wake-ups / CPU", &sides, |f| {
        let threads = f.get("side_threads").unwrap_or(0.0) as usize;
        format!(
            "{} thread{}: {} / {}",
            threads,
            if threads == 1 { "" } else { "s" },
            num("side_switches")(f),
            cpu("side_cpu_ns")(f)
        )
    }));
    grid.row(row("process CPU, schedstat / utime+stime", &sides, |f| {
        format!(
            "{} / {} (10 ms steps)",
            cpu("proc_cpu_ns")(f),
            cpu("proc_ticks_ns")(f)
        )
    }));
    grid.row(row("expiry: inserts (one deadline)", &sides, |f| {
        or_na(f.get("exp_insert_ns"), |ns| {
            format!("{} ({} per call)", nanos(ns), nanos(ns / n.max(1) as f64))
        })
    }));
    grid.row(row("expiry: inserts finished", &sides, |f| {
        or_na(f.get("exp_margin_ns"), |ns| {
            if ns >= 0.0 {
                format!("{} before the deadline", nanos(ns))
            } else {
                format!("{} AFTER the deadline (not a clean burst)", nanos(-ns))
            }
        })
    }));
    let at = |key: &'static str| move |f: &Figures| or_na(f.get(key), signed_nanos);
    grid.row(row("expiry: first received", &sides, at("exp_first_ns")));
    grid.row(row("expiry: last received", &sides, at("exp_last_ns")));
    grid.row(row("expiry: values/s from the deadline", &sides, |f| {
        or_na(expiry_rate(f, n), rate)
    }));
    grid.row(row("expiry: received, each once", &sides, |f| {
        let received = f.get("exp_received").unwrap_or(0.0) as usize;
        let once = f.get("exp_sum_ok") == Some(1.0);
        let verdict = if received == n && once { "OK" } else { "WRONG" };
        format!("{} of {} {verdict}", count(received), count(n))
    }));
    grid.print();
    println!("(heap bytes: the sizes of the live allocations made by the inserts, from a counting global");
    println!(" allocator; RSS: VmRSS of /proc/self/status. Wake-ups: voluntary + nonvoluntary context switches");
    println!(" of each thread over the window, CPU from /proc/self/task/<tid>/schedstat. The receiving thread");
    println!(" blocks in Queue::recv_timeout; DelayQueue's owner awaits poll_expired on a current-thread");
    println!(" tokio runtime, which is how each is used; both time out a second after the window)");
    if both.peer(Side::DelayQueue).is_some() {
        println!(
            "DelayQueue ran right after the Queue, in a child process of this binary (hidden flag"
        );
        println!(
            "  --child delayqueue), so it started from a fresh allocator and a clean RSS baseline."
        );
    }
}

fn expiry_rate(f: &Figures, n: usize) -> Option<f64> {
    f.get("exp_last_ns")
        .filter(|&ns| ns > 0.0)
        .map(|ns| n as f64 / ns * 1e9)
}

fn print_verdicts(config: &Config, sides: &Sides) {
    let n = config.tasks;
    let verdict = |f: &Figures| {
        let beyond = f
            .get("mem_heap")
            .map(|b| b / n.max(1) as f64 - VALUE_BYTES as f64);
        let wakeups = f.get("side_switches");
        let last = f.get("exp_last_ns");
        format!(
            "{} per value beyond the value (goal <= 32 B: {}); {} wake-ups while idle (goal 0: {}); all received {} after the deadline (goal <= 100 ms: {})",
            or_na(beyond, |b| format!("{b:.1} B")),
            beyond.map_or("not measured", |b| met(b <= GOAL_BYTES_BEYOND_VALUE)),
            or_na(wakeups, |w| count(w as usize)),
            wakeups.map_or("not measured", |w| met(w <= GOAL_WAKEUPS)),
            or_na(last, signed_nanos),
            last.map_or("not measured", |ns| met(ns <= GOAL_EXPIRY_NS)),
        )
    };
    println!("verdict, {QUEUE_NAME}: {}", verdict(sides.first()));
    if let Some(peer) = sides.peer(Side::DelayQueue) {
        println!(
            "       for comparison, {DELAY_QUEUE_NAME}: {}",
            verdict(peer)
        );
    }
    if n != 1_000_000 {
        println!(
            "(the memory and expiry goals are for 1,000,000 values; this run had {})",
            count(n)
        );
    }
    if config.observe.as_secs_f64() < 10.0 {
        println!("(idle wake-ups are best watched for 10 s or more)");
    }
}

/// Correctness (not speed): every value came back exactly once, none early,
/// and nothing pending vanished while idle.
fn check(config: &Config, sides: &Sides) -> Result<(), Failure> {
    let n = config.tasks;
    for (f, name) in sides.refs().into_iter().zip(sides.names()) {
        if f.get("exp_received") != Some(n as f64) || f.get("exp_sum_ok") != Some(1.0) {
            return Err(Failure(format!(
                "{name}: {} of {} values received in the expiry phase, or some twice",
                or_na(f.get("exp_received"), |v| count(v as usize)),
                count(n)
            )));
        }
        if f.get("exp_first_ns").is_some_and(|ns| ns < 0.0) {
            return Err(Failure(format!(
                "{name}: a value came back before its deadline"
            )));
        }
        if f.get("pending_after") != Some(n as f64) || f.get("idle_received") != Some(0.0) {
            return Err(Failure(format!(
                "{name}: {} pending at the end of the idle window (expected {}), or a value an hour out came back",
                or_na(f.get("pending_after"), |v| count(v as usize)),
                count(n)
            )));
        }
    }
    Ok(())
}
