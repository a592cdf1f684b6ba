//! A UDP peer for a student's UDP client: it echoes, drops the first datagrams, or stays
//! silent, and records what it received so a check can count the client's sends.
//!
//! A student's client is untrusted: it may flood. Whatever arrives, the peer keeps at most
//! [`KEEP`] datagrams of at most [`DATAGRAM_CAP`] bytes each and only counts the rest, so its
//! memory stays bounded; it stops when dropped.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

/// Datagrams kept for inspection; later ones are only counted.
pub const KEEP: usize = 256;
/// Bytes kept of each datagram (the lab's largest is 4096).
pub const DATAGRAM_CAP: usize = 4096;

/// What the peer does with the datagrams it receives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UdpBehaviour {
    /// Answers each with its own bytes.
    Echo,
    /// Drops the first `n`, then echoes.
    DropFirst(usize),
    /// Never answers.
    Silent,
}

/// One datagram as received.
#[derive(Clone, Debug)]
pub struct Received {
    pub from: SocketAddr,
    /// At most [`DATAGRAM_CAP`] bytes.
    pub bytes: Vec<u8>,
}

#[derive(Debug, Default)]
struct Log {
    kept: Vec<Received>,
    total: usize,
}

/// A running peer; it stops when dropped.
pub struct UdpPeer {
    addr: SocketAddr,
    log: Arc<Mutex<Log>>,
    task: JoinHandle<()>,
}

impl UdpPeer {
    /// Starts a peer on `socket` (bound by the caller, port 0: no race for the port).
    pub fn start(socket: UdpSocket, behaviour: UdpBehaviour) -> std::io::Result<UdpPeer> {
        let addr = socket.local_addr()?;
        let log = Arc::new(Mutex::new(Log::default()));
        let task = tokio::spawn(serve(socket, behaviour, Arc::clone(&log)));
        Ok(UdpPeer { addr, log, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The datagrams received so far (at most [`KEEP`]).
    pub fn received(&self) -> Vec<Received> {
        self.log.lock().map(|l| l.kept.clone()).unwrap_or_default()
    }

    /// How many datagrams arrived in all, kept or not.
    pub fn count(&self) -> usize {
        self.log.lock().map(|l| l.total).unwrap_or(0)
    }
}

impl Drop for UdpPeer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(socket: UdpSocket, behaviour: UdpBehaviour, log: Arc<Mutex<Log>>) {
    // Large enough for any datagram, so a big one is read whole (and then clipped when kept).
    let mut buf = vec![0u8; 65536];
    loop {
        let Ok((n, from)) = socket.recv_from(&mut buf).await else {
            // An ICMP error from an earlier reply surfaces here on some systems: go on.
            continue;
        };
        let seq = {
            let Ok(mut l) = log.lock() else { return };
            l.total += 1;
            if l.kept.len() < KEEP {
                l.kept.push(Received {
                    from,
                    bytes: buf[..n.min(DATAGRAM_CAP)].to_vec(),
                });
            }
            l.total
        };
        let answer = match behaviour {
            UdpBehaviour::Echo => true,
            UdpBehaviour::DropFirst(k) => seq > k,
            UdpBehaviour::Silent => false,
        };
        if answer {
            let _ = socket.send_to(&buf[..n], from).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use std::time::Duration;

    async fn peer(b: UdpBehaviour) -> UdpPeer {
        let s = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        UdpPeer::start(s, b).unwrap()
    }

    async fn client(to: SocketAddr) -> UdpSocket {
        let c = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        c.connect(to).await.unwrap();
        c
    }

    async fn reply(c: &UdpSocket, wait: Duration) -> Option<Vec<u8>> {
        let mut buf = [0u8; 8192];
        match tokio::time::timeout(wait, c.recv(&mut buf)).await {
            Ok(Ok(n)) => Some(buf[..n].to_vec()),
            _ => None,
        }
    }

    #[tokio::test]
    async fn drops_the_first_datagram_then_echoes() {
        let p = peer(UdpBehaviour::DropFirst(1)).await;
        let c = client(p.addr()).await;
        c.send("안녕".as_bytes()).await.unwrap();
        assert_eq!(reply(&c, Duration::from_millis(300)).await, None);
        c.send("안녕".as_bytes()).await.unwrap();
        let got = reply(&c, Duration::from_secs(5)).await.unwrap();
        assert_eq!(got, "안녕".as_bytes());
        assert_eq!(p.count(), 2);
        assert_eq!(p.received()[1].from, c.local_addr().unwrap());
    }

    #[tokio::test]
    async fn a_silent_peer_counts_but_never_answers() {
        let p = peer(UdpBehaviour::Silent).await;
        let c = client(p.addr()).await;
        for _ in 0..3 {
            c.send(b"x").await.unwrap();
        }
        assert_eq!(reply(&c, Duration::from_millis(200)).await, None);
        // Sent on loopback: all three have arrived once the peer has seen a fourth, echoed
        // by nobody; poll the count with a deadline instead of sleeping.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while p.count() < 3 && tokio::time::Instant::now() < deadline {
            tokio::task::yield_now().await;
        }
        assert_eq!(p.count(), 3);
    }

    /// A flooding client: the peer keeps a bounded number of datagrams and counts the rest.
    #[tokio::test]
    async fn a_flood_is_counted_not_kept() {
        let p = peer(UdpBehaviour::Echo).await;
        let c = client(p.addr()).await;
        let big = vec![7u8; 9000];
        let mut sent = 0;
        for _ in 0..(KEEP + 200) {
            c.send(&big).await.unwrap();
            sent += 1;
            // Read the echo back so neither socket buffer overflows on a busy machine.
            let _ = reply(&c, Duration::from_secs(5)).await;
        }
        assert_eq!(p.count(), sent);
        let kept = p.received();
        assert_eq!(kept.len(), KEEP);
        assert!(kept.iter().all(|r| r.bytes.len() == DATAGRAM_CAP));
    }
}
