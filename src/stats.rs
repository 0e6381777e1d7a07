//! What a group reports about itself: counters and a lateness histogram.

use std::time::Duration;

/// A snapshot of a group's activity, from [`Group::stats`](crate::Group::stats).
///
/// Counters cover the group's whole life. Each is exact, but they are read
/// one after another, so a snapshot taken while tasks run may be off by the
/// tasks that changed state meanwhile.
///
/// ```
/// use std::time::Duration;
/// let group = schedgroup::Group::new();
/// group.delay(Duration::ZERO, || {});
/// group.delay(Duration::from_secs(60), || {}).cancel();
/// group.wait().unwrap();
/// let stats = group.stats();
/// assert_eq!((stats.pending, stats.running, stats.fired, stats.canceled), (0, 0, 1, 1));
/// assert_eq!(stats.lateness.samples, 1);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Tasks scheduled and not yet due (what [`Group::len`](crate::Group::len) says).
    pub pending: usize,
    /// Tasks the group has memory for without allocating more: the pending
    /// ones and room for others (each takes 32 bytes plus its closure's
    /// box). It grows with the pending count; once a burst has drained,
    /// the group's driver gives the memory back, down to a few thousand.
    pub capacity: usize,
    /// Tasks due and handed to the workers, not finished (queued for a
    /// worker or running).
    pub running: usize,
    /// Tasks that became due and were handed to the workers.
    pub fired: u64,
    /// Tasks that never ran: canceled through their handle, dropped when
    /// the group was canceled, hit its deadline or was dropped, due but
    /// not started before that, or scheduled after it (and so dropped at
    /// once).
    pub canceled: u64,
    /// Panics of the group's closures: tasks that panicked while running,
    /// and closures whose captures panicked while being dropped unrun
    /// (those also count as canceled).
    pub panicked: u64,
    /// How late tasks started.
    pub lateness: Lateness,
}

/// How late tasks started: the time from a task's deadline to the moment a
/// worker took it (workers take up to 64 due tasks at once, so a task behind
/// slow ones in the same take starts later than measured).
///
/// Values come from a fixed-size log-linear histogram (3 significant bits):
/// each is an upper bound at most 12.5% above the true value.
///
/// ```
/// use std::time::Duration;
/// let group = schedgroup::Group::new();
/// for _ in 0..100 {
///     group.delay(Duration::from_millis(1), || {});
/// }
/// group.wait().unwrap();
/// let lateness = group.stats().lateness;
/// assert_eq!(lateness.samples, 100);
/// assert!(lateness.p50 <= lateness.p99 && lateness.p99 <= lateness.max);
/// println!("p99 lateness: {:?}", lateness.p99);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Lateness {
    /// Tasks measured.
    pub samples: u64,
    /// Half of the tasks started at most this late.
    pub p50: Duration,
    /// 99% of the tasks started at most this late.
    pub p99: Duration,
    /// 99.9% of the tasks started at most this late.
    pub p999: Duration,
    /// The latest start (bucket upper bound).
    pub max: Duration,
}

/// Buckets of a log-linear histogram over nanoseconds: values below 8 get
/// a bucket each, and every power-of-two range above is split into 8.
const SUB_BUCKETS: u32 = 8;
const SUB_BITS: u32 = 3;
const BUCKETS: usize = (SUB_BUCKETS + (64 - SUB_BITS) * SUB_BUCKETS) as usize;

/// Counts of values (nanoseconds) per log-linear bucket; 4 KB, no
/// allocation after creation, O(1) to record.
#[derive(Clone, Debug)]
pub(crate) struct Histogram {
    counts: Box<[u64; BUCKETS]>,
    samples: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: Box::new([0; BUCKETS]),
            samples: 0,
        }
    }
}

impl Histogram {
    /// Records `count` samples of `nanos`.
    pub(crate) fn record(&mut self, nanos: u64, count: u64) {
        self.counts[bucket_of(nanos)] += count;
        self.samples += count;
    }

    pub(crate) fn summary(&self) -> Lateness {
        let max = self
            .counts
            .iter()
            .rposition(|&count| count > 0)
            .map_or(0, upper_bound_of);
        Lateness {
            samples: self.samples,
            p50: Duration::from_nanos(self.quantile(0.5)),
            p99: Duration::from_nanos(self.quantile(0.99)),
            p999: Duration::from_nanos(self.quantile(0.999)),
            max: Duration::from_nanos(max),
        }
    }

    /// The upper bound of the bucket holding the `q`-quantile sample.
    fn quantile(&self, q: f64) -> u64 {
        if self.samples == 0 {
            return 0;
        }
        // The rank of the sample, 1-based: at least 1, at most all.
        let rank = ((self.samples as f64 * q).ceil() as u64).clamp(1, self.samples);
        let mut seen = 0;
        for (bucket, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return upper_bound_of(bucket);
            }
        }
        unreachable!("rank {rank} is at most the {} samples", self.samples)
    }
}

/// Values below 8 are their own bucket. Above, the bucket is the value's
/// highest set bit `e` (its power of two) and the 3 bits just below it
/// (which eighth of that power's range it is in).
fn bucket_of(nanos: u64) -> usize {
    if nanos < u64::from(SUB_BUCKETS) {
        return nanos as usize;
    }
    let exponent = 63 - nanos.leading_zeros();
    let mantissa = (nanos >> (exponent - SUB_BITS)) & u64::from(SUB_BUCKETS - 1);
    let bucket = SUB_BUCKETS + (exponent - SUB_BITS) * SUB_BUCKETS + mantissa as u32;
    debug_assert!((bucket as usize) < BUCKETS);
    bucket as usize
}

/// The largest value that falls in `bucket`.
fn upper_bound_of(bucket: usize) -> u64 {
    let bucket = bucket as u32;
    if bucket < SUB_BUCKETS {
        return u64::from(bucket);
    }
    let exponent = (bucket - SUB_BUCKETS) / SUB_BUCKETS + SUB_BITS;
    let mantissa = u64::from((bucket - SUB_BUCKETS) % SUB_BUCKETS);
    let width = 1u64 << (exponent - SUB_BITS);
    // (8 + mantissa + 1) * width - 1, without overflowing at the top.
    ((u64::from(SUB_BUCKETS) + mantissa) * width).saturating_add(width - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_lands_in_a_bucket_whose_bound_is_within_an_eighth() {
        for value in (0..5000u64).chain([u64::MAX, u64::MAX / 3, 1 << 40, (1 << 40) - 1]) {
            let bucket = bucket_of(value);
            let bound = upper_bound_of(bucket);
            assert!(bound >= value, "{value} -> {bucket} bound {bound}");
            assert!(
                bound - value <= value / 8,
                "{value}: bound {bound} too loose"
            );
            if bucket > 0 {
                assert!(upper_bound_of(bucket - 1) < value, "{value} belongs lower");
            }
        }
    }

    #[test]
    fn quantiles_pick_the_right_sample() {
        let mut histogram = Histogram::default();
        assert_eq!(histogram.summary(), Lateness::default());
        for micros in 1..=1000u64 {
            histogram.record(micros * 1000, 1);
        }
        let summary = histogram.summary();
        assert_eq!(summary.samples, 1000);
        let near = |d: Duration, micros: u64| {
            let nanos = d.as_nanos() as u64;
            nanos >= micros * 1000 && nanos <= micros * 1000 * 9 / 8
        };
        assert!(near(summary.p50, 500), "{:?}", summary.p50);
        assert!(near(summary.p99, 990), "{:?}", summary.p99);
        assert!(near(summary.p999, 999), "{:?}", summary.p999);
        assert!(near(summary.max, 1000), "{:?}", summary.max);
        histogram.record(7, 5000);
        assert_eq!(histogram.summary().p50, Duration::from_nanos(7));
    }
}
