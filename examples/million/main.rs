//! The benchmark harness behind the README's first command: a million
//! closures pending on one `Group`, and the scale experiments.
//!
//! ```text
//! cargo run --release --example million
//! cargo run --release --example million -- --tasks 100000 --delay 1
//! cargo run --release --example million -- --mode burst --compare
//! cargo run --release --example million -- --mode lateness --compare --tick 100us
//! cargo run --release --example million -- --mode queue --compare
//! cargo run --release --example million -- --help
//! ```
//!
//! Each experiment (`--mode`) is one module beside this file and
//! prints its own table; the shared pieces are the flags (`args`), the
//! `/proc/self/status` reader (`procfs`), the counter every closure captures
//! (`tally`), the progress line (`watch`) and formatting (`report`); the
//! measuring modes also share the schedulers behind one trait (`timers`,
//! and `pool` for scheduled-thread-pool), and named figures that a child
//! process can hand back (`figures`, for `--compare`). The peers, the Go
//! package's design and scheduled-thread-pool, are
//! [`schedgroup_bench::go_heap`] and [`schedgroup_bench::scheduled_pool`],
//! shared with the benches. The allocator counts bytes only in
//! `--mode queue`, which starts it.

mod args;
mod burst;
mod figures;
mod idle;
mod lateness;
mod lateness_goals;
mod mode;
mod pool;
mod procfs;
mod queue;
mod queue_sides;
mod report;
mod scale;
mod schedule;
mod tally;
mod threads;
mod timers;
mod watch;

use std::process::ExitCode;

use args::{Mode, Parsed, UsageError};
use schedgroup_bench::counting::Counting;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// An experiment that ran but did not come out right (exit status 1).
pub struct Failure(pub String);

fn main() -> ExitCode {
    let argv = std::env::args_os()
        .skip(1)
        .map(|arg| arg.to_string_lossy().into_owned());
    let config = match args::parse(argv) {
        Ok(Parsed::Run(config)) => config,
        Ok(Parsed::Help) => {
            println!("{}", args::usage());
            return ExitCode::SUCCESS;
        }
        Err(UsageError(message)) => {
            eprintln!("error: {message}\n\n{}", args::usage());
            return ExitCode::from(2);
        }
    };
    if let (Some(tick), None) = (config.tick, config.child) {
        if !matches!(config.mode, Mode::Lateness | Mode::Queue) {
            println!(
                "(schedgroup at a {} tick: Builder::tick)",
                report::duration(tick)
            );
        }
    }
    let result = match config.mode {
        Mode::Schedule => schedule::run(&config),
        Mode::Burst => burst::run(&config),
        Mode::Lateness => lateness::run(&config),
        Mode::Idle => idle::run(&config),
        Mode::Scale => scale::run(&config),
        Mode::Queue => queue::run(&config),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(message)) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
