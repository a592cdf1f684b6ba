//! lab07's verdicts, each read from what the grader's service recorded (every request, its
//! connection and its times) and what the program printed. Pure functions of those, so each
//! rule is unit-tested without Python.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::counterpart::httpbin::{IDLE, Record};
use crate::harness::Finished;
use crate::i18n::Lang;
use crate::report::{Failure, Verdict};
use crate::text;

pub use crate::wire::lab07::{DELAY_PATH, FLAKY_FAILURES, QUERY};
/// A time-out of 2 s as the server sees it: the client gives up within this window.
const GIVES_UP: (Duration, Duration) = (Duration::from_millis(1000), Duration::from_millis(3500));
/// The longest wait between two `/flaky` attempts must be at least this (a sleep, not a loop).
const SLOWEST_WAIT: Duration = Duration::from_millis(300);

fn t(lang: Lang, ko: &str, en: &str) -> String {
    lang.pick(ko, en).to_string()
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn of_path<'a>(recs: &'a [Record], path: &str) -> Vec<&'a Record> {
    recs.iter().filter(|r| r.path == path).collect()
}

/// The requests the server saw, one a line (for "seen" when the expected one is missing).
fn seen(recs: &[Record], lang: Lang) -> String {
    if recs.is_empty() {
        return t(
            lang,
            "(채점기 서버에 요청이 하나도 오지 않았습니다. 첫 번째 인자로 받은 BASE_URL로 요청하나요?)",
            "(no request reached the grader's server: does the program use the BASE_URL given as its first argument?)",
        );
    }
    let lines: Vec<String> = recs.iter().take(12).map(|r| escaped(&r.line())).collect();
    lines.join("\n")
}

fn escaped(s: &str) -> String {
    text::escape_student(s.as_bytes())
}

fn missing(recs: &[Record], what: &str, lang: Lang) -> Verdict {
    Failure::new(format!(
        "{}: {what}",
        t(
            lang,
            "서버가 이 요청을 받지 못했습니다",
            "the server never received this request"
        )
    ))
    .expected(what)
    .actual(seen(recs, lang))
    .into()
}

pub fn get_params(recs: &[Record], lang: Lang) -> Verdict {
    let want: String = QUERY
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ");
    let gets: Vec<&Record> = of_path(recs, "/get")
        .into_iter()
        .filter(|r| r.method == "GET")
        .collect();
    let Some(first) = gets.first() else {
        return missing(recs, "GET /get?lab=07&q=...", lang);
    };
    let has_all = |r: &Record| {
        QUERY
            .iter()
            .all(|(k, v)| r.query.iter().any(|(a, b)| a == k && b == v))
    };
    if gets.iter().any(|r| has_all(r)) {
        return Verdict::pass();
    }
    let got: Vec<String> = first
        .query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let message = if got.is_empty() {
        t(
            lang,
            "GET /get 요청에 쿼리 문자열이 없습니다",
            "GET /get came without a query string",
        )
    } else {
        t(
            lang,
            "GET /get 요청의 쿼리 값이 정해진 값과 다릅니다",
            "GET /get came with other query values",
        )
    };
    Failure::new(message)
        .expected(format!("args: {want}"))
        .actual(format!(
            "{}\nargs: {}",
            escaped(&first.line()),
            escaped(&got.join(", "))
        ))
        .into()
}

pub fn post_json(recs: &[Record], token: &str, lang: Lang) -> Verdict {
    let posts: Vec<&Record> = of_path(recs, "/post")
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    if posts.is_empty() {
        return missing(recs, "POST /post", lang);
    }
    let expected =
        format!("Content-Type: application/json\n{{\"lab\": \"07\", \"token\": \"{token}\"}}");
    let mut last = None;
    for r in posts {
        match post_problem(r, token, lang) {
            None => return Verdict::pass(),
            Some(f) => last = Some(f),
        }
    }
    last.expect("one POST at least").expected(expected).into()
}

/// What is wrong with one `POST /post`, or `None`.
fn post_problem(r: &Record, token: &str, lang: Lang) -> Option<Failure> {
    let ct = r.header("content-type").unwrap_or_default();
    let media = ct
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let body = String::from_utf8_lossy(&r.body);
    let actual = format!(
        "Content-Type: {}\n{}",
        escaped(ct),
        escaped(&text::clip_default(&body))
    );
    let fail = |ko: &str, en: &str| Failure::new(t(lang, ko, en)).actual(&actual);
    if media == "application/x-www-form-urlencoded" {
        return Some(
            fail(
                "본문을 JSON이 아니라 폼 데이터(application/x-www-form-urlencoded)로 보냈습니다",
                "the body was sent as form data (application/x-www-form-urlencoded), not JSON",
            )
            .hint("form"),
        );
    }
    if media != "application/json" {
        return Some(fail(
            "Content-Type이 application/json이 아닙니다",
            "the Content-Type is not application/json",
        ));
    }
    let Ok(serde_json::Value::Object(m)) = serde_json::from_slice::<serde_json::Value>(&r.body)
    else {
        return Some(fail(
            "본문이 JSON 객체가 아닙니다",
            "the body is not a JSON object",
        ));
    };
    if m.get("token").and_then(|v| v.as_str()) != Some(token) {
        return Some(
            fail(
                "JSON의 token이 GET /get 응답에 들어 있던 token이 아닙니다",
                "the JSON's token is not the one the GET /get answer carried",
            )
            .hint("token"),
        );
    }
    if m.get("lab").and_then(|v| v.as_str()) != Some("07") {
        return Some(fail(
            "JSON에 \"lab\": \"07\"이 없습니다",
            "the JSON has no \"lab\": \"07\"",
        ));
    }
    None
}

/// The requests that came on a new TCP connection although the request before them had been
/// answered on a connection that was still open: one `Session` would have sent them on it. A
/// new connection is what a client must open after a request it gave up on (a time-out closes
/// that connection), while another request is still waiting, or once the service has closed a
/// connection idle for [`IDLE`]. Read in order of arrival, so a single request sent outside
/// the session is caught even when a time-out comes later.
fn needless_connections(recs: &[Record]) -> Vec<&Record> {
    let mut opened = BTreeSet::new();
    let mut needless = Vec::new();
    let mut before: Option<&Record> = None;
    for r in recs {
        let new = opened.insert(r.conn);
        if new
            && let Some(b) = before
            && b.answered_at().is_some_and(|t| r.at < t + IDLE)
        {
            needless.push(r);
        }
        before = Some(r);
    }
    needless
}

pub fn session(recs: &[Record], lang: Lang) -> Verdict {
    if recs.len() < 2 {
        return Failure::new(t(
            lang,
            "서버에 요청이 하나뿐이라 연결을 다시 쓰는지 볼 수 없습니다",
            "only one request reached the server, so connection reuse cannot be seen",
        ))
        .actual(seen(recs, lang))
        .into();
    }
    let needless = needless_connections(recs);
    let Some(first) = needless.first() else {
        return Verdict::pass();
    };
    let mut conns: BTreeMap<u64, Vec<&Record>> = BTreeMap::new();
    for r in recs {
        conns.entry(r.conn).or_default().push(r);
    }
    let shown: Vec<String> = conns
        .iter()
        .take(12)
        .map(|(c, rs)| {
            let lines: Vec<String> = rs.iter().map(|r| escaped(&r.line())).collect();
            format!(
                "{} {c}: {}",
                t(lang, "연결", "connection"),
                lines.join(", ")
            )
        })
        .collect();
    let (n, m, k) = (recs.len(), conns.len(), needless.len());
    let first = escaped(&first.line());
    let message = match (lang, k + 1 == n) {
        (Lang::Ko, true) => {
            format!("요청 {n}개가 TCP 연결 {m}개로 왔습니다. 요청마다 연결을 새로 맺었습니다")
        }
        (Lang::En, true) => {
            format!("{n} requests came on {m} TCP connections: each request opened a new one")
        }
        (Lang::Ko, false) => format!(
            "요청 {n}개가 TCP 연결 {m}개로 왔습니다. 그중 {k}개는 앞의 연결을 다시 쓸 수 있었는데 새 연결을 맺었습니다 (처음: {first}). 세션 밖에서 보낸 요청이 있습니다"
        ),
        (Lang::En, false) => format!(
            "{n} requests came on {m} TCP connections: {k} opened a new one though the connection before was free to reuse (the first: {first}), so some request went outside the session"
        ),
    };
    Failure::new(message)
        .expected(t(
            lang,
            "모든 요청이 연결 하나로 (time-out이 난 요청 뒤에만 새 연결)",
            "every request on one connection (a new one only after a request that timed out)",
        ))
        .actual(shown.join("\n"))
        .into()
}

/// A line of stdout or stderr that starts with `prefix` (spaces aside) and contains `word`.
fn has_line(f: &Finished, prefix: &str, word: &str) -> bool {
    f.stdout
        .lines()
        .chain(f.stderr.lines())
        .map(str::trim)
        .any(|l| l.starts_with(prefix) && l.contains(word))
}

/// The exception the program crashed with, when it crashed right after a request of `path`
/// (nothing was requested after it): only then is the crash the answer to that request. A
/// program that let the 404 pass silently and crashed on the time-out later did not crash on
/// the 404.
fn crashed_after(recs: &[Record], f: &Finished, path: impl Fn(&str) -> bool) -> Option<String> {
    let last = recs.last()?;
    (f.has_traceback() && path(&last.path))
        .then(|| f.exception())
        .flatten()
}

fn shown_output(f: &Finished) -> String {
    escaped(&text::normalize(&format!("{}{}", f.stdout, f.stderr)))
}

pub fn not_found(recs: &[Record], f: &Finished, base: &str, lang: Lang) -> Verdict {
    if of_path(recs, "/status/404").is_empty() {
        return missing(recs, "GET /status/404", lang);
    }
    if has_line(f, "[ERROR]", "404") {
        return Verdict::pass();
    }
    let expected = format!("[ERROR] status=404 url={base}/status/404");
    let failure = match crashed_after(recs, f, |p| p == "/status/404") {
        Some(e) => Failure::new(format!(
            "{}: {e}",
            t(
                lang,
                "404 응답을 알리지 않고 traceback을 남기며 죽었습니다",
                "it crashed with a traceback instead of reporting the 404"
            )
        ))
        .hint("traceback"),
        None => Failure::new(t(
            lang,
            "404 응답을 알리는 [ERROR] 줄이 없습니다",
            "there is no [ERROR] line reporting the 404",
        )),
    };
    failure.expected(expected).actual(shown_output(f)).into()
}

mod timing;
pub use timing::{backoff, no_retry_4xx, retries, timeout};

#[cfg(test)]
mod tests;
