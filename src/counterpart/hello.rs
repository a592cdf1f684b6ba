//! The seed's hello server over HTTP/1.1: `GET /` answers lab01's body (the seed's three
//! lines with the caller's real address); any other path 404. It is lab01's reference server
//! (`grade reference lab01`) and, with a token and a failing path of the grading's own, the
//! server lab03's student client talks to. Written on raw tokio sockets so that every byte on
//! the wire is chosen here; every connection is bounded in size and time.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::wire::lab01::{BODY, body_with};

/// How the server varies its answers when the grader uses it as a counterpart (lab03).
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Appended to every body as `token=...`, so that a client's preview must really come
    /// from this server; changed by the grader before each run of the student's client.
    pub token: Arc<Mutex<Option<String>>>,
    /// Paths starting with this answer 500.
    pub fail_prefix: Option<String>,
    /// The body template (see [`BODY`]), when a course changed it in `[reference]`.
    pub body: Option<Arc<str>>,
}

impl Config {
    pub fn set_token(&self, token: Option<String>) {
        *self.token.lock().unwrap_or_else(|e| e.into_inner()) = token;
    }

    fn token_line(&self) -> String {
        match &*self.token.lock().unwrap_or_else(|e| e.into_inner()) {
            Some(t) => format!("token={t}\n"),
            None => String::new(),
        }
    }
}

/// Serves connections from `listener` with `config` until the task is dropped.
pub async fn serve_with(listener: TcpListener, config: Config) -> std::io::Result<()> {
    loop {
        let (stream, peer) = listener.accept().await?;
        let config = config.clone();
        tokio::spawn(async move {
            // One slow or silent client must not hold up the others, nor stay forever.
            let _ =
                tokio::time::timeout(Duration::from_secs(10), handle(stream, peer, &config)).await;
        });
    }
}

async fn handle(mut stream: TcpStream, peer: SocketAddr, config: &Config) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && !buf.windows(2).any(|w| w == b"\n\n") {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            // A connect-and-close probe (readiness checks): nothing to answer.
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.len() > 16 << 10 {
            return respond(
                &mut stream,
                431,
                "Request Header Fields Too Large",
                "too large\n",
            )
            .await;
        }
    }
    let head = String::from_utf8_lossy(&buf);
    let mut parts = head.lines().next().unwrap_or_default().split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let client = match peer.ip() {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    };
    let token = config.token_line();
    let fails = |p: &str| {
        config
            .fail_prefix
            .as_deref()
            .is_some_and(|f| p.starts_with(f))
    };
    match (method, path) {
        ("GET", "/") => {
            let body = body_with(config.body.as_deref().unwrap_or(BODY), client);
            respond(&mut stream, 200, "OK", &format!("{body}{token}")).await
        }
        ("GET", p) if fails(p) => {
            let text = format!("Internal Server Error: {p}\n{token}");
            respond(&mut stream, 500, "Internal Server Error", &text).await
        }
        ("GET", p) => {
            respond(
                &mut stream,
                404,
                "Not Found",
                &format!("Not Found: {p}\n{token}"),
            )
            .await
        }
        _ => {
            respond(
                &mut stream,
                501,
                "Not Implemented",
                "only GET is supported\n",
            )
            .await
        }
    }
}

async fn respond(
    stream: &mut TcpStream,
    code: u16,
    reason: &str,
    body: &str,
) -> std::io::Result<()> {
    let msg = format!(
        "HTTP/1.1 {code} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(msg.as_bytes()).await?;
    stream.shutdown().await
}
