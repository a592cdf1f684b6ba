//! lab07's verdicts, each read from what the grader's service recorded (every request, its
//! connection and its times) and what the program printed. Pure functions of those, so each
//! rule is unit-tested without Python.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::counterpart::httpbin::{Outcome, Record};
use crate::harness::Finished;
use crate::i18n::Lang;
use crate::report::{Failure, Verdict};
use crate::text;

/// The query the handout fixes for `GET /get`.
pub const QUERY: [(&str, &str); 2] = [("lab", "07"), ("q", "파이썬 requests")];
/// How many times `/flaky` answers 503 before its 200.
pub const FLAKY_FAILURES: u32 = 2;
/// What the handout's program requests to meet its time-out.
pub const DELAY_PATH: &str = "/delay/5";
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

pub fn session(recs: &[Record], lang: Lang) -> Verdict {
    let mut conns: BTreeMap<u64, Vec<&Record>> = BTreeMap::new();
    for r in recs {
        conns.entry(r.conn).or_default().push(r);
    }
    // A request the client gave up on (a time-out) takes its connection with it.
    let abandoned = recs
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::ClientLeft { .. }))
        .count();
    if recs.len() >= 2 && conns.len() <= 1 + abandoned {
        return Verdict::pass();
    }
    if recs.len() < 2 {
        return Failure::new(t(
            lang,
            "서버에 요청이 하나뿐이라 연결을 다시 쓰는지 볼 수 없습니다",
            "only one request reached the server, so connection reuse cannot be seen",
        ))
        .actual(seen(recs, lang))
        .into();
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
    Failure::new(format!(
        "{} {} {} {}",
        recs.len(),
        t(lang, "개의 요청이", "requests came on"),
        conns.len(),
        t(
            lang,
            "개의 TCP 연결로 왔습니다. 요청마다 연결을 새로 맺었습니다",
            "TCP connections: each request opened a new one"
        ),
    ))
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
    let failure = match f.exception().filter(|_| f.has_traceback()) {
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

fn timeline(rs: &[&Record]) -> String {
    rs.iter()
        .enumerate()
        .map(|(i, r)| {
            let end = match r.outcome {
                Outcome::Answered { status, .. } => status.to_string(),
                Outcome::ClientLeft { .. } => "-".into(),
                Outcome::Pending => "...".into(),
            };
            format!("{}. {} {} -> {end}", i + 1, secs(r.at), escaped(&r.line()))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn no_retry_4xx(recs: &[Record], lang: Lang) -> Verdict {
    let asked = of_path(recs, "/status/404");
    if asked.len() <= 1 {
        return Verdict::pass();
    }
    Failure::new(format!(
        "{} {}{}",
        t(lang, "GET /status/404를", "GET /status/404 was sent"),
        asked.len(),
        t(
            lang,
            "번 보냈습니다. 4xx 응답에도 재시도했습니다",
            " times: a 4xx answer was retried"
        ),
    ))
    .expected("1. GET /status/404 -> 404")
    .actual(timeline(&asked))
    .into()
}

/// The `/flaky` requests up to and including the first one answered 200.
fn flaky_attempts(recs: &[Record]) -> Vec<&Record> {
    let mut out = Vec::new();
    for r in of_path(recs, "/flaky") {
        out.push(r);
        if matches!(r.outcome, Outcome::Answered { status: 200, .. }) {
            break;
        }
    }
    out
}

pub fn retries(recs: &[Record], lang: Lang) -> Verdict {
    let attempts = flaky_attempts(recs);
    let ok = |r: &&Record| matches!(r.outcome, Outcome::Answered { status: 200, .. });
    if attempts.is_empty() {
        return missing(recs, "GET /flaky", lang);
    }
    if attempts.iter().any(ok) {
        return Verdict::pass();
    }
    let message = if attempts.len() == 1 {
        t(
            lang,
            "/flaky가 503으로 답한 뒤 다시 요청하지 않았습니다",
            "after /flaky answered 503 the program did not try again",
        )
    } else {
        format!(
            "{} {}{}",
            t(lang, "/flaky를", "/flaky was tried"),
            attempts.len(),
            t(
                lang,
                "번만 시도하고 200을 받기 전에 멈췄습니다",
                " times only and given up before its 200"
            ),
        )
    };
    let n = FLAKY_FAILURES as usize;
    let mut want: Vec<String> = (1..=n).map(|i| format!("{i}. GET /flaky -> 503")).collect();
    want.push(format!("{}. GET /flaky -> 200", n + 1));
    Failure::new(message)
        .expected(want.join("\n"))
        .actual(timeline(&attempts))
        .into()
}

/// The waits between consecutive `/flaky` attempts: from one answer to the next request.
fn waits(attempts: &[&Record]) -> Vec<Duration> {
    attempts
        .windows(2)
        .map(|w| {
            w[1].at
                .saturating_sub(w[0].answered_at().unwrap_or(w[0].at))
        })
        .collect()
}

pub fn backoff(recs: &[Record], lang: Lang) -> Verdict {
    let attempts = flaky_attempts(recs);
    let waits = waits(&attempts);
    let shown = format!(
        "{}: {}",
        t(lang, "재시도 전 기다린 시간", "waits before the retries"),
        waits
            .iter()
            .map(|w| secs(*w))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let expected = t(
        lang,
        "점점 길어지는 대기: 예) 0.50 s, 1.00 s (0.5 × 2ⁿ)",
        "growing waits, e.g. 0.50 s, 1.00 s (0.5 × 2ⁿ)",
    );
    let longest = waits.iter().copied().max().unwrap_or_default();
    if longest < SLOWEST_WAIT {
        return Failure::new(t(
            lang,
            "기다리지 않고 곧바로 다시 요청했습니다",
            "it retried at once, without waiting",
        ))
        .expected(expected)
        .actual(shown)
        .hint("too_fast")
        .into();
    }
    // Doubling is the rule; a loaded machine stretches a sleep, so a fifth more (and 0.15 s)
    // counts as growing, and a wait repeated as it was does not.
    let grows = waits.windows(2).all(|w| {
        let (a, b) = (w[0].as_secs_f64(), w[1].as_secs_f64());
        b >= a * 1.2 && b - a >= 0.15
    });
    if grows {
        return Verdict::pass();
    }
    Failure::new(t(
        lang,
        "재시도할 때마다 기다리는 시간이 늘어나지 않습니다",
        "the wait does not grow from one retry to the next",
    ))
    .expected(expected)
    .actual(shown)
    .hint("constant")
    .into()
}

pub fn timeout(recs: &[Record], f: &Finished, limit: Duration, lang: Lang) -> Verdict {
    let delays: Vec<&Record> = recs
        .iter()
        .filter(|r| r.path.starts_with("/delay/"))
        .collect();
    let Some(first) = delays.first() else {
        return missing(recs, &format!("GET {DELAY_PATH}"), lang);
    };
    let expected = format!(
        "[TIMEOUT] GET {DELAY_PATH}: {}",
        t(lang, "2초 안에 응답이 없음", "no answer within 2 s")
    );
    let line = escaped(&first.line());
    let problem = match first.outcome {
        Outcome::ClientLeft { after } if after < GIVES_UP.0 => Some(format!(
            "{line}: {} {} ({})",
            secs(after),
            t(lang, "만에 기다리기를 그만두었습니다", "and it gave up"),
            t(lang, "time-out은 2초입니다", "the time-out is 2 s")
        )),
        Outcome::ClientLeft { after } if after > GIVES_UP.1 => Some(format!(
            "{line}: {} {}",
            secs(after),
            t(
                lang,
                "동안 기다렸습니다. time-out이 2초보다 깁니다",
                "of waiting: the time-out is longer than 2 s"
            )
        )),
        Outcome::ClientLeft { .. } => None,
        Outcome::Answered { after, .. } => Some(format!(
            "{line}: {} {}",
            t(lang, "서버가 답할 때까지", "it waited"),
            t(
                lang,
                &format!("{} 동안 기다렸습니다. time-out이 없습니다", secs(after)),
                &format!(
                    "{} until the server answered: there is no time-out",
                    secs(after)
                ),
            )
        )),
        Outcome::Pending => Some(format!(
            "{line}: {} ({} s)",
            t(
                lang,
                "채점기가 프로그램을 멈출 때까지 응답을 기다리고 있었습니다. time-out이 없으면 요청이 끝없이 기다립니다",
                "it was still waiting when the grader stopped the program: without a time-out a request can wait forever"
            ),
            limit.as_secs()
        )),
    };
    if let Some(p) = problem {
        return Failure::new(p)
            .expected(expected)
            .actual(timeline(&delays))
            .into();
    }
    if has_line(f, "[TIMEOUT]", "") {
        return Verdict::pass();
    }
    let failure = match f.exception().filter(|_| f.has_traceback()) {
        // urllib3's Retry also retries a read time-out, then gives up with ConnectionError.
        Some(e) if delays.len() > 1 => Failure::new(format!(
            "{}: {e}",
            t(
                lang,
                "time-out이 난 요청을 다시 보낸 끝에 traceback을 남기며 죽었습니다",
                "it sent the timed-out request again, then crashed with a traceback"
            )
        ))
        .hint("retried"),
        Some(e) => Failure::new(format!(
            "{}: {e}",
            t(
                lang,
                "time-out을 알리지 않고 traceback을 남기며 죽었습니다",
                "it crashed with a traceback instead of reporting the time-out"
            )
        ))
        .hint("traceback"),
        None => Failure::new(t(
            lang,
            "time-out을 알리는 [TIMEOUT] 줄이 없습니다",
            "there is no [TIMEOUT] line reporting the time-out",
        )),
    };
    failure.expected(expected).actual(shown_output(f)).into()
}

#[cfg(test)]
mod tests;
