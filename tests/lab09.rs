//! lab09 end to end: the student's WebSocket chat server (the grader plays its clients: two or
//! three at a time, fifteen messages at once, one that vanishes with a reset) and chat client
//! (the grader plays its server, a room that records, pushes and closes, and types its input).
//! The programs need the `websockets` library: without it in the test interpreter the tests
//! skip (fail under NETGRADE_STRICT=1; scripts/test installs it). Besides the broken variants
//! of the solution, student-written clients under `tests/fixtures/literal/lab09_client_*`
//! (each with a server of its own that passes) pin the shapes the handout leads to.

use std::process::Command;

use crate::util::*;

const ALL: [&str; 14] = [
    "starts",
    "uses_port",
    "handshake",
    "sender_receives",
    "broadcast",
    "unchanged",
    "order",
    "client_leaves",
    "client_connects",
    "client_sends",
    "client_prints",
    "client_pushed",
    "client_exits",
    "client_server_closes",
];

fn expect(failed: &[&str], skipped: &[&str]) -> Vec<String> {
    expect_statuses(&ALL, failed, skipped)
}

pub fn websockets_available() -> bool {
    let probe = Command::new(python().unwrap_or_else(|| "python3".into()))
        .args(["-c", "import websockets.asyncio.server"])
        .output();
    if probe.is_ok_and(|o| o.status.success()) {
        return true;
    }
    skip("websockets is not installed for the test interpreter (scripts/test makes a venv)");
    false
}

fn variant(name: &str) -> Option<(Run, serde_json::Value)> {
    websockets_available()
        .then(|| grade_json("lab09", &format!("tests/fixtures/lab09/{name}"), &[]))
}

/// A student-written submission under `tests/fixtures/literal/`.
fn literal(name: &str) -> Option<(Run, serde_json::Value)> {
    websockets_available()
        .then(|| grade_json("lab09", &format!("tests/fixtures/literal/{name}"), &[]))
}

#[test]
fn rust_reference_passes_through_grade_toml() {
    let dir = tempfile::tempdir().unwrap();
    let bin = grade_bin().display().to_string();
    let toml = format!(
        "[lab09.server]\ncommand = [{bin:?}, \"reference\", \"lab09\", \"server\"]\n\
         [lab09.client]\ncommand = [{bin:?}, \"reference\", \"lab09\", \"client\"]\n"
    );
    std::fs::write(dir.path().join("grade.toml"), toml).unwrap();
    let r = run(grade()
        .args(["lab09", "--format", "json", "--submission"])
        .arg(dir.path()));
    r.code(0);
    assert_eq!(statuses(&r.json()), expect(&[], &[]), "{r}");
}

#[test]
fn python_solution_passes() {
    if !websockets_available() {
        return;
    }
    let (r, v) = grade_json("lab09", "exercises/lab09_websocket/solution", &[]);
    r.code(0);
    assert_eq!(statuses(&v), expect(&[], &[]), "{r}");
}

/// Only the sender gets its message back: an echo server. The checks that build on the
/// broadcast wait on it.
#[test]
fn an_echo_server_fails_broadcast() {
    let Some((r, v)) = variant("echo_only_to_sender") else {
        return;
    };
    r.code(1);
    let skipped = ["unchanged", "order", "client_leaves"];
    assert_eq!(statuses(&v), expect(&["broadcast"], &skipped), "{r}");
    let m = check(&v, "broadcast")["message"].as_str().unwrap();
    assert!(m.contains("echo server"), "{m}");
}

#[test]
fn leaving_out_the_sender_fails_sender_receives() {
    let Some((r, v)) = variant("others_only") else {
        return;
    };
    r.code(1);
    let skipped = ["order", "client_leaves"];
    assert_eq!(statuses(&v), expect(&["sender_receives"], &skipped), "{r}");
    let m = check(&v, "sender_receives")["message"].as_str().unwrap();
    assert!(m.contains("the other client received it"), "{m}");
}

/// No try/finally: a client that vanished stays in the set, and the next message sent to it
/// kills the sender's handler. Only a reset shows it (the grader's other clients say goodbye
/// with a close frame, so the other checks are not touched by it).
#[test]
fn a_room_that_keeps_a_vanished_client_fails_client_leaves() {
    let Some((r, v)) = variant("room_breaks_when_client_leaves") else {
        return;
    };
    r.code(1);
    assert_eq!(statuses(&v), expect(&["client_leaves"], &[]), "{r}");
    let h = check(&v, "client_leaves")["hint"].as_str().unwrap();
    assert!(h.contains("finally"), "{h}");
}

#[test]
fn messages_kept_in_a_set_fail_order() {
    let Some((r, v)) = variant("reorders") else {
        return;
    };
    r.code(1);
    assert_eq!(statuses(&v), expect(&["order"], &[]), "{r}");
    let m = check(&v, "order")["message"].as_str().unwrap();
    assert!(m.contains("out of the order"), "{m}");
}

/// input() then recv() in one loop: the pushed message shows only after the next line, which
/// the grader types to tell this apart from never printing it.
#[test]
fn a_client_that_prints_after_its_next_input_fails_client_pushed() {
    let Some((r, v)) = variant("prints_after_next_input") else {
        return;
    };
    r.code(1);
    let failed = ["client_pushed"];
    assert_eq!(
        statuses(&v),
        expect(&failed, &["client_server_closes"]),
        "{r}"
    );
    let c = check(&v, "client_pushed");
    let m = c["message"].as_str().unwrap();
    assert!(m.contains("only once the next line was typed"), "{m}");
    assert!(c["hint"].as_str().unwrap().contains("task"), "{c}");
}

/// The sender's address before each message: found by its token, so the broadcast passes and
/// only `unchanged` fails, showing what was added.
#[test]
fn a_server_that_adds_the_sender_fails_unchanged_alone() {
    let Some((r, v)) = variant("adds_sender_name") else {
        return;
    };
    r.code(1);
    assert_eq!(statuses(&v), expect(&["unchanged"], &[]), "{r}");
    let m = check(&v, "unchanged")["message"].as_str().unwrap();
    assert!(m.contains("the server added to it"), "{m}");
}

/// `for line in sys.stdin` without rstrip: each message ends with `\n`, and the hint says so.
#[test]
fn a_client_that_sends_the_newline_fails_client_sends_with_its_hint() {
    let Some((r, v)) = variant("sends_the_newline") else {
        return;
    };
    r.code(1);
    let skipped = ["client_prints", "client_pushed", "client_server_closes"];
    assert_eq!(statuses(&v), expect(&["client_sends"], &skipped), "{r}");
    let h = check(&v, "client_sends")["hint"].as_str().unwrap();
    assert!(h.contains("newline"), "{h}");
}

/// `print(message)`: the messages are there, without "< ": the format hint, not the general one.
#[test]
fn a_client_that_prints_without_the_prefix_fails_client_prints_with_its_hint() {
    let Some((r, v)) = variant("prints_without_prefix") else {
        return;
    };
    r.code(1);
    let skipped = ["client_pushed", "client_server_closes"];
    assert_eq!(statuses(&v), expect(&["client_prints"], &skipped), "{r}");
    let h = check(&v, "client_prints")["hint"].as_str().unwrap();
    assert!(h.contains("another shape"), "{h}");
}

/// No removal at all, and `await client.send()` to each: the first send to a connection that
/// closed raises in the sender's handler. Every check before `client_leaves` has a server of
/// its own, so the grader's departed clients of earlier checks are never in its room: the
/// failure is `client_leaves`'s, whatever order Python's set iterates in.
#[test]
fn a_room_that_never_removes_closed_connections_fails_client_leaves_alone() {
    let Some((r, v)) = variant("never_removes_closed") else {
        return;
    };
    r.code(1);
    assert_eq!(statuses(&v), expect(&["client_leaves"], &[]), "{r}");
    let m = check(&v, "client_leaves")["message"].as_str().unwrap();
    assert!(m.contains("did not get every message"), "{m}");
    let h = hint(&v, "client_leaves");
    assert!(
        h.contains("however it ends") && h.contains("finally"),
        "{h}"
    );
}

/// The handout's shape with input() in a daemon thread. The grader's stdin is a pipe, so when
/// the server closes first CPython aborts at shutdown over stdin's lock, which the thread
/// holds (in a terminal it exits 0): that abort alone passes, with a note that says why.
#[test]
fn a_daemon_thread_in_input_passes_with_a_note_on_the_shutdown_abort() {
    let Some((r, v)) = literal("lab09_client_daemon_input") else {
        return;
    };
    r.code(0);
    assert_eq!(statuses(&v), expect(&[], &[]), "{r}");
    let note = check(&v, "client_server_closes")["message"]
        .as_str()
        .unwrap();
    assert!(
        note.contains("SIGABRT") && note.contains("terminal"),
        "{note}"
    );
    // At the end of input the thread has returned: nothing to explain there.
    assert!(check(&v, "client_exits")["message"].is_null(), "{r}");
}

/// The handout's shape with sys.stdin.readline() in a daemon thread that sends from there:
/// it ends cleanly both ways, with nothing to note.
#[test]
fn a_daemon_thread_in_readline_passes() {
    let Some((r, v)) = literal("lab09_client_daemon_readline") else {
        return;
    };
    r.code(0);
    assert_eq!(statuses(&v), expect(&[], &[]), "{r}");
    assert!(
        check(&v, "client_server_closes")["message"].is_null(),
        "{r}"
    );
}

/// input() through loop.run_in_executor: messages come while it waits (client_pushed passes),
/// and EOF ends it; but the executor's thread is not a daemon, so once the server closed
/// asyncio.run waits for it in input() for ever (in a terminal too, until Enter). The grader
/// then closes its input, sees it end, and says what held it.
#[test]
fn input_through_run_in_executor_cannot_end_when_the_server_closes() {
    let Some((r, v)) = literal("lab09_client_executor_input") else {
        return;
    };
    r.code(1);
    let failed = ["client_server_closes"];
    assert_eq!(statuses(&v), expect(&failed, &[]), "{r}");
    let m = check(&v, "client_server_closes")["message"]
        .as_str()
        .unwrap();
    assert!(
        m.contains("did not end within 5 s of the server closing"),
        "{m}"
    );
    assert!(m.contains("something still waited for input"), "{m}");
    let h = hint(&v, "client_server_closes");
    assert!(
        h.contains("run_in_executor") && h.contains("daemon=True"),
        "{h}"
    );
}

/// input(), send(), then receive until nothing came for 0.3 s or 1.0 s: the echoes are printed,
/// but the grader pushes only after a quiet time longer than either window, when the client
/// is back in input(), so the message shows only after the next line.
#[test]
fn a_client_that_receives_for_a_moment_after_each_line_fails_client_pushed() {
    for name in [
        "lab09_client_recv_window_short",
        "lab09_client_recv_window_long",
    ] {
        let Some((r, v)) = literal(name) else {
            return;
        };
        r.code(1);
        let skipped = ["client_server_closes"];
        assert_eq!(
            statuses(&v),
            expect(&["client_pushed"], &skipped),
            "{name}\n{r}"
        );
        let m = check(&v, "client_pushed")["message"].as_str().unwrap();
        assert!(
            m.contains("only once the next line was typed"),
            "{name}: {m}"
        );
        let h = hint(&v, "client_pushed");
        assert!(h.contains("time-out") && h.contains("task"), "{name}: {h}");
    }
}
