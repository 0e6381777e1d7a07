//! Running a benchmark on a fixture that is built only if the benchmark
//! runs, shared by both bench files.

use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId};

/// Benchmarks `run` on a lazily built fixture (so a filter that skips the
/// benchmark never builds it), dropped afterwards.
pub fn bench_lazily<F>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    id: BenchmarkId,
    build: impl Fn() -> F,
    mut run: impl FnMut(&mut F, u64) -> Duration,
) {
    let mut fixture = None;
    group.bench_function(id, |b| {
        let fixture = fixture.get_or_insert_with(&build);
        b.iter_custom(|iters| run(fixture, iters));
    });
}
