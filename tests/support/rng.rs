//! xorshift64*: the tests' one pseudo-random generator. Deterministic (a
//! fixed seed gives a fixed sequence), without a dependency, and plenty for
//! spreading deadlines.

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-ish in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A value of any magnitude: a random bit width (0 to 64), then random
    /// bits, so small and huge values (wheel ticks) are equally likely.
    pub fn any_magnitude(&mut self) -> u64 {
        let bits = self.next() % 65;
        self.next().checked_shr(64 - bits as u32).unwrap_or(0)
    }
}
