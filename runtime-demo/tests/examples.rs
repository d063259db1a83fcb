//! Each buggy example fails for real (a panic from the code itself, a hang
//! caught by a bounded wait, or a lost update) and each fixed one holds.
//!
//! No assertion here depends on timing: the tests order threads with
//! barriers, gates and channels, and every wait is bounded only so that a
//! regression fails instead of hanging (the bound never decides a pass).
//! Every thread the examples start ends by itself.
#![cfg(not(loom))]

use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, TryRecvError};
use std::sync::{Arc, Barrier, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use runtime_demo::examples::*;
use runtime_demo::Error;

/// Upper bound for anything that is expected to finish: only reached when a
/// test is about to fail.
const BOUND: Duration = Duration::from_secs(10);

fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let ours = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (theirs, _) = listener.accept().unwrap();
    (ours, theirs)
}

/// Receives up to `n` items, each within what is left until `deadline`.
fn recv_until<T>(rx: &mpsc::Receiver<T>, n: usize, deadline: Instant) -> Vec<T> {
    let mut got = Vec::new();
    while got.len() < n {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(item) => got.push(item),
            Err(_) => break,
        }
    }
    got
}

fn ok_count<T>(results: &[Result<T, Error>]) -> usize {
    results.iter().filter(|r| r.is_ok()).count()
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------
// deferred_wait_before_closed_check

/// What the parties of a `deferred_wait` connection report.
#[derive(Debug)]
enum Party {
    /// A `close_now` call returned this.
    Closer(Result<(), Error>),
    /// The read loop's thread ended (its `on_data` handler was dropped).
    ReaderGone,
}

/// Sends [`Party::ReaderGone`] when dropped.
struct GoneSignal(mpsc::Sender<Party>);

impl Drop for GoneSignal {
    fn drop(&mut self) {
        self.0.send(Party::ReaderGone).ok();
    }
}

/// An `on_data` handler that reports the read loop's end on `events`, and
/// panics when it reads a `!` (one byte: it cannot be split across reads).
fn watched_reader(events: mpsc::Sender<Party>) -> impl FnMut(&[u8]) + Send + 'static {
    let gone = GoneSignal(events);
    move |data: &[u8]| {
        let _keep = &gone;
        assert!(!data.contains(&b'!'), "on_data: the peer sent '!'");
    }
}

fn spawn_close_now<C: Send + Sync + 'static>(
    conn: &Arc<C>,
    close_now: fn(&C) -> Result<(), Error>,
    start: &Arc<Barrier>,
    events: &mpsc::Sender<Party>,
) {
    let (conn, start, events) = (conn.clone(), start.clone(), events.clone());
    thread::spawn(move || {
        start.wait();
        events.send(Party::Closer(close_now(&conn))).ok();
    });
}

#[test]
fn deferred_wait_buggy_two_concurrent_close_now_hang() {
    use deferred_wait_before_closed_check::buggy::Conn;
    let (ours, _peer) = tcp_pair();
    let (events_tx, events) = mpsc::channel();
    let conn = Conn::open(ours, watched_reader(events_tx.clone())).unwrap();
    let start = Arc::new(Barrier::new(2));
    for _ in 0..2 {
        spawn_close_now(&conn, Conn::close_now, &start, &events_tx);
    }

    // Three parties (two closers, the read loop) arrive at a barrier for two.
    // Each event below is sent by a party that has passed the barrier, so
    // once two have arrived the barrier's one generation is spent: the third
    // party is blocked for good, and its event cannot have been sent.
    let mut seen = recv_until(&events, 2, Instant::now() + BOUND);
    assert_eq!(seen.len(), 2, "two parties pass the barrier: {seen:?}");
    assert!(
        matches!(events.try_recv(), Err(TryRecvError::Empty)),
        "3 parties at a 2-party barrier: the third stays blocked"
    );
    eprintln!("deferred_wait buggy: passed the barrier: {seen:?}; the third party is blocked");

    // Cleanup: one more close_now (a loser, which also waits at the barrier)
    // pairs with the blocked party and releases it.
    spawn_close_now(
        &conn,
        Conn::close_now,
        &Arc::new(Barrier::new(1)),
        &events_tx,
    );
    seen.extend(recv_until(&events, 2, Instant::now() + BOUND));
    assert_eq!(
        seen.len(),
        4,
        "the extra close_now released the blocked party"
    );
    let closes: Vec<_> = seen
        .into_iter()
        .filter_map(|p| match p {
            Party::Closer(res) => Some(res),
            Party::ReaderGone => None,
        })
        .collect();
    assert_eq!(closes.len(), 3);
    assert_eq!(ok_count(&closes), 1);
}

#[test]
fn deferred_wait_fixed_concurrent_close_now_one_winner_no_hang() {
    use deferred_wait_before_closed_check::fixed::Conn;
    const CLOSERS: usize = 8;
    for _ in 0..20 {
        let (ours, _peer) = tcp_pair();
        let (events_tx, events) = mpsc::channel();
        let conn = Conn::open(ours, watched_reader(events_tx.clone())).unwrap();
        let start = Arc::new(Barrier::new(CLOSERS));
        for _ in 0..CLOSERS {
            spawn_close_now(&conn, Conn::close_now, &start, &events_tx);
        }
        let seen = recv_until(&events, CLOSERS + 1, Instant::now() + BOUND);
        assert_eq!(
            seen.len(),
            CLOSERS + 1,
            "every close_now returned: {seen:?}"
        );
        let mut closes = Vec::new();
        for (i, party) in seen.into_iter().enumerate() {
            match party {
                Party::Closer(res) => closes.push(res),
                // The winner joins the read loop before it returns, so the
                // read loop is gone before the winner's result arrives.
                Party::ReaderGone => assert!(ok_count(&closes) == 0 && i < CLOSERS),
            }
        }
        assert_eq!(ok_count(&closes), 1, "{closes:?}");
        assert!(closes
            .iter()
            .all(|r| matches!(r, Ok(()) | Err(Error::Closed))));
        // A later close returns at once too.
        assert!(matches!(conn.close_now(), Err(Error::Closed)));
    }
}

/// The peer hangs up and nobody ever calls `close_now`: the read loop must
/// end by itself instead of waiting for a closer that never comes.
#[test]
fn deferred_wait_fixed_read_loop_ends_when_peer_hangs_up_unclosed() {
    use deferred_wait_before_closed_check::fixed::Conn;
    let (ours, peer) = tcp_pair();
    let (events_tx, events) = mpsc::channel();
    let conn = Conn::open(ours, watched_reader(events_tx)).unwrap();
    drop(peer);
    let ended = events.recv_timeout(BOUND);
    assert!(
        matches!(ended, Ok(Party::ReaderGone)),
        "the read loop outlived the connection: {ended:?}"
    );
    // Closing afterwards still works, once, and does not wait on anyone.
    assert!(matches!(conn.close_now(), Ok(()) | Err(Error::Io(_))));
    assert!(matches!(conn.close_now(), Err(Error::Closed)));
}

/// `on_data` panics: the read loop ends without meeting anyone, and the
/// winning `close_now` reports the panic instead of hanging.
#[test]
fn deferred_wait_fixed_panicking_read_loop_does_not_hang_close() {
    use deferred_wait_before_closed_check::fixed::Conn;
    let (ours, mut peer) = tcp_pair();
    let (events_tx, events) = mpsc::channel();
    let conn = Conn::open(ours, watched_reader(events_tx.clone())).unwrap();
    peer.write_all(b"!").unwrap();
    let ended = events.recv_timeout(BOUND);
    assert!(matches!(ended, Ok(Party::ReaderGone)), "{ended:?}");

    spawn_close_now(
        &conn,
        Conn::close_now,
        &Arc::new(Barrier::new(1)),
        &events_tx,
    );
    let closed = events.recv_timeout(BOUND);
    assert!(
        matches!(closed, Ok(Party::Closer(Err(Error::Panicked)))),
        "close_now after the read loop panicked: {closed:?}"
    );
    assert!(matches!(conn.close_now(), Err(Error::Closed)));
}

/// A connection dropped without a close shuts its socket down, so the read
/// loop does not outlive it even though the peer stays connected.
#[test]
fn deferred_wait_fixed_dropped_conn_ends_its_read_loop() {
    use deferred_wait_before_closed_check::fixed::Conn;
    let (ours, _peer) = tcp_pair();
    let (events_tx, events) = mpsc::channel();
    let conn = Conn::open(ours, watched_reader(events_tx)).unwrap();
    drop(conn);
    let ended = events.recv_timeout(BOUND);
    assert!(matches!(ended, Ok(Party::ReaderGone)), "{ended:?}");
}

// ---------------------------------------------------------------------------
// closed_flag_check_then_set

/// Holds each closer inside `on_close` until the other closer has either
/// entered `on_close` too or returned from `close`: this forces the
/// interleaving where both closers run their check before either sets the
/// flag, without any sleep.
#[derive(Default)]
struct CloseRendezvous {
    /// (closers inside or past `on_close`, closers returned from `close`)
    counts: Mutex<(usize, usize)>,
    changed: Condvar,
}

impl CloseRendezvous {
    fn in_hook(&self) {
        let mut counts = self.counts.lock().unwrap();
        counts.0 += 1;
        self.changed.notify_all();
        let (_counts, waited) = self
            .changed
            .wait_timeout_while(counts, BOUND, |(hooked, returned)| *hooked + *returned < 2)
            .unwrap();
        assert!(
            !waited.timed_out(),
            "the other closer neither hooked nor returned"
        );
    }

    fn returned(&self) {
        self.counts.lock().unwrap().1 += 1;
        self.changed.notify_all();
    }

    fn hook_runs(&self) -> usize {
        self.counts.lock().unwrap().0
    }
}

/// Two closers race `close` with the rendezvous hook; returns their results,
/// the number of Close frames the peer got, and how often the hook ran.
fn race_two_closers<C: Send + Sync + 'static>(
    make: impl FnOnce(mpsc::Sender<closed_flag_check_then_set::Frame>, Box<dyn Fn() + Send + Sync>) -> C,
    close: fn(&C) -> Result<(), Error>,
) -> (Vec<Result<(), Error>>, usize, usize) {
    use closed_flag_check_then_set::Frame;
    let (peer, frames) = mpsc::channel();
    let rendezvous = Arc::new(CloseRendezvous::default());
    let hook = rendezvous.clone();
    let conn = Arc::new(make(peer, Box::new(move || hook.in_hook())));
    let closers: Vec<_> = (0..2)
        .map(|_| {
            let (conn, rendezvous) = (conn.clone(), rendezvous.clone());
            thread::spawn(move || {
                let res = close(&conn);
                rendezvous.returned();
                res
            })
        })
        .collect();
    let results: Vec<_> = closers.into_iter().map(|c| c.join().unwrap()).collect();
    drop(conn);
    let close_frames = frames.iter().filter(|f| *f == Frame::Close).count();
    (results, close_frames, rendezvous.hook_runs())
}

#[test]
fn check_then_set_buggy_close_effect_runs_twice() {
    use closed_flag_check_then_set::buggy::Conn;
    let (results, frames, hooks) = race_two_closers(Conn::new, Conn::close);
    eprintln!(
        "check_then_set buggy: {frames} Close frames sent, on_close ran {hooks} times, {} \
         callers got Ok",
        ok_count(&results)
    );
    assert_eq!((frames, hooks, ok_count(&results)), (2, 2, 2));
}

#[test]
fn check_then_set_fixed_close_effect_runs_once() {
    use closed_flag_check_then_set::fixed::Conn;
    for _ in 0..50 {
        let (results, frames, hooks) = race_two_closers(Conn::new, Conn::close);
        assert_eq!((frames, hooks, ok_count(&results)), (1, 1, 1));
        assert!(results.iter().any(|r| matches!(r, Err(Error::Closed))));
    }
}

/// Senders hammer `send` while `close` runs: no data frame may follow the
/// Close frame, and every `send` that returned `Ok` was delivered before it.
#[test]
fn check_then_set_fixed_no_data_after_close_frame() {
    use closed_flag_check_then_set::{fixed::Conn, Frame};
    const ROUNDS: u32 = 300;
    const SENDERS: u32 = 4;
    for round in 0..ROUNDS {
        let (peer, frames) = mpsc::channel();
        let conn = Arc::new(Conn::new(peer, || {}));
        let sent = Arc::new(AtomicUsize::new(0));
        let start = Arc::new(Barrier::new(SENDERS as usize + 1));
        let senders: Vec<_> = (0..SENDERS)
            .map(|s| {
                let (conn, sent, start) = (conn.clone(), sent.clone(), start.clone());
                thread::spawn(move || {
                    start.wait();
                    let mut ok = 0u32;
                    while conn.send(s << 24 | ok).is_ok() {
                        ok += 1;
                        sent.fetch_add(1, Ordering::Relaxed);
                        assert!(ok < 1 << 24, "send never saw the close");
                    }
                    ok
                })
            })
            .collect();
        start.wait();
        // Close once the senders are under way (a round-dependent amount in).
        let threshold = (round % 16) as usize;
        while sent.load(Ordering::Relaxed) < threshold {
            thread::yield_now();
        }
        conn.close().unwrap();
        let oks: u32 = senders.into_iter().map(|s| s.join().unwrap()).sum();
        drop(conn);
        let frames: Vec<Frame> = frames.iter().collect();
        let close_at = frames.iter().position(|f| *f == Frame::Close);
        assert_eq!(
            close_at,
            Some(frames.len() - 1),
            "round {round}: a data frame followed the Close frame ({} frames)",
            frames.len()
        );
        assert_eq!(
            frames.len() - 1,
            oks as usize,
            "round {round}: Ok sends != data frames"
        );
    }
}

// ---------------------------------------------------------------------------
// non_idempotent_close

#[test]
fn non_idempotent_buggy_second_close_panics() {
    use non_idempotent_close::buggy::Worker;
    let worker = Worker::start();
    for job in [1, 2, 3] {
        worker.submit(job).unwrap();
    }
    assert_eq!(worker.close(), 6, "close waits for the queued jobs");
    let second = panic::catch_unwind(AssertUnwindSafe(|| worker.close()));
    let payload = second.expect_err("the second close panics");
    let message = panic_message(payload.as_ref());
    eprintln!("non_idempotent buggy: second close panicked: {message}");
    assert!(message.contains("None"), "{message}");

    // Two concurrent closes: one of the two threads panics.
    let worker = Arc::new(Worker::start());
    let closers: Vec<_> = (0..2)
        .map(|_| {
            let worker = worker.clone();
            thread::spawn(move || worker.close())
        })
        .collect();
    let panicked = closers
        .into_iter()
        .map(|c| c.join())
        .filter(Result::is_err)
        .count();
    assert_eq!(panicked, 1);
}

#[test]
fn non_idempotent_fixed_second_close_reports_closed() {
    use non_idempotent_close::fixed::Worker;
    let worker = Worker::start();
    for job in [1, 2, 3] {
        worker.submit(job).unwrap();
    }
    assert_eq!(
        worker.close().unwrap(),
        6,
        "close waits for the queued jobs"
    );
    assert!(matches!(worker.close(), Err(Error::Closed)));
    assert!(matches!(worker.submit(4), Err(Error::Closed)));

    let worker = Arc::new(Worker::start());
    let closers: Vec<_> = (0..2)
        .map(|_| {
            let worker = worker.clone();
            thread::spawn(move || worker.close())
        })
        .collect();
    let results: Vec<_> = closers.into_iter().map(|c| c.join().unwrap()).collect();
    assert_eq!(ok_count(&results), 1);
    assert_eq!(
        results
            .iter()
            .filter(|r| matches!(r, Err(Error::Closed)))
            .count(),
        1
    );
}

// ---------------------------------------------------------------------------
// blocking_wait_in_async

const BUFFERS: usize = 10;

/// A "disk" whose every write must be granted by [`disk_controller`], an
/// async task on the test's runtime: a write can only complete while that
/// runtime is free to run the controller. A write that gets no grant within
/// `patience` fails (so a stalled runtime shows up as a failed write, not a
/// hung test).
struct GrantedDisk {
    ask: tokio::sync::mpsc::UnboundedSender<mpsc::Sender<()>>,
    patience: Duration,
}

impl Write for GrantedDisk {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let (grant_tx, grant) = mpsc::channel();
        self.ask
            .send(grant_tx)
            .map_err(|_| io::Error::other("the disk controller is gone"))?;
        grant
            .recv_timeout(self.patience)
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no grant: runtime stalled"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Grants every write the disk asks for, as long as the runtime polls it.
fn disk_controller(patience: Duration) -> (GrantedDisk, tokio::task::JoinHandle<usize>) {
    let (ask, mut asks) = tokio::sync::mpsc::unbounded_channel::<mpsc::Sender<()>>();
    let controller = tokio::spawn(async move {
        let mut granted = 0;
        while let Some(grant) = asks.recv().await {
            if grant.send(()).is_ok() {
                granted += 1;
            }
        }
        granted
    });
    (GrantedDisk { ask, patience }, controller)
}

#[tokio::test(flavor = "current_thread")]
async fn blocking_wait_buggy_join_stalls_the_runtime() {
    use blocking_wait_in_async::buggy::Flusher;
    // The patience only bounds how long the stalled write waits; no grant
    // can come while `join()` holds the runtime's only thread, however long.
    let (disk, controller) = disk_controller(Duration::from_millis(200));
    let flusher = Flusher::start(disk);
    for _ in 0..BUFFERS {
        flusher.push(vec![0; 100]).unwrap();
    }
    let written = flusher.shutdown().await;
    eprintln!(
        "blocking_wait buggy: shutdown returned {written} bytes written: the disk controller \
         task never ran while join() held the runtime thread"
    );
    assert_eq!(written, 0, "no write was granted during the join");
    let granted = tokio::time::timeout(BOUND, controller)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(granted, 0, "the grant came only after shutdown returned");
}

#[tokio::test(flavor = "current_thread")]
async fn blocking_wait_fixed_runtime_keeps_running() {
    use blocking_wait_in_async::fixed::Flusher;
    let (disk, controller) = disk_controller(BOUND);
    let flusher = Flusher::start(disk);
    for _ in 0..BUFFERS {
        flusher.push(vec![0; 100]).unwrap();
    }
    let written = tokio::time::timeout(BOUND, flusher.shutdown())
        .await
        .unwrap();
    assert_eq!(
        written,
        BUFFERS * 100,
        "every write was granted during shutdown"
    );
    let granted = tokio::time::timeout(BOUND, controller)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(granted, BUFFERS);
}

// ---------------------------------------------------------------------------
// wait_while_holding_lock

const JOBS: u32 = 20;

#[test]
fn wait_holding_lock_buggy_shutdown_deadlocks_until_grace() {
    use wait_while_holding_lock::buggy::Service;
    let service = Service::start();
    for job in 0..JOBS {
        service.submit(job).unwrap();
    }
    // The grace only bounds the deadlock: the worker needs the lock that
    // shutdown holds while it waits, even to learn that it should stop, so no
    // grace is long enough.
    let grace = Duration::from_millis(100);
    let (done_tx, done) = mpsc::channel();
    thread::spawn(move || {
        done_tx.send(service.shutdown(grace)).ok();
    });
    let outcome = done
        .recv_timeout(BOUND)
        .expect("shutdown's wait is bounded");
    eprintln!("wait_holding_lock buggy: shutdown with {JOBS} jobs queued: {outcome:?}");
    assert!(matches!(outcome, Err(Error::Timeout)), "{outcome:?}");
}

#[test]
fn wait_holding_lock_fixed_shutdown_drains_the_queue() {
    use wait_while_holding_lock::fixed::Service;
    let service = Service::start();
    for job in 0..JOBS {
        service.submit(job).unwrap();
    }
    let (done_tx, done) = mpsc::channel();
    thread::spawn(move || {
        done_tx.send(service.shutdown(BOUND)).ok();
    });
    let outcome = done.recv_timeout(BOUND * 2).expect("shutdown returns");
    assert_eq!(outcome.unwrap(), (0..JOBS).collect::<Vec<_>>());
}

// ---------------------------------------------------------------------------
// wait_guard_dropped_immediately

#[test]
fn dropped_guard_buggy_waits_before_the_work() {
    use wait_guard_dropped_immediately::{buggy::Pool, Event};
    // The jobs cannot finish until the test releases `gate`.
    let gate = Arc::new(Mutex::new(()));
    let held = gate.lock().unwrap();
    let pool = Pool::new();
    let job_gate = gate.clone();
    pool.run_all(&[1, 2, 3], Arc::new(move |_| drop(job_gate.lock())));
    let at_return = pool.events();
    drop(held);
    eprintln!("dropped_guard buggy: events when run_all returned: {at_return:?}");
    assert_eq!(
        at_return,
        [
            Event::WaitReturned,
            Event::Spawned(1),
            Event::Spawned(2),
            Event::Spawned(3)
        ],
        "the wait ran before any job was spawned, and run_all returned with every job unfinished"
    );
    // The jobs were left running; they still finish by themselves.
    assert!(pool.wait_idle_timeout(BOUND));
}

#[test]
fn dropped_guard_fixed_waits_at_end_of_scope() {
    use wait_guard_dropped_immediately::{fixed::Pool, Event};
    let pool = Pool::new();
    let ran = Arc::new(AtomicUsize::new(0));
    let counter = ran.clone();
    pool.run_all(
        &[1, 2, 3],
        Arc::new(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
        }),
    );
    assert_eq!(
        ran.load(Ordering::SeqCst),
        3,
        "every job ran before run_all returned"
    );
    let at_return = pool.events();
    assert_eq!(at_return.len(), 7, "{at_return:?}");
    assert_eq!(at_return.last(), Some(&Event::WaitReturned));
    let finished = at_return
        .iter()
        .filter(|e| matches!(e, Event::Finished(_)))
        .count();
    assert_eq!(finished, 3);
    assert!(pool.wait_idle_timeout(Duration::ZERO));
}
