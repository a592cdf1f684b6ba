//! The course documents' own programs (`tests/fixtures/seed_programs/`, adapted only where a
//! student must: file name, `PORT`, arguments; see `EXPECTED.md` there). Students submit exactly
//! these, so what the grader says about each is pinned: every failure is the program's real
//! mistake, with a hint that matches it, and one mistake fails one check.

use crate::util::*;

fn seed(lab: &str, name: &str) -> (Run, serde_json::Value) {
    grade_json(lab, &format!("tests/fixtures/seed_programs/{name}"), &[])
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

fn not_passed(v: &serde_json::Value) -> Vec<String> {
    statuses(v)
        .into_iter()
        .filter(|s| !s.ends_with("=passed"))
        .collect()
}

/// Seed 001's TCP server serves one connection with a fixed sentence (no newline) and exits;
/// its client prints a timestamp and a label, and crashes on a refused connection.
#[test]
fn seed001_tcp_fails_echo_replies_and_refused() {
    let (r, v) = seed("lab05", "seed001_tcp");
    r.code(1);
    assert_eq!(
        not_passed(&v),
        [
            "echo=failed",
            "several_lines=skipped",
            "split_writes=skipped",
            "long_line=skipped",
            "concurrent=skipped",
            "client_vanishes=skipped",
            "client_replies=failed",
            "client_fragmented=skipped",
            "client_long_reply=skipped",
            "client_refused=failed",
        ],
        "{r}"
    );
    let echo = check(&v, "echo");
    assert!(
        echo["actual"].as_str().unwrap().contains("절 부르셨나요?"),
        "{echo}"
    );
}

/// Seed 002's TCP client prints `Received data: ` before the reply, and crashes on refusal.
#[test]
fn seed002_tcp_client_fails_replies_with_the_label_hint_and_refused() {
    let (r, v) = seed("lab05", "seed002_tcp_client");
    r.code(1);
    assert_eq!(
        not_passed(&v),
        [
            "client_replies=failed",
            "client_fragmented=skipped",
            "client_long_reply=skipped",
            "client_refused=failed",
        ],
        "{r}"
    );
    assert!(hint(&v, "client_replies").contains("Received data"));
}

/// Seed 003's threaded server takes each recv(1024) as one message: it fails the framing
/// checks (with the framing hint), and nothing about threads. Its client doubles the prefix
/// and exits 0 on a refused connection.
#[test]
fn seed003_threaded_fails_the_framing_lesson() {
    let (r, v) = seed("lab05", "seed003_threaded");
    r.code(1);
    assert_eq!(
        not_passed(&v),
        [
            "several_lines=failed",
            "split_writes=failed",
            "long_line=failed",
            "client_replies=failed",
            "client_fragmented=skipped",
            "client_long_reply=skipped",
            "client_refused=failed",
        ],
        "{r}"
    );
    assert!(hint(&v, "long_line").contains("recv(1024)"));
    assert!(hint(&v, "split_writes").contains("decode"));
}

/// Seed 002's `http.server` program: the empty host of `http://:PORT`, no Content-Length, one
/// connection at a time. Its broken-request answer (Python 3.11's HTTP/0.9-style 400 page,
/// with no status line) is accepted, as EXPECTED.md explains.
#[test]
fn seed002_http_server_fails_startup_line_content_length_and_concurrent() {
    let (r, v) = seed("lab06", "seed002_http_server");
    r.code(1);
    assert_eq!(
        not_passed(&v),
        [
            "startup_line=failed",
            "content_length=failed",
            "concurrent=failed",
        ],
        "{r}"
    );
    assert!(hint(&v, "startup_line").contains("http://:8000"));
    assert!(hint(&v, "content_length").contains("Content-Length"));
    assert!(hint(&v, "concurrent").contains("ThreadingHTTPServer"));
}
