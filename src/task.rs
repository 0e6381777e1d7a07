//! What the wheel holds and the pool runs: one user closure, type-erased.

/// A scheduled closure. Dropping it drops the closure's captures.
pub(crate) struct Task(Box<dyn FnOnce() + Send + 'static>);

impl Task {
    pub(crate) fn new(f: impl FnOnce() + Send + 'static) -> Task {
        Task(Box::new(f))
    }

    pub(crate) fn run(self) {
        (self.0)()
    }
}

impl std::fmt::Debug for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Task")
    }
}
