//! Ports for student servers. A student's program binds its own port, so the grader cannot
//! hand it a bound socket; it picks a free port from a range the kernel never hands out on its
//! own (below Linux's ephemeral range 32768-60999 and above most well-known services), so two
//! graders running side by side rarely pick the same one, and a collision is detected and
//! retried rather than blamed on the student.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::time::Duration;

use tokio::time::Instant;

const RANGE: std::ops::RangeInclusive<u16> = 20000..=32000;

/// A port that was free a moment ago.
pub fn pick_free_port() -> std::io::Result<u16> {
    let mut rng = crate::rng::Rng::new(crate::rng::Rng::fresh_seed());
    for _ in 0..64 {
        let port = rng.range(u64::from(*RANGE.start()), u64::from(*RANGE.end())) as u16;
        if is_bindable(port, &Probe::Tcp) && is_bindable(port, &Probe::Udp(Vec::new())) {
            return Ok(port);
        }
    }
    // Nearly everything in the range is taken: let the kernel choose.
    let l = TcpListener::bind((Ipv4Addr::UNSPECIFIED, 0))?;
    Ok(l.local_addr()?.port())
}

/// How a student's server is reached, and how the grader knows it is ready.
#[derive(Clone, Debug)]
pub enum Probe {
    /// It accepts a TCP connection.
    Tcp,
    /// It answers this datagram (sent again at every poll: UDP may drop it, and a server that
    /// is not bound yet never sees it).
    Udp(Vec<u8>),
}

/// Whether a server could bind `0.0.0.0:port` (TCP, or UDP for a UDP probe) now.
pub fn is_bindable(port: u16, probe: &Probe) -> bool {
    // One at a time: a bound 0.0.0.0 socket would itself block the 127.0.0.1 bind.
    match probe {
        Probe::Tcp => {
            TcpListener::bind((Ipv4Addr::UNSPECIFIED, port)).is_ok()
                && TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok()
        }
        Probe::Udp(_) => {
            UdpSocket::bind((Ipv4Addr::UNSPECIFIED, port)).is_ok()
                && UdpSocket::bind((Ipv4Addr::LOCALHOST, port)).is_ok()
        }
    }
}

/// Whether some socket is bound to UDP `port`, found without sending anything (a datagram
/// would be spent: a server that answers one and exits must keep its answer for the check).
/// Linux asks the kernel (netlink, or its socket tables); elsewhere a bind attempt tells.
pub fn udp_bound(port: u16) -> bool {
    #[cfg(target_os = "linux")]
    {
        if let Some(found) = super::sockdiag::bound(libc::IPPROTO_UDP, port) {
            return !found.is_empty();
        }
        let needle = format!(":{port:04X} ");
        let bound = ["/proc/net/udp", "/proc/net/udp6"].iter().any(|table| {
            std::fs::read_to_string(table).is_ok_and(|t| {
                t.lines()
                    .skip(1)
                    .filter_map(|l| l.split_whitespace().nth(1))
                    .any(|local| format!("{local} ").ends_with(&needle))
            })
        });
        if std::path::Path::new("/proc/net/udp").exists() {
            return bound;
        }
    }
    !is_bindable(port, &Probe::Udp(Vec::new()))
}

/// Whether some socket listens on TCP `port` where a connection to 127.0.0.1 reaches it
/// (0.0.0.0, 127.0.0.1, or `::` dual-stack), found without connecting: a server that accepts
/// one connection and exits must keep it for the check. Linux reads the kernel's socket
/// tables; elsewhere `None`, and the caller connects instead.
pub fn tcp_listening(port: u16) -> Option<bool> {
    #[cfg(target_os = "linux")]
    {
        // Netlink first: cheap enough to poll (see `sockdiag`).
        if let Some(found) = super::sockdiag::bound(libc::IPPROTO_TCP, port) {
            return Some(found.iter().any(|ip| {
                ip.is_unspecified() || *ip == std::net::IpAddr::from(Ipv4Addr::LOCALHOST)
            }));
        }
        let reachable = [
            format!("00000000:{port:04X}"),
            format!("0100007F:{port:04X}"),
            format!("00000000000000000000000000000000:{port:04X}"),
        ];
        let mut readable = false;
        let mut found = false;
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            let Ok(t) = std::fs::read_to_string(table) else {
                continue;
            };
            readable = true;
            found |= t.lines().skip(1).any(|l| {
                let mut cols = l.split_whitespace().skip(1);
                let local = cols.next().unwrap_or_default();
                let state = cols.nth(1).unwrap_or_default();
                state == "0A" && reachable.iter().any(|r| r == local)
            });
        }
        if readable {
            return Some(found);
        }
    }
    let _ = port;
    None
}

/// How many of the connections to TCP `port` that their peer closed the program there has not
/// closed yet (it has still to read their end); `None` where the kernel's tables cannot be
/// asked (then a caller waits its whole time instead).
pub fn tcp_closing(port: u16) -> Option<usize> {
    #[cfg(target_os = "linux")]
    {
        super::sockdiag::closing(port)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = port;
        None
    }
}

/// Whether something accepts connections at `addr` (one short attempt).
pub async fn accepts(addr: SocketAddr, timeout: Duration) -> bool {
    matches!(
        tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr)).await,
        Ok(Ok(_))
    )
}

/// Whether a datagram sent to `addr` is answered from `addr` within `timeout`.
pub async fn udp_answers(addr: SocketAddr, payload: &[u8], timeout: Duration) -> bool {
    let local: SocketAddr = if addr.is_ipv4() {
        (Ipv4Addr::LOCALHOST, 0).into()
    } else {
        (std::net::Ipv6Addr::LOCALHOST, 0).into()
    };
    let Ok(sock) = tokio::net::UdpSocket::bind(local).await else {
        return false;
    };
    // `connect` filters replies to `addr` and turns an ICMP "port unreachable" into an error
    // at once, so a closed port does not cost the whole timeout.
    if sock.connect(addr).await.is_err() || sock.send(payload).await.is_err() {
        return false;
    }
    let mut buf = [0u8; 64];
    matches!(
        tokio::time::timeout(timeout, sock.recv(&mut buf)).await,
        Ok(Ok(_))
    )
}

/// Whether `addr` is ready under `probe` (one short attempt). For TCP on loopback, a listening
/// socket is read from the kernel's tables where it can be, so no connection is spent.
pub async fn ready(addr: SocketAddr, probe: &Probe, timeout: Duration) -> bool {
    match probe {
        Probe::Tcp => match (addr.ip() == std::net::IpAddr::from(Ipv4Addr::LOCALHOST))
            .then(|| tcp_listening(addr.port()))
            .flatten()
        {
            Some(listening) => listening,
            None => accepts(addr, timeout).await,
        },
        Probe::Udp(payload) => udp_answers(addr, payload, timeout).await,
    }
}

/// Waits until `port` can be bound again, or `deadline`. Returns whether it is free.
pub async fn wait_until_free(port: u16, probe: &Probe, deadline: Instant) -> bool {
    let mut pause = Duration::from_millis(5);
    loop {
        if is_bindable(port, probe) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(pause.min(deadline - Instant::now())).await;
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_udp_probe_is_ready_only_when_answered() {
        let echo = tokio::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .unwrap();
        let addr = echo.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let mut buf = [0u8; 64];
            let (n, from) = echo.recv_from(&mut buf).await.unwrap();
            echo.send_to(&buf[..n], from).await.unwrap();
        });
        let probe = Probe::Udp(b"ping".to_vec());
        assert!(ready(addr, &probe, Duration::from_secs(5)).await);
        server.await.unwrap();
        // Nothing bound there any more: not ready, and told so without waiting long.
        assert!(!ready(addr, &probe, Duration::from_millis(200)).await);
        assert!(is_bindable(addr.port(), &probe));
    }

    #[test]
    fn a_listening_tcp_port_is_seen_without_connecting() {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = l.local_addr().unwrap().port();
        if let Some(listening) = tcp_listening(port) {
            assert!(listening);
            drop(l);
            // The kernel's table may list a closed socket for a moment: poll, bounded.
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            while tcp_listening(port) == Some(true) && std::time::Instant::now() < deadline {
                std::thread::yield_now();
            }
            assert_eq!(tcp_listening(port), Some(false));
        }
    }

    #[test]
    fn a_bound_udp_port_is_seen_without_sending() {
        let s = std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = s.local_addr().unwrap().port();
        assert!(udp_bound(port));
        drop(s);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while udp_bound(port) && std::time::Instant::now() < deadline {
            std::thread::yield_now();
        }
        assert!(!udp_bound(port));
    }
}
