//! The reference lab05 programs: `grade reference lab05 server` (a line-echo TCP server on
//! `PORT`, default 8888, a task per connection, answering each `\n`-terminated line with
//! `서버 응답: ` + the line) and `grade reference lab05 client HOST PORT MESSAGE...` (one
//! connection, each MESSAGE sent as a line, each reply line printed as received).

use std::io::Write;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::wire::lab05::PREFIX;

/// The longest line served; a longer one closes the connection (the lab's longest is 64 KiB).
const LINE_CAP: u64 = 1 << 20;

/// Serves until stopped: a task per connection, so one slow client never blocks another.
pub async fn serve(listener: TcpListener) -> std::io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(async move {
            let _ = echo_lines(stream).await;
        });
    }
}

async fn echo_lines(stream: TcpStream) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut line = Vec::new();
    loop {
        line.clear();
        // Bytes up to the newline, however they were split on the way: the framing lesson.
        let n = (&mut reader)
            .take(LINE_CAP)
            .read_until(b'\n', &mut line)
            .await?;
        if n == 0 || line.last() != Some(&b'\n') {
            return Ok(()); // closed (a half line without its newline is not a message)
        }
        let mut reply = PREFIX.as_bytes().to_vec();
        reply.extend_from_slice(&line);
        write.write_all(&reply).await?;
    }
}

/// The client, writing as the student's program must. Returns the exit status: 0 done,
/// 1 could not connect (or the server closed early), 2 usage.
pub async fn client(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let [host, port, messages @ ..] = args else {
        let _ = writeln!(err, "usage: python tcp_client.py HOST PORT MESSAGE...");
        return 2;
    };
    let (Ok(port), false) = (port.parse::<u16>(), messages.is_empty()) else {
        let _ = writeln!(err, "usage: python tcp_client.py HOST PORT MESSAGE...");
        return 2;
    };
    let connect = TcpStream::connect((host.as_str(), port));
    let stream = match tokio::time::timeout(Duration::from_secs(5), connect).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            let _ = writeln!(out, "[TCP] error: could not connect to {host}:{port} ({e})");
            return 1;
        }
        Err(_) => {
            let _ = writeln!(
                out,
                "[TCP] error: could not connect to {host}:{port} (timed out)"
            );
            return 1;
        }
    };
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    for m in messages {
        if write.write_all(format!("{m}\n").as_bytes()).await.is_err() {
            let _ = writeln!(out, "[TCP] error: the server closed the connection");
            return 1;
        }
        let mut reply = Vec::new();
        let mut limited = (&mut reader).take(LINE_CAP);
        let read = limited.read_until(b'\n', &mut reply);
        match tokio::time::timeout(Duration::from_secs(5), read).await {
            Ok(Ok(n)) if n > 0 => {
                let text = String::from_utf8_lossy(&reply);
                let _ = writeln!(out, "{}", text.trim_end_matches(['\r', '\n']));
            }
            _ => {
                let _ = writeln!(out, "[TCP] error: no reply from the server");
                return 1;
            }
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[tokio::test]
    async fn the_client_prints_each_reply_line() {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let port = l.local_addr().unwrap().port();
        let server = tokio::spawn(serve(l));
        let (mut o, mut e) = (Vec::new(), Vec::new());
        let args = [
            "127.0.0.1".into(),
            port.to_string(),
            "안녕".into(),
            "two".into(),
        ];
        assert_eq!(client(&args, &mut o, &mut e).await, 0);
        assert_eq!(
            String::from_utf8(o).unwrap(),
            "서버 응답: 안녕\n서버 응답: two\n"
        );
        server.abort();
    }

    #[tokio::test]
    async fn a_refused_connection_is_an_error_line() {
        let port = {
            let l = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
            l.local_addr().unwrap().port()
        };
        let (mut o, mut e) = (Vec::new(), Vec::new());
        let args = ["127.0.0.1".into(), port.to_string(), "x".into()];
        assert_eq!(client(&args, &mut o, &mut e).await, 1);
        assert!(String::from_utf8(o).unwrap().starts_with("[TCP] error:"));
    }
}
