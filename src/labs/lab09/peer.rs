//! lab09's WebSocket clients of the student's server: they join the room, say a message with
//! a random token in it, read what arrives, and leave politely (a close frame) or vanish (a
//! TCP reset). The server checks (`server.rs`) are written with them.
//!
//! A server may flood (messages as fast as it can send them): a client looks at each message
//! once as it arrives, keeps a bounded number of them (and every one that carried a token it
//! waited for), and once it was sent more than it keeps it stops reading; the check then
//! fails for the flood ([`in_room`]), saying how much came.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use super::super::CheckCx;
use super::super::server::StudentServer;
use crate::counterpart::ws_room;
use crate::flood::{self, Tally, Unit};
use crate::report::Verdict;
use crate::text;

/// How long the grader waits for the messages of one exchange.
pub(super) const WAIT: Duration = Duration::from_secs(5);
/// Messages and bytes one grader client keeps, besides those that carried a token it waited
/// for. A check says a few dozen short messages: a client sent more than this was flooded.
const SEEN_CAP: usize = 512;
const SEEN_BYTES: usize = 256 << 10;
/// The first messages of a flood, shown in its failure.
const FLOOD_SHOWN: usize = 3;
/// What of one message a failure shows.
const SHOWN_CHARS: usize = 100;
/// Time for the server to count a client that just connected as a member of the room.
pub(super) const SETTLE: Duration = Duration::from_millis(150);

/// One of the grader's WebSocket clients, with the text messages it has received.
pub(super) struct Peer {
    pub(super) name: &'static str,
    ws: WebSocketStream<TcpStream>,
    pub(super) seen: Vec<String>,
    seen_bytes: usize,
    /// Every message received, kept or not.
    pub(super) received: Tally,
    /// Messages received past [`SEEN_CAP`] or [`SEEN_BYTES`]: a flood.
    dropped: u64,
    /// The server closed the connection (or it failed).
    pub(super) ended: bool,
}

impl Peer {
    fn new(name: &'static str, ws: WebSocketStream<TcpStream>) -> Peer {
        Peer {
            name,
            ws,
            seen: Vec::new(),
            seen_bytes: 0,
            received: Tally::default(),
            dropped: 0,
            ended: false,
        }
    }

    /// Sends `text` (bounded by [`WAIT`]); a send that fails shows as what never arrives.
    pub(super) async fn say(&mut self, text: &str) {
        let _ = tokio::time::timeout(WAIT, self.ws.send(Message::text(text))).await;
    }

    /// More messages came than the client keeps: nothing it waits for is read any more.
    pub(super) fn flooded(&self) -> bool {
        self.dropped > 0
    }

    /// Reads until a message containing each of `tokens` came (those kept from before count),
    /// the connection ends, it is flooded, or `until`; whether they all came. Each message is
    /// looked at once, as it arrives, and the deadline before each read: a server that floods
    /// never lets a read wait.
    pub(super) async fn wait_for_all(&mut self, tokens: &[&str], until: Instant) -> bool {
        let mut missing: Vec<&str> = tokens
            .iter()
            .copied()
            .filter(|t| !has(&self.seen, t))
            .collect();
        while !missing.is_empty() {
            if self.ended || self.flooded() {
                return false;
            }
            let Some(next) = flood::by(until, self.ws.next()).await else {
                return false;
            };
            match next {
                Some(Ok(Message::Text(t))) => {
                    let before = missing.len();
                    missing.retain(|m| !t.as_str().contains(m));
                    self.keep(t.as_str(), t.len(), missing.len() < before);
                }
                Some(Ok(Message::Binary(b))) => {
                    self.keep(&format!("<binary, {} bytes>", b.len()), b.len(), false);
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => self.ended = true,
            }
        }
        true
    }

    /// Counts a message of `size` bytes and keeps it while there is room, or whatever the
    /// room when it carried a token waited for (at most one per token).
    fn keep(&mut self, text: &str, size: usize, wanted: bool) {
        self.received.add(size);
        let room = self.seen.len() < SEEN_CAP && self.seen_bytes + text.len() <= SEEN_BYTES;
        if !(room || wanted) {
            self.dropped += 1;
            return;
        }
        self.seen_bytes += text.len();
        self.seen.push(text.to_string());
    }

    /// Reads until a message containing `token` came (or `until`).
    pub(super) async fn wait_for(&mut self, token: &str, until: Instant) -> bool {
        self.wait_for_all(&[token], until).await
    }

    /// Leaves politely: a close frame, then a short wait for the server's, as a chat client
    /// ends (only `client_leaves` vanishes). The next check does not rely on the server having
    /// tidied its room: it has a server started afresh.
    pub(super) async fn leave(mut self) {
        // Each step under the deadline: a server that floods has always a next message ready.
        let until = Instant::now() + Duration::from_millis(500);
        let _ = flood::by(until, self.ws.close(None)).await;
        while let Some(Some(Ok(_))) = flood::by(until, self.ws.next()).await {}
    }

    /// Leaves without a close frame: a TCP reset, as a crashed program or a lost network does.
    pub(super) fn vanish(self) {
        let _ = self.ws.get_ref().set_zero_linger();
        drop(self);
    }
}

/// Every peer leaves politely, at once.
async fn leave(peers: Vec<Peer>) {
    futures_util::future::join_all(peers.into_iter().map(Peer::leave)).await;
}

pub(super) fn has(seen: &[String], token: &str) -> bool {
    seen.iter().any(|m| m.contains(token))
}

/// Connects `names.len()` clients, then gives the server a moment to count them in the room.
async fn join(
    s: &StudentServer,
    names: &[&'static str],
    cx: &CheckCx<'_>,
) -> Result<Vec<Peer>, Verdict> {
    let mut peers = Vec::new();
    for name in names {
        peers.push(connect(s, name, cx).await.map_err(|m| fail(s, m))?);
    }
    tokio::time::sleep(SETTLE).await;
    Ok(peers)
}

pub(super) async fn connect(
    s: &StudentServer,
    name: &'static str,
    cx: &CheckCx<'_>,
) -> Result<Peer, String> {
    let until = cx.deadline.min(Instant::now() + WAIT);
    let tcp = match tokio::time::timeout_at(until, TcpStream::connect(s.addr())).await {
        Ok(Ok(t)) => t,
        Ok(Err(e)) => {
            return Err(format!(
                "{}: {e}",
                cx.t(
                    "서버에 연결할 수 없습니다",
                    "could not connect to the server"
                )
            ));
        }
        Err(_) => {
            return Err(cx.t(
                "서버가 5초 안에 연결을 받지 않습니다",
                "the server does not accept the connection within 5 s",
            ));
        }
    };
    let _ = tcp.set_nodelay(true);
    let url = format!("ws://127.0.0.1:{}/", s.port());
    let handshake = tokio_tungstenite::client_async_with_config(url, tcp, Some(ws_room::config()));
    match tokio::time::timeout_at(until, handshake).await {
        Ok(Ok((ws, _))) => Ok(Peer::new(name, ws)),
        Ok(Err(e)) => Err(format!(
            "{}: {}",
            cx.t(
                "WebSocket 핸드셰이크에 실패했습니다",
                "the WebSocket handshake failed"
            ),
            text::clip_default(&e.to_string())
        )),
        Err(_) => Err(cx.t(
            "5초 안에 WebSocket 핸드셰이크에 답하지 않았습니다",
            "the server did not answer the WebSocket handshake within 5 s",
        )),
    }
}

/// Runs `check` with `names` connected to the room (a `Vec`: `client_leaves` takes one out
/// and lets another in); they leave politely afterwards, whatever the verdict.
pub(super) async fn in_room(
    s: &mut StudentServer,
    cx: &mut CheckCx<'_>,
    names: &[&'static str],
    check: impl AsyncFnOnce(&mut StudentServer, &mut Vec<Peer>, &mut CheckCx<'_>) -> Verdict,
) -> Verdict {
    let mut peers = match join(s, names, cx).await {
        Ok(p) => p,
        Err(v) => return v,
    };
    let v = check(s, &mut peers, cx).await;
    let flooded = peers
        .iter()
        .find(|p| p.flooded())
        .map(|p| flood_failure(s, p, cx));
    leave(peers).await;
    flooded.unwrap_or(v)
}

/// A client the server flooded fails the check, whatever else held: the grader stopped
/// reading that client, so what came after the flood was never seen.
fn flood_failure(s: &StudentServer, p: &Peer, cx: &CheckCx<'_>) -> Verdict {
    let got = p.received.say(Unit::Messages, cx.lang);
    let name = p.name;
    let message = cx.t(
        &format!("서버가 클라이언트 {name}에게 {got}를 쉴 새 없이 보냈습니다. 이 검사에서 클라이언트들이 보낸 메시지는 몇 개뿐이라, 채점기는 거기서 더 읽지 않았습니다"),
        &format!("the server sent client {name} {got} without pause, though the clients sent only a few in this check; the grader stopped reading there"),
    );
    let first: Vec<String> = p
        .seen
        .iter()
        .take(FLOOD_SHOWN)
        .map(|m| shown_one(m))
        .collect();
    s.failure(message)
        .expected(cx.t(
            "방의 클라이언트가 보낸 메시지만, 보낸 그대로",
            "only the messages clients in the room sent, as sent",
        ))
        .actual(format!("{name}: {}\n...", first.join(" | ")))
        .hint("flood")
        .into()
}

/// One message as a failure shows it: escaped, clipped.
fn shown_one(m: &str) -> String {
    text::clip(&text::escape_student(m.as_bytes()), SHOWN_CHARS, 4)
}

pub(super) fn fail(s: &StudentServer, message: impl Into<String>) -> Verdict {
    s.failure(message).into()
}

/// What a client received, for a failure's "actual": a few messages each, clipped, and how
/// many more came.
pub(super) fn shown(peers: &[Peer]) -> String {
    const EACH: usize = 20;
    let mut out = String::new();
    for p in peers {
        let mut seen: Vec<String> = p.seen.iter().take(EACH).map(|m| shown_one(m)).collect();
        let more = p.received.count.saturating_sub(seen.len() as u64);
        if more > 0 {
            seen.push(format!("... (+{})", flood::thousands(more)));
        }
        let seen = if seen.is_empty() {
            "-".to_string()
        } else {
            seen.join(" | ")
        };
        let end = if p.ended { " (closed)" } else { "" };
        out.push_str(&format!("{}: {seen}{end}\n", p.name));
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use tokio::net::TcpListener;

    /// A chat server that sends its one client messages of 4000 bytes without pause, for at
    /// most 10 s, and the grader's client in its room.
    async fn flooded_peer() -> Peer {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            let (s, _) = l.accept().await.unwrap();
            let mut ws = tokio_tungstenite::accept_async(s).await.unwrap();
            let text = "x".repeat(4000);
            let end = Instant::now() + Duration::from_secs(10);
            while Instant::now() < end && ws.send(Message::text(text.clone())).await.is_ok() {}
        });
        let tcp = TcpStream::connect(addr).await.unwrap();
        let url = format!("ws://{addr}/");
        let (ws, _) = tokio_tungstenite::client_async(url, tcp).await.unwrap();
        Peer::new("A", ws)
    }

    /// A wait on a flood stops once it is one, long before its deadline; what came is
    /// counted, what is kept bounded, and leaving does not wait for the flood to end.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_wait_on_a_flood_stops_at_the_flood_and_leaving_is_bounded() {
        let mut p = flooded_peer().await;
        let start = Instant::now();
        assert!(!p.wait_for("never", start + Duration::from_secs(5)).await);
        assert!(p.flooded());
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "{:?}",
            start.elapsed()
        );
        assert!(p.seen_bytes <= SEEN_BYTES && p.received.count > p.seen.len() as u64);
        let shown = shown(std::slice::from_ref(&p));
        assert!(shown.len() < 4 << 10, "{} bytes shown", shown.len());
        assert!(shown.contains("... (+"), "{shown}");
        let start = Instant::now();
        p.leave().await;
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn a_message_is_found_by_its_token_wherever_it_is() {
        let seen = vec!["[A] hi-xyz".to_string(), "other".to_string()];
        assert!(has(&seen, "hi-xyz"));
        assert!(!has(&seen, "hi-abc"));
    }
}
