//! The process's own thread count and resident memory, from
//! `/proc/self/status` (Linux). Elsewhere every figure is `None`.

use std::fs;

/// One reading of `/proc/self/status`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sample {
    /// `Threads:` — OS threads in this process.
    pub threads: Option<usize>,
    /// `VmRSS:` — resident memory now, bytes.
    pub rss: Option<u64>,
    /// `VmHWM:` — peak resident memory so far, bytes.
    pub peak_rss: Option<u64>,
}

/// Reads `/proc/self/status` once.
pub fn sample() -> Sample {
    let Ok(status) = fs::read_to_string("/proc/self/status") else {
        return Sample::default();
    };
    let mut sample = Sample::default();
    for line in status.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        match key {
            "Threads" => sample.threads = value.trim().parse().ok(),
            "VmRSS" => sample.rss = kib(value),
            "VmHWM" => sample.peak_rss = kib(value),
            _ => {}
        }
    }
    sample
}

/// `"   1234 kB"` -> `Some(1234 * 1024)`.
fn kib(value: &str) -> Option<u64> {
    let number = value.trim().strip_suffix("kB")?.trim();
    number.parse::<u64>().ok().map(|k| k * 1024)
}

/// One thread of this process, from `/proc/self/task/<tid>/`.
#[derive(Clone, Debug, Default)]
pub struct ThreadStat {
    pub tid: u32,
    /// `comm`: the thread's name, truncated by the kernel to 15 bytes
    /// (`schedgroup-driver` reads `schedgroup-driv`).
    pub comm: String,
    /// `voluntary_ctxt_switches` + `nonvoluntary_ctxt_switches` from
    /// `status`: every time the thread left the CPU, i.e. one per wake-up
    /// of a thread that runs briefly and blocks again.
    pub switches: Option<u64>,
    /// First field of `schedstat`: nanoseconds spent on a CPU.
    pub cpu_ns: Option<u64>,
    /// Second field of `schedstat`: nanoseconds spent runnable but waiting
    /// for a CPU (what other load on the machine costs this thread).
    pub runqueue_ns: Option<u64>,
}

/// Every thread of this process now (empty where there is no /proc).
pub fn threads() -> Vec<ThreadStat> {
    let Ok(dir) = fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    let mut threads: Vec<ThreadStat> = dir
        .filter_map(|entry| {
            let tid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
            Some(thread(tid))
        })
        .collect();
    threads.sort_by_key(|t| t.tid);
    threads
}

/// Reads one thread's counters (the thread may have exited: fields `None`).
pub fn thread(tid: u32) -> ThreadStat {
    let base = format!("/proc/self/task/{tid}");
    let comm = fs::read_to_string(format!("{base}/comm")).unwrap_or_default();
    let switches = fs::read_to_string(format!("{base}/status"))
        .ok()
        .and_then(|status| {
            let field = |name: &str| -> Option<u64> {
                status
                    .lines()
                    .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))?
                    .trim()
                    .parse()
                    .ok()
            };
            Some(field("voluntary_ctxt_switches")? + field("nonvoluntary_ctxt_switches")?)
        });
    let schedstat = fs::read_to_string(format!("{base}/schedstat")).unwrap_or_default();
    let mut schedstat = schedstat.split_whitespace().map(|v| v.parse().ok());
    let cpu_ns = schedstat.next().flatten();
    let runqueue_ns = schedstat.next().flatten();
    ThreadStat {
        tid,
        comm: comm.trim_end().to_string(),
        switches,
        cpu_ns,
        runqueue_ns,
    }
}

/// Clock ticks per second of `/proc/self/stat` (`USER_HZ`), which the
/// kernel fixes at 100 for user space on Linux.
pub const USER_HZ: u64 = 100;

/// `utime + stime` of the whole process from `/proc/self/stat`, in clock
/// ticks of 1/[`USER_HZ`] s: includes threads that have exited, but only
/// 10 ms resolution.
pub fn process_cpu_ticks() -> Option<u64> {
    let stat = fs::read_to_string("/proc/self/stat").ok()?;
    // `pid (comm) state ppid ...`: comm may hold spaces; fields after its
    // closing parenthesis start at field 3 (state); utime, stime are 14, 15.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// The first three fields of `/proc/loadavg` (1, 5 and 15 min), e.g.
/// `"5.58 5.79 5.35"`.
pub fn loadavg() -> Option<String> {
    let text = fs::read_to_string("/proc/loadavg").ok()?;
    let fields: Vec<&str> = text.split_whitespace().take(3).collect();
    (fields.len() == 3).then(|| fields.join(" "))
}
