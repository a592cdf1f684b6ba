//! The accept loop every TCP counterpart shares: a peer that opens connections without end
//! gets at most a fixed number served at once, and the others closed at once.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

/// Accepts on `listener` for as long as this future runs, serving each connection with
/// `serve(stream, peer)` in a task of its own, at most `max` at once: a connection over the
/// limit is closed at once. The connections die with the loop: aborting it drops their set,
/// which aborts them. `serve` bounds its own time.
pub async fn bounded<F, Fut>(listener: TcpListener, max: usize, mut serve: F)
where
    F: FnMut(TcpStream, SocketAddr) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let slots = Arc::new(Semaphore::new(max));
    let mut conns = tokio::task::JoinSet::new();
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            continue;
        };
        // Reap finished connections so the set does not grow with a flood.
        while conns.try_join_next().is_some() {}
        let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
            drop(stream); // over the limit: closed at once
            continue;
        };
        let conn = serve(stream, peer);
        conns.spawn(async move {
            conn.await;
            drop(permit);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use std::time::Duration;
    use tokio::io::AsyncReadExt;

    /// Over the limit, a connection is closed at once; one held open keeps its slot.
    #[tokio::test]
    async fn a_connection_over_the_limit_is_closed_at_once() {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let addr = l.local_addr().unwrap();
        let task = tokio::spawn(bounded(l, 1, |_stream, _| async move {
            tokio::time::sleep(Duration::from_secs(10)).await;
        }));
        // Accepted first (the backlog is in order), it takes the one slot.
        let _held = TcpStream::connect(addr).await.unwrap();
        let mut extra = TcpStream::connect(addr).await.unwrap();
        let mut buf = [0u8; 1];
        let read = tokio::time::timeout(Duration::from_secs(5), extra.read(&mut buf)).await;
        assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "{read:?}");
        task.abort();
    }
}
