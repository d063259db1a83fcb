//! `blocking_wait_in_async`: an async shutdown that joins a worker thread with
//! `JoinHandle::join`. The join blocks the runtime thread: on a
//! current-thread runtime every other task (heartbeats, timers, even a
//! `tokio::time::timeout` around the shutdown itself) stops until the worker
//! has drained its queue.
//!
//! The fix moves the blocking join to `tokio::task::spawn_blocking` and awaits
//! it.

use std::io::Write;
use std::sync::mpsc::Receiver;

/// The flusher thread's body, shared by both forms: writes each buffer to
/// `disk` with a synchronous write, stops at the first failed write, and
/// returns the bytes written.
fn flush_all(buffers: Receiver<Vec<u8>>, mut disk: impl Write) -> usize {
    let mut written = 0;
    for buf in buffers {
        if disk.write_all(&buf).and_then(|()| disk.flush()).is_err() {
            break;
        }
        written += buf.len();
    }
    written
}

/// Buggy: `join()` inside `async fn`.
pub mod buggy {
    use std::io::Write;
    use std::sync::mpsc::{self, Sender};
    use std::thread::{self, JoinHandle};

    use crate::Error;

    /// Buffers written to disk by a dedicated thread.
    #[derive(Debug)]
    pub struct Flusher {
        queue: Sender<Vec<u8>>,
        thread: JoinHandle<usize>,
    }

    impl Flusher {
        /// Starts the flusher thread, writing to `disk`.
        pub fn start(disk: impl Write + Send + 'static) -> Self {
            let (queue, buffers) = mpsc::channel();
            let thread = thread::spawn(move || super::flush_all(buffers, disk));
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
    use std::io::Write;
    use std::sync::mpsc::{self, Sender};
    use std::thread::{self, JoinHandle};

    use crate::Error;

    /// Buffers written to disk by a dedicated thread.
    #[derive(Debug)]
    pub struct Flusher {
        queue: Sender<Vec<u8>>,
        thread: JoinHandle<usize>,
    }

    impl Flusher {
        /// Starts the flusher thread, writing to `disk`.
        pub fn start(disk: impl Write + Send + 'static) -> Self {
            let (queue, buffers) = mpsc::channel();
            let thread = thread::spawn(move || super::flush_all(buffers, disk));
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
