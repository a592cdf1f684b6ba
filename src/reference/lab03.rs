//! The reference lab03 client: `grade reference lab03 URL`, the seed's flow in Rust:
//! URL -> DNS (every address) -> TCP connect (timed, moving on when one refuses) -> HTTP.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use crate::net::http::{self, HttpLimits};

pub use crate::net::url::Target;

/// Parses `http://host[:port][/path][?query]`; the port defaults from the scheme.
pub fn parse_url(url: &str) -> Result<Target, String> {
    crate::net::url::parse(url, "http", 80)
}

/// `ip:port`, with brackets around IPv6.
pub fn with_port(ip: IpAddr, port: u16) -> String {
    SocketAddr::new(ip, port).to_string()
}

/// Runs the client; returns its exit status (0 any HTTP answer, 1 network failure, 2 usage).
pub async fn run(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let [url] = args else {
        let _ = writeln!(err, "usage: python client.py URL");
        return 2;
    };
    let t = match parse_url(url) {
        Ok(t) => t,
        Err(e) => {
            let _ = writeln!(out, "[INPUT] error: {e}");
            return 2;
        }
    };
    let _ = writeln!(
        out,
        "[INPUT] host={}, port={}, path={}",
        t.host, t.port, t.path
    );
    let ips = match crate::net::resolve(&t.host).await {
        Ok(ips) if !ips.is_empty() => ips,
        Ok(_) => vec![],
        Err(e) => {
            let _ = writeln!(out, "[DNS] error: could not resolve {} ({e})", t.host);
            return 1;
        }
    };
    let _ = writeln!(out, "[DNS] resolved IPs:");
    for ip in &ips {
        let _ = writeln!(out, "- {ip}");
    }
    let mut stream = None;
    for ip in &ips {
        let start = Instant::now();
        let addr = SocketAddr::new(*ip, t.port);
        match http::connect(addr, None, Duration::from_secs(5)).await {
            Ok(s) => {
                let ms = start.elapsed().as_secs_f64() * 1000.0;
                let _ = writeln!(
                    out,
                    "[TCP] connect to {} = {ms:.1} ms",
                    with_port(*ip, t.port)
                );
                stream = Some(s);
                break;
            }
            Err(e) => {
                let _ = writeln!(
                    out,
                    "[TCP] connect to {} failed: {e}",
                    with_port(*ip, t.port)
                );
            }
        }
    }
    let Some(mut stream) = stream else {
        let _ = writeln!(
            out,
            "[TCP] error: could not connect to {}:{}",
            t.host, t.port
        );
        return 1;
    };
    let host_header = if t.port == 80 {
        t.host.clone()
    } else {
        format!("{}:{}", t.host, t.port)
    };
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: netgrade-reference\r\nConnection: close\r\n\r\n",
        t.path
    );
    let limits = HttpLimits::default();
    let deadline = tokio::time::Instant::now() + limits.total;
    let sent = tokio::io::AsyncWriteExt::write_all(&mut stream, request.as_bytes()).await;
    let response = match sent {
        Ok(()) => http::read_response(&mut stream, deadline, limits).await,
        Err(e) => Err(http::HttpError::Io(e)),
    };
    match response {
        Ok(r) => {
            let _ = writeln!(out, "[HTTP] status={}", r.status);
            let _ = writeln!(out, "[HTTP] body preview:");
            let body = r.body_text();
            let preview: String = body.chars().take(500).collect();
            let _ = write!(out, "{preview}");
            if !preview.ends_with('\n') {
                let _ = writeln!(out);
            }
            0
        }
        Err(e) => {
            let _ = writeln!(out, "[HTTP] error: {e}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let t = |u| parse_url(u).unwrap();
        assert_eq!(
            t("http://localhost:8000/"),
            Target {
                host: "localhost".into(),
                port: 8000,
                path: "/".into()
            }
        );
        assert_eq!(t("http://example.test").port, 80);
        assert_eq!(t("http://h/a?b=1").path, "/a?b=1");
        assert_eq!(t("http://h?b=1").path, "/?b=1");
        assert_eq!(t("http://[::1]:9/x").host, "::1");
        assert!(parse_url("https://h/").is_err());
        assert!(parse_url("http://h:99999/").is_err());
        assert!(parse_url("http:///").is_err());
    }

    #[test]
    fn fuzz_parse_url_never_panics() {
        use proptest::prelude::*;
        proptest!(crate::fuzz_cases(3000), |(s in "(http://)?\\PC*")| {
            let _ = parse_url(&s);
        });
    }
}
