//! `non_idempotent_close`: `close` takes the worker's join handle out of its
//! `Option` with `.take().unwrap()`. The first close works; the second (a retry,
//! a second owner, a close on an error path) finds `None` and panics.
//!
//! The fix: `if let Some(handle) = ... .take() { .. }`, so a repeated close is
//! a no-op that reports `Error::Closed`.

use std::sync::mpsc::Receiver;

/// The worker thread's body, shared by both forms: handles every job queued
/// until the queue is closed and returns the sum of the jobs it handled.
fn handle_jobs(jobs: Receiver<u64>) -> u64 {
    jobs.iter().sum()
}

/// Buggy: the second close panics.
pub mod buggy {
    use std::sync::mpsc::{self, Sender};
    use std::sync::Mutex;
    use std::thread::{self, JoinHandle};

    use crate::Error;

    /// A background worker that handles queued jobs until it is closed.
    #[derive(Debug)]
    pub struct Worker {
        jobs: Mutex<Option<Sender<u64>>>,
        handle: Mutex<Option<JoinHandle<u64>>>,
    }

    impl Worker {
        /// Starts the worker thread.
        pub fn start() -> Self {
            let (jobs, queue) = mpsc::channel();
            let handle = thread::spawn(move || super::handle_jobs(queue));
            Self {
                jobs: Mutex::new(Some(jobs)),
                handle: Mutex::new(Some(handle)),
            }
        }

        /// Queues a job.
        pub fn submit(&self, job: u64) -> Result<(), Error> {
            match &*self.jobs.lock().unwrap() {
                Some(jobs) => jobs.send(job).map_err(|_| Error::Closed),
                None => Err(Error::Closed),
            }
        }

        /// Closes the queue, lets the worker finish every queued job, and
        /// returns the sum of the jobs it handled.
        pub fn close(&self) -> u64 {
            drop(self.jobs.lock().unwrap().take());
            let handle = self.handle.lock().unwrap().take().unwrap(); //~ non_idempotent_close
            handle.join().unwrap_or(0)
        }
    }
}

/// Fixed: a repeated close returns `Error::Closed`.
pub mod fixed {
    use std::sync::mpsc::{self, Sender};
    use std::sync::Mutex;
    use std::thread::{self, JoinHandle};

    use crate::Error;

    /// A background worker that handles queued jobs until it is closed.
    #[derive(Debug)]
    pub struct Worker {
        jobs: Mutex<Option<Sender<u64>>>,
        handle: Mutex<Option<JoinHandle<u64>>>,
    }

    impl Worker {
        /// Starts the worker thread.
        pub fn start() -> Self {
            let (jobs, queue) = mpsc::channel();
            let handle = thread::spawn(move || super::handle_jobs(queue));
            Self {
                jobs: Mutex::new(Some(jobs)),
                handle: Mutex::new(Some(handle)),
            }
        }

        /// Queues a job.
        pub fn submit(&self, job: u64) -> Result<(), Error> {
            match &*self.jobs.lock().unwrap() {
                Some(jobs) => jobs.send(job).map_err(|_| Error::Closed),
                None => Err(Error::Closed),
            }
        }

        /// Closes the queue, lets the worker finish every queued job, and
        /// returns the sum of the jobs it handled; a repeated close returns
        /// `Error::Closed`.
        pub fn close(&self) -> Result<u64, Error> {
            drop(self.jobs.lock().unwrap().take());
            // The lock guard is a temporary of this `let`: it is released
            // before the join below.
            let handle = self.handle.lock().unwrap().take();
            if let Some(handle) = handle {
                return Ok(handle.join().unwrap_or(0));
            }
            Err(Error::Closed)
        }
    }
}
