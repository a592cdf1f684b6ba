//! lab08 end to end: the student's publish-subscribe broker (the grader plays its publishers
//! and subscribers: topics with similar names, three subscribers of one topic, UNSUB, one that
//! stops reading, one that resets, three publishers at once) and pull worker (three at once
//! against the grader's ventilator and sink).

use crate::util::*;

const ALL: [&str; 16] = [
    "starts",
    "uses_port",
    "delivers",
    "exact_topic",
    "every_subscriber",
    "unsub",
    "slow_subscriber",
    "subscriber_vanishes",
    "several_publishers",
    "client_ready",
    "client_results",
    "client_none_lost",
    "client_no_duplicates",
    "client_one_at_a_time",
    "client_spread",
    "client_exits",
];

fn expect(failed: &[&str], skipped: &[&str]) -> Vec<String> {
    expect_statuses(&ALL, failed, skipped)
}

fn variant(name: &str) -> (Run, serde_json::Value) {
    grade_json("lab08", &format!("tests/fixtures/lab08/{name}"), &[])
}

#[track_caller]
fn words(v: &serde_json::Value, id: &str) -> (String, String) {
    let c = check(v, id);
    let text = |k: &str| c[k].as_str().unwrap_or_default().to_string();
    (text("message"), text("hint"))
}

#[test]
fn rust_reference_passes_through_grade_toml() {
    let dir = tempfile::tempdir().unwrap();
    let bin = grade_bin().display().to_string();
    let toml = format!(
        "[lab08.server]\ncommand = [{bin:?}, \"reference\", \"lab08\", \"broker\"]\n\
         [lab08.client]\ncommand = [{bin:?}, \"reference\", \"lab08\", \"worker\"]\n"
    );
    std::fs::write(dir.path().join("grade.toml"), toml).unwrap();
    let r = run(grade()
        .args(["lab08", "--format", "json", "--submission"])
        .arg(dir.path()));
    r.code(0);
    assert_eq!(statuses(&r.json()), expect(&[], &[]), "{r}");
}

#[test]
fn python_solution_passes() {
    let (r, v) = grade_json("lab08", "exercises/lab08_patterns/solution", &[]);
    r.code(0);
    assert_eq!(statuses(&v), expect(&[], &[]), "{r}");
}

/// Prefix matching (ZeroMQ's filter): a subscriber of `news-xxxx` also gets `news-xxxx2`.
#[test]
fn prefix_matching_fails_exact_topic_with_the_prefix_hint() {
    let (r, v) = variant("prefix_topic");
    r.code(1);
    assert_eq!(statuses(&v), expect(&["exact_topic"], &[]), "{r}");
    let (message, hint) = words(&v, "exact_topic");
    assert!(message.contains("also received"), "{message}");
    assert!(hint.contains("startswith"), "{hint}");
}

#[test]
fn one_subscriber_per_topic_fails_every_subscriber() {
    let (r, v) = variant("one_subscriber_per_topic");
    r.code(1);
    assert_eq!(statuses(&v), expect(&["every_subscriber"], &[]), "{r}");
    let (message, hint) = words(&v, "every_subscriber");
    assert!(message.contains("subscriber 3/3: 3/3"), "{message}");
    assert!(hint.contains("setdefault"), "{hint}");
}

/// A blocking sendall to a subscriber that stopped reading stalls the broker: the other
/// subscriber stops getting messages.
#[test]
fn a_blocking_send_fails_slow_subscriber() {
    let (r, v) = variant("blocking_send");
    r.code(1);
    assert_eq!(statuses(&v), expect(&["slow_subscriber"], &[]), "{r}");
    let (message, _) = words(&v, "slow_subscriber");
    assert!(message.contains("/ 2048"), "{message}");
}

/// The broker dies of a subscriber's reset: that check fails, and the broker started again
/// passes the next one.
#[test]
fn crashing_when_a_client_resets_fails_subscriber_vanishes() {
    let (r, v) = variant("crash_on_reset");
    r.code(1);
    assert_eq!(statuses(&v), expect(&["subscriber_vanishes"], &[]), "{r}");
    let (message, _) = words(&v, "subscriber_vanishes");
    assert!(message.contains("the broker exited"), "{message}");
}

#[test]
fn a_worker_that_leaves_with_a_task_fails_client_none_lost() {
    let (r, v) = variant("loses_task");
    r.code(1);
    assert_eq!(statuses(&v), expect(&["client_none_lost"], &[]), "{r}");
    let (message, _) = words(&v, "client_none_lost");
    assert!(message.contains("never answered"), "{message}");
}

#[test]
fn a_worker_that_answers_twice_fails_client_no_duplicates() {
    let (r, v) = variant("answers_twice");
    r.code(1);
    assert_eq!(statuses(&v), expect(&["client_no_duplicates"], &[]), "{r}");
}

#[test]
fn a_hoarding_worker_fails_client_one_at_a_time() {
    let (r, v) = variant("hoards");
    r.code(1);
    assert_eq!(statuses(&v), expect(&["client_one_at_a_time"], &[]), "{r}");
    let (message, _) = words(&v, "client_one_at_a_time");
    assert!(message.contains("held at once"), "{message}");
}

/// Killed at the grader's deadline, and only `client_exits` says so.
#[test]
fn a_worker_that_ignores_end_fails_client_exits() {
    let (r, v) = variant("never_exits");
    r.code(1);
    assert_eq!(statuses(&v), expect(&["client_exits"], &[]), "{r}");
    let (message, hint) = words(&v, "client_exits");
    assert!(
        message.contains("after every connection was sent END"),
        "{message}"
    );
    assert!(hint.contains("break"), "{hint}");
}

/// A worker that never asks again after its first task: the work stalls (the grader notices
/// within seconds), `client_none_lost` says the workers stopped asking, and `client_exits` does
/// not blame a worker for waiting when no `END` ever went out.
#[test]
fn a_worker_that_stops_asking_fails_client_none_lost_only() {
    let (r, v) = variant("stops_asking");
    r.code(1);
    assert_eq!(statuses(&v), expect(&["client_none_lost"], &[]), "{r}");
    let (message, hint) = words(&v, "client_none_lost");
    assert!(message.contains("stopped asking"), "{message}");
    assert!(hint.contains("READY again"), "{hint}");
    let note = check(&v, "client_exits")["message"]
        .as_str()
        .unwrap_or_default();
    assert!(note.contains("waiting for work"), "{v:#}");
}
