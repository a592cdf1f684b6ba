//! lab01 ip_port_http: the student's `app.py` is an HTTP server. The grader starts it with
//! `PORT`, then probes it over loopback as an HTTP client, from random 127.x.y.z sources.

mod banner;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::time::Instant;

use super::{BoxFuture, CheckCx, LabDriver};
use crate::harness::{Readiness, Spec, Supervised, ports};
use crate::i18n::Lang;
use crate::net::http::{self, HttpError, HttpLimits, Response};
use crate::net::ifaces;
use crate::report::{Failure, Verdict};
use crate::submission::Launch;
use crate::text;
use banner::banner;

checks! {
    enum Check {
        Starts = "starts",
        UsesPort = "uses_port" needs ["starts"],
        AllAddresses = "all_addresses" needs ["starts"],
        StartupLog = "startup_log" needs ["starts"],
        Status200 = "status_200" needs ["starts"],
        // Reads the response `status_200` fetched.
        Body = "body" needs ["status_200"],
        ClientIp = "client_ip" needs ["starts"],
        NotFound = "not_found" needs ["starts"],
        Lan = "lan" needs ["starts"],
    }
}

/// The checks, in the order of `graders/lab01/lab.toml`.
pub const CHECKS: &[super::spec::CheckSpec] = Check::SPECS;

/// The lab's default port: a server that ignores `PORT` binds it.
const SEED_PORT: u16 = 8000;
/// Lines of student output shown under a failure.
const OUTPUT_LINES: usize = 15;

pub struct Lab01 {
    launch: Launch,
    server: Option<Supervised>,
    /// The port given in `PORT`.
    given_port: u16,
    /// The port the server really accepts on (`given_port`, or the seed's 8000).
    port: u16,
    root: Option<Response>,
}

impl Lab01 {
    pub fn new(launch: Launch) -> Lab01 {
        Lab01 {
            launch,
            server: None,
            given_port: 0,
            port: 0,
            root: None,
        }
    }

    fn spec(&self, port: u16, budget: Duration) -> Spec {
        let env = vec![("PORT".to_string(), port.to_string())];
        self.launch
            .spec(&[], env, crate::harness::Limits::for_budget(budget))
    }

    fn output_failure(&self, message: String) -> Failure {
        let f = Failure::new(message);
        match &self.server {
            Some(s) => f.output(s.output(OUTPUT_LINES)),
            None => f,
        }
    }

    async fn starts(&mut self, cx: CheckCx<'_>) -> Verdict {
        let started = Instant::now();
        // Another program on 8000 must not be mistaken for the student's server.
        let seed_busy = ports::accepts(
            (Ipv4Addr::LOCALHOST, SEED_PORT).into(),
            Duration::from_millis(200),
        )
        .await;
        // One retry: the port may be taken between choosing it and the student binding it.
        for attempt in 0..2 {
            let port = match ports::pick_free_port() {
                Ok(p) => p,
                Err(e) => return Verdict::Error(format!("no free port for the server: {e}")),
            };
            self.given_port = port;
            let spec = self.spec(port, cx.deadline.saturating_duration_since(Instant::now()));
            let mut server = match Supervised::spawn(&spec) {
                Ok(s) => s,
                Err(e) => return super::spawn_failure(cx.lang, &spec, &self.launch, &e),
            };
            let mut targets: Vec<SocketAddr> = vec![(Ipv4Addr::LOCALHOST, port).into()];
            if !seed_busy {
                targets.push((Ipv4Addr::LOCALHOST, SEED_PORT).into());
            }
            let ready = server
                .wait_ready(&targets, cx.deadline - Duration::from_millis(100))
                .await;
            self.server = Some(server);
            match ready {
                Readiness::Ready { index } => {
                    self.port = targets[index].port();
                    return Verdict::pass();
                }
                Readiness::Exited(exit) => {
                    let stderr = self
                        .server
                        .as_ref()
                        .map(|s| s.stderr.tail())
                        .unwrap_or_default();
                    if mentions_port_in_use(&stderr) {
                        if seed_busy {
                            return Verdict::Error(cx.t(
                                "다른 프로그램이 이미 8000번 포트를 쓰고 있는데, 제출한 프로그램도 PORT 대신 8000번 포트에 bind하려고 합니다. 8000번 포트를 쓰는 다른 프로그램을 끄거나, PORT를 읽도록 고친 뒤 다시 실행하세요.",
                                "another program already uses port 8000, and your program tries to bind 8000 instead of PORT. Stop the other program, or read PORT, and run again.",
                            ));
                        }
                        if attempt == 0 {
                            self.teardown_server(cx.lang).await;
                            continue;
                        }
                        return Verdict::Error(cx.t(
                            "채점기가 고른 포트가 두 번 모두 이미 사용 중이었습니다. 다시 실행하세요.",
                            "the port the grader chose was in use both times; run again.",
                        ));
                    }
                    let mut msg = format!(
                        "{} ({exit})",
                        cx.t(
                            "프로그램이 연결을 받기 전에 종료되었습니다",
                            "your program exited before it accepted any connection"
                        )
                    );
                    if let Some(limit) = crate::harness::limit_exceeded(
                        exit,
                        &stderr,
                        self.server.as_ref().is_some_and(Supervised::pids_limit_hit),
                        cx.lang,
                    ) {
                        msg = format!("{msg}: {limit}");
                    }
                    return self.output_failure(msg).into();
                }
                Readiness::TimedOut => {
                    let limit = cx.deadline.saturating_duration_since(started);
                    let msg = format!(
                        "{} {port} ({}; {:.0} s)",
                        cx.t(
                            "프로그램은 실행 중이지만 제한 시간 안에 다음 포트에서 연결을 받지 않았습니다:",
                            "your program is running but did not accept connections in time on port"
                        ),
                        cx.t("PORT 환경 변수", "the PORT environment variable"),
                        limit.as_secs_f64()
                    );
                    return self.output_failure(msg).into();
                }
            }
        }
        unreachable!("the loop returns on its last attempt")
    }

    fn uses_port(&self, cx: &CheckCx<'_>) -> Verdict {
        if self.port == self.given_port {
            return Verdict::pass();
        }
        Failure::new(cx.t(
            "PORT 환경 변수를 읽지 않고 실습 기본 포트인 8000번에서 연결을 기다립니다 (채점은 8000번으로 계속했습니다)",
            "your program ignores PORT and listens on the lab's default port 8000 (grading went on against 8000)",
        ))
        .expected(format!("PORT={}", self.given_port))
        .actual(format!("{SEED_PORT}"))
        .into()
    }

    async fn all_addresses(&self, cx: CheckCx<'_>) -> Verdict {
        let other = cx.rng.loopback_v4();
        let target = SocketAddr::from((other, self.port));
        let left = cx.deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, tokio::net::TcpStream::connect(target)).await {
            Ok(Ok(_)) => Verdict::pass(),
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => Failure::new(format!(
                "{} {other}",
                cx.t(
                    "127.0.0.1로는 접속되지만 다른 주소로 연결하면 거부됩니다. 서버가 127.0.0.1에만 bind한 것 같습니다. 거부된 주소:",
                    "connections to 127.0.0.1 work but another address is refused: the server seems bound to 127.0.0.1 only. Refused:"
                )
            ))
            .expected("0.0.0.0")
            .actual("127.0.0.1")
            .into(),
            // The OS does not route the rest of 127/8 (macOS): no way to tell from here.
            Ok(Err(e)) => Verdict::Unavailable(format!(
                "{} ({other}: {e})",
                cx.t(
                    "이 운영체제는 127.0.0.1 외의 루프백 주소로 라우팅하지 않아서 여기서는 확인할 수 없습니다",
                    "this OS does not route loopback addresses other than 127.0.0.1, so this can't be checked here"
                )
            )),
            Err(_) => Verdict::Unavailable(cx.t(
                "다른 루프백 주소로 연결했지만 응답 없이 시간이 초과되었습니다",
                "a connection to another loopback address timed out without an answer",
            )),
        }
    }

    async fn startup_log(&self, cx: CheckCx<'_>) -> Verdict {
        let Some(server) = &self.server else {
            return Verdict::Error("no server".into());
        };
        let port = self.port;
        let deadline = cx.deadline.min(Instant::now() + Duration::from_secs(1));
        let (out, err) = (server.stdout.clone(), server.stderr.clone());
        let both = |o: &[u8], e: &[u8]| {
            banner(
                &String::from_utf8_lossy(o),
                &String::from_utf8_lossy(e),
                port,
            )
        };
        // Flask prints its banner on stderr, a hand-written server on stdout: wait on both.
        tokio::select! {
            _ = out.wait_for(deadline, |o| both(o, &err.searchable()).is_complete()) => {}
            _ = err.wait_for(deadline, |e| both(&out.searchable(), e).is_complete()) => {}
        }
        let found = both(&out.searchable(), &err.searchable());
        let expected = format!(
            "Running on all addresses (0.0.0.0)\nRunning on http://127.0.0.1:{port}\nRunning on http://<{}>:{port}",
            cx.t("이 컴퓨터의 사설 IPv4", "this machine's private IPv4")
        );
        if !found.is_complete() {
            return Failure::new(cx.t(
                "시작 로그 세 줄을 찾지 못했습니다",
                "the three startup lines were not found",
            ))
            .expected(expected)
            .actual(found.shown)
            .into();
        }
        let printed = found.private.expect("complete");
        let mine = ifaces::lan_ipv4();
        let ok = mine.contains(&printed) || (mine.is_empty() && printed.is_loopback());
        if ok {
            return Verdict::pass();
        }
        let list = if mine.is_empty() {
            "-".to_string()
        } else {
            mine.iter()
                .map(Ipv4Addr::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        Failure::new(format!(
            "{printed} {} ({list})",
            cx.t(
                "주소는 이 컴퓨터의 네트워크 인터페이스 주소가 아닙니다. 이 컴퓨터의 주소:",
                "is not an address of this machine's network interfaces. This machine's addresses:"
            )
        ))
        .expected(expected)
        .actual(found.shown)
        .into()
    }

    async fn get(
        &self,
        cx: &CheckCx<'_>,
        host: IpAddr,
        source: Option<IpAddr>,
        path: &str,
    ) -> Result<Response, HttpError> {
        let left = cx.deadline.saturating_duration_since(Instant::now());
        let limits = HttpLimits {
            total: left.min(HttpLimits::default().total),
            ..HttpLimits::default()
        };
        let authority = SocketAddr::new(host, self.port);
        http::get(authority, source, &authority.to_string(), path, limits).await
    }

    async fn status_200(&mut self, cx: CheckCx<'_>) -> Verdict {
        match self.get(&cx, Ipv4Addr::LOCALHOST.into(), None, "/").await {
            Err(e) => http_failure(&cx, e),
            Ok(r) if r.status == 200 => {
                self.root = Some(r);
                Verdict::pass()
            }
            Ok(r) => Failure::new(cx.t(
                "GET / 요청에 200으로 응답하지 않았습니다",
                "GET / did not answer 200",
            ))
            .expected("HTTP/1.x 200 OK")
            .actual(text::escape_student(r.status_line.as_bytes()))
            .into(),
        }
    }

    fn body(&self, cx: &CheckCx<'_>) -> Verdict {
        let Some(r) = &self.root else {
            return Verdict::Error("no response kept from status_200".into());
        };
        let expected = match cx.snapshot("body.txt") {
            Ok(s) => text::normalize(&s),
            Err(e) => return Verdict::Error(e.to_string()),
        };
        let actual = text::redact_value(
            &text::normalize(&r.body_text()),
            "client_ip=",
            "<CLIENT_IP>",
        );
        if actual == expected {
            return Verdict::pass();
        }
        let message = if r.body_truncated {
            cx.t(
                "응답 본문이 1 MiB를 넘어서 잘랐습니다 (Content-Length 없이 끝없이 보내고 있지 않나요?)",
                "the response body went over 1 MiB and was cut (does it send without end, with no Content-Length?)",
            )
        } else {
            cx.t(
                "응답 본문이 기대한 형식과 다릅니다",
                "the response body differs from the expected one",
            )
        };
        Failure::new(message)
            .compare(&expected, &text::escape_student(actual.as_bytes()))
            .into()
    }

    async fn client_ip(&self, cx: CheckCx<'_>, via: IpAddr, source: Option<IpAddr>) -> Verdict {
        let r = match self.get(&cx, via, source, "/").await {
            Ok(r) => r,
            // The OS refused the random source address (macOS): fall back to the default one.
            Err(HttpError::SourceBind { .. }) if via.is_loopback() => {
                match self.get(&cx, via, None, "/").await {
                    Ok(r) => return compare_client_ip(&cx, &r, Ipv4Addr::LOCALHOST.into(), true),
                    Err(e) => return http_failure(&cx, e),
                }
            }
            Err(e) => return http_failure(&cx, e),
        };
        if r.status != 200 {
            return Failure::new(cx.t(
                "GET / 요청에 200으로 응답하지 않았습니다",
                "GET / did not answer 200",
            ))
            .expected("200")
            .actual(text::escape_student(r.status_line.as_bytes()))
            .into();
        }
        compare_client_ip(&cx, &r, source.unwrap_or(via), false)
    }

    async fn not_found(&self, cx: CheckCx<'_>) -> Verdict {
        let path = format!("/{}", cx.rng.token(10));
        match self.get(&cx, Ipv4Addr::LOCALHOST.into(), None, &path).await {
            Err(e) => http_failure(&cx, e),
            Ok(r) if r.status == 404 => Verdict::pass(),
            Ok(r) => Failure::new(format!(
                "GET {path}: {}",
                cx.t(
                    "없는 경로인데 404로 응답하지 않았습니다",
                    "an unknown path did not answer 404"
                )
            ))
            .expected("HTTP/1.x 404")
            .actual(text::escape_student(r.status_line.as_bytes()))
            .into(),
        }
    }

    async fn lan(&self, cx: CheckCx<'_>) -> Verdict {
        if !cx.options.lan {
            return Verdict::Unavailable(cx.t(
                "사설 IP로도 접속해 보려면 grade lab01 --lan 명령으로 실행하세요",
                "run grade lab01 --lan to also try through your private IP",
            ));
        }
        let Some(ip) = ifaces::lan_ipv4().first().copied() else {
            return Verdict::Unavailable(cx.t(
                "이 컴퓨터에 사설 IPv4 주소가 없습니다 (네트워크에 연결되어 있나요?)",
                "this machine has no private IPv4 address (is it connected to a network?)",
            ));
        };
        // Connecting to one's own address: the kernel uses that address as the source too.
        self.client_ip(cx, ip.into(), None).await
    }

    async fn teardown_server(&mut self, lang: Lang) -> Vec<String> {
        let mut notices = Vec::new();
        let Some(mut server) = self.server.take() else {
            return notices;
        };
        let t = server.shutdown(Duration::from_millis(500)).await;
        if let (Some(exit), true) = (t.exited_early, self.port != 0) {
            notices.push(format!(
                "{} ({exit})",
                lang.pick(
                    "채점 중에 프로그램의 메인 프로세스가 끝났고, 응답한 서버는 그 프로세스가 남겨 둔 다른 프로세스였습니다",
                    "your program's main process ended during grading; the server that answered was a process it left behind"
                )
            ));
        }
        if t.needed_kill {
            notices.push(
                lang.pick(
                    "프로그램이 SIGTERM을 받고 0.5초 안에 끝나지 않아 강제로 종료했습니다",
                    "your program did not stop within 0.5 s of SIGTERM and was killed",
                )
                .to_string(),
            );
        }
        if t.orphans_killed > 0 {
            notices.push(format!(
                "{} {}",
                lang.pick(
                    "프로그램이 백그라운드에 남겨 둔 프로세스를 채점기가 종료했습니다:",
                    "the grader killed processes your program left running in the background:"
                ),
                t.orphans_killed
            ));
        }
        if self.port != 0
            && !ports::wait_until_free(self.port, Instant::now() + Duration::from_secs(2)).await
        {
            notices.push(format!(
                "{} {}",
                lang.pick(
                    "프로그램을 멈춘 뒤에도 채점기가 찾지 못한 프로세스가 포트를 계속 잡고 있습니다:",
                    "a port is still held after your program was stopped, by a process the grader could not find:"
                ),
                self.port
            ));
        }
        notices
    }
}

impl LabDriver for Lab01 {
    fn run_check<'a>(&'a mut self, id: &'a str, cx: CheckCx<'a>) -> BoxFuture<'a, Verdict> {
        Box::pin(async move {
            let Some(check) = Check::parse(id) else {
                return Verdict::Error(format!("lab01 has no check `{id}`"));
            };
            match check {
                Check::Starts => self.starts(cx).await,
                Check::UsesPort => self.uses_port(&cx),
                Check::AllAddresses => self.all_addresses(cx).await,
                Check::StartupLog => self.startup_log(cx).await,
                Check::Status200 => self.status_200(cx).await,
                Check::Body => self.body(&cx),
                Check::ClientIp => {
                    let source = IpAddr::V4(cx.rng.loopback_v4());
                    self.client_ip(cx, Ipv4Addr::LOCALHOST.into(), Some(source))
                        .await
                }
                Check::NotFound => self.not_found(cx).await,
                Check::Lan => self.lan(cx).await,
            }
        })
    }

    fn teardown(&mut self, lang: Lang) -> BoxFuture<'_, Vec<String>> {
        Box::pin(self.teardown_server(lang))
    }
}

fn mentions_port_in_use(stderr: &[u8]) -> bool {
    let s = String::from_utf8_lossy(stderr);
    [
        "Address already in use",
        "EADDRINUSE",
        "Errno 98",
        "Errno 48",
        "WinError 10048",
    ]
    .iter()
    .any(|m| s.contains(m))
}

fn http_failure(cx: &CheckCx<'_>, e: HttpError) -> Verdict {
    if e.is_grader_side() {
        Verdict::Error(e.explain(cx.lang))
    } else {
        Verdict::fail(e.explain(cx.lang))
    }
}

fn compare_client_ip(cx: &CheckCx<'_>, r: &Response, expected: IpAddr, fallback: bool) -> Verdict {
    let body = text::normalize(&r.body_text());
    let shown = body
        .lines()
        .find_map(|l| l.trim().strip_prefix("client_ip="))
        .map(str::trim);
    let Some(shown) = shown else {
        return Failure::new(cx.t(
            "본문에 client_ip= 줄이 없습니다",
            "the body has no client_ip= line",
        ))
        .expected(format!("client_ip={expected}"))
        .actual(text::escape_student(body.as_bytes()))
        .into();
    };
    // A dual-stack socket reports an IPv4 caller as ::ffff:a.b.c.d: the same address.
    let same = shown.parse::<IpAddr>().ok().map(|ip| match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }) == Some(expected);
    if same {
        return if fallback {
            Verdict::pass_with(cx.t(
                "이 운영체제에서는 출발지 주소를 바꿀 수 없어 127.0.0.1로만 확인했습니다",
                "this OS can't vary the source address, so only 127.0.0.1 was tried",
            ))
        } else {
            Verdict::pass()
        };
    }
    Failure::new(cx.t(
        "client_ip 값이 채점기가 실제로 접속한 주소와 다릅니다",
        "client_ip is not the address the grader connected from",
    ))
    .expected(format!("client_ip={expected}"))
    .actual(format!(
        "client_ip={}",
        text::escape_student(shown.as_bytes())
    ))
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_port_matches_the_registry() {
        assert_eq!(Some(SEED_PORT), crate::lab::LabId::Lab01.info().seed_port);
    }
}
