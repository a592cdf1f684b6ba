//! lab03 end to end: the grader plays the server (reference lab01 with a fresh token in every
//! body); hermetic mode adds `localhost` with two addresses, port 80 and a fallback name.

use crate::util::*;

const ALL: [&str; 11] = [
    "runs",
    "input_line",
    "dns_section",
    "tcp_line",
    "ipv6_brackets",
    "status",
    "body_preview",
    "status_codes",
    "default_port",
    "refused",
    "fallback_address",
];

fn expect(failed: &[&str], skipped: &[&str]) -> Vec<String> {
    expect_statuses(&ALL, failed, skipped)
}

fn hermetic(fixture: &str) -> Option<(Run, serde_json::Value)> {
    hermetic_json("lab03", fixture)
}

#[test]
fn python_solution_passes_in_hermetic_mode() {
    let Some((r, v)) = hermetic("exercises/lab03_client/solution") else {
        return;
    };
    r.code(0);
    assert_eq!(statuses(&v), expect(&[], &[]), "{r}");
}

#[test]
fn rust_reference_passes_through_grade_toml() {
    if !netns_available() {
        return skip("namespaces are not available for hermetic mode");
    }
    let dir = reference_submission("lab03");
    let r = run(grade()
        .args([
            "lab03",
            "--format",
            "json",
            "--hermetic",
            "on",
            "--submission",
        ])
        .arg(dir.path()));
    r.code(0);
    assert_eq!(statuses(&r.json()), expect(&[], &[]), "{r}");
}

#[test]
fn without_namespaces_port_80_and_fallback_are_skipped() {
    let (r, v) = grade_json(
        "lab03",
        "exercises/lab03_client/solution",
        &["--hermetic", "off"],
    );
    r.code(0);
    assert_eq!(
        statuses(&v),
        expect(&[], &["default_port", "fallback_address"]),
        "{r}"
    );
    assert_eq!(v["score"], v["max_score"], "{r}");
}

#[test]
fn hard_coded_output_fails_what_it_cannot_know() {
    let Some((r, v)) = hermetic("tests/fixtures/lab03/hardcoded") else {
        return;
    };
    r.code(1);
    for id in [
        "input_line",
        "dns_section",
        "tcp_line",
        "body_preview",
        "status_codes",
        "refused",
    ] {
        assert_eq!(check(&v, id)["status"], "failed", "{id}\n{r}");
    }
    let m = check(&v, "body_preview")["message"].as_str().unwrap();
    assert!(m.contains("token"), "{m}");
}

#[test]
fn always_200_fails_status_codes() {
    let Some((r, v)) = hermetic("tests/fixtures/lab03/always_200") else {
        return;
    };
    r.code(1);
    assert_eq!(statuses(&v), expect(&["status_codes"], &[]), "{r}");
}

#[test]
fn traceback_on_refused_fails_refused() {
    let Some((r, v)) = hermetic("tests/fixtures/lab03/traceback_refused") else {
        return;
    };
    r.code(1);
    assert_eq!(statuses(&v), expect(&["refused"], &[]), "{r}");
}

#[test]
fn port_8000_by_default_fails_default_port() {
    let Some((r, v)) = hermetic("tests/fixtures/lab03/port_8000_default") else {
        return;
    };
    r.code(1);
    assert_eq!(statuses(&v), expect(&["default_port"], &[]), "{r}");
}

#[test]
fn first_address_only_fails_fallback_address() {
    let Some((r, v)) = hermetic("tests/fixtures/lab03/first_address_only") else {
        return;
    };
    r.code(1);
    assert_eq!(statuses(&v), expect(&["fallback_address"], &[]), "{r}");
}

#[test]
fn human_report_snapshot() {
    if !netns_available() {
        return skip("namespaces are not available for hermetic mode");
    }
    let sub = copy_submission(&root().join("tests/fixtures/lab03/hardcoded"));
    let r = run(grade()
        .args([
            "lab03",
            "--seed",
            "7",
            "--lang",
            "en",
            "--hermetic",
            "on",
            "--submission",
        ])
        .arg(sub.path()));
    r.code(1);
    insta::assert_snapshot!("lab03_human_fail_en", redact(&r.stdout));
}

/// One concept per check: the bracket rule is its own advisory check, so a client that
/// prints `::1:PORT` keeps `tcp_line` and `fallback_address` and passes with a warning.
#[test]
fn ipv6_without_brackets_only_warns() {
    let Some((r, v)) = hermetic("tests/fixtures/lab03/ipv6_no_brackets") else {
        return;
    };
    r.code(0);
    assert_eq!(
        statuses(&v),
        expect_warned(&ALL, &[], &[], &["ipv6_brackets"]),
        "{r}"
    );
    assert_eq!(v["passed"], true);
    let w = check(&v, "ipv6_brackets");
    assert!(w["message"].as_str().unwrap().contains("brackets"), "{w}");
    assert!(w["expected"].as_str().unwrap().contains("[::1]:"), "{w}");
}

/// Port 80 and the fixture inside a user namespace, as a non-root student would have them.
#[test]
fn hermetic_mode_works_for_an_unprivileged_user() {
    let sub = copy_submission(&root().join("exercises/lab03_client/solution"));
    let args = ["lab03", "--format", "json", "--hermetic", "on"];
    let Some(r) = grade_unprivileged(&args, sub.path()) else {
        return;
    };
    r.code(0);
    assert_eq!(statuses(&r.json()), expect(&[], &[]), "{r}");
    assert_nothing_left(sub.path());
}
