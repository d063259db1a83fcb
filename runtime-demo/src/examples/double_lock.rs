//! `double_lock`: a session registry whose `close_idle` locks the session
//! table and, still holding that guard, asks `self.open_count()` whether it
//! may close one more session. `open_count` locks the same table. std's
//! `Mutex` is not reentrant: the closing thread waits for its own guard and
//! never returns, and every other user of the registry hangs behind it.
//!
//! The fix reads the count through the guard it already holds.

/// Buggy: calls a method that locks the table while holding its guard.
pub mod buggy {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    /// Open sessions by id, each marked idle or busy.
    #[derive(Debug, Default)]
    pub struct Registry {
        sessions: Mutex<BTreeMap<u32, bool>>,
    }

    impl Registry {
        /// An empty registry.
        pub fn new() -> Self {
            Self::default()
        }

        /// Adds a session.
        pub fn add(&self, id: u32, idle: bool) {
            self.sessions.lock().unwrap().insert(id, idle);
        }

        /// How many sessions are open.
        pub fn open_count(&self) -> usize {
            self.sessions.lock().unwrap().len()
        }

        /// Closes idle sessions, keeping at least `min_open` open; returns
        /// how many it closed.
        pub fn close_idle(&self, min_open: usize) -> usize {
            let mut sessions = self.sessions.lock().unwrap();
            let idle: Vec<u32> = sessions
                .iter()
                .filter(|(_, idle)| **idle)
                .map(|(id, _)| *id)
                .collect();
            let mut closed = 0;
            for id in idle {
                let open = self.open_count(); //~ double_lock
                if open <= min_open {
                    break;
                }
                sessions.remove(&id);
                closed += 1;
            }
            closed
        }
    }
}

/// Fixed: the count comes from the guard already held.
pub mod fixed {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    /// Open sessions by id, each marked idle or busy.
    #[derive(Debug, Default)]
    pub struct Registry {
        sessions: Mutex<BTreeMap<u32, bool>>,
    }

    impl Registry {
        /// An empty registry.
        pub fn new() -> Self {
            Self::default()
        }

        /// Adds a session.
        pub fn add(&self, id: u32, idle: bool) {
            self.sessions.lock().unwrap().insert(id, idle);
        }

        /// How many sessions are open.
        pub fn open_count(&self) -> usize {
            self.sessions.lock().unwrap().len()
        }

        /// Closes idle sessions, keeping at least `min_open` open; returns
        /// how many it closed.
        pub fn close_idle(&self, min_open: usize) -> usize {
            let mut sessions = self.sessions.lock().unwrap();
            let idle: Vec<u32> = sessions
                .iter()
                .filter(|(_, idle)| **idle)
                .map(|(id, _)| *id)
                .collect();
            let mut closed = 0;
            for id in idle {
                let open = sessions.len();
                if open <= min_open {
                    break;
                }
                sessions.remove(&id);
                closed += 1;
            }
            closed
        }
    }
}
