//! Converts between `Instant`s and the wheel's deadlines: microseconds
//! since the owner's origin. Nothing else.
//!
//! Deadlines round **up** to a whole microsecond and "now" rounds **down**,
//! so an entry is handed over only once `floor(now) >= ceil(deadline)`,
//! which implies `now >= deadline`: nothing ever fires early, and the
//! rounding costs at most a microsecond. A `u64` of microseconds reaches
//! 584,000 years past the origin; later deadlines saturate to `u64::MAX`,
//! "after everything else".
//!
//! The builder's tick is not a unit of time here: it sizes the wheel's
//! slots (`slot_bits`) and bounds how often a periodic task may run.

use std::time::{Duration, Instant};

use crate::sync::{Arc, AtomicU64, Ordering};

/// Nanoseconds per deadline unit.
const UNIT_NANOS: u64 = 1_000;

#[derive(Clone, Debug)]
pub(crate) struct Clock {
    /// Where "now" comes from.
    source: Source,
    /// Deadline 0.
    origin: Instant,
    /// The builder's tick, between [`MIN_TICK`] and [`MAX_TICK`].
    tick: Duration,
}

/// Spans below this many seconds (136 years) take the u64 fast path, whose
/// nanosecond counts cannot overflow; longer ones the exact u128 path. A u128
/// division is a library call, far dearer than a u64 one, on every schedule.
const FAST_PATH_SECS: u64 = 1 << 32;

/// The shortest tick: one deadline unit.
pub(crate) const MIN_TICK: Duration = Duration::from_nanos(UNIT_NANOS);
/// The longest tick: wheel slots wider than an hour buy nothing, and the
/// tick also bounds a periodic task's period from below.
pub(crate) const MAX_TICK: Duration = Duration::from_secs(3600);

/// The real clock, or a hand-driven one for deterministic tests.
#[derive(Clone, Debug)]
pub(crate) enum Source {
    System,
    Manual(ManualTime),
}

/// A time that moves only when told to: `base` plus an offset in
/// nanoseconds. Shared by clones; reading it is one atomic load.
#[derive(Clone, Debug)]
pub(crate) struct ManualTime {
    base: Instant,
    offset_nanos: Arc<AtomicU64>,
}

impl ManualTime {
    pub(crate) fn new(base: Instant) -> ManualTime {
        ManualTime {
            base,
            offset_nanos: Arc::new(AtomicU64::new(0)),
        }
    }

    pub(crate) fn now(&self) -> Instant {
        self.at(self.offset_nanos.load(Ordering::SeqCst))
    }

    /// The offset of "now", in nanoseconds since the base.
    pub(crate) fn offset(&self) -> u64 {
        self.offset_nanos.load(Ordering::SeqCst)
    }

    /// The instant `offset` nanoseconds after the base (saturating at the
    /// latest instant this platform can add).
    pub(crate) fn at(&self, offset: u64) -> Instant {
        self.base
            .checked_add(Duration::from_nanos(offset))
            .unwrap_or(self.base + Duration::from_secs(u32::MAX.into()))
    }

    /// The offset of `instant` (0 if before the base).
    pub(crate) fn offset_of(&self, instant: Instant) -> u64 {
        u64::try_from(instant.saturating_duration_since(self.base).as_nanos()).unwrap_or(u64::MAX)
    }

    /// Moves time forward to `offset`; never back.
    pub(crate) fn move_to(&self, offset: u64) {
        self.offset_nanos.fetch_max(offset, Ordering::SeqCst);
    }
}

impl Clock {
    /// A clock whose deadline 0 is `origin`.
    pub(crate) fn new(origin: Instant, tick: Duration) -> Clock {
        Clock::with_source(Source::System, origin, tick)
    }

    /// A clock reading `source`, whose deadline 0 is `origin`. The tick is
    /// taken between [`MIN_TICK`] and [`MAX_TICK`].
    pub(crate) fn with_source(source: Source, origin: Instant, tick: Duration) -> Clock {
        Clock {
            source,
            origin,
            tick: tick.clamp(MIN_TICK, MAX_TICK),
        }
    }

    /// The current time.
    #[inline]
    pub(crate) fn now(&self) -> Instant {
        match &self.source {
            Source::System => Instant::now(),
            Source::Manual(time) => time.now(),
        }
    }

    /// Whether time moves only when a `ManualClock` is advanced (so waiting
    /// for an instant in real time is pointless).
    pub(crate) fn is_manual(&self) -> bool {
        matches!(self.source, Source::Manual(_))
    }

    /// `now + delay`, or, if that is not representable, the latest
    /// instant that is, found by halving the delay (so "in practice never").
    pub(crate) fn instant_after(&self, delay: Duration) -> Instant {
        let now = self.now();
        let mut delay = delay;
        loop {
            if let Some(instant) = now.checked_add(delay) {
                return instant;
            }
            delay /= 2;
        }
    }

    /// The tick in use: the builder's, clamped.
    pub(crate) fn tick(&self) -> Duration {
        self.tick
    }

    /// log2 of the wheel's level-0 slot width in deadline units: the tick
    /// rounded up to a power of two microseconds (1 ms: 1,024 µs).
    pub(crate) fn slot_bits(&self) -> u32 {
        let units = (self.tick.as_nanos() / u128::from(UNIT_NANOS)).max(1);
        // The tick is at most an hour: 2^32 µs, so this is at most 32.
        units.next_power_of_two().trailing_zeros()
    }

    /// The deadline that `now` has reached: whole units since the origin
    /// (rounds down).
    #[inline]
    pub(crate) fn reached(&self) -> u64 {
        self.reached_at(self.now())
    }

    /// The deadline `instant` has reached (rounds down).
    pub(crate) fn reached_at(&self, instant: Instant) -> u64 {
        let since = instant.saturating_duration_since(self.origin);
        match fast_nanos(since) {
            Some(nanos) => nanos / UNIT_NANOS,
            None => saturate(since.as_nanos() / u128::from(UNIT_NANOS)),
        }
    }

    /// The deadline of `instant` (rounds up); instants before the origin
    /// are deadline 0, i.e. due at once.
    #[inline]
    pub(crate) fn deadline_at(&self, instant: Instant) -> u64 {
        let since = instant.saturating_duration_since(self.origin);
        match fast_nanos(since) {
            Some(nanos) => nanos.div_ceil(UNIT_NANOS),
            None => saturate(since.as_nanos().div_ceil(u128::from(UNIT_NANOS))),
        }
    }

    /// The deadline of `now + delay`, rounded up, computed without forming
    /// the `Instant` (which would overflow for `Duration::MAX`): past the
    /// end of the `u64` range it saturates to `u64::MAX`, "later than
    /// anything".
    #[inline]
    pub(crate) fn deadline_after(&self, now: Instant, delay: Duration) -> u64 {
        let since = now.saturating_duration_since(self.origin);
        if let (Some(since), Some(delay)) = (fast_nanos(since), fast_nanos(delay)) {
            // Each term is below 2^62, so the sum fits.
            return (since + delay).div_ceil(UNIT_NANOS);
        }
        // Both terms are below 2^96, so the sum cannot overflow a u128.
        saturate((since.as_nanos() + delay.as_nanos()).div_ceil(u128::from(UNIT_NANOS)))
    }

    /// The deadline of `base + nanos` nanoseconds, rounded up, saturating
    /// to `u64::MAX` (for periodic deadlines `anchor + n * period`, whose
    /// offset may exceed any `Duration`). `base` may lie before the origin:
    /// the sum is what counts, and a sum before the origin is deadline 0.
    pub(crate) fn deadline_after_nanos(&self, base: Instant, nanos: u128) -> u64 {
        let after = base.saturating_duration_since(self.origin).as_nanos();
        let before = self.origin.saturating_duration_since(base).as_nanos();
        let since = after.saturating_add(nanos).saturating_sub(before);
        saturate(since.div_ceil(u128::from(UNIT_NANOS)))
    }

    /// The instant of deadline `deadline`, or `None` if that instant is not
    /// representable (so far away that waiting for it means waiting
    /// forever).
    pub(crate) fn instant_of(&self, deadline: u64) -> Option<Instant> {
        let nanos = u128::from(deadline) * u128::from(UNIT_NANOS);
        self.origin.checked_add(duration_from_nanos(nanos)?)
    }
}

/// The span in nanoseconds as a u64, if it is short enough for the fast path.
#[inline]
fn fast_nanos(span: Duration) -> Option<u64> {
    (span.as_secs() < FAST_PATH_SECS)
        .then(|| span.as_secs() * 1_000_000_000 + u64::from(span.subsec_nanos()))
}

fn saturate(ticks: u128) -> u64 {
    u64::try_from(ticks).unwrap_or(u64::MAX)
}

fn duration_from_nanos(nanos: u128) -> Option<Duration> {
    let secs = u64::try_from(nanos / 1_000_000_000).ok()?;
    Some(Duration::new(secs, (nanos % 1_000_000_000) as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);
    const US: Duration = Duration::from_micros(1);

    #[test]
    fn deadlines_round_up_and_now_rounds_down() {
        let origin = Instant::now();
        let clock = Clock::new(origin, MS);
        let t = origin + Duration::from_nanos(1500);
        assert_eq!(clock.reached_at(t), 1);
        assert_eq!(clock.deadline_at(t), 2);
        assert_eq!(clock.deadline_at(origin + US), 1);
        assert_eq!(clock.reached_at(origin + US), 1);
        // Whatever the tick: deadlines are microseconds.
        let coarse = Clock::new(origin, Duration::from_secs(60));
        assert_eq!(coarse.deadline_at(origin + MS), 1000);
    }

    #[test]
    fn a_reached_deadline_never_precedes_the_instant() {
        let origin = Instant::now();
        let clock = Clock::new(origin, Duration::from_micros(700));
        for nanos in [0u64, 1, 999, 1000, 1001, 1_399_999, 123_456_789] {
            let instant = origin + Duration::from_nanos(nanos);
            let deadline = clock.deadline_at(instant);
            assert!(clock.instant_of(deadline).unwrap() >= instant);
            // The first instant that reaches a deadline is the deadline's own.
            assert_eq!(
                clock.reached_at(clock.instant_of(deadline).unwrap()),
                deadline
            );
        }
    }

    #[test]
    fn the_tick_sizes_slots_and_is_clamped() {
        let origin = Instant::now();
        assert_eq!(Clock::new(origin, MS).slot_bits(), 10);
        assert_eq!(
            Clock::new(origin, Duration::from_micros(1024)).slot_bits(),
            10
        );
        assert_eq!(
            Clock::new(origin, Duration::from_micros(1025)).slot_bits(),
            11
        );
        assert_eq!(Clock::new(origin, Duration::ZERO).tick(), MIN_TICK);
        assert_eq!(Clock::new(origin, Duration::ZERO).slot_bits(), 0);
        let huge = Clock::new(origin, Duration::MAX);
        assert_eq!(huge.tick(), MAX_TICK);
        assert_eq!(huge.slot_bits(), 32);
        // A huge tick does not make deadlines coarse.
        assert_eq!(
            huge.deadline_after(origin, Duration::from_secs(1)),
            1_000_000
        );
    }

    #[test]
    fn extremes_saturate_instead_of_overflowing() {
        let origin = Instant::now();
        let clock = Clock::new(origin, MS);
        assert_eq!(clock.deadline_after(origin, Duration::MAX), u64::MAX);
        // u64::MAX µs is ~584,000 years: still an Instant on Linux.
        assert!(clock.instant_of(u64::MAX).is_some());
        let past = origin.checked_sub(Duration::from_secs(5)).unwrap_or(origin);
        assert_eq!(clock.deadline_at(past), 0);
        assert_eq!(clock.reached_at(past), 0);
    }

    #[test]
    fn fast_and_exact_paths_agree_at_the_boundary() {
        let origin = Instant::now();
        let clock = Clock::new(origin, MS);
        let edge = Duration::from_secs(FAST_PATH_SECS);
        for span in [
            edge - Duration::from_nanos(1),
            edge,
            edge + Duration::from_nanos(1),
        ] {
            let exact = span.as_nanos().div_ceil(1000) as u64;
            assert_eq!(clock.deadline_after(origin, span), exact);
            if let Some(instant) = origin.checked_add(span) {
                assert_eq!(clock.deadline_at(instant), exact);
                assert_eq!(clock.reached_at(instant), (span.as_nanos() / 1000) as u64);
            }
        }
        // Far-future delays stay ordered instead of collapsing together.
        let a = clock.deadline_after(origin, Duration::from_secs(600 * 365 * 86_400));
        let b = clock.deadline_after(origin, Duration::from_secs(700 * 365 * 86_400));
        assert!(a < b && b < u64::MAX);
    }

    #[test]
    fn deadline_after_matches_deadline_at_of_the_sum() {
        let origin = Instant::now();
        let clock = Clock::new(origin, Duration::from_micros(300));
        let now = origin + Duration::from_nanos(1_234_567);
        for d in [0u64, 1, 299, 300, 301, 10_000] {
            let d = Duration::from_nanos(d * 777);
            assert_eq!(clock.deadline_after(now, d), clock.deadline_at(now + d));
        }
    }

    #[test]
    fn deadline_after_nanos_counts_from_a_base_before_the_origin() {
        let origin = Instant::now() + Duration::from_secs(10);
        let clock = Clock::new(origin, MS);
        let base = origin - Duration::from_millis(1500);
        assert_eq!(clock.deadline_after_nanos(base, 1_000_000_000), 0);
        assert_eq!(clock.deadline_after_nanos(base, 1_500_000_000), 0);
        assert_eq!(clock.deadline_after_nanos(base, 1_500_000_001), 1);
        assert_eq!(clock.deadline_after_nanos(base, 1_510_000_000), 10_000);
        assert_eq!(clock.deadline_after_nanos(origin, u128::MAX), u64::MAX);
    }
}
