//! `--mode lateness`: the crate's goals for lateness, and the verdicts
//! printed under the table. Absolute goals hold for schedgroup alone; the
//! relative ones compare it with a peer measured in the same run, so that
//! the machine's load at the time weighs on both sides alike.

use crate::args::{Config, Side};
use crate::figures::{Figures, Sides};
use crate::report::{count, met, nanos, or_na, signed_nanos};

/// Figure 5: p99 and max lateness of schedgroup on its own.
pub const GOAL_P99_NS: f64 = 1.2e6;
pub const GOAL_MAX_NS: f64 = 3e6;
/// Beside scheduled-thread-pool, whose workers sleep until each job's exact
/// instant: p50 and p99 at most this many times its own, max no worse.
const GOAL_PRECISE_RATIO: f64 = 2.0;
/// Beside the Go design: CPU (timer + workers) at most this share of its.
const GOAL_CPU_SHARE: f64 = 1.0 / 3.0;

pub fn print_verdicts(config: &Config, sides: &Sides) {
    let names = sides.names();
    let all = sides.refs();
    let wheel = sides.wheel();
    println!("verdict #5, {}: {}", names[0], absolute(wheel));
    for (f, name) in all.iter().zip(&names).skip(1) {
        println!("       for comparison, {name}: {}", absolute(f));
    }
    if let Some(pool) = sides.peer(Side::Pool) {
        println!(
            "verdict, precision beside scheduled-thread-pool (same run): {}",
            precision(wheel, pool)
        );
    }
    if let Some(heap) = sides.heap() {
        println!(
            "verdict, CPU beside the Go design (same run): {}",
            cpu(wheel, heap)
        );
    }
    if let (Some(tick), Some(default)) = (config.tick, sides.peer(Side::Wheel)) {
        let (fine, coarse) = (wheel.get("p99_ns"), default.get("p99_ns"));
        println!(
            "verdict, a {} tick against the default (same run): p99 {} vs {} (goal: no worse: {})",
            crate::report::duration(tick),
            or_na(fine, signed_nanos),
            or_na(coarse, signed_nanos),
            fine.zip(coarse)
                .map_or("not measured", |(fine, coarse)| met(fine <= coarse)),
        );
    }
    println!("(lateness depends on the machine's load: other runnable threads delay the wake-ups)");
}

/// p99, max and early starts against figure 5's goals.
fn absolute(f: &Figures) -> String {
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
}

/// `ours / theirs`, when both are known and theirs is positive.
fn ratio(ours: Option<f64>, theirs: Option<f64>) -> Option<f64> {
    let (ours, theirs) = ours.zip(theirs)?;
    (theirs > 0.0).then(|| ours / theirs)
}

/// p50 and p99 at most 2x scheduled-thread-pool's, max no worse.
fn precision(wheel: &Figures, pool: &Figures) -> String {
    let quantile = |key: &str| {
        let r = ratio(wheel.get(key), pool.get(key));
        format!(
            "{} {} vs {} = {} (goal <= {GOAL_PRECISE_RATIO}x: {})",
            key.trim_end_matches("_ns"),
            or_na(wheel.get(key), signed_nanos),
            or_na(pool.get(key), signed_nanos),
            or_na(r, |r| format!("{r:.2}x")),
            r.map_or("not measured", |r| met(r <= GOAL_PRECISE_RATIO)),
        )
    };
    let (max, pool_max) = (wheel.get("max_ns"), pool.get("max_ns"));
    format!(
        "{}; {}; max {} vs {} (goal: no worse: {})",
        quantile("p50_ns"),
        quantile("p99_ns"),
        or_na(max, signed_nanos),
        or_na(pool_max, signed_nanos),
        max.zip(pool_max)
            .map_or("not measured", |(ours, theirs)| met(ours <= theirs)),
    )
}

/// Timer + workers CPU at most a third of the Go design's.
fn cpu(wheel: &Figures, heap: &Figures) -> String {
    let (ours, theirs) = (wheel.get("run_cpu_ns"), heap.get("run_cpu_ns"));
    let share = ratio(ours, theirs);
    format!(
        "timer + workers {} vs {} = {} (goal <= 1/3: {})",
        or_na(ours, nanos),
        or_na(theirs, nanos),
        or_na(share, |s| format!("{s:.2}x")),
        share.map_or("not measured", |s| met(s <= GOAL_CPU_SHARE)),
    )
}
