//! `condvar_wait_without_loop`: a close signal with one `Condvar` for two
//! conditions. `wait_closed` waits for `closed`; `ack` sets `acked` and
//! notifies the closer that waits for that acknowledgement. The buggy
//! `wait_closed` tests `closed` once, with an `if`: the notify meant for the
//! closer (or a spurious wakeup) wakes it too, and it returns as if the
//! connection were closed while `closed` is still false.
//!
//! The fix re-tests the condition after every wakeup, in a `while` loop.
//!
//! `on_park` installs a probe that a waiter signals (under the lock, just
//! before it waits): a test that then takes the lock knows the waiter is
//! parked in `wait`, without sleeping.

use std::sync::mpsc::Sender;

/// The state behind the lock, shared by both forms.
#[derive(Debug, Default)]
pub struct State {
    closed: bool,
    acked: bool,
    park_probe: Option<Sender<()>>,
}

impl State {
    /// Tells the probe (if any) that a waiter is about to wait.
    fn parking(&self) {
        if let Some(p) = &self.park_probe {
            let _ = p.send(());
        }
    }
}

/// Buggy: `wait_closed` tests `closed` with an `if`.
pub mod buggy {
    use std::sync::mpsc::Sender;
    use std::sync::{Condvar, Mutex};

    use super::State;

    /// Closed and acknowledged, behind one lock and one condvar.
    #[derive(Debug, Default)]
    pub struct CloseSignal {
        state: Mutex<State>,
        changed: Condvar,
    }

    impl CloseSignal {
        /// Open and unacknowledged.
        pub fn new() -> Self {
            Self::default()
        }

        /// Signals `probe` each time a waiter is about to wait.
        pub fn on_park(&self, probe: Sender<()>) {
            self.state.lock().unwrap().park_probe = Some(probe);
        }

        /// Marks the connection closed and wakes the waiters.
        pub fn close(&self) {
            self.state.lock().unwrap().closed = true;
            self.changed.notify_all();
        }

        /// Acknowledges the close request (for `wait_acked`).
        pub fn ack(&self) {
            self.state.lock().unwrap().acked = true;
            self.changed.notify_all();
        }

        /// Waits for `ack`.
        pub fn wait_acked(&self) {
            let mut st = self.state.lock().unwrap();
            while !st.acked {
                st.parking();
                st = self.changed.wait(st).unwrap();
            }
        }

        /// Waits until the connection is closed; returns what it saw.
        pub fn wait_closed(&self) -> bool {
            let mut st = self.state.lock().unwrap();
            if !st.closed {
                st.parking();
                st = self.changed.wait(st).unwrap(); //~ condvar_wait_without_loop
            }
            st.closed
        }
    }
}

/// Fixed: `wait_closed` re-tests `closed` after every wakeup.
pub mod fixed {
    use std::sync::mpsc::Sender;
    use std::sync::{Condvar, Mutex};

    use super::State;

    /// Closed and acknowledged, behind one lock and one condvar.
    #[derive(Debug, Default)]
    pub struct CloseSignal {
        state: Mutex<State>,
        changed: Condvar,
    }

    impl CloseSignal {
        /// Open and unacknowledged.
        pub fn new() -> Self {
            Self::default()
        }

        /// Signals `probe` each time a waiter is about to wait.
        pub fn on_park(&self, probe: Sender<()>) {
            self.state.lock().unwrap().park_probe = Some(probe);
        }

        /// Marks the connection closed and wakes the waiters.
        pub fn close(&self) {
            self.state.lock().unwrap().closed = true;
            self.changed.notify_all();
        }

        /// Acknowledges the close request (for `wait_acked`).
        pub fn ack(&self) {
            self.state.lock().unwrap().acked = true;
            self.changed.notify_all();
        }

        /// Waits for `ack`.
        pub fn wait_acked(&self) {
            let mut st = self.state.lock().unwrap();
            while !st.acked {
                st.parking();
                st = self.changed.wait(st).unwrap();
            }
        }

        /// Waits until the connection is closed; returns what it saw.
        pub fn wait_closed(&self) -> bool {
            let mut st = self.state.lock().unwrap();
            while !st.closed {
                st.parking();
                st = self.changed.wait(st).unwrap();
            }
            st.closed
        }
    }
}
