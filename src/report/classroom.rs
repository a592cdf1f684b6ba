//! GitHub Classroom's autograding result, as the `result` step output of `--format github`.
//!
//! GitHub Classroom's own graders (classroom-resources/autograding-command-grader and its
//! siblings) end by setting the step output `result` to base64 of a JSON document, and the
//! reporter action (classroom-resources/autograding-grading-reporter) reads it back from an
//! environment variable `<RUNNER>_RESULTS`. The fields are the command grader's:
//! `{version: 1, status: "pass"|"fail"|"error", max_score, tests: [{name, status, score,
//! message, test_code, filename, line_no, duration}]}`.
//!
//! The points GitHub Classroom records are the reporter's `totalPoints / maxPoints`: the sum
//! of every test's `score` over the top-level `max_score`. So each check is its own test with
//! its own score, and a partly right submission gets its partial credit. (The reporter's
//! console table instead shows passed tests / all tests × `max_score`; with checks of unequal
//! points that table can differ from the points recorded.)
//!
//! Mapping: passed and warning are `pass` (a warning is worth nothing and never fails),
//! failed is `fail`, error is `error`; a check skipped although worth points (a prerequisite
//! failed) is `fail` with score 0; a check skipped and worth nothing (not run here) is left
//! out, as it counts nowhere and neither ✅ nor ❌ would be true. `line_no` is 0 and
//! `test_code` empty, which the reporter reads as "nothing to show".

use std::io::{self, Write};

use base64::Engine as _;
use serde::Serialize;

use super::details::details;
use super::{CheckResult, Report, Status};

#[derive(Debug, Serialize)]
pub struct ClassroomResult {
    pub version: u32,
    pub status: &'static str,
    pub max_score: f64,
    pub tests: Vec<ClassroomTest>,
}

#[derive(Debug, Serialize)]
pub struct ClassroomTest {
    pub name: String,
    pub status: &'static str,
    pub score: f64,
    pub message: String,
    pub test_code: String,
    pub filename: String,
    pub line_no: u32,
    /// Milliseconds, as the command grader measures it.
    pub duration: u64,
}

pub fn result(report: &Report) -> ClassroomResult {
    let tests = report
        .checks
        .iter()
        .filter_map(|c| {
            Some(ClassroomTest {
                name: format!("{}: {}", c.id, c.title),
                status: status(c)?,
                score: c.score,
                message: details(c, report.lang),
                test_code: String::new(),
                filename: String::new(),
                line_no: 0,
                duration: c.duration_ms,
            })
        })
        .collect();
    // The exit code's order: a grader error outranks a failure.
    let status = if report.count(Status::Error) > 0 {
        "error"
    } else if report.count(Status::Failed) > 0 {
        "fail"
    } else {
        "pass"
    };
    ClassroomResult {
        version: 1,
        status,
        max_score: report.max_score,
        tests,
    }
}

/// The check's status for GitHub Classroom, `None` for a check left out.
fn status(c: &CheckResult) -> Option<&'static str> {
    match c.status {
        Status::Passed | Status::Warning => Some("pass"),
        Status::Failed => Some("fail"),
        Status::Error => Some("error"),
        Status::Skipped if c.max_score > 0.0 => Some("fail"),
        Status::Skipped => None,
    }
}

/// The result as the step output expects it: base64 (standard alphabet, padded) of the JSON.
pub fn encoded(report: &Report) -> String {
    let json = serde_json::to_vec(&result(report)).expect("the result serializes");
    base64::engine::general_purpose::STANDARD.encode(json)
}

/// The `$GITHUB_OUTPUT` line: `result=<base64>`. Base64 has no newline, so the one-line form
/// is enough (no heredoc delimiter needed).
pub fn write_output(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "result={}", encoded(report))
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::sample_report;
    use super::*;
    use crate::i18n::Lang;

    fn decode(line: &str) -> serde_json::Value {
        let b64 = line.trim_end().strip_prefix("result=").unwrap();
        let json = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        serde_json::from_slice(&json).unwrap()
    }

    #[test]
    fn output_line_decodes_to_the_command_graders_fields() {
        let report = sample_report(Lang::En);
        let mut out = Vec::new();
        write_output(&report, &mut out).unwrap();
        let v = decode(std::str::from_utf8(&out).unwrap());
        assert_eq!(v["version"], 1);
        assert_eq!(v["status"], "error");
        assert_eq!(v["max_score"], 4.0);
        insta::assert_json_snapshot!(v);
    }

    #[test]
    fn points_recorded_are_the_sum_of_test_scores() {
        let mut report = sample_report(Lang::En);
        // A partly right run with no error: passes and failures of different weights.
        report.checks.retain(|c| c.status != Status::Error);
        let v = decode(&format!("result={}", encoded(&report)));
        assert_eq!(v["status"], "fail");
        let tests = v["tests"].as_array().unwrap();
        // The reporter's totalPoints: every test's score, added up.
        let total: f64 = tests.iter().map(|t| t["score"].as_f64().unwrap()).sum();
        assert_eq!(total, report.score);
        let statuses: Vec<&str> = tests
            .iter()
            .map(|t| t["status"].as_str().unwrap())
            .collect();
        // passed, crashed, wrong body, skipped (worth a point), warning.
        assert_eq!(statuses, ["pass", "fail", "fail", "fail", "pass"]);
        for t in tests {
            assert!(t["name"].is_string() && t["message"].is_string(), "{t}");
            assert_eq!(t["line_no"], 0);
            assert!(t["duration"].is_u64());
        }
    }

    #[test]
    fn a_check_worth_nothing_and_not_run_is_left_out() {
        let mut report = sample_report(Lang::En);
        report.checks[3].max_score = 0.0;
        let v = result(&report);
        assert!(v.tests.iter().all(|t| !t.name.starts_with("lan:")));
        assert_eq!(v.tests.len(), report.checks.len() - 1);
    }
}
