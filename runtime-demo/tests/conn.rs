//! `Conn` against a real tokio-tungstenite peer on 127.0.0.1.
//!
//! No assertion depends on timing: tests order the two sides with the
//! messages themselves, channels and gates; timeouts only bound waits that
//! must end, so that a regression fails instead of hanging.
#![cfg(not(loom))]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use runtime_demo::{accept, connect, CloseCode, Conn, Error, Message};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::WebSocketStream;

/// The raw peer: a plain tokio-tungstenite stream, so the tests see exactly
/// what went over the wire.
type Peer = WebSocketStream<TcpStream>;

/// Upper bound for anything that is expected to finish: only reached when a
/// test is about to fail, never what decides a pass.
const BOUND: Duration = Duration::from_secs(10);

/// A `Conn` client connected to a raw server peer, both on 127.0.0.1.
async fn client_and_peer() -> (Conn, Peer) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/", listener.local_addr().unwrap());
    let accepted = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        tokio_tungstenite::accept_async(tcp).await.unwrap()
    });
    let conn = timeout(BOUND, connect(&url)).await.unwrap().unwrap();
    let peer = timeout(BOUND, accepted).await.unwrap().unwrap();
    (conn, peer)
}

/// What the peer saw: the text messages (in order) and the Close frame, if
/// one arrived. Keeps reading after the Close so that tungstenite flushes
/// its reply, completing the handshake.
#[derive(Debug, Default)]
struct Seen {
    texts: Vec<String>,
    close: Option<Option<CloseFrame>>,
    ended_by_error: bool,
}

async fn read_peer<S>(mut peer: S) -> Seen
where
    S: futures_util::Stream<Item = Result<Message, WsError>> + Unpin,
{
    let mut seen = Seen::default();
    while let Some(item) = peer.next().await {
        match item {
            Ok(Message::Text(text)) => seen.texts.push(text.as_str().to_owned()),
            Ok(Message::Close(frame)) => seen.close = Some(frame),
            Ok(_) => {}
            Err(_) => {
                seen.ended_by_error = true;
                break;
            }
        }
    }
    seen
}

/// Waits (bounded) until no task is alive on the runtime any more.
async fn assert_nothing_left_running() {
    let deadline = Instant::now() + BOUND;
    let metrics = tokio::runtime::Handle::current().metrics();
    while metrics.num_alive_tasks() > 0 {
        assert!(
            Instant::now() < deadline,
            "{} task(s) still running",
            metrics.num_alive_tasks()
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

fn assert_closed<T: std::fmt::Debug>(res: Result<T, Error>) {
    assert!(
        matches!(res, Err(Error::Closed)),
        "expected Err(Closed), got {res:?}"
    );
}

#[tokio::test]
async fn close_sends_close_frame_with_code_and_reason() {
    let (conn, peer) = client_and_peer().await;
    let peer_task = tokio::spawn(read_peer(peer));

    let closed = timeout(BOUND, conn.close(CloseCode::Away, "going away"))
        .await
        .unwrap();
    assert!(closed.is_ok(), "{closed:?}");

    let seen = timeout(BOUND, peer_task).await.unwrap().unwrap();
    let frame = seen
        .close
        .expect("peer read a Close frame")
        .expect("with a payload");
    assert_eq!(frame.code, CloseCode::Away);
    assert_eq!(frame.reason.as_str(), "going away");

    assert!(conn.is_closed());
    assert_closed(conn.send(Message::text("late")).await);
    assert_closed(conn.recv().await);
    assert_closed(conn.close(CloseCode::Normal, "again").await);
    assert_closed(conn.close_now().await);
    assert_nothing_left_running().await;
}

#[tokio::test]
async fn close_now_ends_tcp_without_close_frame() {
    let (conn, peer) = client_and_peer().await;
    let peer_task = tokio::spawn(read_peer(peer));

    timeout(BOUND, conn.close_now()).await.unwrap().unwrap();

    let seen = timeout(BOUND, peer_task).await.unwrap().unwrap();
    assert!(
        seen.close.is_none(),
        "close_now must not send a Close frame"
    );
    assert!(seen.texts.is_empty());

    assert_closed(conn.send(Message::text("late")).await);
    assert_closed(conn.recv().await);
    assert_closed(conn.close_now().await);
    assert_closed(conn.close(CloseCode::Normal, "again").await);
    assert_nothing_left_running().await;
}

#[tokio::test]
async fn peer_initiated_close_is_reported_then_closed() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/", listener.local_addr().unwrap());
    // This time the server side is a `Conn` too, and the raw stream is the client.
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        accept(tcp).await.unwrap()
    });
    let (mut client, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .unwrap();
    let server = timeout(BOUND, server).await.unwrap().unwrap();

    client.send(Message::text("hello")).await.unwrap();
    client
        .close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "bye".into(),
        }))
        .await
        .unwrap();
    let got = timeout(BOUND, server.recv()).await.unwrap().unwrap();
    assert_eq!(got, Message::text("hello"));
    let got = timeout(BOUND, server.recv()).await.unwrap().unwrap();
    assert!(matches!(got, Message::Close(Some(ref f)) if f.reason.as_str() == "bye"));
    assert_closed(timeout(BOUND, server.recv()).await.unwrap());
    // The client side sees the reply and the end of the connection.
    while let Some(item) = timeout(BOUND, client.next()).await.unwrap() {
        if item.is_err() {
            break;
        }
    }
    // Closing afterwards still works (once) and reaps the tasks.
    timeout(BOUND, server.close(CloseCode::Normal, "ok"))
        .await
        .unwrap()
        .unwrap();
    assert_closed(server.close_now().await);
    assert_nothing_left_running().await;
}

/// 64 tasks race `close` and `close_now` while a writer and a reader are
/// busy; repeated 200 times on fresh connections.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_closers_exactly_one_wins() {
    const ITERATIONS: usize = 200;
    const CLOSERS: usize = 64;
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut slowest_winner = Duration::ZERO;
    let (mut won_by_close, mut won_by_close_now) = (0, 0);

    for iteration in 0..ITERATIONS {
        let (conn, peer) = client_and_peer().await;
        let conn = Arc::new(conn);
        let (mut peer_tx, peer_rx) = peer.split();
        let peer_reader = tokio::spawn(read_peer(peer_rx));
        let peer_writer = tokio::spawn(async move {
            for n in 0..10_000u32 {
                if peer_tx.send(Message::text(format!("p{n}"))).await.is_err() {
                    break;
                }
            }
        });

        let sent = Arc::new(AtomicUsize::new(0));
        let writer = tokio::spawn({
            let (conn, sent) = (conn.clone(), sent.clone());
            async move {
                let mut n = 0u64;
                loop {
                    match conn.send(Message::text(format!("c{n}"))).await {
                        Ok(()) => sent.fetch_add(1, Ordering::Relaxed),
                        Err(err) => return err,
                    };
                    n += 1;
                }
            }
        });
        let reader = tokio::spawn({
            let conn = conn.clone();
            async move {
                loop {
                    if let Err(err) = conn.recv().await {
                        return err;
                    }
                }
            }
        });
        // Let the writer get going before the closers start.
        let deadline = Instant::now() + BOUND;
        while sent.load(Ordering::Relaxed) < 3 && Instant::now() < deadline {
            tokio::task::yield_now().await;
        }

        let go = Arc::new(tokio::sync::Barrier::new(CLOSERS));
        let closers: Vec<_> = (0..CLOSERS)
            .map(|k| {
                let (conn, go) = (conn.clone(), go.clone());
                tokio::spawn(async move {
                    go.wait().await;
                    let t = Instant::now();
                    let graceful = k % 2 == 0;
                    let res = if graceful {
                        conn.close(CloseCode::Normal, "bye").await
                    } else {
                        conn.close_now().await
                    };
                    (graceful, res, t.elapsed())
                })
            })
            .collect();

        let outcome = timeout(BOUND, async {
            let mut results = Vec::with_capacity(CLOSERS);
            for closer in closers {
                results.push(closer.await.unwrap());
            }
            (results, writer.await.unwrap(), reader.await.unwrap())
        })
        .await;
        let (results, writer_err, reader_err) =
            outcome.unwrap_or_else(|_| panic!("iteration {iteration}: closers did not finish"));

        let winners: Vec<_> = results.iter().filter(|(_, res, _)| res.is_ok()).collect();
        assert_eq!(winners.len(), 1, "iteration {iteration}: {results:?}");
        for (_, res, _) in &results {
            assert!(
                matches!(res, Ok(()) | Err(Error::Closed)),
                "iteration {iteration}: {res:?}"
            );
        }
        let (graceful, _, winner_took) = winners[0];
        if *graceful {
            won_by_close += 1;
        } else {
            won_by_close_now += 1;
        }
        slowest_winner = slowest_winner.max(*winner_took);
        slowest = results.iter().map(|r| r.2).fold(slowest, Duration::max);

        assert!(writer_err.is_closed() || matches!(writer_err, Error::Io(_)));
        assert!(reader_err.is_closed(), "{reader_err:?}");
        assert_closed(conn.send(Message::text("late")).await);
        assert_closed(conn.recv().await);

        let seen = timeout(BOUND, peer_reader).await.unwrap().unwrap();
        if *graceful {
            let frame = seen
                .close
                .flatten()
                .expect("graceful winner sent a Close frame");
            assert_eq!(frame.reason.as_str(), "bye");
        } else {
            assert!(seen.close.is_none(), "close_now winner sent a Close frame");
        }
        peer_writer.abort();
        peer_writer.await.ok();
        assert_nothing_left_running().await;
    }

    println!(
        "racing closers: {ITERATIONS} iterations x {CLOSERS} closers; winner close={won_by_close} \
         close_now={won_by_close_now}; slowest close call {slowest:?} (slowest winner \
         {slowest_winner:?}); total {:?}",
        started.elapsed()
    );
}

/// Writers race a graceful close: every message whose `send` returned `Ok`
/// reached the peer before the Close frame, in order; every other `send`
/// reported an error. Nothing is silently lost or silently delivered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_sent_before_close_are_delivered_or_reported() {
    const ROUNDS: usize = 20;
    const WRITERS: usize = 4;
    for round in 0..ROUNDS {
        let (conn, peer) = client_and_peer().await;
        let conn = Arc::new(conn);
        let peer_task = tokio::spawn(read_peer(peer));

        let sent = Arc::new(AtomicUsize::new(0));
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (conn, sent) = (conn.clone(), sent.clone());
                tokio::spawn(async move {
                    let mut delivered = Vec::new();
                    for i in 0..100_000u32 {
                        let text = format!("{w}:{i}");
                        match conn.send(Message::text(text.clone())).await {
                            Ok(()) => {
                                delivered.push(text);
                                sent.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(err) => return (delivered, Some(err)),
                        }
                    }
                    (delivered, None)
                })
            })
            .collect();

        // Close after a round-dependent number of successful sends.
        let threshold = 1 + round * 7;
        let deadline = Instant::now() + BOUND;
        while sent.load(Ordering::Relaxed) < threshold && Instant::now() < deadline {
            tokio::task::yield_now().await;
        }
        timeout(BOUND, conn.close(CloseCode::Normal, "done"))
            .await
            .unwrap()
            .unwrap();

        let mut ok_texts = Vec::new();
        for writer in writers {
            let (delivered, err) = timeout(BOUND, writer).await.unwrap().unwrap();
            assert!(
                matches!(err, Some(Error::Closed)),
                "round {round}: a writer ended with {err:?}"
            );
            ok_texts.extend(delivered);
        }
        let seen = timeout(BOUND, peer_task).await.unwrap().unwrap();
        assert!(seen.close.is_some(), "round {round}: no Close frame");

        // Same set, and each writer's messages in the order it sent them.
        let mut got = seen.texts.clone();
        got.sort();
        ok_texts.sort();
        assert_eq!(got, ok_texts, "round {round}: delivered != reported Ok");
        for w in 0..WRITERS {
            let prefix = format!("{w}:");
            let order: Vec<u32> = seen
                .texts
                .iter()
                .filter_map(|t| t.strip_prefix(&prefix))
                .map(|n| n.parse().unwrap())
                .collect();
            assert!(order.windows(2).all(|p| p[0] < p[1]), "round {round}");
        }
        assert_nothing_left_running().await;
    }
}

/// Dropping an open `Conn` stops its background tasks.
#[tokio::test]
async fn dropping_an_open_conn_stops_its_tasks() {
    let (conn, peer) = client_and_peer().await;
    drop(conn);
    drop(peer);
    assert_nothing_left_running().await;
}

/// A peer that never answers the close handshake: `close` gives up after its
/// timeout, reports it, and still tears everything down.
#[tokio::test]
async fn close_handshake_times_out_against_a_silent_peer() {
    let (conn, silent_peer) = client_and_peer().await;
    // The peer is never polled, so it cannot answer however long we wait:
    // the close timeout only decides how soon `close` gives up.
    let conn = conn.with_close_timeout(Duration::from_millis(100));
    let outcome = timeout(BOUND, conn.close(CloseCode::Normal, "anyone?"))
        .await
        .unwrap();
    assert!(matches!(outcome, Err(Error::Timeout)), "{outcome:?}");
    assert_closed(conn.close_now().await);
    assert_closed(conn.send(Message::text("late")).await);
    assert_nothing_left_running().await;
    drop(silent_peer);
}

/// A `close` future dropped halfway (here as soon as its Close frame reached
/// the peer) becomes a `close_now`: no background task is left running, the
/// peer sees the connection end without the handshake completing, nobody
/// gets `Ok`, and the connection stays claimed as closed.
#[tokio::test]
async fn cancelled_close_becomes_close_now() {
    let (conn, mut peer) = client_and_peer().await;
    tokio::select! {
        biased;
        got = peer.next() => {
            let got = got.expect("the peer's stream is open").unwrap();
            assert!(matches!(got, Message::Close(Some(_))), "{got:?}");
        }
        res = conn.close(CloseCode::Normal, "bye") => {
            panic!("close returned before the peer answered: {res:?}")
        }
    }
    // The close future is dropped: its tasks are aborted, the socket goes.
    assert_nothing_left_running().await;
    assert!(conn.is_closed());
    assert_closed(conn.close_now().await);
    assert_closed(conn.close(CloseCode::Normal, "again").await);
    assert_closed(conn.recv().await);
    // The peer's reply cannot complete a handshake: the connection ends.
    let seen = timeout(BOUND, read_peer(peer)).await.unwrap();
    assert!(seen.texts.is_empty() && seen.close.is_none(), "{seen:?}");
}

/// Close codes RFC 6455 forbids in a Close frame (or leaves unassigned) are
/// refused before anything is claimed or sent; the connection stays usable.
#[tokio::test]
async fn close_rejects_codes_rfc6455_forbids_sending() {
    let (conn, peer) = client_and_peer().await;
    let peer_task = tokio::spawn(read_peer(peer));
    for code in [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, u16::MAX] {
        let res = conn.close(CloseCode::from(code), "").await;
        assert!(
            matches!(res, Err(Error::Invalid(_))),
            "close code {code}: {res:?}"
        );
        assert!(!conn.is_closed(), "close code {code} claimed the close");
    }
    for code in [1000, 1003, 1007, 1011, 1014, 3000, 4999] {
        assert!(
            runtime_demo::is_sendable_close_code(CloseCode::from(code)),
            "{code}"
        );
    }
    conn.send(Message::text("still open")).await.unwrap();
    timeout(BOUND, conn.close(CloseCode::from(4000), "app code"))
        .await
        .unwrap()
        .unwrap();
    let seen = timeout(BOUND, peer_task).await.unwrap().unwrap();
    assert_eq!(seen.texts, ["still open"]);
    let frame = seen.close.flatten().expect("a Close frame with a payload");
    assert_eq!(u16::from(frame.code), 4000);
    assert_nothing_left_running().await;
}

/// The peer reads our Close frame and hangs up without sending its own: the
/// handshake did not complete, so `close` does not report success.
#[tokio::test]
async fn close_fails_when_peer_hangs_up_without_its_close_frame() {
    let (conn, mut peer) = client_and_peer().await;
    let peer_task = tokio::spawn(async move {
        // tungstenite queues its reply to a Close and writes it on the next
        // read or write; dropping the stream right away sends none.
        let got = peer.next().await;
        drop(peer);
        got
    });
    let res = timeout(BOUND, conn.close(CloseCode::Normal, "bye"))
        .await
        .unwrap();
    let got = timeout(BOUND, peer_task).await.unwrap().unwrap();
    assert!(matches!(got, Some(Ok(Message::Close(Some(_))))), "{got:?}");
    assert!(
        matches!(res, Err(Error::WebSocket(_) | Error::Io(_))),
        "close without the peer's Close frame: {res:?}"
    );
    assert_closed(conn.close_now().await);
    assert_nothing_left_running().await;
}

/// A `recv` already waiting when the close is claimed returns `Closed` at
/// once, without waiting for the handshake: here the peer withholds its
/// Close frame until that `recv` has returned. `close` itself reads until
/// the peer's Close frame.
#[tokio::test(flavor = "current_thread")]
async fn waiting_recv_returns_closed_once_close_is_claimed() {
    let (conn, mut peer) = client_and_peer().await;
    // Longer than any bounded wait below: the close cannot time out first.
    let conn = Arc::new(conn.with_close_timeout(BOUND * 3));
    let (got_close_tx, got_close) = tokio::sync::oneshot::channel();
    let (answer_tx, answer) = tokio::sync::oneshot::channel::<()>();
    let peer_task = tokio::spawn(async move {
        peer.send(Message::text("first")).await.unwrap();
        let got = peer.next().await;
        got_close_tx.send(got).ok();
        answer.await.ok();
        // Reading again writes the queued reply to our Close.
        read_peer(peer).await
    });

    let (first_tx, first) = tokio::sync::oneshot::channel();
    let receiver = tokio::spawn({
        let conn = conn.clone();
        async move {
            first_tx.send(conn.recv().await).ok();
            // On this single-threaded runtime nothing else runs until this
            // second `recv` is parked waiting for a message.
            conn.recv().await
        }
    });
    let got = timeout(BOUND, first).await.unwrap().unwrap();
    assert_eq!(got.unwrap(), Message::text("first"));

    let closer = tokio::spawn({
        let conn = conn.clone();
        async move { conn.close(CloseCode::Normal, "bye").await }
    });
    let got = timeout(BOUND, got_close).await.unwrap().unwrap();
    assert!(matches!(got, Some(Ok(Message::Close(Some(_))))), "{got:?}");
    let waiting = timeout(BOUND, receiver)
        .await
        .expect("the waiting recv returned before the handshake completed")
        .unwrap();
    assert_closed(waiting);
    // The peer has not answered: `close` is still reading for its Close.
    assert!(
        !closer.is_finished(),
        "close returned before the peer's Close"
    );
    answer_tx.send(()).unwrap();
    let closed = timeout(BOUND, closer).await.unwrap().unwrap();
    assert!(closed.is_ok(), "{closed:?}");
    let seen = timeout(BOUND, peer_task).await.unwrap().unwrap();
    assert!(seen.texts.is_empty());
    assert_nothing_left_running().await;
}

/// Messages received but not yet read when the close is claimed are dropped:
/// after `close`, `recv` returns `Closed`, not the rest of the peer's
/// messages.
#[tokio::test]
async fn close_drops_messages_received_but_not_read() {
    let (conn, mut peer) = client_and_peer().await;
    for text in ["a", "b", "c"] {
        peer.send(Message::text(text)).await.unwrap();
    }
    let peer_task = tokio::spawn(read_peer(peer));
    let got = timeout(BOUND, conn.recv()).await.unwrap().unwrap();
    assert_eq!(got, Message::text("a"));
    timeout(BOUND, conn.close(CloseCode::Normal, "done"))
        .await
        .unwrap()
        .unwrap();
    assert_closed(conn.recv().await);
    let seen = timeout(BOUND, peer_task).await.unwrap().unwrap();
    assert!(seen.close.is_some());
    assert_nothing_left_running().await;
}
