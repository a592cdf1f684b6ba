//! A ventilator and sink for pull workers (lab08's protocol): a worker sends `READY`, gets
//! `TASK id n`, answers `DONE id n*n`, sends `READY` again, and gets `END` once no task is left.
//! It hands out each task once (a task a worker takes and never answers is lost, not handed to
//! another) and records, per connection, what was handed out, answered and asked for, so the
//! checks can tell a lost task from a duplicated one and a hoarding worker from a fair one.
//!
//! Fairness: no task is handed out until `expected` connections have each sent `READY` (or
//! `window` has passed), and then every waiting connection gets one before any gets a second,
//! so each correct worker gets at least one task however fast the first one is.
//!
//! A worker is untrusted: at most [`MAX_CONNECTIONS`] are served (others are closed at once),
//! a line is cut at [`LINE_CAP`] bytes (and that connection closed), at most [`READY_CAP`]
//! `READY`s per connection are counted, at most [`KEEP`] answers and [`KEEP_BAD`] odd lines are
//! kept, and every write is bounded, so nothing a worker does grows the grader or holds it.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use crate::flood::Tally;

pub const MAX_CONNECTIONS: usize = 8;
pub const LINE_CAP: usize = 1024;
pub const READY_CAP: usize = 64;
pub const KEEP: usize = 256;
pub const KEEP_BAD: usize = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Task {
    pub id: u32,
    pub n: u64,
}

/// What one worker connection did.
#[derive(Clone, Debug, Default)]
pub struct Conn {
    /// `READY` lines received (up to [`READY_CAP`]).
    pub readys: usize,
    /// `READY`s that came while a task handed to this connection was still unanswered.
    pub early_readys: usize,
    /// Ids handed to it, in order.
    pub tasks: Vec<u32>,
    /// `DONE id result` lines, in order: the id and the result as written.
    pub done: Vec<(u32, String)>,
    /// The most tasks it held unanswered at once.
    pub max_outstanding: usize,
    /// `END` lines sent to it.
    pub ends: usize,
    /// Lines that were neither `READY` nor `DONE id result`, as received (escaped, clipped):
    /// the first [`KEEP_BAD`].
    pub bad: Vec<String>,
    /// Every such line, kept or not (a worker that floods sends millions).
    pub odd: Tally,
    pub closed: bool,
    outstanding: Vec<u32>,
}

/// What the ventilator saw, so far.
#[derive(Clone, Debug, Default)]
pub struct Record {
    pub conns: Vec<Conn>,
    /// Tasks handed out so far (in task order).
    pub handed: usize,
    /// Whether the handing out began (enough workers were ready, or the window passed).
    pub started: bool,
}

impl Record {
    /// A number that grows with everything the workers do (lines, connections, closes): the
    /// same number twice means nothing happened in between.
    pub fn activity(&self) -> usize {
        self.conns
            .iter()
            .map(|c| 1 + c.readys + c.done.len() + c.bad.len() + usize::from(c.closed))
            .sum::<usize>()
            + self.handed
    }

    /// Every task handed out, and every connection still open was told `END`.
    pub fn finished(&self, total: usize) -> bool {
        self.handed == total && self.conns.iter().all(|c| c.closed || c.ends > 0)
    }
}

/// A running ventilator; it stops when dropped (its connections with it).
pub struct Ventilator {
    addr: SocketAddr,
    record: Arc<Mutex<Record>>,
    task: JoinHandle<()>,
}

impl Ventilator {
    /// Serves `tasks` on `listener` (bound by the caller, port 0).
    pub fn start(
        listener: TcpListener,
        tasks: Vec<Task>,
        expected: usize,
        window: Duration,
    ) -> std::io::Result<Ventilator> {
        let addr = listener.local_addr()?;
        let record = Arc::new(Mutex::new(Record::default()));
        let state = Dispatch {
            tasks,
            expected,
            record: Arc::clone(&record),
            pending: VecDeque::new(),
            writers: Vec::new(),
        };
        let task = tokio::spawn(state.run(listener, Instant::now() + window));
        Ok(Ventilator { addr, record, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn record(&self) -> Record {
        self.record.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

impl Drop for Ventilator {
    fn drop(&mut self) {
        self.task.abort();
    }
}

enum Event {
    Line(usize, Vec<u8>),
    Closed(usize),
}

struct Dispatch {
    tasks: Vec<Task>,
    expected: usize,
    record: Arc<Mutex<Record>>,
    /// Connections waiting for a task, one entry per `READY`.
    pending: VecDeque<usize>,
    writers: Vec<mpsc::Sender<String>>,
}

impl Dispatch {
    async fn run(mut self, listener: TcpListener, start_by: Instant) {
        let (events, mut incoming) = mpsc::channel::<Event>(256);
        // Readers and writers die with this task: aborting it drops the set.
        let mut conns = JoinSet::new();
        let mut window = std::pin::pin!(tokio::time::sleep_until(start_by));
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    if self.writers.len() >= MAX_CONNECTIONS {
                        continue; // dropped: closed at once
                    }
                    let id = self.writers.len();
                    let (read, mut write) = stream.into_split();
                    let (tx, mut rx) = mpsc::channel::<String>(READY_CAP * 2);
                    self.writers.push(tx);
                    self.with(|r| r.conns.push(Conn::default()));
                    conns.spawn(async move {
                        while let Some(line) = rx.recv().await {
                            let write = write.write_all(line.as_bytes());
                            // A worker that does not read must not hold the ventilator.
                            if !matches!(
                                tokio::time::timeout(Duration::from_secs(2), write).await,
                                Ok(Ok(()))
                            ) {
                                break;
                            }
                        }
                    });
                    let events = events.clone();
                    conns.spawn(read_lines(id, read, events));
                }
                Some(event) = incoming.recv() => self.on_event(event),
                () = &mut window, if !self.started() => self.start(),
            }
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Record) -> T) -> Option<T> {
        self.record.lock().ok().map(|mut r| f(&mut r))
    }

    fn started(&self) -> bool {
        self.with(|r| r.started).unwrap_or(true)
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Closed(id) => {
                self.with(|r| r.conns[id].closed = true);
            }
            Event::Line(id, bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                let text = text.trim_end_matches(['\r', '\n']);
                let words: Vec<&str> = text.split_whitespace().collect();
                match words.as_slice() {
                    ["READY"] => self.ready(id),
                    ["DONE", task, result] if task.parse::<u32>().is_ok() => {
                        let task: u32 = task.parse().unwrap_or_default();
                        let result = result.to_string();
                        self.with(|r| {
                            let c = &mut r.conns[id];
                            if c.done.len() < KEEP {
                                c.done.push((task, result));
                            }
                            if let Some(i) = c.outstanding.iter().position(|&t| t == task) {
                                c.outstanding.remove(i);
                            }
                        });
                    }
                    _ => {
                        let shown = crate::text::clip(
                            &crate::text::escape_student(text.as_bytes()),
                            120,
                            1,
                        );
                        self.with(|r| {
                            let c = &mut r.conns[id];
                            c.odd.add(bytes.len());
                            if c.bad.len() < KEEP_BAD {
                                c.bad.push(shown);
                            }
                        });
                    }
                }
            }
        }
    }

    fn ready(&mut self, id: usize) {
        let counted = self.with(|r| {
            let c = &mut r.conns[id];
            if c.readys >= READY_CAP {
                return false;
            }
            c.readys += 1;
            if !c.outstanding.is_empty() {
                c.early_readys += 1;
            }
            true
        });
        if counted != Some(true) {
            return;
        }
        self.pending.push_back(id);
        let asking = self
            .with(|r| r.conns.iter().filter(|c| c.readys > 0).count())
            .unwrap_or(0);
        if self.started() {
            self.dispatch();
        } else if asking >= self.expected {
            self.start();
        }
    }

    /// Handing out begins: the first `READY` of each connection goes first.
    fn start(&mut self) {
        self.with(|r| r.started = true);
        let mut first = Vec::new();
        let mut rest = Vec::new();
        for id in self.pending.drain(..) {
            if first.contains(&id) {
                rest.push(id);
            } else {
                first.push(id);
            }
        }
        self.pending.extend(first.into_iter().chain(rest));
        self.dispatch();
    }

    fn dispatch(&mut self) {
        while let Some(id) = self.pending.pop_front() {
            let (line, task) = match self.with(|r| r.handed).and_then(|h| self.tasks.get(h)) {
                Some(t) => (format!("TASK {} {}\n", t.id, t.n), Some(t.id)),
                None => ("END\n".to_string(), None),
            };
            // Full or gone: that worker does not read; its answer will be missing either way.
            let _ = self.writers[id].try_send(line);
            self.with(|r| {
                let c = &mut r.conns[id];
                match task {
                    Some(t) => {
                        c.tasks.push(t);
                        c.outstanding.push(t);
                        c.max_outstanding = c.max_outstanding.max(c.outstanding.len());
                        r.handed += 1;
                    }
                    None => c.ends += 1,
                }
            });
        }
    }
}

async fn read_lines(id: usize, read: tokio::net::tcp::OwnedReadHalf, events: mpsc::Sender<Event>) {
    let mut reader = BufReader::new(read);
    let mut line = Vec::new();
    loop {
        line.clear();
        let cap = LINE_CAP as u64 + 1;
        match (&mut reader).take(cap).read_until(b'\n', &mut line).await {
            Ok(n) if n > 0 && line.ends_with(b"\n") => {
                if events.send(Event::Line(id, line.clone())).await.is_err() {
                    return;
                }
            }
            _ => break, // closed, reset, or a line without end: no more from it
        }
    }
    let _ = events.send(Event::Closed(id)).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use tokio::net::TcpStream;

    async fn ventilator(n: usize, expected: usize) -> Ventilator {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let tasks = (0..n as u32).map(|i| Task {
            id: 100 + i,
            n: 3 + u64::from(i),
        });
        Ventilator::start(l, tasks.collect(), expected, Duration::from_secs(5)).unwrap()
    }

    async fn line(r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> String {
        let mut s = String::new();
        let end = Instant::now() + Duration::from_secs(5);
        let _ = tokio::time::timeout_at(end, r.read_line(&mut s)).await;
        s
    }

    async fn until(v: &Ventilator, pred: impl Fn(&Record) -> bool) -> Record {
        let end = Instant::now() + Duration::from_secs(5);
        loop {
            let r = v.record();
            if pred(&r) || Instant::now() > end {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Nothing is handed out before both workers asked; then each gets one before the hoarder
    /// gets its second, and the hoarding shows in the record.
    #[tokio::test]
    async fn tasks_wait_for_every_worker_and_hoarding_is_recorded() {
        let v = ventilator(3, 2).await;
        let (r1, mut w1) = TcpStream::connect(v.addr()).await.unwrap().into_split();
        let mut r1 = BufReader::new(r1);
        w1.write_all(b"READY\nREADY\n").await.unwrap();
        let rec = until(&v, |r| r.conns.first().is_some_and(|c| c.readys == 2)).await;
        assert!(!rec.started && rec.handed == 0, "{rec:?}");
        let (r2, mut w2) = TcpStream::connect(v.addr()).await.unwrap().into_split();
        let mut r2 = BufReader::new(r2);
        w2.write_all(b"READY\n").await.unwrap();
        assert_eq!(line(&mut r1).await, "TASK 100 3\n");
        assert_eq!(line(&mut r2).await, "TASK 101 4\n");
        assert_eq!(line(&mut r1).await, "TASK 102 5\n");
        w2.write_all(b"DONE 101 16\nDONE 101 16\nREADY\nhello\n")
            .await
            .unwrap();
        assert_eq!(line(&mut r2).await, "END\n");
        let rec = until(&v, |r| r.conns[1].bad.len() == 1).await;
        assert_eq!(rec.conns[0].max_outstanding, 2);
        assert_eq!(rec.conns[1].max_outstanding, 1);
        assert_eq!(rec.conns[1].done.len(), 2);
        assert_eq!(rec.conns[1].bad, ["hello"]);
        assert!(!rec.finished(3), "the first worker was not told END yet");
        drop((r1, w1));
        let rec = until(&v, |r| r.conns[0].closed).await;
        assert!(rec.finished(3));
    }

    /// A worker that floods lines that are neither READY nor DONE: every one is counted, a
    /// few are kept, and its READY still gets a task.
    #[tokio::test]
    async fn a_flood_of_odd_lines_is_counted_and_kept_bounded() {
        let v = ventilator(1, 1).await;
        let (r, mut w) = TcpStream::connect(v.addr()).await.unwrap().into_split();
        let mut r = BufReader::new(r);
        let odd = format!("FLOOD {}\n", "x".repeat(500));
        w.write_all(odd.repeat(2000).as_bytes()).await.unwrap();
        w.write_all(b"READY\n").await.unwrap();
        assert_eq!(line(&mut r).await, "TASK 100 3\n");
        let rec = until(&v, |r| r.conns[0].odd.count == 2000).await;
        assert_eq!(rec.conns[0].odd.count, 2000);
        assert_eq!(rec.conns[0].bad.len(), KEEP_BAD);
    }

    /// A line without end is cut at the cap and its connection counted as closed.
    #[tokio::test]
    async fn an_endless_line_closes_the_connection() {
        let v = ventilator(1, 1).await;
        let mut s = TcpStream::connect(v.addr()).await.unwrap();
        let _ = s.write_all(&vec![b'x'; LINE_CAP * 4]).await;
        let rec = until(&v, |r| r.conns.first().is_some_and(|c| c.closed)).await;
        assert!(rec.conns[0].closed && rec.conns[0].readys == 0);
    }
}
