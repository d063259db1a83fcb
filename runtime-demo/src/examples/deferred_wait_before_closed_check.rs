//! `deferred_wait_before_closed_check`: the original bug (coder/websocket
//! issue 437, `defer c.wg.Wait()` before `if c.isClosed() { return
//! net.ErrClosed }`), in Rust.
//!
//! A connection with a read-loop thread. `close_now` shuts the socket down and
//! then waits for the read loop to leave, meeting it at a two-party
//! [`Barrier`]. In the buggy form the wait is armed *before* the closed check,
//! so a caller that finds the connection already closed still waits at the
//! barrier. With two concurrent `close_now` calls three parties arrive at a
//! barrier for two: one of them (a closer or the read loop) hangs.
//!
//! The fix claims close ownership with `swap` first and only the winner arms
//! the wait.

/// Buggy: the wait guard is armed before the closed check.
pub mod buggy {
    use std::io::{self, Read};
    use std::net::{Shutdown, TcpStream};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{Arc, Barrier};
    use std::thread;

    use crate::Error;

    /// A TCP connection with a background read loop.
    #[derive(Debug)]
    pub struct Conn {
        sock: TcpStream,
        closed: AtomicBool,
        read_loop_done: Barrier,
        read_loop_exited: AtomicBool,
        received: AtomicUsize,
    }

    impl Conn {
        /// Starts the read loop on a clone of `sock`.
        pub fn open(sock: TcpStream) -> io::Result<Arc<Conn>> {
            let read_half = sock.try_clone()?;
            let conn = Arc::new(Conn {
                sock,
                closed: AtomicBool::new(false),
                read_loop_done: Barrier::new(2),
                read_loop_exited: AtomicBool::new(false),
                received: AtomicUsize::new(0),
            });
            let reader = Arc::clone(&conn);
            thread::spawn(move || reader.read_loop(read_half));
            Ok(conn)
        }

        fn read_loop(&self, mut sock: TcpStream) {
            let mut buf = [0u8; 1024];
            while let Ok(n @ 1..) = sock.read(&mut buf) {
                self.received.fetch_add(n, Ordering::Relaxed);
            }
            // Meet the closer, which waits for us to be gone.
            self.read_loop_done.wait();
            self.read_loop_exited.store(true, Ordering::Release);
        }

        /// Bytes received so far.
        pub fn received(&self) -> usize {
            self.received.load(Ordering::Relaxed)
        }

        /// True once the read loop has returned.
        pub fn read_loop_exited(&self) -> bool {
            self.read_loop_exited.load(Ordering::Acquire)
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

/// Fixed: claim with `swap` first, then arm the wait; losers never wait.
pub mod fixed {
    use std::io::{self, Read};
    use std::net::{Shutdown, TcpStream};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{Arc, Barrier};
    use std::thread;

    use crate::Error;

    /// A TCP connection with a background read loop.
    #[derive(Debug)]
    pub struct Conn {
        sock: TcpStream,
        closed: AtomicBool,
        read_loop_done: Barrier,
        read_loop_exited: AtomicBool,
        received: AtomicUsize,
    }

    impl Conn {
        /// Starts the read loop on a clone of `sock`.
        pub fn open(sock: TcpStream) -> io::Result<Arc<Conn>> {
            let read_half = sock.try_clone()?;
            let conn = Arc::new(Conn {
                sock,
                closed: AtomicBool::new(false),
                read_loop_done: Barrier::new(2),
                read_loop_exited: AtomicBool::new(false),
                received: AtomicUsize::new(0),
            });
            let reader = Arc::clone(&conn);
            thread::spawn(move || reader.read_loop(read_half));
            Ok(conn)
        }

        fn read_loop(&self, mut sock: TcpStream) {
            let mut buf = [0u8; 1024];
            while let Ok(n @ 1..) = sock.read(&mut buf) {
                self.received.fetch_add(n, Ordering::Relaxed);
            }
            // Meet the closer, which waits for us to be gone.
            self.read_loop_done.wait();
            self.read_loop_exited.store(true, Ordering::Release);
        }

        /// Bytes received so far.
        pub fn received(&self) -> usize {
            self.received.load(Ordering::Relaxed)
        }

        /// True once the read loop has returned.
        pub fn read_loop_exited(&self) -> bool {
            self.read_loop_exited.load(Ordering::Acquire)
        }

        fn wait_read_loop(&self) {
            self.read_loop_done.wait();
        }

        /// Closes the socket and waits for the read loop to leave. Exactly one
        /// caller does; the others get `Error::Closed` without waiting.
        pub fn close_now(&self) -> Result<(), Error> {
            if self.closed.swap(true, Ordering::AcqRel) {
                return Err(Error::Closed);
            }
            let _wait = scopeguard::guard((), |()| self.wait_read_loop());
            self.sock.shutdown(Shutdown::Both).map_err(Error::Io)
        }
    }
}
