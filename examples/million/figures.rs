//! Named measurements, and how a child process hands them to its parent.
//!
//! Every measuring mode computes its figures into a [`Figures`] and builds
//! its table from those, whether they were measured in this process or in a
//! child: `--compare` re-executes this binary with the hidden flag
//! `--child <side>` once per peer (and `--mode scale` with
//! `--child wheel|heap` once per level), so that each measurement starts in
//! a fresh process: a fresh allocator (memory freed by the other design is
//! not reused, and the RSS baseline is clean), and none of the other
//! design's threads. The child prints `figure <key> <value>` /
//! `note <key> <text>` lines on stdout.

use std::process::{Command, Stdio};

use crate::args::{Config, Side};
use crate::Failure;

/// Figures by name: numbers (nanoseconds, bytes, counts, 0/1 flags) and
/// short texts.
#[derive(Clone, Debug, Default)]
pub struct Figures {
    values: Vec<(String, f64)>,
    notes: Vec<(String, String)>,
}

impl Figures {
    pub fn set(&mut self, key: &str, value: f64) {
        self.values.retain(|(k, _)| k != key);
        self.values.push((key.to_string(), value));
    }

    /// Sets `key` if `value` is known; otherwise leaves it unknown.
    pub fn set_opt(&mut self, key: &str, value: Option<f64>) {
        if let Some(value) = value {
            self.set(key, value);
        }
    }

    pub fn note(&mut self, key: &str, text: impl Into<String>) {
        let text: String = text.into();
        self.notes.retain(|(k, _)| k != key);
        self.notes.push((key.to_string(), text.replace('\n', " ")));
    }

    /// Takes every figure of `other`, replacing those of the same name.
    pub fn extend(&mut self, other: Figures) {
        for (key, value) in other.values {
            self.set(&key, value);
        }
        for (key, text) in other.notes {
            self.note(&key, text);
        }
    }

    pub fn get(&self, key: &str) -> Option<f64> {
        self.values.iter().find(|(k, _)| k == key).map(|&(_, v)| v)
    }

    pub fn text(&self, key: &str) -> Option<&str> {
        self.notes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, t)| t.as_str())
    }

    /// Prints every figure for the parent to read back.
    pub fn emit(&self) {
        for (key, value) in &self.values {
            // `{:?}` of an f64 round-trips exactly.
            println!("figure {key} {value:?}");
        }
        for (key, text) in &self.notes {
            println!("note {key} {text}");
        }
    }

    fn parse(text: &str) -> Figures {
        let mut figures = Figures::default();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("figure ") {
                if let Some((key, value)) = rest.split_once(' ') {
                    if let Ok(value) = value.trim().parse() {
                        figures.set(key, value);
                    }
                }
            } else if let Some(rest) = line.strip_prefix("note ") {
                if let Some((key, text)) = rest.split_once(' ') {
                    figures.note(key, text);
                }
            }
        }
        figures
    }
}

/// Measures `side` in a child process (this binary, `--child`), with the
/// same configuration (`level` for `--mode scale`), and reads its figures
/// back. The child's stderr goes to ours.
pub fn in_child(config: &Config, side: Side, level: Option<usize>) -> Result<Figures, Failure> {
    let exe = std::env::current_exe()
        .map_err(|e| Failure(format!("cannot find this program to re-run it: {e}")))?;
    let output = Command::new(&exe)
        .args(config.child_args(side, level))
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| Failure(format!("cannot start {}: {e}", exe.display())))?;
    if !output.status.success() {
        return Err(Failure(format!(
            "the child measuring `{}` failed ({})",
            side.flag(),
            output.status
        )));
    }
    Ok(Figures::parse(&String::from_utf8_lossy(&output.stdout)))
}

/// `later - earlier` in nanoseconds, negative if `later` is earlier.
pub fn since(later: std::time::Instant, earlier: std::time::Instant) -> f64 {
    match later.checked_duration_since(earlier) {
        Some(d) => d.as_nanos() as f64,
        None => -((earlier - later).as_nanos() as f64),
    }
}

/// A table row: `label`, then `show` of each side's figures.
pub fn row(label: &str, sides: &[&Figures], show: impl Fn(&Figures) -> String) -> Vec<String> {
    std::iter::once(label.to_string())
        .chain(sides.iter().map(|figures| show(figures)))
        .collect()
}

/// The header of a table with one column per side measured.
pub fn header<'a>(first: &'a str, names: &[&'a str]) -> Vec<&'a str> {
    std::iter::once(first)
        .chain(names.iter().copied())
        .collect()
}

/// In a child: prints the figures it measured for the parent.
pub fn emit(figures: Figures) -> Result<(), Failure> {
    figures.emit();
    Ok(())
}

/// The lines `--compare` prints under each table about how the Go design
/// ran.
pub const PEER_NOTE: &str = "\
Go design (heap) = bench/src/go_heap.rs: one Mutex<BinaryHeap> + Condvar,
  a timer thread and a fixed pool of workers (as many as schedgroup's default
  cap), lazy cancel. It ran right after schedgroup, in a child process of this
  binary (hidden flag --child heap), so it started from a fresh allocator and
  a clean RSS baseline, with none of schedgroup's threads around.";

/// The same about scheduled-thread-pool.
pub const POOL_NOTE: &str = "\
scheduled-thread-pool = the crate, 0.2 (bench/src/scheduled_pool.rs): one
  BinaryHeap under a parking_lot Mutex, and workers (as many as the Go design's)
  that each wait on its Condvar until the earliest job's exact Instant, then
  run it: no timer thread, no tick. It ran in a child process too (--child
  pool), with a counter beside it for wait() (one atomic add and subtract per
  job). Its jobs are filed at now + (deadline - now), read a few tens of ns
  apart: that much late by construction.";

/// One column of a table: a side's name and figures.
struct Column {
    side: Side,
    name: String,
    figures: Figures,
}

/// The figures of each side measured, in the order measured, ready to print
/// side by side: the mode's own side first (measured in this process), then
/// the peers `--compare` adds, each measured in a child process.
pub struct Sides {
    columns: Vec<Column>,
}

impl Sides {
    /// Starts with the figures this process measured.
    pub fn new(side: Side, name: impl Into<String>, figures: Figures) -> Sides {
        Sides {
            columns: vec![Column {
                side,
                name: name.into(),
                figures,
            }],
        }
    }

    /// schedgroup's figures (already measured) and, with `--compare`, the
    /// Go design's, measured in a child.
    pub fn measure(config: &Config, wheel: Figures) -> Result<Sides, Failure> {
        use crate::timers::Timers;
        let mut sides = Sides::new(Side::Wheel, <schedgroup::Group as Timers>::NAME, wheel);
        if config.compare {
            sides.add_child(
                config,
                Side::Heap,
                <schedgroup_bench::go_heap::HeapGroup as Timers>::NAME,
            )?;
        }
        Ok(sides)
    }

    /// Measures `side` in a child process with `config` and adds its column.
    pub fn add_child(
        &mut self,
        config: &Config,
        side: Side,
        name: impl Into<String>,
    ) -> Result<(), Failure> {
        let name = name.into();
        println!("measuring {name} in a child process ...");
        let figures = in_child(config, side, None)?;
        self.columns.push(Column {
            side,
            name,
            figures,
        });
        Ok(())
    }

    /// The figures, one per side, for [`row`].
    pub fn refs(&self) -> Vec<&Figures> {
        self.columns.iter().map(|c| &c.figures).collect()
    }

    /// The figures of the side measured in this process.
    pub fn first(&self) -> &Figures {
        &self.columns[0].figures
    }

    /// schedgroup's figures.
    pub fn wheel(&self) -> &Figures {
        self.first()
    }

    /// The first column measured on `side` in a child, if any.
    pub fn peer(&self, side: Side) -> Option<&Figures> {
        self.columns[1..]
            .iter()
            .find(|c| c.side == side)
            .map(|c| &c.figures)
    }

    /// The Go design's figures, with `--compare`.
    pub fn heap(&self) -> Option<&Figures> {
        self.peer(Side::Heap)
    }

    /// The sides' names, in the same order.
    pub fn names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }
}
