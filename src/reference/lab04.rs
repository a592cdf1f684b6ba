//! The reference lab04 programs: `grade reference lab04 server` (a UDP echo server on `PORT`,
//! default 6789, that answers every datagram with its own bytes and keeps serving) and
//! `grade reference lab04 client HOST PORT MESSAGE` (up to three sends one second apart).

use std::io::Write;
use std::net::SocketAddr;

use tokio::net::UdpSocket;

use crate::wire::lab04::{CLIENT_TRIES, CLIENT_WAIT};

/// Serves until the process is stopped: every datagram back to where it came from.
pub async fn serve(socket: UdpSocket) -> std::io::Result<()> {
    let mut buf = vec![0u8; 65536];
    loop {
        // A reply that bounced (ICMP) surfaces as an error on some systems: keep serving.
        let Ok((n, from)) = socket.recv_from(&mut buf).await else {
            continue;
        };
        let _ = socket.send_to(&buf[..n], from).await;
    }
}

/// The client, writing as the student's program must. Returns the exit status: 0 answered,
/// 1 no reply after three tries (or an error), 2 usage.
pub async fn client(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let [host, port, message] = args else {
        let _ = writeln!(err, "usage: python udp_client.py HOST PORT MESSAGE");
        return 2;
    };
    let Ok(port) = port.parse::<u16>() else {
        let _ = writeln!(err, "usage: python udp_client.py HOST PORT MESSAGE");
        return 2;
    };
    let target = match tokio::net::lookup_host((host.as_str(), port)).await {
        Ok(mut addrs) => match addrs.next() {
            Some(a) => a,
            None => return fail(out, &format!("{host} has no address")),
        },
        Err(e) => return fail(out, &format!("could not resolve {host} ({e})")),
    };
    let local: SocketAddr = if target.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = match UdpSocket::bind(local).await {
        Ok(s) => s,
        Err(e) => return fail(out, &e.to_string()),
    };
    let mut buf = vec![0u8; 65536];
    for _ in 0..CLIENT_TRIES {
        if let Err(e) = socket.send_to(message.as_bytes(), target).await {
            return fail(out, &e.to_string());
        }
        let deadline = tokio::time::Instant::now() + CLIENT_WAIT;
        // Only a reply from the server counts; anything else is ignored until the wait ends.
        while let Ok(Ok((n, from))) =
            tokio::time::timeout_at(deadline, socket.recv_from(&mut buf)).await
        {
            if from == target {
                let text = String::from_utf8_lossy(&buf[..n]);
                let shown = match from {
                    SocketAddr::V4(a) => a.to_string(),
                    SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
                };
                let _ = writeln!(out, "[UDP] reply from {shown}: {text}");
                return 0;
            }
        }
    }
    let _ = writeln!(out, "[UDP] no reply after {CLIENT_TRIES} tries");
    1
}

fn fail(out: &mut dyn Write, why: &str) -> i32 {
    let _ = writeln!(out, "[UDP] error: {why}");
    1
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[tokio::test]
    async fn the_client_gets_its_echo_from_the_server() {
        let s = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let port = s.local_addr().unwrap().port();
        let server = tokio::spawn(serve(s));
        let (mut o, mut e) = (Vec::new(), Vec::new());
        let args = ["127.0.0.1".into(), port.to_string(), "안녕 UDP".into()];
        assert_eq!(client(&args, &mut o, &mut e).await, 0);
        assert_eq!(
            String::from_utf8(o).unwrap(),
            format!("[UDP] reply from 127.0.0.1:{port}: 안녕 UDP\n")
        );
        server.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn the_client_gives_up_after_three_tries() {
        let silent = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let port = silent.local_addr().unwrap().port();
        let (mut o, mut e) = (Vec::new(), Vec::new());
        let args = ["127.0.0.1".into(), port.to_string(), "x".into()];
        assert_eq!(client(&args, &mut o, &mut e).await, 1);
        assert_eq!(
            String::from_utf8(o).unwrap(),
            "[UDP] no reply after 3 tries\n"
        );
        drop(silent);
    }
}
