//! The unsafe module's tests: every storage kind runs once and drops its
//! captures once, and vtable offsets round-trip. CI runs them under
//! AddressSanitizer and Miri too.

use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Counts its own drops.
struct Tally(Arc<AtomicUsize>);

impl Drop for Tally {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counters() -> (Arc<AtomicUsize>, Arc<AtomicUsize>) {
    (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)))
}

#[test]
fn a_task_is_one_word_and_a_half() {
    assert_eq!(mem::size_of::<Task>(), WORD + 4);
    assert_eq!(mem::align_of::<Task>(), 4);
    // The biased offset is never zero: Option<Task> costs nothing.
    assert_eq!(mem::size_of::<Option<Task>>(), WORD + 4);
}

#[test]
fn vtable_offsets_round_trip_or_refuse() {
    fn round_trips(vtable: &'static VTable) -> bool {
        VTableOffset::of(vtable).is_some_and(|offset| ptr::eq(offset.get(), vtable))
    }
    assert!(round_trips(&ANCHOR));
    assert!(ptr::eq(VTableOffset::anchor().get(), &ANCHOR));
    assert!(round_trips(&Inline::<fn()>::VTABLE));
    fn boxed_vtable_of<F: FnOnce()>(_: &F) -> &'static VTable {
        &Boxed::<F>::VTABLE
    }
    let big = [1usize; 4];
    assert!(round_trips(boxed_vtable_of(&move || assert_eq!(big[3], 1))));
    // The arithmetic alone, on addresses around the anchor: in reach up
    // to 2^31 - 1 alignments either way (and decoded back exactly),
    // refused beyond (on 64-bit targets, where that is less than the
    // address space).
    let anchor = anchor_address();
    let align = mem::align_of::<VTable>();
    let reach = ((1usize << 31) - 1).saturating_mul(align);
    for (distance, reachable) in [
        (0, true),
        (align, true),
        (reach, true),
        (reach + align, false),
    ] {
        let around = [anchor.checked_add(distance), anchor.checked_sub(distance)];
        for address in around.into_iter().flatten() {
            let encoded = encode(address);
            assert_eq!(encoded.is_some(), reachable, "{distance} from the anchor");
            if let Some(offset) = encoded {
                assert_eq!(decode(offset), address);
            }
        }
    }
}

#[test]
fn far_closure_runs_once_and_drops_its_captures_once() {
    let (runs, drops) = counters();
    let tally = Tally(drops.clone());
    let runs_in = runs.clone();
    Task::far(move || {
        let _keep = &tally;
        runs_in.fetch_add(1, Ordering::SeqCst);
    })
    .run();
    assert_eq!(
        (runs.load(Ordering::SeqCst), drops.load(Ordering::SeqCst)),
        (1, 1)
    );
    let tally = Tally(drops.clone());
    drop(Task::far(move || drop(tally)));
    assert_eq!(drops.load(Ordering::SeqCst), 2);
}

#[test]
fn inline_closure_runs_once_and_drops_its_captures_once() {
    let (runs, drops) = counters();
    let tally = Tally(drops.clone());
    let runs_in = runs.clone();
    // A `Tally` is one word (an Arc): stored inline.
    assert!(fits_inline::<Tally>());
    let task = Task::new(move || {
        let _keep = &tally;
        runs_in.fetch_add(1, Ordering::SeqCst);
    });
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    task.run();
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn inline_closure_dropped_unrun_drops_captures_once() {
    let (_, drops) = counters();
    let tally = Tally(drops.clone());
    let task = Task::new(move || drop(tally));
    drop(task);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn boxed_closure_runs_once_and_drops_once() {
    let (runs, drops) = counters();
    let (a, b) = (Tally(drops.clone()), Tally(drops.clone()));
    let runs_in = runs.clone();
    let task = Task::new(move || {
        let _keep = (&a, &b);
        runs_in.fetch_add(1, Ordering::SeqCst);
    });
    task.run();
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(drops.load(Ordering::SeqCst), 2);
}

#[test]
fn boxed_closure_dropped_unrun_drops_captures_once() {
    let (_, drops) = counters();
    let big = [
        Tally(drops.clone()),
        Tally(drops.clone()),
        Tally(drops.clone()),
    ];
    drop(Task::new(move || drop(big)));
    assert_eq!(drops.load(Ordering::SeqCst), 3);
}

#[test]
fn zero_sized_and_over_aligned_closures_work() {
    let task = Task::new(|| {});
    task.run();
    #[repr(align(16))]
    struct Aligned(u8);
    assert!(!fits_inline::<Aligned>());
    let value = Aligned(7);
    let (runs, _) = counters();
    let runs_in = runs.clone();
    Task::new(move || {
        assert_eq!(value.0, 7);
        runs_in.fetch_add(1, Ordering::SeqCst);
    })
    .run();
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[test]
fn a_panicking_closure_still_drops_its_captures() {
    let (_, drops) = counters();
    let tally = Tally(drops.clone());
    let task = Task::new(move || {
        let _keep = &tally;
        panic!("boom");
    });
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| task.run()));
    assert!(result.is_err());
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn inline_value_survives_moves_of_the_task() {
    let mut tasks = Vec::new();
    let (runs, _) = counters();
    for i in 0..1000usize {
        let runs = runs.clone();
        tasks.push(Task::new(move || {
            runs.fetch_add(i, Ordering::SeqCst);
        }));
    }
    // Growing the Vec moved every task at least once.
    for task in tasks {
        task.run();
    }
    assert_eq!(runs.load(Ordering::SeqCst), (0..1000).sum::<usize>());
}
