//! One way to run a student's server, shared by every server lab: start it with `PORT`, wait
//! until it is ready (a TCP connect, or for UDP a probe datagram resent until answered), fall
//! back to the lab's default port for a program that ignores `PORT` (as the course handouts'
//! programs do), report that through the advisory `uses_port`, and stop it with notices.
//!
//! Ports: the grader cannot hand a student's program a bound socket, so it picks a port that
//! was free a moment ago from a range the kernel never hands out on its own. A program that
//! finds it taken (another grading took it in between) is started again once on a new port,
//! and a second collision is the grader's error, never the student's. In hermetic mode (a
//! private network namespace) nothing else can hold a port at all.

mod restart;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::time::Instant;

use super::{CheckCx, spawn_failure};
use crate::harness::ports::{self, Probe};
use crate::harness::{Limits, Readiness, Supervised};
use crate::i18n::Lang;
use crate::report::{Failure, Verdict};
use crate::submission::{Launch, SetupError};

/// Lines of student output shown under a failure.
const OUTPUT_LINES: usize = 15;

/// How a server that was running is no longer serving.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gone {
    /// Its main process ended.
    Exited(crate::harness::Exit),
    /// It still runs, but nothing listens on its port any more (for UDP: nothing is bound):
    /// a Python program whose main thread died (its `with socket.socket()` closed) while
    /// threads that are not daemon threads keep the process alive, or one that is still
    /// finalizing after it closed its sockets.
    NotListening,
}

/// A student's server, from `starts` to teardown.
pub struct StudentServer {
    /// How to start it; an error (its file is missing) fails `starts` with that message, so a
    /// lab's client checks are still graded.
    launch: Result<Launch, SetupError>,
    /// The lab's default port: a program that ignores `PORT` binds it.
    default_port: u16,
    probe: Probe,
    process: Option<Supervised>,
    /// The port given in `PORT`.
    given_port: u16,
    /// Times the server was started again because it had exited (or stopped listening)
    /// between checks.
    restarts: usize,
    /// The port the server really answers on (`given_port`, or the default one); 0 until ready.
    port: u16,
}

impl StudentServer {
    pub fn new(
        launch: Result<Launch, SetupError>,
        default_port: u16,
        probe: Probe,
    ) -> StudentServer {
        StudentServer {
            launch,
            default_port,
            probe,
            process: None,
            given_port: 0,
            port: 0,
            restarts: 0,
        }
    }

    /// The port the server answers on (0 before it started).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The ports that are the student's server's: the one given in `PORT` and the one it
    /// answers on (the lab's default, when it ignores `PORT`).
    pub fn ports(&self) -> Vec<u16> {
        let mut p: Vec<u16> = [self.given_port, self.port]
            .into_iter()
            .filter(|&p| p != 0)
            .collect();
        p.dedup();
        p
    }

    /// The running process, once started.
    pub fn process(&self) -> Option<&Supervised> {
        self.process.as_ref()
    }

    /// Waits up to `grace` for the server to exit (after a stimulus that may kill it, such as
    /// a client's reset); how it ended, if it did.
    pub async fn exits_within(&mut self, grace: Duration) -> Option<crate::harness::Exit> {
        let until = Instant::now() + grace;
        match self.process.as_mut() {
            Some(p) => p.wait_exit(until).await,
            None => None,
        }
    }

    /// How the server's main process ended, if it has (a server must keep running).
    pub fn exited(&mut self) -> Option<crate::harness::Exit> {
        self.process.as_mut().and_then(Supervised::try_exit)
    }

    /// Whether a server that was ready no longer serves: it exited, or (where the kernel's
    /// socket tables can be read, so nothing is sent to find out) nothing listens on its port.
    /// `None` before it was ready.
    pub fn gone(&mut self) -> Option<Gone> {
        if self.process.is_none() || self.port == 0 {
            return None;
        }
        if let Some(e) = self.exited() {
            return Some(Gone::Exited(e));
        }
        let listening = match self.probe {
            Probe::Tcp => ports::tcp_listening(self.port),
            // Linux asks the kernel; elsewhere a bind attempt tells, which sends nothing either.
            Probe::Udp(_) => Some(ports::udp_bound(self.port)),
        };
        (listening == Some(false)).then_some(Gone::NotListening)
    }

    /// Waits until what the server printed is complete enough to show, or `until`: both
    /// streams ended (it exited and nothing it started holds them), or its error output ends
    /// with a whole Python traceback (a thread may keep a crashed program running). A crash's
    /// traceback reaches the grader a moment after its sockets closed.
    pub async fn output_settled(&self, until: Instant) {
        if let Some(p) = &self.process {
            p.wait_for_output(until, |_, err| ends_with_traceback(err))
                .await;
        }
    }

    /// Starts the program with `PORT=port`, limited to what is left of the check's time.
    fn spawn(&self, port: u16, cx: &CheckCx<'_>) -> Result<Supervised, Verdict> {
        let launch = match &self.launch {
            Ok(l) => l,
            Err(missing) => return Err(Verdict::fail(missing.explain(cx.lang))),
        };
        let budget = cx.deadline.saturating_duration_since(Instant::now());
        let env = vec![("PORT".to_string(), port.to_string())];
        let spec = launch.spec(&[], env, Limits::for_budget(budget));
        Supervised::spawn(&spec).map_err(|e| spawn_failure(cx.lang, &spec, launch, &e))
    }

    /// Where the grader reaches the server: 127.0.0.1 and the port it answers on.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// Before check `id` of a lab's `specs`: when its code needs `starts`, the server is
    /// running (see [`StudentServer::ensure_running`]). Other checks (a lab's client checks)
    /// pass through.
    pub async fn before_check(
        &mut self,
        specs: &[super::spec::CheckSpec],
        id: &str,
        cx: &CheckCx<'_>,
    ) -> Result<(), Verdict> {
        let needs = specs
            .iter()
            .find(|c| c.id == id)
            .map_or(&[][..], |c| c.needs);
        if needs.contains(&"starts") {
            self.ensure_running(cx).await
        } else {
            Ok(())
        }
    }

    /// A failure that shows the tail of the server's output.
    pub fn failure(&self, message: impl Into<String>) -> Failure {
        let f = Failure::new(message);
        match &self.process {
            Some(p) => f.output(p.output(OUTPUT_LINES)),
            None => f,
        }
    }

    /// The `starts` check: the server runs and is ready within the check's time.
    pub async fn start(&mut self, cx: &CheckCx<'_>) -> Verdict {
        let started = Instant::now();
        let default = SocketAddr::from((Ipv4Addr::LOCALHOST, self.default_port));
        // Another program on the default port must not be mistaken for the student's server.
        let default_busy = ports::ready(default, &self.probe, Duration::from_millis(200)).await;
        // One retry: the port may be taken between choosing it and the student binding it.
        for attempt in 0..2 {
            let port = match ports::pick_free_port() {
                Ok(p) => p,
                Err(e) => return Verdict::Error(format!("no free port for the server: {e}")),
            };
            self.given_port = port;
            let mut process = match self.spawn(port, cx) {
                Ok(p) => p,
                Err(v) => return v,
            };
            let mut targets = vec![SocketAddr::from((Ipv4Addr::LOCALHOST, port))];
            if !default_busy {
                targets.push(default);
            }
            let ready = process
                .wait_ready(
                    &targets,
                    &self.probe,
                    cx.deadline - Duration::from_millis(100),
                )
                .await;
            self.process = Some(process);
            match ready {
                Readiness::Ready { index } => {
                    self.port = targets[index].port();
                    return Verdict::pass();
                }
                Readiness::Exited(exit) => {
                    let stderr = self.process.as_ref().map(|p| p.stderr.tail());
                    let stderr = stderr.unwrap_or_default();
                    if mentions_port_in_use(&stderr) {
                        if default_busy {
                            return Verdict::Error(format!(
                                "{} {}",
                                cx.t(
                                    "다른 프로그램이 이미 실습 기본 포트를 쓰고 있는데, 제출한 프로그램도 PORT 대신 그 포트에 bind하려고 합니다. 그 프로그램을 끄거나, PORT를 읽도록 고친 뒤 다시 실행하세요. 포트:",
                                    "another program already uses the lab's default port, and your program tries to bind it instead of PORT. Stop the other program, or read PORT, and run again. Port:",
                                ),
                                self.default_port
                            ));
                        }
                        if attempt == 0 {
                            self.stop(cx.lang).await;
                            continue;
                        }
                        return Verdict::Error(cx.t(
                            "채점기가 고른 포트가 두 번 모두 이미 사용 중이었습니다. 다시 실행하세요.",
                            "the port the grader chose was in use both times; run again.",
                        ));
                    }
                    let before = match self.probe {
                        Probe::Tcp => cx.t(
                            "프로그램이 연결을 받기 전에 종료되었습니다",
                            "your program exited before it accepted any connection",
                        ),
                        Probe::Udp(_) => cx.t(
                            "프로그램이 데이터그램에 답하기 전에 종료되었습니다",
                            "your program exited before it answered any datagram",
                        ),
                    };
                    let mut msg = format!("{before} ({exit})");
                    let pids_hit = self
                        .process
                        .as_ref()
                        .is_some_and(Supervised::pids_limit_hit);
                    if let Some(limit) =
                        crate::harness::limit_exceeded(exit, &stderr, pids_hit, cx.lang)
                    {
                        msg = format!("{msg}: {limit}");
                    }
                    return self.failure(msg).into();
                }
                Readiness::TimedOut => {
                    let limit = cx.deadline.saturating_duration_since(started);
                    let what = match self.probe {
                        Probe::Tcp => cx.t(
                            "프로그램은 실행 중이지만 제한 시간 안에 다음 포트에서 연결을 받지 않았습니다:",
                            "your program is running but did not accept connections in time on port",
                        ),
                        Probe::Udp(_) => cx.t(
                            "프로그램은 실행 중이지만 제한 시간 안에 다음 포트로 보낸 데이터그램에 답하지 않았습니다:",
                            "your program is running but did not answer a datagram in time on port",
                        ),
                    };
                    let msg = format!(
                        "{what} {port} ({}; {:.0} s)",
                        cx.t("PORT 환경 변수", "the PORT environment variable"),
                        limit.as_secs_f64()
                    );
                    return self.failure(msg).into();
                }
            }
        }
        unreachable!("the loop returns on its last attempt")
    }

    /// The advisory `uses_port` check: it listens on `PORT`, not on the lab's default port.
    pub fn uses_port(&self, cx: &CheckCx<'_>) -> Verdict {
        if self.port == self.given_port {
            return Verdict::pass();
        }
        Failure::new(format!(
            "{} {} ({})",
            cx.t(
                "PORT 환경 변수를 읽지 않고 실습 기본 포트에서 연결을 기다립니다:",
                "your program ignores PORT and listens on the lab's default port:"
            ),
            self.port,
            cx.t(
                "채점은 이 포트로 계속했습니다",
                "grading went on against that port"
            ),
        ))
        .expected(format!("PORT={}", self.given_port))
        .actual(format!("{}", self.port))
        .into()
    }

    /// Whether the server's port is held, found without spending a datagram.
    async fn port_held(&self) -> bool {
        match self.probe {
            Probe::Tcp => match ports::tcp_listening(self.port) {
                Some(listening) => listening,
                None => {
                    let addr = (Ipv4Addr::LOCALHOST, self.port).into();
                    ports::accepts(addr, Duration::from_millis(100)).await
                }
            },
            Probe::Udp(_) => ports::udp_bound(self.port),
        }
    }

    /// Waits until nothing holds the server's port any more, or `deadline`. Where the kernel's
    /// tables can be read, "held" means listening (or bound, for UDP): a closed connection
    /// lingering in TIME_WAIT is not a process left behind.
    async fn port_released(&self, deadline: Instant) -> bool {
        let tables = match self.probe {
            Probe::Tcp => ports::tcp_listening(self.port).is_some(),
            Probe::Udp(_) => cfg!(target_os = "linux"),
        };
        if !tables {
            return ports::wait_until_free(self.port, &self.probe, deadline).await;
        }
        let mut pause = Duration::from_millis(5);
        loop {
            if !self.port_held().await {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(pause.min(deadline - Instant::now())).await;
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    /// Stops the server and everything it started. Returns notices for the report.
    pub async fn stop(&mut self, lang: Lang) -> Vec<String> {
        let mut notices = Vec::new();
        if self.restarts > 0 {
            notices.push(format!(
                "{} {}",
                lang.pick(
                    "검사 사이에 서버가 종료되었거나 대기 소켓을 닫아서 채점기가 다시 시작했습니다. 횟수:",
                    "your server exited (or closed its listening socket) between checks and the grader started it again; times:"
                ),
                self.restarts
            ));
        }
        // Held by someone while the main process is gone: it left a server behind.
        let left_behind = self.exited().is_some() && self.port != 0 && self.port_held().await;
        let Some(mut process) = self.process.take() else {
            return notices;
        };
        let t = process.shutdown(Duration::from_millis(500)).await;
        if let (Some(exit), true) = (t.exited_early, left_behind) {
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
            && !self
                .port_released(Instant::now() + Duration::from_secs(2))
                .await
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

/// Whether `err` ends with a whole Python traceback: its header, then the exception's line
/// (the first line after it that is not indented) ended by a newline.
fn ends_with_traceback(err: &[u8]) -> bool {
    const HEADER: &[u8] = b"Traceback (most recent call last):";
    let Some(at) = err.windows(HEADER.len()).rposition(|w| w == HEADER) else {
        return false;
    };
    let rest = String::from_utf8_lossy(&err[at + HEADER.len()..]);
    let mut lines = rest.split_inclusive('\n').skip(1);
    lines.any(|l| l.ends_with('\n') && !l.starts_with([' ', '\t', '\n']))
}

/// Whether a program's error output says its port was taken.
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

#[cfg(test)]
mod tests {
    use super::ends_with_traceback;

    #[test]
    fn a_traceback_is_whole_once_its_exception_line_has_ended() {
        let head = "[BROKER] 시작\nTraceback (most recent call last):\n  File \"b.py\", line 9, in <module>\n    s.sendall(m)\n";
        assert!(!ends_with_traceback(head.as_bytes()));
        let cut = format!("{head}OSError: [Errno 9] Bad file");
        assert!(!ends_with_traceback(cut.as_bytes()));
        let whole = format!("{head}OSError: [Errno 9] Bad file descriptor\n");
        assert!(ends_with_traceback(whole.as_bytes()));
        // The last traceback counts: a thread's, printed after the main one, still coming.
        let more =
            format!("{whole}Exception in thread Thread-3:\nTraceback (most recent call last):\n");
        assert!(!ends_with_traceback(more.as_bytes()));
        assert!(!ends_with_traceback(b"no traceback here\n"));
    }
}
