//! `--format gradescope`: Gradescope's autograder `results.json`, following the field names
//! and types of Gradescope's "Autograder Specifications" (top level: `score`,
//! `execution_time` in whole seconds, `output`, `output_format`, `tests`, `extra_data`; per
//! test: `name`, `number` (a string), `score`, `max_score`, `status` (`"passed"` /
//! `"failed"`), `output`, `visibility`, `extra_data`). A Gradescope `run_autograder` script
//! runs `grade labNN --report gradescope=/autograder/results/results.json`.
//!
//! Gradescope knows only passed and failed, so:
//!
//! | ours | Gradescope `status` |
//! |---|---|
//! | passed | passed |
//! | warning | passed (worth nothing; the warning and its hint in `output`) |
//! | failed | failed |
//! | error | failed, score 0, `output` says the grader failed, not the student |
//! | skipped, worth points (a prerequisite failed) | failed, score 0, `output` gives the reason |
//! | skipped, worth nothing (could not run here, `--only`, an advisory check whose prerequisite failed) | left out of `tests`: neither green nor red would be true; the top-level `output` lists it |
//!
//! Our five-way status and the check id stay in each test's `extra_data` for staff scripts.
//! Text is sent as `"text"` (never HTML or Markdown): student output must not render.

use std::collections::HashMap;
use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use super::details::{details, fix_first_line, replay_line, summary_line};
use super::{CheckResult, Event, Report, Reporter, Status};
use crate::i18n::Lang;

/// When a Gradescope student sees a check's result; the values are Gradescope's own
/// (`results.json`'s per-test `visibility`), so they pass through unchanged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Always shown.
    #[default]
    Visible,
    /// Shown once the due date (or the late due date) has passed.
    AfterDueDate,
    /// Shown once staff publish the grades.
    AfterPublished,
    /// Never shown to students (staff see it).
    Hidden,
}

pub struct GradescopeReporter {
    /// Each check's visibility from the grader definition; a check not listed is visible.
    visibility: HashMap<String, Visibility>,
    /// The lab's title, from the run's start.
    title: String,
}

impl GradescopeReporter {
    pub fn new(visibility: impl IntoIterator<Item = (String, Visibility)>) -> GradescopeReporter {
        GradescopeReporter {
            visibility: visibility.into_iter().collect(),
            title: String::new(),
        }
    }
}

impl Reporter for GradescopeReporter {
    fn event(&mut self, event: &Event<'_>, out: &mut dyn Write) -> io::Result<()> {
        match event {
            Event::Started { title, .. } => {
                self.title = title.to_string();
                Ok(())
            }
            Event::CheckFinished(_) => Ok(()),
            Event::Finished(report) => {
                let results = results(report, &self.title, &self.visibility);
                serde_json::to_writer_pretty(&mut *out, &results)?;
                writeln!(out)
            }
        }
    }
}

#[derive(Serialize)]
struct Results<'a> {
    score: f64,
    execution_time: u64,
    output: String,
    /// `"text"`: the top level's default, `simple_format`, would render HTML.
    output_format: &'static str,
    tests: Vec<Test<'a>>,
    extra_data: RunData<'a>,
}

#[derive(Serialize)]
struct Test<'a> {
    name: String,
    number: String,
    score: f64,
    max_score: f64,
    status: &'static str,
    output: String,
    visibility: Visibility,
    extra_data: TestData<'a>,
}

#[derive(Serialize)]
struct RunData<'a> {
    lab: &'a str,
    seed: u64,
    passed: bool,
    max_score: f64,
}

#[derive(Serialize)]
struct TestData<'a> {
    id: &'a str,
    status: Status,
}

fn results<'a>(
    report: &'a Report,
    title: &str,
    visibility: &HashMap<String, Visibility>,
) -> Results<'a> {
    let lang = report.lang;
    let mut tests = Vec::new();
    let mut not_run = Vec::new();
    for (i, c) in report.checks.iter().enumerate() {
        let Some(status) = status(c) else {
            not_run.push(format!("- {} ({}): {}", c.id, c.title, message(c)));
            continue;
        };
        tests.push(Test {
            name: format!("{} ({})", c.title, c.id),
            // The check's place in the definition, so a number always means the same check.
            number: (i + 1).to_string(),
            score: c.score,
            max_score: c.max_score,
            status,
            output: details(c, lang),
            visibility: visibility.get(&c.id).copied().unwrap_or_default(),
            extra_data: TestData {
                id: &c.id,
                status: c.status,
            },
        });
    }
    let mut output = vec![
        format!("netgrade {} ({title})", report.lab),
        summary_line(report),
    ];
    output.extend(fix_first_line(report));
    output.extend(report.notices.iter().cloned());
    if !not_run.is_empty() {
        output.push(not_run_heading(lang).to_string());
        output.extend(not_run);
    }
    output.push(replay_line(report));
    Results {
        score: report.score,
        execution_time: report.duration_ms.div_ceil(1000),
        output: output.join("\n"),
        output_format: "text",
        tests,
        extra_data: RunData {
            lab: &report.lab,
            seed: report.seed,
            passed: report.passed,
            max_score: report.max_score,
        },
    }
}

/// Gradescope's status for a check, `None` for one left out (see the module's table).
fn status(c: &CheckResult) -> Option<&'static str> {
    match c.status {
        Status::Passed | Status::Warning => Some("passed"),
        Status::Failed | Status::Error => Some("failed"),
        Status::Skipped if c.max_score > 0.0 => Some("failed"),
        Status::Skipped => None,
    }
}

fn message(c: &CheckResult) -> &str {
    c.message.as_deref().unwrap_or_default()
}

fn not_run_heading(lang: Lang) -> &'static str {
    lang.pick(
        "실행하지 않은 검사 (이번 채점에서는 배점 없음):",
        "Not run (worth no points in this grading):",
    )
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::sample_report;
    use super::*;

    fn render(report: &Report) -> serde_json::Value {
        let mut r = GradescopeReporter::new([
            ("body".to_string(), Visibility::AfterDueDate),
            ("client_ip".to_string(), Visibility::Hidden),
        ]);
        let mut out = Vec::new();
        super::super::replay(&mut r, "ip_port_http", "IP, ports", report, &mut out).unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn gradescope_results_shape() {
        insta::assert_json_snapshot!(render(&sample_report(Lang::En)));
    }

    #[test]
    fn statuses_scores_and_visibility_map_to_gradescopes_fields() {
        let mut report = sample_report(Lang::En);
        // A check that could not run here and one skipped for a failed prerequisite.
        report.checks[3].max_score = 0.0;
        let mut blocked = report.checks[3].clone();
        blocked.id = "blocked".into();
        blocked.max_score = 2.0;
        report.checks.push(blocked);
        let v = render(&report);
        let tests = v["tests"].as_array().unwrap();
        let by_id = |id: &str| {
            tests
                .iter()
                .find(|t| t["extra_data"]["id"] == id)
                .unwrap_or_else(|| panic!("no {id} in {v:#}"))
        };
        for (id, status, visibility) in [
            ("status_200", "passed", "visible"),
            ("starts", "failed", "visible"),
            ("body", "failed", "after_due_date"),
            ("client_ip", "failed", "hidden"),
            ("uses_port", "passed", "visible"),
            ("blocked", "failed", "visible"),
        ] {
            let t = by_id(id);
            assert_eq!(t["status"], status, "{id}");
            assert_eq!(t["visibility"], visibility, "{id}");
            assert!(t["number"].is_string() && t["name"].is_string(), "{t:#}");
            assert!(t["score"].is_f64() && t["max_score"].is_f64(), "{t:#}");
        }
        assert!(tests.iter().all(|t| t["extra_data"]["id"] != "lan"));
        let output = v["output"].as_str().unwrap();
        assert!(
            output.contains("- lan (title of lan): run with --lan"),
            "{output}"
        );
        assert_eq!(v["execution_time"], 2, "1234 ms rounds up to whole seconds");
        assert_eq!(v["output_format"], "text");
        assert_eq!(v["score"], 1.0);
        let warning = by_id("uses_port")["output"].as_str().unwrap();
        assert!(warning.contains("hint: read PORT"), "{warning}");
        let error = by_id("client_ip")["output"].as_str().unwrap();
        assert!(error.contains("not with your program"), "{error}");
    }
}
