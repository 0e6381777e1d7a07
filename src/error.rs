//! What a group's waits, sleeps and timeouts report when they do not
//! succeed.

use std::fmt;

/// Why a group's [`wait`](crate::Group::wait) (or
/// [`wait_async`](crate::Group::wait_async)), a [`Sleep`](crate::Sleep) or
/// a [`timeout`](crate::Group::timeout) did not succeed.
///
/// When several apply, the group's stop reason wins over panics: a canceled
/// group reports [`Error::Canceled`] even if one of its tasks also panicked
/// (the panic is still counted).
///
/// ```
/// use schedgroup::{Error, Group};
/// let group = Group::new();
/// group.cancel();
/// assert_eq!(group.wait(), Err(Error::Canceled));
/// assert_eq!(Error::Canceled.to_string(), "the group was canceled");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Error {
    /// [`Group::cancel`](crate::Group::cancel) was called (or the group was
    /// dropped); pending tasks were dropped unrun.
    Canceled,
    /// The deadline set with [`Builder::deadline`](crate::Builder::deadline)
    /// passed; pending tasks were dropped unrun.
    DeadlineExceeded,
    /// A [`Group::timeout`](crate::Group::timeout) ran out before its
    /// future completed.
    TimedOut,
    /// `count` of the group's closures panicked since it was built, running
    /// or (a capture's `Drop`) while being dropped unrun. The other tasks ran
    /// normally. `message` is the first panic's message, when it was a string.
    Panicked {
        /// How many panics.
        count: usize,
        /// The first panic's payload, if it was a `&str` or `String`.
        message: Option<String>,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Canceled => f.write_str("the group was canceled"),
            Error::DeadlineExceeded => f.write_str("the group's deadline passed"),
            Error::TimedOut => f.write_str("the timeout elapsed"),
            Error::Panicked { count, message } => {
                write!(f, "{count} task(s) panicked")?;
                match message {
                    Some(message) => write!(f, "; the first with: {message}"),
                    None => Ok(()),
                }
            }
        }
    }
}

impl std::error::Error for Error {}
