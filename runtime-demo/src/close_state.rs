//! The close-ownership core of [`crate::Conn`], without any I/O or async, so
//! that loom can check every interleaving of it (`tests/loom_close.rs`).
//!
//! The order of operations is the whole point (it is the fix of coder/websocket
//! issue 437, where `defer c.wg.Wait()` ran before the closed check):
//!
//! 1. **Claim** close ownership with one atomic `swap(true, AcqRel)` on the
//!    closing flag, *before* anything waits. Exactly one caller sees `false`
//!    and gets a [`CloseClaim`]; every other caller gets `None` and must return
//!    "already closed" without waiting on anything.
//! 2. The winner **takes the background tasks** out of the state, once: a
//!    second [`CloseClaim::take_tasks`] returns `None`, never panics, so the
//!    tasks are joined exactly once.
//! 3. When the winner's claim is dropped (also on unwind or cancellation) the
//!    close is marked **finished** and every thread blocked in
//!    [`CloseState::wait_finished`] is woken: no lost wakeup, because the flag
//!    is set and read under the same mutex the condvar waits with.

use std::sync::PoisonError;

use crate::sync::atomic::{AtomicBool, Ordering};
use crate::sync::{Condvar, Mutex};

/// Who closes, and whether the close has finished. `T` is whatever must be
/// joined exactly once by the closer (task or thread handles).
#[derive(Debug)]
pub struct CloseState<T> {
    closing: AtomicBool,
    tasks: Mutex<Option<T>>,
    finished: Mutex<bool>,
    finished_cv: Condvar,
}

impl<T> CloseState<T> {
    /// A new, open state owning `tasks`.
    pub fn new(tasks: T) -> Self {
        Self {
            closing: AtomicBool::new(false),
            tasks: Mutex::new(Some(tasks)),
            finished: Mutex::new(false),
            finished_cv: Condvar::new(),
        }
    }

    /// True from the moment some caller has claimed the close.
    pub fn is_closing(&self) -> bool {
        self.closing.load(Ordering::Acquire)
    }

    /// Claims close ownership. Exactly one caller, ever, gets `Some`; the
    /// claim is a single atomic read-modify-write, so there is no window
    /// between "is it closed?" and "now it is".
    pub fn claim(&self) -> Option<CloseClaim<'_, T>> {
        if self.closing.swap(true, Ordering::AcqRel) {
            return None;
        }
        Some(CloseClaim { state: self })
    }

    /// True once the winner's claim has been dropped.
    pub fn is_finished(&self) -> bool {
        *self.finished.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Blocks the calling thread until the winner has finished closing.
    /// Synchronous: never call it from async code (use it from threads, or
    /// from `spawn_blocking`). [`crate::Conn`] does not call it at all: its
    /// losers return `Error::Closed` immediately.
    pub fn wait_finished(&self) {
        let mut finished = self.finished.lock().unwrap_or_else(PoisonError::into_inner);
        while !*finished {
            finished = self
                .finished_cv
                .wait(finished)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn mark_finished(&self) {
        let mut finished = self.finished.lock().unwrap_or_else(PoisonError::into_inner);
        *finished = true;
        drop(finished);
        self.finished_cv.notify_all();
    }
}

/// Proof of close ownership. Only the single winner of
/// [`CloseState::claim`] holds one; dropping it marks the close finished.
#[derive(Debug)]
pub struct CloseClaim<'a, T> {
    state: &'a CloseState<T>,
}

impl<T> CloseClaim<'_, T> {
    /// Takes the background tasks to join them. Returns `Some` once; later
    /// calls return `None` instead of panicking.
    pub fn take_tasks(&mut self) -> Option<T> {
        self.state
            .tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

impl<T> Drop for CloseClaim<'_, T> {
    fn drop(&mut self) {
        self.state.mark_finished();
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;
    use std::thread;

    #[test]
    fn one_winner_tasks_taken_once_waiters_released() {
        for _ in 0..200 {
            let state = Arc::new(CloseState::new(7u32));
            let wins = Arc::new(AtomicUsize::new(0));
            let taken = Arc::new(AtomicUsize::new(0));
            let closers: Vec<_> = (0..4)
                .map(|_| {
                    let (state, wins, taken) = (state.clone(), wins.clone(), taken.clone());
                    thread::spawn(move || match state.claim() {
                        Some(mut claim) => {
                            wins.fetch_add(1, Ordering::Relaxed);
                            if claim.take_tasks() == Some(7) {
                                taken.fetch_add(1, Ordering::Relaxed);
                            }
                            assert_eq!(claim.take_tasks(), None);
                        }
                        None => state.wait_finished(),
                    })
                })
                .collect();
            for closer in closers {
                closer.join().unwrap();
            }
            assert_eq!(wins.load(Ordering::Relaxed), 1);
            assert_eq!(taken.load(Ordering::Relaxed), 1);
            assert!(state.is_closing() && state.is_finished());
        }
    }
}
