//! `--mode scale`: memory and the cost of a delay+cancel pair at 1k, 100k,
//! 1M and 10M pending (figures 1 and 7 of the README).
//!
//! Each level runs in a fresh child process of this binary (hidden flag
//! `--child wheel|heap`), so that its RSS baseline is clean: memory a
//! previous level freed is not reused, and the allocator starts empty. The
//! child starts the scheduler, reads VmRSS, fills it with L tasks whose
//! delays are spread uniformly over [D, 2D) (D = 1 h), each closure
//! capturing one `Arc`, reads VmRSS again, then times delay+cancel pairs
//! (same spread, so the pending count stays L) in rounds: one warm-up
//! round, then the median, min and max of the rest.

use std::sync::Arc;
use std::time::{Duration, Instant};

use schedgroup::Group;

use crate::args::{Config, Side};
use crate::figures::{self, since, Figures};
use crate::procfs;
use crate::report::{bytes, bytes_delta, count, duration, met, nanos, or_na, Grid};
use crate::tally::Tally;
use crate::timers::Timers;
use crate::Failure;
use schedgroup_bench::go_heap::HeapGroup;

/// The pending counts of figure 7.
const LEVELS: [usize; 4] = [1_000, 100_000, 1_000_000, 10_000_000];
/// Pairs per timed round, and rounds (the first is a warm-up). Short
/// rounds (~0.2 ms) and many of them: on a loaded machine a preemption
/// spoils the few rounds it lands in, and the median skips those.
const PAIRS: usize = 2_000;
const ROUNDS: usize = 101;
/// The fill's CPU time is shown only from this much: schedstat's count for
/// a running thread moves in scheduler ticks (4 ms here).
const MIN_CPU_NS: f64 = 40e6;
/// The crate's goals for figures 1 and 7.
const GOAL_BYTES_PER_TIMER: f64 = 40.0;
const GOAL_FLAT: f64 = 1.5;
const GOAL_RSS_10M: f64 = 400e6;

pub fn run(config: &Config) -> Result<(), Failure> {
    if let Some(side) = config.child {
        return figures::emit(match side {
            Side::Heap => measure::<HeapGroup>(config),
            _ => measure::<Group>(config),
        });
    }
    let levels = levels(config.max_pending);
    println!(
        "schedgroup million, mode scale: {} pending, delays uniform in [{}, {}), closures capture one Arc",
        levels
            .iter()
            .map(|&l| count(l))
            .collect::<Vec<_>>()
            .join(" / "),
        duration(config.delay),
        duration(config.delay * 2)
    );
    println!(
        "each level in a fresh child process (this binary, --child): RSS = VmRSS of /proc/self/status,"
    );
    println!(
        "growth = after filling - after starting the scheduler; pairs: {} rounds of {} delay()+cancel(), first discarded",
        ROUNDS,
        count(PAIRS)
    );
    println!();

    let mut sides = vec![(Side::Wheel, Group::NAME)];
    if config.compare {
        sides.push((Side::Heap, HeapGroup::NAME));
    }
    // results[level][side]
    let mut results: Vec<Vec<Figures>> = Vec::new();
    for &level in &levels {
        let mut row = Vec::new();
        for &(side, name) in &sides {
            let began = Instant::now();
            let figures = figures::in_child(config, side, Some(level))?;
            println!(
                "  {:>10} pending, {name}: {} per pair (slowest round {}), {} per timer ({} in the child)",
                count(level),
                or_na(figures.get("pair_median_ns"), nanos),
                or_na(figures.get("pair_max_ns"), nanos),
                or_na(per_timer(&figures, level), |b| format!("{b:.1} B")),
                duration(began.elapsed())
            );
            row.push(figures);
        }
        results.push(row);
    }
    println!();

    let mut head = vec!["pending".to_string()];
    for &(_, name) in &sides {
        for column in ["RSS (growth)", "B/timer", "fill/call", "pair median/min"] {
            head.push(format!("{} {column}", short(name)));
        }
    }
    let head: Vec<&str> = head.iter().map(String::as_str).collect();
    let mut grid = Grid::new(
        "scale: RSS and the cost of a delay+cancel pair by pending count",
        &head,
    );
    for (&level, row) in levels.iter().zip(&results) {
        let mut cells = vec![count(level)];
        for f in row {
            cells.push(or_na(
                f.get("rss_pending").zip(f.get("rss_base")),
                |(p, b)| format!("{} ({})", bytes(p as u64), bytes_delta(p as u64, b as u64)),
            ));
            cells.push(or_na(per_timer(f, level), |b| format!("{b:.1} B")));
            cells.push(or_na(f.get("fill_ns"), |ns| {
                let per_call = |ns: f64| nanos(ns / level.max(1) as f64);
                match f.get("fill_cpu_ns").filter(|&cpu| cpu >= MIN_CPU_NS) {
                    Some(cpu) => format!("{} ({} CPU)", per_call(ns), per_call(cpu)),
                    None => per_call(ns),
                }
            }));
            cells.push(or_na(f.get("pair_median_ns"), |median| {
                format!("{} / {}", nanos(median), or_na(f.get("pair_min_ns"), nanos))
            }));
        }
        grid.row(cells);
    }
    let mut flat_cells = vec!["max/min".to_string()];
    for side in 0..sides.len() {
        flat_cells.extend(["".into(), "".into(), "".into()]);
        flat_cells.push(format!(
            "{} / {}",
            or_na(flatness(&results, side), |r| format!("{r:.2}x")),
            or_na(ratio(&results, side, "pair_min_ns"), |r| format!("{r:.2}x"))
        ));
    }
    grid.row(flat_cells);
    grid.print();
    println!(
        "(pair = delay() + cancel() of that task, so the pending count stays at the level: median and min\n per pair over {} timed rounds of {}. fill/call = wall time of the L delay() calls that grew it\n from 0 to L over L, page faults and slab/heap growth included; one long stretch, so preemption\n by other load is included too: (CPU) is the main thread's CPU time over L instead, from\n /proc/self/task/<tid>/schedstat, shown where the fill used >= {} of CPU (it moves in ticks))",
        ROUNDS - 1,
        count(PAIRS),
        nanos(MIN_CPU_NS)
    );
    if config.compare {
        println!("{}", figures::PEER_NOTE);
        println!(
            "  Its cancel only remembers the id: each pair leaves a dead entry in the heap until it\n  surfaces (1-2 h later), so its heap holds L + {} entries by the last round.",
            count(PAIRS * ROUNDS)
        );
    }

    for (i, &(_, name)) in sides.iter().enumerate() {
        let prefix = if i == 0 {
            format!("verdict #1/#7, {name}:")
        } else {
            format!("       for comparison, {name}:")
        };
        println!("{prefix} {}", verdict(&levels, &results, i));
    }
    println!("(per-op costs move with the machine's load; RSS does not)");
    for (row, &level) in results.iter().zip(&levels) {
        for (f, &(_, name)) in row.iter().zip(&sides) {
            if f.get("len") != Some(level as f64) {
                return Err(Failure(format!(
                    "{name}: {} pending after filling {}",
                    or_na(f.get("len"), |v| count(v as usize)),
                    count(level)
                )));
            }
            if f.get("cancel_failed").is_some_and(|c| c > 0.0) {
                return Err(Failure(format!(
                    "{name}: a cancel() of a pending task said false"
                )));
            }
        }
    }
    Ok(())
}

/// 1k, 100k, 1M, 10M up to `max`, and `max` itself.
fn levels(max: usize) -> Vec<usize> {
    let mut levels: Vec<usize> = LEVELS.iter().copied().filter(|&l| l <= max).collect();
    if levels.last() != Some(&max) {
        levels.push(max);
    }
    levels
}

/// `"schedgroup (wheel)"` -> `"wheel"`: the word in parentheses.
fn short(name: &str) -> &str {
    name.split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .unwrap_or(name)
}

fn per_timer(f: &Figures, level: usize) -> Option<f64> {
    let (pending, base) = f.get("rss_pending").zip(f.get("rss_base"))?;
    (level > 0).then(|| (pending - base) / level as f64)
}

/// Largest over smallest median pair cost across the levels.
fn flatness(results: &[Vec<Figures>], side: usize) -> Option<f64> {
    ratio(results, side, "pair_median_ns")
}

/// Largest over smallest `key` across the levels.
fn ratio(results: &[Vec<Figures>], side: usize, key: &str) -> Option<f64> {
    let medians: Vec<f64> = results
        .iter()
        .filter_map(|row| row.get(side)?.get(key))
        .collect();
    let max = medians.iter().copied().fold(f64::NAN, f64::max);
    let min = medians.iter().copied().fold(f64::NAN, f64::min);
    (medians.len() >= 2 && min > 0.0).then(|| max / min)
}

fn verdict(levels: &[usize], results: &[Vec<Figures>], side: usize) -> String {
    let at = |level: usize| {
        let i = levels.iter().position(|&l| l == level)?;
        results.get(i)?.get(side)
    };
    let one_m = at(1_000_000).and_then(|f| per_timer(f, 1_000_000));
    let ten_m = at(10_000_000).and_then(|f| f.get("rss_pending"));
    let flat = flatness(results, side);
    format!(
        "{} per timer at 1M (goal <= 40 B: {}); 10M pending in {} RSS (goal <= 400 MB: {}); delay+cancel max/min {} (goal <= 1.5x: {})",
        or_na(one_m, |b| format!("{b:.1} B")),
        one_m.map_or("not measured", |b| met(b <= GOAL_BYTES_PER_TIMER)),
        or_na(ten_m, |b| bytes(b as u64)),
        ten_m.map_or("not measured", |b| met(b <= GOAL_RSS_10M)),
        or_na(flat, |r| format!("{r:.2}x")),
        flat.map_or("not measured", |r| met(r <= GOAL_FLAT)),
    )
}

/// A small, fast, seeded generator (splitmix64): the same delays every run.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// In a child: fills a fresh `T` to `config.max_pending` and times pairs.
pub fn measure<T: Timers>(config: &Config) -> Figures {
    let level = config.max_pending;
    let base_ns = u64::try_from(config.delay.as_nanos()).unwrap_or(u64::MAX / 2);
    let mut rng = SplitMix(0x5EED);
    let mut spread = move || Duration::from_nanos(base_ns + rng.next() % base_ns.max(1));
    let tally = Tally::new(0);

    let mut f = Figures::default();
    let timers = T::start(config);
    f.set_opt("rss_base", procfs::sample().rss.map(|b| b as f64));
    let me = std::process::id();
    let cpu_before = procfs::thread(me).cpu_ns;
    let start = Instant::now();
    for _ in 0..level {
        let tally = Arc::clone(&tally);
        timers.delay(spread(), move || tally.hit());
    }
    f.set("fill_ns", since(Instant::now(), start));
    let cpu_after = procfs::thread(me).cpu_ns;
    f.set_opt(
        "fill_cpu_ns",
        cpu_before
            .zip(cpu_after)
            .map(|(before, after)| after.saturating_sub(before) as f64),
    );
    let pending = procfs::sample();
    f.set_opt("rss_pending", pending.rss.map(|b| b as f64));
    f.set("len", timers.len() as f64);

    let mut per_pair = Vec::with_capacity(ROUNDS);
    let mut cancel_failed = 0usize;
    for _ in 0..ROUNDS {
        let round = Instant::now();
        for _ in 0..PAIRS {
            let tally = Arc::clone(&tally);
            let handle = timers.delay(spread(), move || tally.hit());
            cancel_failed += usize::from(!timers.cancel(handle));
        }
        per_pair.push(since(Instant::now(), round) / PAIRS as f64);
    }
    per_pair.remove(0);
    per_pair.sort_by(f64::total_cmp);
    f.set("pair_median_ns", per_pair[per_pair.len() / 2]);
    f.set("pair_min_ns", per_pair[0]);
    f.set("pair_max_ns", per_pair[per_pair.len() - 1]);
    f.set("cancel_failed", cancel_failed as f64);
    f.set_opt("rss_peak", procfs::sample().peak_rss.map(|b| b as f64));
    let dropping = Instant::now();
    drop(timers);
    f.set("drop_ns", since(Instant::now(), dropping));
    f
}
