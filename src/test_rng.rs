//! Deterministic randomness for unit tests, which cannot reach the
//! integration tests' `tests/support/rng.rs`.

/// Advances `state` (never 0) and returns it: xorshift64, enough to spread
/// test inputs, and the same sequence on every run.
pub(crate) fn xorshift(state: &mut u64) -> u64 {
    debug_assert!(*state != 0, "xorshift stays at 0");
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}
