//! The verdicts about time and repetition: how often a request was sent, the waits between
//! the attempts, when the client gave up on `/delay`.

use std::time::Duration;

use super::{
    DELAY_PATH, FLAKY_FAILURES, GIVES_UP, SLOWEST_WAIT, crashed_after, escaped, has_line, missing,
    of_path, secs, shown_output, t,
};
use crate::counterpart::httpbin::{Outcome, Record};
use crate::harness::Finished;
use crate::i18n::Lang;
use crate::report::{Failure, Verdict};

/// One line per request: its number, when it arrived (since the service started), the request
/// and its status (`-` when the client gave up, `...` when still waiting).
fn timeline(rs: &[&Record]) -> String {
    rs.iter()
        .enumerate()
        .map(|(i, r)| {
            let end = match r.outcome {
                Outcome::Answered { status, .. } => status.to_string(),
                Outcome::ClientLeft { .. } => "-".into(),
                Outcome::Pending => "...".into(),
            };
            format!(
                "{}. [{}] {} -> {end}",
                i + 1,
                secs(r.at),
                escaped(&r.line())
            )
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
    // The handout's line, in English in both handouts.
    let expected = format!("[TIMEOUT] GET {DELAY_PATH}: no answer within 2 s");
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
                &format!(
                    "{} 동안 기다렸습니다. time-out이 없거나 그보다 깁니다",
                    secs(after)
                ),
                &format!(
                    "{} until the server answered: there is no time-out, or a longer one",
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
    let failure = match crashed_after(recs, f, |p| p.starts_with("/delay/")) {
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
