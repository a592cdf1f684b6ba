//! A line-echo TCP server for a student's TCP client (lab05's protocol): each `\n`-terminated
//! line is answered with a prefix + the line + `\n`, whole or in small pieces with pauses (to
//! catch a client that takes one `recv` for one message). It records the lines it received.
//!
//! A student's client is untrusted: it may open connections without end, send a line that
//! never ends, or trickle bytes. The peer serves at most [`MAX_CONNECTIONS`] at once (others
//! are closed at once), cuts a line at [`LINE_CAP`] bytes (and closes that connection),
//! closes a connection idle for [`IDLE`] or older than [`LIFETIME`], and keeps at most
//! [`KEEP`] received lines, so neither its time nor its memory depends on the client.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::Instant;

pub const MAX_CONNECTIONS: usize = 32;
/// Longest line accepted (the lab's longest is 64 KiB).
pub const LINE_CAP: usize = 128 << 10;
pub const IDLE: Duration = Duration::from_secs(5);
pub const LIFETIME: Duration = Duration::from_secs(15);
/// Received lines kept for inspection.
pub const KEEP: usize = 256;

/// How replies are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    Whole,
    /// `size` bytes at a time with `pause` between: a reply arrives in several `recv`s.
    Pieces {
        size: usize,
        pause: Duration,
    },
}

/// A running peer; it stops when dropped (its connections with it).
pub struct TcpLinePeer {
    addr: SocketAddr,
    lines: Arc<Mutex<Vec<Vec<u8>>>>,
    task: JoinHandle<()>,
}

impl TcpLinePeer {
    /// Serves on `listener` (bound by the caller, port 0: no race for the port).
    pub fn start(
        listener: TcpListener,
        prefix: &str,
        delivery: Delivery,
    ) -> std::io::Result<TcpLinePeer> {
        let addr = listener.local_addr()?;
        let lines = Arc::new(Mutex::new(Vec::new()));
        let prefix = Arc::new(prefix.as_bytes().to_vec());
        let task = tokio::spawn(accept_loop(listener, prefix, delivery, Arc::clone(&lines)));
        Ok(TcpLinePeer { addr, lines, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The lines received so far, without their `\n` (at most [`KEEP`]).
    pub fn lines(&self) -> Vec<Vec<u8>> {
        self.lines.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Drop for TcpLinePeer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept_loop(
    listener: TcpListener,
    prefix: Arc<Vec<u8>>,
    delivery: Delivery,
    lines: Arc<Mutex<Vec<Vec<u8>>>>,
) {
    super::accept::bounded(listener, MAX_CONNECTIONS, |stream, _| {
        let (prefix, lines) = (Arc::clone(&prefix), Arc::clone(&lines));
        async move {
            let end = Instant::now() + LIFETIME;
            let _ = tokio::time::timeout_at(end, serve(stream, &prefix, delivery, &lines)).await;
        }
    })
    .await;
}

async fn serve(
    mut stream: TcpStream,
    prefix: &[u8],
    delivery: Delivery,
    lines: &Mutex<Vec<Vec<u8>>>,
) -> std::io::Result<()> {
    let mut pending: Vec<u8> = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = match tokio::time::timeout(IDLE, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Err(_) => return Ok(()),
            Ok(Ok(n)) => n,
            Ok(Err(e)) => return Err(e),
        };
        pending.extend_from_slice(&buf[..n]);
        while let Some(i) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=i).take(i).collect();
            if let Ok(mut kept) = lines.lock()
                && kept.len() < KEEP
            {
                kept.push(line.clone());
            }
            let mut reply = Vec::with_capacity(prefix.len() + line.len() + 1);
            reply.extend_from_slice(prefix);
            reply.extend_from_slice(&line);
            reply.push(b'\n');
            write(&mut stream, &reply, delivery).await?;
        }
        if pending.len() > LINE_CAP {
            return Ok(()); // a line without end: close rather than buffer it
        }
    }
}

async fn write(stream: &mut TcpStream, bytes: &[u8], delivery: Delivery) -> std::io::Result<()> {
    match delivery {
        Delivery::Whole => stream.write_all(bytes).await,
        Delivery::Pieces { size, pause } => {
            for piece in bytes.chunks(size.max(1)) {
                stream.write_all(piece).await?;
                stream.flush().await?;
                tokio::time::sleep(pause).await;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    async fn peer(delivery: Delivery) -> TcpLinePeer {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        TcpLinePeer::start(l, "서버 응답: ", delivery).unwrap()
    }

    /// Reads until `want` bytes or the end, within a deadline.
    async fn read_n(s: &mut TcpStream, want: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        let end = Instant::now() + Duration::from_secs(5);
        while out.len() < want {
            match tokio::time::timeout_at(end, s.read(&mut buf)).await {
                Ok(Ok(0)) | Err(_) | Ok(Err(_)) => break,
                Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            }
        }
        out
    }

    #[tokio::test]
    async fn answers_each_line_in_pieces_and_records_it() {
        let p = peer(Delivery::Pieces {
            size: 3,
            pause: Duration::from_millis(1),
        })
        .await;
        let mut s = TcpStream::connect(p.addr()).await.unwrap();
        s.write_all("하나\ntwo\n".as_bytes()).await.unwrap();
        let want = "서버 응답: 하나\n서버 응답: two\n".as_bytes();
        assert_eq!(read_n(&mut s, want.len()).await, want);
        assert_eq!(
            p.lines(),
            [b"\xed\x95\x98\xeb\x82\x98".to_vec(), b"two".to_vec()]
        );
    }

    /// A line that never ends is cut off, not buffered: the connection is closed.
    #[tokio::test]
    async fn an_endless_line_closes_the_connection() {
        let p = peer(Delivery::Whole).await;
        let mut s = TcpStream::connect(p.addr()).await.unwrap();
        let chunk = vec![b'a'; 64 << 10];
        let mut closed = false;
        for _ in 0..64 {
            if s.write_all(&chunk).await.is_err() {
                closed = true;
                break;
            }
        }
        if !closed {
            // Written into buffers: the peer's close shows as the end of the stream.
            closed = read_n(&mut s, 1).await.is_empty();
        }
        assert!(closed);
        assert!(p.lines().is_empty());
    }

    /// More connections than it serves: the extra ones are closed at once, and once they are
    /// gone a new client is served.
    #[tokio::test]
    async fn a_connection_flood_is_bounded() {
        let p = peer(Delivery::Whole).await;
        let mut held = Vec::new();
        for _ in 0..MAX_CONNECTIONS {
            let mut s = TcpStream::connect(p.addr()).await.unwrap();
            s.write_all(b"x\n").await.unwrap();
            read_n(&mut s, "서버 응답: x\n".len()).await;
            held.push(s);
        }
        let mut extra = TcpStream::connect(p.addr()).await.unwrap();
        let _ = extra.write_all(b"y\n").await;
        assert!(
            read_n(&mut extra, 1).await.is_empty(),
            "closed without a reply"
        );
        drop(held);
        // The slots free up as the peer sees the clients close; retry within a deadline.
        let end = Instant::now() + Duration::from_secs(5);
        loop {
            let mut s = TcpStream::connect(p.addr()).await.unwrap();
            let _ = s.write_all(b"z\n").await;
            if !read_n(&mut s, 1).await.is_empty() {
                break;
            }
            assert!(Instant::now() < end, "never served again");
            tokio::task::yield_now().await;
        }
    }
}
