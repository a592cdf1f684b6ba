use super::*;
use crate::counterpart::httpbin::Outcome;
use crate::harness::OutputTail;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A record of `line` (`GET /get?lab=07`) on connection `conn`, arriving at `at_ms`.
fn rec(conn: u64, line: &str, at_ms: u64, outcome: Outcome) -> Record {
    let (method, target) = line.split_once(' ').unwrap();
    let (path, query) = crate::counterpart::httpbin::split_target(target);
    Record {
        conn,
        method: method.into(),
        target: target.into(),
        path,
        query,
        headers: vec![],
        body: vec![],
        at: ms(at_ms),
        outcome,
    }
}

fn ok(status: u16, after_ms: u64) -> Outcome {
    Outcome::Answered {
        status,
        after: ms(after_ms),
    }
}

fn run(stdout: &str, stderr: &str) -> Finished {
    Finished {
        exit: Some(crate::harness::Exit::Code(0)),
        stdout: stdout.into(),
        stderr: stderr.into(),
        output: OutputTail::default(),
    }
}

fn failed(v: &Verdict) -> &Failure {
    match v {
        Verdict::Failed(f) => f,
        other => panic!("expected a failure, got {other:?}"),
    }
}

fn passed(v: &Verdict) -> bool {
    matches!(v, Verdict::Passed { .. })
}

const EN: Lang = Lang::En;

#[test]
fn get_params_wants_both_values_decoded() {
    let good = rec(
        1,
        "GET /get?lab=07&q=%ED%8C%8C%EC%9D%B4%EC%8D%AC+requests&x=1",
        0,
        ok(200, 1),
    );
    assert!(passed(&get_params(&[good], EN)));
    let bare = rec(1, "GET /get", 0, ok(200, 1));
    assert!(
        failed(&get_params(&[bare], EN))
            .message
            .contains("without a query")
    );
    let none = get_params(&[], EN);
    assert!(
        failed(&none)
            .actual
            .as_deref()
            .unwrap()
            .contains("BASE_URL")
    );
}

fn post(content_type: &str, body: &str) -> Record {
    let mut r = rec(1, "POST /post", 0, ok(200, 1));
    r.headers = vec![("Content-Type".into(), content_type.into())];
    r.body = body.as_bytes().to_vec();
    r
}

#[test]
fn post_json_names_form_data_and_a_wrong_token() {
    let good = post("application/json", r#"{"lab": "07", "token": "abc"}"#);
    assert!(passed(&post_json(&[good], "abc", EN)));
    let form = post("application/x-www-form-urlencoded", "lab=07&token=abc");
    assert_eq!(failed(&post_json(&[form], "abc", EN)).hint, Some("form"));
    let stale = post("application/json", r#"{"lab": "07", "token": "old"}"#);
    assert_eq!(failed(&post_json(&[stale], "abc", EN)).hint, Some("token"));
    let text = post("text/plain", r#"{"lab": "07", "token": "abc"}"#);
    assert_eq!(failed(&post_json(&[text], "abc", EN)).hint, None);
}

#[test]
fn session_allows_a_new_connection_only_after_a_time_out() {
    let one = [
        rec(1, "GET /get", 0, ok(200, 1)),
        rec(1, "POST /post", 10, ok(200, 1)),
        rec(
            1,
            "GET /delay/5",
            20,
            Outcome::ClientLeft { after: ms(2000) },
        ),
        rec(
            2,
            "GET /delay/5",
            2100,
            Outcome::ClientLeft { after: ms(2000) },
        ),
    ];
    assert!(passed(&session(&one, EN)));
    let each = [
        rec(1, "GET /get", 0, ok(200, 1)),
        rec(2, "POST /post", 10, ok(200, 1)),
        rec(3, "GET /flaky", 20, ok(503, 1)),
    ];
    let f = failed(&session(&each, EN)).clone_message();
    assert!(f.contains("3 requests came on 3 TCP connections"), "{f}");
}

/// A program that sends its POST with `requests.post()` and everything else through its
/// session: two connections, and a time-out later on. Counting connections against time-outs
/// let it pass; read in order, the POST's new connection came while the GET's was free.
#[test]
fn session_fails_one_request_sent_outside_the_session_though_a_time_out_came_later() {
    let mixed = [
        rec(1, "GET /get", 0, ok(200, 1)),
        rec(2, "POST /post", 10, ok(200, 1)),
        rec(1, "GET /status/404", 20, ok(404, 1)),
        rec(1, "GET /flaky", 30, ok(200, 1)),
        rec(
            1,
            "GET /delay/5",
            40,
            Outcome::ClientLeft { after: ms(2000) },
        ),
    ];
    let m = failed(&session(&mixed, EN)).clone_message();
    assert!(
        m.contains("5 requests came on 2 TCP connections: 1 opened a new one")
            && m.contains("POST /post"),
        "{m}"
    );
}

/// The service closes a connection idle for `IDLE`; the client's next request must open one.
#[test]
fn session_allows_a_new_connection_after_the_service_closed_an_idle_one() {
    let idle = IDLE.as_millis() as u64;
    let slow = [
        rec(1, "GET /flaky", 0, ok(503, 1)),
        rec(2, "GET /flaky", idle + 100, ok(200, 1)),
    ];
    assert!(passed(&session(&slow, EN)));
}

trait Message {
    fn clone_message(&self) -> String;
}

impl Message for Failure {
    fn clone_message(&self) -> String {
        self.message.clone()
    }
}

#[test]
fn not_found_wants_the_request_and_a_line() {
    let recs = [rec(1, "GET /status/404", 0, ok(404, 1))];
    assert!(passed(&not_found(
        &recs,
        &run("  [ERROR] status=404 url=x\n", ""),
        "b",
        EN
    )));
    assert!(passed(&not_found(
        &recs,
        &run("", "[ERROR] 404 Client Error\n"),
        "b",
        EN
    )));
    let silent = not_found(&recs, &run("[GET] status=200\n", ""), "b", EN);
    assert_eq!(failed(&silent).hint, None);
    let crash = run(
        "",
        "Traceback (most recent call last):\n  x\nrequests.exceptions.HTTPError: 404 Client Error\n",
    );
    assert_eq!(
        failed(&not_found(&recs, &crash, "b", EN)).hint,
        Some("traceback")
    );
}

/// A program that let the 404 pass without a word and crashed later, on the time-out: the
/// 404 did not crash it, so `not_found` names the missing line, not a traceback.
#[test]
fn not_found_blames_a_traceback_only_when_the_program_stopped_at_the_404() {
    let crash = run(
        "status=404\n",
        "Traceback (most recent call last):\n  x\nrequests.exceptions.ReadTimeout: Read timed out.\n",
    );
    let went_on = [
        rec(1, "GET /status/404", 0, ok(404, 1)),
        rec(
            1,
            "GET /delay/5",
            10,
            Outcome::ClientLeft { after: ms(2000) },
        ),
    ];
    let v = not_found(&went_on, &crash, "b", EN);
    let f = failed(&v);
    assert_eq!(f.hint, None);
    assert!(f.message.contains("no [ERROR] line"), "{}", f.message);
    let stopped = [rec(1, "GET /status/404", 0, ok(404, 1))];
    assert_eq!(
        failed(&not_found(&stopped, &crash, "b", EN)).hint,
        Some("traceback")
    );
}

#[test]
fn no_retry_4xx_counts_the_404s() {
    let once = [rec(1, "GET /status/404", 0, ok(404, 1))];
    assert!(passed(&no_retry_4xx(&once, EN)));
    let thrice = [
        rec(1, "GET /status/404", 0, ok(404, 1)),
        rec(1, "GET /status/404", 500, ok(404, 1)),
        rec(1, "GET /status/404", 1500, ok(404, 1)),
    ];
    assert!(
        failed(&no_retry_4xx(&thrice, EN))
            .message
            .contains("3 times")
    );
}

/// `/flaky` attempts answered at once, starting at each of `starts_ms`, the last one 200.
fn flaky(starts_ms: &[u64]) -> Vec<Record> {
    let n = starts_ms.len();
    starts_ms
        .iter()
        .enumerate()
        .map(|(i, &at)| {
            let status = if i + 1 == n { 200 } else { 503 };
            rec(1, "GET /flaky", at, ok(status, 2))
        })
        .collect()
}

#[test]
fn retries_need_the_200() {
    assert!(passed(&retries(&flaky(&[0, 500, 1500]), EN)));
    let once = [rec(1, "GET /flaky", 0, ok(503, 1))];
    assert!(
        failed(&retries(&once, EN))
            .message
            .contains("did not try again")
    );
    let twice = [
        rec(1, "GET /flaky", 0, ok(503, 1)),
        rec(1, "GET /flaky", 600, ok(503, 1)),
    ];
    assert!(failed(&retries(&twice, EN)).message.contains("2 times"));
}

#[test]
fn backoff_wants_waits_that_grow() {
    // The handout's loop: 0.5 s, then 1 s.
    assert!(passed(&backoff(&flaky(&[0, 502, 1504]), EN)));
    // urllib3's Retry(backoff_factor=0.5): no wait before the first retry, then 1 s.
    assert!(passed(&backoff(&flaky(&[0, 5, 1010]), EN)));
    let at_once = backoff(&flaky(&[0, 3, 6]), EN);
    assert_eq!(failed(&at_once).hint, Some("too_fast"));
    let constant = backoff(&flaky(&[0, 502, 1004]), EN);
    assert_eq!(failed(&constant).hint, Some("constant"));
}

#[test]
fn timeout_reads_how_the_delay_ended_and_the_line() {
    let left = |after| {
        [rec(
            1,
            "GET /delay/5",
            0,
            Outcome::ClientLeft { after: ms(after) },
        )]
    };
    let line = run("[TIMEOUT] GET /delay/5: no answer within 2 s\n", "");
    let limit = Duration::from_secs(20);
    assert!(passed(&timeout(&left(2003), &line, limit, EN)));
    assert!(
        failed(&timeout(&left(300), &line, limit, EN))
            .message
            .contains("gave up")
    );
    assert!(
        failed(&timeout(&left(5000), &line, limit, EN))
            .message
            .contains("longer than 2 s")
    );
    let waited = [rec(1, "GET /delay/5", 0, ok(200, 5001))];
    let m = failed(&timeout(
        &waited,
        &run("[DELAY] status=200\n", ""),
        limit,
        EN,
    ))
    .clone_message();
    assert!(m.contains("no time-out"), "{m}");
    let stuck = [rec(1, "GET /delay/5", 0, Outcome::Pending)];
    let m = failed(&timeout(&stuck, &run("", ""), limit, EN)).clone_message();
    assert!(
        m.contains("stopped the program") && m.contains("20 s"),
        "{m}"
    );
    let crash = run(
        "",
        "Traceback (most recent call last):\n  x\nrequests.exceptions.ConnectionError: Max retries exceeded (ReadTimeoutError)\n",
    );
    assert_eq!(
        failed(&timeout(&left(2003), &crash, limit, EN)).hint,
        Some("traceback")
    );
    let mut retried = left(2003).to_vec();
    retried.push(rec(
        2,
        "GET /delay/5",
        2010,
        Outcome::ClientLeft { after: ms(2001) },
    ));
    assert_eq!(
        failed(&timeout(&retried, &crash, limit, EN)).hint,
        Some("retried")
    );
}
