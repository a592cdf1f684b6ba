//! The grader's own network code: a raw HTTP client with caps and deadlines, the list of this
//! machine's addresses (read from the interfaces, never by sending traffic), the DNS fixture,
//! and `--capture`'s recording of a grading's own loopback ([`capture`]).

pub mod capture;
pub mod dns_fixture;
pub mod http;
pub mod ifaces;
pub mod url;

/// The system resolver's answer for `name` (getaddrinfo): distinct addresses in the order it
/// returned them. The grader's oracle for lab02 and lab03, and the references' look-up.
pub async fn resolve(name: &str) -> std::io::Result<Vec<std::net::IpAddr>> {
    let mut out = Vec::new();
    for a in tokio::net::lookup_host((name, 0)).await? {
        if !out.contains(&a.ip()) {
            out.push(a.ip());
        }
    }
    Ok(out)
}
