#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod wheel;

pub use wheel::{Key, Wheel};
