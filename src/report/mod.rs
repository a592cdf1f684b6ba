//! The result model and the events the runner emits. Reporters consume events and write to
//! any `io::Write`; nothing that runs checks prints.
//!
//! Reporters: [`human`] (the terminal), [`json`] (schema 1, staff scripts), and for CI
//! [`junit`], [`gradescope`] and [`github`] (workflow commands; with [`markdown`]'s step
//! summary and [`classroom`]'s GitHub Classroom result); [`details`] is the plain text they
//! share. [`overview`] and [`watch`] render the student's loop.

pub mod class_html;
pub mod class_page;
pub mod class_stats;
pub mod classroom;
pub mod details;
pub mod exit;
pub mod github;
pub mod gradescope;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod outcome;
pub mod overview;
pub mod summary;
pub mod watch;
pub mod wire;

use serde::Serialize;

use crate::i18n::Lang;
use crate::text::clip_default;

/// The five outcomes, kept apart: a student is blamed only for `Failed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Passed,
    /// The student's program did something wrong.
    Failed,
    /// Not run: a prerequisite did not pass, the platform cannot run it, or it was not asked for.
    Skipped,
    /// The grader or the machine failed; never the student's fault.
    Error,
    /// An advisory check did not hold: shown with its hint, never a failure, worth no points.
    /// Only the runner makes warnings (from an advisory check's failure); a graded check
    /// cannot report one itself.
    Warning,
}

impl Status {
    /// Whether checks that need this one may run: a warning is a pass with a message.
    pub fn satisfies_needs(self) -> bool {
        match self {
            Status::Passed | Status::Warning => true,
            Status::Failed | Status::Skipped | Status::Error => false,
        }
    }
}

/// What a check returns to the runner.
#[derive(Debug)]
pub enum Verdict {
    Passed {
        note: Option<String>,
    },
    Failed(Box<Failure>),
    Skipped(String),
    /// Not run because this machine or this run cannot (no namespaces, an option not given):
    /// reported as skipped, and its points are not counted, so that where a student grades
    /// does not change their score.
    Unavailable(String),
    Error(String),
}

impl Verdict {
    pub fn pass() -> Verdict {
        Verdict::Passed { note: None }
    }

    pub fn pass_with(note: impl Into<String>) -> Verdict {
        Verdict::Passed {
            note: Some(note.into()),
        }
    }

    pub fn fail(message: impl Into<String>) -> Verdict {
        Verdict::Failed(Box::new(Failure::new(message)))
    }
}

impl From<Failure> for Verdict {
    fn from(f: Failure) -> Verdict {
        Verdict::Failed(Box::new(f))
    }
}

/// Why a check failed: what was expected, what was seen, and the student's own output where
/// it helps. The hint comes from the check's definition.
#[derive(Debug, Default)]
pub struct Failure {
    pub message: String,
    pub expected: Option<String>,
    pub actual: Option<String>,
    pub diff: Option<String>,
    /// Escaped student output, shown in a labelled block.
    pub output: Option<StudentOutput>,
    /// The hint chosen by what was observed (a key of the check's `hints` in `lab.toml`,
    /// declared in the driver's check spec); `None` for the check's main hint.
    pub hint: Option<&'static str>,
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Failure {
        Failure {
            message: clip_default(&message.into()),
            ..Failure::default()
        }
    }

    pub fn expected(mut self, e: impl Into<String>) -> Failure {
        self.expected = Some(clip_default(&e.into()));
        self
    }

    /// What was seen; clipped to report size (the student may have sent megabytes).
    pub fn actual(mut self, a: impl Into<String>) -> Failure {
        self.actual = Some(clip_default(&a.into()));
        self
    }

    /// Sets expected and actual and, where they differ, a line diff (all clipped).
    pub fn compare(mut self, expected: &str, actual: &str) -> Failure {
        let (expected, actual) = (clip_default(expected), clip_default(actual));
        let d = crate::text::diff(&expected, &actual);
        self.expected = Some(expected);
        self.actual = Some(actual);
        self.diff = (!d.is_empty()).then_some(d);
        self
    }

    pub fn output(mut self, o: impl Into<StudentOutput>) -> Failure {
        self.output = Some(o.into());
        self
    }

    /// Chooses the hint `key` (declared in the driver's check spec) over the main one.
    pub fn hint(mut self, key: &'static str) -> Failure {
        self.hint = Some(key);
        self
    }
}

/// The tail of a student's stdout and stderr, already escaped.
#[derive(Clone, Debug, Default, Serialize)]
pub struct StudentOutput {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub stdout: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub stderr: String,
    /// Bytes the grader dropped because the output went over its cap.
    #[serde(skip_serializing_if = "is_zero")]
    pub dropped_bytes: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One check's result as reported.
#[derive(Clone, Debug, Serialize)]
pub struct CheckResult {
    pub id: String,
    pub title: String,
    pub status: Status,
    pub score: f64,
    pub max_score: f64,
    pub duration_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<StudentOutput>,
    /// `--capture`: a failed (or errored) check's exchange, from the capture.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wire: Option<wire::Wire>,
}

impl CheckResult {
    /// A result with no details yet: passed, no score, to be filled in.
    pub fn new(id: &str, title: &str, max_score: f64) -> CheckResult {
        CheckResult {
            id: id.to_string(),
            title: title.to_string(),
            status: Status::Passed,
            score: 0.0,
            max_score,
            duration_ms: 0,
            message: None,
            hint: None,
            expected: None,
            actual: None,
            diff: None,
            output: None,
            wire: None,
        }
    }
}

/// A whole run.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub schema: u32,
    pub lab: String,
    pub submission: String,
    pub seed: u64,
    pub passed: bool,
    pub score: f64,
    pub max_score: f64,
    pub duration_ms: u64,
    pub lang: Lang,
    pub checks: Vec<CheckResult>,
    /// Things the grader noticed outside any one check (a leftover process, a port still held).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<String>,
    /// `--only`: the checks run (those asked for and what they need). The others were not
    /// run and count in neither `score` nor `max_score`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub only: Vec<String>,
    /// The failed check that the most skipped checks wait on: what to fix first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix_first: Option<FixFirst>,
    /// `isolated` (a private network namespace: only loopback) or `shared` (this computer's
    /// own network; a notice says why).
    pub network: &'static str,
    /// `isolated` (a PID namespace with its own `/proc`: the program sees only its grading's
    /// processes) or `shared` (it could see the grader's; a notice says why).
    pub processes: &'static str,
    /// `--capture`: the file and what it holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capture: Option<wire::CaptureInfo>,
}

/// What to fix first: a failed check, and how many skipped checks wait on it.
#[derive(Clone, Debug, Serialize)]
pub struct FixFirst {
    pub id: String,
    pub blocks: usize,
}

impl Report {
    pub fn count(&self, status: Status) -> usize {
        self.checks.iter().filter(|c| c.status == status).count()
    }

    /// The documented exit code for this report (see [`exit`]).
    pub fn exit_code(&self) -> i32 {
        if self.count(Status::Error) > 0 {
            exit::GRADER
        } else if self.count(Status::Failed) > 0 {
            exit::FAILED
        } else {
            exit::PASSED
        }
    }
}

/// What the runner tells reporters, in order.
#[derive(Debug)]
pub enum Event<'a> {
    Started {
        lab: &'a str,
        lab_name: &'a str,
        title: &'a str,
        submission: &'a str,
        seed: u64,
        lang: Lang,
    },
    CheckFinished(&'a CheckResult),
    Finished(&'a Report),
}

/// A reporter renders events into a writer.
pub trait Reporter {
    fn event(&mut self, event: &Event<'_>, out: &mut dyn std::io::Write) -> std::io::Result<()>;
}

/// Feeds a finished run through `reporter` in the order the runner emitted it, for the report
/// files, which are written only once the run (and every process of the submission) is over.
pub fn replay(
    reporter: &mut dyn Reporter,
    lab_name: &str,
    title: &str,
    report: &Report,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    reporter.event(
        &Event::Started {
            lab: &report.lab,
            lab_name,
            title,
            submission: &report.submission,
            seed: report.seed,
            lang: report.lang,
        },
        out,
    )?;
    for c in &report.checks {
        reporter.event(&Event::CheckFinished(c), out)?;
    }
    reporter.event(&Event::Finished(report), out)
}

#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    fn result(id: &str, status: Status, score: f64, max: f64) -> CheckResult {
        CheckResult {
            status,
            score,
            duration_ms: 12,
            ..CheckResult::new(id, &format!("title of {id}"), max)
        }
    }

    /// One check of each outcome, with every optional field used somewhere.
    pub fn sample_report(lang: Lang) -> Report {
        let mut failed = result("body", Status::Failed, 0.0, 2.0);
        failed.message = Some("the body differs from the expected one".into());
        failed.hint = Some("print exactly three lines".into());
        failed.expected = Some("OK! You reached the server.".into());
        failed.actual = Some("OK! You reached the server".into());
        failed.diff = Some(crate::text::diff(
            "OK! You reached the server.\n",
            "OK! You reached the server \n",
        ));
        failed.wire = Some(wire::Wire {
            lines: vec![
                wire::WireLine {
                    at_ms: 1.5,
                    from: wire::Side::Grader,
                    proto: "TCP",
                    info: String::new(),
                    bytes: 16,
                    start: "GET / HTTP/1.1\\r\\n…".into(),
                },
                wire::WireLine {
                    at_ms: 3.25,
                    from: wire::Side::Student,
                    proto: "TCP",
                    info: "FIN".into(),
                    bytes: 0,
                    start: String::new(),
                },
            ],
            more: 4,
        });
        let mut crashed = result("starts", Status::Failed, 0.0, 0.0);
        crashed.message = Some("your program exited with status 1".into());
        crashed.output = Some(StudentOutput {
            stdout: "PASS 100/100".into(),
            stderr: "Traceback (most recent call last):\nRuntimeError: boom".into(),
            dropped_bytes: 2048,
        });
        let mut skipped = result("lan", Status::Skipped, 0.0, 1.0);
        skipped.message = Some("run with --lan to try it".into());
        let mut error = result("client_ip", Status::Error, 0.0, 1.0);
        error.message = Some("could not bind a source address".into());
        let mut passed = result("status_200", Status::Passed, 1.0, 1.0);
        passed.message = Some("a note".into());
        let mut warning = result("uses_port", Status::Warning, 0.0, 0.0);
        warning.message = Some("your program ignores PORT".into());
        warning.hint = Some("read PORT".into());
        let checks = vec![passed, crashed, failed, skipped, error, warning];
        Report {
            schema: 1,
            lab: "lab01".into(),
            submission: "/tmp/sub".into(),
            seed: 42,
            passed: false,
            score: 1.0,
            max_score: 4.0,
            duration_ms: 1234,
            lang,
            checks,
            notices: vec!["your program left process 77 holding port 8000".into()],
            only: vec![],
            fix_first: Some(FixFirst {
                id: "starts".into(),
                blocks: 3,
            }),
            network: "isolated",
            processes: "isolated",
            capture: Some(wire::CaptureInfo {
                file: "run.pcapng".into(),
                frames: 120,
                written: 120,
                not_written: 0,
                bytes: 20_480,
            }),
        }
    }
}
