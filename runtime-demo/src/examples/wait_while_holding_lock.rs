//! `wait_while_holding_lock`: a graceful shutdown that locks the service state
//! (to stop accepting jobs) and, still holding that lock, waits for the worker
//! to drain the queue. The worker needs the same lock to take each job and
//! record its result, so it cannot make progress: the shutdown always runs
//! into its grace timeout, however little work was left.
//!
//! The fix drops the guard before waiting.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::thread;
use std::time::Duration;

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

/// The worker thread's body, shared by both forms: takes jobs one at a time
/// under the lock, works on each for `per_job` without it, records the result
/// under the lock, and exits once the service stopped accepting and the queue
/// is empty.
fn work(state: &Mutex<State>, per_job: Duration) {
    loop {
        let next = {
            let mut guard = state.lock().unwrap();
            match guard.queue.pop_front() {
                Some(job) => Some(job),
                None if guard.accepting => None,
                None => break,
            }
        };
        match next {
            Some(job) => {
                thread::sleep(per_job);
                state.lock().unwrap().processed.push(job);
            }
            None => thread::sleep(Duration::from_millis(1)),
        }
    }
}

/// Buggy: waits for the worker while holding the lock it needs.
pub mod buggy {
    use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
    use std::sync::{Arc, Mutex};
    use std::thread;
    use std::time::Duration;

    use super::State;
    use crate::Error;

    /// A job queue served by one worker thread.
    #[derive(Debug)]
    pub struct Service {
        state: Arc<Mutex<State>>,
        exited: Receiver<()>,
    }

    impl Service {
        /// Starts the worker; each job takes `per_job`.
        pub fn start(per_job: Duration) -> Self {
            let state = Arc::new(Mutex::new(State::accepting()));
            let shared = Arc::clone(&state);
            let (exited_tx, exited) = mpsc::channel::<()>();
            thread::spawn(move || {
                super::work(&shared, per_job);
                drop(exited_tx);
            });
            Self { state, exited }
        }

        /// Queues a job.
        pub fn submit(&self, job: u32) -> Result<(), Error> {
            let mut state = self.state.lock().unwrap();
            if !state.accepting {
                return Err(Error::Closed);
            }
            state.queue.push_back(job);
            Ok(())
        }

        /// Stops accepting jobs, waits up to `grace` for the queue to drain,
        /// and returns the processed jobs.
        pub fn shutdown(self, grace: Duration) -> Result<Vec<u32>, Error> {
            let mut state = self.state.lock().unwrap();
            state.accepting = false;
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
    use std::sync::{Arc, Mutex};
    use std::thread;
    use std::time::Duration;

    use super::State;
    use crate::Error;

    /// A job queue served by one worker thread.
    #[derive(Debug)]
    pub struct Service {
        state: Arc<Mutex<State>>,
        exited: Receiver<()>,
    }

    impl Service {
        /// Starts the worker; each job takes `per_job`.
        pub fn start(per_job: Duration) -> Self {
            let state = Arc::new(Mutex::new(State::accepting()));
            let shared = Arc::clone(&state);
            let (exited_tx, exited) = mpsc::channel::<()>();
            thread::spawn(move || {
                super::work(&shared, per_job);
                drop(exited_tx);
            });
            Self { state, exited }
        }

        /// Queues a job.
        pub fn submit(&self, job: u32) -> Result<(), Error> {
            let mut state = self.state.lock().unwrap();
            if !state.accepting {
                return Err(Error::Closed);
            }
            state.queue.push_back(job);
            Ok(())
        }

        /// Stops accepting jobs, waits up to `grace` for the queue to drain,
        /// and returns the processed jobs.
        pub fn shutdown(self, grace: Duration) -> Result<Vec<u32>, Error> {
            let mut state = self.state.lock().unwrap();
            state.accepting = false;
            drop(state);
            let drained = self.exited.recv_timeout(grace);
            match drained {
                Err(RecvTimeoutError::Timeout) => Err(Error::Timeout),
                _ => Ok(std::mem::take(&mut self.state.lock().unwrap().processed)),
            }
        }
    }
}
