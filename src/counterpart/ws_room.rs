//! A WebSocket chat room (lab09's protocol): every text message a member sends goes to every
//! member, the sender included, in the order the room received it. The grader uses it as the
//! server of a student's chat client, where it also records what the client sent, pushes
//! messages of its own (another user talking while the student's client waits on its input)
//! and closes the room; `grade reference lab09 server` serves the same room.
//!
//! Its peers are untrusted: it serves at most [`MAX_CONNECTIONS`] at once (others are closed
//! at once), takes no frame or message over [`MESSAGE_CAP`] bytes (tungstenite's limits close
//! such a connection), gives a handshake [`HANDSHAKE`] to finish, queues at most [`QUEUE`]
//! messages and [`QUEUE_BYTES`] bytes for a member that does not read (then drops that member
//! rather than block the room or grow), keeps at most [`KEEP`] received messages and
//! [`KEEP_BYTES`] bytes (and counts every one: a client may flood), and, as a counterpart,
//! closes a connection older than its lifetime. A wait on it ([`Room::wait_until`]) looks at
//! its deadline on every message, so a flood cannot hold it.

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

use crate::flood::{self, Tally};

pub const MAX_CONNECTIONS: usize = 32;
/// The largest frame and message taken (the lab's messages are short lines).
pub const MESSAGE_CAP: usize = 64 << 10;
pub const HANDSHAKE: Duration = Duration::from_secs(5);
/// Messages, and their bytes, waiting for one member's connection before the room gives up
/// on it.
pub const QUEUE: usize = 1024;
pub const QUEUE_BYTES: usize = 1 << 20;
/// Received messages, and their bytes, kept for inspection.
pub const KEEP: usize = 256;
pub const KEEP_BYTES: usize = 1 << 20;

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

/// One member's way in: its queue, and the bytes waiting in it.
struct Member {
    tx: mpsc::Sender<Out>,
    queued: Arc<AtomicUsize>,
}

/// What the room received: the first messages, and how many came in all.
#[derive(Default)]
struct Kept {
    messages: Vec<Received>,
    bytes: usize,
    all: Tally,
}

#[derive(Default)]
struct Inner {
    members: Mutex<HashMap<u64, Member>>,
    received: Mutex<Kept>,
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

    /// The messages received so far (at most [`KEEP`] and [`KEEP_BYTES`]).
    pub fn received(&self) -> Vec<Received> {
        self.inner
            .received
            .lock()
            .map(|r| r.messages.clone())
            .unwrap_or_default()
    }

    /// Every message received so far, kept or not.
    pub fn tally(&self) -> Tally {
        self.inner
            .received
            .lock()
            .map(|r| r.all)
            .unwrap_or_default()
    }

    /// Waits until `done(self)` holds or `deadline`; whether it held. `done` runs on every
    /// message received (keep it cheap: [`Room::tally`], not [`Room::received`]), and the
    /// deadline is looked at each time: a client that floods wakes the wait without end.
    pub async fn wait_until(&self, deadline: Instant, done: impl Fn(&Room) -> bool) -> bool {
        loop {
            let changed = self.inner.changed.notified();
            if done(self) {
                return true;
            }
            if flood::by(deadline, changed).await.is_none() {
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
            for m in members.values() {
                let _ = m.tx.try_send(Out::Close);
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
    let queued = Arc::new(AtomicUsize::new(0));
    let id = inner.next_id.fetch_add(1, Ordering::SeqCst);
    if let Ok(mut m) = inner.members.lock() {
        let queued = Arc::clone(&queued);
        m.insert(id, Member { tx, queued });
    }
    inner.joined.fetch_add(1, Ordering::SeqCst);
    inner.changed.notify_waiters();
    let writer = async {
        while let Some(out) = rx.recv().await {
            let sent = match out {
                Out::Text(t) => {
                    queued.fetch_sub(t.len(), Ordering::SeqCst);
                    sink.send(Message::text(t)).await
                }
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
                    record(inner, t.len(), || Received::Text(t.as_str().to_string()));
                    broadcast(inner, t.as_str());
                }
                Message::Binary(b) => record(inner, b.len(), || Received::Binary(b.len())),
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

/// Counts a message of `size` bytes, and keeps it (`made` only then) while there is room.
fn record(inner: &Inner, size: usize, made: impl FnOnce() -> Received) {
    if let Ok(mut kept) = inner.received.lock() {
        kept.all.add(size);
        if kept.messages.len() < KEEP && kept.bytes + size <= KEEP_BYTES {
            kept.bytes += size;
            kept.messages.push(made());
        }
    }
    inner.changed.notify_waiters();
}

/// To every member, the sender included. A member whose queue is full (it does not read, or
/// not as fast as another member sends) is dropped from the room rather than let it hold the
/// others up or grow the grader.
fn broadcast(inner: &Inner, text: &str) {
    if let Ok(mut members) = inner.members.lock() {
        members.retain(|_, m| {
            if m.queued.load(Ordering::SeqCst) + text.len() > QUEUE_BYTES {
                return false;
            }
            m.queued.fetch_add(text.len(), Ordering::SeqCst);
            m.tx.try_send(Out::Text(text.to_string())).is_ok()
        });
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

    /// A member that sends without pause: the room counts every message, keeps a bounded
    /// number of bytes, drops the member once its echoes pile up unread, and a wait on it
    /// ends at its deadline.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_flooding_member_is_counted_bounded_and_does_not_hold_a_wait() {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let room = Room::start(l, Some(Duration::from_secs(15))).unwrap();
        let mut a = join(&room).await;
        let flood = tokio::spawn(async move {
            let text = "y".repeat(4000);
            let end = Instant::now() + Duration::from_secs(10);
            while Instant::now() < end && a.send(Message::text(text.clone())).await.is_ok() {}
        });
        let until = Instant::now() + Duration::from_millis(500);
        assert!(!room.wait_until(until, |_| false).await);
        let late = Instant::now().saturating_duration_since(until);
        assert!(late < Duration::from_millis(300), "{late:?} late");
        let all = room.tally();
        let kept: usize = room
            .received()
            .iter()
            .map(|r| match r {
                Received::Text(t) => t.len(),
                Received::Binary(n) => *n,
            })
            .sum();
        assert!(all.count > room.received().len() as u64, "{all:?}");
        assert!(kept <= KEEP_BYTES);
        flood.abort();
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
