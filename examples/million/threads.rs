//! Where a scheduler's time went, per role: its timer thread (schedgroup's
//! driver, the heap's timer) and its workers, from each thread's
//! `/proc/self/task/<tid>/schedstat` (time on a CPU, time runnable but
//! waiting for one) and context switches.

use std::collections::HashSet;

use crate::figures::Figures;
use crate::procfs::{self, ThreadStat};
use crate::report::{count, nanos, or_na};
use crate::timers::Timers;

/// The threads that existed before the scheduler started.
pub struct Census {
    existing: HashSet<u32>,
}

impl Census {
    /// Call right before `T::start`.
    pub fn before_start() -> Census {
        Census {
            existing: procfs::threads().iter().map(|t| t.tid).collect(),
        }
    }

    /// Figures `<prefix>timer_*` (none for a design without a timer
    /// thread) and `<prefix>workers_*` (`cpu_ns`, `wait_ns`, `switches`)
    /// for the time from `before` to `after`, two
    /// snapshots of [`procfs::threads`]. A thread born in between counts
    /// from zero; one that died in between is missed (schedgroup's idle
    /// workers linger for a second, the heap's never leave).
    pub fn record<T: Timers>(
        &self,
        f: &mut Figures,
        prefix: &str,
        before: &[ThreadStat],
        after: &[ThreadStat],
    ) {
        let ours: Vec<ThreadStat> = (after.iter())
            .filter(|t| !self.existing.contains(&t.tid))
            .cloned()
            .collect();
        let timer = T::timer_thread(&ours);
        let workers: Vec<u32> = (ours.iter())
            .map(|t| t.tid)
            .filter(|&tid| Some(tid) != timer)
            .collect();
        let grew = |tids: &[u32], field: fn(&ThreadStat) -> Option<u64>| -> Option<f64> {
            let mut sum = 0;
            for &tid in tids {
                let now = field(after.iter().find(|t| t.tid == tid)?)?;
                let then = before
                    .iter()
                    .find(|t| t.tid == tid)
                    .and_then(field)
                    .unwrap_or(0);
                sum += now.saturating_sub(then);
            }
            Some(sum as f64)
        };
        let timer: Vec<u32> = timer.into_iter().collect();
        for (role, tids) in [("timer", &timer), ("workers", &workers)] {
            if role == "timer" && tids.is_empty() {
                // A design without a timer thread: its figures stay unknown.
                continue;
            }
            f.set_opt(&format!("{prefix}{role}_cpu_ns"), grew(tids, |t| t.cpu_ns));
            f.set_opt(
                &format!("{prefix}{role}_wait_ns"),
                grew(tids, |t| t.runqueue_ns),
            );
            f.set_opt(
                &format!("{prefix}{role}_switches"),
                grew(tids, |t| t.switches),
            );
        }
        f.set(&format!("{prefix}workers"), workers.len() as f64);
    }
}

/// `"41.2 ms CPU, 12.0 ms waiting for a CPU, 37 switches"` for a role.
pub fn describe(f: &Figures, prefix: &str, role: &str) -> String {
    let get = |what: &str| f.get(&format!("{prefix}{role}_{what}"));
    format!(
        "{} CPU, {} runnable waiting, {} switches",
        or_na(get("cpu_ns"), nanos),
        or_na(get("wait_ns"), nanos),
        or_na(get("switches"), |v| count(v as usize)),
    )
}

/// `"41.2 ms / 12.0 ms / 37"`: CPU, runnable waiting, switches of a role,
/// for tables with many columns.
pub fn compact(f: &Figures, prefix: &str, role: &str) -> String {
    let get = |what: &str| f.get(&format!("{prefix}{role}_{what}"));
    format!(
        "{} / {} / {}",
        or_na(get("cpu_ns"), nanos),
        or_na(get("wait_ns"), nanos),
        or_na(get("switches"), |v| count(v as usize)),
    )
}
