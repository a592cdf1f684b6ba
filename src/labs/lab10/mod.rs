//! lab10 tls: the student's `tls_client.py URL CAFILE` fetches a page over TLS with `socket`
//! and `ssl`, checking the server's certificate against `CAFILE` and its host name. The grader
//! makes a CA and four server certificates for the grading (valid, another host, another CA,
//! expired) and serves each on loopback, plus a server that never answers the handshake. Its
//! servers record what the client did (the SNI, whether it sent a request), so accepting a bad
//! certificate is seen on the wire, whatever the client prints.

mod runs;
mod seen;

use std::collections::HashMap;
use std::time::Duration;

use super::{BoxFuture, CheckCx, DriverEnv, LabDriver, line_check, lines_with, shown};
use crate::i18n::Lang;
use crate::report::{Failure, Verdict};
use crate::submission::Launch;
use runs::{Kind, Run, Servers};
use seen::{flood_said, no_hello};

checks! {
    enum Check {
        Connects = "connects" hints ["cafile", "version"],
        Version = "version" needs ["connects"],
        Subject = "subject" needs ["connects"] hints ["empty"],
        Status = "status" needs ["connects"],
        Body = "body" needs ["connects"],
        Sni = "sni" needs ["connects"] hints ["none"],
        WrongHost = "wrong_host" needs ["connects"] hints ["server_hostname"],
        UnknownCa = "unknown_ca" needs ["connects"],
        Expired = "expired" needs ["connects"],
        Stall = "stall",
        // Reads the refused runs: a client that accepts every certificate has none.
        ClearError = "clear_error" needs ["unknown_ca"],
    }
}

/// The checks, in the order of `graders/lab10/lab.toml`.
pub const CHECKS: &[super::spec::CheckSpec] = Check::SPECS;

use crate::wire::lab10::HOST;
/// A run against an answering server.
const RUN_LIMIT: Duration = Duration::from_secs(8);
/// A run against the stalling server: the handout's 3 s time-out, plus start-up.
const STALL_LIMIT: Duration = Duration::from_secs(6);

pub struct Lab10 {
    launch: Launch,
    servers: Servers,
    runs: HashMap<Kind, Run>,
}

impl Lab10 {
    pub fn new(launch: Launch, env: DriverEnv) -> Lab10 {
        Lab10 {
            launch,
            servers: Servers::new(env.seed),
            runs: HashMap::new(),
        }
    }

    /// The run against `kind`'s server, made on first use.
    async fn run(&mut self, kind: Kind, cx: &CheckCx<'_>) -> Result<&Run, Verdict> {
        if !self.runs.contains_key(&kind) {
            let limit = match kind {
                Kind::Stall => STALL_LIMIT,
                Kind::Valid | Kind::WrongHost | Kind::UnknownCa | Kind::Expired => RUN_LIMIT,
            };
            let run = self.servers.run(kind, &self.launch, limit, cx).await?;
            self.runs.insert(kind, run);
        }
        Ok(&self.runs[&kind])
    }

    async fn connects(&mut self, cx: &CheckCx<'_>) -> Verdict {
        let only = self.servers.valid_version();
        let r = match self.run(Kind::Valid, cx).await {
            Ok(r) => r,
            Err(v) => return v,
        };
        let clean = super::ran_cleanly(&r.f, &r.command, RUN_LIMIT, cx.lang);
        let seen = r.seen();
        if !seen.handshakes.is_empty() {
            return flood_said(clean, &seen, cx);
        }
        let (message, hint) = if seen.hellos.is_empty() && seen.incompatible > 0 {
            let m = cx.t(
                &format!("서버가 받는 TLS 버전을 클라이언트가 제안하지 않아 핸드셰이크가 실패했습니다 (이번 채점의 서버는 {only}만 받습니다)"),
                &format!("the handshake failed: the client offered no TLS version the server accepts (in this grading the server accepts only {only})"),
            );
            (m, Some("version"))
        } else if seen.hellos.is_empty() {
            (no_hello(&seen, cx), None)
        } else {
            let m = cx.t(
                "핸드셰이크가 끝나지 않았습니다: 클라이언트가 CAFILE의 CA가 서명한 올바른 인증서를 받아들이지 않았습니다",
                "the handshake did not complete: the client refused a valid certificate signed by the CA in CAFILE",
            );
            (m, Some("cafile"))
        };
        let mut f = Failure::new(format!("{}: {message}", r.command)).output(r.f.output.clone());
        if let Some(h) = hint {
            f = f.hint(h);
        }
        f.into()
    }

    fn version(&self, cx: &CheckCx<'_>) -> Verdict {
        let r = &self.runs[&Kind::Valid];
        let Some(v) = r.seen().handshakes.first().cloned() else {
            return Verdict::Error("lab10: no handshake recorded after `connects`".into());
        };
        line_check(
            &r.f.stdout,
            &format!("[TLS] version={v}"),
            "[TLS] version=",
            cx,
        )
    }

    fn subject(&self, cx: &CheckCx<'_>) -> Verdict {
        let r = &self.runs[&Kind::Valid];
        let want = format!("[TLS] subject=CN={}", self.servers.valid_common_name());
        match line_check(&r.f.stdout, &want, "[TLS] subject=", cx) {
            Verdict::Failed(f) => {
                let printed = lines_with(&r.f.stdout, "[TLS] subject=");
                let empty = printed.iter().any(|l| {
                    let v = l.trim_start_matches("[TLS] subject=").trim();
                    matches!(v, "" | "CN=" | "{}" | "()" | "None" | "CN=None")
                });
                if empty {
                    (*f).hint("empty").into()
                } else {
                    Verdict::Failed(f)
                }
            }
            other => other,
        }
    }

    fn status(&self, cx: &CheckCx<'_>) -> Verdict {
        line_check(
            &self.runs[&Kind::Valid].f.stdout,
            "[HTTP] status=200",
            "[HTTP] status=",
            cx,
        )
    }

    fn body(&self, cx: &CheckCx<'_>) -> Verdict {
        let r = &self.runs[&Kind::Valid];
        let want = format!("token={}", self.servers.token());
        if r.f.stdout.lines().any(|l| l.trim() == want) {
            return Verdict::pass();
        }
        Failure::new(cx.t(
            "받은 본문이 출력에 없습니다 (채점할 때마다 바뀌는 token 줄이 없습니다)",
            "the body received is not in the output (its token line, new in every grading, is missing)",
        ))
        .expected(format!("[HTTP] status=200\n{}", self.servers.body()))
        .actual(shown(&r.f.stdout))
        .into()
    }

    fn sni(&self, cx: &CheckCx<'_>) -> Verdict {
        let seen = self.runs[&Kind::Valid].seen();
        let names: Vec<String> = seen
            .hellos
            .iter()
            .map(|n| n.clone().unwrap_or_else(|| cx.t("(없음)", "(none)")))
            .collect();
        if seen.hellos.iter().any(|n| n.as_deref() == Some(HOST)) {
            return Verdict::pass();
        }
        let f = Failure::new(format!(
            "{}: {}",
            cx.t(
                "ClientHello에 담긴 서버 이름(SNI)이 URL의 호스트가 아닙니다",
                "the server name (SNI) in the ClientHello is not the URL's host"
            ),
            names.join(", ")
        ))
        .expected(format!("SNI = {HOST}"))
        .actual(format!("SNI = {}", names.join(", ")));
        let none = seen.hellos.iter().all(Option::is_none);
        if none { f.hint("none") } else { f }.into()
    }

    /// A server with a bad certificate must never get a request: the client refused it
    /// during the handshake (or closed right after it, before sending anything).
    async fn refuses(&mut self, kind: Kind, cx: &CheckCx<'_>) -> Verdict {
        let r = match self.run(kind, cx).await {
            Ok(r) => r,
            Err(v) => return v,
        };
        let seen = r.seen();
        if seen.hellos.is_empty() {
            return Failure::new(format!(
                "{}: {}",
                r.command,
                cx.t(
                    "이 서버에는 TLS 핸드셰이크가 오지 않았습니다",
                    "this server never received a TLS handshake"
                )
            ))
            .output(r.f.output.clone())
            .into();
        }
        if seen.requests.is_empty() {
            return Verdict::pass();
        }
        let why = match kind {
            Kind::WrongHost => cx.t(
                "인증서가 다른 호스트의 것인데도 받아들이고 요청을 보냈습니다",
                "it accepted a certificate for another host and sent its request",
            ),
            Kind::UnknownCa => cx.t(
                "CAFILE에 없는 CA가 서명한 인증서를 받아들이고 요청을 보냈습니다",
                "it accepted a certificate signed by a CA that is not in CAFILE and sent its request",
            ),
            Kind::Expired => cx.t(
                "유효 기간이 끝난 인증서를 받아들이고 요청을 보냈습니다",
                "it accepted an expired certificate and sent its request",
            ),
            Kind::Valid | Kind::Stall => String::new(),
        };
        let f = Failure::new(format!("{}: {why}", r.command))
            .expected(format!(
                "[ERROR] certificate verify failed: ...\n({})",
                cx.t("0이 아닌 종료 코드", "a non-zero exit status")
            ))
            .actual(shown(&r.f.stdout));
        // Without a server name, `ssl` cannot check the host name at all.
        let no_sni = seen.hellos.iter().all(Option::is_none);
        if kind == Kind::WrongHost && no_sni {
            f.hint("server_hostname")
        } else {
            f
        }
        .into()
    }

    async fn stall(&mut self, cx: &CheckCx<'_>) -> Verdict {
        let r = match self.run(Kind::Stall, cx).await {
            Ok(r) => r,
            Err(v) => return v,
        };
        let f = &r.f;
        let limit = STALL_LIMIT.as_secs();
        let problem = if r.seen().connections == 0 {
            cx.t(
                "서버에 연결하지 않았습니다",
                "it never connected to the server",
            )
        } else if f.timed_out() {
            format!(
                "{} ({limit} s)",
                cx.t(
                    "대답하지 않는 서버 앞에서 스스로 포기하지 않았습니다",
                    "it did not give up on a server that never answers"
                )
            )
        } else {
            // It ended by itself: say what it printed and how it ended, as seen.
            let said = mentions_timeout(&f.stdout) || mentions_timeout(&f.stderr);
            let zero = f.exit == Some(crate::harness::Exit::Code(0));
            match (said, zero) {
                (true, false) => return Verdict::pass(),
                (true, true) => cx.t(
                    "시간 초과를 알렸지만 종료 코드가 0입니다",
                    "it said it timed out, but its exit status is 0",
                ),
                (false, true) => cx.t(
                    "스스로 끝났지만 종료 코드가 0이고, 시간 초과를 알리는 줄(timed out)도 없습니다",
                    "it ended by itself with exit status 0, and printed no line saying it timed out",
                ),
                (false, false) => cx.t(
                    "시간 초과를 알리는 줄(timed out)이 없습니다",
                    "there is no line saying it timed out",
                ),
            }
        };
        Failure::new(format!("{}: {problem}", r.command))
            .expected(format!(
                "[ERROR] timed out (3 s)\n({})",
                cx.t("0이 아닌 종료 코드", "a non-zero exit status")
            ))
            .output(f.output.clone())
            .into()
    }

    /// Every refusal (a bad certificate the client refused, the stall it gave up on) ends with
    /// a clear line: no traceback, and for a certificate an error line and a non-zero status.
    /// Runs another check owns (an accepted certificate, a stall not given up) are left out.
    fn clear_error(&self, cx: &CheckCx<'_>) -> Verdict {
        for kind in [Kind::WrongHost, Kind::UnknownCa, Kind::Expired, Kind::Stall] {
            let Some(r) = self.runs.get(&kind) else {
                continue;
            };
            let refused = r.seen().requests.is_empty();
            let problem = match kind {
                Kind::Stall if r.f.timed_out() => None,
                Kind::Stall => r.f.has_traceback().then(|| traceback(r, cx)),
                _ if !refused => None,
                _ => {
                    let has_line =
                        r.f.stdout
                            .lines()
                            .chain(r.f.stderr.lines())
                            .any(|l| l.to_lowercase().contains("error"));
                    let words = super::ErrorWords {
                        not_ended: (
                            "인증서를 거부한 뒤 끝나지 않았습니다",
                            "it did not finish after refusing the certificate",
                        ),
                        traceback: (
                            "인증서를 거부하자 오류 줄 대신 traceback을 남기고 끝났습니다",
                            "it ended with a traceback instead of an error line on the refused certificate",
                        ),
                        exit_zero: (
                            "인증서를 거부했는데 종료 코드가 0입니다",
                            "the exit status is 0 although the certificate was refused",
                        ),
                        no_line: (
                            "오류를 알리는 줄([ERROR] ...)이 없습니다",
                            "there is no error line ([ERROR] ...)",
                        ),
                    };
                    super::reported_error(&r.f, has_line, RUN_LIMIT, &words, cx.lang)
                }
            };
            if let Some(p) = problem {
                return Failure::new(format!("{}: {p}", r.command))
                    .expected(match kind {
                        Kind::Stall => "[ERROR] timed out (3 s)".to_string(),
                        _ => "[ERROR] certificate verify failed: ...".to_string(),
                    })
                    .output(r.f.output.clone())
                    .into();
            }
        }
        Verdict::pass()
    }
}

fn traceback(r: &Run, cx: &CheckCx<'_>) -> String {
    let crashed = cx.t(
        "오류 줄 대신 traceback을 남기고 끝났습니다",
        "it ended with a traceback instead of an error line",
    );
    match r.f.exception() {
        Some(e) => format!("{crashed}: {e}"),
        None => crashed,
    }
}

fn mentions_timeout(s: &str) -> bool {
    let s = s.to_lowercase();
    ["timed out", "timeout", "time-out", "time out"]
        .iter()
        .any(|w| s.contains(w))
}

impl LabDriver for Lab10 {
    fn run_check<'a>(&'a mut self, id: &'a str, cx: CheckCx<'a>) -> BoxFuture<'a, Verdict> {
        Box::pin(async move {
            let Some(check) = Check::parse(id) else {
                return Verdict::Error(format!("lab10 has no check `{id}`"));
            };
            if let Check::Version | Check::Subject | Check::Status | Check::Body | Check::Sni =
                check
                && let Err(v) = self.run(Kind::Valid, &cx).await
            {
                return v;
            }
            match check {
                Check::Connects => self.connects(&cx).await,
                Check::Version => self.version(&cx),
                Check::Subject => self.subject(&cx),
                Check::Status => self.status(&cx),
                Check::Body => self.body(&cx),
                Check::Sni => self.sni(&cx),
                Check::WrongHost => self.refuses(Kind::WrongHost, &cx).await,
                Check::UnknownCa => self.refuses(Kind::UnknownCa, &cx).await,
                Check::Expired => self.refuses(Kind::Expired, &cx).await,
                Check::Stall => self.stall(&cx).await,
                Check::ClearError => self.clear_error(&cx),
            }
        })
    }

    fn teardown(&mut self, _lang: Lang) -> BoxFuture<'_, Vec<String>> {
        self.servers.stop();
        Box::pin(async { Vec::new() })
    }
}
