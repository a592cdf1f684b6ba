//! The reference lab06 web server: what the handout asks of the student's `http.server`
//! program, on raw tokio sockets so that every byte on the wire is chosen here. `GET /` answers
//! 200, `Content-Type: text/html; charset=utf-8`, a correct `Content-Length` and the body
//! `Hello, client!`; any other path 404; any other method 501; a request line that does not
//! parse 400. A task per connection, so an idle client holds up no one.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::wire::lab06::BODY;

/// What `[reference]` in `lab.toml` may change: the body (a course's own sentence).
pub const PARAMS: &[super::Param] = &[super::Param {
    key: "body",
    default: BODY,
    about: "the body of GET / (the body check compares it, a closing newline aside)",
    check: check_body,
}];

fn check_body(body: &str) -> Result<(), String> {
    if body.trim_end().is_empty() {
        return Err(
            "the body must not be empty: the body check would pass a server that sends nothing"
                .into(),
        );
    }
    Ok(())
}

/// Serves connections from `listener` until the task is dropped.
pub async fn serve(listener: TcpListener) -> std::io::Result<()> {
    serve_with(listener, BODY.into()).await
}

/// Serves connections from `listener`, answering `GET /` with `body`, until the task is
/// dropped.
pub async fn serve_with(listener: TcpListener, body: Arc<str>) -> std::io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        let body = body.clone();
        tokio::spawn(async move {
            // A silent client gets its own task and a time limit: it holds up no one, and does
            // not stay forever.
            let _ = tokio::time::timeout(Duration::from_secs(10), handle(stream, &body)).await;
        });
    }
}

async fn handle(mut stream: TcpStream, body: &str) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && !buf.windows(2).any(|w| w == b"\n\n") {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            // Connected and closed without a request (a readiness probe): nothing to answer.
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.len() > 16 << 10 {
            return respond(
                &mut stream,
                431,
                "Request Header Fields Too Large",
                "",
                true,
            )
            .await;
        }
    }
    let head = String::from_utf8_lossy(&buf);
    let words: Vec<&str> = head
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let [method, path, version] = words[..] else {
        return respond(&mut stream, 400, "Bad Request", "bad request line\n", true).await;
    };
    if !version.starts_with("HTTP/") {
        return respond(&mut stream, 400, "Bad Request", "bad request line\n", true).await;
    }
    match (method, path) {
        ("GET", "/") => respond(&mut stream, 200, "OK", body, true).await,
        ("HEAD", "/") => respond(&mut stream, 200, "OK", body, false).await,
        ("GET" | "HEAD", _) => respond(&mut stream, 404, "Not Found", "not found\n", true).await,
        _ => {
            let text = "only GET is supported\n";
            respond(&mut stream, 501, "Not Implemented", text, true).await
        }
    }
}

/// Writes one HTTP/1.0 response and closes; `with_body` is false for HEAD (the headers still
/// describe the body a GET would get).
async fn respond(
    stream: &mut TcpStream,
    code: u16,
    reason: &str,
    body: &str,
    with_body: bool,
) -> std::io::Result<()> {
    let mut msg = format!(
        "HTTP/1.0 {code} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    if with_body {
        msg.push_str(body);
    }
    stream.write_all(msg.as_bytes()).await?;
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_must_not_be_empty() {
        assert!(check_body(BODY).is_ok());
        assert!(check_body(" \n").is_err());
    }
}
