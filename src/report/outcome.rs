//! One lab's grading as a parent `grade` saw it from outside (`grade` with no lab, `grade
//! batch`): the child's report summarized, a setup problem, or the grader's failure, and what
//! it means for the exit code. Sessions ([`crate::overview`], [`crate::batch`]) make these;
//! reporters render them.

use std::time::Duration;

use super::exit;
use crate::lab::LabInfo;

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
    /// The child did not end within [`crate::subgrade::RUN_DEADLINE`] (seconds) and was stopped.
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

/// One submission, as the batch saw it.
#[derive(Clone, Debug)]
pub struct Graded {
    pub name: String,
    pub outcome: Outcome,
    /// The child's JSON report as printed (empty when there is none).
    pub report: Vec<u8>,
    pub duration: Duration,
}
