//! The startup line of lab06: find the URLs a server printed and say, for each, whether a
//! person on this computer could open it. The wording around the URL is free (`Server running
//! at`, `서버 실행 중:`, Flask's `Running on`); the URL itself must work.
//!
//! Nothing here sends a request: the driver fetches only URLs this module places on loopback,
//! so a printed outside address is judged from its text, never contacted.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One `http://` URL found in the output, split the way a browser would.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrintedUrl {
    /// As printed (trailing punctuation removed).
    pub text: String,
    pub host: String,
    /// The port as printed; `None` when the URL has none (then it is 80).
    pub port: Option<String>,
    /// The path with its query, `/` when empty.
    pub path: String,
}

/// What a printed URL points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// This computer over loopback (`127.x`, `::1`, `localhost`), on `port`: fetch it there.
    Loopback { ip: IpAddr, port: u16 },
    /// One of this computer's own interface addresses, on `port`: the grader checks the port
    /// through 127.0.0.1 rather than send to a network interface.
    OwnInterface { port: u16 },
    /// `http://:8000`: no host at all (the seed's line).
    EmptyHost,
    /// `0.0.0.0` or `::`: where a server listens, not where a client goes.
    AnyAddress,
    /// The port is missing or is not a number (`{PORT}` left in a plain string).
    BadPort,
    /// A host that is not this computer.
    Elsewhere,
}

/// Every `http://` URL in `text`, in order.
pub fn find_urls(text: &str) -> Vec<PrintedUrl> {
    let lower = text.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = lower[from..].find("http://") {
        let start = from + at;
        let rest = &text[start..];
        let end = rest
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`'))
            .unwrap_or(rest.len());
        let url = rest[..end].trim_end_matches(['.', ',', ';', ')', '!']);
        out.push(split(url));
        from = start + "http://".len();
    }
    out
}

fn split(url: &str) -> PrintedUrl {
    let after = &url["http://".len()..];
    let auth_end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let (authority, path) = after.split_at(auth_end);
    let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
        match inner.split_once(']') {
            Some((h, p)) => (h.to_string(), p.strip_prefix(':').map(str::to_string)),
            None => (inner.to_string(), None),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p.to_string())),
            None => (authority.to_string(), None),
        }
    };
    PrintedUrl {
        text: url.to_string(),
        host,
        port,
        path: if path.is_empty() || path.starts_with(['?', '#']) {
            format!("/{path}")
        } else {
            path.to_string()
        },
    }
}

impl PrintedUrl {
    /// Where the URL leads, given this computer's interface addresses.
    pub fn target(&self, own: &[IpAddr]) -> Target {
        let host = self.host.trim();
        if host.is_empty() {
            return Target::EmptyHost;
        }
        let port = match self.port.as_deref() {
            None => 80,
            Some(p) => match p.parse::<u16>() {
                Ok(n) if n > 0 => n,
                _ => return Target::BadPort,
            },
        };
        let ip = if host.eq_ignore_ascii_case("localhost") {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            match host.parse::<IpAddr>() {
                Ok(ip) => ip,
                Err(_) => return Target::Elsewhere,
            }
        };
        if ip == IpAddr::V4(Ipv4Addr::UNSPECIFIED) || ip == IpAddr::V6(Ipv6Addr::UNSPECIFIED) {
            Target::AnyAddress
        } else if ip.is_loopback() {
            Target::Loopback { ip, port }
        } else if own.contains(&ip) {
            Target::OwnInterface { port }
        } else {
            Target::Elsewhere
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> PrintedUrl {
        let mut urls = find_urls(text);
        assert_eq!(urls.len(), 1, "{text}");
        urls.remove(0)
    }

    #[test]
    fn finds_the_url_whatever_the_words_around_it() {
        for line in [
            "Server running at http://127.0.0.1:8000/",
            "서버 실행 중: http://127.0.0.1:8000/ (Ctrl+C로 종료)",
            " * Running on http://127.0.0.1:8000",
            "Serving at \"http://127.0.0.1:8000/\".",
        ] {
            let u = one(line);
            assert_eq!(u.host, "127.0.0.1", "{line}");
            assert_eq!(u.port.as_deref(), Some("8000"), "{line}");
            assert_eq!(u.path, "/", "{line}");
            assert_eq!(
                u.target(&[]),
                Target::Loopback {
                    ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
                    port: 8000
                }
            );
        }
    }

    #[test]
    fn tells_the_mistakes_apart() {
        assert_eq!(
            one("Server running at http://:8000").target(&[]),
            Target::EmptyHost
        );
        assert_eq!(
            one("Serving HTTP on 0.0.0.0 port 8000 (http://0.0.0.0:8000/) ...").target(&[]),
            Target::AnyAddress
        );
        assert_eq!(one("http://[::]:8000/").target(&[]), Target::AnyAddress);
        assert_eq!(one("http://127.0.0.1:{PORT}/").target(&[]), Target::BadPort);
        assert_eq!(
            one("http://example.com:8000/").target(&[]),
            Target::Elsewhere
        );
        assert_eq!(one("http://10.1.2.3:8000/").target(&[]), Target::Elsewhere);
        let own = [IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3))];
        assert_eq!(
            one("http://10.1.2.3:8000/").target(&own),
            Target::OwnInterface { port: 8000 }
        );
        assert_eq!(
            one("http://LOCALHOST:9000").target(&[]),
            Target::Loopback {
                ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
                port: 9000
            }
        );
        assert_eq!(
            one("http://[::1]:9000/x?y").target(&[]),
            Target::Loopback {
                ip: IpAddr::V6(Ipv6Addr::LOCALHOST),
                port: 9000
            }
        );
        assert_eq!(one("http://[::1]:9000/x?y").path, "/x?y");
    }

    #[test]
    fn several_urls_are_all_found() {
        let out = "Running on http://127.0.0.1:8000\nRunning on http://10.0.0.5:8000\n";
        let hosts: Vec<String> = find_urls(out).into_iter().map(|u| u.host).collect();
        assert_eq!(hosts, ["127.0.0.1", "10.0.0.5"]);
        assert!(find_urls("no url here").is_empty());
    }
}
