//! One example pair per synclint lint. Each file has a `buggy` module, written
//! the way the bug is really written, and a `fixed` module, written the way the
//! lint's "Fix" says. `tests/examples.rs` shows every buggy form failing for
//! real (a panic, a hang caught by a timeout, or a lost update) and every fixed
//! form holding.
//!
//! In the buggy modules, each line where a synclint finding must start ends
//! with a marker comment: two slashes, a tilde, a space, and the lint's name.
//! No other line of this package carries one, so running synclint over the
//! package must report exactly the marked lines (`grep -rn` for the marker
//! lists them).

pub mod blocking_wait_in_async;
pub mod closed_flag_check_then_set;
pub mod condvar_wait_without_loop;
pub mod deferred_wait_before_closed_check;
pub mod double_lock;
pub mod lock_order_inversion;
pub mod non_idempotent_close;
pub mod wait_guard_dropped_immediately;
pub mod wait_while_holding_lock;
