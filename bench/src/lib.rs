//! What the benchmarks and the `million` harness share: the peer they
//! measure schedgroup against (the Go package's design, [`go_heap`]) and a
//! fixed-seed generator ([`rng`]), so that every run sees the same
//! deadlines and victims.
//!
//! Not published: this crate exists so that the benches' heavy
//! dependencies (criterion, tokio, tokio-util) stay out of schedgroup's own
//! build, and out of `cargo run --release --bin million`.

pub mod go_heap;
pub mod rng;
