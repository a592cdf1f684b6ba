//! The small pieces of HTTP the service reads and writes: query strings (percent-decoded,
//! `+` as a space), the echo's JSON objects, reason phrases.

use serde_json::{Map, Value, json};

pub(super) fn args(pairs: &[(String, String)]) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        match m.get_mut(k) {
            None => {
                m.insert(k.clone(), v.clone().into());
            }
            Some(Value::Array(a)) => a.push(v.clone().into()),
            Some(first) => *first = json!([first.clone(), v]),
        }
    }
    Value::Object(m)
}

pub(super) fn headers(h: &[(String, String)]) -> Value {
    Value::Object(
        h.iter()
            .map(|(k, v)| (k.clone(), v.clone().into()))
            .collect(),
    )
}

pub(super) fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        413 => "Content Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// The path (slashes folded) and the decoded query of a request target.
pub fn split_target(target: &str) -> (String, Vec<(String, String)>) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    (format!("/{}", parts.join("/")), parse_query(query))
}

/// `a=1&b=x+y` -> `[("a", "1"), ("b", "x y")]`, percent-decoded as UTF-8.
pub fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
