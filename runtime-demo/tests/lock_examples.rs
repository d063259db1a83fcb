//! The lock-guard lifetime examples (`double_lock`, `lock_order_inversion`,
//! `condvar_wait_without_loop`): each buggy form fails for real and each
//! fixed form holds.
//!
//! A deadlock is shown by a watchdog: the buggy call runs on a thread of its
//! own and the test waits a bounded time for its result. A deadlocked thread
//! never sends one, so the wait gives up and the stuck thread is left behind
//! (leaked: nothing can stop a thread blocked on a lock, and the test process
//! ends soon after). No assertion depends on how fast a thread runs: the
//! buggy forms can never finish, and the fixed forms run on the test thread
//! (or are synchronised with barriers and channels).
#![cfg(not(loom))]

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use runtime_demo::examples::*;

/// How long the watchdog waits for a call that deadlocks (it never returns,
/// so any bound shows it; a short one keeps the test fast).
const WATCHDOG: Duration = Duration::from_secs(2);

/// Runs `f` on a thread of its own and waits up to `bound` for its result:
/// `None` when it did not return (the thread is leaked, still blocked).
fn watchdog<T: Send + 'static>(
    bound: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let (tx, rx) = mpsc::channel();
    thread::Builder::new()
        .name("watched".into())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .expect("spawn the watched thread");
    rx.recv_timeout(bound).ok()
}

// ---------------------------------------------------------------------------
// double_lock

#[test]
fn double_lock_buggy_close_idle_deadlocks_on_its_own_guard() {
    let reg = double_lock::buggy::Registry::new();
    reg.add(1, true);
    reg.add(2, true);
    reg.add(3, false);
    let outcome = watchdog(WATCHDOG, move || reg.close_idle(1));
    assert!(
        outcome.is_none(),
        "double_lock buggy: close_idle returned {outcome:?}; it must block forever on the lock its own caller holds"
    );
}

#[test]
fn double_lock_fixed_close_idle_keeps_the_minimum() {
    let reg = double_lock::fixed::Registry::new();
    reg.add(1, true);
    reg.add(2, true);
    reg.add(3, false);
    assert_eq!(reg.close_idle(2), 1);
    assert_eq!(reg.open_count(), 2);
    assert_eq!(reg.close_idle(2), 0);
}
