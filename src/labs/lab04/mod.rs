//! lab04 udp_echo: two programs. The student's `udp_server.py` echoes every datagram to its
//! sender and keeps serving; the grader plays its clients, from several source ports. The
//! student's `udp_client.py HOST PORT MESSAGE` sends up to three times, a second apart; the
//! grader plays its server with a counterpart that answers, drops the first datagram, or never
//! answers, and counts what the client sent.

mod client;

use std::net::Ipv4Addr;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::time::Instant;

use super::server::StudentServer;
use super::{BoxFuture, CheckCx, DriverEnv, LabDriver};
use crate::harness::ports::Probe;
use crate::i18n::Lang;
use crate::lab::Role;
use crate::report::{Failure, Verdict};
use crate::rng::Rng;
use crate::submission::Programs;
use crate::text;
use crate::wire::lab04::DEFAULT_PORT;
use client::ClientSide;

checks! {
    enum Check {
        Starts = "starts",
        UsesPort = "uses_port" needs ["starts"],
        Echo = "echo" needs ["starts"],
        KeepsServing = "keeps_serving" needs ["starts"] hints ["exited"],
        ReplyAddress = "reply_address" needs ["starts"],
        MaxSize = "max_size" needs ["starts"] hints ["truncated"],
        Korean = "korean" needs ["starts"],
        BadBytes = "bad_bytes" needs ["starts"],
        ClientRuns = "client_runs",
        ClientReplyLine = "client_reply_line" needs ["client_runs"],
        ClientNoExtraSends = "client_no_extra_sends" needs ["client_runs"],
        ClientGivesUp = "client_gives_up" needs ["client_runs"] hints ["never_ends", "too_many"],
        ClientRetries = "client_retries" needs ["client_runs"] hints ["no_retry"],
    }
}

/// The checks, in the order of `graders/lab04/lab.toml`.
pub const CHECKS: &[super::spec::CheckSpec] = Check::SPECS;

/// The largest datagram the server must echo whole (the seed's `max_size`).
const MAX_SIZE: usize = 4096;
/// How long one datagram waits for its echo before it is sent once more.
const WAIT: Duration = Duration::from_millis(1500);

pub struct Lab04 {
    server: StudentServer,
    client: ClientSide,
}

impl Lab04 {
    pub fn new(programs: Programs, env: DriverEnv) -> Lab04 {
        let mut rng = Rng::named(env.seed, "lab04 probe");
        let probe = Probe::Udp(format!("probe-{}", rng.token(12)).into_bytes());
        let launch = programs.get(Role::Server).cloned().map_err(Clone::clone);
        let server = StudentServer::new(launch, DEFAULT_PORT, probe);
        let launch = programs.get(Role::Client).cloned().map_err(Clone::clone);
        let client = ClientSide::new(launch, env.seed);
        Lab04 { server, client }
    }

    /// Sends `payload` from `socket` and waits for the server's answer (sent once more if the
    /// first wait ends: a datagram may be lost, even if loopback rarely does).
    async fn exchange(
        &self,
        socket: &UdpSocket,
        payload: &[u8],
        cx: &CheckCx<'_>,
    ) -> Option<Vec<u8>> {
        let target = self.server.addr();
        let mut buf = vec![0u8; 65536];
        for _ in 0..2 {
            socket.send_to(payload, target).await.ok()?;
            let until = cx.deadline.min(Instant::now() + WAIT);
            // Datagrams from elsewhere are passed over, up to the deadline, which is looked at
            // before each one: a flood from another port cannot hold the check past it.
            while let Some(Ok((n, from))) =
                crate::flood::by(until, socket.recv_from(&mut buf)).await
            {
                if from == target {
                    return Some(buf[..n].to_vec());
                }
            }
        }
        None
    }

    /// One payload from a fresh socket: it must come back byte for byte. With `restart`, a
    /// server that was still on its way out after the previous check (it answers once, then
    /// exits) is started again and asked once more: serving on is `keeps_serving`'s lesson.
    async fn echo_of(&mut self, payload: Vec<u8>, restart: bool, cx: &CheckCx<'_>) -> Verdict {
        let socket = match fresh_socket().await {
            Ok(s) => s,
            Err(v) => return v,
        };
        let mut reply = self.exchange(&socket, &payload, cx).await;
        if reply.is_none() && restart {
            match self.server.restarted_if_gone(Duration::ZERO, cx).await {
                Ok(true) => reply = self.exchange(&socket, &payload, cx).await,
                Ok(false) => {}
                Err(v) => return v,
            }
        }
        match reply {
            Some(r) if r == payload => Verdict::pass(),
            Some(r) => {
                let mut f = Failure::new(format!(
                    "{} ({} / {} bytes)",
                    cx.t(
                        "돌아온 데이터가 보낸 것과 다릅니다",
                        "what came back differs from what was sent"
                    ),
                    r.len(),
                    payload.len()
                ))
                .compare(&shown(&payload), &shown(&r));
                // Cut short at a buffer size (recvfrom(1024)): only the large datagram shows it.
                if r.len() < payload.len() && payload.starts_with(&r) && payload.len() > 1024 {
                    f = f.hint("truncated");
                }
                f.into()
            }
            None => self.silence(&payload, cx),
        }
    }

    fn silence(&mut self, payload: &[u8], cx: &CheckCx<'_>) -> Verdict {
        let exited = self.server.exited();
        let mut msg = format!(
            "{} ({} bytes, {:.1} s x2)",
            cx.t(
                "보낸 데이터그램에 답이 없습니다",
                "the datagram got no answer"
            ),
            payload.len(),
            WAIT.as_secs_f64()
        );
        if let Some(e) = exited {
            msg = format!(
                "{msg}: {} ({e})",
                cx.t("서버 프로그램이 끝나 있습니다", "your server has exited")
            );
        }
        let failure = self.server.failure(msg);
        failure.expected(shown(payload)).into()
    }

    async fn keeps_serving(&mut self, cx: CheckCx<'_>) -> Verdict {
        let socket = match fresh_socket().await {
            Ok(s) => s,
            Err(v) => return v,
        };
        let token = cx.rng.token(8);
        for i in 1..=20 {
            let payload = format!("{i}-{token}").into_bytes();
            let mut reply = self.exchange(&socket, &payload, &cx).await;
            // Still on its way out after the previous check: count from a fresh process.
            if reply.is_none() && i == 1 {
                match self.server.restarted_if_gone(Duration::ZERO, &cx).await {
                    Ok(true) => reply = self.exchange(&socket, &payload, &cx).await,
                    Ok(false) => {}
                    Err(v) => return v,
                }
            }
            match reply {
                Some(r) if r == payload => continue,
                Some(r) => {
                    return Failure::new(format!(
                        "{} {i}",
                        cx.t(
                            "돌아온 데이터가 다른 데이터그램:",
                            "a wrong answer to datagram"
                        )
                    ))
                    .compare(&shown(&payload), &shown(&r))
                    .into();
                }
                None => {
                    let exited = self.server.exited();
                    let msg = format!(
                        "{}: {} / 20",
                        cx.t(
                            "연달아 보낸 데이터그램 20개 가운데 답을 받은 수",
                            "datagrams answered of 20 sent in a row"
                        ),
                        i - 1
                    );
                    let f = self.server.failure(msg);
                    return match exited {
                        Some(e) => f
                            .actual(format!("{}: {e}", cx.t("서버가 끝남", "the server ended")))
                            .hint("exited")
                            .into(),
                        None => f.into(),
                    };
                }
            }
        }
        Verdict::pass()
    }

    /// Three clients on three random loopback addresses (127.x.y.z) and ports, their
    /// datagrams interleaved: each gets its own back, so a reply to a fixed address or port
    /// is caught. (Where the OS routes only 127.0.0.1, the ports still differ.)
    async fn reply_address(&mut self, cx: CheckCx<'_>) -> Verdict {
        let mut sockets = Vec::new();
        for _ in 0..3 {
            let source = cx.rng.loopback_v4();
            let s = match UdpSocket::bind((source, 0)).await {
                Ok(s) => Ok(s),
                Err(_) => fresh_socket().await,
            };
            match s {
                Ok(s) => sockets.push(s),
                Err(v) => return v,
            }
        }
        let payloads: Vec<Vec<u8>> = (0..3)
            .map(|i| format!("client{i}-{}", cx.rng.token(8)).into_bytes())
            .collect();
        let target = self.server.addr();
        for (s, p) in sockets.iter().zip(&payloads) {
            let _ = s.send_to(p, target).await;
        }
        let mut buf = vec![0u8; 65536];
        for (i, (s, p)) in sockets.iter().zip(&payloads).enumerate() {
            let until = cx.deadline.min(Instant::now() + WAIT * 2);
            let got = match tokio::time::timeout_at(until, s.recv_from(&mut buf)).await {
                Ok(Ok((n, _))) => Some(buf[..n].to_vec()),
                _ => None,
            };
            if got.as_deref() != Some(p.as_slice()) {
                let from = s.local_addr().map(|a| a.to_string()).unwrap_or_default();
                return Failure::new(format!(
                    "{} {} ({from})",
                    cx.t(
                        "세 클라이언트가 번갈아 보냈는데, 이 클라이언트가 자기 데이터를 돌려받지 못했습니다:",
                        "three clients sent in turn, and this one did not get its own data back:"
                    ),
                    i + 1
                ))
                .expected(shown(p))
                .actual(got.map(|g| shown(&g)).unwrap_or_else(|| cx.t("(답 없음)", "(no answer)")))
                .into();
            }
        }
        Verdict::pass()
    }
}

impl LabDriver for Lab04 {
    fn run_check<'a>(&'a mut self, id: &'a str, cx: CheckCx<'a>) -> BoxFuture<'a, Verdict> {
        Box::pin(async move {
            let Some(check) = Check::parse(id) else {
                return Verdict::Error(format!("lab04 has no check `{id}`"));
            };
            // Every server check gets a running server, started again if it exited.
            if let Err(v) = self.server.before_check(CHECKS, id, &cx).await {
                return v;
            }
            match check {
                Check::Starts => self.server.start(&cx).await,
                Check::UsesPort => self.server.uses_port(&cx),
                Check::Echo => {
                    let p = format!("echo-{}", cx.rng.token(16)).into_bytes();
                    self.echo_of(p, true, &cx).await
                }
                Check::KeepsServing => self.keeps_serving(cx).await,
                Check::ReplyAddress => self.reply_address(cx).await,
                Check::MaxSize => {
                    let unit = cx.rng.token(16);
                    let p: Vec<u8> = unit.bytes().cycle().take(MAX_SIZE).collect();
                    self.echo_of(p, true, &cx).await
                }
                Check::Korean => {
                    let p = format!("안녕하세요, UDP 에코 {} 확인", cx.rng.token(6)).into_bytes();
                    self.echo_of(p, true, &cx).await
                }
                Check::BadBytes => {
                    let socket = match fresh_socket().await {
                        Ok(s) => s,
                        Err(v) => return v,
                    };
                    // Not UTF-8: a lone continuation byte, an overlong form, 0xff.
                    let _ = socket
                        .send_to(b"\x80\xc0\xafbad\xff", self.server.addr())
                        .await;
                    let p = format!("after-bad-bytes-{}", cx.rng.token(8)).into_bytes();
                    // No restart: dying on the bad datagram is what this check catches.
                    self.echo_of(p, false, &cx).await
                }
                Check::ClientRuns => self.client.runs(&cx).await,
                Check::ClientReplyLine => self.client.reply_line(&cx),
                Check::ClientRetries => self.client.retries(&cx).await,
                Check::ClientNoExtraSends => self.client.no_extra_sends(&cx),
                Check::ClientGivesUp => self.client.gives_up(&cx).await,
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

async fn fresh_socket() -> Result<UdpSocket, Verdict> {
    UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .map_err(|e| Verdict::Error(format!("the grader could not open a UDP socket: {e}")))
}

/// Bytes as a student reads them: text where it is UTF-8, escaped where not, clipped.
fn shown(bytes: &[u8]) -> String {
    text::escape_student(bytes)
}
