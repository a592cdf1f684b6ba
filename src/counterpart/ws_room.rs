//! A WebSocket chat room (lab09's protocol): every text message a member sends goes to every
//! member, the sender included, in the order the room received it. The grader uses it as the
//! server of a student's chat client, where it also records what the client sent, pushes
//! messages of its own (another user talking while the student's client waits on its input)
//! and closes the room; `grade reference lab09 server` serves the same room.
//!
//! Its peers are untrusted: it serves at most [`MAX_CONNECTIONS`] at once (others are closed
//! at once), takes no frame or message over [`MESSAGE_CAP`] bytes (tungstenite's limits close
//! such a connection), gives a handshake [`HANDSHAKE`] to finish, queues at most [`QUEUE`]
//! messages for a member that does not read (then drops that member rather than block the
//! room), keeps at most [`KEEP`] received messages, and, as a counterpart, closes a connection
//! older than its lifetime.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

pub const MAX_CONNECTIONS: usize = 32;
/// The largest frame and message taken (the lab's messages are short lines).
pub const MESSAGE_CAP: usize = 64 << 10;
pub const HANDSHAKE: Duration = Duration::from_secs(5);
/// Messages waiting for one member's connection before the room gives up on it.
pub const QUEUE: usize = 1024;
/// Received messages kept for inspection.
pub const KEEP: usize = 256;

/// The limits of both sides of the grader's WebSocket connections.
pub fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(MESSAGE_CAP))
        .max_frame_size(Some(MESSAGE_CAP))
        .max_write_buffer_size(4 * MESSAGE_CAP)
}

/// A message a member sent, as the room received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Received {
    Text(String),
    /// A binary message, of this many bytes (the lab's messages are text).
    Binary(usize),
}

/// What the room writes to one member.
enum Out {
    Text(String),
    Close,
}

#[derive(Default)]
struct Inner {
    members: Mutex<HashMap<u64, mpsc::Sender<Out>>>,
    received: Mutex<Vec<Received>>,
    next_id: AtomicU64,
    /// Handshakes completed so far.
    joined: AtomicUsize,
    /// Woken on every handshake and every message received.
    changed: Notify,
}

/// A running room; it stops when dropped (its connections with it).
pub struct Room {
    addr: SocketAddr,
    inner: Arc<Inner>,
    task: JoinHandle<()>,
}

impl Room {
    /// Serves on `listener` (bound by the caller, port 0: no race for the port). With a
    /// `lifetime`, a connection older than that is closed.
    pub fn start(listener: TcpListener, lifetime: Option<Duration>) -> std::io::Result<Room> {
        let addr = listener.local_addr()?;
        let inner = Arc::new(Inner::default());
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&inner), lifetime));
        Ok(Room { addr, inner, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Handshakes completed so far.
    pub fn joined(&self) -> usize {
        self.inner.joined.load(Ordering::SeqCst)
    }

    /// The messages received so far (at most [`KEEP`]).
    pub fn received(&self) -> Vec<Received> {
        self.inner
            .received
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// Waits until `done(self)` holds or `deadline`; whether it held.
    pub async fn wait_until(&self, deadline: Instant, done: impl Fn(&Room) -> bool) -> bool {
        loop {
            let changed = self.inner.changed.notified();
            if done(self) {
                return true;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return done(self);
            }
        }
    }

    /// Sends `text` to every member, as if another user of the room had said it.
    pub fn push(&self, text: &str) {
        broadcast(&self.inner, text);
    }

    /// Closes every member's connection with a close frame (1001, going away).
    pub fn close_all(&self) {
        if let Ok(members) = self.inner.members.lock() {
            for tx in members.values() {
                let _ = tx.try_send(Out::Close);
            }
        }
    }
}

impl Drop for Room {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves a room on `listener` until it fails: `grade reference lab09 server`.
pub async fn serve(listener: TcpListener) -> std::io::Result<()> {
    accept_loop(listener, Arc::new(Inner::default()), None).await;
    Ok(())
}

async fn accept_loop(listener: TcpListener, inner: Arc<Inner>, lifetime: Option<Duration>) {
    super::accept::bounded(listener, MAX_CONNECTIONS, |stream, _| {
        let inner = Arc::clone(&inner);
        async move {
            let member = member(stream, &inner);
            match lifetime {
                Some(l) => {
                    let _ = tokio::time::timeout(l, member).await;
                }
                None => member.await,
            }
        }
    })
    .await;
}

/// One member, from the handshake until either side closes.
async fn member(stream: TcpStream, inner: &Arc<Inner>) {
    let _ = stream.set_nodelay(true);
    let accept = tokio_tungstenite::accept_async_with_config(stream, Some(config()));
    let Ok(Ok(ws)) = tokio::time::timeout(HANDSHAKE, accept).await else {
        return;
    };
    let (mut sink, mut stream) = ws.split();
    let (tx, mut rx) = mpsc::channel(QUEUE);
    let id = inner.next_id.fetch_add(1, Ordering::SeqCst);
    if let Ok(mut m) = inner.members.lock() {
        m.insert(id, tx);
    }
    inner.joined.fetch_add(1, Ordering::SeqCst);
    inner.changed.notify_waiters();
    let writer = async {
        while let Some(out) = rx.recv().await {
            let sent = match out {
                Out::Text(t) => sink.send(Message::text(t)).await,
                Out::Close => {
                    let frame = CloseFrame {
                        code: CloseCode::Away,
                        reason: "the room is closing".into(),
                    };
                    let _ = sink.send(Message::Close(Some(frame))).await;
                    return;
                }
            };
            if sent.is_err() {
                return;
            }
        }
    };
    let reader = async {
        while let Some(Ok(msg)) = stream.next().await {
            match msg {
                Message::Text(t) => {
                    record(inner, Received::Text(t.as_str().to_string()));
                    broadcast(inner, t.as_str());
                }
                Message::Binary(b) => record(inner, Received::Binary(b.len())),
                // tungstenite queues the closing handshake's reply and sends it on the next
                // read, which then ends the stream. Returning here would drop the reply: a
                // client that closes and keeps receiving (`async for` after `close()`) would
                // read "no close frame received" as an error, as no real server makes it.
                Message::Close(_) => {}
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
            }
        }
    };
    // Either side ending ends the member: a closed reader, or a writer that was told to close
    // (the close frame sent) or could not write.
    tokio::select! {
        () = writer => {}
        () = reader => {}
    }
    if let Ok(mut m) = inner.members.lock() {
        m.remove(&id);
    }
}

fn record(inner: &Inner, r: Received) {
    if let Ok(mut kept) = inner.received.lock()
        && kept.len() < KEEP
    {
        kept.push(r);
    }
    inner.changed.notify_waiters();
}

/// To every member, the sender included. A member whose queue is full (it does not read) is
/// dropped from the room rather than let it hold the others up.
fn broadcast(inner: &Inner, text: &str) {
    if let Ok(mut members) = inner.members.lock() {
        members.retain(|_, tx| tx.try_send(Out::Text(text.to_string())).is_ok());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    type Ws = tokio_tungstenite::WebSocketStream<TcpStream>;

    async fn join(room: &Room) -> Ws {
        let tcp = TcpStream::connect(room.addr()).await.unwrap();
        let url = format!("ws://{}/", room.addr());
        tokio_tungstenite::client_async(url, tcp).await.unwrap().0
    }

    async fn next_text(ws: &mut Ws) -> String {
        let end = Instant::now() + Duration::from_secs(5);
        loop {
            match tokio::time::timeout_at(end, ws.next()).await {
                Ok(Some(Ok(Message::Text(t)))) => return t.as_str().to_string(),
                Ok(Some(Ok(_))) => {}
                other => panic!("no text: {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn every_member_gets_every_message_the_sender_too() {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let room = Room::start(l, Some(Duration::from_secs(15))).unwrap();
        let (mut a, mut b) = (join(&room).await, join(&room).await);
        let end = Instant::now() + Duration::from_secs(5);
        assert!(room.wait_until(end, |r| r.joined() == 2).await);
        a.send(Message::text("하나")).await.unwrap();
        assert_eq!(next_text(&mut a).await, "하나");
        assert_eq!(next_text(&mut b).await, "하나");
        room.push("from the grader");
        assert_eq!(next_text(&mut b).await, "from the grader");
        assert_eq!(room.received(), [Received::Text("하나".into())]);
        room.close_all();
        let end = Instant::now() + Duration::from_secs(5);
        loop {
            match tokio::time::timeout_at(end, a.next()).await.unwrap() {
                Some(Ok(Message::Close(f))) => {
                    assert_eq!(f.unwrap().code, CloseCode::Away);
                    break;
                }
                Some(Ok(_)) => {}
                other => panic!("no close frame: {other:?}"),
            }
        }
    }

    /// A member that closes gets the closing handshake's reply, as from any WebSocket server.
    #[tokio::test]
    async fn a_member_that_closes_gets_a_close_frame_back() {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let room = Room::start(l, Some(Duration::from_secs(15))).unwrap();
        let mut a = join(&room).await;
        a.close(None).await.unwrap();
        let end = Instant::now() + Duration::from_secs(5);
        loop {
            match tokio::time::timeout_at(end, a.next()).await.unwrap() {
                Some(Ok(Message::Close(_))) => break,
                Some(Ok(_)) => {}
                other => panic!("no close frame: {other:?}"),
            }
        }
    }

    /// A message over the cap closes that connection; the room goes on for the others.
    #[tokio::test]
    async fn an_oversized_message_closes_only_its_connection() {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let room = Room::start(l, None).unwrap();
        let (mut a, mut b) = (join(&room).await, join(&room).await);
        let _ = a.send(Message::text("x".repeat(MESSAGE_CAP + 1))).await;
        b.send(Message::text("still here")).await.unwrap();
        assert_eq!(next_text(&mut b).await, "still here");
        assert_eq!(room.received(), [Received::Text("still here".into())]);
    }
}
