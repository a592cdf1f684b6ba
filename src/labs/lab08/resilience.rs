//! lab08's broker checks about what a broker must survive: a subscriber that stops reading,
//! one that resets, three publishers writing at once in pieces.

use std::time::Duration;

use super::broker::{
    Checked, WAIT, cannot_connect, connect, connect_with, fenced, or_nothing, subscribed, text,
    topic, went_to, within,
};
use super::gone;
use super::peer::{self, Peer, SYNC};
use super::watch::Watch;
use crate::labs::CheckCx;
use crate::labs::server::StudentServer;
use crate::report::Verdict;

/// The slow-subscriber test: this many messages of [`SLOW_TEXT`] bytes (8 MiB in all, well
/// beyond what the kernel buffers for a subscriber that does not read), all to arrive at the
/// subscriber that does read within [`SLOW_WAIT`].
const SLOW_COUNT: usize = 2048;
const SLOW_TEXT: usize = 4096;
const SLOW_WAIT: Duration = Duration::from_secs(10);
/// How many messages the publisher may be ahead of what the reading subscriber received
/// (256 KiB).
const SLOW_AHEAD: usize = 64;
/// The receive buffer of the subscriber that stops reading: small, so it fills soon.
const SLOW_RCVBUF: u32 = 4096;

pub(super) async fn slow_subscriber(
    server: &StudentServer,
    cx: &mut CheckCx<'_>,
    w: &Watch,
) -> Checked {
    let word = cx.rng.range(0, 7) as usize;
    let t = topic(cx.rng, word);
    let tok = cx.rng.token(6);
    let unit = cx.rng.token(16);
    let filler: String = unit.chars().cycle().take(SLOW_TEXT).collect();
    let mut slow = connect_with(server, Some(SLOW_RCVBUF), w, cx).await?;
    let mut fast = connect(server, w, cx).await?;
    let mut publisher = connect(server, w, cx).await?;
    let who = cx.t("읽지 않을 구독자", "the subscriber that will stop reading");
    let sync = peer::sync(&tok, 1);
    subscribed(server, &mut slow, &t, &mut publisher, &sync, &who, cx).await?;
    let who = cx.t("계속 읽는 구독자", "the subscriber that keeps reading");
    let sync = peer::sync(&tok, 2);
    if let Err(v) = subscribed(server, &mut fast, &t, &mut publisher, &sync, &who, cx).await {
        let first = went_to(std::slice::from_mut(&mut slow), &t, &sync, cx).await;
        return Err(if first.is_some() {
            one_subscriber(cx)
        } else {
            v
        });
    }
    // From here on `slow` reads nothing. The publisher keeps at most SLOW_AHEAD messages ahead
    // of what `fast` received, so a grader slowed by a busy machine never makes a broker hold
    // more for `fast` than a bounded outbox takes (the hint allows dropping or disconnecting a
    // subscriber that falls far behind).
    let until = within(cx, SLOW_WAIT);
    let (progress, mut received) = tokio::sync::watch::channel(0usize);
    let publish = async {
        let mut sent = 0;
        while sent < SLOW_COUNT {
            let room = (*received.borrow_and_update() + SLOW_AHEAD).min(SLOW_COUNT);
            if room > sent {
                let batch: String = (sent..room)
                    .map(|i| format!("PUB {t} {i:04} {filler}\n"))
                    .collect();
                if !publisher.write(batch.as_bytes(), until).await {
                    return;
                }
                sent = room;
            } else if !matches!(
                crate::flood::by(until, received.changed()).await,
                Some(Ok(()))
            ) {
                return;
            }
        }
    };
    let prefix = format!("MSG {t} ");
    let counted = |l: &str| {
        l.strip_prefix(prefix.as_str())
            .is_some_and(|m| m.ends_with(&filler))
    };
    let read = async {
        let mut got = 0;
        while got < SLOW_COUNT {
            match fast.count(until, 1, counted).await {
                0 => break,
                n => got += n,
            }
            progress.send_replace(got);
        }
        got
    };
    let ((), got) = tokio::join!(publish, read);
    drop(slow);
    if got >= SLOW_COUNT {
        return Ok(Verdict::pass());
    }
    Err(server
        .failure(format!(
            "{}: {got} / {SLOW_COUNT} ({} s)",
            cx.t(
                "같은 주제의 한 구독자가 읽기를 멈추자, 계속 읽는 다른 구독자가 받은 메시지 수",
                "with one subscriber of the topic no longer reading, messages the other subscriber received"
            ),
            SLOW_WAIT.as_secs()
        ))
        .into())
}

/// A second subscriber of a topic gets nothing, its messages go to the first: every_subscriber
/// fails for that, and a check that needs two subscribers of one topic cannot tell its own
/// lesson. Skipped with the reason rather than failed for another check's lesson.
fn one_subscriber(cx: &CheckCx<'_>) -> Verdict {
    Verdict::Skipped(cx.t(
        "검사하지 못했습니다: 이 검사에는 같은 주제의 구독자가 둘 필요한데, 브로커가 그 주제의 메시지를 첫 구독자에게만 보냅니다 (every_subscriber를 먼저 고치세요)",
        "not checked: this check needs two subscribers of one topic, and the broker sends the topic's messages to the first one only (fix every_subscriber first)",
    ))
}

pub(super) async fn subscriber_vanishes(
    server: &mut StudentServer,
    cx: &mut CheckCx<'_>,
    w: &Watch,
) -> Checked {
    let word = cx.rng.range(0, 7) as usize;
    let (t, t2) = (topic(cx.rng, word), topic(cx.rng, word + 1));
    let tok = cx.rng.token(6);
    let texts: Vec<String> = (1..=2)
        .map(|k| text(cx.rng, &format!("still{k}")))
        .collect();
    let mut leaving = connect(server, w, cx).await?;
    let mut stay = connect(server, w, cx).await?;
    let mut publisher = connect(server, w, cx).await?;
    // The one that leaves subscribed first: a broker that sends in subscription order meets it
    // before the one that stays.
    let who = cx.t("떠날 구독자", "the subscriber that will leave");
    let sync = peer::sync(&tok, 1);
    subscribed(server, &mut leaving, &t, &mut publisher, &sync, &who, cx).await?;
    let who = cx.t("남는 구독자", "the subscriber that stays");
    let sync = peer::sync(&tok, 2);
    if let Err(v) = subscribed(server, &mut stay, &t, &mut publisher, &sync, &who, cx).await {
        let first = went_to(std::slice::from_mut(&mut leaving), &t, &sync, cx).await;
        return Err(if first.is_some() {
            one_subscriber(cx)
        } else {
            v
        });
    }
    // Every copy of the sync texts reaches both first. A copy still on its way to the one that
    // leaves would meet the reset in the broker's send rather than in its recv, and a broker
    // that guards one and not the other would pass or fail by the grader's timing.
    fenced(
        &mut publisher,
        &mut [(&mut leaving, t.as_str()), (&mut stay, t.as_str())],
        cx,
    )
    .await;
    leaving.reset();
    let after = cx.t(
        "한 구독자가 연결을 갑자기 끊은(reset) 뒤",
        "after a subscriber reset its connection,",
    );
    // A broker that dies of it does so as soon as it sees the reset: it exits, or its main
    // thread ends and closes the listening socket while other threads keep the process.
    if let Some(g) = gone::within(server, Duration::from_millis(500), cx).await {
        return Err(server
            .failure(format!("{after} {}", gone::describe(g, cx)))
            .into());
    }
    let until = within(cx, WAIT);
    for m in &texts {
        let _ = publisher.send(&format!("PUB {t} {m}"), until).await;
    }
    let all = peer::all_of(&t, texts.iter().map(String::as_str).collect());
    if !stay.read_until(until, all).await {
        let got = texts.iter().filter(|m| stay.has(&t, m)).count();
        // One that sends to the vanished subscriber without a guard dies now, in the publish.
        let what = match gone::within(server, Duration::from_millis(200), cx).await {
            Some(g) => gone::describe(g, cx),
            None => format!(
                "{}: {got} / 2",
                cx.t(
                    "남은 구독자가 그 뒤에 발행된 메시지를 받은 수",
                    "messages published afterwards that the remaining subscriber received"
                )
            ),
        };
        let expected: Vec<String> = texts.iter().map(|m| format!("MSG {t} {m}")).collect();
        return Err(server
            .failure(format!("{after} {what}"))
            .compare(&expected.join("\n"), &or_nothing(stay.shown_real(5), cx))
            .into());
    }
    // And the broker still takes new connections and subscriptions. Refused here, it went
    // during this check: a failure (`gone::settle` tells how), not a reason to skip.
    let mut fresh = Peer::connect(server.addr(), w, within(cx, WAIT))
        .await
        .map_err(|e| {
            Verdict::from(server.failure(format!("{after} {}: {e}", cannot_connect(cx))))
        })?;
    let who = format!("{after} {}", cx.t("새 구독자", "a new subscriber"));
    let sync = peer::sync(&tok, 3);
    subscribed(server, &mut fresh, &t2, &mut publisher, &sync, &who, cx).await?;
    Ok(Verdict::pass())
}

pub(super) async fn several_publishers(
    server: &StudentServer,
    cx: &mut CheckCx<'_>,
    w: &Watch,
) -> Checked {
    let word = cx.rng.range(0, 7) as usize;
    let t = topic(cx.rng, word);
    let sync = format!("{SYNC}{}", cx.rng.token(6));
    let texts: Vec<Vec<String>> = (1..=3)
        .map(|p| {
            (1..=3)
                .map(|k| text(cx.rng, &format!("p{p}-{k}")))
                .collect()
        })
        .collect();
    let mut sub = connect(server, w, cx).await?;
    let mut publishers = Vec::new();
    for _ in 0..3 {
        publishers.push(connect(server, w, cx).await?);
    }
    let who = cx.t("구독자", "the subscriber");
    subscribed(server, &mut sub, &t, &mut publishers[0], &sync, &who, cx).await?;
    // Each publisher's lines in 7-byte pieces, the three written in turn: the broker sees
    // pieces of three lines at once, and must keep each connection's bytes apart.
    let streams: Vec<Vec<u8>> = texts
        .iter()
        .map(|ms| {
            ms.iter()
                .flat_map(|m| format!("PUB {t} {m}\n").into_bytes())
                .collect()
        })
        .collect();
    let until = within(cx, WAIT);
    let rounds = streams
        .iter()
        .map(|s| s.len().div_ceil(7))
        .max()
        .unwrap_or(0);
    for r in 0..rounds {
        for (p, s) in publishers.iter_mut().zip(&streams) {
            if let Some(piece) = s.chunks(7).nth(r) {
                let _ = p.write(piece, until).await;
            }
        }
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    let all: Vec<&String> = texts.iter().flatten().collect();
    let want = peer::all_of(&t, all.iter().map(|m| m.as_str()).collect());
    if sub.read_until(until, want).await {
        return Ok(Verdict::pass());
    }
    let got = all.iter().filter(|m| sub.has(&t, m)).count();
    let expected: Vec<String> = all.iter().map(|m| format!("MSG {t} {m}")).collect();
    Err(server
        .failure(format!(
            "{}: {got} / 9",
            cx.t(
                "세 발행자가 동시에 조각조각 보낸 메시지 가운데 구독자가 받은 수",
                "of the messages three publishers sent at once, in pieces, the subscriber received"
            )
        ))
        .compare(&expected.join("\n"), &or_nothing(sub.shown_real(12), cx))
        .into())
}
