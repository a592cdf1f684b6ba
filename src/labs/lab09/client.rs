//! lab09's client checks: the student's `chat_client.py URL` in the grader's room
//! ([`ws_room::Room`]), with its standard input a pipe the grader writes. One run goes step
//! by step, a check each: it connects; two lines written to its input reach the room as two
//! text messages; the room's echo of each is printed `< TEXT`; a message the room pushes
//! while the client waits on its input, after a quiet time, is printed at once (a client that
//! reads its input, then the network, in one loop prints it only after its next line); the
//! end of its input ends it cleanly. A second run: the room closes, and the client ends
//! cleanly by itself (`exit.rs`: how an end is judged).

use std::net::Ipv4Addr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::time::Instant;

use super::super::{CheckCx, spawn_failure};
use super::exit::ended_cleanly;
use crate::counterpart::ws_room::{Received, Room};
use crate::flood::Unit;
use crate::harness::{Limits, Supervised};
use crate::report::{Failure, Verdict};
use crate::submission::{Launch, SetupError};
use crate::text;
use crate::wire::lab09::RECEIVED_PREFIX;

/// How long the client has to connect, and the room to see each line.
const WAIT: Duration = Duration::from_secs(5);
/// How soon a pushed message must be printed.
const PROMPTLY: Duration = Duration::from_secs(3);
/// How long the room stays quiet after the echoes were printed, in ms, before it pushes (drawn
/// from the check's rng, so that no fixed wait can be tuned to it). A client that receives for
/// a while after each line it sent (`wait_for(recv(), 1.0)` until a time-out) must be back in
/// `input()` by then: the shortest quiet time is a whole second past a 1 s window, a margin
/// for a slow machine; the longest keeps the check's cost under 3 s.
const QUIET_MS: (u64, u64) = (2000, 2800);
/// How long a client still running after the room closed has to end once its input ends too.
const AFTER_EOF: Duration = Duration::from_secs(2);
/// How long the client has to end once its input ended or the room closed.
const EXIT: Duration = Duration::from_secs(5);
/// A connection to the room lives at most this long (a whole run is well within it).
const LIFETIME: Duration = Duration::from_secs(60);
/// Messages the room may receive in `client_sends` before they are called a flood (two lines
/// are typed; a client may add a greeting or two).
const FLOOD: u64 = 64;
/// The CPU budget of one client run.
const BUDGET: Duration = Duration::from_secs(40);

/// One run of the client in a room of its own.
struct Run {
    room: Room,
    process: Supervised,
    url: String,
}

pub(super) struct ClientSide {
    launch: Result<Launch, SetupError>,
    main: Option<Run>,
    lines: Vec<String>,
    /// When `client_prints` saw the echoes printed: the room's quiet time counts from there.
    echoes_shown: Option<Instant>,
    closing: Option<Run>,
}

impl ClientSide {
    pub(super) fn new(launch: Result<Launch, SetupError>) -> ClientSide {
        ClientSide {
            launch,
            main: None,
            lines: Vec::new(),
            echoes_shown: None,
            closing: None,
        }
    }

    /// Starts the client in a new room and waits until it joined; a failure when it did not.
    async fn start(&self, cx: &CheckCx<'_>) -> Result<Run, (Option<Run>, Verdict)> {
        let launch = match self.launch.as_ref() {
            Ok(l) => l,
            Err(e) => return Err((None, Verdict::fail(e.explain(cx.lang)))),
        };
        let room = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .and_then(|l| Room::start(l, Some(LIFETIME)))
            .map_err(|e| {
                (
                    None,
                    Verdict::Error(format!("the grader's room failed: {e}")),
                )
            })?;
        let url = format!("ws://127.0.0.1:{}/", room.addr().port());
        let spec = launch
            .spec(&[url.as_str()], vec![], Limits::for_budget(BUDGET))
            .with_stdin();
        let process = Supervised::spawn(&spec)
            .map_err(|e| (None, spawn_failure(cx.lang, &spec, launch, &e)))?;
        let mut run = Run { room, process, url };
        let until = cx.deadline.min(Instant::now() + WAIT);
        // Joined, or gone: poll the process between short waits on the room.
        loop {
            let step = until.min(Instant::now() + Duration::from_millis(100));
            if run.room.wait_until(step, |r| r.joined() > 0).await {
                return Ok(run);
            }
            let exited = run.process.try_exit();
            if exited.is_some() || Instant::now() >= until {
                let why = match exited {
                    Some(e) => format!(
                        "{} ({e})",
                        cx.t(
                            "클라이언트가 서버에 연결하기 전에 종료되었습니다",
                            "your client exited before it connected"
                        )
                    ),
                    None => cx.t(
                        "클라이언트가 5초 안에 WebSocket 연결을 열지 않았습니다",
                        "your client did not open a WebSocket connection within 5 s",
                    ),
                };
                let v = Failure::new(format!("chat_client.py {}: {why}", run.url))
                    .output(run.process.output(15))
                    .into();
                return Err((Some(run), v));
            }
        }
    }

    fn failure(&self, message: impl Into<String>) -> Failure {
        let f = Failure::new(message);
        match &self.main {
            Some(r) => f.output(r.process.output(15)),
            None => f,
        }
    }

    pub(super) async fn connects(&mut self, cx: &mut CheckCx<'_>) -> Verdict {
        match self.start(cx).await {
            Ok(run) => {
                self.main = Some(run);
                Verdict::pass()
            }
            Err((run, v)) => {
                self.main = run;
                v
            }
        }
    }

    /// Writes `line` to the client's input and waits until the room has `count` messages.
    async fn line_reaches_room(&mut self, line: &str, count: usize, cx: &CheckCx<'_>) {
        let Some(run) = self.main.as_mut() else {
            return;
        };
        let until = cx.deadline.min(Instant::now() + WAIT);
        let _ = run
            .process
            .send_stdin(format!("{line}\n").as_bytes(), until)
            .await;
        run.room
            .wait_until(until, |r| r.tally().count >= count as u64)
            .await;
        self.lines.push(line.to_string());
    }

    pub(super) async fn sends(&mut self, cx: &mut CheckCx<'_>) -> Verdict {
        let t = cx.rng.token(8);
        let (l1, l2) = (format!("hello-{t}"), format!("안녕하세요 {t}"));
        self.line_reaches_room(&l1, 1, cx).await;
        self.line_reaches_room(&l2, 2, cx).await;
        let Some(run) = self.main.as_ref() else {
            return Verdict::Error("the client's run is missing".into());
        };
        let got = run.room.received();
        let want = [Received::Text(l1.clone()), Received::Text(l2.clone())];
        if got.starts_with(&want) {
            return Verdict::pass();
        }
        let shown: Vec<String> = got
            .iter()
            .take(5)
            .map(|r| match r {
                Received::Text(t) => text::clip(&text::escape_student(t.as_bytes()), 200, 4),
                Received::Binary(n) => format!("<binary, {n} bytes>"),
            })
            .collect();
        let expected = format!("{l1}\n{l2}");
        if got.iter().any(|r| !want.contains(r)) {
            // Something not typed: a moment more tells a greeting or two from a flood.
            let soon = cx.deadline.min(Instant::now() + Duration::from_secs(1));
            run.room.wait_until(soon, |r| r.tally().count > FLOOD).await;
        }
        let all = run.room.tally();
        let message = if all.count > FLOOD {
            // Not a line typed or two too many: a flood, said with how much came.
            let n = all.say(Unit::Messages, cx.lang);
            cx.t(
                &format!("두 줄을 입력했는데 서버가 받은 것은 {n}입니다: 입력한 줄마다 메시지를 하나씩 보낸 것이 아니라, 입력과 상관없이 쉴 새 없이 보냈습니다"),
                &format!("two lines were typed, and the server received {n}: not one message per line typed, but messages sent without pause whatever was typed"),
            )
        } else if got.is_empty() {
            cx.t(
                "입력한 줄을 보냈는데 서버가 5초 안에 받은 메시지가 없습니다",
                "two lines were typed, and the server received no message within 5 s",
            )
        } else if got.iter().any(|r| matches!(r, Received::Binary(_))) {
            cx.t(
                "바이너리 메시지를 보냈습니다: 문자열(str)을 보내세요",
                "it sent binary messages: send text (str)",
            )
        } else {
            cx.t(
                "서버가 받은 메시지가 입력한 줄과 다릅니다 (줄마다 메시지 하나, 그대로)",
                "the messages the server received are not the lines typed (one message per line, as typed)",
            )
        };
        let newline = got
            .iter()
            .any(|r| matches!(r, Received::Text(t) if t.ends_with('\n')));
        let f = self.failure(message).compare(&expected, &shown.join("\n"));
        match (all.count > FLOOD, newline) {
            (true, _) => f.hint("flood"),
            (false, true) => f.hint("newline"),
            (false, false) => f,
        }
        .into()
    }

    /// Waits until the client's output has a `< TEXT` line for each of `texts`, or `until`.
    async fn wait_shown(&self, texts: &[&str], until: Instant) -> bool {
        let Some(run) = self.main.as_ref() else {
            return false;
        };
        run.process
            .stdout
            .wait_for(until, |b| {
                let out = String::from_utf8_lossy(b);
                texts.iter().all(|t| shows(&out, t))
            })
            .await
    }

    pub(super) async fn prints(&mut self, cx: &mut CheckCx<'_>) -> Verdict {
        let lines = self.lines.clone();
        let texts: Vec<&str> = lines.iter().map(String::as_str).collect();
        let until = cx.deadline.min(Instant::now() + WAIT);
        if self.wait_shown(&texts, until).await {
            self.echoes_shown = Some(Instant::now());
            return Verdict::pass();
        }
        let out = self
            .main
            .as_ref()
            .map(|r| String::from_utf8_lossy(&r.process.stdout.searchable()).into_owned())
            .unwrap_or_default();
        let expected: Vec<String> = texts
            .iter()
            .map(|t| format!("{RECEIVED_PREFIX}{t}"))
            .collect();
        let f = self
            .failure(cx.t(
                "서버가 돌려보낸 메시지를 \"< 메시지\" 줄로 출력하지 않았습니다 (5 s)",
                "the messages the server sent back were not printed as \"< TEXT\" lines (5 s)",
            ))
            .expected(expected.join("\n"));
        // Printed, with another shape: a label, no "< ".
        if texts.iter().any(|t| out.contains(t)) {
            f.hint("format").into()
        } else {
            f.into()
        }
    }

    pub(super) async fn pushed(&mut self, cx: &mut CheckCx<'_>) -> Verdict {
        let p = format!("누군가 들어왔어요 {}", cx.rng.token(8));
        // Pushed right after the echoes, the message would reach a client that receives for a
        // moment after each line while it is still receiving: wait until any such window has
        // closed and the client can only be waiting for its input.
        let quiet = Duration::from_millis(cx.rng.range(QUIET_MS.0, QUIET_MS.1));
        let since = self.echoes_shown.unwrap_or_else(Instant::now);
        tokio::time::sleep_until(cx.deadline.min(since + quiet)).await;
        let Some(run) = self.main.as_ref() else {
            return Verdict::Error("the client's run is missing".into());
        };
        run.room.push(&p);
        let waited = format!("{:.1}", since.elapsed().as_secs_f64());
        let until = cx.deadline.min(Instant::now() + PROMPTLY);
        if self.wait_shown(&[&p], until).await {
            return Verdict::pass();
        }
        // Is it waiting for the next input line? Type one and look again.
        let l3 = format!("one more line {}", cx.rng.token(6));
        self.line_reaches_room(&l3, self.lines.len() + 1, cx).await;
        let until = cx.deadline.min(Instant::now() + Duration::from_secs(2));
        let after_input = self.wait_shown(&[&p], until).await;
        let f = self.failure(if after_input {
            cx.t(
                &format!(
                    "돌려받은 메시지를 출력하고 {waited}초 뒤, 클라이언트가 입력을 기다리는 동안 다른 사용자의 메시지가 왔지만 3초 안에 출력하지 않았고, 다음 줄을 입력하자 그제야 출력했습니다"
                ),
                &format!(
                    "{waited} s after the echoes, while the client waited for input, another user's message came; it was not printed within 3 s, only once the next line was typed"
                ),
            )
        } else {
            cx.t(
                &format!(
                    "돌려받은 메시지를 출력하고 {waited}초 뒤, 클라이언트가 입력을 기다리는 동안 서버가 메시지를 보냈지만 끝내 출력하지 않았습니다 (3초 동안, 다음 줄을 입력한 뒤에도)"
                ),
                &format!(
                    "{waited} s after the echoes, while the client waited for input, the server sent a message; it was never printed (3 s, nor after the next line)"
                ),
            )
        });
        let f = f.expected(format!("{RECEIVED_PREFIX}{p}"));
        if after_input {
            f.hint("after_input")
        } else {
            f
        }
        .into()
    }

    pub(super) async fn exits(&mut self, cx: &mut CheckCx<'_>) -> Verdict {
        let Some(run) = self.main.as_mut() else {
            return Verdict::Error("the client's run is missing".into());
        };
        run.process.close_stdin();
        let command = format!("chat_client.py {} (end of input)", run.url);
        let f = run
            .process
            .finish(cx.deadline.min(Instant::now() + EXIT))
            .await;
        ended_cleanly(&f, &command, EXIT, cx.lang)
    }

    pub(super) async fn server_closes(&mut self, cx: &mut CheckCx<'_>) -> Verdict {
        let mut run = match self.start(cx).await {
            Ok(run) => run,
            Err((run, v)) => {
                self.closing = run;
                return v;
            }
        };
        tokio::time::sleep(Duration::from_millis(200)).await;
        run.room.close_all();
        let command = format!(
            "chat_client.py {} ({})",
            run.url,
            cx.t("서버가 연결을 닫음", "the server closed the connection")
        );
        let ended = run
            .process
            .wait_exit(cx.deadline.min(Instant::now() + EXIT))
            .await;
        // Still running: is it held by something waiting for input (a thread that is not a
        // daemon, such as run_in_executor's)? Its input ends now; one that ends then was.
        let after_eof = match ended {
            Some(_) => None,
            None => {
                run.process.close_stdin();
                let until = cx.deadline.min(Instant::now() + AFTER_EOF);
                run.process.wait_exit(until).await
            }
        };
        let f = run.process.finish(Instant::now()).await;
        let output = run.process.output(15);
        let run_url = run.url.clone();
        let secs = EXIT.as_secs();
        self.closing = Some(run);
        match after_eof {
            None => ended_cleanly(&f, &command, EXIT, cx.lang),
            // Without the command's "(the server closed the connection)": the sentence says it,
            // and the line stays within what a report keeps of one.
            Some(e) => Failure::new(format!(
                "chat_client.py {}: {}",
                run_url,
                cx.t(
                    &format!(
                        "서버가 연결을 닫고 {secs}초가 지나도 끝나지 않다가, 채점기가 입력까지 닫자(EOF; {e}) 그제야 끝났습니다: 무언가가 아직 입력을 기다리고 있었습니다"
                    ),
                    &format!(
                        "it did not end within {secs} s of the server closing, only once its input was closed too (EOF; {e}): something still waited for input"
                    ),
                )
            ))
            .output(output)
            .hint("waits_for_input")
            .into(),
        }
    }

    pub(super) async fn stop(&mut self) {
        for run in [self.main.as_mut(), self.closing.as_mut()]
            .into_iter()
            .flatten()
        {
            run.process.shutdown(Duration::from_millis(200)).await;
        }
    }
}

/// Whether `out` has a line `< TEXT`, allowing a short prompt before it on the same line (an
/// `input("> ")` that was waiting when the message came) and spaces after.
fn shows(out: &str, text: &str) -> bool {
    let want = format!("{RECEIVED_PREFIX}{text}");
    out.lines().any(|line| {
        let line = line.trim_end();
        line.strip_suffix(want.as_str()).is_some_and(|before| {
            before.is_empty()
                || (before.chars().count() <= 40
                    && before.ends_with(|c: char| c.is_whitespace() || c == '>' || c == ':'))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::shows;

    #[test]
    fn a_received_line_may_follow_a_prompt_but_not_a_label() {
        assert!(shows("< hi there\n", "hi there"));
        assert!(shows("> < hi there  \r\n", "hi there"));
        assert!(shows("나: < hi there\n", "hi there"));
        assert!(!shows("hi there\n", "hi there"));
        assert!(!shows("received< hi there\n", "hi there"));
        assert!(!shows("< hi there!\n", "hi there"));
    }
}
