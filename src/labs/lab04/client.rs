//! lab04's client checks: the student's `udp_client.py HOST PORT MESSAGE` against the
//! grader's UDP counterpart, which answers at once, drops the first datagram, or never
//! answers; the counterpart counts the datagrams, so "it resent" and "it gave up after three"
//! are observed, not read from the client's output.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::time::Instant;

use super::super::{CheckCx, run_program};
use crate::counterpart::udp::{UdpBehaviour, UdpPeer};
use crate::harness::{Exit, Finished};
use crate::labs::shown;
use crate::report::{Failure, Verdict};
use crate::rng::Rng;
use crate::submission::{Launch, SetupError};

/// One run of the client against one counterpart.
struct Run {
    message: String,
    port: u16,
    /// Datagrams the counterpart received.
    sent: usize,
    took: Duration,
    f: Finished,
}

/// How long a client run may take: three waits of one second, and Python's start.
const RUN_LIMIT: Duration = Duration::from_secs(8);
/// A client that gives up must be done within this (three sends, one second apart).
const GIVE_UP_WITHIN: Duration = Duration::from_secs(5);

pub(super) struct ClientSide {
    launch: Result<Launch, SetupError>,
    seed: u64,
    runs: HashMap<&'static str, Run>,
}

impl ClientSide {
    pub(super) fn new(launch: Result<Launch, SetupError>, seed: u64) -> ClientSide {
        ClientSide {
            launch,
            seed,
            runs: HashMap::new(),
        }
    }

    /// Runs the client against a counterpart behaving as `behaviour` (once per `key`).
    async fn run(
        &mut self,
        key: &'static str,
        behaviour: UdpBehaviour,
        cx: &CheckCx<'_>,
    ) -> Result<&Run, Verdict> {
        if !self.runs.contains_key(key) {
            let launch = self
                .launch
                .as_ref()
                .map_err(|e| Verdict::fail(e.explain(cx.lang)))?;
            let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
                .await
                .map_err(|e| {
                    Verdict::Error(format!("the grader could not open a UDP socket: {e}"))
                })?;
            let peer = UdpPeer::start(socket, behaviour)
                .map_err(|e| Verdict::Error(format!("the grader's UDP server failed: {e}")))?;
            let port = peer.addr().port();
            // Each run's message from its own stream: the same for a seed whatever runs first.
            let message = format!("hello-{}", Rng::named(self.seed, key).token(10));
            let started = Instant::now();
            let f = run_program(
                launch,
                &["127.0.0.1", &port.to_string(), &message],
                RUN_LIMIT,
                cx,
            )
            .await?;
            let run = Run {
                message,
                port,
                sent: peer.count(),
                took: started.elapsed(),
                f,
            };
            self.runs.insert(key, run);
        }
        Ok(&self.runs[key])
    }

    pub(super) async fn runs(&mut self, cx: &CheckCx<'_>) -> Verdict {
        match self.run("prompt", UdpBehaviour::Echo, cx).await {
            Ok(r) => ran_cleanly(r, cx),
            Err(v) => v,
        }
    }

    pub(super) fn reply_line(&self, cx: &CheckCx<'_>) -> Verdict {
        let Some(r) = self.runs.get("prompt") else {
            return Verdict::Error("the client's first run is missing".into());
        };
        let want = format!("[UDP] reply from 127.0.0.1:{}: {}", r.port, r.message);
        if r.f.stdout.lines().any(|l| l.trim() == want) {
            return Verdict::pass();
        }
        Failure::new(cx.t("답을 받은 줄이 없습니다", "the reply line is missing"))
            .expected(want)
            .actual(shown(&r.f.stdout))
            .into()
    }

    pub(super) fn no_extra_sends(&self, cx: &CheckCx<'_>) -> Verdict {
        let Some(r) = self.runs.get("prompt") else {
            return Verdict::Error("the client's first run is missing".into());
        };
        if r.sent == 1 {
            return Verdict::pass();
        }
        Failure::new(format!(
            "{}: {}",
            cx.t(
                "서버가 바로 답했는데도 보낸 데이터그램 수",
                "datagrams sent although the server answered at once"
            ),
            r.sent
        ))
        .expected("1")
        .actual(r.sent.to_string())
        .into()
    }

    pub(super) async fn retries(&mut self, cx: &CheckCx<'_>) -> Verdict {
        let r = match self.run("drop_first", UdpBehaviour::DropFirst(1), cx).await {
            Ok(r) => r,
            Err(v) => return v,
        };
        let want = format!("[UDP] reply from 127.0.0.1:{}: {}", r.port, r.message);
        let replied = r.f.stdout.lines().any(|l| l.trim() == want);
        if r.sent == 2 && replied && r.f.exit == Some(Exit::Code(0)) {
            return Verdict::pass();
        }
        let f = Failure::new(format!(
            "{} ({}: {})",
            cx.t(
                "첫 데이터그램이 사라졌을 때 다시 보내서 답을 받아야 합니다",
                "when the first datagram is lost, the client must send again and get the answer"
            ),
            cx.t("보낸 수", "datagrams sent"),
            r.sent
        ))
        .expected(format!("{} 2\n{want}", cx.t("보낸 수", "datagrams sent")))
        .actual(shown(&format!("{}{}", r.f.stdout, r.f.stderr)));
        if r.sent < 2 {
            f.hint("no_retry").into()
        } else {
            f.into()
        }
    }

    pub(super) async fn gives_up(&mut self, cx: &CheckCx<'_>) -> Verdict {
        let lang = cx.lang;
        let r = match self.run("silent", UdpBehaviour::Silent, cx).await {
            Ok(r) => r,
            Err(v) => return v,
        };
        let line =
            r.f.stdout
                .lines()
                .any(|l| l.trim() == "[UDP] no reply after 3 tries");
        let (problem, hint) = if r.f.timed_out() || r.took > GIVE_UP_WITHIN {
            (
                format!(
                    "{} ({:.1} s; {} {} s)",
                    lang.pick(
                        "답이 없는 서버 앞에서 끝나지 않았습니다",
                        "it did not give up on a silent server"
                    ),
                    r.took.as_secs_f64(),
                    lang.pick("제한", "limit"),
                    GIVE_UP_WITHIN.as_secs()
                ),
                Some("never_ends"),
            )
        } else if r.sent > 3 {
            (
                format!(
                    "{}: {}",
                    lang.pick("보낸 데이터그램 수", "datagrams sent"),
                    r.sent
                ),
                Some("too_many"),
            )
        } else if r.f.has_traceback() {
            (
                lang.pick("traceback을 내며 죽었습니다", "it crashed with a traceback")
                    .to_string(),
                None,
            )
        } else if r.f.exit == Some(Exit::Code(0)) {
            (
                lang.pick(
                    "답을 못 받았는데 종료 코드가 0입니다",
                    "the exit status is 0 without a reply",
                )
                .to_string(),
                None,
            )
        } else if !line {
            (
                lang.pick(
                    "포기했다는 줄이 없습니다",
                    "the line saying it gave up is missing",
                )
                .to_string(),
                None,
            )
        } else {
            return Verdict::pass();
        };
        let f = Failure::new(problem)
            .expected(format!(
                "[UDP] no reply after 3 tries\n({})",
                lang.pick(
                    "3번까지 보내고 0이 아닌 종료 코드",
                    "at most 3 sends, a non-zero exit status"
                )
            ))
            .actual(shown(&format!("{}{}", r.f.stdout, r.f.stderr)));
        match hint {
            Some(h) => f.hint(h).into(),
            None => f.into(),
        }
    }
}

fn ran_cleanly(r: &Run, cx: &CheckCx<'_>) -> Verdict {
    let command = format!("udp_client.py 127.0.0.1 {} {}", r.port, r.message);
    super::super::ran_cleanly(&r.f, &command, RUN_LIMIT, cx.lang)
}
