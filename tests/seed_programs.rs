//! The course documents' own programs (`tests/fixtures/seed_programs/`, adapted only where a
//! student must: file name, `PORT`, arguments; see `EXPECTED.md` there). Students submit exactly
//! these, so what the grader says about each is pinned: every failure is the program's real
//! mistake, with a hint that matches it, and one mistake fails one check.

use crate::util::*;

fn seed(lab: &str, name: &str) -> (Run, serde_json::Value) {
    grade_json(lab, &format!("tests/fixtures/seed_programs/{name}"), &[])
}

#[track_caller]
fn hint(v: &serde_json::Value, id: &str) -> String {
    check(v, id)["hint"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Seed 001's UDP server answers one datagram, with a fixed sentence, and exits; its client
/// sends once and waits forever, printing a timestamp and a tuple.
#[test]
fn seed001_udp_fails_echo_keeps_serving_reply_line_and_gives_up() {
    let (r, v) = seed("lab04", "seed001_udp");
    r.code(1);
    let all = [
        ("starts", "passed"),
        ("uses_port", "passed"),
        ("echo", "failed"),
        ("keeps_serving", "failed"),
        ("reply_address", "skipped"),
        ("max_size", "skipped"),
        ("korean", "skipped"),
        ("bad_bytes", "skipped"),
        ("client_runs", "passed"),
        ("client_reply_line", "failed"),
        ("client_no_extra_sends", "passed"),
        ("client_gives_up", "failed"),
        ("client_retries", "skipped"),
    ];
    let want: Vec<String> = all.iter().map(|(id, s)| format!("{id}={s}")).collect();
    assert_eq!(statuses(&v), want, "{r}");
    let echo = check(&v, "echo");
    assert!(
        echo["actual"].as_str().unwrap().contains("절 부르셨나요?"),
        "{echo}"
    );
    assert!(hint(&v, "keeps_serving").contains("while True"));
    assert!(hint(&v, "client_gives_up").contains("settimeout"));
}

/// Seed 002's UDP client sends and closes without reading: no reply line, and against a
/// silent server it ends at once with status 0.
#[test]
fn seed002_udp_client_fails_reply_line_and_gives_up() {
    let (r, v) = seed("lab04", "seed002_udp_client");
    r.code(1);
    let failed: Vec<String> = statuses(&v)
        .into_iter()
        .filter(|s| !s.ends_with("=passed"))
        .collect();
    assert_eq!(
        failed,
        [
            "client_reply_line=failed",
            "client_gives_up=failed",
            "client_retries=skipped"
        ],
        "{r}"
    );
    let m = check(&v, "client_gives_up")["message"].as_str().unwrap();
    assert!(m.contains("exit status is 0"), "{m}");
}
