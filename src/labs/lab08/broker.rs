//! lab08's broker checks about routing (a message reaches exactly the subscribers of its
//! topic, once each, until they unsubscribe), and the helpers every broker check shares: the
//! grader's publishers and subscribers against the student's `broker.py`. Topic names and
//! texts come from the check's random stream, so nothing can be hard-coded; each check opens
//! its own connections and drops them at its end.

use std::time::Duration;

use tokio::time::Instant;

use super::peer::{self, FENCE, Peer, SYNC};
use super::watch::Watch;
use crate::flood::Unit;
use crate::i18n::Lang;
use crate::labs::CheckCx;
use crate::labs::server::StudentServer;
use crate::report::Verdict;
use crate::rng::Rng;

/// How long a subscription may take to come into effect (the sync text published again and
/// again until it arrives).
const SYNC_WAIT: Duration = Duration::from_secs(3);
/// How long published messages may take to arrive.
pub(super) const WAIT: Duration = Duration::from_secs(5);

const WORDS: [&str; 8] = [
    "news", "sport", "weather", "music", "stock", "game", "movie", "food",
];

pub(super) type Checked = Result<Verdict, Verdict>;

pub(super) fn flat(r: Checked) -> Verdict {
    r.unwrap_or_else(|v| v)
}

/// A topic name: a word and a random tail (`news-k3j9`), never two alike in one check.
pub(super) fn topic(rng: &mut Rng, word: usize) -> String {
    format!("{}-{}", WORDS[word % WORDS.len()], rng.token(4))
}

pub(super) fn text(rng: &mut Rng, label: &str) -> String {
    format!("{label} {} 안녕하세요", rng.token(6))
}

/// What a subscriber received, or a word for nothing (an empty "actual" reads as a bug).
pub(super) fn or_nothing(shown: String, cx: &CheckCx<'_>) -> String {
    match shown.is_empty() {
        true => cx.t("(받은 줄 없음)", "(no line received)"),
        false => shown,
    }
}

pub(super) fn within(cx: &CheckCx<'_>, limit: Duration) -> Instant {
    cx.deadline.min(Instant::now() + limit)
}

/// One of the connections a check opens before it sends anything (every check opens all of
/// its own first, so that a broker found gone here is known to have gone before the check).
pub(super) async fn connect(
    server: &StudentServer,
    w: &Watch,
    cx: &CheckCx<'_>,
) -> Result<Peer, Verdict> {
    connect_with(server, None, w, cx).await
}

/// [`connect`] with a receive buffer of `rcvbuf` bytes.
pub(super) async fn connect_with(
    server: &StudentServer,
    rcvbuf: Option<u32>,
    w: &Watch,
    cx: &CheckCx<'_>,
) -> Result<Peer, Verdict> {
    Peer::connect_with(server.addr(), rcvbuf, w, within(cx, WAIT))
        .await
        .map_err(|e| {
            // Refused: nothing listens, so the broker went before this check did anything.
            if e.kind() == std::io::ErrorKind::ConnectionRefused {
                w.refused(&e);
                return super::gone::unreachable(&e, cx);
            }
            server
                .failure(format!("{}: {e}", cannot_connect(cx)))
                .into()
        })
}

pub(super) fn cannot_connect(cx: &CheckCx<'_>) -> String {
    cx.t(
        "브로커에 연결할 수 없습니다",
        "could not connect to the broker",
    )
}

/// `sub` subscribes to `topic`, and `publisher` publishes `sync` on it until `sub` gets it.
/// `who` names the subscriber in the failure.
pub(super) async fn subscribed(
    server: &StudentServer,
    sub: &mut Peer,
    topic: &str,
    publisher: &mut Peer,
    sync: &str,
    who: &str,
    cx: &CheckCx<'_>,
) -> Result<(), Verdict> {
    if peer::subscribe(sub, topic, publisher, sync, within(cx, SYNC_WAIT)).await {
        return Ok(());
    }
    let what = if sub.closed {
        cx.t(
            "브로커가 이 연결을 닫았습니다",
            "the broker closed this connection",
        )
    } else if sub.received.count > 0 {
        // Lines came, only not this one: say how many, not that nothing came.
        let got = sub.received.say(Unit::Lines, cx.lang);
        match cx.lang {
            Lang::Ko => format!(
                "3초 동안 PUB을 거듭 보냈지만, 구독자가 받은 {got} 가운데 이 MSG 줄은 없었습니다"
            ),
            Lang::En => format!(
                "PUB was sent again and again for 3 s; the subscriber received {got}, and none was this MSG line"
            ),
        }
    } else {
        cx.t(
            "3초 동안 PUB을 거듭 보냈지만 구독자에게 MSG 줄이 오지 않았습니다",
            "PUB was sent again and again for 3 s, but no MSG line reached the subscriber",
        )
    };
    Err(server
        .failure(format!("{who}: SUB {topic}, PUB {topic} {sync}: {what}"))
        .expected(format!("MSG {topic} {sync}"))
        .actual(or_nothing(sub.shown(10), cx))
        .into())
}

/// Publishes a fence text on each of `topics` and waits until each subscriber of `subs` (with
/// its topic) got its fence: then everything published before it has reached it. Returns
/// which did.
pub(super) async fn fenced(
    publisher: &mut Peer,
    subs: &mut [(&mut Peer, &str)],
    cx: &mut CheckCx<'_>,
) -> Vec<bool> {
    let fence = format!("{FENCE}{}", cx.rng.token(6));
    let until = within(cx, WAIT);
    let mut sent: Vec<&str> = Vec::new();
    for (_, topic) in subs.iter() {
        if !sent.contains(topic) {
            let _ = publisher.send(&format!("PUB {topic} {fence}"), until).await;
            sent.push(topic);
        }
    }
    // Read in turns, a little from each: a fence that never comes must not keep the grader
    // from the others. A correct broker sends them together: once one came, the rest are near.
    let mut arrived = vec![false; subs.len()];
    let mut by = until;
    loop {
        for (i, (sub, topic)) in subs.iter_mut().enumerate() {
            if !arrived[i] {
                let step = by.min(Instant::now() + Duration::from_millis(50));
                arrived[i] = sub.read_until(step, |l| peer::is(l, topic, &fence)).await;
                if arrived[i] && by == until {
                    by = until.min(Instant::now() + Duration::from_secs(1));
                }
            }
        }
        if arrived.iter().all(|&a| a) || Instant::now() >= by {
            break;
        }
    }
    arrived
}

pub(super) async fn delivers(server: &StudentServer, cx: &mut CheckCx<'_>, w: &Watch) -> Checked {
    let t = topic(cx.rng, 0);
    let sync = format!("{SYNC}{}", cx.rng.token(6));
    let m = text(cx.rng, "hello");
    let mut sub = connect(server, w, cx).await?;
    let mut publisher = connect(server, w, cx).await?;
    let who = cx.t("구독자", "the subscriber");
    subscribed(server, &mut sub, &t, &mut publisher, &sync, &who, cx).await?;
    let until = within(cx, WAIT);
    let _ = publisher.send(&format!("PUB {t} {m}"), until).await;
    if sub.read_until(until, |l| peer::is(l, &t, &m)).await {
        return Ok(Verdict::pass());
    }
    Err(server
        .failure(format!(
            "{}: PUB {t} {m}",
            cx.t(
                "구독자가 이 메시지를 그대로 받지 못했습니다",
                "the subscriber did not receive this message as published"
            )
        ))
        .compare(&format!("MSG {t} {m}"), &or_nothing(sub.shown_real(5), cx))
        .into())
}

pub(super) async fn exact_topic(
    server: &StudentServer,
    cx: &mut CheckCx<'_>,
    w: &Watch,
) -> Checked {
    let first = cx.rng.range(0, 7) as usize;
    let base = topic(cx.rng, first);
    let suffix = ["letter", "s", "feed", "2"][cx.rng.range(0, 3) as usize];
    // Every topic, with the message published to it: a subscriber's own, one that starts with
    // its name, an unrelated one, and one nobody subscribed to.
    let topics = [
        base.clone(),
        format!("{base}{suffix}"),
        topic(cx.rng, first + 3),
        topic(cx.rng, first + 5),
    ];
    let texts: Vec<String> = topics.iter().map(|t| text(cx.rng, t)).collect();
    let sync = format!("{SYNC}{}", cx.rng.token(6));
    let mut publisher = connect(server, w, cx).await?;
    let mut subs = Vec::new();
    for _ in &topics[..3] {
        subs.push(connect(server, w, cx).await?);
    }
    for (sub, t) in subs.iter_mut().zip(&topics) {
        let who = format!("SUB {t}");
        subscribed(server, sub, t, &mut publisher, &sync, &who, cx).await?;
    }
    let until = within(cx, WAIT);
    for (t, m) in topics.iter().zip(&texts) {
        let _ = publisher.send(&format!("PUB {t} {m}"), until).await;
    }
    let mut fences: Vec<(&mut Peer, &str)> = subs
        .iter_mut()
        .zip(&topics)
        .map(|(s, t)| (s, t.as_str()))
        .collect();
    fenced(&mut publisher, &mut fences, cx).await;
    for (i, sub) in subs.iter().enumerate() {
        let own = &topics[i];
        let got = sub.all_texts();
        // Told apart by text: a broker may write either topic on the line.
        let wrong = texts
            .iter()
            .enumerate()
            .find(|(j, m)| *j != i && got.iter().any(|(_, g)| g == m));
        if let Some((j, _)) = wrong {
            let other = &topics[j];
            let message = match cx.lang {
                Lang::Ko => {
                    format!("주제 {own}의 구독자가 다른 주제 {other}로 발행된 메시지도 받았습니다")
                }
                Lang::En => {
                    format!("the subscriber of {own} also received a message published to {other}")
                }
            };
            let f = server.failure(message).compare(
                &format!("MSG {own} {}", texts[i]),
                &or_nothing(sub.shown_real(6), cx),
            );
            let f = if other.starts_with(own.as_str()) {
                f.hint("prefix")
            } else {
                f
            };
            return Err(f.into());
        }
        if !got.contains(&(own.as_str(), texts[i].as_str())) {
            return Err(server
                .failure(format!(
                    "SUB {own}: {}",
                    cx.t(
                        "구독한 주제의 메시지를 받지 못했습니다",
                        "the message published to its own topic did not arrive"
                    )
                ))
                .compare(
                    &format!("MSG {own} {}", texts[i]),
                    &or_nothing(sub.shown_real(6), cx),
                )
                .into());
        }
    }
    Ok(Verdict::pass())
}

pub(super) async fn every_subscriber(
    server: &StudentServer,
    cx: &mut CheckCx<'_>,
    w: &Watch,
) -> Checked {
    let word = cx.rng.range(0, 7) as usize;
    let t = topic(cx.rng, word);
    let tok = cx.rng.token(6);
    let texts: Vec<String> = (1..=3).map(|k| text(cx.rng, &format!("m{k}"))).collect();
    let mut publisher = connect(server, w, cx).await?;
    let mut subs: Vec<Peer> = Vec::new();
    for _ in 1..=3 {
        subs.push(connect(server, w, cx).await?);
    }
    for i in 1..=3 {
        let sync = peer::sync(&tok, i);
        let who = format!("{} {i}/3", cx.t("구독자", "subscriber"));
        let (earlier, rest) = subs.split_at_mut(i - 1);
        let sub = &mut rest[0];
        if let Err(v) = subscribed(server, sub, &t, &mut publisher, &sync, &who, cx).await {
            // An earlier subscriber got this one's sync instead: the broker keeps one
            // subscriber per topic (the first).
            let Some(j) = went_to(earlier, &t, &sync, cx).await else {
                return Err(v);
            };
            return Err(server
                .failure(match cx.lang {
                    Lang::Ko => format!(
                        "구독자 {i}/3도 같은 주제를 구독했지만(SUB {t}), 그 주제로 발행한 메시지({sync})는 먼저 구독한 구독자 {j}/3에게만 갔습니다"
                    ),
                    Lang::En => format!(
                        "subscriber {i}/3 subscribed to the same topic (SUB {t}), but what was published to it ({sync}) went only to subscriber {j}/3, who subscribed earlier"
                    ),
                })
                .expected(format!("{who}: MSG {t} {sync}"))
                .actual(format!("{who}: {}", or_nothing(sub.shown(5), cx)))
                .hint("one_only")
                .into());
        }
    }
    let until = within(cx, WAIT);
    for m in &texts {
        let _ = publisher.send(&format!("PUB {t} {m}"), until).await;
    }
    let mut fences: Vec<(&mut Peer, &str)> = subs.iter_mut().map(|s| (s, t.as_str())).collect();
    fenced(&mut publisher, &mut fences, cx).await;
    let counts: Vec<Vec<usize>> = subs
        .iter()
        .map(|s| {
            let got = s.texts(&t);
            texts
                .iter()
                .map(|m| got.iter().filter(|g| *g == m).count())
                .collect()
        })
        .collect();
    let summary: Vec<String> = counts
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let once = c.iter().filter(|&&n| n >= 1).count();
            format!("{} {}/3: {once}/3", cx.t("구독자", "subscriber"), i + 1)
        })
        .collect();
    let expected: Vec<String> = texts.iter().map(|m| format!("MSG {t} {m}")).collect();
    if counts.iter().flatten().any(|&n| n == 0) {
        let f = server
            .failure(format!(
                "{} ({})",
                cx.t(
                    "같은 주제의 구독자 세 명이 모두 메시지를 받아야 하는데 받지 못한 구독자가 있습니다",
                    "all three subscribers of the topic must get every message, and some did not"
                ),
                summary.join(", ")
            ))
            .expected(expected.join("\n"));
        // Some got everything and others nothing: the message went to one subscriber only.
        let some_all = counts.iter().any(|c| c.iter().all(|&n| n >= 1));
        return Err(if some_all { f.hint("one_only") } else { f }.into());
    }
    if let Some(i) = counts.iter().position(|c| c.iter().any(|&n| n > 1)) {
        return Err(server
            .failure(format!(
                "{} {}/3 {}",
                cx.t("구독자", "subscriber"),
                i + 1,
                cx.t(
                    "가 같은 메시지를 두 번 이상 받았습니다",
                    "received the same message more than once"
                )
            ))
            .compare(&expected.join("\n"), &or_nothing(subs[i].shown_real(8), cx))
            .hint("twice")
            .into());
    }
    Ok(Verdict::pass())
}

/// Which of `earlier` (subscribers of `topic`, numbered from 1) received `sync`, published for
/// another subscriber whose subscription never came into effect. Their connections are read
/// for a moment first: nothing read them while the grader waited for the other one.
pub(super) async fn went_to(
    earlier: &mut [Peer],
    topic: &str,
    sync: &str,
    cx: &CheckCx<'_>,
) -> Option<usize> {
    let until = within(cx, Duration::from_millis(500));
    for (j, s) in earlier.iter_mut().enumerate() {
        if s.read_until(until, |l| peer::is(l, topic, sync)).await {
            return Some(j + 1);
        }
    }
    None
}

pub(super) async fn unsub(server: &StudentServer, cx: &mut CheckCx<'_>, w: &Watch) -> Checked {
    let first = cx.rng.range(0, 7) as usize;
    let (t, control, later) = (
        topic(cx.rng, first),
        topic(cx.rng, first + 2),
        topic(cx.rng, first + 4),
    );
    let tok = cx.rng.token(6);
    let texts: Vec<String> = (1..=2)
        .map(|k| text(cx.rng, &format!("after-unsub{k}")))
        .collect();
    let (mut sub, mut other, mut publisher) = (
        connect(server, w, cx).await?,
        connect(server, w, cx).await?,
        connect(server, w, cx).await?,
    );
    let who = cx.t("구독자", "the subscriber");
    let sync = peer::sync(&tok, 1);
    subscribed(server, &mut sub, &t, &mut publisher, &sync, &who, cx).await?;
    let who2 = cx.t("다른 구독자", "another subscriber");
    let sync2 = peer::sync(&tok, 2);
    subscribed(
        server,
        &mut other,
        &control,
        &mut publisher,
        &sync2,
        &who2,
        cx,
    )
    .await?;
    // The broker reads one connection's lines in order: once this PUB, sent after UNSUB on the
    // same connection, has arrived elsewhere, the UNSUB has been handled.
    let until = within(cx, WAIT);
    let mark = peer::sync(&tok, 3);
    let _ = sub.send(&format!("UNSUB {t}"), until).await;
    let _ = sub.send(&format!("PUB {control} {mark}"), until).await;
    if !other
        .read_until(until, |l| peer::is(l, &control, &mark))
        .await
    {
        return Err(server
            .failure(format!(
                "UNSUB {t}, PUB {control} {mark}: {}",
                cx.t(
                    "UNSUB을 보낸 연결이 그 뒤에 보낸 PUB이 전달되지 않았습니다",
                    "a PUB sent after UNSUB on the same connection was not delivered"
                )
            ))
            .expected(format!("MSG {control} {mark}"))
            .actual(or_nothing(other.shown(5), cx))
            .into());
    }
    for m in &texts {
        let _ = publisher.send(&format!("PUB {t} {m}"), until).await;
    }
    fenced(&mut publisher, &mut [(&mut other, control.as_str())], cx).await;
    // Whatever the broker sent the unsubscribed connection by then arrives before this sync.
    let sync4 = peer::sync(&tok, 4);
    subscribed(server, &mut sub, &later, &mut publisher, &sync4, &who, cx).await?;
    let after = sub.texts(&t);
    if after.is_empty() {
        return Ok(Verdict::pass());
    }
    Err(server
        .failure(format!(
            "UNSUB {t}: {}",
            cx.t(
                "구독을 취소한 뒤에도 그 주제의 메시지가 계속 왔습니다",
                "messages of the topic kept coming after UNSUB"
            )
        ))
        .expected(cx.t("(받은 MSG 줄 없음)", "(no MSG line)"))
        .actual(
            after
                .iter()
                .map(|m| format!("MSG {t} {m}"))
                .collect::<Vec<_>>()
                .join("\n"),
        )
        .into())
}
