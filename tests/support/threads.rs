//! The process's threads as Linux's `/proc/self/task` shows them: names,
//! counts, the ones left behind, and context switches. Only the Linux-only
//! `group_threads.rs` uses these.

use std::collections::HashSet;
use std::fs;

/// Thread names as the kernel keeps them: `comm` holds at most 15 bytes, so
/// "schedgroup-driver" reads back as "schedgroup-driv".
pub const DRIVER_COMM: &str = "schedgroup-driv";
/// "schedgroup-worker", truncated the same way.
pub const WORKER_COMM: &str = "schedgroup-work";

/// Thread ids (tids) of this process with their kernel names.
pub fn threads() -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let Ok(dir) = fs::read_dir("/proc/self/task") else {
        return out;
    };
    for entry in dir.flatten() {
        let Some(tid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        // The thread may exit between listing and reading: skip it then.
        if let Ok(comm) = fs::read_to_string(entry.path().join("comm")) {
            out.push((tid, comm.trim_end().to_string()));
        }
    }
    out
}

/// How many threads the process has.
pub fn count_threads() -> usize {
    fs::read_dir("/proc/self/task")
        .map(|dir| dir.count())
        .unwrap_or(0)
}

/// How many threads have exactly this (kernel, ≤ 15 byte) name.
pub fn count_named(comm: &str) -> usize {
    threads().iter().filter(|(_, name)| name == comm).count()
}

/// The tids of the threads with this name.
pub fn tids_named(comm: &str) -> Vec<u32> {
    threads()
        .into_iter()
        .filter(|(_, name)| name == comm)
        .map(|(tid, _)| tid)
        .collect()
}

/// The tids of every thread alive now.
pub fn tid_set() -> HashSet<u32> {
    threads().into_iter().map(|(tid, _)| tid).collect()
}

/// Threads born since `before` was taken that this crate could have left
/// behind: those named "schedgroup-…" (an unnamed thread inherits its
/// creator's name, so one spawned by the scheduler would carry it too) and
/// those bearing the process's name. The test harness's threads are named
/// after their tests and do not count: they come and go as tests start.
pub fn leaked_since(before: &HashSet<u32>) -> Vec<(u32, String)> {
    let process = fs::read_to_string("/proc/self/comm")
        .map(|s| s.trim_end().to_string())
        .unwrap_or_default();
    threads()
        .into_iter()
        .filter(|(tid, name)| {
            !before.contains(tid) && (name.starts_with("schedgroup") || *name == process)
        })
        .collect()
}

/// Voluntary plus involuntary context switches of one thread of this
/// process, from `/proc/self/task/<tid>/status`. `None` if it has exited.
pub fn context_switches(tid: u32) -> Option<(u64, u64)> {
    let status = fs::read_to_string(format!("/proc/self/task/{tid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().parse().ok())
    };
    Some((
        field("voluntary_ctxt_switches:")?,
        field("nonvoluntary_ctxt_switches:")?,
    ))
}
