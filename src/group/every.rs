//! Periodic tasks: `Group::every`.
//!
//! A series is one closure and the key of its next occurrence. Each
//! occurrence is an ordinary one-shot task that runs the closure and then
//! files the next occurrence, so a series never runs two of its own
//! invocations at once, and the wheel needs to know nothing about periods.

use std::time::{Duration, Instant};

use super::shared::Shared;
use crate::shard::Shard;
use crate::sync::{Arc, Mutex};
use crate::task::Task;
use crate::wheel::Key;

/// The type-erased face of a series, for `TaskHandle`. (A boxed trait
/// object rather than `Arc<dyn ..>`: loom's `Arc` cannot be unsized.)
pub(crate) trait Periodic: Send + Sync {
    fn cancel(&self) -> bool;
    fn reset(&self, first: Instant) -> bool;
    fn is_live(&self) -> bool;
    /// The filed occurrence's deadline tick and the clock, if one is filed.
    fn deadline(&self) -> Option<Instant>;
    fn clock(&self) -> &crate::clock::Clock;
    fn clone_box(&self) -> Box<dyn Periodic>;
}

/// A handle's reference to a series.
pub(crate) struct SeriesHandle<F>(Arc<Series<F>>);

pub(crate) struct Series<F> {
    shared: Arc<Shared>,
    period_nanos: u128,
    /// The closure; taken (dropped) once the series is over, so that its
    /// captures go even while handles to the series live on.
    f: Mutex<Option<F>>,
    state: Mutex<SeriesState>,
}

struct SeriesState {
    /// Occurrence `n` is due at `anchor + n * period`.
    anchor: Instant,
    /// The number of the pending (or next) occurrence.
    next: u64,
    /// Where the pending occurrence is filed, if one is.
    pending: Option<(Arc<Shard<Task>>, Key)>,
    /// `cancel()` was called.
    canceled: bool,
    /// `reset()` moved the anchor while an occurrence was running: the run
    /// files occurrence 0 of the new anchor instead of its own successor.
    reanchored: bool,
    /// An occurrence was dropped unrun by the group (canceled or dropped):
    /// the series is over.
    orphaned: bool,
    /// A run is calling the closure right now; whoever ends the series
    /// then leaves dropping the closure to that run.
    running: bool,
}

impl SeriesState {
    fn is_over(&self) -> bool {
        self.canceled || self.orphaned
    }
}

/// What each occurrence captures: one word, so it is stored inline. If the
/// group drops it unrun, the series is over.
struct Occurrence<F: FnMut() + Send + 'static>(Option<Arc<Series<F>>>);

impl<F: FnMut() + Send + 'static> Drop for Occurrence<F> {
    fn drop(&mut self) {
        if let Some(series) = self.0.take() {
            let mut state = series.state.lock();
            state.orphaned = true;
            let running = state.running;
            drop(state);
            if !running {
                series.drop_closure();
            }
        }
    }
}

impl<F: FnMut() + Send + 'static> Series<F> {
    /// Starts a series whose first run is one `period` after now. `period`
    /// is at least one tick.
    pub(crate) fn start(shared: &Arc<Shared>, period: Duration, f: F) -> SeriesHandle<F> {
        let clock = shared.clock();
        let series = Arc::new(Series {
            shared: Arc::clone(shared),
            period_nanos: period.max(clock.tick()).as_nanos().max(1),
            f: Mutex::new(Some(f)),
            state: Mutex::new(SeriesState {
                anchor: clock.now(),
                next: 1,
                pending: None,
                canceled: false,
                reanchored: false,
                orphaned: false,
                running: false,
            }),
        });
        let refused = Series::file_next(&series, &mut series.state.lock());
        drop(refused);
        SeriesHandle(series)
    }

    /// Files occurrence `state.next`, unless the series is over. Returns the
    /// task if the group refused it (it is stopped): the caller drops it
    /// once the series lock is released, since dropping it takes that lock.
    #[must_use]
    fn file_next(this: &Arc<Self>, state: &mut SeriesState) -> Option<Task> {
        if state.is_over() {
            return None;
        }
        let clock = this.shared.clock();
        let offset = this.period_nanos.saturating_mul(u128::from(state.next));
        let tick = clock.deadline_after_nanos(state.anchor, offset);
        let occurrence = Occurrence(Some(Arc::clone(this)));
        let shard = this.shared.shard();
        match shard.insert(tick, Task::new(move || occurrence.run())) {
            Ok(key) => {
                state.pending = Some((Arc::clone(shard), key));
                None
            }
            Err(refused) => {
                state.pending = None;
                Some(refused)
            }
        }
    }
}

impl<F> Series<F> {
    /// Drops the closure (outside every lock: its captures' Drop may call
    /// back into the group). A panic in that drop is recorded with the
    /// group's other panics, not raised.
    fn drop_closure(&self) {
        let f = self.f.lock().take();
        self.shared.drop_closures(f);
    }
}

impl<F: FnMut() + Send + 'static> Occurrence<F> {
    fn run(mut self) {
        let series = self.0.take().expect("an occurrence runs once");
        {
            let mut state = series.state.lock();
            state.pending = None;
            if state.is_over() {
                return;
            }
            state.running = true;
        }
        // A panic is caught so that the series goes on; it is raised again
        // below, for the pool to count and `wait()` to report.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if let Some(f) = series.f.lock().as_mut() {
                f();
            }
        }));
        let refused = {
            let mut state = series.state.lock();
            state.running = false;
            let now = series.shared.clock().now();
            let candidate = if state.reanchored {
                0
            } else {
                state.next.saturating_add(1)
            };
            state.reanchored = false;
            // Skip the occurrences already past: fixed rate, and no burst of
            // catch-up runs. `behind` is the first n with
            // anchor + n * period >= now.
            let behind = now
                .saturating_duration_since(state.anchor)
                .as_nanos()
                .div_ceil(series.period_nanos);
            state.next = candidate.max(u64::try_from(behind).unwrap_or(u64::MAX));
            Series::file_next(&series, &mut state)
        };
        drop(refused);
        // Ended while we ran (canceled, or the group stopped and refused
        // the next occurrence): the closure is ours to drop.
        if series.state.lock().is_over() {
            series.drop_closure();
        }
        if let Err(panic) = result {
            std::panic::resume_unwind(panic);
        }
    }
}

impl<F: FnMut() + Send + 'static> Periodic for SeriesHandle<F> {
    fn cancel(&self) -> bool {
        let (pending, running) = {
            let mut state = self.0.state.lock();
            if state.is_over() {
                return false;
            }
            state.canceled = true;
            (state.pending.take(), state.running)
        };
        // Removed, and its occurrence dropped, outside the series lock.
        if let Some((shard, key)) = pending {
            shard.cancel(key);
        }
        // A run in progress drops the closure when it ends; otherwise no
        // run can start any more (it would see `canceled`).
        if !running {
            self.0.drop_closure();
        }
        true
    }

    fn reset(&self, first: Instant) -> bool {
        let mut state = self.0.state.lock();
        if state.is_over() {
            return false;
        }
        state.anchor = first;
        state.next = 0;
        let tick = self.0.shared.clock().deadline_at(first);
        let moved = match &state.pending {
            Some((shard, key)) => shard.reset(*key, tick),
            None => false,
        };
        if !moved {
            // The occurrence is running, or has fired and waits for a
            // worker: when that run ends it files occurrence 0 of the new
            // anchor.
            state.reanchored = true;
        }
        true
    }

    fn is_live(&self) -> bool {
        !self.0.state.lock().is_over()
    }

    fn deadline(&self) -> Option<Instant> {
        let state = self.0.state.lock();
        let (shard, key) = state.pending.as_ref()?;
        let tick = shard.deadline(*key)?;
        self.0.shared.clock().instant_of(tick)
    }

    fn clock(&self) -> &crate::clock::Clock {
        self.0.shared.clock()
    }

    fn clone_box(&self) -> Box<dyn Periodic> {
        Box::new(SeriesHandle(Arc::clone(&self.0)))
    }
}
