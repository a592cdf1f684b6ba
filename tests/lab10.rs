//! lab10 end to end: the grader makes a CA and four certificates per grading and serves them
//! on loopback with a stalling server; each broken variant fails the check its mistake owns.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::*;

const ALL: [&str; 11] = [
    "connects",
    "version",
    "subject",
    "status",
    "body",
    "sni",
    "wrong_host",
    "unknown_ca",
    "expired",
    "stall",
    "clear_error",
];

fn expect(failed: &[&str], skipped: &[&str]) -> Vec<String> {
    expect_statuses(&ALL, failed, skipped)
}

fn graded(fixture: &str) -> (Run, serde_json::Value) {
    grade_json("lab10", fixture, &[])
}

#[test]
fn python_solution_passes() {
    let (r, v) = graded("exercises/lab10_tls/solution");
    r.code(0);
    assert_eq!(statuses(&v), expect(&[], &[]), "{r}");
}

/// Seed 7 draws a TLS 1.2-only valid server, seed 1 a TLS 1.3-only one: both are graded.
#[test]
fn python_solution_passes_with_either_tls_version() {
    let sub = copy_submission(&root().join("exercises/lab10_tls/solution"));
    let r = run(grade()
        .args([
            "lab10", "--format", "json", "--seed", "1", "--only", "version",
        ])
        .arg("--submission")
        .arg(sub.path()));
    r.code(0);
    assert_nothing_left(sub.path());
}

#[test]
fn rust_reference_passes_through_grade_toml() {
    let dir = reference_submission("lab10");
    let r = run(grade()
        .args(["lab10", "--format", "json", "--submission"])
        .arg(dir.path()));
    r.code(0);
    assert_eq!(statuses(&r.json()), expect(&[], &[]), "{r}");
}

/// `CERT_NONE` accepts every certificate; `getpeercert()` is then `{}`, so the subject is
/// lost too, with a hint that says why. `clear_error` has no refused run to read.
#[test]
fn cert_none_fails_every_refusal() {
    let (r, v) = graded("tests/fixtures/lab10/cert_none");
    r.code(1);
    assert_eq!(
        statuses(&v),
        expect(
            &["subject", "wrong_host", "unknown_ca", "expired"],
            &["clear_error"]
        ),
        "{r}"
    );
    for id in ["subject", "wrong_host", "unknown_ca", "expired"] {
        assert!(hint(&v, id).contains("CERT_NONE"), "{id}\n{r}");
    }
}

#[test]
fn check_hostname_false_fails_wrong_host() {
    let (r, v) = graded("tests/fixtures/lab10/check_hostname_false");
    r.code(1);
    assert_eq!(statuses(&v), expect(&["wrong_host"], &[]), "{r}");
    assert!(
        hint(&v, "wrong_host").contains("check_hostname = False"),
        "{r}"
    );
}

/// Without `server_hostname` there is no SNI, and `ssl` then demands `check_hostname = False`:
/// two lessons missed, each check names its own.
#[test]
fn no_server_hostname_fails_sni_and_wrong_host() {
    let (r, v) = graded("tests/fixtures/lab10/no_sni");
    r.code(1);
    assert_eq!(statuses(&v), expect(&["sni", "wrong_host"], &[]), "{r}");
    assert!(hint(&v, "sni").contains("server_hostname"), "{r}");
    assert!(hint(&v, "wrong_host").contains("server_hostname"), "{r}");
}

/// A client that refuses TLS 1.2, against seed 7's TLS 1.2-only valid server: rustls stops
/// the handshake before choosing a certificate, so `connects` says so and hints at the
/// version, not at CAFILE, and does not claim that no ClientHello arrived.
#[test]
fn tls13_only_fails_connects_with_the_version_hint() {
    let (r, v) = grade_json(
        "lab10",
        "tests/fixtures/lab10/tls13_only",
        &["--only", "connects"],
    );
    r.code(1);
    assert_eq!(check(&v, "connects")["status"], "failed", "{r}");
    let m = check(&v, "connects")["message"].as_str().unwrap();
    assert!(m.contains("only TLSv1.2"), "{m}");
    assert!(hint(&v, "connects").contains("minimum_version"), "{r}");
}

#[test]
fn no_timeout_fails_stall_within_its_limit() {
    let t0 = Instant::now();
    let (r, v) = graded("tests/fixtures/lab10/no_timeout");
    r.code(1);
    assert_eq!(statuses(&v), expect(&["stall"], &[]), "{r}");
    assert!(
        check(&v, "stall")["message"]
            .as_str()
            .unwrap()
            .contains("(6 s)"),
        "{r}"
    );
    assert!(t0.elapsed() < Duration::from_secs(40), "{r}");
}

#[test]
fn traceback_fails_only_clear_error() {
    let (r, v) = graded("tests/fixtures/lab10/traceback");
    r.code(1);
    assert_eq!(statuses(&v), expect(&["clear_error"], &[]), "{r}");
    let m = check(&v, "clear_error")["message"].as_str().unwrap();
    assert!(m.contains("traceback"), "{m}");
    assert!(m.contains("SSLCertVerificationError"), "{m}");
}

/// `grade reference lab10 serve CAFILE` writes the CA and lists one URL per server, and the
/// reference client verifies against it.
#[test]
fn reference_serve_lists_the_servers_and_writes_the_ca() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    let mut server = Command::new(grade_bin())
        .args(["reference", "lab10", "serve"])
        .arg(&ca)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let mut urls = Vec::new();
    for _ in 0..7 {
        match lines.next() {
            Some(Ok(l)) if l.contains("https://") => urls.push(l),
            Some(Ok(_)) => {}
            _ => break,
        }
    }
    let client = |url: &str| {
        let url = url.split_whitespace().nth(1).unwrap().to_string();
        run(Command::new(grade_bin())
            .args(["reference", "lab10", &url])
            .arg(&ca))
    };
    let runs = (urls.len() == 5).then(|| (client(&urls[0]), client(&urls[3])));
    let _ = server.kill();
    let _ = server.wait();
    let Some((valid, expired)) = runs else {
        panic!("expected five servers, got {urls:?}");
    };
    assert!(
        std::fs::read_to_string(&ca)
            .unwrap()
            .contains("BEGIN CERTIFICATE")
    );
    valid.code(0).stdout_has("[HTTP] status=200");
    expired
        .code(1)
        .stdout_has("[ERROR] certificate verify failed");
}

/// Not a TLS client: 40 bytes of a ClientHello, then the connection closes and the program
/// exits 0. The grader says what it saw: a handshake record begun, never a whole ClientHello
/// (not "no ClientHello arrived"); and for the stalling server, an end by itself with status
/// 0 and no time-out line (not "status 0 although it timed out").
#[test]
fn half_a_client_hello_is_called_what_it_is() {
    let (r, v) = graded("tests/fixtures/hostile/lab10_half_hello");
    r.code(1);
    let m = check(&v, "connects")["message"].as_str().unwrap();
    assert!(
        m.contains(
            "received 40 bytes that begin a TLS handshake record, but never a whole ClientHello"
        ),
        "{m}"
    );
    let m = check(&v, "stall")["message"].as_str().unwrap();
    assert!(
        m.contains(
            "it ended by itself with exit status 0, and printed no line saying it timed out"
        ),
        "{m}"
    );
    assert!(!m.contains("although it timed out"), "{m}");
}
