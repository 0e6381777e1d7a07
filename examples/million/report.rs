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

/// A duration given in (possibly fractional, possibly negative) nanoseconds,
/// with a sign, e.g. `"+12.3 ms"`, `"-4.0 µs"`.
pub fn signed_nanos(ns: f64) -> String {
    let sign = if ns < 0.0 { "-" } else { "+" };
    format!("{sign}{}", nanos(ns.abs()))
}

/// A non-negative duration in (possibly fractional) nanoseconds, e.g.
/// `"38.4 ns"`, `"1.21 ms"`.
pub fn nanos(ns: f64) -> String {
    match ns {
        _ if ns >= 1e10 => format!("{:.1} s", ns / 1e9),
        _ if ns >= 1e9 => format!("{:.2} s", ns / 1e9),
        _ if ns >= 1e6 => format!("{:.2} ms", ns / 1e6),
        _ if ns >= 1e3 => format!("{:.1} µs", ns / 1e3),
        _ => format!("{ns:.1} ns"),
    }
}

/// A table with a header row and any number of aligned columns, e.g. one
/// column per scheduler measured.
pub struct Grid {
    title: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Grid {
    pub fn new(title: impl Into<String>, header: &[&str]) -> Grid {
        Grid {
            title: title.into(),
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; missing cells print empty, extra ones are kept.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn print(&self) {
        let columns = self
            .rows
            .iter()
            .map(Vec::len)
            .chain([self.header.len()])
            .max()
            .unwrap_or(0);
        let cell = |row: &[String], i: usize| row.get(i).map_or("", String::as_str).to_string();
        let widths: Vec<usize> = (0..columns)
            .map(|i| {
                self.rows
                    .iter()
                    .chain([&self.header])
                    .map(|row| cell(row, i).chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |row: &[String]| {
            let cells: Vec<String> = (0..columns)
                .map(|i| format!("{:<w$}", cell(row, i), w = widths[i]))
                .collect();
            cells.join(" | ").trim_end().to_string()
        };
        let rule = "-".repeat(widths.iter().sum::<usize>() + 3 * columns.saturating_sub(1));
        println!("{}", self.title);
        println!("{rule}");
        println!("{}", line(&self.header));
        println!("{rule}");
        for row in &self.rows {
            println!("{}", line(row));
        }
        println!("{rule}");
    }
}

/// How a measured figure compares with its goal, for verdict lines.
pub fn met(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "missed"
    }
}
