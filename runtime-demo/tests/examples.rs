//! Each buggy example fails for real (a panic from the code itself, a hang
//! caught by a bounded wait, or a lost update) and each fixed one holds.
//! Every wait in this harness is bounded, and every thread the examples start
//! ends by itself.
#![cfg(not(loom))]

use std::net::{TcpListener, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use runtime_demo::examples::*;
use runtime_demo::Error;

/// Upper bound for anything that is expected to finish.
const BOUND: Duration = Duration::from_secs(5);

fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let ours = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (theirs, _) = listener.accept().unwrap();
    (ours, theirs)
}

/// Polls `done` until it is true or `deadline` passes.
fn eventually(deadline: Instant, done: impl Fn() -> bool) -> bool {
    while !done() {
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(1));
    }
    true
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

fn ok_count(results: &[Result<(), Error>]) -> usize {
    results.iter().filter(|r| r.is_ok()).count()
}

// ---------------------------------------------------------------------------
// deferred_wait_before_closed_check

#[test]
fn deferred_wait_buggy_two_concurrent_close_now_hang() {
    use deferred_wait_before_closed_check::buggy::Conn;
    let (ours, _peer) = tcp_pair();
    let conn = Conn::open(ours).unwrap();
    let (results_tx, results) = mpsc::channel();
    let start = Arc::new(Barrier::new(2));
    for _ in 0..2 {
        let (conn, start, results_tx) = (conn.clone(), start.clone(), results_tx.clone());
        thread::spawn(move || {
            start.wait();
            results_tx.send(conn.close_now()).ok();
        });
    }

    // Both closers and the read loop wait at the two-party barrier: the
    // loser's wait was armed before it found the connection closed.
    let deadline = Instant::now() + Duration::from_millis(500);
    let mut finished = recv_until(&results, 2, deadline);
    let reader_exited = eventually(deadline, || conn.read_loop_exited());
    let hung = (2 - finished.len()) + usize::from(!reader_exited);
    assert_eq!(
        hung, 1,
        "3 parties at a 2-party barrier: one of them must still be blocked after 500 ms"
    );
    eprintln!(
        "deferred_wait buggy: after 500 ms {} of 2 close_now calls returned, read loop exited: \
         {reader_exited}",
        finished.len()
    );

    // Bounded cleanup: one more close_now (a loser, which also waits at the
    // barrier) pairs with the blocked party and releases it.
    let releaser = conn.clone();
    let results_tx2 = results_tx.clone();
    thread::spawn(move || {
        results_tx2.send(releaser.close_now()).ok();
    });
    let deadline = Instant::now() + BOUND;
    finished.extend(recv_until(&results, 3 - finished.len(), deadline));
    assert_eq!(
        finished.len(),
        3,
        "the extra close_now released the blocked party"
    );
    assert!(eventually(deadline, || conn.read_loop_exited()));
    assert_eq!(ok_count(&finished), 1);
}

#[test]
fn deferred_wait_fixed_concurrent_close_now_one_winner_no_hang() {
    use deferred_wait_before_closed_check::fixed::Conn;
    const CLOSERS: usize = 8;
    for _ in 0..20 {
        let (ours, _peer) = tcp_pair();
        let conn = Conn::open(ours).unwrap();
        let (results_tx, results) = mpsc::channel();
        let start = Arc::new(Barrier::new(CLOSERS));
        for _ in 0..CLOSERS {
            let (conn, start, results_tx) = (conn.clone(), start.clone(), results_tx.clone());
            thread::spawn(move || {
                start.wait();
                results_tx.send(conn.close_now()).ok();
            });
        }
        let deadline = Instant::now() + BOUND;
        let finished = recv_until(&results, CLOSERS, deadline);
        assert_eq!(finished.len(), CLOSERS, "every close_now returned");
        assert_eq!(ok_count(&finished), 1);
        assert!(finished
            .iter()
            .all(|r| matches!(r, Ok(()) | Err(Error::Closed))));
        assert!(eventually(deadline, || conn.read_loop_exited()));
        // A later close returns at once too.
        assert!(matches!(conn.close_now(), Err(Error::Closed)));
    }
}

// ---------------------------------------------------------------------------
// closed_flag_check_then_set

#[test]
fn check_then_set_buggy_close_effect_runs_twice() {
    use closed_flag_check_then_set::{buggy::Conn, Frame};
    const ROUNDS: usize = 50;
    let mut raced = None;
    for round in 0..ROUNDS {
        let (peer, frames) = mpsc::channel();
        let hook_runs = Arc::new(AtomicUsize::new(0));
        let hook = hook_runs.clone();
        let conn = Arc::new(Conn::new(peer, move || {
            hook.fetch_add(1, Ordering::SeqCst);
            // The hook does real work (flushing, bookkeeping): time passes
            // between the check and the set.
            thread::sleep(Duration::from_millis(2));
        }));
        let start = Arc::new(Barrier::new(2));
        let closers: Vec<_> = (0..2)
            .map(|_| {
                let (conn, start) = (conn.clone(), start.clone());
                thread::spawn(move || {
                    start.wait();
                    conn.close()
                })
            })
            .collect();
        let results: Vec<_> = closers.into_iter().map(|c| c.join().unwrap()).collect();
        let close_frames = frames.try_iter().filter(|f| *f == Frame::Close).count();
        if close_frames > 1 {
            raced = Some((
                round,
                close_frames,
                hook_runs.load(Ordering::SeqCst),
                ok_count(&results),
            ));
            break;
        }
    }
    let (round, frames, hooks, oks) = raced.expect("two closers both passed the check");
    eprintln!(
        "check_then_set buggy: round {round}: {frames} Close frames sent, on_close ran {hooks} \
         times, {oks} callers got Ok"
    );
    assert_eq!((frames, hooks, oks), (2, 2, 2));
}

#[test]
fn check_then_set_fixed_close_effect_runs_once() {
    use closed_flag_check_then_set::{fixed::Conn, Frame};
    for _ in 0..50 {
        let (peer, frames) = mpsc::channel();
        let hook_runs = Arc::new(AtomicUsize::new(0));
        let hook = hook_runs.clone();
        let conn = Arc::new(Conn::new(peer, move || {
            hook.fetch_add(1, Ordering::SeqCst);
            thread::sleep(Duration::from_millis(2));
        }));
        let start = Arc::new(Barrier::new(2));
        let closers: Vec<_> = (0..2)
            .map(|_| {
                let (conn, start) = (conn.clone(), start.clone());
                thread::spawn(move || {
                    start.wait();
                    conn.close()
                })
            })
            .collect();
        let results: Vec<_> = closers.into_iter().map(|c| c.join().unwrap()).collect();
        assert_eq!(ok_count(&results), 1);
        assert_eq!(frames.try_iter().filter(|f| *f == Frame::Close).count(), 1);
        assert_eq!(hook_runs.load(Ordering::SeqCst), 1);
        assert!(matches!(conn.send(1), Err(Error::Closed)));
    }
}

// ---------------------------------------------------------------------------
// non_idempotent_close

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

#[test]
fn non_idempotent_buggy_second_close_panics() {
    use non_idempotent_close::buggy::Worker;
    let worker = Worker::start();
    thread::sleep(Duration::from_millis(5));
    let ticks = worker.close();
    assert!(ticks > 0);
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
    thread::sleep(Duration::from_millis(5));
    assert!(worker.close().unwrap() > 0);
    assert!(matches!(worker.close(), Err(Error::Closed)));

    let worker = Arc::new(Worker::start());
    let closers: Vec<_> = (0..2)
        .map(|_| {
            let worker = worker.clone();
            thread::spawn(move || worker.close())
        })
        .collect();
    let results: Vec<_> = closers.into_iter().map(|c| c.join().unwrap()).collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
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
const PER_BUFFER: Duration = Duration::from_millis(10);

/// Counts 1 ms ticks while the runtime lets it run.
async fn heartbeat(ticks: Arc<AtomicUsize>) {
    loop {
        tokio::time::sleep(Duration::from_millis(1)).await;
        ticks.fetch_add(1, Ordering::Relaxed);
    }
}

#[tokio::test(flavor = "current_thread")]
async fn blocking_wait_buggy_join_stalls_the_runtime() {
    use blocking_wait_in_async::buggy::Flusher;
    let ticks = Arc::new(AtomicUsize::new(0));
    let beat = tokio::spawn(heartbeat(ticks.clone()));
    let flusher = Flusher::start(PER_BUFFER);
    for _ in 0..BUFFERS {
        flusher.push(vec![0; 100]).unwrap();
    }
    tokio::time::sleep(Duration::from_millis(5)).await;

    let before = ticks.load(Ordering::Relaxed);
    let started = Instant::now();
    let limit = Duration::from_millis(20);
    let outcome = tokio::time::timeout(limit, flusher.shutdown()).await;
    let took = started.elapsed();
    let during = ticks.load(Ordering::Relaxed) - before;
    beat.abort();
    eprintln!(
        "blocking_wait buggy: shutdown took {took:?} under a {limit:?} timeout that never fired; \
         heartbeat ticks meanwhile: {during}"
    );
    assert_eq!(
        outcome.ok(),
        Some(BUFFERS * 100),
        "the timeout could not fire: join() held the only runtime thread"
    );
    assert!(took >= Duration::from_millis(50), "{took:?}");
    assert_eq!(during, 0, "the heartbeat task was starved");
}

#[tokio::test(flavor = "current_thread")]
async fn blocking_wait_fixed_runtime_keeps_running() {
    use blocking_wait_in_async::fixed::Flusher;
    let ticks = Arc::new(AtomicUsize::new(0));
    let beat = tokio::spawn(heartbeat(ticks.clone()));
    let flusher = Flusher::start(PER_BUFFER);
    for _ in 0..BUFFERS {
        flusher.push(vec![0; 100]).unwrap();
    }
    tokio::time::sleep(Duration::from_millis(5)).await;

    let before = ticks.load(Ordering::Relaxed);
    let outcome = tokio::time::timeout(BOUND, flusher.shutdown()).await;
    let during = ticks.load(Ordering::Relaxed) - before;
    beat.abort();
    assert_eq!(outcome.ok(), Some(BUFFERS * 100));
    assert!(
        during >= 5,
        "heartbeat ticked {during} times during shutdown"
    );
}

// ---------------------------------------------------------------------------
// wait_while_holding_lock

const JOBS: u32 = 20;
const PER_JOB: Duration = Duration::from_millis(2);
const GRACE: Duration = Duration::from_millis(300);

#[test]
fn wait_holding_lock_buggy_shutdown_deadlocks_until_grace() {
    use wait_while_holding_lock::buggy::Service;
    let service = Service::start(PER_JOB);
    for job in 0..JOBS {
        service.submit(job).unwrap();
    }
    let (done_tx, done) = mpsc::channel();
    let started = Instant::now();
    thread::spawn(move || {
        done_tx.send(service.shutdown(GRACE)).ok();
    });
    let outcome = done
        .recv_timeout(BOUND)
        .expect("shutdown's wait is bounded");
    let took = started.elapsed();
    eprintln!(
        "wait_holding_lock buggy: {JOBS} jobs x {PER_JOB:?} of work, shutdown gave up after \
         {took:?}: {outcome:?}"
    );
    assert!(matches!(outcome, Err(Error::Timeout)), "{outcome:?}");
    assert!(took >= GRACE);
}

#[test]
fn wait_holding_lock_fixed_shutdown_drains_the_queue() {
    use wait_while_holding_lock::fixed::Service;
    let service = Service::start(PER_JOB);
    for job in 0..JOBS {
        service.submit(job).unwrap();
    }
    let (done_tx, done) = mpsc::channel();
    let started = Instant::now();
    thread::spawn(move || {
        done_tx.send(service.shutdown(BOUND)).ok();
    });
    let outcome = done.recv_timeout(BOUND * 2).expect("shutdown returns");
    let took = started.elapsed();
    assert_eq!(outcome.unwrap(), (0..JOBS).collect::<Vec<_>>());
    assert!(took < BOUND, "{took:?}");
}

// ---------------------------------------------------------------------------
// wait_guard_dropped_immediately

#[test]
fn dropped_guard_buggy_waits_before_the_work() {
    use wait_guard_dropped_immediately::{buggy::Pool, Event};
    let pool = Pool::new();
    pool.run_all(&[1, 2, 3], Duration::from_millis(20));
    let at_return = pool.events();
    eprintln!("dropped_guard buggy: events when run_all returned: {at_return:?}");
    assert_eq!(
        at_return.first(),
        Some(&Event::WaitReturned),
        "the wait ran before any job was spawned"
    );
    assert!(!at_return.iter().any(|e| matches!(e, Event::Finished(_))));
    // The jobs were left running; they still finish by themselves.
    assert!(pool.wait_idle_timeout(BOUND));
}

#[test]
fn dropped_guard_fixed_waits_at_end_of_scope() {
    use wait_guard_dropped_immediately::{fixed::Pool, Event};
    let pool = Pool::new();
    pool.run_all(&[1, 2, 3], Duration::from_millis(20));
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
