//! lab05's client checks: the student's `tcp_client.py HOST PORT MESSAGE...` against the
//! grader's line-echo counterpart, which answers whole or in small pieces with pauses; the
//! counterpart records the lines the client sent.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::time::Duration;

use tokio::net::TcpListener;

use super::super::{CheckCx, ran_cleanly, run_program};
use crate::counterpart::tcp_lines::{Delivery, TcpLinePeer};
use crate::harness::Finished;
use crate::labs::shown;
use crate::report::{Failure, Verdict};
use crate::rng::Rng;
use crate::submission::{Launch, SetupError};
use crate::text;
use crate::wire::lab05::PREFIX;

const RUN_LIMIT: Duration = Duration::from_secs(8);

/// One run of the client against one counterpart.
struct Run {
    port: u16,
    messages: Vec<String>,
    /// Lines the counterpart received.
    received: Vec<Vec<u8>>,
    f: Finished,
}

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

    /// Runs the client with `messages` against a counterpart delivering as `delivery`.
    async fn run(
        &mut self,
        key: &'static str,
        delivery: Delivery,
        messages: Vec<String>,
        cx: &CheckCx<'_>,
    ) -> Result<&Run, Verdict> {
        if !self.runs.contains_key(key) {
            let launch = self
                .launch
                .as_ref()
                .map_err(|e| Verdict::fail(e.explain(cx.lang)))?;
            let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .await
                .map_err(|e| Verdict::Error(format!("the grader could not listen: {e}")))?;
            let peer = TcpLinePeer::start(listener, PREFIX, delivery)
                .map_err(|e| Verdict::Error(format!("the grader's TCP server failed: {e}")))?;
            let port = peer.addr().port();
            let port_arg = port.to_string();
            let mut args: Vec<&str> = vec!["127.0.0.1", &port_arg];
            args.extend(messages.iter().map(String::as_str));
            let f = run_program(launch, &args, RUN_LIMIT, cx).await?;
            let run = Run {
                port,
                messages,
                received: peer.lines(),
                f,
            };
            self.runs.insert(key, run);
        }
        Ok(&self.runs[key])
    }

    fn messages(&self, key: &str) -> Vec<String> {
        let t = Rng::named(self.seed, key).token(6);
        vec![format!("hello-{t}"), format!("안녕하세요 {t}")]
    }

    pub(super) async fn runs(&mut self, cx: &CheckCx<'_>) -> Verdict {
        let messages = self.messages("whole");
        match self.run("whole", Delivery::Whole, messages, cx).await {
            Ok(r) => {
                let command = format!("tcp_client.py 127.0.0.1 {} ...", r.port);
                ran_cleanly(&r.f, &command, RUN_LIMIT, cx.lang)
            }
            Err(v) => v,
        }
    }

    /// Each reply line printed exactly as received, in order; other lines are ignored, but a
    /// reply line with text added (a label, a doubled prefix) does not count.
    pub(super) fn replies(&self, key: &str, cx: &CheckCx<'_>) -> Verdict {
        let Some(r) = self.runs.get(key) else {
            return Verdict::Error(format!("the client's {key} run is missing"));
        };
        let want: Vec<String> = r.messages.iter().map(|m| format!("{PREFIX}{m}")).collect();
        let lines: Vec<&str> =
            r.f.stdout
                .lines()
                .map(|l| l.trim_end_matches('\r'))
                .collect();
        let mut at = 0;
        let mut missing = None;
        for w in &want {
            match lines[at..].iter().position(|l| l == w) {
                Some(i) => at += i + 1,
                None => {
                    missing = Some(w.clone());
                    break;
                }
            }
        }
        let Some(missing) = missing else {
            return Verdict::pass();
        };
        let message = if r.received.is_empty() {
            cx.t(
                "서버가 받은 줄이 없습니다: MESSAGE마다 끝에 \\n을 붙여 보내세요",
                "the server received no line: send each MESSAGE with a \\n at its end",
            )
        } else {
            format!(
                "{}: {}",
                cx.t(
                    "받은 그대로 출력한 답 줄이 없습니다",
                    "this reply line was not printed as received"
                ),
                text::escape_student(missing.as_bytes())
            )
        };
        let f = Failure::new(message)
            .expected(want.join("\n"))
            .actual(shown(&r.f.stdout));
        // The reply is there, with something added to the line: a label.
        if lines
            .iter()
            .any(|l| l.contains(missing.as_str()) && *l != missing)
        {
            f.hint("labelled").into()
        } else {
            f.into()
        }
    }

    pub(super) async fn fragmented(&mut self, cx: &CheckCx<'_>) -> Verdict {
        let messages = self.messages("pieces");
        let delivery = Delivery::Pieces {
            size: 4,
            pause: Duration::from_millis(15),
        };
        if let Err(v) = self.run("pieces", delivery, messages, cx).await {
            return v;
        }
        self.replies("pieces", cx)
    }

    pub(super) async fn long_reply(&mut self, cx: &CheckCx<'_>) -> Verdict {
        let unit = Rng::named(self.seed, "long").token(16);
        let long: String = unit.chars().cycle().take(6 << 10).collect();
        if let Err(v) = self.run("long", Delivery::Whole, vec![long], cx).await {
            return v;
        }
        self.replies("long", cx)
    }

    pub(super) async fn refused(&mut self, cx: &CheckCx<'_>) -> Verdict {
        let launch = match self.launch.as_ref() {
            Ok(l) => l,
            Err(e) => return Verdict::fail(e.explain(cx.lang)),
        };
        // A port that was just free: bind, note it, close.
        let port = match std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
        {
            Ok(a) => a.port(),
            Err(e) => return Verdict::Error(format!("no free port: {e}")),
        };
        let port_arg = port.to_string();
        let f = match run_program(launch, &["127.0.0.1", &port_arg, "hello"], RUN_LIMIT, cx).await {
            Ok(f) => f,
            Err(v) => return v,
        };
        let error_line = f
            .stdout
            .lines()
            .chain(f.stderr.lines())
            .any(|l| l.trim_start().starts_with("[TCP] error:"));
        let words = super::super::ErrorWords {
            not_ended: (
                "닫힌 포트에 연결하자 끝나지 않았습니다",
                "it did not finish against a closed port",
            ),
            traceback: (
                "연결이 거부되자 traceback을 남기고 비정상 종료했습니다",
                "it crashed with a traceback when the connection was refused",
            ),
            exit_zero: (
                "연결에 실패했는데 종료 코드가 0입니다",
                "the exit status is 0 although no connection was made",
            ),
            no_line: (
                "[TCP] error:로 시작하는 줄이 없습니다",
                "there is no line starting with [TCP] error:",
            ),
        };
        let problem = super::super::reported_error(&f, error_line, RUN_LIMIT, &words, cx.lang);
        match problem {
            None => Verdict::pass(),
            Some(p) => Failure::new(format!("127.0.0.1:{port}: {p}"))
                .expected(format!(
                    "[TCP] error: could not connect to 127.0.0.1:{port} (...)\n({})",
                    cx.t("0이 아닌 종료 코드", "a non-zero exit status")
                ))
                .actual(shown(&format!("{}{}", f.stdout, f.stderr)))
                .into(),
        }
    }
}
