//! The smallest program: run closures later, cancel one, wait for the rest.
//!
//! ```text
//! cargo run --example hello
//! ```

use std::time::Duration;

use schedgroup::Group;

fn main() {
    // One group: a driver thread that sleeps until the next deadline, and
    // worker threads created only once something is due.
    let group = Group::new();

    group.delay(Duration::from_millis(200), || {
        println!("world (after 200 ms)")
    });
    group.delay(Duration::from_millis(100), || {
        println!("hello (after 100 ms)")
    });

    // A handle cancels (or moves) its task while it is still pending.
    let never = group.delay(Duration::from_millis(150), || println!("never printed"));
    assert!(never.cancel());

    // Blocks until nothing is pending and nothing is running.
    group.wait().expect("no task panicked");
}
