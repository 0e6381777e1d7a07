//! Drop observers: tokens to move into closures, telling when (and how
//! many of) those closures have been dropped.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// Counts how many of its tokens have been dropped.
#[derive(Clone, Default)]
pub struct DropCounter(Arc<AtomicUsize>);

impl DropCounter {
    pub fn new() -> DropCounter {
        DropCounter::default()
    }

    /// A token to move into a closure; dropping it (with the closure) counts.
    pub fn token(&self) -> DropToken {
        DropToken(Arc::clone(&self.0))
    }

    pub fn dropped(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

pub struct DropToken(Arc<AtomicUsize>);

impl Drop for DropToken {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// One flag per task, `0..n`: tells which tasks' closures have been
/// dropped.
#[derive(Clone)]
pub struct DropFlags(Arc<Vec<AtomicBool>>);

impl DropFlags {
    pub fn new(n: usize) -> DropFlags {
        DropFlags(Arc::new((0..n).map(|_| AtomicBool::new(false)).collect()))
    }

    /// A guard to move into task `i`'s closure: dropping it sets flag `i`.
    pub fn token(&self, i: usize) -> DropFlag {
        DropFlag {
            flags: self.clone(),
            i,
        }
    }

    pub fn is_dropped(&self, i: usize) -> bool {
        self.0[i].load(Ordering::SeqCst)
    }
}

/// Sets its flag of a [`DropFlags`] when dropped.
pub struct DropFlag {
    flags: DropFlags,
    i: usize,
}

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.flags.0[self.i].store(true, Ordering::SeqCst);
    }
}
