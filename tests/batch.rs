//! `grade batch`: a class of 22 lab01 submissions (correct ones, broken variants, hostile
//! programs, programs that hard-code port 8000, one missing its file, one that snoops on its
//! classmates) graded four at a time. Every verdict is checked, nothing is left running, the
//! results are complete, and a submission reaches neither its classmates nor the results.

use std::path::Path;

use crate::util::*;

/// (folder name in the class, fixture to copy, expected `status:failed ids:warnings`).
const CLASS: &[(&str, &str, &str)] = &[
    ("alice1", "exercises/lab01_ip_port_http/solution", "pass"),
    ("alice2", "exercises/lab01_ip_port_http/solution", "pass"),
    ("alice3", "exercises/lab01_ip_port_http/solution", "pass"),
    ("alice4", "exercises/lab01_ip_port_http/solution", "pass"),
    ("ref", "REFERENCE", "pass"),
    (
        "port8000a",
        "tests/fixtures/literal/lab01_httpserver_shortest",
        "pass:-:uses_port",
    ),
    (
        "port8000b",
        "tests/fixtures/literal/lab01_httpserver_shortest",
        "pass:-:uses_port",
    ),
    (
        "port8000c",
        "tests/fixtures/literal/lab01_httpserver_shortest",
        "pass:-:uses_port",
    ),
    (
        "hardcoded",
        "tests/fixtures/lab01/hardcoded_client_ip",
        "fail:client_ip",
    ),
    (
        "localonly",
        "tests/fixtures/lab01/localhost_only",
        "fail:all_addresses",
    ),
    (
        "banner",
        "tests/fixtures/lab01/wrong_banner",
        "fail:startup_log",
    ),
    (
        "always200",
        "tests/fixtures/lab01/always_200",
        "fail:not_found",
    ),
    ("body", "tests/fixtures/lab01/wrong_body", "fail:body"),
    (
        "crash",
        "tests/fixtures/lab01/crashes_at_start",
        "fail:starts",
    ),
    ("daemon", "tests/fixtures/hostile/daemonizes", "pass"),
    ("sigterm", "tests/fixtures/hostile/ignores_sigterm", "pass"),
    ("hog", "tests/fixtures/hostile/memory_hog", "fail:starts"),
    (
        "silent",
        "tests/fixtures/hostile/never_answers",
        "fail:status_200,not_found",
    ),
    ("forks", "tests/fixtures/hostile/fork_loop", "pass"),
    ("loud", "tests/fixtures/hostile/prints_2gb", "pass"),
    ("snoop", "tests/fixtures/isolation/snoops", "pass"),
    ("empty", "NONE", "setup"),
];

fn make_class(dir: &Path) {
    for (name, fixture, _) in CLASS {
        let to = dir.join(name);
        match *fixture {
            "NONE" => std::fs::create_dir_all(&to).unwrap(),
            "REFERENCE" => {
                let r = reference_submission("lab01");
                copy_dir(r.path(), &to);
            }
            f => copy_dir(&root().join(f), &to),
        }
    }
}

pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn ids(v: &serde_json::Value) -> String {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn a_class_of_22_is_graded_four_at_a_time_and_isolated() {
    if !netns_available() {
        return skip("namespaces are needed for the isolated batch");
    }
    let class = tempfile::tempdir().unwrap();
    make_class(class.path());
    let out = tempfile::tempdir().unwrap();
    let r = run(grade()
        .args([
            "batch",
            "lab01",
            "--jobs",
            "4",
            "--seed",
            "7",
            "--pass-env",
            "SNOOP_OUT",
        ])
        .env("SNOOP_OUT", out.path())
        .arg(class.path())
        .arg("--out")
        .arg(out.path()));
    r.code(0);
    assert_nothing_left(class.path());
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["schema"], 1);
    assert_eq!(summary["lab"], "lab01");
    let subs = summary["submissions"].as_array().unwrap();
    assert_eq!(subs.len(), CLASS.len(), "{summary:#}");
    for (name, _, want) in CLASS {
        let s = subs
            .iter()
            .find(|s| s["name"] == *name)
            .unwrap_or_else(|| panic!("{name} missing"));
        let seen = match s["status"].as_str().unwrap() {
            "setup" => "setup".to_string(),
            "graded" => {
                let verdict = if s["passed"] == true { "pass" } else { "fail" };
                let (failed, warned) = (ids(&s["failed"]), ids(&s["warnings"]));
                match (failed.is_empty(), warned.is_empty()) {
                    (true, true) => verdict.to_string(),
                    (true, false) => format!("{verdict}:-:{warned}"),
                    (false, true) => format!("{verdict}:{failed}"),
                    (false, false) => format!("{verdict}:{failed}:{warned}"),
                }
            }
            other => panic!("{name}: {other}: {s:#}\n{r}"),
        };
        assert_eq!(seen, *want, "{name}: {s:#}\n{r}");
        // Every student has a file: a schema-1 report, or what happened instead.
        let own: serde_json::Value = serde_json::from_slice(
            &std::fs::read(out.path().join(format!("{name}.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(own["schema"], 1, "{name}");
    }
    let csv = std::fs::read_to_string(out.path().join("summary.csv")).unwrap();
    assert_eq!(csv.lines().count(), CLASS.len() + 1, "{csv}");
    assert!(
        csv.starts_with("name,status,passed,score,max_score"),
        "{csv}"
    );
    let html = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    // Each student is a row of the class table (their name alone would also match words of
    // the page itself, such as `body`).
    for (name, _, _) in CLASS {
        let row = format!("class=\"name\" data-v=\"{name}\">");
        assert!(html.contains(&row), "{name} has no row in index.html");
    }

    // The snoop saw only itself, and changed nothing.
    let snoop = std::fs::read_to_string(class.path().join("snoop/snoop.txt")).unwrap();
    assert!(snoop.contains("class_dir=snoop\n"), "{snoop}");
    assert!(
        snoop.contains("read_neighbour=FileNotFoundError"),
        "{snoop}"
    );
    assert!(
        snoop.contains("append_neighbour=FileNotFoundError"),
        "{snoop}"
    );
    assert!(!snoop.contains("write_results=yes"), "{snoop}");
    let alice =
        std::fs::read_to_string(class.path().join("alice1/labs/01_ip_port_http/app.py")).unwrap();
    assert!(!alice.contains("pwned"));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("alice1.json")).unwrap()).unwrap();
    assert_eq!(report["passed"], true, "the neighbour's report is intact");
}

/// `--shard K/N` splits a class into stable parts that cover it exactly once.
#[test]
fn shards_cover_the_class_once() {
    let class = tempfile::tempdir().unwrap();
    for i in 0..6 {
        std::fs::create_dir_all(class.path().join(format!("s{i}"))).unwrap();
    }
    let mut seen = Vec::new();
    for k in 1..=3 {
        let out = tempfile::tempdir().unwrap();
        let r = run(grade()
            .args(["batch", "lab01", "--shard", &format!("{k}/3"), "--out"])
            .arg(out.path())
            .arg(class.path()));
        r.code(0);
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.path().join("summary.json")).unwrap())
                .unwrap();
        for s in summary["submissions"].as_array().unwrap() {
            assert_eq!(
                s["status"], "setup",
                "no file: a setup problem, graded as such"
            );
            seen.push(s["name"].as_str().unwrap().to_string());
        }
    }
    seen.sort();
    assert_eq!(seen, ["s0", "s1", "s2", "s3", "s4", "s5"]);
}

#[test]
fn results_inside_the_class_folder_are_refused() {
    let class = tempfile::tempdir().unwrap();
    let r = run(grade()
        .args(["batch", "lab01"])
        .arg(class.path())
        .arg("--out")
        .arg(class.path().join("results")));
    r.code(2);
}
