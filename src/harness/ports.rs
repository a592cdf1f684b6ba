//! Ports for student servers. A student's program binds its own port, so the grader cannot
//! hand it a bound socket; it picks a free port from a range the kernel never hands out on its
//! own (below Linux's ephemeral range 32768-60999 and above most well-known services), so two
//! graders running side by side rarely pick the same one, and a collision is detected and
//! retried rather than blamed on the student.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::time::Duration;

use tokio::time::Instant;

const RANGE: std::ops::RangeInclusive<u16> = 20000..=32000;

/// A port that was free a moment ago.
pub fn pick_free_port() -> std::io::Result<u16> {
    let mut rng = crate::rng::Rng::new(crate::rng::Rng::fresh_seed());
    for _ in 0..64 {
        let port = rng.range(u64::from(*RANGE.start()), u64::from(*RANGE.end())) as u16;
        if is_bindable(port) {
            return Ok(port);
        }
    }
    // Nearly everything in the range is taken: let the kernel choose.
    let l = TcpListener::bind((Ipv4Addr::UNSPECIFIED, 0))?;
    Ok(l.local_addr()?.port())
}

/// Whether a server could bind `0.0.0.0:port` now.
pub fn is_bindable(port: u16) -> bool {
    // One at a time: a listening 0.0.0.0 socket would itself block the 127.0.0.1 bind.
    let any = TcpListener::bind((Ipv4Addr::UNSPECIFIED, port)).is_ok();
    any && TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok()
}

/// Whether something accepts connections at `addr` (one short attempt).
pub async fn accepts(addr: SocketAddr, timeout: Duration) -> bool {
    matches!(
        tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr)).await,
        Ok(Ok(_))
    )
}

/// Waits until `port` can be bound again, or `deadline`. Returns whether it is free.
pub async fn wait_until_free(port: u16, deadline: Instant) -> bool {
    let mut pause = Duration::from_millis(5);
    loop {
        if is_bindable(port) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(pause.min(deadline - Instant::now())).await;
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}
