//! The reference lab01 server: `GET /` answers the seed's three-line body with the caller's
//! real address; any other path answers 404. The server itself is the seed's hello server,
//! [`crate::counterpart::hello`], which lab03 also talks to; here are what `[reference]` may
//! change of it and the startup lines a student's program prints.

use std::net::{IpAddr, Ipv4Addr};

use tokio::net::TcpListener;

use crate::counterpart::hello::{self, Config};
use crate::wire::lab01::{BODY, body_with};

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

/// Serves connections from `listener` until the task is dropped, as `grade reference lab01`.
pub async fn serve(listener: TcpListener) -> std::io::Result<()> {
    hello::serve_with(listener, Config::default()).await
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
