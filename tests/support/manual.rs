//! Recorders for tests on a `ManualClock`: what tasks (or the runs of a
//! series) did, as exact offsets of the manual clock from its start.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use schedgroup::{Builder, Group, ManualClock};

/// What one-shot tasks did: named starts and ends, in the order they
/// happened.
#[derive(Clone)]
pub struct Log {
    clock: ManualClock,
    start: Instant,
    events: Arc<Mutex<Vec<Event>>>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    Start(String, Duration),
    End(String, Duration),
}

impl Log {
    pub fn new(clock: &ManualClock) -> Log {
        Log {
            clock: clock.clone(),
            start: clock.now(),
            events: Arc::default(),
        }
    }

    pub fn now(&self) -> Duration {
        self.clock.now() - self.start
    }

    pub fn start(&self, name: &str) {
        let at = self.now();
        self.events
            .lock()
            .unwrap()
            .push(Event::Start(name.into(), at));
    }

    pub fn end(&self, name: &str) {
        let at = self.now();
        self.events
            .lock()
            .unwrap()
            .push(Event::End(name.into(), at));
    }

    /// A task that records its start and its end.
    pub fn task(&self, name: &str) -> impl FnOnce() + Send + 'static {
        let (log, name) = (self.clone(), name.to_string());
        move || {
            log.start(&name);
            log.end(&name);
        }
    }

    /// The starts so far, in order: (name, manual offset).
    pub fn starts(&self) -> Vec<(String, Duration)> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter_map(|event| match event {
                Event::Start(name, at) => Some((name.clone(), *at)),
                Event::End(..) => None,
            })
            .collect()
    }

    pub fn events(&self) -> Vec<Event> {
        self.events.lock().unwrap().clone()
    }
}

/// `[("a", 10)]` -> `[("a", 10 ms)]`.
pub fn at_ms(expected: &[(&str, u64)]) -> Vec<(String, Duration)> {
    expected
        .iter()
        .map(|&(name, ms)| (name.to_string(), Duration::from_millis(ms)))
        .collect()
}

/// A group on its own manual clock.
pub fn manual_group(clock: &ManualClock) -> Group {
    Group::builder().clock(clock.clone()).build()
}

/// A manual clock, a group on it, and the runs of a series (`every`) as
/// offsets of the manual clock from its start.
pub struct Manual {
    pub clock: ManualClock,
    pub group: Group,
    pub start: Instant,
    runs: Arc<Mutex<Vec<Duration>>>,
}

impl Manual {
    /// With the group's tick set to `tick`.
    pub fn new(tick: Duration) -> Manual {
        Manual::with(Group::builder().tick(tick))
    }

    /// With the group built from `builder` (and the manual clock).
    pub fn with(builder: Builder) -> Manual {
        let clock = ManualClock::new();
        let group = builder.clock(clock.clone()).build();
        Manual {
            start: clock.now(),
            clock,
            group,
            runs: Arc::default(),
        }
    }

    /// A closure for `every` that records when it runs.
    pub fn recorder(&self) -> impl FnMut() + Send + 'static {
        let (clock, start, runs) = (self.clock.clone(), self.start, self.runs.clone());
        move || runs.lock().unwrap().push(clock.now() - start)
    }

    /// Advances the clock (under the watchdog).
    pub fn advance(&self, by: Duration) {
        super::advance(&self.clock, by);
    }

    pub fn now(&self) -> Duration {
        self.clock.now() - self.start
    }

    pub fn runs(&self) -> Vec<Duration> {
        self.runs.lock().unwrap().clone()
    }
}

/// Milliseconds as durations: `ms(&[10, 20])` -> `[10 ms, 20 ms]`.
pub fn ms(values: &[u64]) -> Vec<Duration> {
    values.iter().map(|&v| Duration::from_millis(v)).collect()
}
