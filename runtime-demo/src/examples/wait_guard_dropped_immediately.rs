//! `wait_guard_dropped_immediately`: `let _ = scopeguard::guard(..)` meant to
//! wait for the spawned jobs at the end of the function. `let _` does not bind,
//! so the guard is dropped on that very line: the wait runs before any job has
//! been spawned, returns at once, and the function returns while the jobs are
//! still running.
//!
//! The fix binds the guard to a name (`_guard`), so it lives to the end of the
//! scope.

/// The work run for each job.
pub type Work = std::sync::Arc<dyn Fn(u32) + Send + Sync>;

/// What happened, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A job was handed to its thread.
    Spawned(u32),
    /// A job finished.
    Finished(u32),
    /// The wait for all jobs returned.
    WaitReturned,
}

/// Buggy: the wait guard is dropped where it is created.
pub mod buggy {
    use std::sync::{Arc, Condvar, Mutex};
    use std::thread;
    use std::time::Duration;

    use super::{Event, Work};

    /// Runs jobs on threads and records what happened.
    #[derive(Debug, Default)]
    pub struct Pool {
        in_flight: Mutex<usize>,
        idle: Condvar,
        log: Mutex<Vec<Event>>,
    }

    impl Pool {
        /// An empty pool.
        pub fn new() -> Arc<Self> {
            Arc::new(Self::default())
        }

        /// Everything recorded so far.
        pub fn events(&self) -> Vec<Event> {
            self.log.lock().unwrap().clone()
        }

        /// Waits up to `timeout` for every job to finish; true if they did.
        pub fn wait_idle_timeout(&self, timeout: Duration) -> bool {
            let in_flight = self.in_flight.lock().unwrap();
            let (_in_flight, waited) = self
                .idle
                .wait_timeout_while(in_flight, timeout, |n| *n > 0)
                .unwrap();
            !waited.timed_out()
        }

        /// Runs `work(job)` for every job, each on its own thread; returns
        /// once all have finished.
        pub fn run_all(self: &Arc<Self>, jobs: &[u32], work: Work) {
            let _ = scopeguard::guard((), |()| self.wait_idle()); //~ wait_guard_dropped_immediately
            for &job in jobs {
                self.spawn(job, Arc::clone(&work));
            }
        }

        fn spawn(self: &Arc<Self>, job: u32, work: Work) {
            *self.in_flight.lock().unwrap() += 1;
            self.record(Event::Spawned(job));
            let pool = Arc::clone(self);
            thread::spawn(move || {
                work(job);
                pool.record(Event::Finished(job));
                pool.finish_one();
            });
        }

        fn finish_one(&self) {
            let mut in_flight = self.in_flight.lock().unwrap();
            *in_flight -= 1;
            if *in_flight == 0 {
                self.idle.notify_all();
            }
        }

        fn wait_idle(&self) {
            let in_flight = self.in_flight.lock().unwrap();
            drop(self.idle.wait_while(in_flight, |n| *n > 0).unwrap());
            self.record(Event::WaitReturned);
        }

        fn record(&self, event: Event) {
            self.log.lock().unwrap().push(event);
        }
    }
}

/// Fixed: the guard is bound to `_guard` and waits at the end of the scope.
pub mod fixed {
    use std::sync::{Arc, Condvar, Mutex};
    use std::thread;
    use std::time::Duration;

    use super::{Event, Work};

    /// Runs jobs on threads and records what happened.
    #[derive(Debug, Default)]
    pub struct Pool {
        in_flight: Mutex<usize>,
        idle: Condvar,
        log: Mutex<Vec<Event>>,
    }

    impl Pool {
        /// An empty pool.
        pub fn new() -> Arc<Self> {
            Arc::new(Self::default())
        }

        /// Everything recorded so far.
        pub fn events(&self) -> Vec<Event> {
            self.log.lock().unwrap().clone()
        }

        /// Waits up to `timeout` for every job to finish; true if they did.
        pub fn wait_idle_timeout(&self, timeout: Duration) -> bool {
            let in_flight = self.in_flight.lock().unwrap();
            let (_in_flight, waited) = self
                .idle
                .wait_timeout_while(in_flight, timeout, |n| *n > 0)
                .unwrap();
            !waited.timed_out()
        }

        /// Runs `work(job)` for every job, each on its own thread; returns
        /// once all have finished.
        pub fn run_all(self: &Arc<Self>, jobs: &[u32], work: Work) {
            let _guard = scopeguard::guard((), |()| self.wait_idle());
            for &job in jobs {
                self.spawn(job, Arc::clone(&work));
            }
        }

        fn spawn(self: &Arc<Self>, job: u32, work: Work) {
            *self.in_flight.lock().unwrap() += 1;
            self.record(Event::Spawned(job));
            let pool = Arc::clone(self);
            thread::spawn(move || {
                work(job);
                pool.record(Event::Finished(job));
                pool.finish_one();
            });
        }

        fn finish_one(&self) {
            let mut in_flight = self.in_flight.lock().unwrap();
            *in_flight -= 1;
            if *in_flight == 0 {
                self.idle.notify_all();
            }
        }

        fn wait_idle(&self) {
            let in_flight = self.in_flight.lock().unwrap();
            drop(self.idle.wait_while(in_flight, |n| *n > 0).unwrap());
            self.record(Event::WaitReturned);
        }

        fn record(&self, event: Event) {
            self.log.lock().unwrap().push(event);
        }
    }
}
