//! Reading what the lab03 client printed: leniently, line by line, so that one malformed line
//! costs only the check that reads it.

/// `[TCP] connect to IP:PORT = MS ms`, split.
#[derive(Debug, PartialEq)]
pub(super) struct TcpLine {
    /// The address without brackets (`[::1]:80` and `::1:80` both give `::1`).
    pub(super) ip: String,
    pub(super) port: String,
    pub(super) ms: String,
}

/// The client's output, read leniently.
#[derive(Debug, Default)]
pub(super) struct Parsed {
    pub(super) dns: Option<Vec<String>>,
    /// The successful connect line.
    pub(super) tcp: Option<TcpLine>,
    /// Every address a `[TCP] connect to ADDR...` line shows, failed attempts included, as
    /// written (`[::1]:80` or `::1:80`): for the bracket rule.
    pub(super) connect_addrs: Vec<String>,
    pub(super) status: Option<String>,
    pub(super) preview: Option<String>,
}

pub(super) fn parse(stdout: &str) -> Parsed {
    let mut p = Parsed::default();
    // Surrounding spaces are not graded: the course's own client indents its lines.
    let lines: Vec<&str> = stdout.lines().map(str::trim).collect();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        if let Some(rest) = l.strip_prefix("[TCP] connect to ")
            && let Some(addr) = rest.split_whitespace().next()
        {
            p.connect_addrs.push(addr.to_string());
        }
        if l == "[DNS] resolved IPs:" {
            let mut ips = Vec::new();
            while let Some(ip) = lines
                .get(i + 1)
                .and_then(|n| n.trim_start().strip_prefix("- "))
            {
                ips.push(ip.trim().to_string());
                i += 1;
            }
            p.dns = Some(ips);
        } else if let Some(rest) = l.strip_prefix("[TCP] connect to ")
            && let Some((addr, ms)) = rest.split_once('=')
            && let Some(ms) = ms.trim().strip_suffix("ms")
            && let Some((ip, port)) = addr.trim().rsplit_once(':')
        {
            let bare = ip.strip_prefix('[').and_then(|i| i.strip_suffix(']'));
            p.tcp = Some(TcpLine {
                ip: bare.unwrap_or(ip).to_string(),
                port: port.to_string(),
                ms: ms.trim().to_string(),
            });
        } else if let Some(s) = l.strip_prefix("[HTTP] status=") {
            p.status = Some(s.trim().to_string());
        } else if l == "[HTTP] body preview:" {
            // The body as printed: only line ends trimmed, its own indentation kept.
            let body: Vec<&str> = stdout.lines().skip(i + 1).map(str::trim_end).collect();
            p.preview = Some(body.join("\n"));
            break;
        }
        i += 1;
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_seed_sample() {
        let p = parse(
            "[INPUT] host=localhost, port=8000, path=/\n[DNS] resolved IPs:\n- 127.0.0.1\n- ::1\n[TCP] connect to [::1]:8000 failed: refused\n[TCP] connect to 127.0.0.1:8000 = 0.5 ms\n[HTTP] status=200\n[HTTP] body preview:\nOK! You reached the server.\ntoken=abc\n",
        );
        assert_eq!(p.dns.unwrap(), ["127.0.0.1", "::1"]);
        let tcp = p.tcp.unwrap();
        assert_eq!(
            (tcp.ip.as_str(), tcp.port.as_str(), tcp.ms.as_str()),
            ("127.0.0.1", "8000", "0.5")
        );
        assert_eq!(p.status.as_deref(), Some("200"));
        assert!(p.preview.unwrap().contains("token=abc"));
        let tcp = parse("[TCP] connect to [::1]:8000 = 1.25 ms\n")
            .tcp
            .unwrap();
        assert_eq!(tcp.ip, "::1");
        let tcp = parse("[TCP] connect to ::1:8000 = 1.25 ms\n").tcp.unwrap();
        assert_eq!(tcp.ip, "::1");
    }

    #[test]
    fn reads_the_course_clients_output_tolerantly() {
        let p = parse(
            "  [INPUT] host=localhost, port=8000, path=/\n[DNS] resolved IPs:\n - 127.0.0.1\n - ::1\n\n[TCP] connect to ::1:8000 failed: refused\n  [TCP] connect to 127.0.0.1:8000 = 0.5ms\n[HTTP] status=200 \n",
        );
        assert_eq!(p.dns.unwrap(), ["127.0.0.1", "::1"]);
        let tcp = p.tcp.unwrap();
        assert_eq!((tcp.ip.as_str(), tcp.ms.as_str()), ("127.0.0.1", "0.5"));
        assert_eq!(p.connect_addrs, ["::1:8000", "127.0.0.1:8000"]);
        assert_eq!(p.status.as_deref(), Some("200"));
    }

    #[test]
    fn fuzz_parse_never_panics() {
        use proptest::prelude::*;
        proptest!(crate::fuzz_cases(3000), |(s in "(\\PC|\n|\\[TCP\\] connect to | = | ms|\\[DNS\\] resolved IPs:|- |\\[HTTP\\] body preview:)*")| {
            let _ = parse(&s);
        });
    }
}
