//! Intentional panics: tests make tasks (or closures' drops) panic with a
//! known message or payload, and keep those panics out of the output.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

/// Tests make tasks panic with messages containing this, or with an
/// [`IntentionalPayload`]; the panic hook keeps those out of the output.
pub const INTENTIONAL: &str = "intentional test panic";

/// A non-string panic payload.
pub struct IntentionalPayload;

/// Keeps the tests' intentional panics out of the output (idempotent).
/// Every test that panics on purpose calls it first.
pub fn quiet_intentional_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let text = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
            let intentional =
                text.is_some_and(|t| t.contains(INTENTIONAL)) || payload.is::<IntentionalPayload>();
            if !intentional {
                previous(info);
            }
        }));
    });
}

/// Panics when dropped (quietly: the hook knows the message).
pub struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        panic!("{INTENTIONAL}: a capture's drop");
    }
}

/// A closure that captures a [`Bomb`] and must never run.
pub fn armed() -> impl FnOnce() + Send + 'static {
    let bomb = Bomb;
    move || {
        let _bomb = bomb;
        unreachable!("an armed closure ran");
    }
}

/// Whether `f` returned without unwinding.
pub fn returns(f: impl FnOnce()) -> bool {
    catch_unwind(AssertUnwindSafe(f)).is_ok()
}
