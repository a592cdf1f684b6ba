//! lab09's WebSocket clients of the student's server: they join the room, say a message with
//! a random token in it, read what arrives, and leave politely (a close frame) or vanish (a
//! TCP reset). The server checks (`server.rs`) are written with them.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use super::super::CheckCx;
use super::super::server::StudentServer;
use crate::counterpart::ws_room;
use crate::report::Verdict;
use crate::text;

/// How long the grader waits for the messages of one exchange.
pub(super) const WAIT: Duration = Duration::from_secs(5);
/// Messages one grader client keeps (the checks need a few dozen).
const SEEN_CAP: usize = 512;
/// Time for the server to count a client that just connected as a member of the room.
pub(super) const SETTLE: Duration = Duration::from_millis(150);

/// One of the grader's WebSocket clients, with the text messages it has received.
pub(super) struct Peer {
    pub(super) name: &'static str,
    ws: WebSocketStream<TcpStream>,
    pub(super) seen: Vec<String>,
    /// The server closed the connection (or it failed).
    pub(super) ended: bool,
}

impl Peer {
    /// Sends `text` (bounded by [`WAIT`]); a send that fails shows as what never arrives.
    pub(super) async fn say(&mut self, text: &str) {
        let _ = tokio::time::timeout(WAIT, self.ws.send(Message::text(text))).await;
    }

    /// Reads until `done(seen)` holds, the connection ends, or `until`; whether it held.
    pub(super) async fn read_until(
        &mut self,
        until: Instant,
        done: impl Fn(&[String]) -> bool,
    ) -> bool {
        while !done(&self.seen) {
            if self.ended || self.seen.len() >= SEEN_CAP {
                return false;
            }
            match tokio::time::timeout_at(until, self.ws.next()).await {
                Ok(Some(Ok(Message::Text(t)))) => self.seen.push(t.as_str().to_string()),
                Ok(Some(Ok(Message::Binary(b)))) => {
                    self.seen.push(format!("<binary, {} bytes>", b.len()));
                }
                Ok(Some(Ok(_))) => {}
                Ok(Some(Err(_)) | None) => self.ended = true,
                Err(_) => return false,
            }
        }
        true
    }

    /// Reads until a message containing `token` came (or `until`).
    pub(super) async fn wait_for(&mut self, token: &str, until: Instant) -> bool {
        self.read_until(until, |seen| has(seen, token)).await
    }

    /// Leaves politely: a close frame, then a short wait for the server's, as a chat client
    /// ends (only `client_leaves` vanishes). The next check does not rely on the server having
    /// tidied its room: it has a server started afresh.
    pub(super) async fn leave(mut self) {
        let bye = async {
            let _ = self.ws.close(None).await;
            while let Some(Ok(_)) = self.ws.next().await {}
        };
        let _ = tokio::time::timeout(Duration::from_millis(500), bye).await;
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
        Ok(Ok((ws, _))) => Ok(Peer {
            name,
            ws,
            seen: Vec::new(),
            ended: false,
        }),
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
    leave(peers).await;
    v
}

pub(super) fn fail(s: &StudentServer, message: impl Into<String>) -> Verdict {
    s.failure(message).into()
}

/// What a client received, for a failure's "actual".
pub(super) fn shown(peers: &[Peer]) -> String {
    let mut out = String::new();
    for p in peers {
        let seen = if p.seen.is_empty() {
            "-".to_string()
        } else {
            p.seen.join(" | ")
        };
        let end = if p.ended { " (closed)" } else { "" };
        out.push_str(&format!("{}: {seen}{end}\n", p.name));
    }
    text::escape_student(out.trim_end().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::has;

    #[test]
    fn a_message_is_found_by_its_token_wherever_it_is() {
        let seen = vec!["[A] hi-xyz".to_string(), "other".to_string()];
        assert!(has(&seen, "hi-xyz"));
        assert!(!has(&seen, "hi-abc"));
    }
}
