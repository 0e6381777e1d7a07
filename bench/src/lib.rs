//! What the benchmarks and the `million` harness share: the peers they
//! measure schedgroup against (the Go package's design, [`go_heap`], and
//! scheduled-thread-pool, [`scheduled_pool`]), a fixed-seed generator
//! ([`rng`]), so that every run sees the same deadlines and victims, and a
//! counting allocator for the memory figures ([`counting`]).
//!
//! Not published: this crate exists so that the benches' heavy
//! dependencies (criterion, tokio's multi-thread runtime) stay out of
//! schedgroup's own build.

pub mod counting;
pub mod go_heap;
pub mod rng;
pub mod scheduled_pool;
