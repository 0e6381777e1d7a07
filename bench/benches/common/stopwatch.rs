//! What the timed regions read, shared by the scheduler and queue benches.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// What the timed regions read: wall-clock time (the default), or, with
/// `SCHEDGROUP_BENCH_TIME=cpu`, the CPU time of the measuring thread, which a
/// machine loaded by other processes inflates far less (it leaves out the
/// time the thread waits for a core). The `threads` groups and the queue's
/// expiry always use wall time: they measure how threads overlap, and time
/// spent waiting for a deadline.
#[derive(Clone, Copy)]
pub(crate) enum Stopwatch {
    Wall(Instant),
    Cpu(Duration),
}

impl Stopwatch {
    pub(crate) fn start() -> Stopwatch {
        static CPU: OnceLock<bool> = OnceLock::new();
        let cpu = *CPU.get_or_init(|| {
            std::env::var("SCHEDGROUP_BENCH_TIME").is_ok_and(|v| v == "cpu")
                && thread_cpu_time().is_some()
        });
        match thread_cpu_time() {
            Some(now) if cpu => Stopwatch::Cpu(now),
            _ => Stopwatch::Wall(Instant::now()),
        }
    }

    pub(crate) fn elapsed(self) -> Duration {
        match self {
            Stopwatch::Wall(start) => start.elapsed(),
            Stopwatch::Cpu(start) => thread_cpu_time()
                .expect("it worked at the start")
                .saturating_sub(start),
        }
    }
}

/// `CLOCK_THREAD_CPUTIME_ID` through the C library std already links (no
/// `libc` dev-dependency needed).
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
pub(crate) fn thread_cpu_time() -> Option<Duration> {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut ts = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: on 64-bit Linux `struct timespec` is two 64-bit integers, as
    // declared above, and `ts` is a valid, exclusive place for the call to
    // write it.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
pub(crate) fn thread_cpu_time() -> Option<Duration> {
    None
}
