// Under the `loom` feature every example that builds a `Group` would panic
// (loom's primitives work only inside a loom model), so rustdoc then finds no
// examples to test: it sets `cfg(doctest)` only while it collects them, and
// the two lines below hide the front page (`lib.md`) and every item from
// that collection alone.
#![cfg_attr(not(all(doctest, feature = "loom")), doc = include_str!("lib.md"))]
#![cfg(not(all(doctest, feature = "loom")))]
#![deny(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![warn(missing_docs)]

mod clock;
mod driver;
mod error;
mod group;
mod pool;
mod queue;
mod shard;
mod stats;
mod sync;
#[allow(unsafe_code)] // the one unsafe module: see its docs
mod task;
#[cfg(test)]
mod test_rng;
mod unwind;
mod wheel;

pub use error::Error;
pub use group::{Builder, Group, ManualClock, Sleep, TaskHandle, Wait};
pub use queue::{Queue, QueueBuilder, QueueKey, Recv};
pub use stats::{Lateness, Stats};
pub use wheel::{Key, Wheel};
