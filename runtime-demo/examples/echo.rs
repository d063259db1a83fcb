//! An echo server and a client on 127.0.0.1: they exchange a few messages,
//! then several client tasks close the connection at once. Exactly one of
//! them performs the close; the others get `Error::Closed`.
//!
//! `cargo run -p runtime-demo --example echo`

use std::sync::Arc;
use std::time::{Duration, Instant};

use runtime_demo::{accept, connect, CloseCode, Error, Message};
use tokio::net::TcpListener;
use tokio::time::timeout;

const CLOSERS: usize = 6;
const BOUND: Duration = Duration::from_secs(5);

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    println!("server: listening on ws://{addr}/");

    let server = tokio::spawn(async move {
        let (tcp, peer) = listener.accept().await?;
        let conn = accept(tcp).await?;
        println!("server: accepted {peer}");
        loop {
            match conn.recv().await {
                Ok(Message::Close(frame)) => {
                    println!("server: client sent Close {frame:?}");
                    break;
                }
                Ok(msg) => {
                    println!("server: echoing {msg}");
                    if let Err(err) = conn.send(msg).await {
                        println!("server: echo failed: {err}");
                        break;
                    }
                }
                Err(err) => {
                    println!("server: connection ended without a Close frame: {err}");
                    break;
                }
            }
        }
        // Complete the handshake the client started (or, if the client
        // vanished, tear down) and reap the server side's background tasks.
        conn.close(CloseCode::Normal, "").await
    });

    let client = Arc::new(connect(&format!("ws://{addr}/")).await?);
    for text in ["hello", "from", "the client"] {
        client.send(Message::text(text)).await?;
        let echo = timeout(BOUND, client.recv()).await??;
        println!("client: got back {echo}");
    }

    println!("client: {CLOSERS} tasks close at once (even: close, odd: close_now)");
    let go = Arc::new(tokio::sync::Barrier::new(CLOSERS));
    let closers: Vec<_> = (0..CLOSERS)
        .map(|i| {
            let (client, go) = (client.clone(), go.clone());
            tokio::spawn(async move {
                go.wait().await;
                let started = Instant::now();
                let (how, outcome) = if i % 2 == 0 {
                    ("close", client.close(CloseCode::Normal, "bye").await)
                } else {
                    ("close_now", client.close_now().await)
                };
                (i, how, outcome, started.elapsed())
            })
        })
        .collect();
    let mut winners = 0;
    for closer in closers {
        let (i, how, outcome, took) = timeout(BOUND, closer).await??;
        match outcome {
            Ok(()) => {
                winners += 1;
                println!("client: task {i} ({how}) won and closed the connection in {took:?}");
            }
            Err(Error::Closed) => {
                println!("client: task {i} ({how}) got Closed after {took:?}");
            }
            Err(err) => println!("client: task {i} ({how}) failed: {err}"),
        }
    }
    println!("client: {winners} winner(s); send now says: {:?}", {
        client.send(Message::text("too late")).await
    });
    let server_done = timeout(BOUND, server).await??;
    println!("server: done ({server_done:?})");
    Ok(())
}
