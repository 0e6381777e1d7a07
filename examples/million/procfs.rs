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
