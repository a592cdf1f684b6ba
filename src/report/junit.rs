//! `--format junit`: JUnit XML (through quick-junit, nextest's serializer), the one test-report
//! format GitHub's test-report actions, GitLab's merge-request test view and Jenkins all read.
//!
//! One `<testsuite>` per lab (this run), one `<testcase>` per check: `name` is the check id
//! (stable, a contract), `classname` the lab key, so that a CI's history follows a check from
//! run to run. JUnit has no "warning" and no points; the mapping keeps our five outcomes
//! apart where JUnit can:
//!
//! | ours | JUnit |
//! |---|---|
//! | passed | success; a note in `<system-out>` |
//! | failed | `<failure type="failed">`: `message` says what went wrong, the text has expected, actual or diff, hint and the program's output |
//! | error | `<error type="grader error">`: the grader or the machine failed, never the student |
//! | skipped | `<skipped message="...">` with the reason |
//! | warning | success (a warning never fails a run) with the warning and its hint in `<system-out>` |
//!
//! The title is what students read, so every test case's main text starts with it
//! (`<system-out>`, or the failure's text), and it is also a `title` property with the points.

use std::io::{self, Write};
use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};

use super::details::{details, fix_first_line, points, replay_line, summary_line};
use super::{CheckResult, Event, Report, Reporter, Status};

#[derive(Default)]
pub struct JunitReporter {
    /// The lab's title, from the run's start.
    title: String,
}

impl Reporter for JunitReporter {
    fn event(&mut self, event: &Event<'_>, out: &mut dyn Write) -> io::Result<()> {
        match event {
            Event::Started { title, .. } => {
                self.title = title.to_string();
                Ok(())
            }
            Event::CheckFinished(_) => Ok(()),
            Event::Finished(report) => to_junit(report, &self.title)
                .serialize(&mut *out)
                .map_err(io::Error::other),
        }
    }
}

/// The whole run as a JUnit report: `<testsuites name="netgrade">` with this lab's suite.
pub fn to_junit(report: &Report, title: &str) -> quick_junit::Report {
    let mut suite = TestSuite::new(report.lab.as_str());
    suite.set_time(Duration::from_millis(report.duration_ms));
    suite.add_properties([
        Property::new("title", title),
        Property::new("seed", report.seed.to_string()),
        Property::new("score", points(report.score)),
        Property::new("max_score", points(report.max_score)),
        Property::new("passed", report.passed.to_string()),
    ]);
    suite.add_test_cases(report.checks.iter().map(|c| test_case(report, c)));
    // What the human report says after the checks: the verdict, what to fix first, notices.
    let mut out = vec![summary_line(report)];
    out.extend(fix_first_line(report));
    out.extend(report.notices.iter().cloned());
    out.push(replay_line(report));
    suite.set_system_out(out.join("\n"));
    let mut junit = quick_junit::Report::new("netgrade");
    junit.set_time(Duration::from_millis(report.duration_ms));
    junit.add_test_suite(suite);
    junit
}

fn test_case(report: &Report, c: &CheckResult) -> TestCase {
    let text = details(c, report.lang);
    let with_title = if text.is_empty() {
        c.title.clone()
    } else {
        format!("{}\n{text}", c.title)
    };
    let message = c.message.clone().unwrap_or_default();
    let (status, system_out) = match c.status {
        Status::Passed | Status::Warning => (TestCaseStatus::success(), Some(with_title)),
        Status::Skipped => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(message);
            (s, Some(c.title.clone()))
        }
        Status::Failed => (
            non_success(NonSuccessKind::Failure, "failed", message, with_title),
            None,
        ),
        Status::Error => (
            non_success(NonSuccessKind::Error, "grader error", message, with_title),
            None,
        ),
    };
    let mut case = TestCase::new(c.id.as_str(), status);
    case.set_classname(report.lab.as_str())
        .set_time(Duration::from_millis(c.duration_ms))
        .add_properties([
            Property::new("title", c.title.as_str()),
            Property::new("status", status_name(c.status)),
            Property::new("score", points(c.score)),
            Property::new("max_score", points(c.max_score)),
        ]);
    if let Some(o) = system_out {
        case.set_system_out(o);
    }
    case
}

fn non_success(kind: NonSuccessKind, ty: &str, message: String, text: String) -> TestCaseStatus {
    let mut s = TestCaseStatus::non_success(kind);
    s.set_message(message).set_type(ty).set_description(text);
    s
}

/// Our own name for the outcome, kept as a property: JUnit folds warning into success.
fn status_name(s: Status) -> &'static str {
    match s {
        Status::Passed => "passed",
        Status::Failed => "failed",
        Status::Skipped => "skipped",
        Status::Error => "error",
        Status::Warning => "warning",
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::sample_report;
    use super::*;
    use crate::i18n::Lang;

    fn render() -> String {
        let report = sample_report(Lang::En);
        let mut out = Vec::new();
        let mut r = JunitReporter::default();
        super::super::replay(&mut r, "ip_port_http", "IP, ports", &report, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn junit_report_shape() {
        insta::assert_snapshot!(render());
    }

    #[test]
    fn every_outcome_maps_to_its_own_element() {
        let xml = render();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "testsuites");
        assert_eq!(root.attribute("tests"), Some("6"));
        // Two failures (the crash and the wrong body), one error, one skip; the warning passes.
        assert_eq!(root.attribute("failures"), Some("2"));
        assert_eq!(root.attribute("errors"), Some("1"));
        assert_eq!(root.attribute("skipped"), Some("1"));
        let case = |id: &str| {
            root.descendants()
                .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(id))
                .unwrap()
        };
        let child = |id: &str, tag: &str| case(id).children().find(|n| n.has_tag_name(tag));
        let body = child("body", "failure").unwrap();
        assert_eq!(
            body.attribute("message"),
            Some("the body differs from the expected one")
        );
        let text = body.text().unwrap();
        assert!(text.starts_with("title of body\n"), "{text}");
        assert!(text.contains("hint: print exactly three lines"), "{text}");
        assert!(child("client_ip", "error").is_some());
        assert!(child("lan", "skipped").is_some());
        let warning = case("uses_port");
        assert!(warning.children().all(|n| !n.has_tag_name("failure")));
        let out = child("uses_port", "system-out").unwrap().text().unwrap();
        assert!(out.contains("warning: your program ignores PORT"), "{out}");
        assert!(out.contains("hint: read PORT"), "{out}");
        assert_eq!(case("starts").attribute("classname"), Some("lab01"));
        assert_eq!(case("starts").attribute("time"), Some("0.012"));
    }
}
