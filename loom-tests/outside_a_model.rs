//! Under the `loom` feature, the crate's primitives work only inside a loom
//! model: outside one, building a group or a manual clock panics with the
//! crate's own message, which says what the feature is for, rather than
//! with loom's message about its internals.

use std::panic::{catch_unwind, UnwindSafe};

use schedgroup::{Group, ManualClock};

/// The panic message of `f`, which must panic.
fn panic_message<R>(f: impl FnOnce() -> R + UnwindSafe) -> String {
    let payload = match catch_unwind(f) {
        Ok(_) => panic!("built outside a loom model without panicking"),
        Err(payload) => payload,
    };
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload
            .downcast::<&str>()
            .map(|message| message.to_string())
            .expect("a string panic message"),
    }
}

fn assert_says_what_the_feature_is_for(message: &str) {
    for part in [
        "schedgroup was built with its `loom` feature",
        "only inside a loom model",
        "for model checking schedgroup itself",
        "must never be enabled in a dependency",
    ] {
        assert!(message.contains(part), "{part:?} missing from {message:?}");
    }
}

#[test]
fn a_group_outside_a_model_panics_with_our_message() {
    assert_says_what_the_feature_is_for(&panic_message(Group::new));
    assert_says_what_the_feature_is_for(&panic_message(|| {
        Group::builder().max_concurrency(1).build()
    }));
}

#[test]
fn a_manual_clock_outside_a_model_panics_with_our_message() {
    assert_says_what_the_feature_is_for(&panic_message(ManualClock::new));
}
