//! schedgroup from async code, here on tokio (any executor works: the
//! group's own driver thread completes these futures):
//!
//! * `sleep` — a timer future, canceled by dropping it;
//! * `timeout` — bound a future's time on the group's clock;
//! * `wait_async` — wait for the group's closures without blocking a thread;
//! * a canceled group completes its pending sleeps with `Err`, so a task
//!   awaiting one never hangs.
//!
//! ```text
//! cargo run --example async_tokio
//! ```

use std::time::{Duration, Instant};

use schedgroup::{Error, Group};

#[tokio::main]
async fn main() {
    let group = Group::new();
    let start = Instant::now();

    // A sleep: Ok(()) once its deadline has passed.
    group
        .sleep(Duration::from_millis(100))
        .await
        .expect("the group is running");
    println!("slept {:?}", start.elapsed());

    // A timeout around any future: its output, or Error::TimedOut (the
    // future is then dropped).
    let fast = group.timeout(Duration::from_millis(200), async { 42 });
    assert_eq!(fast.await, Ok(42));
    let slow = tokio::time::sleep(Duration::from_secs(10));
    assert_eq!(
        group.timeout(Duration::from_millis(200), slow).await,
        Err(Error::TimedOut)
    );
    println!("the slow future timed out at {:?}", start.elapsed());

    // Closures on the group's workers, awaited without blocking a thread.
    for ms in [30, 10, 20] {
        group.delay(Duration::from_millis(ms), move || {
            println!("closure due at +{ms} ms ran")
        });
    }
    group.wait_async().await.expect("no closure panicked");

    // A sleep whose group is canceled completes with the reason, so a
    // `select!` or a spawned task on it cannot hang.
    let stopper = group.clone();
    let sleeper = tokio::spawn(group.sleep(Duration::from_secs(3600)));
    tokio::time::sleep(Duration::from_millis(10)).await;
    stopper.cancel();
    let outcome = sleeper.await.expect("the task did not panic");
    assert_eq!(outcome, Err(Error::Canceled));
    println!("an hour-long sleep ended at cancel: {outcome:?}");
    assert_eq!(group.wait_async().await, Err(Error::Canceled));
}
