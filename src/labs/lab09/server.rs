//! lab09's server checks: the grader's WebSocket clients ([`Peer`]) in the student's chat
//! room. Each message carries a random token, and a receiver matches a message by the token it
//! contains: whether the text arrives unchanged is one check of its own (`unchanged`), so a
//! server that adds the sender's name fails that one alone. Each check from `sender_receives`
//! on has a server started afresh (`mod.rs`), so its room holds only its own clients.

use std::time::Duration;

use tokio::time::Instant;

use super::super::CheckCx;
use super::super::server::StudentServer;
use super::peer::{Peer, SETTLE, WAIT, connect, fail, has, in_room, shown};
use crate::report::Verdict;
use crate::text;

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
        let tokens: Vec<&str> = all.iter().map(|m| m.as_str()).collect();
        p.wait_for_all(&tokens, until).await;
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
        let tokens: Vec<&str> = want.iter().map(|m| m.as_str()).collect();
        if !p.wait_for_all(&tokens, until).await {
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
