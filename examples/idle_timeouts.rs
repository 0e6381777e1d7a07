//! Idle timeouts for many connections: each connection closes itself when
//! nothing happened on it for `timeout`. Activity pushes its deadline back
//! with [`TaskHandle::reset_after`], a connection the peer closes cancels
//! its timer with [`TaskHandle::cancel`]; both are O(1), so a server can
//! keep one timer per connection however many it holds.
//!
//! ```text
//! cargo run --release --example idle_timeouts
//! cargo test --example idle_timeouts      # the same logic on a ManualClock
//! ```
//!
//! `main` opens 100,000 connections with a 1 s timeout, then for 2 s keeps
//! a tenth of them busy and lets the client close a few; the rest time out.
//! The tests at the bottom drive the same [`IdleTimeouts`] on a
//! [`ManualClock`](schedgroup::ManualClock), exactly, without sleeping.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use schedgroup::{Group, TaskHandle};

/// A connection's identity (a socket, a session id...).
type ConnId = u64;

/// The connections still open, each with its idle timer, and those that
/// timed out.
pub struct IdleTimeouts {
    group: Group,
    timeout: Duration,
    inner: Arc<Mutex<Inner>>,
}

#[derive(Default)]
struct Inner {
    open: HashMap<ConnId, TaskHandle>,
    timed_out: Vec<ConnId>,
}

impl IdleTimeouts {
    /// Connections on `group` that close after `timeout` without activity.
    pub fn new(group: Group, timeout: Duration) -> IdleTimeouts {
        IdleTimeouts {
            group,
            timeout,
            inner: Arc::default(),
        }
    }

    /// A new connection: its timer starts now.
    pub fn open(&self, id: ConnId) {
        let inner = Arc::clone(&self.inner);
        // The task runs when the connection was idle for `timeout`.
        let timer = self.group.delay(self.timeout, move || {
            let mut inner = inner.lock().unwrap();
            if inner.open.remove(&id).is_some() {
                inner.timed_out.push(id);
                // A real server would close the socket here.
            }
        });
        self.inner.lock().unwrap().open.insert(id, timer);
    }

    /// Traffic on `id`: it stays open for another `timeout` from now (by
    /// the group's clock). `false` if it is no longer open.
    pub fn activity(&self, id: ConnId) -> bool {
        let inner = self.inner.lock().unwrap();
        inner
            .open
            .get(&id)
            .is_some_and(|timer| timer.reset_after(self.timeout))
    }

    /// The peer closed `id`: its timer is canceled (the closure is dropped
    /// before this returns). `false` if it was not open.
    pub fn close(&self, id: ConnId) -> bool {
        // Taking it out of `open` under the lock decides the race with its
        // timer: a timer that has just started finds it gone and does
        // nothing, so a connection is closed or timed out, never both.
        let Some(timer) = self.inner.lock().unwrap().open.remove(&id) else {
            return false;
        };
        timer.cancel();
        true
    }

    /// How many connections are open.
    pub fn open_count(&self) -> usize {
        self.inner.lock().unwrap().open.len()
    }

    /// The connections that timed out, in the order they did.
    pub fn timed_out(&self) -> Vec<ConnId> {
        self.inner.lock().unwrap().timed_out.clone()
    }
}

fn main() {
    const CONNECTIONS: u64 = 100_000;
    const TIMEOUT: Duration = Duration::from_secs(1);
    const BUSY_FOR: Duration = Duration::from_secs(2);

    let group = Group::new();
    let conns = IdleTimeouts::new(group.clone(), TIMEOUT);
    let start = Instant::now();
    for id in 0..CONNECTIONS {
        conns.open(id);
    }
    println!(
        "opened {CONNECTIONS} connections in {:?}; timers pending: {}",
        start.elapsed(),
        group.len()
    );

    // Every 100 ms, a tenth of the connections (always the same ones) see
    // traffic, and the client closes 100 of the idle ones.
    let (mut resets, mut closed) = (0u64, 0u64);
    let mut round = 0;
    while start.elapsed() < BUSY_FOR {
        for id in (0..CONNECTIONS).step_by(10) {
            resets += u64::from(conns.activity(id));
        }
        for id in (1..CONNECTIONS).step_by(10).skip(round * 100).take(100) {
            closed += u64::from(conns.close(id));
        }
        round += 1;
        thread::sleep(Duration::from_millis(100));
    }
    println!(
        "after {:?}: {resets} resets, {closed} closed by the client, {} timed out, {} open",
        start.elapsed(),
        conns.timed_out().len(),
        conns.open_count()
    );

    // The busy ones go quiet too: they time out one `TIMEOUT` later.
    group.wait().expect("no timer panicked");
    let timed_out = conns.timed_out().len() as u64;
    println!(
        "after {:?}: {timed_out} timed out, {closed} closed, {} open",
        start.elapsed(),
        conns.open_count()
    );
    assert_eq!(timed_out + closed, CONNECTIONS);
}

// Under `--features loom` a group or queue works only inside a loom model.
#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::*;
    use schedgroup::ManualClock;

    const TIMEOUT: Duration = Duration::from_secs(30);

    fn on_manual_clock() -> (ManualClock, IdleTimeouts) {
        let clock = ManualClock::new();
        let group = Group::builder().clock(clock.clone()).build();
        (clock, IdleTimeouts::new(group, TIMEOUT))
    }

    #[test]
    fn idle_connections_time_out_busy_ones_stay_closed_ones_never_fire() {
        let (clock, conns) = on_manual_clock();
        for id in [1, 2, 3] {
            conns.open(id);
        }
        clock.advance(Duration::from_secs(20));
        assert!(conns.activity(2), "still open at 20 s");
        assert!(conns.close(3));
        assert!(!conns.close(3), "closed once only");

        clock.advance(Duration::from_secs(10)); // 30 s: 1 was idle for 30 s
        assert_eq!(conns.timed_out(), [1]);
        assert_eq!(conns.open_count(), 1);

        clock.advance(Duration::from_secs(19)); // 49 s: 2 was busy at 20 s
        assert_eq!(conns.timed_out(), [1]);
        clock.advance(Duration::from_secs(1)); // 50 s
        assert_eq!(conns.timed_out(), [1, 2]);
        assert_eq!(conns.open_count(), 0);
        assert!(!conns.activity(2), "a timed-out connection stays closed");
    }

    #[test]
    fn activity_is_measured_on_the_groups_clock_not_real_time() {
        let (clock, conns) = on_manual_clock();
        conns.open(7);
        // Real time passes, the group's clock does not: nothing changes.
        thread::sleep(Duration::from_millis(50));
        clock.advance(TIMEOUT - Duration::from_secs(1));
        assert!(conns.activity(7));
        clock.advance(TIMEOUT - Duration::from_secs(1));
        assert!(conns.timed_out().is_empty());
        clock.advance(Duration::from_secs(1));
        assert_eq!(conns.timed_out(), [7]);
    }
}
