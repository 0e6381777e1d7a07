//! Panics of user code, caught: dropping a closure whose captures may panic
//! without letting the panic escape, and the log of panics a group reports.
//!
//! A user's closure can panic twice: when it runs (the pool catches that) and
//! when it is dropped unrun (a capture's `Drop`). The second may happen on
//! any path that discards tasks: a cancel, a stop, a refused schedule, the
//! group's drop. Every such path drops through [`drop_contained`], so no
//! bookkeeping is ever left half done by an unwinding drop, and records the
//! panic in the owner's [`PanicLog`], where `wait()` reports it.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::sync::Mutex;

/// Drops `value`; if its drop panics, hands back the payload instead of
/// unwinding.
pub(crate) fn drop_contained<T>(value: T) -> Result<(), Box<dyn Any + Send>> {
    catch_unwind(AssertUnwindSafe(move || drop(value)))
}

/// Drops a payload whose own `Drop` may panic too. A payload that panics
/// while being dropped yields a second payload; that one is leaked rather
/// than dropped, which ends the regress.
pub(crate) fn discard_payload(payload: Box<dyn Any + Send>) {
    if let Err(inner) = drop_contained(payload) {
        std::mem::forget(inner);
    }
}

/// The text of a panic payload, when it has one.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> Option<String> {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
}

/// How many panics one owner's closures raised, running or being dropped,
/// and the first one's message.
#[derive(Debug, Default)]
pub(crate) struct PanicLog {
    inner: Mutex<Tally>,
}

#[derive(Debug, Default)]
struct Tally {
    count: usize,
    first: Option<String>,
}

impl PanicLog {
    /// Counts a panic and drops its payload (containing that drop too).
    pub(crate) fn record(&self, payload: Box<dyn Any + Send>) {
        let message = panic_message(&*payload);
        {
            let mut tally = self.inner.lock();
            tally.count += 1;
            if tally.first.is_none() {
                tally.first = message;
            }
        }
        discard_payload(payload);
    }

    /// Drops every value, each on its own, recording the panics of those
    /// whose drop panics. Returns how many values there were.
    pub(crate) fn drop_all<T>(&self, values: impl IntoIterator<Item = T>) -> usize {
        let mut count = 0;
        for value in values {
            count += 1;
            if let Err(payload) = drop_contained(value) {
                self.record(payload);
            }
        }
        count
    }

    /// `(panics so far, the first one's message)`.
    pub(crate) fn snapshot(&self) -> (usize, Option<String>) {
        let tally = self.inner.lock();
        (tally.count, tally.first.clone())
    }
}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::*;

    struct Bomb(&'static str);

    impl Drop for Bomb {
        fn drop(&mut self) {
            panic!("{}", self.0);
        }
    }

    #[test]
    fn drop_all_drops_every_value_and_counts_each_panic() {
        let log = PanicLog::default();
        let dropped = std::sync::Arc::new(());
        let values: Vec<Box<dyn Send>> = vec![
            Box::new(Bomb("first")),
            Box::new(std::sync::Arc::clone(&dropped)),
            Box::new(Bomb("second")),
            Box::new(std::sync::Arc::clone(&dropped)),
        ];
        let count = log.drop_all(values);
        assert_eq!(count, 4);
        assert_eq!(
            std::sync::Arc::strong_count(&dropped),
            1,
            "a value survived"
        );
        assert_eq!(log.snapshot(), (2, Some("first".to_string())));
    }
}
