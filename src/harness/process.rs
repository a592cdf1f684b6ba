//! One supervised student process.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::process::Child;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::{Capture, Limits, platform};

/// What to start.
#[derive(Clone, Debug)]
pub struct Spec {
    pub program: OsString,
    pub args: Vec<OsString>,
    pub cwd: PathBuf,
    /// The whole environment of the process: nothing of the grader's is inherited. Student
    /// programs get theirs from `submission::environment`.
    pub env: Vec<(String, OsString)>,
    pub limits: Limits,
    /// Whether the grader writes the program's standard input (a chat client reads the lines
    /// it sends): a pipe, left open until [`Supervised::close_stdin`]. Otherwise stdin is
    /// closed from the start, so a program that reads it sees end of file at once instead of
    /// waiting for a keyboard that is not there.
    pub stdin: bool,
}

impl Spec {
    /// The same, with standard input a pipe the grader writes.
    pub fn with_stdin(self) -> Spec {
        Spec {
            stdin: true,
            ..self
        }
    }

    /// The command line as a student would type it, for messages.
    pub fn display(&self) -> String {
        std::iter::once(&self.program)
            .chain(&self.args)
            .map(|a| {
                let s = a.to_string_lossy();
                if s.contains(' ') {
                    format!("\"{s}\"")
                } else {
                    s.into_owned()
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
}

impl Exit {
    fn from_status(s: ExitStatus) -> Exit {
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            if let Some(sig) = s.signal() {
                return Exit::Signal(sig);
            }
        }
        Exit::Code(s.code().unwrap_or(-1))
    }
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exit::Code(c) => write!(f, "exit status {c}"),
            Exit::Signal(s) => write!(f, "signal {s}{}", signal_name(*s)),
        }
    }
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        6 => " (SIGABRT)",
        9 => " (SIGKILL)",
        11 => " (SIGSEGV)",
        15 => " (SIGTERM)",
        24 => " (SIGXCPU: CPU time limit)",
        25 => " (SIGXFSZ: file size limit)",
        _ => "",
    }
}

/// The result of waiting for a server to accept connections.
#[derive(Debug)]
pub enum Readiness {
    /// Accepting at `targets[index]`.
    Ready {
        index: usize,
    },
    /// The process ended before it accepted anything.
    Exited(Exit),
    TimedOut,
}

/// What teardown found.
#[derive(Debug, Default)]
pub struct Teardown {
    /// The process had already ended on its own before teardown began.
    pub exited_early: Option<Exit>,
    /// The process had to be killed with SIGKILL (it ignored SIGTERM or stopped itself).
    pub needed_kill: bool,
    /// Orphans (daemonized descendants) the sweep killed.
    pub orphans_killed: usize,
}

pub struct Supervised {
    child: Child,
    pid: u32,
    pub stdout: Capture,
    pub stderr: Capture,
    readers: Vec<JoinHandle<()>>,
    stdin: Option<tokio::process::ChildStdin>,
    exit: Option<Exit>,
    torn_down: bool,
    containment: platform::Containment,
}

impl Supervised {
    /// Starts `spec` in its own process group, stdin closed (or a pipe, see [`Spec::stdin`]),
    /// output captured, with exactly the environment `spec.env` (the grader's own is cleared
    /// first).
    pub fn spawn(spec: &Spec) -> std::io::Result<Supervised> {
        let mut cmd = tokio::process::Command::new(&spec.program);
        cmd.args(&spec.args)
            .current_dir(&spec.cwd)
            .stdin(if spec.stdin {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .env_clear()
            .envs(spec.env.iter().map(|(k, v)| (k, v)));
        let containment = platform::configure(&mut cmd, spec.limits);
        let mut child = platform::spawn_registered(|| cmd.spawn())?;
        platform::attach(&containment, &child);
        let pid = child.id().unwrap_or(0);
        let stdin = child.stdin.take();
        let (stdout, t1) = Capture::drain(child.stdout.take().expect("stdout is piped"));
        let (stderr, t2) = Capture::drain(child.stderr.take().expect("stderr is piped"));
        Ok(Supervised {
            child,
            pid,
            stdout,
            stderr,
            readers: vec![t1, t2],
            stdin,
            exit: None,
            torn_down: false,
            containment,
        })
    }

    /// Waits until `pred(stdout, stderr)` holds (a program may print what a check looks for
    /// on either), both streams have ended, or `deadline`. One stream ending (a program that
    /// closed its stdout) does not end the wait on the other.
    pub async fn wait_for_output(&self, deadline: Instant, pred: impl Fn(&[u8], &[u8]) -> bool) {
        let (out, err) = (&self.stdout, &self.stderr);
        let on_out = out.wait_for(deadline, |o| pred(o, &err.searchable()));
        let on_err = err.wait_for(deadline, |e| pred(&out.searchable(), e));
        tokio::pin!(on_out, on_err);
        let (mut out_ended, mut err_ended) = (false, false);
        loop {
            tokio::select! {
                held = &mut on_out, if !out_ended => if held { return } else { out_ended = true },
                held = &mut on_err, if !err_ended => if held { return } else { err_ended = true },
                else => return,
            }
        }
    }

    /// Writes `bytes` to the program's standard input, until `deadline`: a program that never
    /// reads lets the pipe fill, and the grader must not wait on it for ever. An error when
    /// stdin is not a pipe, was closed, or the program is gone (its end of the pipe closed).
    pub async fn send_stdin(&mut self, bytes: &[u8], deadline: Instant) -> std::io::Result<()> {
        use tokio::io::AsyncWriteExt;
        let pipe = self.stdin.as_mut().ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "stdin is not open")
        })?;
        let write = async {
            pipe.write_all(bytes).await?;
            pipe.flush().await
        };
        match tokio::time::timeout_at(deadline, write).await {
            Ok(r) => r,
            Err(_) => Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the program did not read its input in time",
            )),
        }
    }

    /// Closes the program's standard input: it reads end of file (a chat client's user left).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Whether the process-count limit refused one of its forks.
    pub fn pids_limit_hit(&self) -> bool {
        self.containment.pids_limit_hit()
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The exit, if the process has ended.
    pub fn try_exit(&mut self) -> Option<Exit> {
        if self.exit.is_none()
            && let Ok(Some(s)) = self.child.try_wait()
        {
            self.exit = Some(Exit::from_status(s));
        }
        self.exit
    }

    /// Waits for the process to end, until `deadline`.
    pub async fn wait_exit(&mut self, deadline: Instant) -> Option<Exit> {
        if self.exit.is_none()
            && let Ok(Ok(s)) = tokio::time::timeout_at(deadline, self.child.wait()).await
        {
            self.exit = Some(Exit::from_status(s));
        }
        self.exit
    }

    /// Waits for the process to end by itself until `deadline`, tears it down either way (its
    /// whole process tree), and returns what it printed.
    pub async fn finish(&mut self, deadline: Instant) -> Finished {
        let exit = self.wait_exit(deadline).await;
        self.shutdown(Duration::from_millis(200)).await;
        self.finished(exit)
    }

    /// Polls `targets` with short, growing pauses until one is ready under `probe` (accepts a
    /// connection, or answers a datagram), the process exits, or `deadline` passes. The first
    /// target that is ready wins.
    pub async fn wait_ready(
        &mut self,
        targets: &[SocketAddr],
        probe: &super::ports::Probe,
        deadline: Instant,
    ) -> Readiness {
        let mut pause = Duration::from_millis(2);
        // A datagram needs time for an answer; a connect is refused at once when closed.
        let per_try = match probe {
            super::ports::Probe::Tcp => Duration::from_millis(250),
            super::ports::Probe::Udp(_) => Duration::from_millis(50),
        };
        loop {
            for (index, addr) in targets.iter().enumerate() {
                let left = deadline.saturating_duration_since(Instant::now());
                if super::ports::ready(*addr, probe, left.min(per_try)).await {
                    return Readiness::Ready { index };
                }
            }
            if let Some(e) = self.try_exit() {
                return self.last_look(targets, probe, e).await;
            }
            let now = Instant::now();
            if now >= deadline {
                return Readiness::TimedOut;
            }
            // Sleep on the child's exit too, so a crash is reported at once.
            let until = (now + pause).min(deadline);
            if let Ok(Ok(s)) = tokio::time::timeout_at(until, self.child.wait()).await {
                let e = Exit::from_status(s);
                self.exit = Some(e);
                return self.last_look(targets, probe, e).await;
            }
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    /// The process exited: one last look at the targets, in case it handed its socket to a
    /// child and left (a daemonizing server), however fast that happened.
    async fn last_look(
        &self,
        targets: &[SocketAddr],
        probe: &super::ports::Probe,
        exit: Exit,
    ) -> Readiness {
        for (index, addr) in targets.iter().enumerate() {
            if super::ports::ready(*addr, probe, Duration::from_millis(50)).await {
                return Readiness::Ready { index };
            }
        }
        Readiness::Exited(exit)
    }

    /// The last `lines` lines of each stream, escaped for display.
    pub fn output(&self, lines: usize) -> OutputTail {
        OutputTail {
            stdout: crate::text::clip(
                &crate::text::tail_lines(&self.stdout.tail(), lines),
                300,
                lines,
            ),
            stderr: crate::text::clip(
                &crate::text::tail_lines(&self.stderr.tail(), lines),
                300,
                lines,
            ),
            dropped_bytes: self.stdout.dropped() + self.stderr.dropped(),
        }
    }

    /// What it printed, with how it ended (`exit`; `None`: stopped while still running). Read
    /// once it was shut down, so nothing more comes.
    pub fn finished(&self, exit: Option<Exit>) -> Finished {
        Finished {
            exit,
            stdout: String::from_utf8_lossy(&self.stdout.searchable()).into_owned(),
            stderr: String::from_utf8_lossy(&self.stderr.searchable()).into_owned(),
            output: self.output(15),
        }
    }

    /// Stops the process and everything it started: SIGCONT + SIGTERM to the group, `grace` to
    /// exit, SIGKILL to the group, then a sweep for orphans that left the group. Idempotent.
    pub async fn shutdown(&mut self, grace: Duration) -> Teardown {
        let mut t = Teardown::default();
        if self.torn_down {
            return t;
        }
        self.torn_down = true;
        t.exited_early = self.try_exit();
        // Snapshot the tree while parents still link it to the leader.
        let tree = platform::descendants(self.pid);
        if t.exited_early.is_none() {
            platform::terminate_group(self.pid);
            let exited = self.wait_exit(Instant::now() + grace).await.is_some();
            t.needed_kill = !exited;
        }
        // Always: members of the group may outlive the leader, and descendants may have left
        // the group (its background processes, counted whoever reaps them: in a PID namespace
        // its init may, before any sweep here sees them).
        let background = platform::left_group(&tree, self.pid);
        platform::kill_group(self.pid);
        platform::kill_pids(&tree);
        if self.exit.is_none() {
            let _ = self.child.start_kill();
            self.wait_exit(Instant::now() + Duration::from_secs(5))
                .await;
        }
        platform::unregister(self.pid);
        // Orphans first: those reparented to us (subreaper) or to the grading's init (PID
        // namespace, which reaps them itself), counted before the cgroup's kill takes them.
        // Whatever is left in the cgroup left the group too; killing it makes it an orphan of
        // ours or of the init, which the second sweep reaps and counts.
        let mut killed = background;
        killed.extend(platform::sweep_orphans());
        self.containment.kill_all();
        killed.extend(platform::sweep_orphans());
        killed.sort_unstable();
        killed.dedup();
        t.orphans_killed = killed.len();
        // The pipes close once every holder is dead; a reader still waiting after that is
        // stuck on a holder the grader could not see, and is abandoned rather than awaited.
        let deadline = Instant::now() + Duration::from_millis(500);
        for r in &mut self.readers {
            if tokio::time::timeout_at(deadline, &mut *r).await.is_err() {
                r.abort();
            }
        }
        t
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        // Last resort on paths that skipped shutdown (a panic, a cancelled future).
        if !self.torn_down {
            platform::kill_group(self.pid);
            platform::unregister(self.pid);
        }
    }
}

/// A program run to its end (or stopped at its deadline), for labs whose programs are
/// one-shot commands rather than servers.
#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn alive(pid: i32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
            s.rsplit(')')
                .next()
                .is_some_and(|r| !r.trim_start().starts_with('Z'))
        })
    }

    /// Without a subreaper (as in this test process), a descendant that left the process group
    /// is still killed: the tree is snapshotted before teardown.
    /// The grader writes a line, the program answers it; closing stdin is end of file; a
    /// program that never reads cannot hold the grader past its deadline.
    #[cfg(unix)]
    #[tokio::test]
    async fn stdin_is_written_line_by_line_and_closed() {
        let spec = Spec {
            program: "sh".into(),
            args: vec![
                "-c".into(),
                "while read l; do echo \"got $l\"; done; echo eof".into(),
            ],
            cwd: std::env::temp_dir(),
            env: vec![],
            limits: Limits::default(),
            stdin: false,
        }
        .with_stdin();
        let mut p = Supervised::spawn(&spec).unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        p.send_stdin(b"one\n", deadline).await.unwrap();
        assert!(
            p.stdout
                .wait_for(deadline, |b| b.ends_with(b"got one\n"))
                .await
        );
        p.close_stdin();
        assert!(p.stdout.wait_for(deadline, |b| b.ends_with(b"eof\n")).await);
        assert!(p.send_stdin(b"late\n", deadline).await.is_err());
        p.shutdown(Duration::from_millis(200)).await;

        let mut deaf = Supervised::spawn(&Spec {
            args: vec!["-c".into(), "sleep 30".into()],
            ..spec
        })
        .unwrap();
        let big = vec![b'x'; 1 << 20];
        let soon = Instant::now() + Duration::from_millis(200);
        let err = deaf.send_stdin(&big, soon).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
        deaf.shutdown(Duration::from_millis(200)).await;
    }

    #[tokio::test]
    async fn teardown_kills_descendants_that_left_the_group() {
        let spec = Spec {
            program: "sh".into(),
            args: vec!["-c".into(), "setsid sleep 300 & echo $!; wait".into()],
            cwd: std::env::temp_dir(),
            env: vec![],
            limits: Limits::default(),
            stdin: false,
        };
        let mut p = Supervised::spawn(&spec).unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        assert!(p.stdout.wait_for(deadline, |b| b.ends_with(b"\n")).await);
        let pid: i32 = String::from_utf8_lossy(&p.stdout.head())
            .trim()
            .parse()
            .unwrap();
        assert!(alive(pid));
        // The snapshot finds it although it is in another session (the cgroup, where the
        // grader runs as root, would also catch it; the snapshot is what macOS relies on).
        assert!(platform::descendants(p.pid()).contains(&pid));
        p.shutdown(Duration::from_millis(100)).await;
        let gone = Instant::now() + Duration::from_secs(5);
        while alive(pid) && Instant::now() < gone {
            tokio::task::yield_now().await;
        }
        assert!(
            !alive(pid),
            "the setsid'd grandchild {pid} survived teardown"
        );
    }
}

/// The tail of what a program printed, escaped and clipped for display; the checks put it
/// under a failure (`report::StudentOutput`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OutputTail {
    pub stdout: String,
    pub stderr: String,
    /// Bytes dropped because the output went over its cap.
    pub dropped_bytes: u64,
}

#[derive(Debug)]
pub struct Finished {
    /// `None` when the program was still running at the deadline and was stopped.
    pub exit: Option<Exit>,
    pub stdout: String,
    pub stderr: String,
    pub output: OutputTail,
}

impl Finished {
    pub fn timed_out(&self) -> bool {
        self.exit.is_none()
    }

    pub fn has_traceback(&self) -> bool {
        self.stderr.contains(TRACEBACK) || self.stdout.contains(TRACEBACK)
    }

    /// The exception a traceback ended with (`ConnectionRefusedError: [Errno 111] ...`),
    /// escaped and clipped: what a student most needs to read first.
    pub fn exception(&self) -> Option<String> {
        let text = [&self.stderr, &self.stdout]
            .into_iter()
            .find(|t| t.contains(TRACEBACK))?;
        let after = &text[text.rfind(TRACEBACK)?..];
        let line = after
            .lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty() && !l.starts_with(' '))
            .last()?;
        Some(crate::text::clip_default(&crate::text::escape_student(
            line.trim().as_bytes(),
        )))
    }
}

const TRACEBACK: &str = "Traceback (most recent call last)";

/// Starts `spec`, waits for it to end until `deadline`, tears it down either way (its whole
/// process tree), and returns what it printed.
pub async fn run_to_end(spec: &Spec, deadline: Instant) -> std::io::Result<Finished> {
    Ok(Supervised::spawn(spec)?.finish(deadline).await)
}
