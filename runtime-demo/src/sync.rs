//! Synchronization primitives used by [`crate::close_state`]: `std::sync`
//! normally, `loom::sync` when built with `RUSTFLAGS="--cfg loom"` so that the
//! loom model in `tests/loom_close.rs` explores every interleaving.

#[cfg(loom)]
pub(crate) use loom::sync::{atomic, Condvar, Mutex};
#[cfg(not(loom))]
pub(crate) use std::sync::{atomic, Condvar, Mutex};
