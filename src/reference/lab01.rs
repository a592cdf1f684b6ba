//! The reference lab01 server: `GET /` answers the seed's three-line body with the caller's
//! real address; any other path answers 404. Written on raw tokio sockets so that every byte
//! on the wire is chosen here.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The body of `GET /` exactly as the seed prints it, `{client_ip}` standing for the caller's
/// address.
pub const BODY: &str = "OK! You reached the server.\nclient_ip={client_ip}\nTry accessing via localhost and via your private IP.\n";

/// What `[reference]` in `lab.toml` may change: the body (a course's own wording).
pub const PARAMS: &[super::Param] = &[super::Param {
    key: "body",
    default: BODY,
    about: "the body of GET /; {client_ip} is the caller's address, and the line client_ip={client_ip} must stay (the client_ip and lan checks read it)",
    check: check_body,
}];

fn check_body(body: &str) -> Result<(), String> {
    if !body
        .lines()
        .any(|l| l.trim_end_matches('\r') == "client_ip={client_ip}")
    {
        return Err(
            "the body must keep a line `client_ip={client_ip}`: the client_ip and lan checks read the caller's address there".into(),
        );
    }
    Ok(())
}

/// The body `template` (see [`BODY`]) for a caller at `client_ip`.
pub fn body_with(template: &str, client_ip: IpAddr) -> String {
    template.replace("{client_ip}", &client_ip.to_string())
}

/// The seed's body for a caller at `client_ip`.
pub fn body(client_ip: IpAddr) -> String {
    body_with(BODY, client_ip)
}

/// The three startup lines, as the student's program must print them.
pub fn startup_lines(port: u16) -> [String; 3] {
    let private = crate::net::ifaces::lan_ipv4()
        .first()
        .copied()
        .unwrap_or(Ipv4Addr::LOCALHOST);
    [
        "Running on all addresses (0.0.0.0)".to_string(),
        format!("Running on http://127.0.0.1:{port}"),
        format!("Running on http://{private}:{port}"),
    ]
}

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

/// Serves connections from `listener` until the task is dropped, as `grade reference lab01`.
pub async fn serve(listener: TcpListener) -> std::io::Result<()> {
    serve_with(listener, Config::default()).await
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_must_keep_its_client_ip_line() {
        assert!(check_body(BODY).is_ok());
        assert!(check_body("Hi!\r\nclient_ip={client_ip}\r\n").is_ok());
        let e = check_body("Hi! You are {client_ip}\n").unwrap_err();
        assert!(e.contains("client_ip={client_ip}"), "{e}");
        assert_eq!(
            body("127.9.8.7".parse().unwrap()).lines().nth(1),
            Some("client_ip=127.9.8.7")
        );
    }
}
