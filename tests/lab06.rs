//! lab06 end to end: the student's `http.server` web server. The grader plays its clients: an
//! ordinary HTTP client (status, POST, a request while another connection idles, the printed
//! URL) and raw bytes (the header and body as sent, a broken request line).

use std::process::Command;

use crate::util::*;

const ALL: [&str; 10] = [
    "starts",
    "uses_port",
    "startup_line",
    "status_200",
    "content_type",
    "body",
    "content_length",
    "unsupported_method",
    "malformed_request",
    "concurrent",
];

fn expect(failed: &[&str], skipped: &[&str]) -> Vec<String> {
    expect_statuses(&ALL, failed, skipped)
}

fn variant(name: &str) -> (Run, serde_json::Value) {
    grade_json("lab06", &format!("tests/fixtures/lab06/{name}"), &[])
}

#[test]
fn rust_reference_passes_through_grade_toml() {
    let sub = reference_submission("lab06");
    let r = run(grade()
        .args(["lab06", "--format", "json", "--submission"])
        .arg(sub.path()));
    r.code(0);
    assert_eq!(statuses(&r.json()), expect(&[], &[]), "{r}");
}

#[test]
fn python_solution_passes() {
    let (r, v) = grade_json("lab06", "exercises/lab06_http_server/solution", &[]);
    r.code(0);
    assert_eq!(statuses(&v), expect(&[], &[]), "{r}");
    // The solution sends a real status line for a broken request: no HTTP/0.9 note.
    assert!(check(&v, "malformed_request")["message"].is_null(), "{r}");
}

#[test]
fn no_content_length_fails_content_length_only() {
    let (r, v) = variant("no_content_length");
    r.code(1);
    assert_eq!(statuses(&v), expect(&["content_length"], &[]), "{r}");
    assert!(hint(&v, "content_length").contains("len(body)"), "{r}");
}

#[test]
fn a_wrong_content_length_fails_with_the_mismatch_hint() {
    let (r, v) = variant("wrong_content_length");
    r.code(1);
    assert_eq!(statuses(&v), expect(&["content_length"], &[]), "{r}");
    let c = check(&v, "content_length");
    assert_eq!(c["expected"], "Content-Length: 14", "{r}");
    assert_eq!(c["actual"], "Content-Length: 13", "{r}");
    assert!(hint(&v, "content_length").contains("len(body)"), "{r}");
}

#[test]
fn text_plain_fails_content_type_only() {
    let (r, v) = variant("wrong_content_type");
    r.code(1);
    assert_eq!(statuses(&v), expect(&["content_type"], &[]), "{r}");
    assert!(
        check(&v, "content_type")["actual"]
            .as_str()
            .unwrap()
            .contains("text/plain"),
        "{r}"
    );
}

#[test]
fn one_connection_at_a_time_fails_concurrent_only() {
    let (r, v) = variant("single_threaded");
    r.code(1);
    assert_eq!(statuses(&v), expect(&["concurrent"], &[]), "{r}");
    assert!(hint(&v, "concurrent").contains("ThreadingHTTPServer"));
}

#[test]
fn the_seeds_empty_host_fails_startup_line_with_its_hint() {
    let (r, v) = variant("seed_startup_line");
    r.code(1);
    assert_eq!(statuses(&v), expect(&["startup_line"], &[]), "{r}");
    let c = check(&v, "startup_line");
    assert!(c["actual"].as_str().unwrap().starts_with("http://:"), "{r}");
    assert!(hint(&v, "startup_line").contains("http://:8000"), "{r}");
}

#[test]
fn printing_0_0_0_0_fails_startup_line_with_its_own_hint() {
    let (r, v) = variant("any_address_url");
    r.code(1);
    assert_eq!(statuses(&v), expect(&["startup_line"], &[]), "{r}");
    assert!(hint(&v, "startup_line").contains("0.0.0.0"), "{r}");
}

/// The server dies of a POST: unsupported_method says so, and is the only failure (the grader
/// starts the server again for the checks after it).
#[test]
fn a_server_that_dies_of_post_fails_unsupported_method_only() {
    let (r, v) = variant("crash_on_post");
    r.code(1);
    assert_eq!(statuses(&v), expect(&["unsupported_method"], &[]), "{r}");
    let m = check(&v, "unsupported_method")["message"].as_str().unwrap();
    assert!(m.contains("exited"), "{m}");
    assert!(hint(&v, "unsupported_method").contains("serve_forever"));
}

/// A literal program on the seed's fixed port 8000, inside a namespace made for the test.
fn literal(name: &str) -> Option<(Run, serde_json::Value)> {
    let sub = copy_submission(&root().join(format!("tests/fixtures/literal/{name}")));
    let mut cmd = grade();
    cmd.args(["lab06", "--format", "json", "--seed", "7", "--submission"])
        .arg(sub.path());
    let mut cmd = in_netns(&cmd)?;
    let r = run(&mut cmd);
    assert_nothing_left(sub.path());
    let v = r.json();
    Some((r, v))
}

/// Flask instead of `http.server`: graded on what it does, which is all right, with the port
/// advice as a warning. Its broken-request answer is werkzeug's HTTP/0.9-style page, accepted.
#[test]
fn a_literal_flask_app_passes_with_a_port_warning() {
    let probe = Command::new(python().unwrap_or_else(|| "python3".into()))
        .args(["-c", "import flask"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        return skip("Flask is not installed for the test interpreter");
    }
    let Some((r, v)) = literal("lab06_flask_literal") else {
        return;
    };
    r.code(0);
    assert_eq!(
        statuses(&v),
        expect_warned(&ALL, &[], &[], &["uses_port"]),
        "{r}"
    );
    assert!(
        check(&v, "malformed_request")["message"]
            .as_str()
            .unwrap()
            .contains("HTTP/0.9"),
        "{r}"
    );
}

/// The shortest `http.server` program: no startup line, no Content-Length, one connection at a
/// time. Three real mistakes, three failures, each with its own hint.
#[test]
fn the_shortest_http_server_fails_its_three_real_mistakes() {
    let Some((r, v)) = literal("lab06_httpserver_shortest") else {
        return;
    };
    r.code(1);
    assert_eq!(
        statuses(&v),
        expect_warned(
            &ALL,
            &["startup_line", "content_length", "concurrent"],
            &[],
            &["uses_port"]
        ),
        "{r}"
    );
    let m = check(&v, "startup_line")["message"].as_str().unwrap();
    assert!(m.contains("http://"), "{m}");
}

#[test]
fn human_report_in_korean_names_the_empty_host() {
    let sub = copy_submission(&root().join("tests/fixtures/lab06/seed_startup_line"));
    let r = run(grade()
        .args(["lab06", "--lang", "ko", "--color", "never", "--submission"])
        .arg(sub.path()));
    r.code(1);
    r.stdout_has("호스트가 비어 있어서");
    r.stdout_has("127.0.0.1을 출력하세요");
    assert_nothing_left(sub.path());
}
