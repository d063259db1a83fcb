//! `deferred_wait_before_closed_check`: the original bug (coder/websocket
//! issue 437, `defer c.wg.Wait()` before `if c.isClosed() { return
//! net.ErrClosed }`), in Rust.
//!
//! A connection with a read-loop thread that hands every chunk it reads to
//! the caller's `on_data`. `close_now` shuts the socket down and then waits
//! for the read loop to leave. In the buggy form the wait (meeting the read
//! loop at a two-party [`Barrier`](std::sync::Barrier)) is armed *before* the
//! closed check, so a caller that finds the connection already closed still
//! waits at the barrier. With two concurrent `close_now` calls three parties
//! arrive at a barrier for two: one of them (a closer or the read loop) hangs.
//!
//! The fix claims close ownership with `swap` first, and only the winner
//! waits. It also waits in a way that cannot outlive its parties: it joins
//! the read loop's thread, which returns however the loop ended (the peer
//! hung up, the socket was shut down, or `on_data` panicked), and the read
//! loop itself waits for nobody, so it ends by itself when the peer hangs up
//! and nobody closes.

use std::io::Read;
use std::net::TcpStream;

/// The read loop shared by both forms: hands each chunk read to `on_data`
/// until the peer hangs up or the socket is shut down.
fn read_until_end(mut sock: TcpStream, on_data: &mut impl FnMut(&[u8])) {
    let mut buf = [0u8; 1024];
    while let Ok(n @ 1..) = sock.read(&mut buf) {
        on_data(&buf[..n]);
    }
}

/// Buggy: the wait guard is armed before the closed check.
pub mod buggy {
    use std::io;
    use std::net::{Shutdown, TcpStream};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Barrier};
    use std::thread;

    use crate::Error;

    /// A TCP connection with a background read loop.
    #[derive(Debug)]
    pub struct Conn {
        sock: TcpStream,
        closed: AtomicBool,
        read_loop_done: Barrier,
    }

    impl Conn {
        /// Starts the read loop on a clone of `sock`; it calls `on_data` with
        /// every chunk it reads.
        pub fn open(
            sock: TcpStream,
            mut on_data: impl FnMut(&[u8]) + Send + 'static,
        ) -> io::Result<Arc<Conn>> {
            let read_half = sock.try_clone()?;
            let conn = Arc::new(Conn {
                sock,
                closed: AtomicBool::new(false),
                read_loop_done: Barrier::new(2),
            });
            let reader = Arc::clone(&conn);
            thread::spawn(move || {
                super::read_until_end(read_half, &mut on_data);
                // Meet the closer, which waits for us to be gone.
                reader.read_loop_done.wait();
            });
            Ok(conn)
        }

        fn is_closed(&self) -> bool {
            self.closed.load(Ordering::Acquire)
        }

        fn wait_read_loop(&self) {
            self.read_loop_done.wait();
        }

        /// Closes the socket and waits for the read loop to leave.
        pub fn close_now(&self) -> Result<(), Error> {
            let _wait = scopeguard::guard((), |()| self.wait_read_loop()); //~ deferred_wait_before_closed_check
            if self.is_closed() {
                return Err(Error::Closed);
            }
            self.close_socket()
        }

        fn close_socket(&self) -> Result<(), Error> {
            if self.closed.swap(true, Ordering::AcqRel) {
                return Err(Error::Closed);
            }
            self.sock.shutdown(Shutdown::Both).map_err(Error::Io)
        }
    }
}

/// Fixed: claim with `swap` first; only the winner waits, by joining the read
/// loop's thread.
pub mod fixed {
    use std::io;
    use std::net::{Shutdown, TcpStream};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    use std::thread::{self, JoinHandle};

    use crate::Error;

    /// A TCP connection with a background read loop.
    #[derive(Debug)]
    pub struct Conn {
        sock: TcpStream,
        closed: AtomicBool,
        read_loop: Mutex<Option<JoinHandle<()>>>,
    }

    impl Conn {
        /// Starts the read loop on a clone of `sock`; it calls `on_data` with
        /// every chunk it reads, and ends by itself when the peer hangs up.
        pub fn open(
            sock: TcpStream,
            mut on_data: impl FnMut(&[u8]) + Send + 'static,
        ) -> io::Result<Arc<Conn>> {
            let read_half = sock.try_clone()?;
            let read_loop = thread::spawn(move || super::read_until_end(read_half, &mut on_data));
            Ok(Arc::new(Conn {
                sock,
                closed: AtomicBool::new(false),
                read_loop: Mutex::new(Some(read_loop)),
            }))
        }

        /// Joins the read loop's thread (once: later calls find the handle
        /// gone). `Error::Panicked` if `on_data` panicked.
        fn wait_read_loop(&self) -> Result<(), Error> {
            // Taken in its own statement: the lock is not held while joining.
            let read_loop = self.read_loop.lock().unwrap().take();
            match read_loop {
                Some(read_loop) => read_loop.join().map_err(|_| Error::Panicked),
                None => Ok(()),
            }
        }

        /// Closes the socket and waits for the read loop to leave. Exactly one
        /// caller does; the others get `Error::Closed` without waiting.
        /// `Error::Panicked` if the read loop had panicked (the socket is shut
        /// down all the same).
        pub fn close_now(&self) -> Result<(), Error> {
            if self.closed.swap(true, Ordering::AcqRel) {
                return Err(Error::Closed);
            }
            // Shutting the socket down ends a read in progress, so the join
            // below returns; a panicked read loop has already returned.
            let shut = self.sock.shutdown(Shutdown::Both).map_err(Error::Io);
            let joined = self.wait_read_loop();
            shut.and(joined)
        }
    }

    impl Drop for Conn {
        /// Dropping a connection nobody closed shuts the socket down, so the
        /// read loop ends by itself (nothing joins it any more).
        fn drop(&mut self) {
            if !*self.closed.get_mut() {
                self.sock.shutdown(Shutdown::Both).ok();
            }
        }
    }
}
