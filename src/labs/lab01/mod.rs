//! lab01 ip_port_http: the student's `app.py` is an HTTP server. The grader starts it with
//! `PORT`, then probes it over loopback as an HTTP client, from random 127.x.y.z sources.

mod banner;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::time::Instant;

use super::server::StudentServer;
use super::{BoxFuture, CheckCx, DriverEnv, LabDriver, Network};
use crate::harness::ports::Probe;
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

pub struct Lab01 {
    server: StudentServer,
    root: Option<Response>,
    network: Network,
}

impl Lab01 {
    pub fn new(launch: Launch, env: DriverEnv) -> Lab01 {
        Lab01 {
            server: StudentServer::new(Ok(launch), crate::wire::lab01::DEFAULT_PORT, Probe::Tcp),
            root: None,
            network: env.network,
        }
    }

    async fn all_addresses(&self, cx: CheckCx<'_>) -> Verdict {
        let other = cx.rng.loopback_v4();
        let target = SocketAddr::from((other, self.server.port()));
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
        let Some(server) = self.server.process() else {
            return Verdict::Error("no server".into());
        };
        let port = self.server.port();
        let deadline = cx.deadline.min(Instant::now() + Duration::from_secs(1));
        let both = |o: &[u8], e: &[u8]| {
            banner(
                &String::from_utf8_lossy(o),
                &String::from_utf8_lossy(e),
                port,
            )
        };
        // Flask prints its banner on stderr, a hand-written server on stdout.
        server
            .wait_for_output(deadline, |o, e| both(o, e).is_complete())
            .await;
        let found = both(&server.stdout.searchable(), &server.stderr.searchable());
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
        let authority = SocketAddr::new(host, self.server.port());
        http::get(authority, source, &authority.to_string(), path, limits).await
    }

    async fn status_200(&mut self, cx: CheckCx<'_>) -> Verdict {
        match self.get(&cx, Ipv4Addr::LOCALHOST.into(), None, "/").await {
            Err(e) => super::http_verdict(&e, cx.lang),
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
                    Err(e) => return super::http_verdict(&e, cx.lang),
                }
            }
            Err(e) => return super::http_verdict(&e, cx.lang),
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
            Err(e) => super::http_verdict(&e, cx.lang),
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
        let ip = match &self.network {
            // In a private namespace the "private IP" is the grader's fixture, on `lo`: the
            // check runs for everyone, and nothing leaves the namespace.
            Network::Isolated { lan: Some(ip), .. } => *ip,
            Network::Isolated { lan: None, .. } => {
                return Verdict::Unavailable(cx.t(
                    "격리된 네트워크에 사설 IP를 만들지 못해서(ip 명령이 필요합니다) 확인할 수 없습니다",
                    "no private IP could be made in the isolated network (it needs the `ip` command), so this can't be checked",
                ));
            }
            Network::Shared(_) if !cx.options.lan => {
                return Verdict::Unavailable(cx.t(
                    "사설 IP로도 접속해 보려면 grade lab01 --lan 명령으로 실행하세요",
                    "run grade lab01 --lan to also try through your private IP",
                ));
            }
            Network::Shared(_) => match ifaces::lan_ipv4().first().copied() {
                Some(ip) => ip,
                None => {
                    return Verdict::Unavailable(cx.t(
                        "이 컴퓨터에 사설 IPv4 주소가 없습니다 (네트워크에 연결되어 있나요?)",
                        "this machine has no private IPv4 address (is it connected to a network?)",
                    ));
                }
            },
        };
        // Connecting to one's own address: the kernel uses that address as the source too.
        self.client_ip(cx, ip.into(), None).await
    }
}

impl LabDriver for Lab01 {
    fn run_check<'a>(&'a mut self, id: &'a str, cx: CheckCx<'a>) -> BoxFuture<'a, Verdict> {
        Box::pin(async move {
            let Some(check) = Check::parse(id) else {
                return Verdict::Error(format!("lab01 has no check `{id}`"));
            };
            match check {
                Check::Starts => self.server.start(&cx).await,
                Check::UsesPort => self.server.uses_port(&cx),
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

    fn student_ports(&self) -> Vec<u16> {
        self.server.ports()
    }

    fn teardown(&mut self, lang: Lang) -> BoxFuture<'_, Vec<String>> {
        Box::pin(self.server.stop(lang))
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
