//! Loom model of the close-ownership core (`runtime_demo::close_state`).
//!
//! Run with:
//! `RUSTFLAGS="--cfg loom" cargo test -p runtime-demo --release --test loom_close --target-dir target/loom`
//!
//! In every interleaving: exactly one closer wins the claim, the background
//! task is taken and joined exactly once, and closers that wait for the
//! winner to finish always return (loom reports a deadlock if a wakeup is
//! lost) and then see the join done. A winner that is cancelled after taking
//! the task (what a dropped `Conn::close` future does: its `Tasks` are
//! dropped, which aborts them) still releases every waiter, and the task is
//! dropped exactly once, never joined.
//!
//! This covers the claim only (`close_state`); the async layer of `Conn` is
//! tested against real sockets (see the README).
#![cfg(loom)]

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;
use runtime_demo::close_state::CloseState;

/// What a closer does when it loses the claim.
#[derive(Clone, Copy)]
enum Loser {
    /// Return "already closed" at once (what `Conn` does).
    ReturnsClosed,
    /// Block until the winner has finished closing.
    WaitsForWinner,
}

/// What the closer that wins does with the task it takes.
#[derive(Clone, Copy, PartialEq)]
enum Winner {
    /// Joins it (a `close` that runs to the end).
    Joins,
    /// Drops it unjoined and returns (a `close` future dropped midway).
    Cancelled,
}

/// The background task, counting how often it is dropped.
struct Task {
    handle: Option<thread::JoinHandle<()>>,
    drops: Arc<AtomicUsize>,
}

impl Drop for Task {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::Release);
    }
}

/// Explores the interleavings of `losers.len()` concurrent closers, with at
/// most `preemptions` forced thread switches (`None`: unbounded, exhaustive).
fn model(losers: &'static [Loser], preemptions: Option<usize>) {
    model_with(Winner::Joins, losers, preemptions);
}

fn model_with(winner: Winner, losers: &'static [Loser], preemptions: Option<usize>) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = preemptions;
    builder.check(move || {
        let joins = Arc::new(AtomicUsize::new(0));
        let wins = Arc::new(AtomicUsize::new(0));
        let drops = Arc::new(AtomicUsize::new(0));
        // The background task the winner must join exactly once.
        let background = Task {
            handle: Some(thread::spawn(|| {})),
            drops: drops.clone(),
        };
        let state = Arc::new(CloseState::new(background));

        // Closer i behaves as `losers[i]` if it loses.
        let closers: Vec<_> = losers
            .iter()
            .copied()
            .map(|loser| {
                let (state, joins, wins) = (state.clone(), joins.clone(), wins.clone());
                let drops = drops.clone();
                thread::spawn(move || match state.claim() {
                    Some(mut claim) => {
                        wins.fetch_add(1, Ordering::Relaxed);
                        if let Some(mut task) = claim.take_tasks() {
                            let handle = task.handle.take().unwrap();
                            if winner == Winner::Joins {
                                handle.join().unwrap();
                                joins.fetch_add(1, Ordering::Release);
                            }
                        }
                        // Taking again yields nothing: no double join.
                        assert!(claim.take_tasks().is_none());
                    }
                    None => {
                        assert!(state.is_closing());
                        if let Loser::WaitsForWinner = loser {
                            state.wait_finished();
                            assert!(state.is_finished());
                            // The winner's work happened before it finished.
                            let joined = usize::from(winner == Winner::Joins);
                            assert_eq!(joins.load(Ordering::Acquire), joined);
                            assert_eq!(drops.load(Ordering::Acquire), 1);
                        }
                    }
                })
            })
            .collect();
        for closer in closers {
            closer.join().unwrap();
        }
        assert_eq!(wins.load(Ordering::Relaxed), 1, "exactly one winner");
        let joined = usize::from(winner == Winner::Joins);
        assert_eq!(
            joins.load(Ordering::Relaxed),
            joined,
            "joined once, or never"
        );
        assert_eq!(
            drops.load(Ordering::Relaxed),
            1,
            "the task dropped exactly once"
        );
        assert!(state.is_closing());
        assert!(state.is_finished());
    });
}

#[test]
fn two_closers_both_wait_for_the_winner() {
    model(&[Loser::WaitsForWinner, Loser::WaitsForWinner], None);
}

#[test]
fn two_closers_loser_returns_closed() {
    model(&[Loser::ReturnsClosed, Loser::ReturnsClosed], None);
}

#[test]
fn three_closers_mixed() {
    // Exhaustive exploration of three closers plus the background thread is
    // too large for a test run; bounding preemptions keeps it to seconds and
    // still covers the interleavings that bugs of this kind need (loom's own
    // advice is that most concurrency bugs show up within 2-3 preemptions).
    model(
        &[
            Loser::WaitsForWinner,
            Loser::ReturnsClosed,
            Loser::WaitsForWinner,
        ],
        Some(2),
    );
}

#[test]
fn cancelled_winner_still_releases_waiters() {
    model_with(
        Winner::Cancelled,
        &[Loser::WaitsForWinner, Loser::WaitsForWinner],
        None,
    );
}
