//! An httpbin-compatible HTTP/1.1 service for a student's `requests` client (lab07): `/get`
//! and `/post` echo what they received as JSON, `/status/{code}` answers that code,
//! `/delay/{n}` answers after `n` seconds, `/flaky` answers 503 a set number of times and then
//! 200. It speaks keep-alive (a `requests.Session` reuses one connection only when the server
//! keeps it open) and records every request: method, path, query, headers, body, the TCP
//! connection it came on, when it arrived and how it ended (answered, or the client gave up
//! while `/delay` stalled). The records are what lab07's checks read.
//!
//! A student's client is untrusted: the service serves at most [`MAX_CONNECTIONS`] at once
//! (others are closed at once), caps a request head at [`HEAD_CAP`] and a body at
//! [`BODY_CAP`], closes a connection idle for [`IDLE`] or older than [`LIFETIME`] (looked at
//! before every read: a client that floods is never idle), stalls at most [`DELAY_CAP`], keeps
//! at most [`KEEP`] records holding [`KEEP_BYTES`] of heads and bodies, and counts every
//! request (a client may send them without end).

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::flood::{self, Tally};
use crate::net::http;
use wire::{args, headers, reason};

mod wire;
pub use wire::{parse_query, split_target};

pub const MAX_CONNECTIONS: usize = 32;
pub const HEAD_CAP: usize = 64 << 10;
pub const BODY_CAP: usize = 1 << 20;
pub const IDLE: Duration = Duration::from_secs(10);
pub const LIFETIME: Duration = Duration::from_secs(60);
/// The longest `/delay/{n}` stalls (httpbin's own limit).
pub const DELAY_CAP: Duration = Duration::from_secs(10);
pub const KEEP: usize = 256;
/// Bytes of heads and bodies the kept records may hold: the lab's requests are small, and
/// 256 bodies of a megabyte would be 256 MiB.
pub const KEEP_BYTES: usize = 4 << 20;

/// What the service answers with that a grading chooses.
#[derive(Clone, Debug)]
pub struct Config {
    /// Put in every `/get` answer (`"token"`): a client that sends it on proves it read the JSON.
    pub token: String,
    /// How many `/flaky` requests get 503 before the first 200.
    pub flaky_failures: u32,
    /// `/flaky` starts failing again after this long without a `/flaky` request (for a
    /// service a student runs by hand, program after program); `None` while grading.
    pub flaky_rearm: Option<Duration>,
    /// Where each request goes once it has ended (answered, or the client left); a full
    /// channel drops it. `None` while grading (the records are read instead).
    pub log: Option<tokio::sync::mpsc::Sender<Record>>,
}

/// How a recorded request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Answered with `status`, `after` the request arrived.
    Answered { status: u16, after: Duration },
    /// The client closed the connection `after` the request arrived, before the answer.
    ClientLeft { after: Duration },
    /// Not answered yet (a stall still running, or the service stopped first).
    Pending,
}

/// One request as the service received it.
#[derive(Clone, Debug)]
pub struct Record {
    /// The TCP connection it came on (1, 2, ... in the order they were accepted).
    pub conn: u64,
    pub method: String,
    /// The request target as sent (`/get?lab=07`).
    pub target: String,
    /// The path, without the query, repeated and trailing slashes folded (`//get/` is `/get`).
    pub path: String,
    /// The query's pairs, percent-decoded (`+` is a space).
    pub query: Vec<(String, String)>,
    /// Header lines as sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When the whole request had arrived, since the service started.
    pub at: Duration,
    pub outcome: Outcome,
}

impl Record {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// When the answer had been written, since the service started.
    pub fn answered_at(&self) -> Option<Duration> {
        match self.outcome {
            Outcome::Answered { after, .. } => Some(self.at + after),
            Outcome::ClientLeft { .. } | Outcome::Pending => None,
        }
    }

    /// `GET /get?lab=07`, for messages.
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.target)
    }
}

/// The records kept, their bytes, and every request counted.
#[derive(Default)]
struct Kept {
    records: Vec<Record>,
    bytes: usize,
    all: Tally,
}

struct Shared {
    config: Config,
    start: Instant,
    records: Mutex<Kept>,
    flaky: AtomicU32,
    last_flaky: Mutex<Option<Instant>>,
}

impl Shared {
    fn now(&self) -> Duration {
        self.start.elapsed()
    }

    /// Counts a request of `size` bytes (head and body) and keeps it while there is room;
    /// its index, or `None` past [`KEEP`] or [`KEEP_BYTES`].
    fn push(&self, r: &Record, size: usize) -> Option<usize> {
        let mut kept = self.records.lock().ok()?;
        kept.all.add(size);
        (kept.records.len() < KEEP && kept.bytes + size <= KEEP_BYTES).then(|| {
            kept.bytes += size;
            kept.records.push(r.clone());
            kept.records.len() - 1
        })
    }

    fn finish(&self, index: Option<usize>, mut record: Record, outcome: Outcome) {
        if let (Some(i), Ok(mut kept)) = (index, self.records.lock()) {
            kept.records[i].outcome = outcome;
        }
        if let Some(log) = &self.config.log {
            record.outcome = outcome;
            let _ = log.try_send(record);
        }
    }

    /// The number of this `/flaky` request (1, 2, ...), counted again after a quiet spell
    /// when the config says so.
    fn flaky_attempt(&self) -> u32 {
        if let (Some(rearm), Ok(mut last)) = (self.config.flaky_rearm, self.last_flaky.lock()) {
            if last.is_some_and(|t| t.elapsed() > rearm) {
                self.flaky.store(0, Ordering::Relaxed);
            }
            *last = Some(Instant::now());
        }
        self.flaky.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// A running service; it stops when dropped (its connections with it).
pub struct Httpbin {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl Httpbin {
    /// Serves on `listener` (bound by the caller, port 0: no race for the port).
    pub fn start(listener: TcpListener, config: Config) -> std::io::Result<Httpbin> {
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            config,
            start: Instant::now(),
            records: Mutex::new(Kept::default()),
            flaky: AtomicU32::new(0),
            last_flaky: Mutex::new(None),
        });
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&shared)));
        Ok(Httpbin { addr, shared, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The requests received so far, in order of arrival (at most [`KEEP`] and
    /// [`KEEP_BYTES`]).
    pub fn records(&self) -> Vec<Record> {
        self.shared
            .records
            .lock()
            .map(|r| r.records.clone())
            .unwrap_or_default()
    }

    /// Every request received so far (whole, its head read), kept or not.
    pub fn tally(&self) -> Tally {
        self.shared
            .records
            .lock()
            .map(|r| r.all)
            .unwrap_or_default()
    }
}

impl Drop for Httpbin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let ids = AtomicU64::new(1);
    super::accept::bounded(listener, MAX_CONNECTIONS, |stream, peer| {
        let id = ids.fetch_add(1, Ordering::Relaxed);
        let shared = Arc::clone(&shared);
        async move {
            let until = Instant::now() + LIFETIME;
            let _ =
                tokio::time::timeout(LIFETIME, connection(stream, peer.ip(), id, &shared, until))
                    .await;
        }
    })
    .await;
}

/// Reads into `buf` until the stream ends, an error, [`IDLE`], or `until` (the connection's
/// lifetime, looked at first: the time-out around the connection only fires while it waits,
/// and a client that floods never lets it wait): `false` then.
async fn fill(stream: &mut TcpStream, buf: &mut Vec<u8>, until: Instant) -> bool {
    let mut chunk = [0u8; 8192];
    let by = until.min(Instant::now() + IDLE);
    matches!(
        flood::by(by, stream.read(&mut chunk)).await,
        Some(Ok(n)) if n > 0 && { buf.extend_from_slice(&chunk[..n]); true }
    )
}

/// Serves one connection's requests, one after another, until the client closes it or
/// `until`.
async fn connection(
    mut stream: TcpStream,
    peer: IpAddr,
    conn: u64,
    shared: &Shared,
    until: Instant,
) {
    let mut buf = Vec::new();
    loop {
        // Searched from where the last look stopped (less the terminator's length), so a head
        // read in pieces costs what it reads.
        let mut looked = 0;
        let (head_end, body_start) = loop {
            if let Some(found) = http::find_head_end(&buf, looked) {
                break found;
            }
            looked = buf.len().saturating_sub(3);
            if buf.len() > HEAD_CAP || !fill(&mut stream, &mut buf, until).await {
                return;
            }
        };
        let (line, headers) = http::split_head(&buf[..head_end]);
        let mut words = line.split_whitespace();
        let (method, target) = (words.next().unwrap_or_default(), words.next());
        let Some(target) = target.filter(|t| t.starts_with('/')) else {
            let _ = reply(&mut stream, 400, b"", false).await;
            return;
        };
        let value = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.to_ascii_lowercase())
        };
        if value("transfer-encoding").is_some() {
            let _ = reply(&mut stream, 411, b"", false).await;
            return;
        }
        let length = match value("content-length").map(|v| v.trim().parse::<usize>()) {
            None => 0,
            Some(Ok(n)) if n <= BODY_CAP => n,
            Some(_) => {
                let _ = reply(&mut stream, 413, b"", false).await;
                return;
            }
        };
        while buf.len() < body_start + length {
            if !fill(&mut stream, &mut buf, until).await {
                return;
            }
        }
        let body = buf[body_start..body_start + length].to_vec();
        buf.drain(..body_start + length);
        let (path, query) = split_target(target);
        let close =
            value("connection").is_some_and(|v| v.contains("close")) || line.ends_with("HTTP/1.0");
        let record = Record {
            conn,
            method: method.to_string(),
            target: target.to_string(),
            path,
            query,
            headers,
            body,
            at: shared.now(),
            outcome: Outcome::Pending,
        };
        let (status, delay, answer) = route(&record, peer, shared);
        let size = body_start + length;
        let (at, index) = (record.at, shared.push(&record, size));
        if let Some(d) = delay
            && !stall(&mut stream, &mut buf, d).await
        {
            let left = Outcome::ClientLeft {
                after: shared.now() - at,
            };
            shared.finish(index, record, left);
            return;
        }
        let body = if answer.is_null() {
            Vec::new()
        } else {
            format!("{answer:#}\n").into_bytes()
        };
        // A HEAD answer has GET's headers and no body: bytes after it would be read as the
        // start of the next answer on a kept-alive connection.
        let sent = if record.method == "HEAD" {
            0
        } else {
            body.len()
        };
        let written = reply_sized(&mut stream, status, &body[..sent], body.len(), close).await;
        if written.is_err() {
            let left = Outcome::ClientLeft {
                after: shared.now() - at,
            };
            shared.finish(index, record, left);
            return;
        }
        let answered = Outcome::Answered {
            status,
            after: shared.now() - at,
        };
        shared.finish(index, record, answered);
        if close {
            return;
        }
    }
}

/// Waits `d`, watching the connection: `false` when the client closed it meanwhile. Bytes
/// that arrive (a next request) are kept in `buf`, up to the head cap.
async fn stall(stream: &mut TcpStream, buf: &mut Vec<u8>, d: Duration) -> bool {
    let end = Instant::now() + d;
    let mut chunk = [0u8; 4096];
    loop {
        // The end looked at before each read: bytes that keep coming must not stretch it.
        match flood::by(end, stream.read(&mut chunk)).await {
            None => return true,
            Some(Ok(0) | Err(_)) => return false,
            Some(Ok(n)) if buf.len() + n <= HEAD_CAP => buf.extend_from_slice(&chunk[..n]),
            Some(Ok(_)) => return false,
        }
    }
}

async fn reply(
    stream: &mut TcpStream,
    status: u16,
    body: &[u8],
    close: bool,
) -> std::io::Result<()> {
    reply_sized(stream, status, body, body.len(), close).await
}

/// Writes an answer whose `Content-Length` is `length` and whose body sent is `body` (empty
/// for HEAD).
async fn reply_sized(
    stream: &mut TcpStream,
    status: u16,
    body: &[u8],
    length: usize,
    close: bool,
) -> std::io::Result<()> {
    let mut out = format!(
        "HTTP/1.1 {status} {}\r\nServer: netgrade-httpbin\r\nContent-Type: application/json\r\nContent-Length: {length}\r\nConnection: {}\r\n\r\n",
        reason(status),
        if close { "close" } else { "keep-alive" }
    )
    .into_bytes();
    out.extend_from_slice(body);
    match tokio::time::timeout(IDLE, stream.write_all(&out)).await {
        Ok(r) => r,
        Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
    }
}

/// The status, a stall before answering, and the JSON answer (`Null`: an empty body).
fn route(r: &Record, peer: IpAddr, shared: &Shared) -> (u16, Option<Duration>, Value) {
    let echo = || {
        let mut m = Map::new();
        m.insert("args".into(), args(&r.query));
        m.insert("headers".into(), headers(&r.headers));
        m.insert("origin".into(), peer.to_string().into());
        let host = r.header("host").unwrap_or("localhost");
        m.insert("url".into(), format!("http://{host}{}", r.target).into());
        m
    };
    let method = r.method.as_str();
    let not_allowed = (405, None, json!({"error": "method not allowed"}));
    match r.path.as_str() {
        "/get" if method == "GET" || method == "HEAD" => {
            let mut m = echo();
            m.insert("token".into(), shared.config.token.clone().into());
            (200, None, Value::Object(m))
        }
        "/post" if method == "POST" => {
            let text = String::from_utf8_lossy(&r.body).into_owned();
            let mut m = echo();
            let form = r
                .header("content-type")
                .is_some_and(|t| t.contains("x-www-form-urlencoded"));
            m.insert("data".into(), if form { "" } else { &text }.into());
            m.insert("files".into(), json!({}));
            m.insert(
                "form".into(),
                if form {
                    args(&parse_query(&text))
                } else {
                    json!({})
                },
            );
            let parsed = serde_json::from_slice::<Value>(&r.body).unwrap_or(Value::Null);
            m.insert("json".into(), if form { Value::Null } else { parsed });
            (200, None, Value::Object(m))
        }
        "/get" | "/post" => not_allowed,
        "/flaky" => {
            let n = shared.flaky_attempt();
            if n <= shared.config.flaky_failures {
                (
                    503,
                    None,
                    json!({"error": "service unavailable, try again", "attempt": n}),
                )
            } else {
                (200, None, json!({"ok": true, "attempt": n}))
            }
        }
        "/" => (
            200,
            None,
            json!({"endpoints": ["/get", "/post", "/status/{code}", "/delay/{n}", "/flaky"]}),
        ),
        p => {
            if let Some(code) = p.strip_prefix("/status/") {
                return match code.parse::<u16>() {
                    Ok(c) if (200..=599).contains(&c) => (c, None, Value::Null),
                    _ => (400, None, json!({"error": "invalid status code"})),
                };
            }
            if let Some(n) = p.strip_prefix("/delay/") {
                return match n.parse::<f64>() {
                    Ok(s) if s.is_finite() && s >= 0.0 => {
                        let d = Duration::from_secs_f64(s).min(DELAY_CAP);
                        (200, Some(d), Value::Object(echo()))
                    }
                    _ => (400, None, json!({"error": "invalid delay"})),
                };
            }
            (404, None, json!({"error": "not found"}))
        }
    }
}

#[cfg(test)]
mod tests;
