//! lab10's TLS servers on loopback (rustls with ring, tokio-rustls): each serves one
//! certificate whatever name the client asks for, and records what it saw (the SNI of every
//! ClientHello, completed handshakes with their version, request lines), so that a check
//! reads what the client *did*, not only what it printed. A stalling server accepts TCP and
//! never answers the handshake. Connections, request heads and times are bounded.

pub mod certs;

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::ServerConfig;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

/// Connections served at once; more wait in the backlog.
const MAX_CONNECTIONS: usize = 16;
/// Entries kept in each list of a [`Seen`] (a flood records no more).
const MAX_RECORDS: usize = 64;
/// A request head larger than this is answered as it is.
pub const MAX_HEAD: usize = 16 * 1024;
/// Time for a handshake, then for the request head.
const STEP_LIMIT: Duration = Duration::from_secs(5);
/// How long a stalling server holds a connection before dropping it.
const STALL_HOLD: Duration = Duration::from_secs(30);

/// What one server saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Seen {
    /// TCP connections accepted.
    pub connections: usize,
    /// The server name (SNI) of every ClientHello, `None` when it carried none.
    pub hellos: Vec<Option<String>>,
    /// The protocol version of every completed handshake (`TLSv1.3`).
    pub handshakes: Vec<String>,
    /// Handshakes that failed because the client offered no version (or cipher suite) this
    /// server accepts: rustls stops those before it chooses a certificate, so they have no
    /// entry in `hellos`.
    pub incompatible: usize,
    /// The first line of every request read after a handshake.
    pub requests: Vec<String>,
    /// Bytes the client sent on connections that never carried a ClientHello the server could
    /// read (a handshake cut short, plain HTTP, garbage), and the first of them: what a check
    /// says it saw instead of a handshake.
    pub unreadable_bytes: usize,
    pub unreadable_start: Vec<u8>,
    /// Requests whose head reached [`MAX_HEAD`] without its end (a client that sends without
    /// end after the handshake): answered as they were, and counted.
    pub endless_heads: usize,
}

/// How many of the first bytes not a handshake are kept to be shown.
const START_KEPT: usize = 24;

/// A server's record, shared with the check that reads it.
pub type Log = Arc<Mutex<Seen>>;

fn record(log: &Log, f: impl FnOnce(&mut Seen)) {
    if let Ok(mut seen) = log.lock() {
        f(&mut seen);
    }
}

/// Which TLS versions a server offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Versions {
    Both,
    Tls12Only,
    Tls13Only,
}

/// The page every answering server sends: its token line is new in every grading.
pub fn body(token: &str) -> String {
    format!("Hello over TLS!\ntoken={token}\n")
}

/// A listener on 127.0.0.1 at `port` (0: any free one), and one on ::1 at the same port where
/// it is free: `localhost` may resolve to ::1 first (macOS, Windows), and a client must not
/// wait on a refused ::1 (seconds on Windows) first. The port and the listeners.
pub async fn loopback_listeners(port: u16) -> std::io::Result<(u16, Vec<TcpListener>)> {
    let v4 = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
    let port = v4.local_addr()?.port();
    let v6 = TcpListener::bind((Ipv6Addr::LOCALHOST, port)).await.ok();
    Ok((port, std::iter::once(v4).chain(v6).collect()))
}

/// Hands out one certificate for every ClientHello, noting its server name.
#[derive(Debug)]
struct Recording {
    key: Arc<CertifiedKey>,
    log: Log,
}

impl ResolvesServerCert for Recording {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let name = hello.server_name().map(str::to_string);
        record(&self.log, |s| {
            if s.hellos.len() < MAX_RECORDS {
                s.hellos.push(name);
            }
        });
        Some(self.key.clone())
    }
}

/// A server configuration that serves `key` with `versions`, recording into `log`. The
/// provider is ring's, named here rather than installed for the process.
pub fn server_config(
    key: Arc<CertifiedKey>,
    versions: Versions,
    log: Log,
) -> Result<ServerConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let versions: &[&'static rustls::SupportedProtocolVersion] = match versions {
        Versions::Both => &[&rustls::version::TLS13, &rustls::version::TLS12],
        Versions::Tls12Only => &[&rustls::version::TLS12],
        Versions::Tls13Only => &[&rustls::version::TLS13],
    };
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(Recording { key, log }));
    // Under `--capture`, the grader's own (throwaway) session keys go into the capture, so
    // that Wireshark shows the TLS 1.3 handshake and the client's alert, which are encrypted.
    if crate::net::capture::active() {
        config.key_log = Arc::new(IntoCapture);
    }
    Ok(config)
}

/// Hands every TLS secret of the grader's servers to the running capture.
#[derive(Debug)]
struct IntoCapture;

impl rustls::KeyLog for IntoCapture {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        crate::net::capture::tls_secret(&format!("{label} {} {}", hex(client_random), hex(secret)));
    }
}

/// `TLSv1.3`, as Python's `SSLSocket.version()` writes it.
pub fn version_name(v: rustls::ProtocolVersion) -> String {
    match v {
        rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".into(),
        rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".into(),
        other => format!("{other:?}"),
    }
}

/// Serves HTTPS on `listener` until dropped or aborted: every request that arrives over a
/// completed handshake gets `200 OK` with `body`, then a close_notify.
pub async fn serve(listener: TcpListener, config: ServerConfig, body: Arc<str>, log: Log) {
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let mut tasks = JoinSet::new();
    loop {
        while tasks.len() >= MAX_CONNECTIONS {
            tasks.join_next().await;
        }
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        record(&log, |s| s.connections += 1);
        let (acceptor, body, log) = (acceptor.clone(), body.clone(), log.clone());
        tasks.spawn(async move {
            let _ = tokio::time::timeout(STEP_LIMIT * 2, answer(acceptor, tcp, &body, &log)).await;
        });
        while tasks.try_join_next().is_some() {}
    }
}

async fn answer(acceptor: TlsAcceptor, tcp: TcpStream, body: &str, log: &Log) {
    let hellos_before = log.lock().map(|s| s.hellos.len()).unwrap_or(0);
    // Counted as the handshake reads it: if no ClientHello comes of it, the check says what
    // came instead.
    let (counted, seen) = Counted::new(tcp);
    let accepted = tokio::time::timeout(STEP_LIMIT, acceptor.accept(counted)).await;
    let no_hello = || log.lock().map(|s| s.hellos.len()).unwrap_or(0) == hellos_before;
    let mut tls = match accepted {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            let rustls_error = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>());
            if let Some(rustls::Error::PeerIncompatible(_)) = rustls_error {
                record(log, |s| s.incompatible += 1);
            } else if no_hello() {
                note_unreadable(log, &seen);
            }
            return;
        }
        Err(_) => {
            if no_hello() {
                note_unreadable(log, &seen);
            }
            return;
        }
    };
    if let Some(v) = tls.get_ref().1.protocol_version() {
        record(log, |s| {
            if s.handshakes.len() < MAX_RECORDS {
                s.handshakes.push(version_name(v));
            }
        });
    }
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    let until = tokio::time::Instant::now() + STEP_LIMIT;
    let mut ended = false;
    // Each read looks at the deadline first and searches only what it added (and the three
    // bytes before): a client that sends without end meets the cap, in time.
    while !ended && head.len() < MAX_HEAD {
        match crate::flood::by(until, tls.read(&mut buf)).await {
            None => return,
            Some(Ok(0) | Err(_)) => break,
            Some(Ok(n)) => {
                let from = head.len().saturating_sub(3);
                head.extend_from_slice(&buf[..n]);
                ended = head[from..].windows(4).any(|w| w == b"\r\n\r\n");
            }
        }
    }
    if head.is_empty() {
        return;
    }
    if !ended && head.len() >= MAX_HEAD {
        record(log, |s| s.endless_heads += 1);
    }
    let line = String::from_utf8_lossy(head.split(|b| *b == b'\n').next().unwrap_or(&[]));
    let line = crate::text::clip_default(line.trim());
    record(log, |s| {
        if s.requests.len() < MAX_RECORDS {
            s.requests.push(line);
        }
    });
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tls.write_all(response.as_bytes()).await;
    let _ = tls.shutdown().await;
}

/// Records bytes that began a connection but never became a ClientHello.
fn note_unreadable(log: &Log, seen: &Received) {
    let Ok(seen) = seen.lock().map(|s| s.clone()) else {
        return;
    };
    if seen.0 == 0 {
        return;
    }
    record(log, |s| {
        s.unreadable_bytes += seen.0;
        if s.unreadable_start.is_empty() {
            s.unreadable_start = seen.1;
        }
    });
}

/// How many bytes a connection sent, and the first [`START_KEPT`] of them.
type Received = Arc<Mutex<(usize, Vec<u8>)>>;

/// A connection that counts what it reads and keeps the first [`START_KEPT`] bytes.
struct Counted {
    tcp: TcpStream,
    seen: Received,
}

impl Counted {
    fn new(tcp: TcpStream) -> (Counted, Received) {
        let seen = Arc::new(Mutex::new((0, Vec::new())));
        (
            Counted {
                tcp,
                seen: seen.clone(),
            },
            seen,
        )
    }
}

impl tokio::io::AsyncRead for Counted {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = std::pin::Pin::new(&mut self.tcp).poll_read(cx, buf);
        let new = &buf.filled()[before..];
        if !new.is_empty()
            && let Ok(mut s) = self.seen.lock()
        {
            s.0 += new.len();
            let room = START_KEPT.saturating_sub(s.1.len()).min(new.len());
            s.1.extend_from_slice(&new[..room]);
        }
        r
    }
}

impl tokio::io::AsyncWrite for Counted {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.tcp).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}

/// Accepts TCP on `listener` and never answers: reads and drops what arrives (a ClientHello)
/// and holds each connection for 30 s, so only a client's own time-out ends it.
pub async fn stall(listener: TcpListener, log: Log) {
    let mut tasks = JoinSet::new();
    loop {
        while tasks.len() >= MAX_CONNECTIONS {
            tasks.join_next().await;
        }
        let Ok((mut tcp, _)) = listener.accept().await else {
            continue;
        };
        record(&log, |s| s.connections += 1);
        tasks.spawn(async move {
            let mut buf = [0u8; 4096];
            let mut total = 0usize;
            let _ = tokio::time::timeout(STALL_HOLD, async {
                loop {
                    match tcp.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => total += n,
                    }
                    if total >= 1024 * 1024 {
                        // Too much sent: hold on without reading.
                        std::future::pending::<()>().await;
                    }
                }
            })
            .await;
        });
        while tasks.try_join_next().is_some() {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_named_as_python_names_them() {
        assert_eq!(version_name(rustls::ProtocolVersion::TLSv1_3), "TLSv1.3");
        assert_eq!(version_name(rustls::ProtocolVersion::TLSv1_2), "TLSv1.2");
    }
}
