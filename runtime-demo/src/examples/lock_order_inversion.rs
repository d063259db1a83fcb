//! `lock_order_inversion`: a connection hub with two locks, the connection
//! list and the traffic counters. `broadcast` locks the list, then the
//! counters; `report` locks the counters, then the list. Two threads running
//! one each can each hold their first lock and wait for the other's forever.
//!
//! The fix takes the locks in one order everywhere: the list, then the
//! counters.
//!
//! `between` runs while only the first lock is held: the tests use it to line
//! the two threads up (a barrier) at the point where the orders collide.

/// Traffic counters.
#[derive(Debug, Default)]
pub struct Stats {
    sent: u64,
}

/// Buggy: `broadcast` and `report` take the two locks in opposite orders.
pub mod buggy {
    use std::sync::Mutex;

    use super::Stats;

    /// Open connections (by id) and traffic counters.
    #[derive(Debug, Default)]
    pub struct Hub {
        conns: Mutex<Vec<u32>>,
        stats: Mutex<Stats>,
    }

    impl Hub {
        /// A hub with these connections.
        pub fn new(conns: Vec<u32>) -> Self {
            Self {
                conns: Mutex::new(conns),
                stats: Mutex::default(),
            }
        }

        /// Sends one message to every connection and counts them; returns
        /// the messages sent so far.
        pub fn broadcast_with(&self, between: impl FnOnce()) -> u64 {
            let conns = self.conns.lock().unwrap();
            between();
            let mut stats = self.stats.lock().unwrap();
            stats.sent += conns.len() as u64;
            stats.sent
        }

        /// `broadcast_with` with nothing in between.
        pub fn broadcast(&self) -> u64 {
            self.broadcast_with(|| {})
        }

        /// The messages sent so far and the open connections.
        pub fn report_with(&self, between: impl FnOnce()) -> (u64, usize) {
            let stats = self.stats.lock().unwrap();
            between();
            let conns = self.conns.lock().unwrap(); //~ lock_order_inversion
            (stats.sent, conns.len())
        }

        /// `report_with` with nothing in between.
        pub fn report(&self) -> (u64, usize) {
            self.report_with(|| {})
        }
    }
}

/// Fixed: both take the connection list first, then the counters.
pub mod fixed {
    use std::sync::Mutex;

    use super::Stats;

    /// Open connections (by id) and traffic counters.
    #[derive(Debug, Default)]
    pub struct Hub {
        conns: Mutex<Vec<u32>>,
        stats: Mutex<Stats>,
    }

    impl Hub {
        /// A hub with these connections.
        pub fn new(conns: Vec<u32>) -> Self {
            Self {
                conns: Mutex::new(conns),
                stats: Mutex::default(),
            }
        }

        /// Sends one message to every connection and counts them; returns
        /// the messages sent so far.
        pub fn broadcast_with(&self, between: impl FnOnce()) -> u64 {
            let conns = self.conns.lock().unwrap();
            between();
            let mut stats = self.stats.lock().unwrap();
            stats.sent += conns.len() as u64;
            stats.sent
        }

        /// `broadcast_with` with nothing in between.
        pub fn broadcast(&self) -> u64 {
            self.broadcast_with(|| {})
        }

        /// The messages sent so far and the open connections.
        pub fn report_with(&self, between: impl FnOnce()) -> (u64, usize) {
            let conns = self.conns.lock().unwrap();
            between();
            let stats = self.stats.lock().unwrap();
            (stats.sent, conns.len())
        }

        /// `report_with` with nothing in between.
        pub fn report(&self) -> (u64, usize) {
            self.report_with(|| {})
        }
    }
}
