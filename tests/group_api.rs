//! The public API contract's trait bounds: `Group`, `TaskHandle`, `Error`
//! and `Key` implement what DESIGN.md promises. (Builds no group, so it
//! runs under `--features loom` too.)

use schedgroup::{Error, Group, TaskHandle};

#[test]
fn api_contract_traits() {
    fn send_sync<T: Send + Sync>() {}
    fn clone<T: Clone>() {}
    fn error<T: std::error::Error + std::fmt::Debug + std::fmt::Display + Send + Sync + 'static>() {
    }
    fn key<T: Copy + Eq + std::hash::Hash + std::fmt::Debug>() {}
    send_sync::<Group>();
    clone::<Group>();
    send_sync::<TaskHandle>();
    clone::<TaskHandle>();
    error::<Error>();
    key::<schedgroup::Key>();
}
