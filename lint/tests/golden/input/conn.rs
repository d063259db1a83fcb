//! Golden input: a connection whose close has two deny-level bugs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::thread::JoinHandle;

pub struct Conn {
    closed: AtomicBool,
    reader: Mutex<Option<JoinHandle<()>>>,
    writer: Option<JoinHandle<()>>,
}

impl Conn {
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Arms the wait before the closed check: a second close waits again.
    pub fn close(&self) -> Result<(), &'static str> {
        let _wait = scopeguard::guard((), |_| self.join_reader());
        if self.is_closed() {
            return Err("closed");
        }
        self.closed.store(true, Ordering::Release);
        Ok(())
    }

    pub fn close_now(&mut self) {
        /* ünïcödé before the span */ self.writer.take().unwrap().join().ok();
    }
}
