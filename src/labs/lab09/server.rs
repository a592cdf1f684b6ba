//! lab09's server checks: the grader's WebSocket clients in the student's chat room. Each
//! message carries a random token, and a receiver matches a message by the token it contains:
//! whether the text arrives unchanged is one check of its own (`unchanged`), so a server that
//! adds the sender's name fails that one alone.

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
const WAIT: Duration = Duration::from_secs(5);
/// Messages one grader client keeps (the checks need a few dozen).
const SEEN_CAP: usize = 512;
/// Time for the server to count a client that just connected as a member of the room.
const SETTLE: Duration = Duration::from_millis(150);

/// One of the grader's WebSocket clients, with the text messages it has received.
struct Peer {
    name: &'static str,
    ws: WebSocketStream<TcpStream>,
    seen: Vec<String>,
    /// The server closed the connection (or it failed).
    ended: bool,
}

impl Peer {
    /// Sends `text` (bounded by [`WAIT`]); a send that fails shows as what never arrives.
    async fn say(&mut self, text: &str) {
        let _ = tokio::time::timeout(WAIT, self.ws.send(Message::text(text))).await;
    }

    /// Reads until `done(seen)` holds, the connection ends, or `until`; whether it held.
    async fn read_until(&mut self, until: Instant, done: impl Fn(&[String]) -> bool) -> bool {
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
    async fn wait_for(&mut self, token: &str, until: Instant) -> bool {
        self.read_until(until, |seen| has(seen, token)).await
    }

    /// Leaves politely: a close frame, then a short wait for the server's, so that the next
    /// check starts in a room the server has already tidied (only `client_leaves` vanishes).
    async fn leave(mut self) {
        let bye = async {
            let _ = self.ws.close(None).await;
            while let Some(Ok(_)) = self.ws.next().await {}
        };
        let _ = tokio::time::timeout(Duration::from_millis(500), bye).await;
    }

    /// Leaves without a close frame: a TCP reset, as a crashed program or a lost network does.
    fn vanish(self) {
        let _ = self.ws.get_ref().set_zero_linger();
        drop(self);
    }
}

/// Every peer leaves politely, at once.
async fn leave(peers: Vec<Peer>) {
    futures_util::future::join_all(peers.into_iter().map(Peer::leave)).await;
}

fn has(seen: &[String], token: &str) -> bool {
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

async fn connect(s: &StudentServer, name: &'static str, cx: &CheckCx<'_>) -> Result<Peer, String> {
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
/// and lets another in); they leave politely afterwards, whatever the verdict, so the next
/// check starts in a room the server has tidied.
async fn in_room(
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

fn fail(s: &StudentServer, message: impl Into<String>) -> Verdict {
    s.failure(message).into()
}

/// What a client received, for a failure's "actual".
fn shown(peers: &[Peer]) -> String {
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

pub(super) async fn handshake(s: &mut StudentServer, cx: &mut CheckCx<'_>) -> Verdict {
    match connect(s, "A", cx).await {
        Ok(p) => {
            p.leave().await;
            Verdict::pass()
        }
        Err(m) => fail(s, m),
    }
}

pub(super) async fn sender_receives(s: &mut StudentServer, cx: &mut CheckCx<'_>) -> Verdict {
    in_room(s, cx, &["A", "B"], async |s, p, cx| {
        sender_receives_in(s, p, cx).await
    })
    .await
}

async fn sender_receives_in(
    s: &mut StudentServer,
    peers: &mut [Peer],
    cx: &mut CheckCx<'_>,
) -> Verdict {
    let m = format!("me-too-{}", cx.rng.token(10));
    peers[0].say(&m).await;
    let until = cx.deadline.min(Instant::now() + WAIT);
    if peers[0].wait_for(&m, until).await {
        return Verdict::pass();
    }
    let soon = cx.deadline.min(Instant::now() + Duration::from_secs(1));
    let others = peers[1].wait_for(&m, soon).await;
    let message = if others {
        cx.t(
            "다른 클라이언트는 받았지만, 보낸 클라이언트에게는 메시지가 돌아오지 않았습니다 (5 s)",
            "the other client received it, but the sender did not get its message back (5 s)",
        )
    } else {
        cx.t(
            "보낸 클라이언트도, 다른 클라이언트도 5초 안에 메시지를 받지 못했습니다",
            "neither the sender nor the other client received the message within 5 s",
        )
    };
    s.failure(message)
        .expected(format!("A: {m}"))
        .actual(shown(peers))
        .into()
}

pub(super) async fn broadcast(s: &mut StudentServer, cx: &mut CheckCx<'_>) -> Verdict {
    in_room(s, cx, &["A", "B", "C"], async |s, p, cx| {
        broadcast_in(s, p, cx).await
    })
    .await
}

async fn broadcast_in(s: &mut StudentServer, peers: &mut [Peer], cx: &mut CheckCx<'_>) -> Verdict {
    let m = format!("hello-all-{}", cx.rng.token(10));
    peers[0].say(&m).await;
    let until = cx.deadline.min(Instant::now() + WAIT);
    let mut missed = Vec::new();
    for p in &mut peers[1..] {
        if !p.wait_for(&m, until).await {
            missed.push(p.name);
        }
    }
    if missed.is_empty() {
        return Verdict::pass();
    }
    let soon = cx.deadline.min(Instant::now() + Duration::from_secs(1));
    let echoed = peers[0].wait_for(&m, soon).await;
    let message = if echoed && missed.len() == 2 {
        cx.t(
            "보낸 클라이언트 A에게만 돌아왔습니다: 에코 서버일 뿐, 채팅방이 아닙니다",
            "only the sender A got it back: an echo server, not a chat room",
        )
    } else {
        format!(
            "{}: {}",
            cx.t(
                "A가 보낸 메시지를 5초 안에 받지 못한 클라이언트",
                "clients that did not receive A's message within 5 s"
            ),
            missed.join(", ")
        )
    };
    s.failure(message)
        .expected(format!("B: {m}\nC: {m}"))
        .actual(shown(peers))
        .into()
}

pub(super) async fn unchanged(s: &mut StudentServer, cx: &mut CheckCx<'_>) -> Verdict {
    in_room(s, cx, &["A", "B"], async |s, p, cx| {
        unchanged_in(s, p, cx).await
    })
    .await
}

async fn unchanged_in(s: &mut StudentServer, peers: &mut [Peer], cx: &mut CheckCx<'_>) -> Verdict {
    let m = format!("안녕하세요 {} 😀", cx.rng.token(8));
    peers[0].say(&m).await;
    let until = cx.deadline.min(Instant::now() + WAIT);
    peers[1].wait_for(&m, until).await;
    match peers[1].seen.iter().find(|x| x.contains(&m)) {
        Some(g) if *g == m => Verdict::pass(),
        Some(g) => s
            .failure(cx.t(
                "메시지가 보낸 그대로가 아닙니다: 서버가 글자를 덧붙였습니다",
                "the message is not as it was sent: the server added to it",
            ))
            .compare(&m, &text::escape_student(g.as_bytes()))
            .into(),
        None => fail(
            s,
            cx.t(
                "B가 5초 안에 A의 메시지를 받지 못했습니다",
                "B did not receive A's message within 5 s",
            ),
        ),
    }
}

pub(super) async fn order(s: &mut StudentServer, cx: &mut CheckCx<'_>) -> Verdict {
    in_room(s, cx, &["A", "B", "C"], async |s, p, cx| {
        order_in(s, p, cx).await
    })
    .await
}

async fn order_in(s: &mut StudentServer, peers: &mut [Peer], cx: &mut CheckCx<'_>) -> Verdict {
    const EACH: usize = 5;
    // sent[k][i]: the i-th message of peer k, each with a token of its own.
    let sent: Vec<Vec<String>> = peers
        .iter()
        .map(|p| {
            (1..=EACH)
                .map(|i| format!("{}{i}-{}", p.name, cx.rng.token(8)))
                .collect()
        })
        .collect();
    // Interleaved, without waiting: A1 B1 C1 A2 B2 C2 ...
    for i in 0..EACH {
        for (p, mine) in peers.iter_mut().zip(&sent) {
            p.say(&mine[i]).await;
        }
    }
    let all: Vec<&String> = sent.iter().flatten().collect();
    let until = cx.deadline.min(Instant::now() + WAIT);
    for p in peers.iter_mut() {
        p.read_until(until, |seen| all.iter().all(|m| has(seen, m)))
            .await;
    }
    for p in peers.iter() {
        for (k, from) in sent.iter().enumerate() {
            let at: Vec<Option<usize>> = from
                .iter()
                .map(|m| p.seen.iter().position(|x| x.contains(m.as_str())))
                .collect();
            let in_order = at
                .windows(2)
                .all(|w| matches!(w, [Some(a), Some(b)] if a < b));
            if in_order && at.iter().all(Option::is_some) {
                continue;
            }
            let sender = peers[k].name;
            let got: Vec<&str> = p
                .seen
                .iter()
                .filter_map(|x| from.iter().find(|m| x.contains(m.as_str())))
                .map(|m| &m[..m.find('-').unwrap_or(m.len())])
                .collect();
            let want: Vec<String> = (1..=EACH).map(|i| format!("{sender}{i}")).collect();
            let message = if at.iter().all(Option::is_some) {
                format!(
                    "{} {sender} → {}",
                    cx.t(
                        "보낸 순서와 다르게 도착했습니다:",
                        "messages arrived out of the order they were sent:"
                    ),
                    p.name
                )
            } else {
                format!(
                    "{} {sender} → {} (5 s)",
                    cx.t(
                        "메시지 15개를 한꺼번에 보냈더니 일부가 도착하지 않았습니다:",
                        "of 15 messages sent at once, some did not arrive:"
                    ),
                    p.name
                )
            };
            return s
                .failure(message)
                .compare(&want.join(" "), &got.join(" "))
                .into();
        }
    }
    Verdict::pass()
}

pub(super) async fn client_leaves(s: &mut StudentServer, cx: &mut CheckCx<'_>) -> Verdict {
    in_room(s, cx, &["A", "B", "C"], client_leaves_in).await
}

async fn client_leaves_in(
    s: &mut StudentServer,
    peers: &mut Vec<Peer>,
    cx: &mut CheckCx<'_>,
) -> Verdict {
    let gone = peers.pop().expect("three peers");
    gone.vanish();
    // A server that dies of it does so as soon as it sees the reset: give that a moment.
    if let Some(e) = s.exits_within(Duration::from_millis(300)).await {
        return fail(
            s,
            format!(
                "{} ({e})",
                cx.t(
                    "클라이언트 C가 close 없이 사라지자(reset) 서버가 종료되었습니다",
                    "the server exited when client C vanished without a close (reset)"
                )
            ),
        );
    }
    let [m1, m2, m3] = [0, 1, 2].map(|_| format!("still-here-{}", cx.rng.token(8)));
    peers[0].say(&m1).await;
    tokio::time::sleep(SETTLE).await;
    peers[1].say(&m2).await;
    // The room goes on for someone new, too.
    match connect(s, "D", cx).await {
        Ok(d) => peers.push(d),
        Err(m) => return fail(s, m),
    }
    tokio::time::sleep(SETTLE).await;
    peers[2].say(&m3).await;
    let until = cx.deadline.min(Instant::now() + WAIT);
    let mut wants: Vec<(usize, Vec<&String>)> = Vec::new();
    for (i, want) in [
        (0, vec![&m1, &m2, &m3]),
        (1, vec![&m1, &m2, &m3]),
        (2, vec![&m3]),
    ] {
        let p = &mut peers[i];
        if !p
            .read_until(until, |seen| want.iter().all(|m| has(seen, m)))
            .await
        {
            wants.push((i, want));
        }
    }
    if wants.is_empty() {
        return Verdict::pass();
    }
    let expected: Vec<String> = [("A", "m1 m2 m3"), ("B", "m1 m2 m3"), ("D", "m3")]
        .iter()
        .map(|(n, w)| format!("{n}: {w}"))
        .collect();
    let names = [(&m1, "m1"), (&m2, "m2"), (&m3, "m3")];
    let actual: Vec<String> = peers
        .iter()
        .map(|p| {
            let got: Vec<&str> = names
                .iter()
                .filter(|(m, _)| has(&p.seen, m))
                .map(|(_, n)| *n)
                .collect();
            let end = if p.ended { " (closed)" } else { "" };
            format!("{}: {}{end}", p.name, got.join(" "))
        })
        .collect();
    let exited = s.exited();
    let why = match exited {
        Some(e) => format!(
            "{} ({e})",
            cx.t("서버가 종료되었습니다", "the server exited")
        ),
        None => cx.t(
            "남은 클라이언트들이 메시지를 다 받지 못했습니다",
            "the clients still there did not get every message",
        ),
    };
    s.failure(format!(
        "{}: {why}",
        cx.t(
            "클라이언트 C가 close 없이 사라진(reset) 뒤 A가 m1, B가 m2, 새로 들어온 D가 m3을 보냈습니다",
            "after client C vanished without a close (reset), A sent m1, B m2, and D, new in the room, m3"
        )
    ))
    .compare(&expected.join("\n"), &actual.join("\n"))
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_found_by_its_token_wherever_it_is() {
        let seen = vec!["[A] hi-xyz".to_string(), "other".to_string()];
        assert!(has(&seen, "hi-xyz"));
        assert!(!has(&seen, "hi-abc"));
    }
}
