//! The schedulers the modes measure, behind one trait so that every
//! experiment is written once: `schedgroup::Group` (the wheel), the Go
//! package's design (`schedgroup_bench::go_heap`, a `Mutex<BinaryHeap>` +
//! `Condvar` with a timer thread and a fixed pool of workers) and
//! scheduled-thread-pool (`crate::pool`).

use std::time::{Duration, Instant};

use schedgroup::{Group, Lateness, TaskHandle};

use crate::args::Config;
use crate::procfs::ThreadStat;
use schedgroup_bench::go_heap::HeapGroup;

/// What an experiment needs from a scheduler.
pub trait Timers: Sized {
    type Handle;
    /// Its name in tables.
    const NAME: &'static str;

    /// A new, empty scheduler with its default settings (for schedgroup,
    /// the `--tick` given, if any).
    fn start(config: &Config) -> Self;
    fn schedule<F: FnOnce() + Send + 'static>(&self, deadline: Instant, f: F) -> Self::Handle;
    fn delay<F: FnOnce() + Send + 'static>(&self, delay: Duration, f: F) -> Self::Handle;
    /// Cancels a pending task; `false` if this design can tell it was not
    /// pending any more.
    fn cancel(&self, handle: Self::Handle) -> bool;
    /// Blocks until nothing is pending or running.
    fn wait(&self) -> Result<(), String>;
    fn len(&self) -> usize;
    /// The scheduler's own lateness summary, if it keeps one.
    fn lateness(&self) -> Option<Lateness>;
    /// Among the threads that [`Timers::start`] created, the one that waits
    /// for deadlines (schedgroup's driver, the heap's timer thread); `None`
    /// for a design without one.
    fn timer_thread(started: &[ThreadStat]) -> Option<u32>;
    /// How its thread that waits for deadlines is found, for the tables.
    const TIMER_THREAD: &'static str;
}

/// schedgroup's group, with `--tick` and `--timer-slack` if given.
pub fn group(config: &Config) -> Group {
    if config.tick.is_none() && config.timer_slack.is_none() {
        return Group::new();
    }
    let mut builder = Group::builder();
    if let Some(tick) = config.tick {
        builder = builder.tick(tick);
    }
    if let Some(slack) = config.timer_slack {
        builder = builder.timer_slack(slack);
    }
    builder.build()
}

/// The worker count of the heap peers: schedgroup's default concurrency cap
/// (the CPUs, at least 4), so that every side runs tasks on as many threads.
pub fn default_workers() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .max(4)
}

impl Timers for Group {
    type Handle = TaskHandle;
    const NAME: &'static str = "schedgroup (wheel)";
    const TIMER_THREAD: &'static str =
        "driver: the thread whose /proc comm is `schedgroup-driv` (15-byte cut of `schedgroup-driver`)";

    fn start(config: &Config) -> Self {
        group(config)
    }

    fn schedule<F: FnOnce() + Send + 'static>(&self, deadline: Instant, f: F) -> TaskHandle {
        Group::schedule(self, deadline, f)
    }

    fn delay<F: FnOnce() + Send + 'static>(&self, delay: Duration, f: F) -> TaskHandle {
        Group::delay(self, delay, f)
    }

    fn cancel(&self, handle: TaskHandle) -> bool {
        handle.cancel()
    }

    fn wait(&self) -> Result<(), String> {
        Group::wait(self).map_err(|e| e.to_string())
    }

    fn len(&self) -> usize {
        Group::len(self)
    }

    fn lateness(&self) -> Option<Lateness> {
        Some(self.stats().lateness)
    }

    fn timer_thread(started: &[ThreadStat]) -> Option<u32> {
        // The kernel keeps 15 bytes of a thread's name.
        started
            .iter()
            .find(|t| t.comm.starts_with("schedgroup-driv"))
            .map(|t| t.tid)
    }
}

impl Timers for HeapGroup {
    type Handle = u64;
    const NAME: &'static str = "Go design (heap)";
    const TIMER_THREAD: &'static str =
        "timer: the first thread HeapGroup::new spawns (its threads are unnamed: first new tid)";

    fn start(_: &Config) -> Self {
        HeapGroup::new(default_workers())
    }

    fn schedule<F: FnOnce() + Send + 'static>(&self, deadline: Instant, f: F) -> u64 {
        HeapGroup::schedule(self, deadline, f)
    }

    fn delay<F: FnOnce() + Send + 'static>(&self, delay: Duration, f: F) -> u64 {
        HeapGroup::delay(self, delay, f)
    }

    fn cancel(&self, id: u64) -> bool {
        // Lazy: the id is remembered and the entry skipped when it surfaces.
        HeapGroup::cancel(self, id);
        true
    }

    fn wait(&self) -> Result<(), String> {
        HeapGroup::wait(self);
        Ok(())
    }

    fn len(&self) -> usize {
        HeapGroup::len(self)
    }

    fn lateness(&self) -> Option<Lateness> {
        None
    }

    fn timer_thread(started: &[ThreadStat]) -> Option<u32> {
        // `HeapGroup::new` spawns the timer first, then the workers, and
        // Linux hands out ids in increasing order, wrapping at pid_max:
        // the first one after the process's own id, counting round.
        let me = std::process::id();
        started
            .iter()
            .map(|t| t.tid)
            .min_by_key(|&tid| tid.wrapping_sub(me))
    }
}
