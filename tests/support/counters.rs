//! Per-task counters: how many times each of `n` tasks ran (or was
//! canceled, or anything else a test counts per task).

use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

/// One counter per task, `0..n`, all zero.
pub fn task_counters(n: usize) -> Arc<Vec<AtomicUsize>> {
    Arc::new((0..n).map(|_| AtomicUsize::new(0)).collect())
}
