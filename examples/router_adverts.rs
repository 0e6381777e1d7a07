//! A router answering router solicitations (IPv6 neighbor discovery,
//! RFC 4861 §6.2.6), the use case of the Go `schedgroup` package's talk:
//!
//! * each solicitation is answered after a random delay of 0–500 ms, so
//!   that routers on one link do not all answer at once;
//! * multicast advertisements go out at most once every 3 s; solicitations
//!   that arrive meanwhile are answered by the next one (coalesced);
//! * on shutdown, the pending advertisement is canceled and the program
//!   waits until no task runs any more.
//!
//! No real sockets: a thread plays the link, sending solicitations at
//! random moments for a few seconds, and "sending" an advertisement prints
//! a line.
//!
//! ```text
//! cargo run --example router_adverts
//! ```

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use schedgroup::{Error, Group, TaskHandle};

/// MAX_RA_DELAY_TIME: an answer waits a random time up to this.
const MAX_DELAY: Duration = Duration::from_millis(500);
/// MIN_DELAY_BETWEEN_RAS: multicast advertisements at most this often.
const MIN_INTERVAL: Duration = Duration::from_secs(3);
/// How long the simulated link sends solicitations.
const RUN_FOR: Duration = Duration::from_secs(8);

/// What the advertisement task and the solicitation loop share.
struct State {
    start: Instant,
    /// When the last advertisement went out.
    last_sent: Option<Instant>,
    /// The advertisement scheduled next, and when it is due.
    next: Option<(TaskHandle, Instant)>,
    /// Solicitations the next advertisement answers.
    waiting: Vec<String>,
    sent: u32,
}

struct Router {
    group: Group,
    state: Arc<Mutex<State>>,
    rng: Rng,
}

impl Router {
    fn new() -> Router {
        Router {
            group: Group::new(),
            state: Arc::new(Mutex::new(State {
                start: Instant::now(),
                last_sent: None,
                next: None,
                waiting: Vec::new(),
                sent: 0,
            })),
            rng: Rng::from_time(),
        }
    }

    /// Schedules (or brings forward) the advertisement that answers `from`.
    fn on_solicitation(&mut self, from: String) {
        let now = Instant::now();
        let mut due = now + self.rng.up_to(MAX_DELAY);
        let mut state = self.state.lock().unwrap();
        if let Some(last) = state.last_sent {
            // Rate limit: never sooner than MIN_INTERVAL after the last one.
            due = due.max(last + MIN_INTERVAL);
        }
        state.waiting.push(from.clone());
        match &mut state.next {
            // One is due no later: it answers this solicitation too.
            Some((_, at)) if *at <= due => {}
            // One is due later: move it earlier (O(1), the task stays put).
            Some((handle, at)) => {
                if handle.reset(due) {
                    *at = due;
                }
            }
            None => {
                let shared = Arc::clone(&self.state);
                let handle = self.group.schedule(due, move || advertise(&shared));
                state.next = Some((handle, due));
            }
        }
        if let Some((_, at)) = &state.next {
            println!(
                "{:>7.3} s  solicitation from {from}: answer at {:.3} s",
                secs(state.start, now),
                secs(state.start, *at)
            );
        }
    }

    /// Stops the router: the pending advertisement is dropped unrun, and
    /// this returns once no advertisement is being sent.
    fn shut_down(self) {
        self.group.cancel();
        let outcome = self.group.wait();
        assert_eq!(outcome, Err(Error::Canceled));
        let state = self.state.lock().unwrap();
        println!(
            "shut down: {} advertisement(s) sent, {} solicitation(s) left unanswered; wait() = {outcome:?}",
            state.sent,
            state.waiting.len(),
        );
    }
}

/// The scheduled task: "sends" one multicast advertisement.
fn advertise(state: &Mutex<State>) {
    let mut state = state.lock().unwrap();
    let now = Instant::now();
    state.last_sent = Some(now);
    state.next = None;
    state.sent += 1;
    let answered = std::mem::take(&mut state.waiting);
    println!(
        "{:>7.3} s  >> multicast advertisement #{}, answering {}",
        secs(state.start, now),
        state.sent,
        answered.join(", ")
    );
}

fn main() {
    // The link: solicitations from random hosts at random moments, until
    // `RUN_FOR` has passed; then it hangs up.
    let (link, solicitations) = mpsc::channel();
    let sender = thread::spawn(move || {
        let mut rng = Rng::from_time();
        let start = Instant::now();
        while start.elapsed() < RUN_FOR {
            thread::sleep(rng.up_to(Duration::from_millis(1200)));
            let host = format!("fe80::{:x}", 1 + rng.next() % 0xffff);
            if link.send(host).is_err() {
                break;
            }
        }
    });

    let mut router = Router::new();
    for from in solicitations {
        router.on_solicitation(from);
    }
    sender.join().unwrap();
    router.shut_down();
}

fn secs(start: Instant, at: Instant) -> f64 {
    at.duration_since(start).as_secs_f64()
}

/// A small xorshift generator: enough randomness for jitter, no dependency.
struct Rng(u64);

impl Rng {
    fn from_time() -> Rng {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(1, |since| since.as_nanos() as u64);
        Rng(nanos | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in `0..=max`, to the millisecond.
    fn up_to(&mut self, max: Duration) -> Duration {
        let millis = max.as_millis() as u64;
        Duration::from_millis(self.next() % (millis + 1))
    }
}
