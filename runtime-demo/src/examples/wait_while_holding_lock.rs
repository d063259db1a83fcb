//! `wait_while_holding_lock`: a graceful shutdown that locks the service state
//! (to stop accepting jobs) and, still holding that lock, waits for the worker
//! to drain the queue. The worker needs the same lock to take each job and
//! record its result (and even to see that the service stopped accepting), so
//! it cannot make progress: the shutdown always runs into its grace timeout,
//! however little work was left.
//!
//! The fix drops the guard before waiting.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex};

/// State shared by the service handle and its worker thread.
#[derive(Debug, Default)]
pub struct State {
    queue: VecDeque<u32>,
    accepting: bool,
    processed: Vec<u32>,
}

impl State {
    fn accepting() -> Self {
        Self {
            accepting: true,
            ..Self::default()
        }
    }
}

/// The worker thread's body, shared by both forms: sleeps on `changed` until
/// there is a job or the service stopped accepting, takes one job at a time
/// under the lock, works on it without the lock, records it as processed under
/// the lock, and exits once the service stopped accepting and the queue is
/// empty.
fn work(state: &Mutex<State>, changed: &Condvar) {
    loop {
        let guard = state.lock().unwrap();
        let mut guard = changed
            .wait_while(guard, |s| s.queue.is_empty() && s.accepting)
            .unwrap();
        let Some(job) = guard.queue.pop_front() else {
            break;
        };
        drop(guard);
        // The job's work would run here, without the lock.
        state.lock().unwrap().processed.push(job);
    }
}

/// Buggy: waits for the worker while holding the lock it needs.
pub mod buggy {
    use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
    use std::sync::{Arc, Condvar, Mutex};
    use std::thread;
    use std::time::Duration;

    use super::State;
    use crate::Error;

    /// A job queue served by one worker thread.
    #[derive(Debug)]
    pub struct Service {
        state: Arc<Mutex<State>>,
        changed: Arc<Condvar>,
        exited: Receiver<()>,
    }

    impl Service {
        /// Starts the worker thread.
        pub fn start() -> Self {
            let state = Arc::new(Mutex::new(State::accepting()));
            let changed = Arc::new(Condvar::new());
            let (shared, wake) = (Arc::clone(&state), Arc::clone(&changed));
            let (exited_tx, exited) = mpsc::channel::<()>();
            thread::spawn(move || {
                super::work(&shared, &wake);
                drop(exited_tx);
            });
            Self {
                state,
                changed,
                exited,
            }
        }

        /// Queues a job.
        pub fn submit(&self, job: u32) -> Result<(), Error> {
            let mut state = self.state.lock().unwrap();
            if !state.accepting {
                return Err(Error::Closed);
            }
            state.queue.push_back(job);
            self.changed.notify_all();
            Ok(())
        }

        /// Stops accepting jobs, waits up to `grace` for the queue to drain,
        /// and returns the processed jobs.
        pub fn shutdown(self, grace: Duration) -> Result<Vec<u32>, Error> {
            let mut state = self.state.lock().unwrap();
            state.accepting = false;
            self.changed.notify_all();
            let drained = self.exited.recv_timeout(grace); //~ wait_while_holding_lock
            match drained {
                Err(RecvTimeoutError::Timeout) => Err(Error::Timeout),
                _ => Ok(std::mem::take(&mut state.processed)),
            }
        }
    }
}

/// Fixed: the guard is dropped before the wait.
pub mod fixed {
    use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
    use std::sync::{Arc, Condvar, Mutex};
    use std::thread;
    use std::time::Duration;

    use super::State;
    use crate::Error;

    /// A job queue served by one worker thread.
    #[derive(Debug)]
    pub struct Service {
        state: Arc<Mutex<State>>,
        changed: Arc<Condvar>,
        exited: Receiver<()>,
    }

    impl Service {
        /// Starts the worker thread.
        pub fn start() -> Self {
            let state = Arc::new(Mutex::new(State::accepting()));
            let changed = Arc::new(Condvar::new());
            let (shared, wake) = (Arc::clone(&state), Arc::clone(&changed));
            let (exited_tx, exited) = mpsc::channel::<()>();
            thread::spawn(move || {
                super::work(&shared, &wake);
                drop(exited_tx);
            });
            Self {
                state,
                changed,
                exited,
            }
        }

        /// Queues a job.
        pub fn submit(&self, job: u32) -> Result<(), Error> {
            let mut state = self.state.lock().unwrap();
            if !state.accepting {
                return Err(Error::Closed);
            }
            state.queue.push_back(job);
            self.changed.notify_all();
            Ok(())
        }

        /// Stops accepting jobs, waits up to `grace` for the queue to drain,
        /// and returns the processed jobs.
        pub fn shutdown(self, grace: Duration) -> Result<Vec<u32>, Error> {
            let mut state = self.state.lock().unwrap();
            state.accepting = false;
            self.changed.notify_all();
            drop(state);
            let drained = self.exited.recv_timeout(grace);
            match drained {
                Err(RecvTimeoutError::Timeout) => Err(Error::Timeout),
                _ => Ok(std::mem::take(&mut self.state.lock().unwrap().processed)),
            }
        }
    }
}
