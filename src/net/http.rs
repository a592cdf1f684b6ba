//! A small HTTP/1.1 client for probing student servers. Raw bytes, not a library client,
//! because the grader must choose the source address (to catch a hard-coded `client_ip`),
//! bound every read (idle timeout and total deadline), cap what it keeps, and report exactly
//! what went wrong (refused, silent, closed mid-response, not HTTP) in terms a student can act on.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::Instant;

use crate::i18n::Lang;

/// How much the client waits for and keeps.
#[derive(Clone, Copy, Debug)]
pub struct HttpLimits {
    pub connect: Duration,
    /// Longest silence between two reads.
    pub idle: Duration,
    /// The whole exchange, however the server trickles bytes.
    pub total: Duration,
    pub header_cap: usize,
    pub body_cap: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            connect: Duration::from_secs(2),
            idle: Duration::from_secs(2),
            total: Duration::from_secs(5),
            header_cap: 64 << 10,
            body_cap: 1 << 20,
        }
    }
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub status_line: String,
    /// Names as sent (case kept).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The server sent more than `body_cap`; the rest was not read.
    pub body_truncated: bool,
}

impl Response {
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("could not use source address {addr}: {source}")]
    SourceBind {
        addr: IpAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("connection refused")]
    Refused,
    #[error("connect failed: {0}")]
    Connect(std::io::Error),
    #[error("timed out {phase} ({} s)", limit.as_secs_f64())]
    Timeout {
        phase: &'static str,
        /// The limit that ran out: the wait for the next bytes, or the whole exchange.
        limit: Duration,
    },
    #[error("connection closed after {received} bytes, before a complete response")]
    Closed { received: usize },
    #[error("not an HTTP response: {start:?}")]
    Malformed { start: String },
    #[error("response headers larger than {0} bytes")]
    HeadersTooLarge(usize),
    #[error("the chunked body is malformed")]
    BadChunked,
    #[error("i/o error: {0}")]
    Io(std::io::Error),
}

impl HttpError {
    /// Whether the grader, not the student's program, is at fault (the checks turn that into
    /// an error, never the student's failure: `labs::http_verdict`).
    pub fn is_grader_side(&self) -> bool {
        matches!(self, HttpError::SourceBind { .. })
    }

    /// A sentence for the student.
    pub fn explain(&self, lang: Lang) -> String {
        match self {
            HttpError::SourceBind { addr, .. } => format!(
                "{} {addr}",
                lang.pick(
                    "채점기가 출발지 주소를 사용하지 못했습니다:",
                    "the grader could not use the source address"
                )
            ),
            HttpError::Refused => lang
                .pick(
                    "연결이 거부되었습니다 (그 주소와 포트에서 연결을 기다리는 프로그램이 없습니다)",
                    "the connection was refused (nothing listens at that address and port)",
                )
                .into(),
            HttpError::Connect(e) => format!("{}: {e}", lang.pick("연결 실패", "connect failed")),
            HttpError::Timeout { phase, limit } => format!(
                "{} ({phase}; {:.1} s)",
                lang.pick(
                    "서버가 제한 시간 안에 응답을 끝내지 않았습니다",
                    "the server did not finish its response in time"
                ),
                limit.as_secs_f64()
            ),
            HttpError::Closed { received } => format!(
                "{} ({received} bytes)",
                lang.pick(
                    "응답이 끝나기 전에 서버가 연결을 닫았습니다",
                    "the server closed the connection before the response was complete"
                )
            ),
            HttpError::BadChunked => lang
                .pick(
                    "Transfer-Encoding: chunked 라고 했지만 본문이 chunked 형식이 아닙니다 (크기 줄, 끝의 0 줄)",
                    "it said Transfer-Encoding: chunked, but the body is not in chunked form (size lines, a final 0 line)",
                )
                .into(),
            HttpError::Malformed { start } => format!(
                "{}: {}",
                lang.pick(
                    "HTTP 응답이 아닙니다. 처음 받은 내용",
                    "this is not an HTTP response; it starts with"
                ),
                crate::text::escape_student(start.as_bytes()).replace('\n', "\\n")
            ),
            HttpError::HeadersTooLarge(n) => format!(
                "{} ({n} bytes)",
                lang.pick(
                    "응답 헤더가 너무 깁니다",
                    "the response headers are too large"
                )
            ),
            HttpError::Io(e) => format!("{}: {e}", lang.pick("입출력 오류", "i/o error")),
        }
    }
}

/// Sends `GET path` to `target`, from `source` if given, and reads the whole response.
pub async fn get(
    target: SocketAddr,
    source: Option<IpAddr>,
    host: &str,
    path: &str,
    limits: HttpLimits,
) -> Result<Response, HttpError> {
    let deadline = Instant::now() + limits.total;
    let mut stream = connect(target, source, limits.connect.min(limits.total)).await?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: netgrade\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    tokio::time::timeout_at(deadline, stream.write_all(request.as_bytes()))
        .await
        .map_err(|_| HttpError::Timeout {
            phase: "sending the request",
            limit: limits.total,
        })?
        .map_err(HttpError::Io)?;
    read_response(&mut stream, deadline, limits).await
}

/// Connects from `source` (when given) to `target`.
pub async fn connect(
    target: SocketAddr,
    source: Option<IpAddr>,
    timeout: Duration,
) -> Result<TcpStream, HttpError> {
    let socket = match target {
        SocketAddr::V4(_) => TcpSocket::new_v4(),
        SocketAddr::V6(_) => TcpSocket::new_v6(),
    }
    .map_err(HttpError::Io)?;
    if let Some(addr) = source {
        socket
            .bind(SocketAddr::new(addr, 0))
            .map_err(|source| HttpError::SourceBind { addr, source })?;
    }
    match tokio::time::timeout(timeout, socket.connect(target)).await {
        Err(_) => Err(HttpError::Timeout {
            phase: "connecting",
            limit: timeout,
        }),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => Err(HttpError::Refused),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::AddrNotAvailable && source.is_some() => {
            Err(HttpError::SourceBind {
                addr: source.expect("checked"),
                source: e,
            })
        }
        Ok(Err(e)) => Err(HttpError::Connect(e)),
        Ok(Ok(s)) => Ok(s),
    }
}

/// Reads one response from `stream`: headers up to the cap, then a body framed by Content-Length, chunked
/// encoding, or the end of the connection.
pub async fn read_response<R: AsyncRead + Unpin>(
    stream: &mut R,
    deadline: Instant,
    limits: HttpLimits,
) -> Result<Response, HttpError> {
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    // Where the search for the blank line resumes: each byte is looked at about once, however
    // the server splits its head.
    let mut scanned = 0;
    let head_end = loop {
        if let Some(end) = find_head_end(&buf, scanned) {
            break end;
        }
        scanned = buf.len().saturating_sub(2);
        if buf.len() > limits.header_cap {
            return Err(HttpError::HeadersTooLarge(limits.header_cap));
        }
        if !buf.is_empty() && !buf.starts_with(&b"HTTP/"[..buf.len().min(5)]) {
            return Err(malformed(&buf));
        }
        if read_some(
            stream,
            &mut buf,
            deadline,
            limits,
            "waiting for the response",
        )
        .await?
            == 0
        {
            return Err(if buf.is_empty() {
                HttpError::Closed { received: 0 }
            } else if buf.starts_with(b"HTTP/") {
                HttpError::Closed {
                    received: buf.len(),
                }
            } else {
                malformed(&buf)
            });
        }
    };
    let (status_line, headers) = split_head(&buf[..head_end.0]);
    let status = parse_status(&status_line).ok_or_else(|| malformed(&buf))?;
    let mut body = buf.split_off(head_end.1);
    let find = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let chunked =
        find("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let length = find("content-length").and_then(|v| v.parse::<usize>().ok());
    let mut truncated = false;
    let no_body = status / 100 == 1 || status == 204 || status == 304;
    if no_body {
        body.clear();
    } else if chunked {
        // Read to the end (Connection: close was asked for), capped, then decode.
        truncated = read_to_end_capped(stream, &mut body, deadline, limits, true).await?;
        body = match decode_chunked(&body) {
            Some(decoded) => decoded,
            // Cut at the cap: what came whole is the body (the rest was never read).
            None if truncated => decode_chunked_prefix(&body),
            None => return Err(HttpError::BadChunked),
        };
    } else if let Some(n) = length {
        let want = n.min(limits.body_cap);
        while body.len() < want {
            if read_some(stream, &mut body, deadline, limits, "reading the body").await? == 0 {
                return Err(HttpError::Closed {
                    received: head_end.1 + body.len(),
                });
            }
        }
        truncated = n > limits.body_cap;
        body.truncate(want);
    } else {
        truncated = read_to_end_capped(stream, &mut body, deadline, limits, false).await?;
    }
    Ok(Response {
        status,
        status_line,
        headers,
        body,
        body_truncated: truncated,
    })
}

fn malformed(buf: &[u8]) -> HttpError {
    let start = String::from_utf8_lossy(&buf[..buf.len().min(60)]).into_owned();
    HttpError::Malformed { start }
}

/// End of the header block, at the first empty line (`\r\n` or a bare `\n` line ending):
/// (end of the headers, start of the body). `from` skips what an earlier call already
/// searched. The first blank line wins, so a body that itself holds `\r\n\r\n` is not taken
/// for more headers.
pub fn find_head_end(buf: &[u8], from: usize) -> Option<(usize, usize)> {
    let mut i = from.min(buf.len());
    while let Some(p) = buf[i..].iter().position(|&b| b == b'\n') {
        let nl = i + p;
        let rest = &buf[nl + 1..];
        if rest.starts_with(b"\n") {
            return Some((nl, nl + 2));
        }
        if rest.starts_with(b"\r\n") {
            return Some((nl, nl + 3));
        }
        i = nl + 1;
    }
    None
}

/// A response head (before its blank line) as its first line and its header lines, names and
/// values as sent (trimmed; a line without `:` is dropped).
pub fn split_head(head: &[u8]) -> (String, Vec<(String, String)>) {
    let head = String::from_utf8_lossy(head);
    let mut lines = head.split('\n').map(|l| l.trim_end_matches('\r'));
    let first = lines.next().unwrap_or_default().to_string();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    (first, headers)
}

/// `HTTP/1.1 200 OK` -> 200.
pub fn parse_status(line: &str) -> Option<u16> {
    let mut parts = line.split_whitespace();
    let version = parts.next()?;
    if !version.starts_with("HTTP/") {
        return None;
    }
    let code = parts.next()?;
    if code.len() != 3 {
        return None;
    }
    code.parse().ok().filter(|c| (100..=599).contains(c))
}

async fn read_some<R: AsyncRead + Unpin>(
    stream: &mut R,
    buf: &mut Vec<u8>,
    deadline: Instant,
    limits: HttpLimits,
    phase: &'static str,
) -> Result<usize, HttpError> {
    let idle_end = Instant::now() + limits.idle;
    let until = idle_end.min(deadline);
    let mut chunk = [0u8; 8192];
    // The deadline is looked at before the read: a server that floods never makes it wait.
    match crate::flood::by(until, stream.read(&mut chunk)).await {
        None => Err(HttpError::Timeout {
            phase,
            limit: if idle_end < deadline {
                limits.idle
            } else {
                limits.total
            },
        }),
        Some(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => Ok(0),
        Some(Err(e)) => Err(HttpError::Io(e)),
        Some(Ok(n)) => {
            buf.extend_from_slice(&chunk[..n]);
            Ok(n)
        }
    }
}

/// Reads until the server closes, keeping at most `body_cap` bytes. Returns whether it stopped
/// at the cap. A chunked body is over at its last chunk even if the server keeps the socket.
async fn read_to_end_capped<R: AsyncRead + Unpin>(
    stream: &mut R,
    body: &mut Vec<u8>,
    deadline: Instant,
    limits: HttpLimits,
    chunked: bool,
) -> Result<bool, HttpError> {
    loop {
        if body.len() >= limits.body_cap {
            body.truncate(limits.body_cap);
            return Ok(true);
        }
        if chunked && decode_chunked(body).is_some() {
            return Ok(false);
        }
        if read_some(stream, body, deadline, limits, "reading the body").await? == 0 {
            return Ok(false);
        }
    }
}

/// The chunks of a chunked body that arrived whole, for a body cut at the cap.
fn decode_chunked_prefix(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = data.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&data[..line_end])
            .ok()
            .and_then(|t| usize::from_str_radix(t.split(';').next()?.trim(), 16).ok());
        let Some(size) = size.filter(|&n| n > 0) else {
            break;
        };
        let rest = &data[line_end + 2..];
        let take = size.min(rest.len());
        out.extend_from_slice(&rest[..take]);
        if rest.len() < size + 2 {
            break;
        }
        data = &rest[size + 2..];
    }
    out
}

/// Decodes a complete chunked body; `None` while incomplete or invalid.
pub fn decode_chunked(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..line_end]).ok()?;
        let size_text = size_text.split(';').next()?.trim();
        let size = usize::from_str_radix(size_text, 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        if data.len() < size + 2 {
            return None;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines() {
        assert_eq!(parse_status("HTTP/1.0 200 OK"), Some(200));
        assert_eq!(parse_status("HTTP/1.1 404 NOT FOUND"), Some(404));
        assert_eq!(parse_status("HTTP/1.1 999 X"), None);
        assert_eq!(parse_status("hello world"), None);
        assert_eq!(parse_status(""), None);
    }

    /// Any bytes a server may send: the reader returns a response or an error, never panics,
    /// and never keeps more than its caps.
    #[test]
    fn fuzz_read_response_never_panics() {
        use proptest::prelude::*;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let limits = HttpLimits {
            header_cap: 256,
            body_cap: 512,
            ..HttpLimits::default()
        };
        let prefix = prop_oneof![
            Just(b"".to_vec()),
            Just(b"HTTP/1.1 200 OK\r\n".to_vec()),
            Just(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec()),
            Just(b"HTTP/1.0 404 X\r\nContent-Length: 99999999999999999999\r\n\r\n".to_vec()),
            Just(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n".to_vec()),
        ];
        proptest!(crate::fuzz_cases(2000), |(p in prefix, tail in proptest::collection::vec(any::<u8>(), 0..2048))| {
            let mut data = p.clone();
            data.extend_from_slice(&tail);
            let r = rt.block_on(async {
                let deadline = Instant::now() + Duration::from_secs(5);
                read_response(&mut &data[..], deadline, limits).await
            });
            if let Ok(resp) = r {
                prop_assert!(resp.body.len() <= limits.body_cap);
            }
        });
    }

    #[test]
    fn fuzz_chunked_and_status_never_panic() {
        use proptest::prelude::*;
        proptest!(crate::fuzz_cases(5000), |(data in proptest::collection::vec(any::<u8>(), 0..512), line in ".*")| {
            let _ = decode_chunked(&data);
            let _ = parse_status(&line);
        });
    }

    async fn read(bytes: &[u8]) -> Result<Response, HttpError> {
        let mut r = bytes;
        let deadline = Instant::now() + Duration::from_secs(1);
        read_response(&mut r, deadline, HttpLimits::default()).await
    }

    /// Regression: a later CRLFCRLF (in the body) was taken over an earlier bare-LF blank line.
    #[tokio::test]
    async fn the_first_blank_line_ends_the_head_whatever_its_line_ending() {
        let r = read(b"HTTP/1.0 200 OK\nContent-Length: 12\n\nline1\r\n\r\nend")
            .await
            .unwrap();
        assert_eq!(r.body, b"line1\r\n\r\nend");
        assert_eq!(
            r.headers,
            [("Content-Length".to_string(), "12".to_string())]
        );
        let r = read(b"HTTP/1.1 200 OK\r\nA: b\r\n\r\nx\n\ny")
            .await
            .unwrap();
        assert_eq!(r.body, b"x\n\ny");
        let r = read(b"HTTP/1.1 200 OK\r\nA: b\n\r\nbody").await.unwrap();
        assert_eq!(r.body, b"body");
    }

    /// Regression: malformed chunked encoding was accepted silently as the raw body.
    #[tokio::test]
    async fn malformed_chunked_body_is_an_error_not_the_raw_bytes() {
        let bad = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nHello, client!";
        assert!(matches!(read(bad).await, Err(HttpError::BadChunked)));
        let good = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nHello\r\n0\r\n\r\n";
        assert_eq!(read(good).await.unwrap().body, b"Hello");
        assert_eq!(decode_chunked_prefix(b"3\r\nabc\r\n5\r\nde"), b"abcde");
    }

    #[test]
    fn chunked_bodies() {
        assert_eq!(
            decode_chunked(b"3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n").as_deref(),
            Some(&b"abcde"[..])
        );
        assert_eq!(decode_chunked(b"3\r\nab"), None);
        assert_eq!(decode_chunked(b"zz\r\n"), None);
    }
}
