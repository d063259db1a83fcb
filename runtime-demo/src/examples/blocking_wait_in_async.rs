//! `blocking_wait_in_async`: an async shutdown that joins a worker thread with
//! `JoinHandle::join`. The join blocks the runtime thread: on a
//! current-thread runtime every other task (heartbeats, timers, even a
//! `tokio::time::timeout` around the shutdown itself) stops until the worker
//! has drained its queue.
//!
//! The fix moves the blocking join to `tokio::task::spawn_blocking` and awaits
//! it.

use std::sync::mpsc::Receiver;
use std::thread;
use std::time::Duration;

/// The flusher thread's body, shared by both forms: writes each buffer with a
/// slow synchronous write (`per_buffer`), returns the bytes written.
fn flush_all(buffers: Receiver<Vec<u8>>, per_buffer: Duration) -> usize {
    let mut written = 0;
    for buf in buffers {
        thread::sleep(per_buffer);
        written += buf.len();
    }
    written
}

/// Buggy: `join()` inside `async fn`.
pub mod buggy {
    use std::sync::mpsc::{self, Sender};
    use std::thread::{self, JoinHandle};
    use std::time::Duration;

    use crate::Error;

    /// Buffers written to disk by a dedicated thread.
    #[derive(Debug)]
    pub struct Flusher {
        queue: Sender<Vec<u8>>,
        thread: JoinHandle<usize>,
    }

    impl Flusher {
        /// Starts the flusher thread; each buffer takes `per_buffer` to write.
        pub fn start(per_buffer: Duration) -> Self {
            let (queue, buffers) = mpsc::channel();
            let thread = thread::spawn(move || super::flush_all(buffers, per_buffer));
            Self { queue, thread }
        }

        /// Queues a buffer.
        pub fn push(&self, buf: Vec<u8>) -> Result<(), Error> {
            self.queue.send(buf).map_err(|_| Error::Closed)
        }

        /// Lets the thread drain the queue and returns the bytes written.
        pub async fn shutdown(self) -> usize {
            drop(self.queue);
            self.thread.join().unwrap_or(0) //~ blocking_wait_in_async
        }
    }
}

/// Fixed: the join runs on the blocking pool and is awaited.
pub mod fixed {
    use std::sync::mpsc::{self, Sender};
    use std::thread::{self, JoinHandle};
    use std::time::Duration;

    use crate::Error;

    /// Buffers written to disk by a dedicated thread.
    #[derive(Debug)]
    pub struct Flusher {
        queue: Sender<Vec<u8>>,
        thread: JoinHandle<usize>,
    }

    impl Flusher {
        /// Starts the flusher thread; each buffer takes `per_buffer` to write.
        pub fn start(per_buffer: Duration) -> Self {
            let (queue, buffers) = mpsc::channel();
            let thread = thread::spawn(move || super::flush_all(buffers, per_buffer));
            Self { queue, thread }
        }

        /// Queues a buffer.
        pub fn push(&self, buf: Vec<u8>) -> Result<(), Error> {
            self.queue.send(buf).map_err(|_| Error::Closed)
        }

        /// Lets the thread drain the queue and returns the bytes written,
        /// without blocking the runtime while it does.
        pub async fn shutdown(self) -> usize {
            drop(self.queue);
            let thread = self.thread;
            let joined = tokio::task::spawn_blocking(move || thread.join()).await;
            match joined {
                Ok(Ok(written)) => written,
                _ => 0,
            }
        }
    }
}
