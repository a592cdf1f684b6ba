//! lab06 http_server: the student's `server.py` is a web server built on `http.server`. The
//! grader starts it with `PORT` and plays its clients: an ordinary one (reqwest) for what a
//! browser would see, raw bytes for the header and body as sent and for a broken request line,
//! and a connection that idles while another client asks.

mod startup;
mod wire;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::time::Instant;

use super::server::StudentServer;
use super::{BoxFuture, CheckCx, LabDriver};
use crate::harness::ports::Probe;
use crate::i18n::Lang;
use crate::net::http;
use crate::net::ifaces;
use crate::report::{Failure, Verdict};
use crate::submission::Launch;
use crate::text;
use startup::{PrintedUrl, Target};
use wire::Raw;

checks! {
    enum Check {
        Starts = "starts",
        UsesPort = "uses_port" needs ["starts"],
        StartupLine = "startup_line" needs ["starts"]
            hints ["empty_host", "any_address", "wrong_port", "not_here"],
        Status200 = "status_200" needs ["starts"],
        // These three read `GET /` as sent; a status other than 200 is status_200's lesson.
        ContentType = "content_type" needs ["starts", "status_200"],
        Body = "body" needs ["starts", "status_200"],
        ContentLength = "content_length" needs ["starts", "status_200"] hints ["mismatch"],
        UnsupportedMethod = "unsupported_method" needs ["starts"] hints ["stopped"],
        MalformedRequest = "malformed_request" needs ["starts"] hints ["stopped"],
        Concurrent = "concurrent" needs ["starts"],
    }
}

/// The checks, in the order of `graders/lab06/lab.toml`.
pub const CHECKS: &[super::spec::CheckSpec] = Check::SPECS;

/// How long an ordinary request may take.
const WAIT: Duration = Duration::from_secs(5);
/// How soon a request sent while another connection idles must be answered.
const AT_ONCE: Duration = Duration::from_secs(3);

pub struct Lab06 {
    server: StudentServer,
    /// `GET /` as sent, read once for the checks of its header and body.
    raw_root: Option<Raw>,
}

impl Lab06 {
    pub fn new(launch: Launch) -> Lab06 {
        Lab06 {
            server: StudentServer::new(Ok(launch), crate::wire::lab06::DEFAULT_PORT, Probe::Tcp),
            raw_root: None,
        }
    }

    fn root_url(&self) -> String {
        format!("http://{}/", self.server.addr())
    }

    /// What is left of the check's time, at most `limit`.
    fn limit(cx: &CheckCx<'_>, limit: Duration) -> Duration {
        cx.deadline
            .saturating_duration_since(Instant::now())
            .min(limit)
    }

    fn failure(&self, message: impl Into<String>) -> Failure {
        self.server.failure(message)
    }

    async fn startup_line(&self, cx: CheckCx<'_>) -> Verdict {
        let Some(server) = self.server.process() else {
            return Verdict::Error("no server".into());
        };
        let port = self.server.port();
        let deadline = cx.deadline.min(Instant::now() + Duration::from_secs(1));
        let has_url = |b: &[u8]| {
            String::from_utf8_lossy(b)
                .to_ascii_lowercase()
                .contains("http://")
        };
        // A hand-written server prints on stdout, Flask on stderr.
        server
            .wait_for_output(deadline, |o, e| has_url(o) || has_url(e))
            .await;
        let printed = format!(
            "{}\n{}",
            String::from_utf8_lossy(&server.stdout.searchable()),
            String::from_utf8_lossy(&server.stderr.searchable())
        );
        let expected = crate::wire::lab06::startup_line(port);
        let urls = startup::find_urls(&printed);
        if urls.is_empty() {
            return self
                .failure(cx.t(
                    "시작할 때 출력한 줄에서 http:// 로 시작하는 주소를 찾지 못했습니다",
                    "no http:// address was found in what the server printed at start",
                ))
                .expected(expected)
                .into();
        }
        let own: Vec<IpAddr> = ifaces::ipv4_addrs().into_iter().map(IpAddr::V4).collect();
        // One working URL is enough: a person can open it. The first broken one is reported.
        let mut first_problem = None;
        for url in &urls {
            match self.try_url(url, port, &own, &cx).await {
                Ok(v) => return v,
                Err(f) => {
                    first_problem.get_or_insert(f);
                }
            }
        }
        let f = first_problem.expect("at least one URL was tried");
        f.expected(expected).into()
    }

    /// Whether `url` opens this server's page; a failure (without `expected`) when not.
    async fn try_url(
        &self,
        url: &PrintedUrl,
        port: u16,
        own: &[IpAddr],
        cx: &CheckCx<'_>,
    ) -> Result<Verdict, Failure> {
        let seen = text::escape_student(url.text.as_bytes());
        let problem = |ko: &str, en: &str, hint: Option<&'static str>| {
            let f = self
                .failure(format!("{}: {seen}", cx.t(ko, en)))
                .actual(&seen);
            match hint {
                Some(h) => f.hint(h),
                None => f,
            }
        };
        let (ip, printed_port, via_loopback) = match url.target(own) {
            Target::EmptyHost => {
                return Err(problem(
                    "출력한 주소에 호스트가 비어 있어서 브라우저가 열 수 없습니다",
                    "the printed address has an empty host, so no browser can open it",
                    Some("empty_host"),
                ));
            }
            Target::AnyAddress => {
                return Err(problem(
                    "출력한 주소가 수신 대기용 주소(모든 주소)라서 접속할 곳을 가리키지 않습니다",
                    "the printed address is the listen-on-everything address, not a place to connect to",
                    Some("any_address"),
                ));
            }
            Target::BadPort => {
                return Err(problem(
                    "출력한 주소의 포트가 숫자가 아닙니다",
                    "the port in the printed address is not a number",
                    Some("wrong_port"),
                ));
            }
            Target::Elsewhere => {
                return Err(problem(
                    "출력한 주소가 이 컴퓨터를 가리키지 않습니다",
                    "the printed address does not point at this computer",
                    Some("not_here"),
                ));
            }
            Target::Loopback { ip, port: p } => (ip, p, false),
            Target::OwnInterface { port: p } => (IpAddr::from([127, 0, 0, 1]), p, true),
        };
        if printed_port != port {
            return Err(problem(
                &format!(
                    "출력한 주소의 포트({printed_port})가 서버가 실제로 기다리는 포트({port})와 다릅니다"
                ),
                &format!(
                    "the printed port ({printed_port}) is not the port the server listens on ({port})"
                ),
                Some("wrong_port"),
            ));
        }
        let target = SocketAddr::new(ip, port);
        let limit = Self::limit(cx, WAIT);
        let fetched = wire::client(limit)
            .get(format!("http://{target}{}", url.path))
            .send()
            .await;
        match fetched {
            Ok(r) if r.status().as_u16() < 400 && via_loopback => Ok(Verdict::pass_with(cx.t(
                "이 컴퓨터의 네트워크 주소로 된 URL이라, 채점기는 같은 포트를 127.0.0.1로 열어 확인했습니다",
                "the URL uses this computer's network address; the grader opened the same port through 127.0.0.1",
            ))),
            Ok(r) if r.status().as_u16() < 400 => Ok(Verdict::pass()),
            Ok(r) => Err(problem(
                &format!("출력한 주소로 요청하니 {}로 답했습니다", r.status()),
                &format!("a request to the printed address was answered {}", r.status()),
                None,
            )),
            Err(e) => Err(problem(
                &format!("출력한 주소로 요청했지만 답이 없습니다 ({})", wire::explain(&e, limit, Lang::Ko)),
                &format!("a request to the printed address got no answer ({})", wire::explain(&e, limit, Lang::En)),
                None,
            )),
        }
    }

    async fn status_200(&self, cx: CheckCx<'_>) -> Verdict {
        let limit = Self::limit(&cx, WAIT);
        match wire::client(limit).get(self.root_url()).send().await {
            Ok(r) if r.status().as_u16() == 200 => Verdict::pass(),
            Ok(r) => self
                .failure(cx.t(
                    "GET / 요청에 200으로 답하지 않았습니다",
                    "GET / was not answered with 200",
                ))
                .expected("200 OK")
                .actual(r.status().to_string())
                .into(),
            Err(e) => self.failure(wire::explain(&e, limit, cx.lang)).into(),
        }
    }

    /// `GET /` as sent, read once for content_type, body and content_length.
    async fn raw_root(&mut self, cx: &CheckCx<'_>) -> Result<&Raw, Verdict> {
        if self.raw_root.is_none() {
            let request = format!(
                "GET / HTTP/1.1\r\nHost: {}\r\nUser-Agent: netgrade\r\nAccept: */*\r\nConnection: close\r\n\r\n",
                self.server.addr()
            );
            let until = cx.deadline.min(Instant::now() + WAIT);
            match wire::exchange(self.server.addr(), request.as_bytes(), until).await {
                Ok(raw) => self.raw_root = Some(raw),
                Err(e) => return Err(super::http_verdict(&e, cx.lang)),
            }
        }
        Ok(self.raw_root.as_ref().expect("fetched above"))
    }

    async fn content_type(&mut self, cx: CheckCx<'_>) -> Verdict {
        let raw = match self.raw_root(&cx).await {
            Ok(r) => r,
            Err(v) => return v,
        };
        let expected = "Content-Type: text/html; charset=utf-8";
        let Some(value) = raw.header("content-type").first().copied() else {
            return Failure::new(cx.t(
                "응답에 Content-Type 헤더가 없습니다",
                "the response has no Content-Type header",
            ))
            .expected(expected)
            .actual(text::escape_student(raw.head_text().as_bytes()))
            .into();
        };
        // A parameter (charset) is fine; the media type is what tells a browser it is HTML.
        let media = value.split(';').next().unwrap_or_default().trim();
        if media.eq_ignore_ascii_case("text/html") {
            return Verdict::pass();
        }
        Failure::new(cx.t(
            "Content-Type이 text/html이 아닙니다",
            "the Content-Type is not text/html",
        ))
        .expected(expected)
        .actual(text::escape_student(
            format!("Content-Type: {value}").as_bytes(),
        ))
        .into()
    }

    async fn body(&mut self, cx: CheckCx<'_>) -> Verdict {
        let expected = match cx.snapshot("body.txt") {
            Ok(s) => s.trim_end().to_string(),
            Err(e) => return Verdict::Error(e.to_string()),
        };
        let raw = match self.raw_root(&cx).await {
            Ok(r) => r,
            Err(v) => return v,
        };
        let chunked = raw
            .header("transfer-encoding")
            .iter()
            .any(|v| v.to_ascii_lowercase().contains("chunked"));
        let body = match chunked {
            true => http::decode_chunked(&raw.body).unwrap_or_else(|| raw.body.clone()),
            false => raw.body.clone(),
        };
        // A closing newline changes nothing a reader sees; the byte count is content_length's.
        let seen = String::from_utf8_lossy(&body);
        if seen.trim_end() == expected {
            return Verdict::pass();
        }
        let message = if raw.capped {
            cx.t(
                "응답 본문이 1 MiB를 넘어서 잘랐습니다",
                "the response body went over 1 MiB and was cut",
            )
        } else {
            cx.t(
                "응답 본문이 정해진 내용과 다릅니다",
                "the response body is not the expected one",
            )
        };
        Failure::new(message)
            .compare(&expected, &text::escape_student(seen.trim_end().as_bytes()))
            .into()
    }

    async fn content_length(&mut self, cx: CheckCx<'_>) -> Verdict {
        let raw = match self.raw_root(&cx).await {
            Ok(r) => r,
            Err(v) => return v,
        };
        let sent = raw.body.len();
        let values = raw.header("content-length");
        let Some(first) = values.first() else {
            return Failure::new(cx.t(
                "응답에 Content-Length 헤더가 없습니다. 받는 쪽은 연결이 닫혀야 본문이 끝난 것을 압니다",
                "the response has no Content-Length header: a client learns where the body ends only when the connection closes",
            ))
            .expected(format!("Content-Length: {sent}"))
            .actual(text::escape_student(raw.head_text().as_bytes()))
            .into();
        };
        let claimed = first.trim().parse::<usize>().ok();
        let agree = values.iter().all(|v| v.trim() == first.trim());
        if agree && claimed == Some(sent) && !raw.capped {
            return Verdict::pass();
        }
        let shown: Vec<String> = values
            .iter()
            .map(|v| format!("Content-Length: {v}"))
            .collect();
        Failure::new(format!(
            "{} ({sent} {})",
            cx.t(
                "Content-Length가 실제로 보낸 본문의 길이와 다릅니다",
                "Content-Length is not the length of the body actually sent"
            ),
            cx.t("바이트를 보냄", "bytes sent")
        ))
        .expected(format!("Content-Length: {sent}"))
        .actual(text::escape_student(shown.join("\n").as_bytes()))
        .hint("mismatch")
        .into()
    }

    /// After a request that must not stop the server: it is still running and `GET /` is
    /// answered (with any status: serving on is the lesson here, not the page).
    async fn still_serving(&mut self, after: (&str, &str), cx: &CheckCx<'_>) -> Option<Verdict> {
        let after = cx.t(after.0, after.1);
        let limit = Self::limit(cx, WAIT);
        let asked = wire::client(limit).get(self.root_url()).send().await;
        let Err(e) = asked else {
            return None;
        };
        let why = match self.server.exits_within(Duration::from_millis(200)).await {
            Some(exit) => format!(
                "{} ({exit})",
                cx.t("서버가 종료되었습니다", "the server exited")
            ),
            None => format!(
                "{}: {}",
                cx.t("GET /에 답하지 않습니다", "GET / is not answered"),
                wire::explain(&e, limit, cx.lang)
            ),
        };
        Some(
            self.failure(format!("{after} {why}"))
                .hint("stopped")
                .into(),
        )
    }

    async fn unsupported_method(&mut self, cx: CheckCx<'_>) -> Verdict {
        let limit = Self::limit(&cx, WAIT);
        // An empty body: a server that answers without reading it must not reset the
        // connection under the answer.
        let sent = wire::client(limit)
            .post(self.root_url())
            .body(Vec::<u8>::new())
            .send()
            .await;
        let status = match sent {
            Ok(r) => r.status(),
            Err(e) => {
                // No answer at all: a server that died of the request is told apart.
                if let Some(exit) = self.server.exits_within(Duration::from_millis(200)).await {
                    return self
                        .failure(format!(
                            "{} ({exit})",
                            cx.t(
                                "POST / 요청에 답하지 않고 서버가 종료되었습니다",
                                "the server exited instead of answering POST /"
                            )
                        ))
                        .hint("stopped")
                        .into();
                }
                return self.failure(wire::explain(&e, limit, cx.lang)).into();
            }
        };
        if !matches!(status.as_u16(), 405 | 501) {
            return self
                .failure(cx.t(
                    "처리하지 않는 메서드(POST)에 501이나 405로 답하지 않았습니다",
                    "a method the server does not handle (POST) was not answered with 501 or 405",
                ))
                .expected("501 Not Implemented (405 Method Not Allowed)")
                .actual(status.to_string())
                .into();
        }
        let after = ("POST / 요청을 받은 뒤", "after a POST / request,");
        self.still_serving(after, &cx)
            .await
            .unwrap_or_else(Verdict::pass)
    }

    async fn malformed_request(&mut self, cx: CheckCx<'_>) -> Verdict {
        // Two words that no server could take for a request: a made-up method and target.
        let line = format!("{} {}", cx.rng.token(6).to_uppercase(), cx.rng.token(8));
        let until = cx.deadline.min(Instant::now() + WAIT);
        let raw = match wire::exchange(
            self.server.addr(),
            format!("{line}\r\n\r\n").as_bytes(),
            until,
        )
        .await
        {
            Ok(r) => r,
            Err(e) => return super::http_verdict(&e, cx.lang),
        };
        let expected = "HTTP/1.0 400 Bad Request";
        let body = String::from_utf8_lossy(&raw.body).into_owned();
        let verdict = match (raw.status, raw.status_line.as_deref()) {
            (Some(400), _) => Verdict::pass(),
            // Python 3.11's http.server answers a line it cannot parse with its error page in
            // the HTTP/0.9 style: no status line, the code only in the HTML (see the handout).
            (None, None) if body.contains("Error code: 400") || body.contains("400 Bad Request") => {
                Verdict::pass_with(cx.t(
                    "상태 줄 없이 400 오류 페이지만 왔습니다 (파이썬 http.server의 HTTP/0.9 방식 응답). 400으로 인정합니다",
                    "the 400 error page came without a status line (Python http.server's HTTP/0.9-style answer); accepted as 400",
                ))
            }
            (None, None) if raw.body.is_empty() => {
                return self
                    .failure(format!(
                        "{}: {line}",
                        cx.t(
                            "망가진 요청 줄에 아무 답 없이 연결을 닫았습니다",
                            "the connection was closed without an answer to a broken request line"
                        )
                    ))
                    .expected(expected)
                    .into();
            }
            (status, status_line) => {
                let seen = status_line.map_or_else(
                    || text::escape_student(&raw.body[..raw.body.len().min(200)]),
                    |l| text::escape_student(l.as_bytes()),
                );
                let what = match status {
                    Some(_) => cx.t(
                        "망가진 요청 줄에 400으로 답하지 않았습니다",
                        "a broken request line was not answered with 400",
                    ),
                    None => cx.t(
                        "망가진 요청 줄에 HTTP 응답이 아닌 것으로 답했습니다",
                        "a broken request line was answered with something that is not HTTP",
                    ),
                };
                return self
                    .failure(format!("{what}: {line}"))
                    .expected(expected)
                    .actual(seen)
                    .into();
            }
        };
        let after = ("망가진 요청을 받은 뒤", "after a broken request,");
        self.still_serving(after, &cx).await.unwrap_or(verdict)
    }

    async fn concurrent(&mut self, cx: CheckCx<'_>) -> Verdict {
        let connect = tokio::net::TcpStream::connect(self.server.addr());
        let idle = match tokio::time::timeout(Self::limit(&cx, WAIT), connect).await {
            Ok(Ok(s)) => s,
            _ => {
                return self
                    .failure(cx.t(
                        "서버에 연결할 수 없습니다",
                        "could not connect to the server",
                    ))
                    .into();
            }
        };
        // The idle connection is first in line: a server that serves one connection at a time
        // now waits on it for a request that never comes.
        let limit = Self::limit(&cx, AT_ONCE);
        let asked = wire::client(limit).get(self.root_url()).send().await;
        drop(idle);
        match asked {
            Ok(_) => Verdict::pass(),
            Err(e) if e.is_timeout() => self
                .failure(format!(
                    "{} ({} s)",
                    cx.t(
                        "다른 연결 하나가 열린 채 아무것도 보내지 않는 동안, GET / 요청이 답을 받지 못했습니다",
                        "while another connection stayed open and silent, GET / got no answer"
                    ),
                    limit.as_secs_f32()
                ))
                .into(),
            Err(e) => self.failure(wire::explain(&e, limit, cx.lang)).into(),
        }
    }
}

impl LabDriver for Lab06 {
    fn run_check<'a>(&'a mut self, id: &'a str, cx: CheckCx<'a>) -> BoxFuture<'a, Verdict> {
        Box::pin(async move {
            let Some(check) = Check::parse(id) else {
                return Verdict::Error(format!("lab06 has no check `{id}`"));
            };
            // Every check gets a running server, started again if it exited.
            if let Err(v) = self.server.before_check(CHECKS, id, &cx).await {
                return v;
            }
            match check {
                Check::Starts => self.server.start(&cx).await,
                Check::UsesPort => self.server.uses_port(&cx),
                Check::StartupLine => self.startup_line(cx).await,
                Check::Status200 => self.status_200(cx).await,
                Check::ContentType => self.content_type(cx).await,
                Check::Body => self.body(cx).await,
                Check::ContentLength => self.content_length(cx).await,
                Check::UnsupportedMethod => self.unsupported_method(cx).await,
                Check::MalformedRequest => self.malformed_request(cx).await,
                Check::Concurrent => self.concurrent(cx).await,
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
