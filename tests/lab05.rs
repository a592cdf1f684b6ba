//! lab05 end to end: the student's line-echo TCP server (the grader plays its clients: lines
//! in one write, one byte at a time, 64 KiB, twenty at once, one that resets) and TCP client
//! (the grader plays its server with a counterpart answering whole or in pieces).

use crate::util::*;

const ALL: [&str; 13] = [
    "starts",
    "uses_port",
    "echo",
    "several_lines",
    "split_writes",
    "long_line",
    "concurrent",
    "client_vanishes",
    "client_runs",
    "client_replies",
    "client_fragmented",
    "client_long_reply",
    "client_refused",
];

fn expect(failed: &[&str], skipped: &[&str]) -> Vec<String> {
    expect_statuses(&ALL, failed, skipped)
}

fn variant(name: &str) -> (Run, serde_json::Value) {
    grade_json("lab05", &format!("tests/fixtures/lab05/{name}"), &[])
}

#[test]
fn rust_reference_passes_through_grade_toml() {
    let dir = tempfile::tempdir().unwrap();
    let bin = grade_bin().display().to_string();
    let toml = format!(
        "[lab05.server]\ncommand = [{bin:?}, \"reference\", \"lab05\", \"server\"]\n\
         [lab05.client]\ncommand = [{bin:?}, \"reference\", \"lab05\", \"client\"]\n"
    );
    std::fs::write(dir.path().join("grade.toml"), toml).unwrap();
    let r = run(grade()
        .args(["lab05", "--format", "json", "--submission"])
        .arg(dir.path()));
    r.code(0);
    assert_eq!(statuses(&r.json()), expect(&[], &[]), "{r}");
}

#[test]
fn python_solution_passes() {
    let (r, v) = grade_json("lab05", "exercises/lab05_tcp_echo/solution", &[]);
    r.code(0);
    assert_eq!(statuses(&v), expect(&[], &[]), "{r}");
}

/// One recv taken as one message: the framing lesson, taught by the three checks that send
/// lines together, in pieces and long, each with the same hint.
#[test]
fn recv_1024_as_a_message_fails_the_framing_checks() {
    let (r, v) = variant("recv_1024_as_message");
    r.code(1);
    let failed = ["several_lines", "split_writes", "long_line"];
    assert_eq!(statuses(&v), expect(&failed, &[]), "{r}");
    for id in failed {
        let h = check(&v, id)["hint"].as_str().unwrap();
        assert!(h.contains("recv"), "{id}: {h}");
    }
}

#[test]
fn one_client_at_a_time_fails_concurrent() {
    let (r, v) = variant("one_client_at_a_time");
    r.code(1);
    assert_eq!(
        statuses(&v),
        expect(&["concurrent"], &["client_vanishes"]),
        "{r}"
    );
    let h = check(&v, "concurrent")["hint"].as_str().unwrap();
    assert!(h.contains("thread"), "{h}");
}

#[test]
fn crashing_when_a_client_resets_fails_client_vanishes() {
    let (r, v) = variant("crash_on_reset");
    r.code(1);
    assert_eq!(statuses(&v), expect(&["client_vanishes"], &[]), "{r}");
    let m = check(&v, "client_vanishes")["message"].as_str().unwrap();
    assert!(m.contains("exited"), "{m}");
}

/// A reply with a label added is not the reply: client_replies fails with the label hint, and
/// the checks that print replies the same way wait on it.
#[test]
fn a_client_that_labels_replies_fails_client_replies() {
    let (r, v) = variant("client_labels_replies");
    r.code(1);
    let skipped = ["client_fragmented", "client_long_reply"];
    assert_eq!(statuses(&v), expect(&["client_replies"], &skipped), "{r}");
    let h = check(&v, "client_replies")["hint"].as_str().unwrap();
    assert!(h.contains("Received data"), "{h}");
}

#[test]
fn a_traceback_on_refusal_fails_client_refused() {
    let (r, v) = variant("client_traceback_on_refused");
    r.code(1);
    assert_eq!(statuses(&v), expect(&["client_refused"], &[]), "{r}");
}
