//! The reference lab07 client, `grade reference lab07 BASE_URL`: what the handout's
//! `http_client.py` does, with reqwest. One client (one connection pool, as one
//! `requests.Session`), a 2 s time-out on every request, retries with exponential backoff on
//! 5xx only. `grade reference lab07 serve` runs the grader's httpbin-compatible service for a
//! student to try a program against, logging each request.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::counterpart::httpbin::{Config, Httpbin, Outcome, Record};
use crate::labs::lab07::{DELAY_PATH, FLAKY_FAILURES, QUERY};
use crate::rng::Rng;

pub const TIMEOUT: Duration = Duration::from_secs(2);
pub const MAX_RETRIES: u32 = 3;
/// The first wait; each retry waits twice as long as the one before.
pub const BACKOFF: Duration = Duration::from_millis(500);

/// Sends `build()`'s request, again after a wait that doubles each time while the answer is
/// a 5xx, at most [`MAX_RETRIES`] times. Never on 4xx: the request itself is wrong then.
async fn with_retries(
    build: impl Fn() -> reqwest::RequestBuilder,
    what: &str,
    out: &mut dyn Write,
) -> reqwest::Result<reqwest::Response> {
    let mut attempt = 0;
    loop {
        let r = build().send().await?;
        if r.status().as_u16() < 500 || attempt == MAX_RETRIES {
            return Ok(r);
        }
        let wait = BACKOFF * 2u32.pow(attempt);
        let _ = writeln!(
            out,
            "[RETRY] {what} -> {}, waiting {:.1} s",
            r.status().as_u16(),
            wait.as_secs_f64()
        );
        // The body is read so the connection goes back to the pool for the next attempt.
        let _ = r.bytes().await;
        tokio::time::sleep(wait).await;
        attempt += 1;
    }
}

/// Runs the client; its exit status (0 when it ran to its end, 1 when the service could not
/// be reached, 2 for usage).
pub async fn run(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let [base] = args else {
        let _ = writeln!(err, "usage: python http_client.py BASE_URL");
        return 2;
    };
    let base = base.trim_end_matches('/');
    match steps(base, out).await {
        Ok(()) => 0,
        Err(e) => {
            let _ = writeln!(out, "[ERROR] could not reach {base} ({e})");
            1
        }
    }
}

async fn steps(base: &str, out: &mut dyn Write) -> Result<(), String> {
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(TIMEOUT)
        .build()
        .map_err(|e| e.to_string())?;
    // 1. GET with a query string: the client encodes the values (a space, Korean).
    let mut url = reqwest::Url::parse(&format!("{base}/get")).map_err(|e| e.to_string())?;
    url.query_pairs_mut().extend_pairs(QUERY);
    let r = with_retries(|| client.get(url.clone()), "GET /get", out)
        .await
        .map_err(|e| e.to_string())?;
    let status = r.status().as_u16();
    let answer: serde_json::Value = r
        .bytes()
        .await
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let token = answer["token"].as_str().unwrap_or_default().to_string();
    let _ = writeln!(out, "[GET] status={status} token={token}");

    // 2. POST a JSON body that carries the token the GET answer gave.
    let body = serde_json::json!({"lab": "07", "token": token}).to_string();
    let post = || {
        client
            .post(format!("{base}/post"))
            .header("Content-Type", "application/json")
            .body(body.clone())
    };
    let r = with_retries(post, "POST /post", out)
        .await
        .map_err(|e| e.to_string())?;
    let _ = writeln!(out, "[POST] status={}", r.status().as_u16());
    let _ = r.bytes().await;

    // 3. A 404 is an answer, reported, not retried.
    let url = format!("{base}/status/404");
    let r = with_retries(|| client.get(&url), "GET /status/404", out)
        .await
        .map_err(|e| e.to_string())?;
    if r.status().is_client_error() || r.status().is_server_error() {
        let _ = writeln!(out, "[ERROR] status={} url={url}", r.status().as_u16());
    }
    let _ = r.bytes().await;

    // 4. /flaky answers 503 a few times: retried with growing waits.
    let r = with_retries(|| client.get(format!("{base}/flaky")), "GET /flaky", out)
        .await
        .map_err(|e| e.to_string())?;
    let _ = writeln!(out, "[FLAKY] status={}", r.status().as_u16());
    let _ = r.bytes().await;

    // 5. /delay/5 answers after 5 s: the 2 s time-out ends the wait.
    match client.get(format!("{base}{DELAY_PATH}")).send().await {
        Ok(r) => {
            let _ = writeln!(out, "[DELAY] status={}", r.status().as_u16());
        }
        Err(e) if e.is_timeout() => {
            let _ = writeln!(
                out,
                "[TIMEOUT] GET {DELAY_PATH}: no answer within {} s",
                TIMEOUT.as_secs()
            );
        }
        Err(e) => return Err(e.to_string()),
    }
    Ok(())
}

/// Serves the grader's httpbin-compatible service on `listener` until the task is dropped,
/// writing one line per request to `log` once it has ended. `/flaky` fails again after 5 s
/// without a `/flaky` request, so a student can run their program again and again.
pub async fn serve(listener: TcpListener, mut log: impl Write) -> std::io::Result<()> {
    let (tx, mut rx) = tokio::sync::mpsc::channel(256);
    let config = Config {
        token: Rng::new(Rng::fresh_seed()).token(12),
        flaky_failures: FLAKY_FAILURES,
        flaky_rearm: Some(Duration::from_secs(5)),
        log: Some(tx),
    };
    let _service = Httpbin::start(listener, config)?;
    while let Some(r) = rx.recv().await {
        writeln!(log, "{}", describe(&r))?;
        log.flush()?;
    }
    Ok(())
}

/// `[conn 1] 0.51 s GET /flaky -> 503`.
pub fn describe(r: &Record) -> String {
    let end = match r.outcome {
        Outcome::Answered { status, .. } => status.to_string(),
        Outcome::ClientLeft { after } => {
            format!("(client gave up after {:.2} s)", after.as_secs_f64())
        }
        Outcome::Pending => "...".into(),
    };
    let line = crate::text::escape_student(r.line().as_bytes());
    format!(
        "[conn {}] {:.2} s {line} -> {end}",
        r.conn,
        r.at.as_secs_f64()
    )
}

/// The URL a student passes for a service on `addr`.
pub fn base_url(addr: SocketAddr) -> String {
    format!("http://{addr}")
}
