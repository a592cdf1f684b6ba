//! The reference lab02 program: `grade reference lab02 NAME`, the same output as the Python
//! solution, from the system resolver (getaddrinfo), distinct addresses in resolver order.

use std::io::Write;

/// Runs the reference with `args` (NAME), writing as the student's program must. Returns the
/// exit status: 0 resolved, 1 not resolved, 2 usage.
pub async fn run(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let [name] = args else {
        let _ = writeln!(err, "usage: python dns_lookup.py NAME");
        return 2;
    };
    let _ = writeln!(out, "[DNS] domain={name}");
    match crate::net::resolve(name).await {
        Ok(ips) => {
            for ip in ips {
                let _ = writeln!(out, "-> {ip}");
            }
            0
        }
        Err(e) => {
            let _ = writeln!(out, "[DNS] error: could not resolve {name} ({e})");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn usage_without_a_name() {
        let (mut o, mut e) = (Vec::new(), Vec::new());
        assert_eq!(run(&[], &mut o, &mut e).await, 2);
        assert!(String::from_utf8(e).unwrap().starts_with("usage:"));
    }

    #[tokio::test]
    async fn an_address_literal_needs_no_dns() {
        let (mut o, mut e) = (Vec::new(), Vec::new());
        assert_eq!(run(&["127.0.0.1".into()], &mut o, &mut e).await, 0);
        assert_eq!(
            String::from_utf8(o).unwrap(),
            "[DNS] domain=127.0.0.1\n-> 127.0.0.1\n"
        );
    }
}
