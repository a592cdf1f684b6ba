//! `grade` re-executing itself to grade one lab, for the student's loop ([`crate::overview`],
//! [`crate::watch`]).
//!
//! Why a child per grading: hermetic mode enters namespaces in `main` while the process still
//! has a single thread, so a process can grade only one lab, and each grading gets fresh
//! namespaces. The child also owns the teardown of the student's processes, so stopping it
//! politely (SIGTERM, then waiting) is what leaves nothing behind.

use std::ffi::OsString;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Child;

use crate::lab::LabInfo;
use crate::report::exit;
use crate::report::outcome::{Outcome, Summary, Why};

/// How long a child may take to tear down the submission after SIGTERM (its own teardown is
/// bounded by a few seconds) before it is killed.
pub const STOP_GRACE: Duration = Duration::from_secs(20);

/// A whole grading must end by then, whatever happens: the longest lab budget is about 30 s
/// plus teardown, so this only catches a grader that hangs.
pub const RUN_DEADLINE: Duration = Duration::from_secs(300);

/// Asks a child `grade` to stop (SIGTERM: it tears down the student's processes and exits
/// 130), waits up to `grace`, then kills it. Returns its status when it could be collected.
pub async fn stop(child: &mut Child, grace: Duration) -> Option<ExitStatus> {
    #[cfg(unix)]
    {
        if let Some(pid) = child
            .id()
            .and_then(|p| rustix::process::Pid::from_raw(p as i32))
        {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
        if let Ok(status) = tokio::time::timeout(grace, child.wait()).await {
            return status.ok();
        }
    }
    // Windows has no SIGTERM; elsewhere the child did not stop in time. Killing it may leave
    // the student's processes behind, but waiting forever is worse.
    let _ = grace;
    let _ = child.start_kill();
    tokio::time::timeout(grace, child.wait())
        .await
        .ok()
        .and_then(Result::ok)
}

/// Whether a child `grade` ended because it was interrupted: it exited 130, or a signal that
/// means "stop" (SIGINT, SIGTERM) ended it before its handler was in place.
pub fn was_interrupted(status: &ExitStatus) -> bool {
    if status.code() == Some(exit::INTERRUPTED) {
        return true;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        matches!(status.signal(), Some(s) if s == libc::SIGINT || s == libc::SIGTERM)
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// A JSON report is a few KiB; more than this is not a report.
pub const STDOUT_CAP: usize = 8 << 20;
/// Enough for any message `grade` writes; the tail is what is kept.
pub const STDERR_CAP: usize = 64 << 10;
/// After a child exits, how long its pipes may take to reach end of file (a process it left
/// behind could hold them open; never wait for that without a deadline).
const PIPE_DRAIN: Duration = Duration::from_secs(2);

/// Runs `exe args` (a `grade labNN --format json ...`) with `envs` added, until it ends,
/// [`RUN_DEADLINE`] passes, or `interrupted` resolves (then it is stopped politely and `None` comes
/// back). Returns how the grading went and the report's bytes as the child printed them.
pub async fn child_grading(
    exe: &Path,
    args: &[OsString],
    envs: &[(OsString, OsString)],
    lab: &LabInfo,
    interrupted: impl std::future::Future<Output = ()>,
) -> Option<(Outcome, Vec<u8>)> {
    let mut cmd = tokio::process::Command::new(exe);
    cmd.args(args)
        .envs(envs.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            let why = Why::Spawn(format!("{}: {e}", exe.display()));
            return Some((
                Outcome::GraderError {
                    why,
                    stderr: String::new(),
                },
                Vec::new(),
            ));
        }
    };
    let stdout = tokio::spawn(read_capped(child.stdout.take(), STDOUT_CAP));
    let stderr = tokio::spawn(read_capped(child.stderr.take(), STDERR_CAP));
    let status = tokio::select! {
        biased;
        () = interrupted => {
            stop(&mut child, STOP_GRACE).await;
            return None;
        }
        status = child.wait() => status,
        () = tokio::time::sleep(RUN_DEADLINE) => {
            stop(&mut child, STOP_GRACE).await;
            let why = Why::Deadline(RUN_DEADLINE.as_secs());
            return Some((Outcome::GraderError { why, stderr: String::new() }, Vec::new()));
        }
    };
    let (stdout, stderr) = (drain(stdout).await, drain(stderr).await);
    let stderr_text = String::from_utf8_lossy(&stderr.0).into_owned();
    let status = match status {
        Ok(s) => s,
        Err(e) => {
            let why = Why::Wait(e.to_string());
            return Some((
                Outcome::GraderError {
                    why,
                    stderr: stderr_text,
                },
                Vec::new(),
            ));
        }
    };
    // On a terminal, Ctrl+C reaches the child too, and it may be seen ending before the
    // signal is seen here.
    if was_interrupted(&status) {
        return None;
    }
    let outcome = outcome(lab, status.code(), &stdout, stderr_text);
    Some((outcome, stdout.0))
}

/// Reads a pipe to its end, keeping the first `cap` bytes; the rest is read and dropped so
/// that the child never blocks on a full pipe. Returns the bytes and whether any were dropped.
async fn read_capped(pipe: Option<impl AsyncRead + Unpin>, cap: usize) -> (Vec<u8>, bool) {
    let (mut kept, mut dropped) = (Vec::new(), false);
    let Some(mut pipe) = pipe else {
        return (kept, dropped);
    };
    let mut buf = vec![0u8; 64 << 10];
    loop {
        match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => return (kept, dropped),
            Ok(n) => {
                let room = cap.saturating_sub(kept.len()).min(n);
                kept.extend_from_slice(&buf[..room]);
                dropped |= room < n;
            }
        }
    }
}

/// The result of a reader task, or what it had not finished reading after [`PIPE_DRAIN`]
/// (counted as dropped output).
async fn drain(task: tokio::task::JoinHandle<(Vec<u8>, bool)>) -> (Vec<u8>, bool) {
    let abort = task.abort_handle();
    match tokio::time::timeout(PIPE_DRAIN, task).await {
        Ok(Ok(r)) => r,
        _ => {
            abort.abort();
            (Vec::new(), true)
        }
    }
}

#[derive(Deserialize)]
struct JsonReport {
    lab: String,
    passed: bool,
    score: f64,
    max_score: f64,
    checks: Vec<JsonCheck>,
}

/// `status` stays a string: a status added later (such as a warning) must not make the
/// overview fail to read a report; only `failed` and `error` matter here.
#[derive(Deserialize)]
struct JsonCheck {
    id: String,
    status: String,
}

/// Classifies a finished child from its exit code and captured stdout.
fn outcome(lab: &LabInfo, code: Option<i32>, stdout: &(Vec<u8>, bool), stderr: String) -> Outcome {
    let grader_error = |why: Why| Outcome::GraderError {
        why,
        stderr: stderr.clone(),
    };
    match code {
        Some(exit::USAGE) => return Outcome::Setup { stderr },
        Some(exit::PASSED | exit::FAILED | exit::GRADER) => {}
        Some(other) => return grader_error(Why::ExitCode(other)),
        None => return grader_error(Why::Signal),
    }
    let (bytes, dropped) = stdout;
    if *dropped {
        return grader_error(Why::TooLarge);
    }
    let report: JsonReport = match serde_json::from_slice(bytes) {
        Ok(r) => r,
        // Exit 3 with no report: the grader failed before it could grade (a broken built-in
        // definition, no async runtime).
        Err(e) => {
            return grader_error(Why::NoReport(code.unwrap_or_default(), e.to_string()));
        }
    };
    if report.lab != lab.key {
        return grader_error(Why::WrongLab(report.lab));
    }
    let ids = |status: &str| -> Vec<String> {
        report
            .checks
            .iter()
            .filter(|c| c.status == status)
            .map(|c| c.id.clone())
            .collect()
    };
    let mut summary = Summary {
        passed: report.passed,
        score: report.score,
        max_score: report.max_score,
        failed: ids("failed"),
        errors: ids("error"),
        warnings: ids("warning"),
    };
    // The exit code is the contract: a child that says "grader error" without naming a
    // check still makes this lab's result a grader error.
    if code == Some(exit::GRADER) && summary.errors.is_empty() {
        return grader_error(Why::ErrorWithoutCheck);
    }
    if code == Some(exit::FAILED) {
        summary.passed = false;
    }
    Outcome::Graded(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::LabId;
    use crate::report::outcome::LabResult;

    fn lab01() -> &'static LabInfo {
        LabId::Lab01.info()
    }

    fn json(passed: bool, checks: &[(&str, &str)]) -> (Vec<u8>, bool) {
        let checks: Vec<_> = checks
            .iter()
            .map(|(id, s)| serde_json::json!({"id": id, "status": s, "title": "t"}))
            .collect();
        let v = serde_json::json!({"schema": 1, "lab": "lab01", "passed": passed,
            "score": 8.0, "max_score": 10.0, "checks": checks});
        (serde_json::to_vec(&v).unwrap(), false)
    }

    #[test]
    fn a_report_gives_failed_and_error_ids() {
        let out = json(
            false,
            &[
                ("starts", "passed"),
                ("body", "failed"),
                ("lan", "skipped"),
                ("client_ip", "error"),
                ("advice", "warning"),
            ],
        );
        let o = outcome(lab01(), Some(3), &out, String::new());
        let Outcome::Graded(s) = &o else {
            panic!("{o:?}")
        };
        assert_eq!(s.failed, ["body"]);
        assert_eq!(s.errors, ["client_ip"]);
        let r = LabResult {
            lab: lab01(),
            outcome: o,
        };
        assert_eq!(r.exit_code(), exit::GRADER);
    }

    #[test]
    fn exit_codes_without_a_report_are_classified() {
        let empty = (Vec::new(), false);
        let code = |c| {
            LabResult {
                lab: lab01(),
                outcome: outcome(lab01(), c, &empty, "grade: boom".into()),
            }
            .exit_code()
        };
        assert_eq!(code(Some(2)), exit::USAGE);
        assert_eq!(code(Some(3)), exit::GRADER);
        assert_eq!(code(Some(0)), exit::GRADER, "exit 0 but no report");
        assert_eq!(code(Some(101)), exit::GRADER, "a panic");
        assert_eq!(code(None), exit::GRADER);
        let truncated = (json(true, &[]).0, true);
        let o = outcome(lab01(), Some(0), &truncated, String::new());
        assert!(matches!(o, Outcome::GraderError { .. }), "{o:?}");
    }

    #[test]
    fn a_report_of_another_lab_is_a_grader_error() {
        let mut out = json(true, &[]);
        out.0 = String::from_utf8(out.0)
            .unwrap()
            .replace("lab01", "lab02")
            .into_bytes();
        let o = outcome(lab01(), Some(0), &out, String::new());
        assert!(matches!(o, Outcome::GraderError { .. }), "{o:?}");
    }
}
