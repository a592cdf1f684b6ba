//! `grade batch-merge`: a small class graded once as a whole and once as two shards, merged;
//! the merged folder must be what the whole batch wrote (times aside). And the refusals, on
//! folders made by hand: what is missing is named, exit 2; a grader error makes it exit 3.

use std::path::Path;

use serde_json::{Value, json};

use crate::batch::copy_dir;
use crate::util::*;

/// Six submissions: two correct, two broken, one on port 8000, one without its file.
const CLASS: &[(&str, &str)] = &[
    ("alice", "exercises/lab01_ip_port_http/solution"),
    ("bob", "exercises/lab01_ip_port_http/solution"),
    ("body", "tests/fixtures/lab01/wrong_body"),
    ("crash", "tests/fixtures/lab01/crashes_at_start"),
    (
        "port8000",
        "tests/fixtures/literal/lab01_httpserver_shortest",
    ),
    ("empty", ""),
];

fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap()
}

/// A summary without its times (the only thing two gradings of one class may differ in).
fn timeless(mut summary: Value) -> Value {
    summary.as_object_mut().unwrap().remove("duration_ms");
    for s in summary["submissions"].as_array_mut().unwrap() {
        s.as_object_mut().unwrap().remove("duration_ms");
    }
    summary
}

fn batch(class: &Path, out: &Path, shard: Option<&str>) -> Run {
    let mut cmd = grade();
    cmd.args([
        "batch", "lab01", "--jobs", "3", "--seed", "7", "--lang", "en",
    ])
    .arg(class)
    .arg("--out")
    .arg(out);
    if let Some(s) = shard {
        cmd.args(["--shard", s]);
    }
    run(&mut cmd)
}

#[test]
fn two_shards_merged_are_the_class_graded_at_once() {
    let class = tempfile::tempdir().unwrap();
    for (name, fixture) in CLASS {
        match *fixture {
            "" => std::fs::create_dir_all(class.path().join(name)).unwrap(),
            f => copy_dir(&root().join(f), &class.path().join(name)),
        }
    }
    // Both shards hold someone, so that the merge has something to do.
    for k in 1..=2 {
        assert!(
            CLASS
                .iter()
                .any(|(n, _)| netgrade::batch::in_shard(n, (k, 2)))
        );
    }
    let t = tempfile::tempdir().unwrap();
    let (whole, one, two, merged) = (
        t.path().join("whole"),
        t.path().join("one"),
        t.path().join("two"),
        t.path().join("merged"),
    );
    batch(class.path(), &whole, None).code(0);
    batch(class.path(), &one, Some("1/2")).code(0);
    batch(class.path(), &two, Some("2/2")).code(0);
    assert_eq!(read_json(&one.join("summary.json"))["shard"], "1/2");
    let r = run(grade()
        .args(["batch-merge", "--lang", "en"])
        .args([&one, &two])
        .arg("--out")
        .arg(&merged));
    r.code(0).stdout_has("2 folders merged, 6 graded");

    let summary = read_json(&merged.join("summary.json"));
    assert!(summary.get("shard").is_none(), "a whole class: {summary:#}");
    assert_eq!(
        timeless(summary.clone()),
        timeless(read_json(&whole.join("summary.json"))),
        "merged vs graded at once"
    );
    let status = |name: &str| {
        let s = summary["submissions"].as_array().unwrap();
        let s = s.iter().find(|s| s["name"] == name).unwrap();
        (
            s["status"].as_str().unwrap().to_string(),
            s["passed"] == true,
        )
    };
    assert_eq!(status("alice"), ("graded".into(), true));
    assert_eq!(status("body"), ("graded".into(), false));
    assert_eq!(status("empty"), ("setup".into(), false));

    // Each student's file is the one their shard wrote; the page and the CSV hold everyone.
    let html = std::fs::read_to_string(merged.join("index.html")).unwrap();
    let csv = std::fs::read_to_string(merged.join("summary.csv")).unwrap();
    assert_eq!(csv.lines().count(), CLASS.len() + 1, "{csv}");
    for (name, _) in CLASS {
        let file = format!("{name}.json");
        let shard = if one.join(&file).is_file() {
            &one
        } else {
            &two
        };
        assert_eq!(
            std::fs::read(merged.join(&file)).unwrap(),
            std::fs::read(shard.join(&file)).unwrap(),
            "{name}"
        );
        assert!(
            html.contains(&format!("class=\"name\" data-v=\"{name}\">")),
            "{name} has no row"
        );
    }
    assert!(
        html.contains("<tr data-i=\"4\" data-setup>"),
        "empty is a setup problem"
    );
    // The page of the whole batch and the merged one differ only in what differs between two
    // gradings of one submission.
    let whole_html = std::fs::read_to_string(whole.join("index.html")).unwrap();
    let (merged_page, whole_page) = (redacted(&html), redacted(&whole_html));
    for (i, (m, w)) in merged_page.lines().zip(whole_page.lines()).enumerate() {
        assert_eq!(m, w, "index.html line {}: merged vs graded at once", i + 1);
    }
    assert_eq!(merged_page.lines().count(), whole_page.lines().count());
}

/// The class page without what changes from one grading to the next: the time column (and
/// its sort value) and every number of four digits or more (the ports a grading was given).
/// Scores, counts and the charts' coordinates have fewer.
fn redacted(html: &str) -> String {
    let time = regex_lite::Regex::new(r#"data-v="\d+">\d+\.\d s<"#).unwrap();
    let port = regex_lite::Regex::new(r"\d{4,}").unwrap();
    port.replace_all(&time.replace_all(html, "<time>"), "#")
        .into_owned()
}

/// A folder as `grade batch` writes it, by hand: a summary, and a report per graded student.
fn folder(dir: &Path, lab: &str, submissions: Value) {
    std::fs::create_dir_all(dir).unwrap();
    for s in submissions.as_array().unwrap() {
        let name = s["name"].as_str().unwrap();
        let report = json!({"schema": 1, "lab": lab, "passed": s["passed"], "score": s["score"],
                            "max_score": s["max_score"], "checks": []});
        std::fs::write(dir.join(format!("{name}.json")), report.to_string()).unwrap();
    }
    let summary = json!({"schema": 1, "lab": lab, "duration_ms": 10, "submissions": submissions});
    std::fs::write(dir.join("summary.json"), summary.to_string()).unwrap();
}

fn graded(name: &str, score: f64) -> Value {
    json!({"name": name, "status": "graded", "passed": score == 10.0, "score": score,
           "max_score": 10.0, "failed": [], "warnings": [], "errors": [], "duration_ms": 5})
}

#[test]
fn folders_that_do_not_belong_together_are_refused() {
    let t = tempfile::tempdir().unwrap();
    let dir = |n: &str| t.path().join(n);
    folder(&dir("a"), "lab01", json!([graded("kim", 10.0)]));
    folder(&dir("b"), "lab06", json!([graded("lee", 10.0)]));
    folder(&dir("c"), "lab01", json!([graded("kim", 4.0)]));
    std::fs::create_dir_all(dir("empty")).unwrap();
    let merge = |folders: &[&str]| {
        let mut cmd = grade();
        cmd.arg("batch-merge").arg("--out").arg(dir("merged"));
        for f in folders {
            cmd.arg(dir(f));
        }
        run(&mut cmd)
    };
    merge(&["a", "b"])
        .code(2)
        .stderr_has("different labs")
        .stderr_has("lab06");
    merge(&["a", "c"])
        .code(2)
        .stderr_has("kim is in two folders with different results");
    merge(&["a", "empty"]).code(2).stderr_has("no summary.json");
    assert!(!dir("merged").exists(), "nothing written when refused");
    // The same student, the same result: kept once.
    merge(&["a", "a"]).code(0).stdout_has("1 graded");
}

#[test]
fn a_grader_error_in_any_shard_exits_3() {
    let t = tempfile::tempdir().unwrap();
    let a = t.path().join("a");
    let error = json!({"name": "lee", "status": "grader_error", "passed": false, "score": 0.0,
                       "max_score": 0.0, "failed": [], "warnings": [], "errors": [],
                       "message": "the grading of lab01 did not end within 120 s", "duration_ms": 120000});
    folder(&a, "lab01", json!([graded("kim", 10.0)]));
    // Its file is what the batch writes for a student without a report.
    let summary = json!({"schema": 1, "lab": "lab01", "duration_ms": 10,
                         "submissions": [graded("kim", 10.0), error]});
    std::fs::write(a.join("summary.json"), summary.to_string()).unwrap();
    let out = t.path().join("merged");
    run(grade().arg("batch-merge").arg(&a).arg("--out").arg(&out))
        .code(3)
        .stdout_has("1 grader errors");
    let own = read_json(&out.join("lee.json"));
    assert_eq!(own["status"], "grader_error");
    assert_eq!(
        own["message"],
        "the grading of lab01 did not end within 120 s"
    );
}
