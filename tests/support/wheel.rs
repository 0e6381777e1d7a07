//! Helpers of the `Wheel<T>` tests.

use schedgroup::{Key, Wheel};

/// Advances and returns what was handed over, in order.
pub fn advance<T>(wheel: &mut Wheel<T>, to: u64) -> Vec<(Key, T)> {
    let mut out = Vec::new();
    wheel.advance(to, |key, value| out.push((key, value)));
    out
}

/// Advances and returns only the values handed over, in order.
pub fn values<T>(wheel: &mut Wheel<T>, to: u64) -> Vec<T> {
    advance(wheel, to).into_iter().map(|(_, v)| v).collect()
}
