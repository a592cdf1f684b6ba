//! What each platform documents, as checks on what `grade` wrote: JUnit as GitHub's report
//! actions, GitLab and Jenkins read it; Gradescope's `results.json` ("Autograder
//! Specifications"); GitHub Classroom's autograding result (the command grader's fields);
//! GitHub's workflow commands.

use std::collections::BTreeSet;

/// JUnit as GitHub's report actions, GitLab and Jenkins read it: `<testsuites>` /
/// `<testsuite>` with integer counts that match the cases, cases with `name`, `classname` and
/// a `time` in seconds, at most one of `<failure>`, `<error>`, `<skipped>`, each with a
/// `message`. Returns each case as (id, its outcome element or "passed", its text).
#[track_caller]
pub fn junit_cases(xml: &str) -> Vec<(String, String, String)> {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites: Vec<_> = root.children().filter(|n| n.is_element()).collect();
    assert_eq!(suites.len(), 1, "one suite per lab");
    let suite = suites[0];
    assert_eq!(suite.tag_name().name(), "testsuite");
    assert_eq!(suite.attribute("name"), Some("lab01"));
    let count = |attr: &str| -> usize { suite.attribute(attr).unwrap().parse().unwrap() };
    let mut cases = Vec::new();
    let (mut failures, mut errors, mut skipped) = (0, 0, 0);
    for case in suite.children().filter(|n| n.has_tag_name("testcase")) {
        assert_eq!(case.attribute("classname"), Some("lab01"));
        let time: f64 = case.attribute("time").unwrap().parse().unwrap();
        assert!((0.0..60.0).contains(&time), "time in seconds: {time}");
        let outcomes: Vec<_> = case
            .children()
            .filter(|n| ["failure", "error", "skipped"].contains(&n.tag_name().name()))
            .collect();
        assert!(outcomes.len() <= 1);
        let (kind, text) = match outcomes.first() {
            Some(o) => {
                assert!(o.attribute("message").is_some_and(|m| !m.is_empty()));
                match o.tag_name().name() {
                    "failure" => failures += 1,
                    "error" => errors += 1,
                    _ => skipped += 1,
                }
                (
                    o.tag_name().name().to_string(),
                    o.text().unwrap_or("").into(),
                )
            }
            None => ("passed".to_string(), String::new()),
        };
        let out = case
            .children()
            .find(|n| n.has_tag_name("system-out"))
            .and_then(|n| n.text())
            .unwrap_or("");
        let title = case
            .descendants()
            .find(|n| n.has_tag_name("property") && n.attribute("name") == Some("title"))
            .and_then(|n| n.attribute("value"))
            .expect("a title property");
        // The title is readable in the case's main text, whatever the viewer shows.
        assert!(
            text.starts_with(title) || out.starts_with(title),
            "{title}: {text} / {out}"
        );
        cases.push((
            case.attribute("name").unwrap().to_string(),
            kind,
            format!("{text}{out}"),
        ));
    }
    assert_eq!(count("tests"), cases.len());
    assert_eq!(count("failures"), failures);
    assert_eq!(count("errors"), errors);
    assert_eq!(count("skipped"), skipped);
    cases
}

/// Gradescope's `results.json`: only documented keys, with their documented types.
#[track_caller]
pub fn check_gradescope_fields(v: &serde_json::Value) {
    let top: BTreeSet<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    let documented = [
        "score",
        "execution_time",
        "output",
        "output_format",
        "test_output_format",
        "test_name_format",
        "visibility",
        "stdout_visibility",
        "extra_data",
        "tests",
        "leaderboard",
    ];
    assert!(top.iter().all(|k| documented.contains(k)), "{top:?}");
    assert!(v["score"].is_number());
    assert!(v["execution_time"].is_u64(), "whole seconds");
    assert!(v["output"].is_string());
    assert_eq!(v["output_format"], "text");
    assert!(v["extra_data"].is_object());
    let per_test = [
        "score",
        "max_score",
        "status",
        "name",
        "name_format",
        "number",
        "output",
        "output_format",
        "tags",
        "visibility",
        "extra_data",
    ];
    for t in v["tests"].as_array().unwrap() {
        let keys: BTreeSet<&str> = t.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        assert!(keys.iter().all(|k| per_test.contains(k)), "{keys:?}");
        assert!(t["score"].is_number() && t["max_score"].is_number(), "{t}");
        assert!(
            ["passed", "failed"].contains(&t["status"].as_str().unwrap()),
            "{t}"
        );
        assert!(t["name"].is_string() && t["number"].is_string(), "{t}");
        assert!(t["output"].is_string(), "{t}");
        let visibility = t["visibility"].as_str().unwrap();
        assert!(
            ["hidden", "after_due_date", "after_published", "visible"].contains(&visibility),
            "{t}"
        );
    }
}

/// Gradescope's tests by our check id (kept in `extra_data`).
pub fn gradescope_test<'a>(v: &'a serde_json::Value, id: &str) -> Option<&'a serde_json::Value> {
    v["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["extra_data"]["id"] == id)
}

/// GitHub Classroom's result: the command grader's fields, and points that add up.
#[track_caller]
pub fn check_classroom_fields(v: &serde_json::Value) {
    let keys: BTreeSet<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    assert_eq!(
        keys,
        BTreeSet::from(["version", "status", "max_score", "tests"])
    );
    assert_eq!(v["version"], 1);
    assert!(["pass", "fail", "error"].contains(&v["status"].as_str().unwrap()));
    assert!(v["max_score"].is_number());
    for t in v["tests"].as_array().unwrap() {
        let keys: BTreeSet<&str> = t.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        let expected = [
            "name",
            "status",
            "score",
            "message",
            "test_code",
            "filename",
            "line_no",
            "duration",
        ];
        assert_eq!(keys, BTreeSet::from(expected), "{t}");
        assert!(["pass", "fail", "error"].contains(&t["status"].as_str().unwrap()));
        assert!(t["score"].is_number() && t["line_no"] == 0 && t["duration"].is_u64());
    }
}

pub fn classroom_test<'a>(v: &'a serde_json::Value, id: &str) -> Option<&'a serde_json::Value> {
    let prefix = format!("{id}: ");
    v["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"].as_str().unwrap().starts_with(&prefix))
}

/// The points GitHub Classroom records: every test's score added up.
pub fn classroom_points(v: &serde_json::Value) -> f64 {
    v["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["score"].as_f64().unwrap())
        .sum()
}

/// The workflow commands on stdout: each `::name props::data` line, with its name.
/// The `::error` and `::warning` commands of `stdout` (report notices, `::notice`, are left
/// out: a shared network is named in one on every machine without namespaces).
pub fn workflow_commands(stdout: &str) -> Vec<(String, String)> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("::"))
        .filter(|l| !l.starts_with("notice "))
        .map(|l| {
            let (name, rest) = l.split_once(' ').unwrap_or((l, ""));
            (name.to_string(), rest.to_string())
        })
        .collect()
}
