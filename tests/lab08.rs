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

/// Keeping only the first subscriber of a topic (`setdefault(topic, {client})`): the second
/// one's subscription never comes into effect, its sync text reaching the first instead. The
/// hint says the messages reach one subscriber only. The checks that need two subscribers of
/// one topic cannot tell their own lesson and are skipped, saying why.
#[test]
fn first_subscriber_only_fails_every_subscriber_with_the_one_only_hint() {
    let (r, v) = variant("first_subscriber_only");
    r.code(1);
    assert_eq!(
        statuses(&v),
        expect(
            &["every_subscriber"],
            &["slow_subscriber", "subscriber_vanishes"]
        ),
        "{r}"
    );
    let (message, hint) = words(&v, "every_subscriber");
    assert!(
        message.starts_with("subscriber 2/3 subscribed to the same topic (SUB "),
        "{message}"
    );
    assert!(message.contains("went only to subscriber 1/3"), "{message}");
    assert!(
        hint.starts_with("The message reached one subscriber only."),
        "{hint}"
    );
    for id in ["slow_subscriber", "subscriber_vanishes"] {
        let (why, _) = words(&v, id);
        assert!(
            why.starts_with("not checked: this check needs two subscribers of one topic")
                && why.ends_with("(fix every_subscriber first)"),
            "{id}: {why}"
        );
    }
}

/// The broker dies of a subscriber's reset: that check fails with its traceback, and the
/// broker started again passes the next one.
#[test]
fn crashing_when_a_client_resets_fails_subscriber_vanishes() {
    let (r, v) = variant("crash_on_reset");
    r.code(1);
    assert_eq!(statuses(&v), expect(&["subscriber_vanishes"], &[]), "{r}");
    let (message, _) = words(&v, "subscriber_vanishes");
    assert_eq!(
        message, "after a subscriber reset its connection, the broker exited (exit status 1)",
        "{r}"
    );
    assert!(
        stderr(&v, "subscriber_vanishes").contains("ConnectionResetError"),
        "{r}"
    );
    assert!(restarted(&v), "{r}");
}

/// The broker survives the reset itself but dies in the publish after it (it closed the reset
/// socket and left it in its topics; `send` on it raises `OSError: [Errno 9] Bad file
/// descriptor`, which it does not catch): after the grader's first look for a crash, and with
/// the traceback reaching the grader after the remaining subscriber saw the connection end.
/// The crash is still told under `subscriber_vanishes` with that traceback, and
/// `several_publishers` passes on a broker started again (it was once refused, and told to
/// buffer lines per connection).
#[test]
fn crashing_in_the_publish_after_a_reset_is_blamed_on_subscriber_vanishes() {
    let (r, v) = variant("crash_on_send");
    r.code(1);
    assert_eq!(statuses(&v), expect(&["subscriber_vanishes"], &[]), "{r}");
    let (message, hint) = words(&v, "subscriber_vanishes");
    assert_eq!(
        message, "after a subscriber reset its connection, the broker exited (exit status 1)",
        "{r}"
    );
    assert!(
        hint.starts_with("Wrap recv and send in try/except OSError"),
        "{hint}"
    );
    let err = stderr(&v, "subscriber_vanishes");
    assert!(
        err.contains("OSError: [Errno 9] Bad file descriptor"),
        "{err}\n{r}"
    );
    assert!(check(&v, "several_publishers")["output"].is_null(), "{r}");
    assert!(restarted(&v), "{r}");
}

/// The broker's error output shown under `id`.
#[track_caller]
fn stderr(v: &serde_json::Value, id: &str) -> String {
    check(v, id)["output"]["stderr"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Whether the report says the broker was started again between checks.
fn restarted(v: &serde_json::Value) -> bool {
    v["notices"].as_array().is_some_and(|n| {
        n.iter().any(|n| {
            n.as_str()
                .is_some_and(|n| n.contains("between checks and the grader started it again"))
        })
    })
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
