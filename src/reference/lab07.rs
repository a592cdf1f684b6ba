//! The reference lab07 client, `grade reference lab07 BASE_URL`: what the handout's
//! `http_client.py` does. One keep-alive connection used for every request, as one
//! `requests.Session` uses it; a 2 s time-out on every request; retries with exponential
//! backoff on 5xx only. `grade reference lab07 serve` runs the grader's httpbin-compatible
//! service for a student to try a program against, logging each request.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use crate::counterpart::httpbin::{Config, Httpbin, Outcome, Record};
use crate::net::http::{self, HttpError, HttpLimits, Response};
use crate::rng::Rng;
use crate::wire::lab07::{BACKOFF, DELAY_PATH, FLAKY_FAILURES, MAX_RETRIES, QUERY, TIMEOUT};

/// Why a request got no answer.
enum Failed {
    /// No connection could be opened.
    Connect(String),
    /// No answer within [`TIMEOUT`].
    Timeout,
    /// The connection broke, or what came back was not HTTP.
    Broken(String),
}

/// One connection at a time, as a `requests.Session` keeps it: opened when a request needs
/// one, used again by the next request once an answer has been read whole, dropped after a
/// time-out (the answer may still come on it). reqwest's pool hands a connection back only
/// some time after its body was read, so a request sent at once may open a second one: the
/// grader's `session` check would see that.
struct Session {
    host: String,
    port: u16,
    /// The base URL's path without its trailing slash (`""` for `http://host:port/`).
    prefix: String,
    conn: Option<TcpStream>,
}

impl Session {
    fn new(base: &str) -> Result<Session, String> {
        let t = crate::net::url::parse(base, "http", 80)?;
        let prefix = t.path.split('?').next().unwrap_or_default();
        Ok(Session {
            host: t.host,
            port: t.port,
            prefix: prefix.trim_end_matches('/').to_string(),
            conn: None,
        })
    }

    /// Sends `method target` (a JSON `body` when given) and reads its answer.
    async fn send(
        &mut self,
        method: &str,
        target: &str,
        body: Option<&str>,
    ) -> Result<Response, Failed> {
        let deadline = Instant::now() + TIMEOUT;
        let mut stream = match self.conn.take() {
            Some(s) => s,
            None => tokio::time::timeout_at(
                deadline,
                TcpStream::connect((self.host.as_str(), self.port)),
            )
            .await
            .map_err(|_| Failed::Connect(format!("timed out ({} s)", TIMEOUT.as_secs())))?
            .map_err(|e| Failed::Connect(e.to_string()))?,
        };
        let host = if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        };
        let mut request = format!(
            "{method} {}{target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: netgrade-reference\r\nAccept: */*\r\nConnection: keep-alive\r\n",
            self.prefix
        );
        if let Some(b) = body {
            request += &format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                b.len()
            );
        }
        request += "\r\n";
        request += body.unwrap_or_default();
        match tokio::time::timeout_at(deadline, stream.write_all(request.as_bytes())).await {
            Err(_) => return Err(Failed::Timeout),
            Ok(Err(e)) => return Err(Failed::Broken(e.to_string())),
            Ok(Ok(())) => {}
        }
        let limits = HttpLimits {
            idle: TIMEOUT,
            total: TIMEOUT,
            ..HttpLimits::default()
        };
        match http::read_response(&mut stream, deadline, limits).await {
            Ok(r) => {
                let closes = r.headers.iter().any(|(k, v)| {
                    k.eq_ignore_ascii_case("connection") && v.eq_ignore_ascii_case("close")
                });
                if !closes {
                    self.conn = Some(stream);
                }
                Ok(r)
            }
            Err(HttpError::Timeout { .. }) => Err(Failed::Timeout),
            Err(e) => Err(Failed::Broken(e.to_string())),
        }
    }

    /// [`Session::send`], again after a wait that doubles each time while the answer is a
    /// 5xx, at most [`MAX_RETRIES`] times. Never on 4xx: the request itself is wrong then.
    async fn send_retrying(
        &mut self,
        method: &str,
        target: &str,
        body: Option<&str>,
        out: &mut dyn Write,
    ) -> Result<Response, Failed> {
        let mut attempt = 0;
        loop {
            let r = self.send(method, target, body).await?;
            if r.status < 500 || attempt == MAX_RETRIES {
                return Ok(r);
            }
            let wait = BACKOFF * 2u32.pow(attempt);
            let _ = writeln!(
                out,
                "[RETRY] {method} {target} -> {}, waiting {:.1} s",
                r.status,
                wait.as_secs_f64()
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

/// Runs the client; its exit status (0 when it ran to its end, 1 when the service could not
/// be reached or broke off, 2 for usage).
pub async fn run(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let [base] = args else {
        let _ = writeln!(err, "usage: python http_client.py BASE_URL");
        return 2;
    };
    let base = base.trim_end_matches('/');
    let mut session = match Session::new(base) {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(err, "{base}: {e}");
            return 2;
        }
    };
    match steps(&mut session, base, out).await {
        Ok(()) => 0,
        Err(Failed::Connect(e)) => {
            let _ = writeln!(out, "[ERROR] could not connect to {base} ({e})");
            1
        }
        Err(Failed::Timeout) => {
            let _ = writeln!(
                out,
                "[ERROR] {base} did not answer within {} s",
                TIMEOUT.as_secs()
            );
            1
        }
        Err(Failed::Broken(e)) => {
            let _ = writeln!(out, "[ERROR] {base}: {e}");
            1
        }
    }
}

async fn steps(s: &mut Session, base: &str, out: &mut dyn Write) -> Result<(), Failed> {
    // 1. GET with a query string: the values are encoded (a space, Korean).
    let mut url = reqwest::Url::parse("http://host/get").expect("a fixed URL");
    url.query_pairs_mut().extend_pairs(QUERY);
    let query = url.query().unwrap_or_default();
    let r = s
        .send_retrying("GET", &format!("/get?{query}"), None, out)
        .await?;
    let answer: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
    let token = answer["token"].as_str().unwrap_or_default().to_string();
    let _ = writeln!(out, "[GET] status={} token={token}", r.status);

    // 2. POST a JSON body that carries the token the GET answer gave.
    let body = serde_json::json!({"lab": "07", "token": token}).to_string();
    let r = s.send_retrying("POST", "/post", Some(&body), out).await?;
    let _ = writeln!(out, "[POST] status={}", r.status);

    // 3. A 404 is an answer, reported, not retried.
    let r = s.send_retrying("GET", "/status/404", None, out).await?;
    if r.status >= 400 {
        let _ = writeln!(out, "[ERROR] status={} url={base}/status/404", r.status);
    }

    // 4. /flaky answers 503 a few times: retried with growing waits.
    let r = s.send_retrying("GET", "/flaky", None, out).await?;
    let _ = writeln!(out, "[FLAKY] status={}", r.status);

    // 5. /delay/5 answers after 5 s: the 2 s time-out ends the wait.
    match s.send("GET", DELAY_PATH, None).await {
        Ok(r) => {
            let _ = writeln!(out, "[DELAY] status={}", r.status);
        }
        Err(Failed::Timeout) => {
            let _ = writeln!(
                out,
                "[TIMEOUT] GET {DELAY_PATH}: no answer within {} s",
                TIMEOUT.as_secs()
            );
        }
        Err(e) => return Err(e),
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

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    /// reqwest's pool gave a connection back only a moment after its body was read, so the
    /// request after `/flaky` sometimes opened a second one (3 runs in 8), and the grader's
    /// `session` check, which reads connections in order, failed the reference.
    #[tokio::test]
    async fn reference_sends_every_request_on_one_connection() {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let config = Config {
            token: "tok123".into(),
            flaky_failures: FLAKY_FAILURES,
            flaky_rearm: None,
            log: None,
        };
        let svc = Httpbin::start(l, config).unwrap();
        let base = format!("{}/", base_url(svc.addr()));
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(run(&[base], &mut out, &mut err).await, 0);
        let out = String::from_utf8(out).unwrap();
        assert!(out.contains("[GET] status=200 token=tok123\n"), "{out}");
        assert!(out.contains("[FLAKY] status=200\n"), "{out}");
        assert!(
            out.ends_with("[TIMEOUT] GET /delay/5: no answer within 2 s\n"),
            "{out}"
        );
        let recs = svc.records();
        let seen: Vec<(u64, String)> = recs.iter().map(|r| (r.conn, r.line())).collect();
        assert_eq!(recs.len(), 7, "{seen:?}");
        assert!(recs.iter().all(|r| r.conn == 1), "{seen:?}");
        assert_eq!(recs[1].header("content-type"), Some("application/json"));
    }

    #[tokio::test]
    async fn a_closed_port_is_reported_as_could_not_connect() {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let base = base_url(l.local_addr().unwrap());
        drop(l);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(
            run(std::slice::from_ref(&base), &mut out, &mut err).await,
            1
        );
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.starts_with(&format!("[ERROR] could not connect to {base} (")),
            "{out}"
        );
        assert_eq!(run(&[], &mut out.into_bytes(), &mut err).await, 2);
    }
}
