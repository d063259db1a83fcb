//! `closed_flag_check_then_set`: a `&self` close that reads the closed flag,
//! does the close work, and only then stores `true`. Two callers can both read
//! `false` before either stores: both run the close work (two Close frames on
//! the wire, the `on_close` hook run twice, a pool slot released twice).
//!
//! The fix makes the read and the write one atomic step: `swap(true, AcqRel)`.

/// A frame written to the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame {
    /// Application data.
    Data(u32),
    /// The close frame; a peer must see at most one.
    Close,
}

/// Buggy: check, work, then set.
pub mod buggy {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc::Sender;

    use super::Frame;
    use crate::Error;

    /// A connection that writes frames to `peer` and runs `on_close` once
    /// when it is closed (flushing metrics, returning a pool slot, ...).
    pub struct Conn {
        closed: AtomicBool,
        peer: Sender<Frame>,
        on_close: Box<dyn Fn() + Send + Sync>,
    }

    impl Conn {
        /// A connection writing to `peer`.
        pub fn new(peer: Sender<Frame>, on_close: impl Fn() + Send + Sync + 'static) -> Self {
            Self {
                closed: AtomicBool::new(false),
                peer,
                on_close: Box::new(on_close),
            }
        }

        /// Writes a data frame.
        pub fn send(&self, n: u32) -> Result<(), Error> {
            if self.closed.load(Ordering::Acquire) {
                return Err(Error::Closed);
            }
            self.peer.send(Frame::Data(n)).map_err(|_| Error::Closed)
        }

        /// Closes the connection: runs the hook and writes the Close frame.
        pub fn close(&self) -> Result<(), Error> {
            if self.closed.load(Ordering::Acquire) {
                return Err(Error::Closed);
            }
            (self.on_close)();
            self.peer.send(Frame::Close).map_err(|_| Error::Closed)?;
            self.closed.store(true, Ordering::Release); //~ closed_flag_check_then_set
            Ok(())
        }
    }
}

/// Fixed: `swap` reads and sets the flag in one step, so one caller wins and
/// runs the close work; the writes are ordered with the close because `close`
/// takes the frame sender out under the lock that every `send` writes under.
pub mod fixed {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc::Sender;
    use std::sync::Mutex;

    use super::Frame;
    use crate::Error;

    /// A connection that writes frames to `peer` and runs `on_close` once
    /// when it is closed (flushing metrics, returning a pool slot, ...).
    pub struct Conn {
        closed: AtomicBool,
        /// `None` once the Close frame has been written: a `send` that finds
        /// it gone cannot write after the Close frame.
        peer: Mutex<Option<Sender<Frame>>>,
        on_close: Box<dyn Fn() + Send + Sync>,
    }

    impl Conn {
        /// A connection writing to `peer`.
        pub fn new(peer: Sender<Frame>, on_close: impl Fn() + Send + Sync + 'static) -> Self {
            Self {
                closed: AtomicBool::new(false),
                peer: Mutex::new(Some(peer)),
                on_close: Box::new(on_close),
            }
        }

        /// Writes a data frame, or returns `Error::Closed` once the Close
        /// frame has been written. The check and the write happen under one
        /// lock, so no data frame can follow the Close frame.
        pub fn send(&self, n: u32) -> Result<(), Error> {
            match &*self.peer.lock().unwrap() {
                Some(peer) => peer.send(Frame::Data(n)).map_err(|_| Error::Closed),
                None => Err(Error::Closed),
            }
        }

        /// Closes the connection: runs the hook and writes the Close frame,
        /// exactly once however many callers race. Sends that got the lock
        /// first are written before the Close frame; later ones fail.
        pub fn close(&self) -> Result<(), Error> {
            if self.closed.swap(true, Ordering::AcqRel) {
                return Err(Error::Closed);
            }
            (self.on_close)();
            // Hold the lock until the Close frame is written: a `send` either
            // wrote before it or finds the sender gone.
            let mut writer = self.peer.lock().unwrap();
            let sent = match writer.take() {
                Some(peer) => peer.send(Frame::Close).map_err(|_| Error::Closed),
                None => Err(Error::Closed),
            };
            drop(writer);
            sent
        }
    }
}
