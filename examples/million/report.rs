//! Formatting: numbers with units, a live progress line, a summary table.

use std::io::{self, IsTerminal, Write};
use std::time::Duration;

/// `1234567` -> `"1,234,567"`.
pub fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes in decimal units (1 MB = 10^6 B), as the Go figures are quoted.
pub fn bytes(b: u64) -> String {
    let b = b as f64;
    match b {
        _ if b >= 1e9 => format!("{:.2} GB", b / 1e9),
        _ if b >= 1e6 => format!("{:.1} MB", b / 1e6),
        _ if b >= 1e3 => format!("{:.1} kB", b / 1e3),
        _ => format!("{b} B"),
    }
}

/// A signed byte difference, e.g. `"+38.2 MB"`.
pub fn bytes_delta(after: u64, before: u64) -> String {
    if after >= before {
        format!("+{}", bytes(after - before))
    } else {
        format!("-{}", bytes(before - after))
    }
}

/// A duration with a unit fit for its size.
pub fn duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    match s {
        _ if s >= 10.0 => format!("{s:.1} s"),
        _ if s >= 1.0 => format!("{s:.2} s"),
        _ if s >= 1e-3 => format!("{:.1} ms", s * 1e3),
        _ if s >= 1e-6 => format!("{:.1} µs", s * 1e6),
        _ => format!("{} ns", d.as_nanos()),
    }
}

/// `later - earlier` as a signed duration, e.g. `"+12.3 ms"`, `"-4.0 µs"`.
pub fn offset(later: std::time::Instant, earlier: std::time::Instant) -> String {
    match later.checked_duration_since(earlier) {
        Some(d) => format!("+{}", duration(d)),
        None => format!("-{}", duration(earlier - later)),
    }
}

/// Events per second, e.g. `"12.3 M/s"`.
pub fn rate(per_sec: f64) -> String {
    match per_sec {
        _ if per_sec >= 1e6 => format!("{:.2} M/s", per_sec / 1e6),
        _ if per_sec >= 1e3 => format!("{:.1} k/s", per_sec / 1e3),
        _ => format!("{per_sec:.0} /s"),
    }
}

/// An optional figure, or `"n/a"`.
pub fn or_na<T>(value: Option<T>, show: impl FnOnce(T) -> String) -> String {
    value.map_or_else(|| "n/a".to_string(), show)
}

/// A status line that rewrites itself in place (`\r`) on a terminal and
/// prints one plain line per update otherwise (pipes, CI logs).
pub struct Progress {
    tty: bool,
    width: usize,
}

impl Progress {
    pub fn new() -> Progress {
        Progress {
            tty: io::stdout().is_terminal(),
            width: 0,
        }
    }

    pub fn update(&mut self, line: &str) {
        let mut out = io::stdout().lock();
        if self.tty {
            let len = line.chars().count();
            let pad = self.width.saturating_sub(len);
            let _ = write!(out, "\r{line}{:pad$}", "");
            self.width = len;
        } else {
            let _ = writeln!(out, "{line}");
        }
        let _ = out.flush();
    }

    /// Ends the in-place line, if one was drawn.
    pub fn finish(&mut self) {
        if self.tty && self.width > 0 {
            println!();
            self.width = 0;
        }
    }
}

/// Two aligned columns under a title.
pub struct Table {
    title: String,
    rows: Vec<(String, String)>,
}

impl Table {
    pub fn new(title: impl Into<String>) -> Table {
        Table {
            title: title.into(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, label: impl Into<String>, value: impl Into<String>) {
        self.rows.push((label.into(), value.into()));
    }

    pub fn print(&self) {
        let label_w = self.rows.iter().map(|(l, _)| l.chars().count()).max();
        let value_w = self.rows.iter().map(|(_, v)| v.chars().count()).max();
        let (label_w, value_w) = (label_w.unwrap_or(0), value_w.unwrap_or(0));
        let rule = "-".repeat(label_w + value_w + 3);
        println!("{}", self.title);
        println!("{rule}");
        for (label, value) in &self.rows {
            println!("{label:<label_w$} | {value}");
        }
        println!("{rule}");
    }
}
