//! What each bench's `main` needs before criterion starts.

/// Whether criterion runs for real: `cargo bench` passes `--bench`, while
/// `cargo test --benches` only checks that each benchmark runs, at the
/// smallest sizes.
pub(crate) fn full_run() -> bool {
    std::env::args().any(|arg| arg == "--bench")
}

/// A current-thread tokio runtime with time enabled: tokio-util's
/// `DelayQueue` creates tokio timers, which need its context (enter it for
/// the whole run).
pub(crate) fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a tokio runtime")
}
