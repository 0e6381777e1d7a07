#![doc = include_str!("../README.md")]
#![deny(unsafe_code)]
#![warn(missing_docs)]

mod clock;
mod driver;
mod error;
mod group;
mod pool;
mod shard;
mod stats;
mod sync;
#[allow(unsafe_code)] // the one unsafe module: see its docs
mod task;
mod unwind;
mod wheel;

pub use error::Error;
pub use group::{Builder, Group, ManualClock, Sleep, TaskHandle, Wait};
pub use stats::{Lateness, Stats};
pub use wheel::{Key, Wheel};
