//! A WebSocket connection over tokio-tungstenite whose close paths are safe
//! from any number of tasks at once.
//!
//! Layout: the stream is split; a background **reader task** owns the read half
//! and forwards messages to [`Conn::recv`]; a background **writer task** owns
//! the write half and performs every write in order, acknowledging each one, so
//! that a [`Conn::send`] that returns `Ok` was written and flushed, and one that
//! could not be written returns an error: no message is silently lost.
//!
//! Closing follows the order that fixed coder/websocket's `CloseNow` (issue
//! 437): the close is claimed with an atomic `swap` on the closing flag
//! ([`CloseState::claim`]) *before* any wait is set up. The single winner
//! performs the close and awaits the two background tasks exactly once; every
//! other caller, concurrent or later, gets [`Error::Closed`] at once.

use std::fmt;
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch, Mutex as AsyncMutex};
use tokio::task::JoinHandle;
use tokio::time::{timeout_at, Instant};
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::WebSocketStream;

use crate::close_state::CloseState;

pub use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
pub use tokio_tungstenite::tungstenite::Message;

/// The WebSocket stream a [`Conn`] runs over.
pub type WsStream = WebSocketStream<TcpStream>;

/// How long [`Conn::close`] waits for the peer's half of the close handshake
/// unless [`Conn::with_close_timeout`] says otherwise.
pub const DEFAULT_CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Messages received but not yet taken by [`Conn::recv`].
const INCOMING_CAPACITY: usize = 64;
/// Writes queued for the writer task.
const OUTGOING_CAPACITY: usize = 64;
/// RFC 6455: a close frame's payload is at most 125 bytes, 2 of them the code.
const MAX_CLOSE_REASON: usize = 123;

/// Errors of [`Conn`] (and of the examples).
#[derive(Debug)]
pub enum Error {
    /// The connection is closed or being closed, by this side (another caller
    /// won the close) or because the peer ended it.
    Closed,
    /// The close handshake (or a bounded wait) did not finish in time. The
    /// connection has been torn down all the same.
    Timeout,
    /// The caller asked for something this connection does not do (nothing
    /// was claimed or sent).
    Invalid(&'static str),
    /// A background task or thread panicked. The connection has been torn
    /// down all the same.
    Panicked,
    /// Transport error from the socket.
    Io(std::io::Error),
    /// Transport or protocol error from tungstenite.
    WebSocket(tungstenite::Error),
}

impl Error {
    /// True for [`Error::Closed`].
    pub fn is_closed(&self) -> bool {
        matches!(self, Error::Closed)
    }

    fn from_ws(err: tungstenite::Error) -> Self {
        match err {
            tungstenite::Error::ConnectionClosed
            | tungstenite::Error::AlreadyClosed
            | tungstenite::Error::Protocol(ProtocolError::SendAfterClosing) => Error::Closed,
            tungstenite::Error::Io(io) => Error::Io(io),
            other => Error::WebSocket(other),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Closed => f.write_str("connection closed"),
            Error::Timeout => f.write_str("timed out"),
            Error::Invalid(what) => write!(f, "invalid use: {what}"),
            Error::Panicked => f.write_str("a background task panicked"),
            Error::Io(err) => write!(f, "I/O error: {err}"),
            Error::WebSocket(err) => write!(f, "WebSocket error: {err}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(err) => Some(err),
            Error::WebSocket(err) => Some(err),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        Error::Io(err)
    }
}

impl From<tungstenite::Error> for Error {
    fn from(err: tungstenite::Error) -> Self {
        Error::from_ws(err)
    }
}

/// Opens a client connection to a `ws://host:port/path` URL.
pub async fn connect(url: &str) -> Result<Conn, Error> {
    let request = url.into_client_request()?;
    if request.uri().scheme_str() != Some("ws") {
        return Err(Error::Invalid("only ws:// URLs are supported"));
    }
    let host = request
        .uri()
        .host()
        .ok_or(Error::Invalid("URL has no host"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = request.uri().port_u16().unwrap_or(80);
    let tcp = TcpStream::connect((host.as_str(), port)).await?;
    let (ws, _response) = tokio_tungstenite::client_async(request, tcp).await?;
    Ok(Conn::new(ws))
}

/// Performs the server side of the WebSocket handshake on an accepted socket.
pub async fn accept(tcp: TcpStream) -> Result<Conn, Error> {
    let ws = tokio_tungstenite::accept_async(tcp).await?;
    Ok(Conn::new(ws))
}

/// One queued write and where to report its outcome.
struct WriteCmd {
    msg: Message,
    done: oneshot::Sender<Result<(), Error>>,
}

/// The two background tasks. Joined exactly once, by the close winner; if a
/// `Tasks` is dropped without being joined (the close future was cancelled,
/// or the `Conn` was dropped) both tasks are aborted, so nothing keeps running.
struct Tasks {
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
}

impl Tasks {
    fn abort_all(&self) {
        self.reader.abort();
        self.writer.abort();
    }

    /// Awaits both tasks until `deadline`, aborting whatever is still running
    /// then. Returns true when both ended by themselves in time.
    async fn reap(mut self, deadline: Instant) -> bool {
        let mut in_time = true;
        for handle in [&mut self.reader, &mut self.writer] {
            if timeout_at(deadline, &mut *handle).await.is_err() {
                in_time = false;
                handle.abort();
                // An aborted task completes as soon as its future is dropped.
                handle.await.ok();
            }
        }
        in_time
    }
}

impl Drop for Tasks {
    fn drop(&mut self) {
        self.abort_all();
    }
}

/// A WebSocket connection whose `close`/`close_now` may be called any number
/// of times from any number of tasks: exactly one call closes, the rest get
/// [`Error::Closed`] without waiting.
pub struct Conn {
    state: CloseState<Tasks>,
    writes: mpsc::Sender<WriteCmd>,
    incoming: AsyncMutex<mpsc::Receiver<Result<Message, Error>>>,
    closing_signal: watch::Sender<bool>,
    close_timeout: Duration,
}

impl fmt::Debug for Conn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Conn")
            .field("closing", &self.state.is_closing())
            .field("close_timeout", &self.close_timeout)
            .finish_non_exhaustive()
    }
}

impl Conn {
    /// Wraps an established WebSocket stream and starts the reader and writer
    /// tasks. Must be called inside a tokio runtime.
    pub fn new(ws: WsStream) -> Self {
        let (sink, stream) = ws.split();
        let (writes, write_queue) = mpsc::channel(OUTGOING_CAPACITY);
        let (incoming_tx, incoming) = mpsc::channel(INCOMING_CAPACITY);
        let (closing_signal, closing) = watch::channel(false);
        let (reader_alive, reader_gone) = oneshot::channel();
        let tasks = Tasks {
            reader: tokio::spawn(read_loop(stream, incoming_tx, closing, reader_alive)),
            writer: tokio::spawn(write_loop(sink, write_queue, reader_gone)),
        };
        Self {
            state: CloseState::new(tasks),
            writes,
            incoming: AsyncMutex::new(incoming),
            closing_signal,
            close_timeout: DEFAULT_CLOSE_TIMEOUT,
        }
    }

    /// Sets how long [`Conn::close`] waits for the close handshake.
    pub fn with_close_timeout(mut self, timeout: Duration) -> Self {
        self.close_timeout = timeout;
        self
    }

    /// True once some caller has claimed the close.
    pub fn is_closed(&self) -> bool {
        self.state.is_closing()
    }

    /// Sends one message. `Ok` means it was written and flushed to the socket
    /// before any close frame; an error means it was not (or may not have
    /// been, for a transport error): never a silent loss.
    pub async fn send(&self, msg: Message) -> Result<(), Error> {
        if msg.is_close() {
            return Err(Error::Invalid("use Conn::close to send a Close frame"));
        }
        if self.state.is_closing() {
            return Err(Error::Closed);
        }
        self.transmit(msg).await
    }

    /// Receives the next message. Returns the peer's Close message if the peer
    /// starts the close handshake, then [`Error::Closed`].
    pub async fn recv(&self) -> Result<Message, Error> {
        if self.state.is_closing() {
            return Err(Error::Closed);
        }
        let mut incoming = self.incoming.lock().await;
        match incoming.recv().await {
            Some(item) => item,
            None => Err(Error::Closed),
        }
    }

    /// Closes with the handshake: sends a Close frame carrying `code` and
    /// `reason`, waits (up to the close timeout) for the peer's Close, then
    /// awaits the background tasks. Only the first caller does this and gets
    /// `Ok` (or `Timeout`/a transport error); every other caller gets
    /// [`Error::Closed`] at once.
    pub async fn close(&self, code: CloseCode, reason: &str) -> Result<(), Error> {
        if reason.len() > MAX_CLOSE_REASON {
            return Err(Error::Invalid("close reason longer than 123 bytes"));
        }
        // Claim first: nothing below runs, and nothing waits, unless we won.
        let Some(mut claim) = self.state.claim() else {
            return Err(Error::Closed);
        };
        // Owned by this future from here on: if the caller drops it midway,
        // dropping `tasks` aborts them, so nothing is left running.
        let tasks = claim.take_tasks();
        self.closing_signal.send_replace(true);
        let deadline = Instant::now() + self.close_timeout;
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        let sent = timeout_at(deadline, self.transmit(Message::Close(Some(frame)))).await;
        let in_time = match tasks {
            Some(tasks) => tasks.reap(deadline).await,
            None => true,
        };
        match sent {
            // The writer had already stopped (the peer ended the connection
            // first): there is nothing left to shake hands with.
            Ok(Ok(())) | Ok(Err(Error::Closed)) if in_time => Ok(()),
            Ok(Err(err @ (Error::Io(_) | Error::WebSocket(_)))) => Err(err),
            _ => Err(Error::Timeout),
        }
    }

    /// Closes without the handshake: stops both background tasks and drops
    /// the socket, so the peer sees the TCP connection end without a Close
    /// frame. Only the first caller does this and gets `Ok`; every other
    /// caller gets [`Error::Closed`] at once.
    pub async fn close_now(&self) -> Result<(), Error> {
        let Some(mut claim) = self.state.claim() else {
            return Err(Error::Closed);
        };
        self.closing_signal.send_replace(true);
        if let Some(tasks) = claim.take_tasks() {
            tasks.abort_all();
            tasks.reap(Instant::now() + self.close_timeout).await;
        }
        Ok(())
    }

    /// Queues a write for the writer task and waits for its outcome.
    async fn transmit(&self, msg: Message) -> Result<(), Error> {
        let (done, mut outcome) = oneshot::channel();
        self.writes
            .send(WriteCmd { msg, done })
            .await
            .map_err(|_| Error::Closed)?;
        // A dropped `done` means the writer stopped before this write. A write
        // queued while the writer's queue was being dropped can stay parked in
        // the channel (its `done` not dropped) as long as `self.writes` lives,
        // so the end of the writer task is watched as well.
        tokio::select! {
            biased;
            reported = &mut outcome => reported.unwrap_or(Err(Error::Closed)),
            () = self.writes.closed() => outcome.try_recv().unwrap_or(Err(Error::Closed)),
        }
    }
}

impl Drop for Conn {
    /// Dropping an open connection closes it without the handshake; the
    /// background tasks are aborted (a destructor cannot await them).
    fn drop(&mut self) {
        if let Some(mut claim) = self.state.claim() {
            if let Some(tasks) = claim.take_tasks() {
                tasks.abort_all();
            }
        }
    }
}

/// Reader task: forwards every message (and a final error, if any) to
/// [`Conn::recv`]. Once closing has been claimed it discards data instead of
/// waiting for queue space, so it keeps reading until the peer's Close.
/// `_alive` is dropped when the task ends, however it ends, which tells the
/// writer task to stop too.
async fn read_loop(
    mut stream: SplitStream<WsStream>,
    incoming: mpsc::Sender<Result<Message, Error>>,
    mut closing: watch::Receiver<bool>,
    _alive: oneshot::Sender<()>,
) {
    while let Some(item) = stream.next().await {
        let failed = item.is_err();
        let item = item.map_err(Error::from_ws);
        tokio::select! {
            biased;
            _ = closing.wait_for(|closing| *closing) => {}
            // An error here means nobody can receive any more; keep reading
            // all the same, so that a close handshake can still complete.
            _ = incoming.send(item) => {}
        }
        if failed {
            break;
        }
    }
}

/// Writer task: performs queued writes in order and reports each outcome.
/// Stops after writing the Close frame, after the first failed write, or when
/// the reader task has ended (the peer closed or the connection broke), so
/// that the socket is released; the writes still queued then are dropped,
/// which reports `Closed` to their senders.
async fn write_loop(
    mut sink: SplitSink<WsStream, Message>,
    mut queue: mpsc::Receiver<WriteCmd>,
    mut reader_gone: oneshot::Receiver<()>,
) {
    loop {
        let next = tokio::select! {
            biased;
            next = next_write(&mut queue) => next,
            _ = &mut reader_gone => None,
        };
        let Some(WriteCmd { msg, done }) = next else {
            break;
        };
        let is_close = msg.is_close();
        let outcome = sink.send(msg).await.map_err(Error::from_ws);
        let stop = is_close || outcome.is_err();
        // The sender may have stopped waiting; its loss, not ours.
        done.send(outcome).ok();
        if stop {
            break;
        }
    }
}

/// The next queued write, or `None` once every sender is gone.
async fn next_write(queue: &mut mpsc::Receiver<WriteCmd>) -> Option<WriteCmd> {
    queue.recv().await
}
