//! The `scheme://host[:port][/path][?query]` URLs the lab programs take (lab03's `http://`,
//! lab10's `https://`), parsed the one way the references and the grader read them.

/// The parts of a URL a lab prints or connects to.
#[derive(Debug, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub path: String,
}

/// Parses `SCHEME://host[:port][/path][?query]`: the port defaults to `default_port`, an IPv6
/// host is written in brackets, and the path is at least `/`.
pub fn parse(url: &str, scheme: &str, default_port: u16) -> Result<Target, String> {
    let rest = url
        .strip_prefix(scheme)
        .and_then(|r| r.strip_prefix("://"))
        .ok_or_else(|| format!("only {scheme}:// URLs are supported"))?;
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    let path = match path {
        "" => "/".to_string(),
        p if p.starts_with('?') => format!("/{p}"),
        p => p.to_string(),
    };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or("unclosed [ in the host")?;
        (h.to_string(), after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (authority.to_string(), None),
        }
    };
    if host.is_empty() {
        return Err("the URL has no host".into());
    }
    let port = match port {
        None => default_port,
        Some(p) => p.parse().map_err(|_| format!("bad port {p:?}"))?,
    };
    Ok(Target { host, port, path })
}
