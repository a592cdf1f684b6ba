//! lab01 end to end: the solutions pass, each broken variant fails exactly its check, reports
//! are snapshotted with unstable values redacted.

use crate::util::*;

const ALL: [&str; 9] = [
    "starts",
    "uses_port",
    "all_addresses",
    "startup_log",
    "status_200",
    "body",
    "client_ip",
    "not_found",
    "lan",
];

/// `lan` runs for everyone where the grading gets a private network (its private IP is then
/// a fixture address in it); elsewhere it needs `--lan` and is skipped.
fn expect(failed: &[&str], skipped: &[&str]) -> Vec<String> {
    let mut skipped = skipped.to_vec();
    if !netns_available() {
        skipped.push("lan");
    }
    expect_statuses(&ALL, failed, &skipped)
}

#[test]
fn python_solution_passes() {
    let (r, v) = grade_json("lab01", "exercises/lab01_ip_port_http/solution", &[]);
    r.code(0);
    assert_eq!(statuses(&v), expect(&[], &[]), "{r}");
    assert_eq!(v["passed"], true);
    assert_eq!(v["score"], v["max_score"]);
    assert_eq!(v["schema"], 1);
    assert_eq!(v["seed"], 7);
}

#[test]
fn flask_solution_passes() {
    let probe = std::process::Command::new(python().unwrap_or_else(|| "python3".into()))
        .args(["-c", "import flask"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        return skip("Flask is not installed for the test interpreter (scripts/test makes a venv)");
    }
    let (r, v) = grade_json("lab01", "exercises/lab01_ip_port_http/solution-flask", &[]);
    r.code(0);
    assert_eq!(statuses(&v), expect(&[], &[]), "{r}");
}

#[test]
fn rust_reference_passes_through_grade_toml() {
    let dir = reference_submission("lab01");
    let r = run(grade()
        .args(["lab01", "--format", "json", "--submission"])
        .arg(dir.path()));
    r.code(0);
    assert_eq!(statuses(&r.json()), expect(&[], &[]), "{r}");
}

/// One broken variant: the named check fails, the checks that need it are skipped, the rest pass.
fn variant(name: &str, failed: &[&str], skipped: &[&str]) {
    let (r, v) = grade_json("lab01", &format!("tests/fixtures/lab01/{name}"), &[]);
    r.code(1);
    assert_eq!(statuses(&v), expect(failed, skipped), "{r}");
    assert_eq!(v["passed"], false);
    for id in failed {
        let c = check(&v, id);
        assert!(c["message"].is_string() && c["hint"].is_string(), "{c:#}");
    }
    // Within the lab's budget (30 s) plus a margin, whatever the variant does.
    assert!(r.elapsed.as_secs() < 35, "{r}");
}

#[test]
fn hardcoded_client_ip_fails_client_ip() {
    variant("hardcoded_client_ip", &["client_ip"], &["lan"]);
}

#[test]
fn localhost_only_fails_all_addresses() {
    variant("localhost_only", &["all_addresses"], &["lan"]);
}

#[test]
fn wrong_banner_fails_startup_log() {
    variant("wrong_banner", &["startup_log"], &[]);
}

#[test]
fn always_200_fails_not_found() {
    variant("always_200", &["not_found"], &[]);
}

#[test]
fn wrong_body_fails_body_with_a_diff() {
    variant("wrong_body", &["body"], &[]);
    let (_, v) = grade_json("lab01", "tests/fixtures/lab01/wrong_body", &[]);
    let diff = check(&v, "body")["diff"].as_str().unwrap().to_string();
    assert!(diff.contains("- OK! You reached the server."), "{diff}");
    assert!(diff.contains("+ OK! You reached the server"), "{diff}");
}

const AFTER_STARTS: [&str; 8] = [
    "uses_port",
    "all_addresses",
    "startup_log",
    "status_200",
    "body",
    "client_ip",
    "not_found",
    "lan",
];

#[test]
fn crash_at_start_fails_starts_with_the_traceback_and_skips_the_rest() {
    variant("crashes_at_start", &["starts"], &AFTER_STARTS);
    let (_, v) = grade_json("lab01", "tests/fixtures/lab01/crashes_at_start", &[]);
    let starts = check(&v, "starts");
    assert!(
        starts["message"]
            .as_str()
            .unwrap()
            .contains("exit status 1"),
        "{starts:#}"
    );
    let stderr = starts["output"]["stderr"].as_str().unwrap();
    assert!(stderr.contains("RuntimeError: boom"), "{stderr}");
    let skipped = check(&v, "status_200")["message"].as_str().unwrap();
    assert!(skipped.contains("`starts`"), "{skipped}");
}

#[test]
fn never_listening_fails_starts() {
    variant("never_listens", &["starts"], &AFTER_STARTS);
}

#[test]
fn ignoring_port_only_warns_and_costs_nothing() {
    // The variant binds the seed's fixed port 8000: only inside a private network namespace.
    let sub = copy_submission(&root().join("tests/fixtures/lab01/ignores_port"));
    let mut cmd = grade();
    cmd.args(["lab01", "--format", "json", "--seed", "7", "--submission"])
        .arg(sub.path());
    let Some(mut cmd) = in_netns(&cmd) else {
        return;
    };
    let r = run(&mut cmd);
    assert_nothing_left(sub.path());
    // A program written as the course handout shows (port 8000) passes, with a warning.
    r.code(0);
    let v = r.json();
    assert_eq!(
        statuses(&v),
        expect_warned(&ALL, &[], &[], &["uses_port"]),
        "{r}"
    );
    assert_eq!(v["passed"], true);
    assert_eq!(v["score"], v["max_score"], "uses_port costs no points");
    let hint = check(&v, "uses_port")["hint"].as_str().unwrap();
    assert!(hint.contains("PORT"), "{hint}");
}

#[test]
fn lan_check_runs_inside_a_namespace_with_a_private_address() {
    let sub = copy_submission(&root().join("exercises/lab01_ip_port_http/solution"));
    let mut cmd = grade();
    cmd.args(["lab01", "--format", "json", "--lan", "--submission"])
        .arg(sub.path());
    let Some(mut cmd) = in_netns(&cmd) else {
        return;
    };
    let r = run(&mut cmd);
    r.code(0);
    assert_eq!(statuses(&r.json()), expect(&[], &[]), "{r}");

    let sub = copy_submission(&root().join("tests/fixtures/lab01/localhost_only"));
    let mut cmd = grade();
    cmd.args(["lab01", "--format", "json", "--lan", "--submission"])
        .arg(sub.path());
    let mut cmd = in_netns(&cmd).expect("available a moment ago");
    let r = run(&mut cmd);
    r.code(1);
    let v = r.json();
    // Bound to 127.0.0.1: all_addresses fails, and lan, the same lesson, waits on it.
    assert_eq!(check(&v, "all_addresses")["status"], "failed", "{r}");
    assert_eq!(check(&v, "lan")["status"], "skipped", "{r}");
    let msg = check(&v, "lan")["message"].as_str().unwrap();
    assert!(msg.contains("all_addresses"), "{msg}");
}

#[test]
fn only_runs_the_check_and_its_prerequisites() {
    let (r, v) = grade_json(
        "lab01",
        "exercises/lab01_ip_port_http/solution",
        &["--only", "body"],
    );
    r.code(0);
    let passed: Vec<String> = statuses(&v)
        .into_iter()
        .filter(|s| s.ends_with("=passed"))
        .collect();
    assert_eq!(
        passed,
        ["starts=passed", "status_200=passed", "body=passed"]
    );
    // Checks not run count in neither the score nor the maximum: 5/5, not 5/10.
    assert_eq!(
        (v["score"].as_f64(), v["max_score"].as_f64()),
        (Some(5.0), Some(5.0))
    );
    assert_eq!(
        v["only"],
        serde_json::json!(["starts", "status_200", "body"])
    );
    let r = run(grade()
        .args(["lab01", "--only", "body", "--submission"])
        .arg(root().join("exercises/lab01_ip_port_http/solution")));
    r.code(0)
        .stdout_has("PASS · score 5/5")
        .stdout_has("--only: 3 of 9 checks were run");
}

#[test]
fn same_seed_same_probes() {
    let (_, a) = grade_json("lab01", "tests/fixtures/lab01/hardcoded_client_ip", &[]);
    let (_, b) = grade_json("lab01", "tests/fixtures/lab01/hardcoded_client_ip", &[]);
    assert_eq!(
        check(&a, "client_ip")["expected"],
        check(&b, "client_ip")["expected"]
    );
}

fn human(fixture: &str, lang: &str) -> String {
    let sub = copy_submission(&root().join(fixture));
    let r = run(grade()
        .args(["lab01", "--seed", "7", "--lang", lang, "--submission"])
        .arg(sub.path()));
    assert_nothing_left(sub.path());
    redact(&r.stdout)
}

#[test]
fn report_snapshots() {
    insta::assert_snapshot!(
        "human_pass_en",
        human("exercises/lab01_ip_port_http/solution", "en")
    );
    insta::assert_snapshot!(
        "human_fail_ko",
        human("tests/fixtures/lab01/crashes_at_start", "ko")
    );
    insta::assert_snapshot!(
        "human_fail_en",
        human("tests/fixtures/lab01/hardcoded_client_ip", "en")
    );
    let (_, v) = grade_json("lab01", "tests/fixtures/lab01/wrong_body", &[]);
    let json = redact(&serde_json::to_string_pretty(&v).unwrap());
    insta::assert_snapshot!("json_fail", json);
    let (_, v) = grade_json("lab01", "exercises/lab01_ip_port_http/solution", &[]);
    let json = redact(&serde_json::to_string_pretty(&v).unwrap());
    insta::assert_snapshot!("json_pass", json);
}
