//! lab07 end to end: the student's `requests` client against the grader's httpbin-compatible
//! service, which records every request, its connection and its times. One broken variant per
//! mistake the catalogue names; each fails its own check and nothing else.

use crate::util::*;

const ALL: [&str; 9] = [
    "runs",
    "get_params",
    "post_json",
    "session",
    "not_found",
    "no_retry_4xx",
    "retries",
    "backoff",
    "timeout",
];

fn expect(failed: &[&str], skipped: &[&str]) -> Vec<String> {
    expect_statuses(&ALL, failed, skipped)
}

/// Grades `fixture` when `requests` is there to run it.
fn graded(fixture: &str) -> Option<(Run, serde_json::Value)> {
    requests_available().then(|| grade_json("lab07", fixture, &[]))
}

fn variant(name: &str) -> Option<(Run, serde_json::Value)> {
    graded(&format!("tests/fixtures/lab07/{name}"))
}

#[track_caller]
fn text_of(v: &serde_json::Value, id: &str, key: &str) -> String {
    check(v, id)[key].as_str().unwrap_or_default().to_string()
}

#[test]
fn rust_reference_passes_through_grade_toml() {
    let sub = reference_submission("lab07");
    let r = run(grade()
        .args(["lab07", "--format", "json", "--submission"])
        .arg(sub.path()));
    r.code(0);
    assert_eq!(statuses(&r.json()), expect(&[], &[]), "{r}");
}

#[test]
fn python_solution_passes() {
    let Some((r, v)) = graded("exercises/lab07_http_client/solution") else {
        return;
    };
    r.code(0);
    assert_eq!(statuses(&v), expect(&[], &[]), "{r}");
    assert_eq!(v["score"], v["max_score"], "{r}");
}

#[test]
fn no_session_fails_session_only() {
    let Some((r, v)) = variant("no_session") else {
        return;
    };
    r.code(1);
    assert_eq!(statuses(&v), expect(&["session"], &[]), "{r}");
    let m = text_of(&v, "session", "message");
    assert!(m.contains("7 requests came on 7 TCP connections"), "{m}");
    assert!(text_of(&v, "session", "hint").contains("requests.Session()"));
}

/// One request outside the session (`requests.post()` for the POST) and the rest through it:
/// two connections, one time-out later. Counted against the time-outs, this passed.
#[test]
fn post_outside_session_fails_session_only() {
    let Some((r, v)) = variant("post_outside_session") else {
        return;
    };
    r.code(1);
    assert_eq!(statuses(&v), expect(&["session"], &[]), "{r}");
    let m = text_of(&v, "session", "message");
    assert!(
        m.contains("7 requests came on 2 TCP connections: 1 opened a new one")
            && m.contains("POST /post"),
        "{m}"
    );
}

#[test]
fn form_data_fails_post_json_with_the_form_hint() {
    let Some((r, v)) = variant("form_data") else {
        return;
    };
    r.code(1);
    assert_eq!(statuses(&v), expect(&["post_json"], &[]), "{r}");
    assert!(text_of(&v, "post_json", "message").contains("form data"));
    assert!(text_of(&v, "post_json", "actual").contains("x-www-form-urlencoded"));
    assert!(text_of(&v, "post_json", "hint").contains("json="));
}

/// Without a time-out the program waits the whole 5 s of `/delay/5`: graded once it has, far
/// within the grader's own limit, and only `timeout` fails.
#[test]
fn no_timeout_fails_timeout_only_and_is_graded_in_time() {
    let Some((r, v)) = variant("no_timeout") else {
        return;
    };
    r.code(1);
    assert_eq!(statuses(&v), expect(&["timeout"], &[]), "{r}");
    let m = text_of(&v, "timeout", "message");
    assert!(m.contains("no time-out"), "{m}");
    assert!(r.elapsed < std::time::Duration::from_secs(20), "{r}");
}

#[test]
fn no_retries_fails_retries_and_skips_backoff() {
    let Some((r, v)) = variant("no_retries") else {
        return;
    };
    r.code(1);
    assert_eq!(statuses(&v), expect(&["retries"], &["backoff"]), "{r}");
    assert!(text_of(&v, "retries", "message").contains("did not try again"));
}

#[test]
fn retries_too_fast_fails_backoff_with_the_sleep_hint() {
    let Some((r, v)) = variant("retries_too_fast") else {
        return;
    };
    r.code(1);
    assert_eq!(statuses(&v), expect(&["backoff"], &[]), "{r}");
    assert!(text_of(&v, "backoff", "hint").contains("time.sleep"));
}

#[test]
fn retries_on_4xx_fails_no_retry_4xx_only() {
    let Some((r, v)) = variant("retries_on_4xx") else {
        return;
    };
    r.code(1);
    assert_eq!(statuses(&v), expect(&["no_retry_4xx"], &[]), "{r}");
    let m = text_of(&v, "no_retry_4xx", "message");
    assert!(m.contains("4 times"), "{m}");
}
