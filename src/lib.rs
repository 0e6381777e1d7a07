//! Run closures at or after a point in time, for programs that keep
//! **millions of timers pending**: protocol daemons (delayed and
//! rate-limited answers), connection idle timeouts, retransmissions, TTL
//! caches, lease expiry.
//!
//! A [`Group`] is the Rust counterpart of Go's `schedgroup` package (`Delay`,
//! `Schedule`, `Wait` and context cancellation), built on a hierarchical
//! hashed timing wheel:
//!
//! * [`Group::delay`], [`Group::schedule`], [`TaskHandle::cancel`] and
//!   [`TaskHandle::reset`] are O(1), whatever the number of pending timers;
//!   a pending timer whose closure captures one word (an `Arc`, say) costs
//!   32 bytes, stored inline, with no allocation of its own;
//! * one driver thread per group sleeps until the next occupied wheel slot:
//!   with nothing due it costs nothing, and it never polls;
//! * due closures run on worker threads created on demand (none exist
//!   before the first task fires; idle ones exit), up to a concurrency cap.
//!
//! Its futures ([`Group::sleep`], [`Group::timeout`], [`Group::wait_async`])
//! need no runtime: the group's own threads complete them, so they work
//! under tokio, `futures::executor::block_on` or any other executor.
//!
//! # Usage
//!
//! ```toml
//! [dependencies]
//! schedgroup = "0.1"
//! ```
//!
//! # Quickstart
//!
//! ```
//! use std::time::{Duration, Instant};
//! use schedgroup::{Error, Group};
//!
//! let group = Group::new(); // Send + Sync; every method takes &self
//! let retransmit = group.delay(Duration::from_millis(200), || println!("retransmit"));
//! group.schedule(Instant::now() + Duration::from_millis(50), || println!("probe"));
//!
//! assert!(retransmit.cancel()); // O(1); true: it will never run
//! assert_eq!(group.wait(), Ok(())); // blocks until nothing is pending or running
//!
//! // Bounded concurrency and a deadline, like a Go context's.
//! let bounded = Group::builder()
//!     .max_concurrency(8)
//!     .deadline(Instant::now() + Duration::from_secs(5))
//!     .build();
//! bounded.delay(Duration::from_secs(60), || unreachable!());
//! bounded.cancel(); // pending closures are dropped, never run
//! assert_eq!(bounded.wait(), Err(Error::Canceled));
//! ```
//!
//! From async code, on any executor:
//!
//! ```
//! use std::time::Duration;
//! use schedgroup::{Error, Group};
//!
//! let group = Group::new();
//! futures::executor::block_on(async {
//!     group.sleep(Duration::from_millis(10)).await?;
//!
//!     let slow = std::future::pending::<()>();
//!     assert_eq!(group.timeout(Duration::from_millis(10), slow).await, Err(Error::TimedOut));
//!
//!     group.delay(Duration::from_millis(5), || println!("background work"));
//!     group.wait_async().await // wait() without blocking a thread
//! })?;
//! # Ok::<(), Error>(())
//! ```
//!
//! Tests need not sleep: a group built on a [`ManualClock`] runs its tasks
//! when the test advances the clock, in deadline order, and
//! [`ManualClock::advance`] returns once they have run.
//!
//! ```
//! use std::time::Duration;
//! use schedgroup::{Group, ManualClock};
//!
//! let clock = ManualClock::new();
//! let group = Group::builder().clock(clock.clone()).build();
//! let idle = group.delay(Duration::from_secs(30), || println!("idle timeout"));
//! clock.advance(Duration::from_secs(20));
//! idle.reset_after(Duration::from_secs(30)); // activity: 30 s from the group's now
//! clock.advance(Duration::from_secs(29));
//! assert!(idle.is_pending());
//! clock.advance(Duration::from_secs(1));
//! assert!(!idle.is_pending());
//! ```
//!
//! More in the repository's examples: `hello`, `router_adverts` (answer
//! each request after a random delay, rate-limited, with a clean
//! shutdown), `idle_timeouts` (100,000 connections, with a `ManualClock`
//! test) and `async_tokio`.
//!
//! # Guarantees
//!
//! * **Never early.** A task never starts before its deadline. Deadlines
//!   round *up* to the group's tick ([`Builder::tick`], 1 ms by default), so
//!   a task starts at most one tick plus the OS's wake-up latency late.
//! * **Exactly once.** A task runs once, or it is canceled (its
//!   [`TaskHandle::cancel`] returned `true`, or its group was canceled,
//!   reached its deadline or was dropped): never both, never neither. A
//!   canceled closure is dropped before the call that canceled it returns.
//! * **No lost wake-up.** A task scheduled earlier than the driver's next
//!   wake-up always wakes it; [`Group::wait`] and [`Group::wait_async`] never
//!   sleep through the group becoming idle, and a [`Sleep`] always
//!   completes: `Ok(())` at its deadline, or an [`Error`] if its group
//!   stopped first.
//! * **No polling.** With nothing due, the driver is parked: no wake-ups
//!   while idle, and with timers pending far away, wake-ups only at occupied
//!   wheel slots.
//! * **Stale handles are harmless.** A [`TaskHandle`] (or a [`Wheel`]'s
//!   [`Key`]) whose task already ran or was canceled never affects another
//!   task, even one that reuses its internal slot: every call on it answers
//!   `false` or `None`. Keys carry a generation; [`Key`] states the exact
//!   bound.
//! * **Any deadline is accepted.** `Duration::MAX`, instants centuries
//!   away or before the program started: no panic, no overflow. A past
//!   deadline means "now", a far one "after everything nearer", in order.
//! * **A panicking task harms nobody.** The other tasks still run, the
//!   driver and the workers survive, and [`Group::wait`] reports
//!   [`Error::Panicked`].
//! * **A panicking drop is contained.** When a closure that will not run is
//!   dropped (canceled through its handle or with its group, refused after
//!   a stop, or dropped with the group) and one of its captures panics in
//!   `Drop`, the panic is caught: the call that dropped it does not panic,
//!   the other closures are dropped as usual, and that closure counts both
//!   as canceled ([`Stats::canceled`]) and as a panic ([`Stats::panicked`]),
//!   so [`Group::wait`] reports [`Error::Panicked`] (or the group's stop
//!   reason, if it was stopped).
//! * **Drop is clean.** Dropping the last [`Group`] drops every pending
//!   closure, stops and joins the driver thread, and lets idle workers exit;
//!   only tasks already running finish on their threads.
//!
//! # `Group` or `Wheel`?
//!
//! * [`Group`] runs closures for you: it owns the clock, a driver thread
//!   and the workers, and it is shared between threads (`Send + Sync`,
//!   methods take `&self`). Pick it when "run this later" is what you need.
//! * [`Wheel`] is the timing wheel alone, for your own event loop: it holds
//!   values of any type against abstract `u64` ticks, has no clock, no
//!   thread and no lock, and [`Wheel::advance`] hands back what came due,
//!   in deadline order. Pick it when a single thread already drives time
//!   (what tokio-util's `DelayQueue` is, without a runtime).
//!
//! # Feature flags
//!
//! * `loom`: swaps the crate's locks, atomics and threads for
//!   [loom](https://docs.rs/loom)'s, to model-check this crate's own
//!   concurrency. It is for this crate's tests only: **never enable it in a
//!   dependency**, where every `Group` would stop working outside a loom
//!   model.
//!
//! No feature is enabled by default, and none is needed.
#![deny(unsafe_code)]
#![warn(missing_docs)]

mod clock;
mod driver;
mod error;
mod group;
mod pool;
mod shard;
mod stats;
mod sync;
#[allow(unsafe_code)] // the one unsafe module: see its docs
mod task;
mod unwind;
mod wheel;

pub use error::Error;
pub use group::{Builder, Group, ManualClock, Sleep, TaskHandle, Wait};
pub use stats::{Lateness, Stats};
pub use wheel::{Key, Wheel};
