//! A batch's files, written and read back: `summary.json` (one entry per student, for scripts
//! and for `grade batch-merge`), `summary.csv` (one row per student, for a spreadsheet), and
//! each student's own file when the grader produced no report for them.
//!
//! Every file of `OUT/` (these, and `index.html` through [`super::class_page`]) is written from
//! [`Entry`]: what the batch saw, with the grader's failure already put into words. So what a
//! batch writes is all [`from_summary`] needs to rebuild it, and a class merged from shards
//! ([`crate::merge`]) gets the same files as a class graded at once.

use std::io::Write;

use serde_json::{Value, json};

use super::outcome::{Graded, Outcome, Summary, Why};
use super::overview::explain_why;
use crate::i18n::Lang;

/// One submission, as the batch's files record it.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The submission's folder name: the student.
    pub name: String,
    pub duration_ms: u64,
    pub result: Recorded,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Recorded {
    /// The grading's schema-1 report (as printed) and what the summary keeps of it.
    Graded { summary: Summary, report: Vec<u8> },
    /// A setup problem, the student's (their file is missing, their `grade.toml` broken):
    /// graded, with nothing passed. What the grading said.
    Setup(String),
    /// The grader failed on it: why, for staff, in English ([`grader_error_text`]).
    GraderError(String),
}

impl Entry {
    /// What the batch saw, put into the words its files keep.
    pub fn of(lab: &str, g: &Graded) -> Entry {
        let result = match &g.outcome {
            Outcome::Graded(s) => Recorded::Graded {
                summary: s.clone(),
                report: g.report.clone(),
            },
            Outcome::Setup { stderr } => Recorded::Setup(stderr.trim().to_string()),
            Outcome::GraderError { why, stderr } => {
                Recorded::GraderError(grader_error_text(lab, why, stderr))
            }
        };
        Entry {
            name: g.name.clone(),
            duration_ms: g.duration.as_millis() as u64,
            result,
        }
    }
}

/// `summary.json`, schema 1, entries in the order given (the batch's: by name). `shard` is
/// the batch's `--shard K/N`, written so that a merge can tell when a shard is missing.
pub fn summary_json(
    lab: &str,
    shard: Option<(u32, u32)>,
    duration_ms: u64,
    entries: &[Entry],
) -> Value {
    let submissions: Vec<Value> = entries.iter().map(entry).collect();
    let mut v = json!({
        "schema": 1,
        "lab": lab,
        "duration_ms": duration_ms,
        "submissions": submissions,
    });
    if let Some((k, n)) = shard {
        v["shard"] = json!(format!("{k}/{n}"));
    }
    v
}

/// One student's entry of `summary.json`.
pub fn entry(e: &Entry) -> Value {
    let (status, message) = match &e.result {
        Recorded::Graded { summary: s, .. } => {
            return json!({
                "name": e.name,
                "status": "graded",
                "passed": s.passed,
                "score": s.score,
                "max_score": s.max_score,
                "failed": s.failed,
                "warnings": s.warnings,
                "errors": s.errors,
                "duration_ms": e.duration_ms,
            });
        }
        Recorded::Setup(m) => ("setup", m),
        Recorded::GraderError(m) => ("grader_error", m),
    };
    json!({
        "name": e.name,
        "status": status,
        "passed": false,
        "score": 0.0,
        "max_score": 0.0,
        "failed": [],
        "warnings": [],
        "errors": [],
        "message": message,
        "duration_ms": e.duration_ms,
    })
}

/// An entry of `summary.json` read back: the inverse of [`entry`]. `report` reads the
/// student's own file ([`student_file_name`]), asked for only when the entry was graded.
pub fn from_summary(
    v: &Value,
    report: impl FnOnce(&str) -> Result<Vec<u8>, String>,
) -> Result<Entry, String> {
    let name = v["name"].as_str().ok_or("an entry without a name")?;
    let text = |k: &str| v[k].as_str().unwrap_or_default().to_string();
    let ids = |k: &str| -> Result<Vec<String>, String> {
        v[k].as_array()
            .ok_or_else(|| format!("{name}: `{k}` is not a list"))?
            .iter()
            .map(|id| id.as_str().map(str::to_string))
            .collect::<Option<_>>()
            .ok_or_else(|| format!("{name}: `{k}` holds something other than check ids"))
    };
    let number = |k: &str| v[k].as_f64().ok_or_else(|| format!("{name}: no `{k}`"));
    let result = match v["status"].as_str() {
        Some("graded") => Recorded::Graded {
            summary: Summary {
                passed: v["passed"]
                    .as_bool()
                    .ok_or_else(|| format!("{name}: no `passed`"))?,
                score: number("score")?,
                max_score: number("max_score")?,
                failed: ids("failed")?,
                errors: ids("errors")?,
                warnings: ids("warnings")?,
            },
            report: report(name)?,
        },
        Some("setup") => Recorded::Setup(text("message")),
        Some("grader_error") => Recorded::GraderError(text("message")),
        other => return Err(format!("{name}: unknown status {other:?}")),
    };
    Ok(Entry {
        name: name.to_string(),
        duration_ms: v["duration_ms"].as_u64().unwrap_or(0),
        result,
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

/// The student's own file in `OUT/`: `<name>.json`, but a student named `summary` or `index`
/// must not overwrite the class's files.
pub fn student_file_name(name: &str) -> String {
    match name {
        "summary" | "index" => format!("{name}.student.json"),
        n => format!("{n}.json"),
    }
}

/// A student's own file: the report as the grading printed it, or (no report) what happened.
pub fn student_file(lab: &str, e: &Entry) -> Vec<u8> {
    if let Recorded::Graded { report, .. } = &e.result
        && !report.is_empty()
    {
        return report.clone();
    }
    let mut v = entry(e);
    v["schema"] = json!(1);
    v["lab"] = json!(lab);
    serde_json::to_vec_pretty(&v).unwrap_or_default()
}

/// `summary.csv`: a header, then one row per student.
pub fn summary_csv(entries: &[Entry], out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "name,status,passed,score,max_score,failed,warnings,errors,duration_ms,message"
    )?;
    for g in entries {
        let e = entry(g);
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

    fn class() -> Vec<Entry> {
        let report = br#"{"schema":1,"lab":"lab01","passed":false}"#.to_vec();
        vec![
            Entry {
                name: "kim".into(),
                duration_ms: 310,
                result: Recorded::Graded {
                    summary: Summary {
                        passed: false,
                        score: 7.5,
                        max_score: 10.0,
                        failed: vec!["body".into()],
                        errors: vec!["client_ip".into()],
                        warnings: vec!["uses_port".into()],
                    },
                    report,
                },
            },
            Entry {
                name: "lee".into(),
                duration_ms: 40,
                result: Recorded::Setup("labs/01_ip_port_http/app.py: no such file".into()),
            },
            Entry {
                name: "park".into(),
                duration_ms: 120_000,
                result: Recorded::GraderError("the grading of lab01 did not end".into()),
            },
        ]
    }

    /// `grade batch-merge` rebuilds a class from what the batch wrote: nothing may be lost.
    #[test]
    fn every_entry_reads_back_as_it_was_written() {
        let class = class();
        let json = summary_json("lab01", None, 999, &class);
        let back: Vec<Entry> = json["submissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                from_summary(v, |name| {
                    let e = class.iter().find(|e| e.name == name).unwrap();
                    Ok(student_file("lab01", e))
                })
                .unwrap()
            })
            .collect();
        assert_eq!(back, class);
        // And so the files written from it are the same.
        assert_eq!(summary_json("lab01", None, 999, &back), json);
    }

    #[test]
    fn an_entry_that_is_not_one_is_refused() {
        let no_report = |_: &str| -> Result<Vec<u8>, String> { Err("no file".into()) };
        for bad in [
            json!({"status": "graded"}),
            json!({"name": "kim", "status": "pending"}),
            json!({"name": "kim", "status": "graded", "passed": true, "score": 1.0,
                   "max_score": 1.0, "failed": "body", "warnings": [], "errors": []}),
        ] {
            assert!(from_summary(&bad, no_report).is_err(), "{bad}");
        }
        let graded = json!({"name": "kim", "status": "graded", "passed": true, "score": 1.0,
                            "max_score": 1.0, "failed": [], "warnings": [], "errors": []});
        assert_eq!(from_summary(&graded, no_report), Err("no file".into()));
    }

    #[test]
    fn students_named_like_the_class_files_get_their_own() {
        assert_eq!(student_file_name("kim"), "kim.json");
        assert_eq!(student_file_name("summary"), "summary.student.json");
        assert_eq!(student_file_name("index"), "index.student.json");
    }
}
