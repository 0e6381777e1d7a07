//! Instants at the edge of what `Instant` can represent.

use std::time::{Duration, Instant};

/// The earliest representable instant going back up to `back` from `now`:
/// `Instant` cannot precede the clock's origin (boot, on Linux).
pub fn far_past(now: Instant, back: Duration) -> Instant {
    let mut back = back;
    loop {
        if let Some(t) = now.checked_sub(back) {
            return t;
        }
        back /= 2;
    }
}
