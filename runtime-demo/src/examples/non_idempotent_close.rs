//! `non_idempotent_close`: `close` takes the worker's join handle out of its
//! `Option` with `.take().unwrap()`. The first close works; the second (a retry,
//! a second owner, a close on an error path) finds `None` and panics.
//!
//! The fix: `if let Some(handle) = ... .take() { .. }`, so a repeated close is
//! a no-op that reports `Error::Closed`.

/// Buggy: the second close panics.
pub mod buggy {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    use std::thread::{self, JoinHandle};
    use std::time::Duration;

    /// A background worker that ticks until it is closed.
    #[derive(Debug)]
    pub struct Worker {
        stop: Arc<AtomicBool>,
        handle: Mutex<Option<JoinHandle<u64>>>,
    }

    impl Worker {
        /// Starts the worker thread.
        pub fn start() -> Self {
            let stop = Arc::new(AtomicBool::new(false));
            let flag = Arc::clone(&stop);
            let handle = thread::spawn(move || {
                let mut ticks = 0;
                while !flag.load(Ordering::Acquire) {
                    ticks += 1;
                    thread::sleep(Duration::from_millis(1));
                }
                ticks
            });
            Self {
                stop,
                handle: Mutex::new(Some(handle)),
            }
        }

        /// Stops the worker and returns how many ticks it ran.
        pub fn close(&self) -> u64 {
            self.stop.store(true, Ordering::Release);
            let handle = self.handle.lock().unwrap().take().unwrap(); //~ non_idempotent_close
            handle.join().unwrap_or(0)
        }
    }
}

/// Fixed: a repeated close returns `Error::Closed`.
pub mod fixed {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    use std::thread::{self, JoinHandle};
    use std::time::Duration;

    use crate::Error;

    /// A background worker that ticks until it is closed.
    #[derive(Debug)]
    pub struct Worker {
        stop: Arc<AtomicBool>,
        handle: Mutex<Option<JoinHandle<u64>>>,
    }

    impl Worker {
        /// Starts the worker thread.
        pub fn start() -> Self {
            let stop = Arc::new(AtomicBool::new(false));
            let flag = Arc::clone(&stop);
            let handle = thread::spawn(move || {
                let mut ticks = 0;
                while !flag.load(Ordering::Acquire) {
                    ticks += 1;
                    thread::sleep(Duration::from_millis(1));
                }
                ticks
            });
            Self {
                stop,
                handle: Mutex::new(Some(handle)),
            }
        }

        /// Stops the worker and returns how many ticks it ran; a repeated
        /// close returns `Error::Closed`.
        pub fn close(&self) -> Result<u64, Error> {
            self.stop.store(true, Ordering::Release);
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
