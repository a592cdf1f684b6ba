//! How lab06 talks to the student's web server. Two ways, on purpose:
//!
//! - **As an ordinary client** (reqwest): the status of `GET /`, `POST /`, a request sent while
//!   another connection idles, the printed URL. What a browser or `requests` would see.
//! - **As raw bytes**: the header *as sent* (a client library lowercases names and may fix
//!   framing), the body *as sent* up to the connection's end (so a wrong `Content-Length` is
//!   seen, not obeyed), and a request line no library will send.
//!
//! Both stay on loopback, bounded in time and in what they keep.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

use crate::i18n::Lang;
use crate::net::http::{self, HttpError};

/// The most of a response the raw reader keeps (the lab's body is 14 bytes).
const RAW_CAP: usize = 1 << 20;
/// A silence this long after the last byte ends a raw read (a server that keeps the
/// connection open after a complete response).
const RAW_IDLE: Duration = Duration::from_millis(1500);

/// A client that never uses a proxy (reqwest honours proxy variables even for loopback) nor
/// keeps a connection for the next request: a kept-alive connection would occupy a
/// one-at-a-time server and make the next check fail for the wrong lesson.
pub fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(timeout)
        .timeout(timeout)
        .build()
        .expect("a client without TLS or proxies always builds")
}

/// Why an ordinary request got no HTTP answer, in the student's language.
pub fn explain(e: &reqwest::Error, limit: Duration, lang: Lang) -> String {
    if e.is_timeout() {
        return format!(
            "{} ({} s)",
            lang.pick(
                "제한 시간 안에 응답이 오지 않았습니다",
                "no response within the time limit"
            ),
            limit.as_secs_f32()
        );
    }
    // The chain's last cause is the one that says what happened (refused, reset, not HTTP).
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let what = if e.is_connect() {
        lang.pick(
            "서버에 연결할 수 없습니다",
            "could not connect to the server",
        )
    } else {
        lang.pick(
            "올바른 HTTP 응답을 받지 못했습니다",
            "did not get a valid HTTP response",
        )
    };
    format!("{what}: {cause}")
}

/// A response read as raw bytes: the head as sent and everything after it until the server
/// closed (or went quiet, or the cap).
#[derive(Debug, Default)]
pub struct Raw {
    /// The first line when it is an HTTP status line; `None` when the answer has no status
    /// line (an HTTP/0.9-style error page) or no head at all.
    pub status_line: Option<String>,
    pub status: Option<u16>,
    /// Header lines as sent: name (case kept) and value.
    pub headers: Vec<(String, String)>,
    /// The bytes after the blank line, or every byte when there was no head.
    pub body: Vec<u8>,
    /// The server kept the connection open after its last byte (the read stopped on silence).
    pub went_quiet: bool,
    /// The read stopped at the cap.
    pub capped: bool,
}

impl Raw {
    /// Values of the header `name` (any case), in order.
    pub fn header(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The header lines as sent, for a failure's "seen" block.
    pub fn head_text(&self) -> String {
        let mut out = self.status_line.clone().unwrap_or_default();
        for (k, v) in &self.headers {
            out.push_str(&format!("\n{k}: {v}"));
        }
        out
    }
}

/// Sends `request` to `target` as is and reads the answer to its end, within `until`.
pub async fn exchange(
    target: SocketAddr,
    request: &[u8],
    until: Instant,
) -> Result<Raw, HttpError> {
    let total = until.saturating_duration_since(Instant::now());
    let mut stream = http::connect(target, None, total.min(Duration::from_secs(2))).await?;
    match tokio::time::timeout_at(until, stream.write_all(request)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(HttpError::Io(e)),
        Err(_) => {
            return Err(HttpError::Timeout {
                phase: "sending the request",
                limit: total,
            });
        }
    }
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let (mut went_quiet, mut capped) = (false, false);
    loop {
        if buf.len() >= RAW_CAP {
            buf.truncate(RAW_CAP);
            capped = true;
            break;
        }
        // Until the first byte, the whole time is the server's; after it, a pause ends it.
        let wait = if buf.is_empty() {
            until
        } else {
            until.min(Instant::now() + RAW_IDLE)
        };
        match crate::flood::by(wait, stream.read(&mut chunk)).await {
            Some(Ok(0)) => break,
            Some(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            // A reset after the answer: what came is the answer.
            Some(Err(_)) if !buf.is_empty() => break,
            Some(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Some(Err(e)) => return Err(HttpError::Io(e)),
            None if buf.is_empty() => {
                return Err(HttpError::Timeout {
                    phase: "waiting for the response",
                    limit: total,
                });
            }
            None => {
                went_quiet = true;
                break;
            }
        }
    }
    let mut raw = parse(&buf);
    raw.went_quiet = went_quiet;
    raw.capped = capped;
    Ok(raw)
}

/// Splits raw bytes into status line, headers and body. Bytes that do not start with an HTTP
/// status line are all body (an HTTP/0.9-style answer).
pub fn parse(buf: &[u8]) -> Raw {
    if !buf.starts_with(b"HTTP/") {
        return Raw {
            body: buf.to_vec(),
            ..Raw::default()
        };
    }
    let Some((head_end, body_start)) = http::find_head_end(buf, 0) else {
        // A status line with no blank line after it: keep it, so the failure can say so.
        let line = first_line(buf);
        return Raw {
            status: http::parse_status(&line),
            status_line: Some(line),
            ..Raw::default()
        };
    };
    let (status_line, headers) = http::split_head(&buf[..head_end]);
    Raw {
        status: http::parse_status(&status_line),
        status_line: Some(status_line),
        headers,
        body: buf[body_start..].to_vec(),
        ..Raw::default()
    }
}

fn first_line(buf: &[u8]) -> String {
    let end = buf.iter().position(|&b| b == b'\n').unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end])
        .trim_end_matches('\r')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_header_names_and_the_body_as_sent() {
        let r = parse(b"HTTP/1.0 200 OK\r\nContent-type: text/html\r\n\r\nHello, client!");
        assert_eq!(r.status, Some(200));
        assert_eq!(r.header("content-type"), ["text/html"]);
        assert_eq!(r.headers[0].0, "Content-type");
        assert_eq!(r.body, b"Hello, client!");
    }

    #[test]
    fn an_answer_without_a_status_line_is_all_body() {
        let page = b"<html><p>Error code: 400</p>\n\n</html>";
        let r = parse(page);
        assert_eq!((r.status, r.status_line.as_deref()), (None, None));
        assert_eq!(r.body, page);
    }

    #[test]
    fn the_first_blank_line_ends_the_head() {
        let r = parse(b"HTTP/1.0 200 OK\nContent-Length: 12\n\nline1\r\n\r\nend");
        assert_eq!(r.body, b"line1\r\n\r\nend");
    }
}
