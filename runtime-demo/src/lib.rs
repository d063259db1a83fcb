//! runtime-demo: a WebSocket connection whose close paths are safe under any
//! number of concurrent callers, plus one buggy/fixed example pair per
//! synclint lint (see `SPEC.md` §8).
//!
//! - [`Conn`] (in [`conn`]) wraps a tokio-tungstenite stream. `close(code,
//!   reason)` performs the close handshake with a timeout, `close_now()` tears
//!   the connection down without one. Exactly one caller wins the close, by an
//!   atomic `swap` on the closing flag *before* anything waits; every other
//!   caller gets [`Error::Closed`] at once.
//! - [`close_state`] is the synchronous close-ownership core that `Conn` uses,
//!   small enough to be model-checked with loom (`tests/loom_close.rs`).
//! - [`examples`] holds, for each lint, a `buggy` module written the way the
//!   bug is really written and a `fixed` module written the way the lint's
//!   "Fix" says.
//!
//! Under `--cfg loom` only [`close_state`] is built (tokio leaves `tokio::net`
//! out under that cfg), which is all the loom model needs.

pub mod close_state;
#[cfg(not(loom))]
pub mod conn;
#[cfg(not(loom))]
pub mod examples;
mod sync;

#[cfg(not(loom))]
pub use conn::{accept, connect, is_sendable_close_code, CloseCode, Conn, Error, Message};
