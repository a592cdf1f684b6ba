//! A batch's summaries: `summary.json` (one entry per student, for scripts and for
//! `grade batch-merge`), `summary.csv` (one row per student, for a spreadsheet), and each
//! student's own file when the grader produced no report for them.

use std::io::Write;

use serde_json::{Value, json};

use super::overview::explain_why;
use crate::batch::Graded;
use crate::i18n::Lang;
use crate::overview::{Outcome, Why};

/// `summary.json`, schema 1, students in name order.
pub fn summary_json(lab: &str, duration_ms: u64, graded: &[Graded]) -> Value {
    let submissions: Vec<Value> = graded.iter().map(|g| entry(lab, g)).collect();
    json!({
        "schema": 1,
        "lab": lab,
        "duration_ms": duration_ms,
        "submissions": submissions,
    })
}

fn entry(lab: &str, g: &Graded) -> Value {
    let ms = g.duration.as_millis() as u64;
    let (status, message) = match &g.outcome {
        Outcome::Graded(s) => {
            return json!({
                "name": g.name,
                "status": "graded",
                "passed": s.passed,
                "score": s.score,
                "max_score": s.max_score,
                "failed": s.failed,
                "warnings": s.warnings,
                "errors": s.errors,
                "duration_ms": ms,
            });
        }
        // A setup problem is the student's (their file is missing, their grade.toml broken):
        // graded, with nothing passed.
        Outcome::Setup { stderr } => ("setup", stderr.trim().to_string()),
        Outcome::GraderError { why, stderr } => {
            ("grader_error", grader_error_text(lab, why, stderr))
        }
    };
    json!({
        "name": g.name,
        "status": status,
        "passed": false,
        "score": 0.0,
        "max_score": 0.0,
        "failed": [],
        "warnings": [],
        "errors": [],
        "message": message,
        "duration_ms": ms,
    })
}

/// Why the grader failed on a submission (for staff, in English), with the end of what the
/// child grading printed on stderr.
pub fn grader_error_text(lab: &str, why: &Why, stderr: &str) -> String {
    let what = explain_why(Lang::En, lab, why);
    let tail: Vec<&str> = stderr.trim().lines().collect();
    let tail = &tail[tail.len().saturating_sub(5)..];
    if tail.is_empty() {
        what
    } else {
        format!("{what}: {}", tail.join(" / "))
    }
}

/// A student's own file: the report as the grading printed it, or (no report) what happened.
pub fn student_file(lab: &str, g: &Graded) -> Vec<u8> {
    if matches!(g.outcome, Outcome::Graded(_)) && !g.report.is_empty() {
        return g.report.clone();
    }
    let mut v = entry(lab, g);
    v["schema"] = json!(1);
    v["lab"] = json!(lab);
    serde_json::to_vec_pretty(&v).unwrap_or_default()
}

/// `summary.csv`: a header, then one row per student.
pub fn summary_csv(lab: &str, graded: &[Graded], out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "name,status,passed,score,max_score,failed,warnings,errors,duration_ms,message"
    )?;
    for g in graded {
        let e = entry(lab, g);
        let list = |k: &str| {
            e[k].as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default()
        };
        let fields = [
            cell(&g.name),
            cell(e["status"].as_str().unwrap_or_default()),
            e["passed"].to_string(),
            e["score"].to_string(),
            e["max_score"].to_string(),
            cell(&list("failed")),
            cell(&list("warnings")),
            cell(&list("errors")),
            e["duration_ms"].to_string(),
            cell(e["message"].as_str().unwrap_or_default()),
        ];
        writeln!(out, "{}", fields.join(","))?;
    }
    Ok(())
}

/// One CSV field: quoted when it holds a comma, quote or line break, and a leading `=`, `+`,
/// `-` or `@` neutralized so that a spreadsheet never runs a student's folder name as a
/// formula.
fn cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_formulas_neutralized() {
        assert_eq!(cell("kim"), "kim");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(cell("-1"), "'-1");
    }
}
