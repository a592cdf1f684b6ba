//! lab03 client: the student's `client.py URL` resolves the host, times the TCP connect, sends
//! a GET and prints status and body preview. The grader plays the server with the reference
//! lab01 server, putting a fresh token in every body so the preview must be real.

mod output;

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::{BoxFuture, CheckCx, DriverEnv, Hermetic, LabDriver, line_check, shown};
use crate::counterpart::hello::{Config, serve_with};
use crate::harness::Finished;
use crate::i18n::Lang;
use crate::net::dns_fixture::{DnsFixture, Zone};
use crate::report::{Failure, Verdict};
use crate::rng::Rng;
use crate::submission::Launch;
use crate::text;
use output::{TcpLine, parse};

checks! {
    enum Check {
        Runs = "runs",
        // These read the main run's output (each starts it if it has not run yet), so they
        // are graded even when the run failed later on: what a client printed before it
        // crashed still counts.
        InputLine = "input_line",
        DnsSection = "dns_section",
        TcpLine = "tcp_line",
        Ipv6Brackets = "ipv6_brackets",
        Status = "status",
        BodyPreview = "body_preview",
        StatusCodes = "status_codes",
        DefaultPort = "default_port",
        Refused = "refused",
        FallbackAddress = "fallback_address",
    }
}

/// The checks, in the order of `graders/lab03/lab.toml`.
pub const CHECKS: &[super::spec::CheckSpec] = Check::SPECS;

const RUN_LIMIT: Duration = Duration::from_secs(8);

/// One run of the client: the URL, the token the server put in bodies meanwhile, the output.
struct ClientRun {
    host: String,
    port: u16,
    path: String,
    token: String,
    f: Finished,
}

pub struct Lab03 {
    launch: Launch,
    hermetic: Hermetic,
    zone: Zone,
    rng: Rng,
    dns: Option<DnsFixture>,
    config: Config,
    servers: Vec<JoinHandle<std::io::Result<()>>>,
    /// The main server's port, once listening.
    port: Option<u16>,
    runs: HashMap<&'static str, ClientRun>,
}

impl Lab03 {
    pub fn new(launch: Launch, env: DriverEnv) -> Lab03 {
        let zone = Zone::random(&mut Rng::named(env.seed, "lab03 zone"));
        let mut rng = Rng::named(env.seed, "lab03 tokens");
        let config = Config {
            fail_prefix: Some(format!("/fail-{}", rng.token(6))),
            ..Config::default()
        };
        Lab03 {
            launch,
            hermetic: env.hermetic,
            zone,
            rng,
            dns: None,
            config,
            servers: Vec::new(),
            port: None,
            runs: HashMap::new(),
        }
    }

    /// The host the main URL names. In hermetic mode a fixture name that is fresh every run and
    /// resolves like the seed's `localhost` (a loopback IPv4 and ::1; the dual-stack server takes
    /// both), so that not even the DNS section can be printed in advance; elsewhere 127.0.0.1,
    /// so that nothing but loopback is involved.
    async fn host(&mut self, cx: &CheckCx<'_>) -> Result<String, Verdict> {
        if self.hermetic.is_active() {
            self.fixture(cx).await?;
            Ok(self.zone.web.clone())
        } else {
            Ok("127.0.0.1".to_string())
        }
    }

    fn listen(&mut self, listener: TcpListener) -> std::io::Result<u16> {
        let port = listener.local_addr()?.port();
        self.servers
            .push(tokio::spawn(serve_with(listener, self.config.clone())));
        Ok(port)
    }

    /// The main server: dual-stack on the namespace's loopback in hermetic mode, 127.0.0.1
    /// elsewhere. Bound on port 0 and kept: no race for the port.
    async fn main_port(&mut self) -> Result<u16, Verdict> {
        if let Some(p) = self.port {
            return Ok(p);
        }
        let bound = if self.hermetic.is_active() {
            bind_dual_stack(0)
        } else {
            TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await
        };
        let port = bound
            .and_then(|l| self.listen(l))
            .map_err(|e| Verdict::Error(format!("the grader's server could not listen: {e}")))?;
        self.port = Some(port);
        Ok(port)
    }

    async fn fixture(&mut self, cx: &CheckCx<'_>) -> Result<(), Verdict> {
        super::ensure_fixture(&self.hermetic, &mut self.dns, &self.zone, cx).await
    }

    /// Runs the client on `http://host[:port]path` (port omitted when `None`), with a fresh
    /// token in the server's bodies, and keeps the run under `key`.
    async fn run(
        &mut self,
        key: &'static str,
        host: &str,
        port: Option<u16>,
        path: &str,
        cx: &CheckCx<'_>,
    ) -> Result<&ClientRun, Verdict> {
        if !self.runs.contains_key(key) {
            let token = self.rng.token(16);
            self.config.set_token(Some(token.clone()));
            let url = match port {
                Some(p) => format!("http://{host}:{p}{path}"),
                None => format!("http://{host}{path}"),
            };
            let f = super::run_program(&self.launch, &[&url], RUN_LIMIT, cx).await?;
            let run = ClientRun {
                host: host.to_string(),
                port: port.unwrap_or(80),
                path: path.to_string(),
                token,
                f,
            };
            self.runs.insert(key, run);
        }
        Ok(&self.runs[key])
    }

    async fn main_run(&mut self, cx: &CheckCx<'_>) -> Result<&ClientRun, Verdict> {
        let port = self.main_port().await?;
        let host = self.host(cx).await?;
        self.run("main", &host, Some(port), "/", cx).await
    }

    async fn runs(&mut self, cx: CheckCx<'_>) -> Verdict {
        match self.main_run(&cx).await {
            Ok(r) => ran_cleanly(r, &cx),
            Err(v) => v,
        }
    }

    fn input_line(&self, cx: &CheckCx<'_>) -> Verdict {
        let r = &self.runs["main"];
        let want = format!("[INPUT] host={}, port={}, path={}", r.host, r.port, r.path);
        line_check(&r.f.stdout, &want, "[INPUT]", cx)
    }

    async fn dns_section(&self, cx: &CheckCx<'_>) -> Verdict {
        let r = &self.runs["main"];
        let oracle = match crate::net::resolve(&r.host).await {
            Ok(v) => v,
            Err(e) => {
                return Verdict::Error(format!("the grader could not resolve {}: {e}", r.host));
            }
        };
        let printed = parse(&r.f.stdout).dns;
        let expected = format!(
            "[DNS] resolved IPs:\n{}",
            oracle
                .iter()
                .map(|ip| format!("- {ip}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        let Some(printed) = printed else {
            return Failure::new(cx.t(
                "[DNS] resolved IPs: 부분이 없습니다",
                "there is no [DNS] resolved IPs: section",
            ))
            .expected(expected)
            .actual(shown(&r.f.stdout))
            .into();
        };
        let got: HashSet<IpAddr> = printed.iter().filter_map(|s| s.parse().ok()).collect();
        let want: HashSet<IpAddr> = oracle.iter().copied().collect();
        if got == want && printed.len() == want.len() {
            return Verdict::pass();
        }
        Failure::new(format!(
            "{}: {}",
            r.host,
            cx.t(
                "출력한 주소가 이 컴퓨터의 조회 결과와 다릅니다",
                "the addresses printed differ from this machine's own look-up"
            )
        ))
        .expected(expected)
        .actual(shown(&r.f.stdout))
        .into()
    }

    fn tcp_line(&self, cx: &CheckCx<'_>) -> Verdict {
        let r = &self.runs["main"];
        let out = parse(&r.f.stdout);
        let expected = format!("[TCP] connect to <IP>:{} = <ms> ms", r.port);
        let Some(TcpLine { ip, port, ms, .. }) = out.tcp else {
            return Failure::new(cx.t(
                "[TCP] connect to IP:PORT = X ms 줄이 없습니다",
                "there is no [TCP] connect to IP:PORT = X ms line",
            ))
            .expected(expected)
            .actual(shown(&r.f.stdout))
            .into();
        };
        let resolved: Vec<IpAddr> = out
            .dns
            .unwrap_or_default()
            .iter()
            .filter_map(|s| s.parse().ok())
            .collect();
        // With or without brackets around an IPv6 address: that rule is `ipv6_brackets`'.
        let problem = if !ms.parse::<f64>().is_ok_and(|m| m.is_finite() && m >= 0.0) {
            Some(format!(
                "{}: {ms}",
                cx.t(
                    "연결 시간이 숫자가 아닙니다",
                    "the connect time is not a number"
                )
            ))
        } else if port != r.port.to_string() {
            Some(format!(
                "{}: {port}",
                cx.t(
                    "포트가 URL의 포트와 다릅니다",
                    "the port differs from the URL's"
                )
            ))
        } else if !ip.parse::<IpAddr>().is_ok_and(|ip| resolved.contains(&ip)) {
            Some(format!(
                "{}: {ip}",
                cx.t(
                    "DNS 조회로 얻은 주소가 아닙니다",
                    "the address is not one of those resolved"
                )
            ))
        } else {
            None
        };
        match problem {
            None => Verdict::pass(),
            Some(p) => Failure::new(p)
                .expected(expected)
                .actual(shown(&r.f.stdout))
                .into(),
        }
    }

    /// Advisory: an IPv6 address is written in brackets next to its port (`[::1]:8000`), in
    /// every connect line, failed attempts included.
    fn ipv6_brackets(&self, cx: &CheckCx<'_>) -> Verdict {
        let r = &self.runs["main"];
        let bare = parse(&r.f.stdout).connect_addrs.into_iter().find(|a| {
            // `::1:8000`: more than one colon and no bracket means an unbracketed IPv6.
            !a.starts_with('[') && a.matches(':').count() > 1
        });
        let Some(bare) = bare else {
            return Verdict::pass();
        };
        let fixed = bare
            .rsplit_once(':')
            .map(|(ip, port)| format!("[{ip}]:{port}"))
            .unwrap_or_else(|| bare.clone());
        Failure::new(format!(
            "{}: {}",
            cx.t(
                "IPv6 주소를 대괄호 없이 포트와 붙여 썼습니다",
                "an IPv6 address is written next to its port without brackets"
            ),
            text::escape_student(bare.as_bytes())
        ))
        .expected(format!("[TCP] connect to {fixed} ..."))
        .actual(format!(
            "[TCP] connect to {} ...",
            text::escape_student(bare.as_bytes())
        ))
        .into()
    }

    fn status(&self, cx: &CheckCx<'_>) -> Verdict {
        line_check(
            &self.runs["main"].f.stdout,
            "[HTTP] status=200",
            "[HTTP] status",
            cx,
        )
    }

    fn body_preview(&self, key: &'static str, cx: &CheckCx<'_>) -> Verdict {
        let r = &self.runs[key];
        let preview = parse(&r.f.stdout).preview;
        let want = format!("token={}", r.token);
        match preview {
            Some(p) if p.contains(&want) && p.contains("OK! You reached the server.") => Verdict::pass(),
            Some(_) => Failure::new(cx.t(
                "body preview가 이번에 서버가 보낸 본문이 아닙니다 (실행할 때마다 바뀌는 token 줄이 없습니다)",
                "the body preview is not the body the server just sent (its token line, new every run, is missing)",
            ))
            .expected(format!("[HTTP] body preview:\nOK! You reached the server.\n...\n{want}"))
            .actual(shown(&r.f.stdout))
            .into(),
            None => Failure::new(cx.t("[HTTP] body preview: 줄이 없습니다", "there is no [HTTP] body preview: line"))
                .expected("[HTTP] body preview:")
                .actual(shown(&r.f.stdout))
                .into(),
        }
    }

    async fn status_codes(&mut self, cx: CheckCx<'_>) -> Verdict {
        let port = match self.main_port().await {
            Ok(p) => p,
            Err(v) => return v,
        };
        let host = match self.host(&cx).await {
            Ok(h) => h,
            Err(v) => return v,
        };
        let missing = format!("/missing-{}", self.rng.token(6));
        let fail = format!("{}-x", self.config.fail_prefix.clone().unwrap_or_default());
        for (key, path, code) in [("not_found", missing, 404), ("server_error", fail, 500)] {
            let r = match self.run(key, &host, Some(port), &path, &cx).await {
                Ok(r) => r,
                Err(v) => return v,
            };
            let want = format!("[HTTP] status={code}");
            if let Verdict::Failed(mut f) = line_check(&r.f.stdout, &want, "[HTTP] status", &cx) {
                f.message = format!("GET {path}: {}", f.message);
                return Verdict::Failed(f);
            }
        }
        Verdict::pass()
    }

    async fn default_port(&mut self, cx: CheckCx<'_>) -> Verdict {
        if let Err(v) = self.fixture(&cx).await {
            return v;
        }
        // Port 80 is private to the grader's namespace: nothing else can hold it.
        match bind_dual_stack(80).and_then(|l| self.listen(l)) {
            Ok(_) => {}
            Err(e) => {
                return Verdict::Error(format!(
                    "the grader could not listen on port 80 in its namespace: {e}"
                ));
            }
        }
        let path = "/";
        let r = match self.run("default_port", "localhost", None, path, &cx).await {
            Ok(r) => r,
            Err(v) => return v,
        };
        let want = format!("[INPUT] host=localhost, port=80, path={path}");
        match line_check(&r.f.stdout, &want, "[INPUT]", &cx) {
            Verdict::Passed { .. } => {
                line_check(&r.f.stdout, "[HTTP] status=200", "[HTTP] status", &cx)
            }
            other => other,
        }
    }

    async fn refused(&mut self, cx: CheckCx<'_>) -> Verdict {
        // A port that was just free: bind, note it, close. (In hermetic mode no one else can
        // take it; elsewhere the window is tiny and a taker would only make the run pass.)
        let port = match std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
        {
            Ok(a) => a.port(),
            Err(e) => return Verdict::Error(format!("no free port: {e}")),
        };
        let r = match self.run("refused", "127.0.0.1", Some(port), "/", &cx).await {
            Ok(r) => r,
            Err(v) => return v,
        };
        let f = &r.f;
        let error_line = f
            .stdout
            .lines()
            .chain(f.stderr.lines())
            .any(|l| l.to_lowercase().contains("error"));
        let words = super::ErrorWords {
            not_ended: (
                "포트가 닫혀 있는데 프로그램이 끝나지 않았습니다",
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
                "오류를 알리는 줄(error)이 없습니다",
                "there is no line saying error",
            ),
        };
        let problem = super::reported_error(f, error_line, RUN_LIMIT, &words, cx.lang);
        match problem {
            None => Verdict::pass(),
            Some(p) => Failure::new(format!("http://127.0.0.1:{port}/: {p}"))
                .expected(format!(
                    "[TCP] error: could not connect to 127.0.0.1:{port} (...)\n({})",
                    cx.t("0이 아닌 종료 코드", "a non-zero exit status")
                ))
                .actual(shown(&format!("{}{}", f.stdout, f.stderr)))
                .into(),
        }
    }

    async fn fallback_address(&mut self, cx: CheckCx<'_>) -> Verdict {
        if let Err(v) = self.fixture(&cx).await {
            return v;
        }
        let name = self.zone.fallback.clone();
        let order = match crate::net::resolve(&name).await {
            Ok(v) if v.len() == self.zone.fallback_v4.len() => v,
            other => {
                return Verdict::Error(format!(
                    "the fixture name {name} did not resolve to its four addresses: {other:?}"
                ));
            }
        };
        let Some(serving) = serving_address(&order) else {
            return Verdict::Error(format!("no serving address fits {order:?}"));
        };
        let port = match TcpListener::bind((serving, 0))
            .await
            .and_then(|l| self.listen(l))
        {
            Ok(p) => p,
            Err(e) => {
                return Verdict::Error(format!(
                    "the grader's server could not listen on {serving}: {e}"
                ));
            }
        };
        let r = match self.run("fallback", &name, Some(port), "/", &cx).await {
            Ok(r) => r,
            Err(v) => return v,
        };
        let out = parse(&r.f.stdout);
        // Only `serving` accepts: status 200 means the client got there (a connect line, if
        // it can be read, must agree).
        let connected = out.tcp.as_ref().and_then(|t| t.ip.parse::<IpAddr>().ok());
        if out.status.as_deref() == Some("200") && connected.is_none_or(|ip| ip == serving) {
            return Verdict::pass();
        }
        Failure::new(format!(
            "{name}: {} {serving}",
            cx.t(
                "이 이름의 주소 네 개 가운데 연결을 받는 주소는 하나뿐이어서, 연결이 거부될 때 다음 주소로 넘어가야만 닿을 수 있습니다. 그 주소:",
                "of its four addresses only one accepts connections; a client reaches it only by trying the next address when one refuses:"
            ),
        ))
        .expected(format!(
            "[TCP] connect to {} = <ms> ms\n[HTTP] status=200",
            SocketAddr::new(serving, port)
        ))
        .actual(shown(&format!("{}{}", r.f.stdout, r.f.stderr)))
        .into()
    }
}

/// The fallback name's serving address: neither the resolver's first nor the first or last
/// in sorted order, so that trying only the first address, sorting or reversing never
/// reaches it by luck. The latest such address in the resolver's order, so a client must
/// move past as many refusals as possible.
fn serving_address(order: &[IpAddr]) -> Option<IpAddr> {
    let mut sorted = order.to_vec();
    sorted.sort();
    let excluded = [order.first(), sorted.first(), sorted.last()];
    order
        .iter()
        .rev()
        .find(|ip| !excluded.contains(&Some(*ip)))
        .copied()
}

impl LabDriver for Lab03 {
    fn run_check<'a>(&'a mut self, id: &'a str, cx: CheckCx<'a>) -> BoxFuture<'a, Verdict> {
        Box::pin(async move {
            let Some(check) = Check::parse(id) else {
                return Verdict::Error(format!("lab03 has no check `{id}`"));
            };
            if let Check::InputLine
            | Check::DnsSection
            | Check::TcpLine
            | Check::Ipv6Brackets
            | Check::Status
            | Check::BodyPreview = check
                && let Err(v) = self.main_run(&cx).await
            {
                return v;
            }
            match check {
                Check::Runs => self.runs(cx).await,
                Check::InputLine => self.input_line(&cx),
                Check::DnsSection => self.dns_section(&cx).await,
                Check::TcpLine => self.tcp_line(&cx),
                Check::Ipv6Brackets => self.ipv6_brackets(&cx),
                Check::Status => self.status(&cx),
                Check::BodyPreview => self.body_preview("main", &cx),
                Check::StatusCodes => self.status_codes(cx).await,
                Check::DefaultPort => self.default_port(cx).await,
                Check::Refused => self.refused(cx).await,
                Check::FallbackAddress => self.fallback_address(cx).await,
            }
        })
    }

    fn teardown(&mut self, _lang: Lang) -> BoxFuture<'_, Vec<String>> {
        for s in self.servers.drain(..) {
            s.abort();
        }
        self.dns = None;
        Box::pin(async { Vec::new() })
    }
}

/// A listener on `[::]:port` that also accepts IPv4 (Linux's default, `bindv6only=0`, holds
/// in a new namespace). Hermetic mode only: inside the grader's namespace the only addresses
/// are loopback ones, so "all addresses" reaches nothing outside.
fn bind_dual_stack(port: u16) -> std::io::Result<TcpListener> {
    let s = tokio::net::TcpSocket::new_v6()?;
    s.set_reuseaddr(true)?;
    s.bind(SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port))?;
    s.listen(128)
}

fn ran_cleanly(r: &ClientRun, cx: &CheckCx<'_>) -> Verdict {
    let url = format!("http://{}:{}{}", r.host, r.port, r.path);
    super::ran_cleanly(&r.f, &format!("client.py {url}"), RUN_LIMIT, cx.lang)
}
