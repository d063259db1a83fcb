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

// ---------------------------------------------------------------------------
// condvar_wait_without_loop

/// Starts `wait_closed` on a thread and returns once it is parked in the
/// Condvar wait: the probe fires under the lock just before the wait, and
/// the caller's next lock of the state can only succeed once the waiter has
/// released it by waiting. Returns the receiver of its result.
fn parked_waiter<S: Send + Sync + 'static>(
    signal: std::sync::Arc<S>,
    on_park: impl Fn(&S, mpsc::Sender<()>),
    wait_closed: fn(&S) -> bool,
) -> (mpsc::Receiver<()>, mpsc::Receiver<bool>) {
    let (probe_tx, probe_rx) = mpsc::channel();
    on_park(&signal, probe_tx);
    let (done_tx, done_rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = done_tx.send(wait_closed(&signal));
    });
    probe_rx
        .recv_timeout(BOUND)
        .expect("the waiter reaches its wait");
    (probe_rx, done_rx)
}

/// Upper bound for anything that is expected to happen.
const BOUND: Duration = Duration::from_secs(5);

#[test]
fn condvar_buggy_wakes_on_the_ack_and_reports_closed_while_open() {
    use condvar_wait_without_loop::buggy::CloseSignal;
    let signal = std::sync::Arc::new(CloseSignal::new());
    let (_probe, done) = parked_waiter(
        signal.clone(),
        CloseSignal::on_park,
        CloseSignal::wait_closed,
    );
    // A notify for the other condition: `ack` locks the state (so the waiter
    // is in `wait`), sets `acked` and notifies every waiter.
    signal.ack();
    let saw_closed = done.recv_timeout(BOUND).expect("the woken waiter returns");
    assert!(
        !saw_closed,
        "condvar buggy: wait_closed returned with closed == {saw_closed}; it must go on with the condition false"
    );
}

#[test]
fn condvar_fixed_keeps_waiting_until_closed() {
    use condvar_wait_without_loop::fixed::CloseSignal;
    let signal = std::sync::Arc::new(CloseSignal::new());
    let (probe, done) = parked_waiter(
        signal.clone(),
        CloseSignal::on_park,
        CloseSignal::wait_closed,
    );
    signal.ack();
    // Woken by the ack, the waiter re-tests `closed` and parks again: the
    // probe fires a second time (and it has sent no result).
    probe
        .recv_timeout(BOUND)
        .expect("the waiter parks again after the ack");
    assert!(
        done.try_recv().is_err(),
        "condvar fixed: returned before close"
    );
    signal.close();
    assert!(done
        .recv_timeout(BOUND)
        .expect("wait_closed returns after close"));
}

// ---------------------------------------------------------------------------
// lock_order_inversion

#[test]
fn lock_order_buggy_broadcast_and_report_deadlock() {
    use lock_order_inversion::buggy::Hub;
    use std::sync::{Arc, Barrier};
    let hub = Arc::new(Hub::new(vec![1, 2, 3]));
    // Both threads hold their first lock when they pass the barrier; then
    // each waits for the lock the other holds.
    let both_hold = Arc::new(Barrier::new(2));
    let (h1, b1) = (hub.clone(), both_hold.clone());
    let (h2, b2) = (hub.clone(), both_hold);
    let (tx, rx) = mpsc::channel();
    let tx2 = tx.clone();
    thread::spawn(move || {
        let _ = tx.send(format!(
            "broadcast {}",
            h1.broadcast_with(|| {
                b1.wait();
            })
        ));
    });
    thread::spawn(move || {
        let _ = tx2.send(format!(
            "report {:?}",
            h2.report_with(|| {
                b2.wait();
            })
        ));
    });
    let outcome = rx.recv_timeout(WATCHDOG);
    assert!(
        outcome.is_err(),
        "lock_order buggy: {outcome:?} returned; with both first locks held, neither call can return"
    );
}

#[test]
fn lock_order_fixed_the_same_interleaving_completes() {
    use lock_order_inversion::fixed::Hub;
    use std::sync::Arc;
    let hub = Arc::new(Hub::new(vec![1, 2, 3]));
    // `broadcast` holds its first lock when `report` starts: `report` waits
    // for that same lock (one order everywhere), then both finish.
    let (holding_tx, holding_rx) = mpsc::channel();
    let h1 = hub.clone();
    let broadcaster = thread::spawn(move || {
        h1.broadcast_with(|| {
            holding_tx.send(()).unwrap();
        })
    });
    holding_rx.recv().expect("broadcast holds its first lock");
    let h2 = hub.clone();
    let reporter = thread::spawn(move || h2.report());
    assert_eq!(broadcaster.join().unwrap(), 3);
    let (sent, conns) = reporter.join().unwrap();
    assert_eq!((sent, conns), (3, 3));
    assert_eq!(hub.broadcast(), 6);
}
