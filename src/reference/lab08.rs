//! The reference lab08 programs: `grade reference lab08 broker` (a publish-subscribe broker on
//! `PORT`, default 6789: `SUB topic`, `UNSUB topic`, `PUB topic text` lines in, `MSG topic text`
//! out to every connection subscribed to exactly that topic) and `grade reference lab08 worker
//! HOST PORT` (a pull worker: `READY`, then `DONE id n*n` for each `TASK id n`, `READY` again,
//! and exit 0 on `END`).
//!
//! The broker gives every connection its own outbox (a bounded queue) and a task that writes it
//! out, so a subscriber that stops reading only fills its own outbox: a publish never waits on
//! a subscriber's socket. What does not fit in a full outbox is dropped for that subscriber.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// The longest line served; a longer one closes the connection.
const LINE_CAP: u64 = 1 << 20;
/// Messages queued for one subscriber; more are dropped for it until it reads again.
const OUTBOX: usize = 1024;

type Outbox = mpsc::Sender<Arc<[u8]>>;
/// topic -> (connection id -> its outbox).
type Topics = Arc<Mutex<HashMap<String, HashMap<u64, Outbox>>>>;

/// Serves until stopped: a task per connection, and one more per connection writing its outbox.
pub async fn serve(listener: TcpListener) -> std::io::Result<()> {
    let topics: Topics = Arc::default();
    let mut next = 0u64;
    loop {
        let (stream, _) = listener.accept().await?;
        next += 1;
        tokio::spawn(connection(stream, next, Arc::clone(&topics)));
    }
}

async fn connection(stream: TcpStream, id: u64, topics: Topics) {
    let (read, mut write) = stream.into_split();
    let (outbox, mut queued) = mpsc::channel::<Arc<[u8]>>(OUTBOX);
    let writer = tokio::spawn(async move {
        while let Some(m) = queued.recv().await {
            if write.write_all(&m).await.is_err() {
                break;
            }
        }
    });
    let mut reader = BufReader::new(read);
    let mut line = Vec::new();
    loop {
        line.clear();
        match (&mut reader)
            .take(LINE_CAP)
            .read_until(b'\n', &mut line)
            .await
        {
            Ok(n) if n > 0 && line.ends_with(b"\n") => {}
            _ => break, // closed, reset, or a line without end
        }
        let text = String::from_utf8_lossy(&line);
        handle(text.trim_end_matches(['\r', '\n']), id, &outbox, &topics);
    }
    // Gone (politely or not): its subscriptions go with it, and nobody writes to it again.
    if let Ok(mut t) = topics.lock() {
        t.retain(|_, subs| {
            subs.remove(&id);
            !subs.is_empty()
        });
    }
    writer.abort();
}

fn handle(line: &str, id: u64, outbox: &Outbox, topics: &Topics) {
    let (command, rest) = line.split_once(' ').unwrap_or((line, ""));
    let Ok(mut t) = topics.lock() else {
        return;
    };
    match command {
        "SUB" if !rest.is_empty() => {
            t.entry(rest.to_string())
                .or_default()
                .insert(id, outbox.clone());
        }
        "UNSUB" => {
            if let Some(subs) = t.get_mut(rest) {
                subs.remove(&id);
                if subs.is_empty() {
                    t.remove(rest);
                }
            }
        }
        "PUB" => {
            let (topic, text) = rest.split_once(' ').unwrap_or((rest, ""));
            let Some(subs) = t.get_mut(topic) else {
                return; // nobody listens: the message is dropped
            };
            let msg: Arc<[u8]> = format!("MSG {topic} {text}\n").into_bytes().into();
            // try_send never waits: a full outbox (a subscriber that stopped reading) loses
            // this message; a closed one (its connection ended) is dropped from the topic.
            subs.retain(|_, out| {
                !matches!(
                    out.try_send(Arc::clone(&msg)),
                    Err(mpsc::error::TrySendError::Closed(_))
                )
            });
        }
        _ => {} // an unknown line is ignored
    }
}

/// The worker, as the student's `worker.py HOST PORT` must behave. Returns the exit status:
/// 0 after `END`, 1 when the connection failed or ended without `END`, 2 usage.
pub async fn worker(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let [host, port] = args else {
        let _ = writeln!(err, "usage: python worker.py HOST PORT");
        return 2;
    };
    let Ok(port) = port.parse::<u16>() else {
        let _ = writeln!(err, "usage: python worker.py HOST PORT");
        return 2;
    };
    let connect = TcpStream::connect((host.as_str(), port));
    let stream = match tokio::time::timeout(Duration::from_secs(5), connect).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            let _ = writeln!(
                out,
                "[WORKER] error: could not connect to {host}:{port} ({e})"
            );
            return 1;
        }
        Err(_) => {
            let _ = writeln!(out, "[WORKER] error: could not connect to {host}:{port}");
            return 1;
        }
    };
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    // Pull: ask for one task, answer it, and only then ask for the next.
    if write.write_all(b"READY\n").await.is_err() {
        return 1;
    }
    let mut line = Vec::new();
    loop {
        line.clear();
        let mut limited = (&mut reader).take(LINE_CAP);
        let read = limited.read_until(b'\n', &mut line);
        match tokio::time::timeout(Duration::from_secs(60), read).await {
            Ok(Ok(n)) if n > 0 => {}
            _ => {
                let _ = writeln!(out, "[WORKER] error: the connection ended without END");
                return 1;
            }
        }
        let text = String::from_utf8_lossy(&line);
        let words: Vec<&str> = text.split_whitespace().collect();
        match words.as_slice() {
            ["END"] => {
                let _ = writeln!(out, "[WORKER] END");
                return 0;
            }
            ["TASK", id, n] => {
                let Ok(n) = n.parse::<u128>() else { continue };
                let square = n * n;
                let _ = writeln!(out, "[WORKER] task {id}: {n}^2 = {square}");
                let answer = format!("DONE {id} {square}\nREADY\n");
                if write.write_all(answer.as_bytes()).await.is_err() {
                    return 1;
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use tokio::time::Instant;

    async fn line(r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> String {
        let mut s = String::new();
        let end = Instant::now() + Duration::from_secs(5);
        tokio::time::timeout_at(end, r.read_line(&mut s))
            .await
            .unwrap()
            .unwrap();
        s
    }

    #[tokio::test]
    async fn the_broker_delivers_to_exact_topic_subscribers_and_stops_after_unsub() {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let addr = l.local_addr().unwrap();
        let server = tokio::spawn(serve(l));
        let (r, mut w) = TcpStream::connect(addr).await.unwrap().into_split();
        let mut r = BufReader::new(r);
        w.write_all(b"SUB news\nSUB other\n").await.unwrap();
        // Its own connection: SUB is handled before PUB, so no race here.
        w.write_all("PUB newsletter x\nPUB news 안녕 두 단어\n".as_bytes())
            .await
            .unwrap();
        assert_eq!(line(&mut r).await, "MSG news 안녕 두 단어\n");
        w.write_all(b"UNSUB news\nPUB news gone\nPUB other here\n")
            .await
            .unwrap();
        assert_eq!(line(&mut r).await, "MSG other here\n");
        server.abort();
    }

    #[tokio::test]
    async fn the_worker_answers_each_task_and_exits_on_end() {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let port = l.local_addr().unwrap().port();
        let ventilator = tokio::spawn(async move {
            let (s, _) = l.accept().await.unwrap();
            let (r, mut w) = s.into_split();
            let mut r = BufReader::new(r);
            let mut seen = Vec::new();
            seen.push(line(&mut r).await);
            w.write_all(b"TASK 7 12\n").await.unwrap();
            seen.push(line(&mut r).await);
            seen.push(line(&mut r).await);
            w.write_all(b"END\n").await.unwrap();
            seen
        });
        let (mut o, mut e) = (Vec::new(), Vec::new());
        let args = ["127.0.0.1".into(), port.to_string()];
        assert_eq!(worker(&args, &mut o, &mut e).await, 0);
        assert_eq!(
            ventilator.await.unwrap(),
            ["READY\n", "DONE 7 144\n", "READY\n"]
        );
    }
}
