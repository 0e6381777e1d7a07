//! Helpers shared by the integration tests: the time bounds and watchdogs,
//! drop and per-task counters, the quiet intentional panics, one RNG, the far
//! past, recorders for `ManualClock` tests, the `Wheel` tests' advance
//! helpers, and the `/proc` readers of the thread tests.
//!
//! Each test binary compiles its own copy (`mod support;`) and uses only
//! some of it, hence the `allow`s.
#![allow(dead_code, unused_imports)]

pub mod counters;
pub mod drops;
pub mod instants;
pub mod manual;
pub mod panics;
pub mod rng;
pub mod threads;
pub mod watchdog;
pub mod wheel;

pub use counters::task_counters;
pub use drops::{DropCounter, DropFlags, DropToken};
pub use instants::far_past;
pub use panics::{armed, quiet_intentional_panics, returns, Bomb, IntentionalPayload, INTENTIONAL};
pub use rng::Rng;
pub use watchdog::{advance, wait_for, wait_within, within, JOB_TIMEOUT, STEP_TIMEOUT};
