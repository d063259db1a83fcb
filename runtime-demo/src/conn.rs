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
//!
//! # Close semantics
//!
//! With coder/websocket and tokio-tungstenite as the references:
//!
//! - [`Conn::close`] is coder/websocket's `Close`: it writes the Close frame,
//!   then reads until the peer's Close frame (discarding data messages that
//!   arrive meanwhile) or the close timeout, then releases the socket. It
//!   returns `Ok` only when the handshake completed: the peer's Close frame
//!   was received (also when the peer started the close). A peer that hangs
//!   up without its Close frame is an error, as it is for tokio-tungstenite
//!   (`ResetWithoutClosingHandshake`) and coder/websocket.
//! - Once a close is claimed the connection is closed for its users in both
//!   directions: [`Conn::send`] and [`Conn::recv`] return [`Error::Closed`] at
//!   once, including a `recv` that was already waiting, and messages received
//!   but not yet read are dropped, like the data coder/websocket's `Close`
//!   discards. (tokio-tungstenite's bare stream keeps yielding messages after
//!   `close()` because there the caller drives the handshake by reading; here
//!   `close` drives it.) To read everything the peer sends, read until `recv`
//!   returns the peer's `Close` message and only then call `close`.
//! - Losers of the claim get [`Error::Closed`] at once; unlike coder/websocket
//!   they do not wait for the winner to finish.
//! - Cancelling a `close` (dropping its future, e.g. in a `select!` or an
//!   outer `timeout`) turns it into [`Conn::close_now`]: the background tasks
//!   are aborted (a destructor cannot await them; the runtime drops them,
//!   and the socket with them, at their next poll), the handshake is not
//!   completed (the Close frame may or may not have been written by then),
//!   and no caller gets `Ok`.

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

/// True for the close codes an endpoint may put in a Close frame: the ones
/// RFC 6455 §7.4.1 defines for sending (1000-1003, 1007-1011) and those the
/// IANA registry added since (1012-1014), and the 3000-4999 ranges for
/// libraries and applications. Not 1004 (reserved), 1005, 1006 and 1015
/// (which "MUST NOT be set as a status code in a Close control frame"), nor
/// the unassigned or reserved rest (0-999, 1016-2999, 5000 and up). The same
/// set as coder/websocket's `validWireCloseCode`.
pub fn is_sendable_close_code(code: CloseCode) -> bool {
    matches!(u16::from(code), 1000..=1003 | 1007..=1014 | 3000..=4999)
}

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
    /// Ends `Ok` after the peer's Close frame, else with what ended it.
    reader: JoinHandle<Result<(), Error>>,
    writer: JoinHandle<()>,
}

impl Tasks {
    fn abort_all(&self) {
        self.reader.abort();
        self.writer.abort();
    }

    /// Awaits both tasks until `deadline`, aborting whatever is still running
    /// then, and returns how the connection ended as the reader saw it:
    /// `Ok` after the peer's Close frame. [`Error::Timeout`] if a task had to
    /// be aborted, [`Error::Panicked`] if one panicked.
    async fn reap(mut self, deadline: Instant) -> Result<(), Error> {
        let read = end_of(&mut self.reader, deadline).await;
        let write = end_of(&mut self.writer, deadline).await;
        let read = read?;
        write?;
        read
    }
}

/// Awaits a task until `deadline`; aborts it (and awaits that) if it is still
/// running then.
async fn end_of<T>(handle: &mut JoinHandle<T>, deadline: Instant) -> Result<T, Error> {
    match timeout_at(deadline, &mut *handle).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) if err.is_panic() => Err(Error::Panicked),
        // Cancelled: only `abort_all` (close_now) cancels these tasks.
        Ok(Err(_)) => Err(Error::Closed),
        Err(_elapsed) => {
            handle.abort();
            // An aborted task completes as soon as its future is dropped.
            (&mut *handle).await.ok();
            Err(Error::Timeout)
        }
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
    ///
    /// Once a close is claimed ([`Conn::close`] or [`Conn::close_now`]),
    /// returns [`Error::Closed`] at once, also to a `recv` already waiting; messages received but not read by then are dropped (see the
    /// module docs).
    pub async fn recv(&self) -> Result<Message, Error> {
        if self.state.is_closing() {
            return Err(Error::Closed);
        }
        let mut closing = self.closing_signal.subscribe();
        tokio::select! {
            biased;
            _ = closing.wait_for(|closing| *closing) => Err(Error::Closed),
            item = async { self.incoming.lock().await.recv().await } => {
                item.unwrap_or(Err(Error::Closed))
            }
        }
    }

    /// Closes with the handshake, as coder/websocket's `Close` does: sends a
    /// Close frame carrying `code` and `reason`, reads until the peer's Close
    /// frame (data messages that arrive meanwhile are discarded) or until the
    /// close timeout, then awaits the background tasks.
    ///
    /// Only the first caller does this. It gets `Ok` when the handshake
    /// completed (the peer's Close frame was received, also when the peer
    /// had started the close), [`Error::Timeout`] when the peer did not
    /// answer in time, the transport error when the peer hung up without its
    /// Close frame or the write failed, or [`Error::Closed`] when the
    /// connection had already failed before this call. The connection is
    /// torn down in every case. Every other caller gets [`Error::Closed`] at
    /// once.
    ///
    /// `code` must be one an endpoint may send ([`is_sendable_close_code`])
    /// and `reason` at most 123 bytes; otherwise [`Error::Invalid`], and
    /// nothing is claimed or sent.
    ///
    /// Cancel safety: dropping the future after the close was claimed tears
    /// the connection down as [`Conn::close_now`] does (module docs).
    pub async fn close(&self, code: CloseCode, reason: &str) -> Result<(), Error> {
        if !is_sendable_close_code(code) {
            return Err(Error::Invalid(
                "close code may not be sent in a Close frame (RFC 6455 7.4)",
            ));
        }
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
        let handshake = match tasks {
            Some(tasks) => tasks.reap(deadline).await,
            None => Err(Error::Closed),
        };
        match sent {
            Err(_elapsed) => Err(Error::Timeout),
            // `Closed`: the writer had stopped because the reader had ended,
            // so the reader knows how the connection ended: the peer's Close
            // frame (the peer started the close), or a failure.
            Ok(Ok(())) | Ok(Err(Error::Closed)) => handshake,
            Ok(Err(err)) => Err(err),
        }
    }

    /// Closes without the handshake, as coder/websocket's `CloseNow` does:
    /// stops both background tasks, awaits their end and drops the socket,
    /// so the peer sees the TCP connection end without a Close frame. Only
    /// the first caller does this and gets `Ok`; every other caller gets
    /// [`Error::Closed`] at once. `send` and `recv` return [`Error::Closed`]
    /// from the moment of the claim. After `recv` returned the peer's Close
    /// message, prefer [`Conn::close`]: it lets the reply to the peer's
    /// Close go out, where `close_now` may cut it off.
    pub async fn close_now(&self) -> Result<(), Error> {
        let Some(mut claim) = self.state.claim() else {
            return Err(Error::Closed);
        };
        self.closing_signal.send_replace(true);
        if let Some(tasks) = claim.take_tasks() {
            tasks.abort_all();
            // Aborted tasks end at once; how they ended does not matter here.
            tasks.reap(Instant::now() + self.close_timeout).await.ok();
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
/// Returns `Ok` once the peer's Close frame has been received (the stream
/// ends after it); otherwise the error that ended the stream if nobody was
/// given it, or [`Error::Closed`] if `recv` was. `_alive` is dropped when the
/// task ends, however it ends, which tells the writer task to stop too.
async fn read_loop(
    mut stream: SplitStream<WsStream>,
    incoming: mpsc::Sender<Result<Message, Error>>,
    mut closing: watch::Receiver<bool>,
    _alive: oneshot::Sender<()>,
) -> Result<(), Error> {
    let mut peer_closed = false;
    while let Some(item) = stream.next().await {
        let item = item.map_err(Error::from_ws);
        peer_closed |= matches!(item, Ok(Message::Close(_)));
        // Room in the queue, unless a close is claimed (then nobody reads
        // the queue any more) or nobody can receive (the `Conn` is gone).
        let room = tokio::select! {
            biased;
            _ = closing.wait_for(|closing| *closing) => None,
            room = incoming.reserve() => room.ok(),
        };
        match (room, item) {
            (Some(room), Err(err)) => {
                room.send(Err(err));
                return Err(Error::Closed);
            }
            (Some(room), item) => room.send(item),
            (None, Err(err)) => return Err(err),
            // Discarded: a close is claimed; keep reading for the peer's Close.
            (None, Ok(_)) => {}
        }
    }
    if peer_closed {
        Ok(())
    } else {
        Err(Error::Closed)
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
