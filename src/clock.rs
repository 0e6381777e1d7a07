//! Converts between `Instant`s and wheel ticks. Nothing else.
//!
//! Deadlines round **up** to a whole tick and "now" rounds **down**, so a
//! task is handed over only once `floor(now) >= ceil(deadline)`, which
//! implies `now >= deadline`: nothing ever fires early. The price is at most
//! one tick of lateness.

use std::time::{Duration, Instant};

use crate::sync::{Arc, AtomicU64, Ordering};

#[derive(Clone, Debug)]
pub(crate) struct Clock {
    /// Where "now" comes from.
    source: Source,
    /// Tick 0.
    origin: Instant,
    /// Length of a tick in nanoseconds, at least 1.
    tick_nanos: u128,
    /// The same, as a u64 for the fast path (saturated; unused if it did).
    tick_nanos_u64: u64,
}

/// Spans below this many seconds (136 years) take the u64 fast path, whose
/// nanosecond counts cannot overflow; longer ones the exact u128 path. A u128
/// division is a library call, far dearer than a u64 one, on every schedule.
const FAST_PATH_SECS: u64 = 1 << 32;

/// The longest tick: a task is late by up to a tick, and a tick so long
/// that its end is not representable (`Duration::MAX`) would make every
/// deadline after the origin "never".
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
    /// A clock whose tick 0 is `origin`. A zero tick is taken as 1 ns.
    pub(crate) fn new(origin: Instant, tick: Duration) -> Clock {
        Clock::with_source(Source::System, origin, tick)
    }

    /// A clock reading `source`, whose tick 0 is `origin`. The tick is
    /// taken between 1 ns and [`MAX_TICK`].
    pub(crate) fn with_source(source: Source, origin: Instant, tick: Duration) -> Clock {
        let tick_nanos = tick.min(MAX_TICK).as_nanos().max(1);
        Clock {
            source,
            origin,
            tick_nanos,
            tick_nanos_u64: u64::try_from(tick_nanos).unwrap_or(u64::MAX),
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

    /// The tick length actually in use.
    pub(crate) fn tick(&self) -> Duration {
        duration_from_nanos(self.tick_nanos).unwrap_or(Duration::MAX)
    }

    /// The last tick that has fully begun at `instant` (rounds down).
    pub(crate) fn tick_floor(&self, instant: Instant) -> u64 {
        let since = instant.saturating_duration_since(self.origin);
        match fast_nanos(since) {
            Some(nanos) => nanos / self.tick_nanos_u64,
            None => saturate(since.as_nanos() / self.tick_nanos),
        }
    }

    /// The first tick at or after `instant` (rounds up); instants before the
    /// origin are tick 0, i.e. due at once.
    #[inline]
    pub(crate) fn tick_ceil(&self, instant: Instant) -> u64 {
        let since = instant.saturating_duration_since(self.origin);
        match fast_nanos(since) {
            Some(nanos) => self.ticks_ceil(nanos),
            None => saturate(since.as_nanos().div_ceil(self.tick_nanos)),
        }
    }

    /// The tick of `now + delay`, rounded up, computed without forming the
    /// `Instant` (which would overflow for `Duration::MAX`): past the end of
    /// the `u64` range it saturates to `u64::MAX`, "later than anything".
    #[inline]
    pub(crate) fn tick_after(&self, now: Instant, delay: Duration) -> u64 {
        let since = now.saturating_duration_since(self.origin);
        if let (Some(since), Some(delay)) = (fast_nanos(since), fast_nanos(delay)) {
            // Each term is below 2^62, so the sum fits.
            return self.ticks_ceil(since + delay);
        }
        // Both terms are below 2^96, so the sum cannot overflow a u128.
        saturate((since.as_nanos() + delay.as_nanos()).div_ceil(self.tick_nanos))
    }

    /// `nanos` in ticks, rounded up; the default 1 ms tick divides by a
    /// constant (a multiply), any other by the stored length.
    #[inline]
    fn ticks_ceil(&self, nanos: u64) -> u64 {
        if self.tick_nanos_u64 == 1_000_000 {
            nanos.div_ceil(1_000_000)
        } else {
            nanos.div_ceil(self.tick_nanos_u64)
        }
    }

    /// The tick of `base + nanos` nanoseconds, rounded up, saturating to
    /// `u64::MAX` (for periodic deadlines `anchor + n * period`, whose
    /// offset may exceed any `Duration`). `base` may lie before the origin:
    /// the sum is what counts, and a sum before the origin is tick 0.
    pub(crate) fn tick_after_nanos(&self, base: Instant, nanos: u128) -> u64 {
        let after = base.saturating_duration_since(self.origin).as_nanos();
        let before = self.origin.saturating_duration_since(base).as_nanos();
        let since = after.saturating_add(nanos).saturating_sub(before);
        saturate(since.div_ceil(self.tick_nanos))
    }

    /// When `tick` begins, or `None` if that instant is not representable
    /// (so far away that waiting for it means waiting forever).
    pub(crate) fn instant_of(&self, tick: u64) -> Option<Instant> {
        let nanos = u128::from(tick).checked_mul(self.tick_nanos)?;
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

    #[test]
    fn deadlines_round_up_and_now_rounds_down() {
        let origin = Instant::now();
        let clock = Clock::new(origin, MS);
        let t = origin + Duration::from_micros(1500);
        assert_eq!(clock.tick_floor(t), 1);
        assert_eq!(clock.tick_ceil(t), 2);
        assert_eq!(clock.tick_ceil(origin + MS), 1);
        assert_eq!(clock.tick_floor(origin + MS), 1);
    }

    #[test]
    fn a_fired_tick_never_precedes_the_deadline() {
        let origin = Instant::now();
        let clock = Clock::new(origin, Duration::from_micros(700));
        for micros in [0u64, 1, 699, 700, 701, 1399, 1400, 123_457] {
            let deadline = origin + Duration::from_micros(micros);
            let tick = clock.tick_ceil(deadline);
            assert!(clock.instant_of(tick).unwrap() >= deadline);
            // The first instant whose floor reaches the tick is the tick's start.
            assert_eq!(clock.tick_floor(clock.instant_of(tick).unwrap()), tick);
        }
    }

    #[test]
    fn extremes_saturate_instead_of_overflowing() {
        let origin = Instant::now();
        let clock = Clock::new(origin, MS);
        assert_eq!(clock.tick_after(origin, Duration::MAX), u64::MAX);
        // u64::MAX ms is ~584 million years: still an Instant on Linux.
        assert!(clock.instant_of(u64::MAX).is_some());
        let hours = Clock::new(origin, Duration::from_secs(3600));
        assert_eq!(hours.instant_of(u64::MAX), None);
        let past = origin.checked_sub(Duration::from_secs(5)).unwrap_or(origin);
        assert_eq!(clock.tick_ceil(past), 0);
        let nano = Clock::new(origin, Duration::ZERO);
        assert_eq!(nano.tick(), Duration::from_nanos(1));
        let huge = Clock::new(origin, Duration::MAX);
        assert_eq!(huge.tick(), MAX_TICK);
        assert_eq!(huge.tick_after(origin, Duration::from_secs(1)), 1);
        assert_eq!(huge.tick_floor(origin + Duration::from_secs(1)), 0);
        assert_eq!(huge.instant_of(1), Some(origin + MAX_TICK));
    }

    #[test]
    fn fast_and_exact_paths_agree_at_the_boundary() {
        let origin = Instant::now();
        let clock = Clock::new(origin, Duration::from_micros(700));
        let edge = Duration::from_secs(FAST_PATH_SECS);
        for span in [
            edge - Duration::from_nanos(1),
            edge,
            edge + Duration::from_nanos(1),
        ] {
            let exact = span.as_nanos().div_ceil(700_000) as u64;
            assert_eq!(clock.tick_after(origin, span), exact);
            if let Some(instant) = origin.checked_add(span) {
                assert_eq!(clock.tick_ceil(instant), exact);
                assert_eq!(
                    clock.tick_floor(instant),
                    (span.as_nanos() / 700_000) as u64
                );
            }
        }
        // Far-future delays stay ordered instead of collapsing together.
        let a = clock.tick_after(origin, Duration::from_secs(600 * 365 * 86_400));
        let b = clock.tick_after(origin, Duration::from_secs(700 * 365 * 86_400));
        assert!(a < b && b < u64::MAX);
    }

    #[test]
    fn tick_after_nanos_counts_from_a_base_before_the_origin() {
        let origin = Instant::now() + Duration::from_secs(10);
        let clock = Clock::new(origin, MS);
        let base = origin - Duration::from_millis(1500);
        assert_eq!(clock.tick_after_nanos(base, 1_000_000_000), 0);
        assert_eq!(clock.tick_after_nanos(base, 1_500_000_000), 0);
        assert_eq!(clock.tick_after_nanos(base, 1_500_000_001), 1);
        assert_eq!(clock.tick_after_nanos(base, 1_510_000_000), 10);
        assert_eq!(clock.tick_after_nanos(origin, u128::MAX), u64::MAX);
    }

    #[test]
    fn tick_after_matches_tick_ceil_of_the_sum() {
        let origin = Instant::now();
        let clock = Clock::new(origin, Duration::from_micros(300));
        let now = origin + Duration::from_micros(1234);
        for d in [0u64, 1, 299, 300, 301, 10_000] {
            let d = Duration::from_micros(d);
            assert_eq!(clock.tick_after(now, d), clock.tick_ceil(now + d));
        }
    }
}
