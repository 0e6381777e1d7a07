//! The one switch between the real primitives and loom's.
//!
//! Everything that blocks, counts across threads or spawns a thread comes
//! from here: parking_lot's `Mutex`/`Condvar` and std's atomics, `Arc` and
//! threads normally; loom's under the `loom` feature, so the models in
//! `loom-tests/` explore every interleaving of the real scheduler code.
//! Both sides expose the same small API (parking_lot's shape: `lock()`
//! without poisoning, condvar waits on `&mut guard`).
//!
//! loom's primitives work only inside a loom model, so under the feature
//! every constructor here first checks that one is running, and otherwise
//! panics with a message that says the feature is for model checking this
//! crate and must never be enabled in a dependency.

#[cfg(feature = "loom")]
mod loom_model;
#[cfg(not(feature = "loom"))]
mod native;

#[cfg(feature = "loom")]
pub(crate) use loom_model::*;
#[cfg(not(feature = "loom"))]
pub(crate) use native::*;
