//! The README's main command: a million closures pending on one `Group`.
//!
//! ```text
//! cargo run --release --example million
//! cargo run --release --example million -- --tasks 100000 --delay 1
//! cargo run --release --example million -- --mode burst --compare
//! cargo run --release --example million -- --help
//! ```
//!
//! Each experiment (`--mode`) is one module under `examples/million/` and
//! prints its own table; the shared pieces are the flags (`args`), the
//! `/proc/self/status` reader (`procfs`), the counter every closure captures
//! (`tally`), the progress line (`watch`) and formatting (`report`); the
//! measuring modes also share the two schedulers behind one trait
//! (`timers`), and named figures that a child process can hand back
//! (`figures`, for `--compare`).
//! (A crate root looks for its modules beside itself, hence the `#[path]`s.)

#[path = "million/args.rs"]
mod args;
#[path = "million/burst.rs"]
mod burst;
#[path = "million/figures.rs"]
mod figures;
/// The peer: the Go package's design, shared with the benches.
#[path = "../benches/peers/go_heap.rs"]
mod go_heap;
#[path = "million/idle.rs"]
mod idle;
#[path = "million/lateness.rs"]
mod lateness;
#[path = "million/procfs.rs"]
mod procfs;
#[path = "million/report.rs"]
mod report;
#[path = "million/scale.rs"]
mod scale;
#[path = "million/schedule.rs"]
mod schedule;
#[path = "million/tally.rs"]
mod tally;
#[path = "million/threads.rs"]
mod threads;
#[path = "million/timers.rs"]
mod timers;
#[path = "million/watch.rs"]
mod watch;

use std::process::ExitCode;

use args::{Mode, Parsed, UsageError};

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
    let result = match config.mode {
        Mode::Schedule => schedule::run(&config),
        Mode::Burst => burst::run(&config),
        Mode::Lateness => lateness::run(&config),
        Mode::Idle => idle::run(&config),
        Mode::Scale => scale::run(&config),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(message)) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
