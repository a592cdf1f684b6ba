//! lab04 end to end: the student's UDP echo server (the grader plays its clients, from random
//! loopback sources) and UDP client (the grader plays its server with a counterpart that
//! answers, drops the first datagram, or stays silent, and counts the sends).

use crate::util::*;

const ALL: [&str; 13] = [
    "starts",
    "uses_port",
    "echo",
    "keeps_serving",
    "reply_address",
    "max_size",
    "korean",
    "bad_bytes",
    "client_runs",
    "client_reply_line",
    "client_no_extra_sends",
    "client_gives_up",
    "client_retries",
];

fn expect(failed: &[&str], skipped: &[&str]) -> Vec<String> {
    expect_statuses(&ALL, failed, skipped)
}

fn variant(name: &str) -> (Run, serde_json::Value) {
    grade_json("lab04", &format!("tests/fixtures/lab04/{name}"), &[])
}

#[test]
fn rust_reference_passes_through_grade_toml() {
    let dir = tempfile::tempdir().unwrap();
    let bin = grade_bin().display().to_string();
    let toml = format!(
        "[lab04.server]\ncommand = [{bin:?}, \"reference\", \"lab04\", \"server\"]\n\
         [lab04.client]\ncommand = [{bin:?}, \"reference\", \"lab04\", \"client\"]\n"
    );
    std::fs::write(dir.path().join("grade.toml"), toml).unwrap();
    let r = run(grade()
        .args(["lab04", "--format", "json", "--submission"])
        .arg(dir.path()));
    r.code(0);
    assert_eq!(statuses(&r.json()), expect(&[], &[]), "{r}");
}

#[test]
fn python_solution_passes() {
    let (r, v) = grade_json("lab04", "exercises/lab04_udp_echo/solution", &[]);
    r.code(0);
    assert_eq!(statuses(&v), expect(&[], &[]), "{r}");
}

/// The handout's first server answers one datagram and exits. It is started again before each
/// check, so only the check about serving on fails (and those that need several datagrams to
/// one process wait on it), with the hint about the loop.
#[test]
fn one_reply_then_exit_fails_keeps_serving_only() {
    let (r, v) = variant("one_reply_then_exit");
    r.code(1);
    let skipped = ["reply_address", "bad_bytes"];
    assert_eq!(statuses(&v), expect(&["keeps_serving"], &skipped), "{r}");
    let hint = check(&v, "keeps_serving")["hint"].as_str().unwrap();
    assert!(hint.contains("while True"), "{hint}");
    assert_eq!(v["fix_first"]["id"], "keeps_serving");
}

#[test]
fn replying_to_a_fixed_address_fails_reply_address() {
    let (r, v) = variant("fixed_reply_address");
    r.code(1);
    assert_eq!(statuses(&v), expect(&["reply_address"], &[]), "{r}");
}

#[test]
fn recvfrom_1024_fails_max_size_with_the_buffer_hint() {
    let (r, v) = variant("truncates_1024");
    r.code(1);
    assert_eq!(statuses(&v), expect(&["max_size"], &[]), "{r}");
    let hint = check(&v, "max_size")["hint"].as_str().unwrap();
    assert!(hint.contains("recvfrom(1024)"), "{hint}");
}

#[test]
fn dying_on_bytes_that_are_not_utf8_fails_bad_bytes() {
    let (r, v) = variant("dies_on_bad_bytes");
    r.code(1);
    assert_eq!(statuses(&v), expect(&["bad_bytes"], &[]), "{r}");
}

#[test]
fn a_client_that_never_resends_fails_client_retries() {
    let (r, v) = variant("client_never_retries");
    r.code(1);
    assert_eq!(statuses(&v), expect(&["client_retries"], &[]), "{r}");
    let hint = check(&v, "client_retries")["hint"].as_str().unwrap();
    assert!(hint.contains("never again"), "{hint}");
}

/// No time-out: it never gives up (its own lesson), and resending, built on the time-out,
/// waits on that.
#[test]
fn a_client_that_blocks_forever_fails_client_gives_up() {
    let (r, v) = variant("client_blocks_forever");
    r.code(1);
    let failed = ["client_gives_up"];
    assert_eq!(statuses(&v), expect(&failed, &["client_retries"]), "{r}");
    let c = check(&v, "client_gives_up");
    assert!(c["message"].as_str().unwrap().contains("limit 5 s"), "{c}");
    assert!(c["hint"].as_str().unwrap().contains("settimeout"), "{c}");
}

/// A student who has written the server but not yet the client is graded on the server; the
/// client's checks say the file is missing.
#[test]
fn a_missing_client_file_fails_only_the_client_checks() {
    let sub = copy_submission(&root().join("exercises/lab04_udp_echo/solution"));
    std::fs::remove_file(sub.path().join("labs/04_udp_echo/udp_client.py")).unwrap();
    let r = run(grade()
        .args(["lab04", "--format", "json", "--submission"])
        .arg(sub.path()));
    assert_nothing_left(sub.path());
    r.code(1);
    let v = r.json();
    let skipped = [
        "client_reply_line",
        "client_no_extra_sends",
        "client_gives_up",
        "client_retries",
    ];
    assert_eq!(statuses(&v), expect(&["client_runs"], &skipped), "{r}");
    let m = check(&v, "client_runs")["message"].as_str().unwrap();
    assert!(m.contains("labs/04_udp_echo/udp_client.py"), "{m}");
}
