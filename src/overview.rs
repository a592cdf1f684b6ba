//! `grade` with no lab: grade every lab found in the submission, one after another, each in a
//! child `grade labNN --format json` (see [`crate::subgrade`] for why a child), and collect one
//! summary per lab. Nothing here prints: [`crate::report::overview`] renders the results.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::cli::exit;
use crate::interrupt::Interrupt;
use crate::lab::{LabId, LabInfo};
use crate::labs;
use crate::subgrade::{self, RUN_DEADLINE, STOP_GRACE};

/// A JSON report is a few KiB; more than this is not a report.
pub const STDOUT_CAP: usize = 8 << 20;
/// Enough for any message `grade` writes; the tail is what is kept.
pub const STDERR_CAP: usize = 64 << 10;
/// After a child exits, how long its pipes may take to reach end of file (a process it left
/// behind could hold them open; never wait for that without a deadline).
const PIPE_DRAIN: Duration = Duration::from_secs(2);

/// The labs that can be graded here: implemented, and with one of their files in the submission
/// or a `[labNN]` table in its `grade.toml`. In catalogue order.
pub fn find_labs(root: &Path) -> Vec<&'static LabInfo> {
    let toml_tables = grade_toml_tables(root);
    LabId::all()
        .filter(|info| labs::is_implemented(info.id))
        .filter(|info| {
            info.programs.iter().any(|p| root.join(p.file).is_file())
                || toml_tables.contains(&info.key)
        })
        .collect()
}

/// What [`find_labs`] looks for, relative to the submission root, for the message when it
/// finds nothing.
pub fn looked_for() -> Vec<String> {
    LabId::all()
        .filter(|info| labs::is_implemented(info.id))
        .flat_map(|info| info.programs.iter().map(|p| p.file.to_string()))
        .chain(["grade.toml".to_string()])
        .collect()
}

/// The `[labNN]` tables of `grade.toml`. An unreadable or invalid file counts as none here:
/// the lab's own grading reports it (exit 2, naming the file) when its main file exists.
fn grade_toml_tables(root: &Path) -> Vec<&'static str> {
    let Ok(text) = std::fs::read_to_string(root.join("grade.toml")) else {
        return Vec::new();
    };
    let Ok(table) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    LabId::all()
        .map(|info| info.key)
        .filter(|key| table.get(*key).is_some_and(toml::Value::is_table))
        .collect()
}

/// What to run.
#[derive(Clone, Debug)]
pub struct Plan {
    /// This binary.
    pub exe: PathBuf,
    /// The submission root, as given to every child.
    pub submission: PathBuf,
    pub labs: Vec<&'static LabInfo>,
    /// Options given to every child after `labNN --format json --submission DIR`
    /// (`--lang ko`, `--python PATH`, `--hermetic off`, ...).
    pub forward: Vec<OsString>,
}

/// One lab's grading as seen from outside.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The child wrote its report (exit 0, 1, or 3 when a check ended in error).
    Graded(Summary),
    /// The child exited 2: a setup problem the student can fix (no Python, a bad
    /// `grade.toml`); its message is in `stderr`.
    Setup { stderr: String },
    /// The grading itself failed: exit 3 without a report, output that is not a report, a
    /// child killed by a signal or stopped at the deadline, or a child that could not start.
    GraderError { why: Why, stderr: String },
}

/// Why a lab's grading failed as a whole (rendered in the student's language).
#[derive(Clone, Debug, PartialEq)]
pub enum Why {
    /// This binary could not be started again (the error's text).
    Spawn(String),
    /// The child did not end within [`RUN_DEADLINE`] (seconds) and was stopped.
    Deadline(u64),
    /// Waiting for the child failed (the error's text).
    Wait(String),
    /// An exit code `grade` never uses (a panic is 101).
    ExitCode(i32),
    /// Killed by a signal other than an interruption.
    Signal,
    /// More output than a report can be.
    TooLarge,
    /// Exited with this code, without a readable report (the parser's message).
    NoReport(i32, String),
    /// Exited 3 (a check ended in error) with a report that names no such check.
    ErrorWithoutCheck,
    /// A report of another lab (its key).
    WrongLab(String),
}

/// What the overview needs from a lab's JSON report.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub passed: bool,
    pub score: f64,
    pub max_score: f64,
    /// Ids of the checks that failed, in report order.
    pub failed: Vec<String>,
    /// Ids of the checks that ended in error (the grader's fault).
    pub errors: Vec<String>,
    /// Ids of the advisory checks that warned.
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct LabResult {
    pub lab: &'static LabInfo,
    pub outcome: Outcome,
}

impl LabResult {
    /// This lab's share of the exit code: 0 passed, 1 a check failed, 2 setup, 3 grader error.
    pub fn exit_code(&self) -> i32 {
        match &self.outcome {
            Outcome::Graded(s) if !s.errors.is_empty() => exit::GRADER,
            Outcome::Graded(s) if !s.passed || !s.failed.is_empty() => exit::FAILED,
            Outcome::Graded(_) => exit::PASSED,
            Outcome::Setup { .. } => exit::USAGE,
            Outcome::GraderError { .. } => exit::GRADER,
        }
    }
}

/// Where the run is, for a caller that shows progress.
pub enum Progress<'a> {
    Started(&'static LabInfo),
    Finished(&'a LabResult),
}

/// Every lab graded, or those graded before an interruption.
#[derive(Debug)]
pub struct Overview {
    pub results: Vec<LabResult>,
    pub interrupted: bool,
}

impl Overview {
    /// 130 when interrupted, else the worst lab's code: a grader error (3) outranks a setup
    /// problem (2), which outranks a failed check (1).
    pub fn exit_code(&self) -> i32 {
        if self.interrupted {
            return exit::INTERRUPTED;
        }
        self.results
            .iter()
            .map(LabResult::exit_code)
            .max()
            .unwrap_or(exit::PASSED)
    }
}

/// Grades the plan's labs one after another (simple, and predictable for the student's
/// machine). Ctrl+C or SIGTERM stops the current child politely and ends the run.
pub async fn run(
    plan: &Plan,
    interrupt: &mut Interrupt,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Overview {
    let mut results = Vec::new();
    for &lab in &plan.labs {
        progress(Progress::Started(lab));
        let Some(outcome) = grade_one(plan, lab, interrupt).await else {
            return Overview {
                results,
                interrupted: true,
            };
        };
        let result = LabResult { lab, outcome };
        progress(Progress::Finished(&result));
        results.push(result);
    }
    Overview {
        results,
        interrupted: false,
    }
}

/// One child grading; `None` when interrupted.
async fn grade_one(plan: &Plan, lab: &LabInfo, interrupt: &mut Interrupt) -> Option<Outcome> {
    let mut args: Vec<OsString> = vec![
        lab.key.into(),
        "--format".into(),
        "json".into(),
        "--submission".into(),
        plan.submission.clone().into(),
    ];
    args.extend(plan.forward.iter().cloned());
    child_grading(&plan.exe, &args, &[], lab, interrupt.recv())
        .await
        .map(|(outcome, _)| outcome)
}

/// Runs `exe args` (a `grade labNN --format json ...`) with `envs` added, until it ends,
/// [`RUN_DEADLINE`] passes, or `stop` resolves (then it is stopped politely and `None` comes
/// back). Returns how the grading went and the report's bytes as the child printed them.
pub async fn child_grading(
    exe: &Path,
    args: &[OsString],
    envs: &[(OsString, OsString)],
    lab: &LabInfo,
    stop: impl std::future::Future<Output = ()>,
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
        () = stop => {
            subgrade::stop(&mut child, STOP_GRACE).await;
            return None;
        }
        status = child.wait() => status,
        () = tokio::time::sleep(RUN_DEADLINE) => {
            subgrade::stop(&mut child, STOP_GRACE).await;
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
    if subgrade::was_interrupted(&status) {
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

    #[test]
    fn the_worst_lab_decides_the_exit_code() {
        let graded = |failed: &[&str]| LabResult {
            lab: lab01(),
            outcome: Outcome::Graded(Summary {
                passed: failed.is_empty(),
                score: 1.0,
                max_score: 1.0,
                failed: failed.iter().map(|s| s.to_string()).collect(),
                errors: vec![],
                warnings: vec![],
            }),
        };
        let setup = LabResult {
            lab: lab01(),
            outcome: Outcome::Setup {
                stderr: String::new(),
            },
        };
        let o = |results, interrupted| Overview {
            results,
            interrupted,
        };
        assert_eq!(o(vec![graded(&[])], false).exit_code(), 0);
        assert_eq!(o(vec![graded(&[]), graded(&["x"])], false).exit_code(), 1);
        assert_eq!(o(vec![graded(&["x"]), setup.clone()], false).exit_code(), 2);
        assert_eq!(o(vec![graded(&[])], true).exit_code(), 130);
    }

    #[test]
    fn labs_are_found_by_file_or_grade_toml_table() {
        let dir = tempfile::tempdir().unwrap();
        assert!(find_labs(dir.path()).is_empty());
        let app = dir.path().join(lab01().main_file());
        std::fs::create_dir_all(app.parent().unwrap()).unwrap();
        std::fs::write(&app, "").unwrap();
        std::fs::write(
            dir.path().join("grade.toml"),
            "[lab03]\ncommand = [\"./client\"]\n",
        )
        .unwrap();
        let keys: Vec<_> = find_labs(dir.path()).iter().map(|l| l.key).collect();
        assert_eq!(keys, ["lab01", "lab03"]);
        std::fs::write(dir.path().join("grade.toml"), "not toml [").unwrap();
        let keys: Vec<_> = find_labs(dir.path()).iter().map(|l| l.key).collect();
        assert_eq!(keys, ["lab01"]);
    }
}
