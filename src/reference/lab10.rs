//! The reference lab10 client, `grade reference lab10 URL CAFILE` (rustls with ring): the
//! server's certificate is checked against CAFILE and the URL's host, the host goes out as
//! SNI, and every step has a 3 s time-out. `grade reference lab10 serve [CAFILE]` runs the
//! grader's test servers by hand, for students to try a client against.

use std::future::Future;
use std::io::Write;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::counterpart::tls::{self, Log, Versions, certs};
use crate::wire::lab10::TIMEOUT;
const MAX_RESPONSE: u64 = 1024 * 1024;

pub use crate::net::url::Target;

/// Parses `https://host[:port][/path]`; the port defaults to 443.
pub fn parse_url(url: &str) -> Result<Target, String> {
    crate::net::url::parse(url, "https", 443)
}

/// Why the client stopped, as its `[ERROR]` line says it.
fn error_line(e: &std::io::Error) -> String {
    match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        Some(rustls::Error::InvalidCertificate(c)) => {
            format!("[ERROR] certificate verify failed: {c}")
        }
        Some(other) => format!("[ERROR] TLS handshake failed: {other}"),
        None => format!("[ERROR] TLS handshake failed: {e}"),
    }
}

/// Runs the client; returns its exit status (0 any HTTP answer, 1 a failure, 2 usage).
pub async fn run(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let [url, cafile] = args else {
        let _ = writeln!(err, "usage: python tls_client.py URL CAFILE");
        return 2;
    };
    let t = match parse_url(url) {
        Ok(t) => t,
        Err(e) => {
            let _ = writeln!(out, "[ERROR] {e}");
            return 2;
        }
    };
    let mut roots = rustls::RootCertStore::empty();
    let loaded = std::fs::read(cafile)
        .map_err(|e| e.to_string())
        .and_then(|pem| {
            CertificateDer::pem_slice_iter(&pem)
                .map(|c| c.map_err(|e| e.to_string()))
                .collect::<Result<Vec<_>, _>>()
        });
    match loaded {
        Ok(list) if !list.is_empty() => {
            let (_added, _ignored) = roots.add_parsable_certificates(list);
        }
        Ok(_) => {
            let _ = writeln!(out, "[ERROR] no certificate in {cafile}");
            return 2;
        }
        Err(e) => {
            let _ = writeln!(out, "[ERROR] could not read {cafile}: {e}");
            return 2;
        }
    }
    let Ok(name) = ServerName::try_from(t.host.clone()) else {
        let _ = writeln!(out, "[ERROR] not a host name: {}", t.host);
        return 2;
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = match rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
    {
        Ok(b) => b.with_root_certificates(roots).with_no_client_auth(),
        Err(e) => {
            let _ = writeln!(out, "[ERROR] TLS configuration: {e}");
            return 1;
        }
    };
    let timed_out = format!("[ERROR] timed out ({} s)", TIMEOUT.as_secs());
    let tcp =
        match tokio::time::timeout(TIMEOUT, TcpStream::connect((t.host.as_str(), t.port))).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                let _ = writeln!(
                    out,
                    "[ERROR] could not connect to {}:{} ({e})",
                    t.host, t.port
                );
                return 1;
            }
            Err(_) => {
                let _ = writeln!(out, "{timed_out}");
                return 1;
            }
        };
    let connector = TlsConnector::from(Arc::new(config));
    let mut tls = match tokio::time::timeout(TIMEOUT, connector.connect(name, tcp)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            let _ = writeln!(out, "{}", error_line(&e));
            return 1;
        }
        Err(_) => {
            let _ = writeln!(out, "{timed_out}");
            return 1;
        }
    };
    let conn = tls.get_ref().1;
    let version = conn.protocol_version().map(tls::version_name);
    let subject = conn
        .peer_certificates()
        .and_then(|c| c.first())
        .and_then(|c| certs::common_name(c));
    let _ = writeln!(out, "[TLS] version={}", version.unwrap_or_default());
    let _ = writeln!(out, "[TLS] subject=CN={}", subject.unwrap_or_default());
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}:{}\r\nUser-Agent: lab10-client\r\nConnection: close\r\n\r\n",
        t.path, t.host, t.port
    );
    let mut raw = Vec::new();
    let exchange = async {
        tls.write_all(request.as_bytes()).await?;
        (&mut tls).take(MAX_RESPONSE).read_to_end(&mut raw).await
    };
    match tokio::time::timeout(TIMEOUT, exchange).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) if raw.is_empty() => {
            let _ = writeln!(out, "[ERROR] {e}");
            return 1;
        }
        // A server that closed without close_notify: what arrived is the response.
        Ok(Err(_)) => {}
        Err(_) => {
            let _ = writeln!(out, "{timed_out}");
            return 1;
        }
    }
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .filter(|s| s.chars().all(|c| c.is_ascii_digit()));
    let Some(status) = status else {
        let _ = writeln!(out, "[ERROR] malformed response");
        return 1;
    };
    let _ = writeln!(out, "[HTTP] status={status}");
    let _ = write!(out, "{body}");
    if !body.is_empty() && !body.ends_with('\n') {
        let _ = writeln!(out);
    }
    0
}

/// The lab's test servers on 127.0.0.1 (ports `base`, `base+1`, ... or any free ones), with
/// their CA written to `ca_path`: the banner to print and the future that serves them.
pub async fn test_servers(
    ca_path: &std::path::Path,
    base: Option<u16>,
) -> std::io::Result<(String, impl Future<Output = std::io::Result<()>>)> {
    let mut rng = crate::rng::Rng::new(crate::rng::Rng::fresh_seed());
    let certs = certs::make(&mut rng, "localhost").map_err(std::io::Error::other)?;
    std::fs::write(ca_path, &certs.ca_pem)?;
    let body: Arc<str> = tls::body(&rng.token(16)).into();
    let mut banner = vec![format!(
        "[TLS] CA certificate ({}) written to {}",
        certs.ca_name,
        ca_path.display()
    )];
    let mut tasks = tokio::task::JoinSet::new();
    let leaves = [
        ("valid", Some(&certs.valid)),
        ("wrong_host", Some(&certs.wrong_host)),
        ("unknown_ca", Some(&certs.unknown_ca)),
        ("expired", Some(&certs.expired)),
        ("stall", None),
    ];
    for (i, (name, leaf)) in leaves.into_iter().enumerate() {
        let port = base.map_or(0, |b| b.saturating_add(i as u16));
        let (port, listeners) = tls::loopback_listeners(port).await?;
        banner.push(format!("{name:<11} https://localhost:{port}/"));
        let log = Log::default();
        for listener in listeners {
            match leaf {
                Some(leaf) => {
                    let config = tls::server_config(leaf.key.clone(), Versions::Both, log.clone())
                        .map_err(std::io::Error::other)?;
                    tasks.spawn(tls::serve(listener, config, body.clone(), log.clone()));
                }
                None => {
                    tasks.spawn(tls::stall(listener, log.clone()));
                }
            }
        }
    }
    banner.push("(Ctrl+C stops)".into());
    Ok((banner.join("\n"), async move {
        while tasks.join_next().await.is_some() {}
        Ok(())
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_https_urls() {
        let t = parse_url("https://localhost:8443/a?b=1").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str()),
            ("localhost", 8443, "/a?b=1")
        );
        assert_eq!(parse_url("https://example.test").unwrap().port, 443);
        assert!(parse_url("http://localhost/").is_err());
        assert!(parse_url("https://:80/").is_err());
    }
}
