//! lab05 tcp_echo: two programs and one protocol, the framing lesson of seed 001: a message is
//! one line of UTF-8 text ending in `\n`, answered with `서버 응답: ` + the line + `\n`. The
//! grader plays the student server's clients (lines in one write, one byte at a time, 64 KiB,
//! twenty at once, one that resets mid-line) and the student client's server (a bounded
//! counterpart that answers whole or in pieces).

mod client;

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::server::StudentServer;
use super::{BoxFuture, CheckCx, DriverEnv, LabDriver};
use crate::harness::ports::Probe;
use crate::i18n::Lang;
use crate::lab::Role;
use crate::report::{Failure, Verdict};
use crate::submission::Programs;
use crate::text;
use crate::wire::lab05::{DEFAULT_PORT, PREFIX};
use client::ClientSide;

checks! {
    enum Check {
        Starts = "starts",
        UsesPort = "uses_port" needs ["starts"],
        Echo = "echo" needs ["starts"],
        SeveralLines = "several_lines" needs ["starts"] hints ["one_recv"],
        SplitWrites = "split_writes" needs ["starts"] hints ["one_recv"],
        LongLine = "long_line" needs ["starts"] hints ["one_recv"],
        Concurrent = "concurrent" needs ["starts"],
        ClientVanishes = "client_vanishes" needs ["starts"],
        ClientRuns = "client_runs",
        ClientReplies = "client_replies" needs ["client_runs"] hints ["labelled"],
        ClientFragmented = "client_fragmented" needs ["client_runs"],
        ClientLongReply = "client_long_reply" needs ["client_runs"],
        ClientRefused = "client_refused",
    }
}

/// The checks, in the order of `graders/lab05/lab.toml`.
pub const CHECKS: &[super::spec::CheckSpec] = Check::SPECS;

/// The longest reply the grader reads (the lab's longest line is 64 KiB).
const READ_CAP: usize = 256 << 10;
/// How long the grader waits for the replies of one exchange.
const WAIT: Duration = Duration::from_secs(5);

pub struct Lab05 {
    server: StudentServer,
    client: ClientSide,
}

/// Nothing came back at all (no connection, closed, or silent), with what to report if that
/// stands: told apart so that a server on its way out can be started again and asked again.
struct Silent(Option<Verdict>);

/// What came back for an exchange: complete lines (without `\n`), and any unfinished rest.
struct Replies {
    lines: Vec<Vec<u8>>,
    rest: Vec<u8>,
}

impl Lab05 {
    pub fn new(programs: Programs, env: DriverEnv) -> Lab05 {
        let launch = programs.get(Role::Server).cloned().map_err(Clone::clone);
        let server = StudentServer::new(launch, DEFAULT_PORT, Probe::Tcp);
        let launch = programs.get(Role::Client).cloned().map_err(Clone::clone);
        Lab05 {
            server,
            client: ClientSide::new(launch, env.seed),
        }
    }

    async fn connect(&self, cx: &CheckCx<'_>) -> Result<TcpStream, Verdict> {
        let until = cx.deadline.min(Instant::now() + WAIT);
        match tokio::time::timeout_at(until, TcpStream::connect(self.server.addr())).await {
            Ok(Ok(s)) => {
                let _ = s.set_nodelay(true);
                Ok(s)
            }
            Ok(Err(e)) => Err(self.failure(format!(
                "{}: {e}",
                cx.t(
                    "서버에 연결할 수 없습니다",
                    "could not connect to the server"
                )
            ))),
            Err(_) => Err(self.failure(cx.t(
                "서버가 연결을 받지 않습니다 (5 s)",
                "the server does not accept the connection (5 s)",
            ))),
        }
    }

    fn failure(&self, message: String) -> Verdict {
        self.server.failure(message).into()
    }

    /// Reads until `n` whole lines came, the server closed, or `until`.
    async fn replies(stream: &mut TcpStream, n: usize, until: Instant) -> Replies {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 16384];
        while buf.iter().filter(|&&b| b == b'\n').count() < n && buf.len() < READ_CAP {
            match crate::flood::by(until, stream.read(&mut chunk)).await {
                Some(Ok(0)) | Some(Err(_)) | None => break,
                Some(Ok(k)) => buf.extend_from_slice(&chunk[..k]),
            }
        }
        let mut lines: Vec<Vec<u8>> = buf.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
        let rest = lines.pop().unwrap_or_default();
        Replies { lines, rest }
    }

    /// Sends `pieces` (each written on its own, `pause` apart) and holds the replies to one
    /// `서버 응답: ` line per message of `messages`, in order. A server that was still on its
    /// way out after the previous check (it serves one connection, then exits) and so says
    /// nothing is started again and asked once more: serving on is another check's lesson.
    async fn exchange(
        &mut self,
        pieces: &[Vec<u8>],
        pause: Duration,
        messages: &[String],
        framing: bool,
        cx: &CheckCx<'_>,
    ) -> Verdict {
        let mut outcome = self
            .exchange_once(pieces, pause, messages, framing, cx)
            .await;
        if outcome.is_err() {
            match self
                .server
                .restarted_if_gone(Duration::from_millis(200), cx)
                .await
            {
                Ok(true) => {
                    outcome = self
                        .exchange_once(pieces, pause, messages, framing, cx)
                        .await;
                }
                Ok(false) => {}
                Err(v) => return v,
            }
        }
        match outcome {
            Ok(v) | Err(Silent(Some(v))) => v,
            Err(Silent(None)) => self.silence(cx),
        }
    }

    fn silence(&self, cx: &CheckCx<'_>) -> Verdict {
        self.failure(cx.t(
            "답을 보내기 전에 서버가 연결을 닫았거나, 5초 안에 답이 오지 않았습니다",
            "the server closed the connection without an answer, or none came within 5 s",
        ))
    }

    async fn exchange_once(
        &mut self,
        pieces: &[Vec<u8>],
        pause: Duration,
        messages: &[String],
        framing: bool,
        cx: &CheckCx<'_>,
    ) -> Result<Verdict, Silent> {
        let mut stream = match self.connect(cx).await {
            Ok(s) => s,
            Err(v) => return Err(Silent(Some(v))),
        };
        for piece in pieces {
            if stream.write_all(piece).await.is_err() {
                break;
            }
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
        }
        let until = cx.deadline.min(Instant::now() + WAIT);
        let got = Self::replies(&mut stream, messages.len(), until).await;
        let want: Vec<String> = messages.iter().map(|m| format!("{PREFIX}{m}")).collect();
        let seen: Vec<String> = got
            .lines
            .iter()
            .map(|l| {
                String::from_utf8_lossy(l)
                    .trim_end_matches('\r')
                    .to_string()
            })
            .collect();
        if seen == want {
            return Ok(Verdict::pass());
        }
        if seen.is_empty() && got.rest.is_empty() {
            return Err(Silent(None));
        }
        let mut actual = seen.join("\n");
        if !got.rest.is_empty() {
            actual.push_str(&format!(
                "\n{} {}",
                text::escape_student(&got.rest[..got.rest.len().min(200)]),
                cx.t("(줄바꿈 없이 끝남)", "(no newline)")
            ));
        }
        let message = if seen.len() > want.len() {
            cx.t(
                "보낸 줄보다 답한 줄이 많습니다: 한 줄을 여러 메시지로 나누어 답했습니다",
                "more reply lines than lines sent: one line was answered in pieces",
            )
        } else {
            cx.t(
                "답한 줄이 보낸 줄과 맞지 않습니다",
                "the reply lines do not match the lines sent",
            )
        };
        let mut failure = Failure::new(message).compare(&want.join("\n"), &actual);
        // Something came back, but not one reply per line: a recv taken as one message, the
        // framing lesson (the checks that send lines in pieces, together or long).
        if framing {
            failure = failure.hint("one_recv");
        }
        if let Some(p) = self.server.process() {
            failure = failure.output(p.output(15));
        }
        Ok(failure.into())
    }

    async fn concurrent(&mut self, cx: CheckCx<'_>) -> Verdict {
        let mut streams = Vec::new();
        for _ in 0..20 {
            match self.connect(&cx).await {
                Ok(s) => streams.push(s),
                Err(v) => return v,
            }
        }
        // Only once all are connected does any send: a server that serves one connection
        // at a time answers the first and leaves the rest waiting.
        let token = cx.rng.token(6);
        for (i, s) in streams.iter_mut().enumerate() {
            let _ = s.write_all(format!("c{i}-{token}\n").as_bytes()).await;
        }
        let until = cx.deadline.min(Instant::now() + WAIT);
        let mut answered = 0;
        for (i, s) in streams.iter_mut().enumerate() {
            let got = Self::replies(s, 1, until).await;
            let want = format!("{PREFIX}c{i}-{token}");
            if got
                .lines
                .first()
                .map(|l| String::from_utf8_lossy(l).trim_end().to_string())
                == Some(want)
            {
                answered += 1;
            }
        }
        if answered == 20 {
            return Verdict::pass();
        }
        self.failure(format!(
            "{}: {answered} / 20",
            cx.t(
                "동시에 연결한 클라이언트 20개 가운데 5초 안에 답을 받은 수",
                "of 20 clients connected at once, answered within 5 s"
            )
        ))
    }

    async fn client_vanishes(&mut self, cx: CheckCx<'_>) -> Verdict {
        let mut gone = match self.connect(&cx).await {
            Ok(s) => s,
            Err(v) => return v,
        };
        let _ = gone.write_all("반쯤 보낸 줄".as_bytes()).await;
        // A reset, not a polite close: what a crashed or killed client leaves behind.
        let _ = gone.set_zero_linger();
        drop(gone);
        // A server that dies of it does so as soon as its thread sees the reset: give that a
        // moment (bounded) before asking whether the others are still served.
        if let Some(e) = self.server.exits_within(Duration::from_millis(500)).await {
            return self.failure(format!(
                "{}: {} ({e})",
                cx.t(
                    "한 클라이언트가 줄 중간에 연결을 끊은(reset) 뒤",
                    "after a client reset its connection mid-line"
                ),
                cx.t("서버가 종료되었습니다", "the server exited")
            ));
        }
        let m = format!("still-there-{}", cx.rng.token(8));
        let line = format!("{m}\n").into_bytes();
        match self
            .exchange(&[line], Duration::ZERO, &[m], false, &cx)
            .await
        {
            Verdict::Passed { .. } => Verdict::pass(),
            _ => {
                let exited = self.server.exited();
                let why = match exited {
                    Some(e) => format!(
                        "{} ({e})",
                        cx.t("서버가 종료되었습니다", "the server exited")
                    ),
                    None => cx.t(
                        "다음 클라이언트에 답하지 않습니다",
                        "it does not answer the next client",
                    ),
                };
                self.failure(format!(
                    "{}: {why}",
                    cx.t(
                        "한 클라이언트가 줄 중간에 연결을 끊은(reset) 뒤",
                        "after a client reset its connection mid-line"
                    )
                ))
            }
        }
    }
}

impl LabDriver for Lab05 {
    fn run_check<'a>(&'a mut self, id: &'a str, cx: CheckCx<'a>) -> BoxFuture<'a, Verdict> {
        Box::pin(async move {
            let Some(check) = Check::parse(id) else {
                return Verdict::Error(format!("lab05 has no check `{id}`"));
            };
            // Every server check gets a running server, started again if it exited.
            if let Err(v) = self.server.before_check(CHECKS, id, &cx).await {
                return v;
            }
            match check {
                Check::Starts => self.server.start(&cx).await,
                Check::UsesPort => self.server.uses_port(&cx),
                Check::Echo => {
                    let m = format!("hello-{}", cx.rng.token(10));
                    let line = format!("{m}\n").into_bytes();
                    self.exchange(&[line], Duration::ZERO, &[m], false, &cx)
                        .await
                }
                Check::SeveralLines => {
                    let t = cx.rng.token(6);
                    let ms: Vec<String> = (1..=3).map(|i| format!("line{i}-{t}")).collect();
                    let all: String = ms.iter().map(|m| format!("{m}\n")).collect();
                    self.exchange(&[all.into_bytes()], Duration::ZERO, &ms, true, &cx)
                        .await
                }
                Check::SplitWrites => {
                    // Korean, one byte at a time: UTF-8 characters split across writes.
                    let m = format!("한글 {} 조각", cx.rng.token(4));
                    let pieces: Vec<Vec<u8>> = format!("{m}\n").bytes().map(|b| vec![b]).collect();
                    self.exchange(&pieces, Duration::from_millis(3), &[m], true, &cx)
                        .await
                }
                Check::LongLine => {
                    let unit = cx.rng.token(16);
                    let m: String = unit.chars().cycle().take(64 << 10).collect();
                    let sent = format!("{m}\n").into_bytes();
                    self.exchange(&[sent], Duration::ZERO, &[m], true, &cx)
                        .await
                }
                Check::Concurrent => self.concurrent(cx).await,
                Check::ClientVanishes => self.client_vanishes(cx).await,
                Check::ClientRuns => self.client.runs(&cx).await,
                Check::ClientReplies => self.client.replies("whole", &cx),
                Check::ClientFragmented => self.client.fragmented(&cx).await,
                Check::ClientLongReply => self.client.long_reply(&cx).await,
                Check::ClientRefused => self.client.refused(&cx).await,
            }
        })
    }

    fn student_ports(&self) -> Vec<u16> {
        self.server.ports()
    }

    fn teardown(&mut self, lang: Lang) -> BoxFuture<'_, Vec<String>> {
        Box::pin(self.server.stop(lang))
    }
}
