//! The grader's own publish-subscribe clients for a student's broker: a connection that sends
//! `SUB`/`UNSUB`/`PUB` lines and reads `MSG` lines back, every read and write bounded by a
//! deadline. A broker may flood (lines as fast as it can write them) or send a line without
//! end: each read does work in proportion to what it read only (a wait looks at each new line
//! once, never at all the lines again), the lines kept are capped, and a connection sent more
//! than the cap is *flooded*: its reading stops there and the check fails for it
//! ([`super::watch`]), saying how much came.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::Instant;

use super::watch::Watch;
use crate::flood::{self, Tally};

/// The longest line kept; a longer one is cut and marked.
const LINE_CAP: usize = 64 << 10;
/// Lines and bytes kept per connection. A check publishes a few dozen short lines (the slow
/// subscriber's megabytes are counted, never kept): a connection sent more than this was
/// flooded.
pub(super) const KEEP_LINES: usize = 1024;
pub(super) const KEEP_BYTES: usize = 1 << 20;

/// Texts the grader publishes to synchronize with the broker start with these, so that the
/// checks can leave them out of what they count.
pub(super) const SYNC: &str = "sync-";
pub(super) const FENCE: &str = "fence-";

/// The `k`-th sync text of a check whose token is `tok`: `sync-TOKEN-k`.
pub(super) fn sync(tok: &str, k: usize) -> String {
    format!("{SYNC}{tok}-{k}")
}

pub(super) struct Peer {
    stream: TcpStream,
    buf: Vec<u8>,
    /// The first complete lines received, without their `\n` (and `\r`), up to
    /// [`KEEP_LINES`] and [`KEEP_BYTES`].
    pub lines: Vec<String>,
    kept_bytes: usize,
    /// Every line received, kept or not.
    pub received: Tally,
    /// Lines received past [`KEEP_LINES`] or [`KEEP_BYTES`] while waiting: a flood.
    dropped: u64,
    /// The broker closed (or reset) this connection.
    pub closed: bool,
    watch: Watch,
}

impl Peer {
    pub async fn connect(addr: SocketAddr, watch: &Watch, until: Instant) -> std::io::Result<Peer> {
        Self::connect_with(addr, None, watch, until).await
    }

    /// Connects with a small receive buffer (`rcvbuf` bytes): a subscriber that stops reading
    /// then fills up soon. A flood it meets is noted in `watch`.
    pub async fn connect_with(
        addr: SocketAddr,
        rcvbuf: Option<u32>,
        watch: &Watch,
        until: Instant,
    ) -> std::io::Result<Peer> {
        let socket = TcpSocket::new_v4()?;
        if let Some(size) = rcvbuf {
            socket.set_recv_buffer_size(size)?;
        }
        let stream = match flood::by(until, socket.connect(addr)).await {
            Some(s) => s?,
            None => return Err(std::io::ErrorKind::TimedOut.into()),
        };
        let _ = stream.set_nodelay(true);
        Ok(Peer {
            stream,
            buf: Vec::new(),
            lines: Vec::new(),
            kept_bytes: 0,
            received: Tally::default(),
            dropped: 0,
            closed: false,
            watch: watch.clone(),
        })
    }

    /// Writes `bytes` whole, until `until`; false when that failed or took too long.
    pub async fn write(&mut self, bytes: &[u8], until: Instant) -> bool {
        matches!(
            flood::by(until, self.stream.write_all(bytes)).await,
            Some(Ok(()))
        )
    }

    /// Sends one line (`\n` added).
    pub async fn send(&mut self, line: &str, until: Instant) -> bool {
        self.write(format!("{line}\n").as_bytes(), until).await
    }

    /// More lines came than the grader keeps: nothing it waits for is read any more.
    pub fn flooded(&self) -> bool {
        self.dropped > 0
    }

    /// Reads until `want` has held for some line (it sees each line once, in order, those
    /// received before this wait first), the connection ends, the connection is flooded, or
    /// `until`; whether it held. `want` may keep state: "each of these came".
    pub async fn read_until(&mut self, until: Instant, mut want: impl FnMut(&str) -> bool) -> bool {
        if self.lines.iter().any(|l| want(l)) {
            return true;
        }
        loop {
            if self.flooded() {
                return false;
            }
            let mut held = false;
            self.take_lines(|line| {
                held = held || want(line);
                !held
            });
            if held {
                return true;
            }
            if !self.fill(until).await {
                return false;
            }
        }
    }

    /// Reads until `want` lines for which `counts` holds have come, the connection ends, or
    /// `until`; returns how many came. The lines are not kept (there may be megabytes).
    pub async fn count(
        &mut self,
        until: Instant,
        want: usize,
        counts: impl Fn(&str) -> bool,
    ) -> usize {
        let mut n = 0;
        loop {
            let mut buf = std::mem::take(&mut self.buf);
            let used = split_lines(&buf, |line| {
                self.received.add(line.len() + 1);
                if counts(text(line).as_ref()) {
                    n += 1;
                }
                true
            });
            buf.drain(..used);
            self.buf = buf;
            if n >= want || !self.fill(until).await {
                return n;
            }
        }
    }

    /// Reads what is there (waiting until `until`); false when nothing more will come by then.
    /// The deadline is looked at before the read: a broker that floods never lets one wait.
    async fn fill(&mut self, until: Instant) -> bool {
        if self.closed {
            return false;
        }
        let mut chunk = [0u8; 16 << 10];
        match flood::by(until, self.stream.read(&mut chunk)).await {
            Some(Ok(0)) | Some(Err(_)) => {
                self.closed = true;
                false
            }
            Some(Ok(n)) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
            None => false,
        }
    }

    /// Takes the complete lines out of the buffer (and a line without end cut at
    /// [`LINE_CAP`]), keeping each and giving it to `each` until that returns false. The
    /// buffer is cut once, not once a line: a flood of short lines costs what it reads.
    fn take_lines(&mut self, mut each: impl FnMut(&str) -> bool) {
        let buf = std::mem::take(&mut self.buf);
        let mut go_on = true;
        let used = split_lines(&buf, |line| {
            let line = text(line);
            self.keep(&line);
            go_on = go_on && each(&line);
            go_on && !self.flooded()
        });
        let mut buf = buf;
        buf.drain(..used);
        self.buf = buf;
        if self.flooded() {
            self.watch.note(self.received, &self.lines);
        }
    }

    fn keep(&mut self, line: &str) {
        self.received.add(line.len() + 1);
        if self.lines.len() >= KEEP_LINES || self.kept_bytes + line.len() > KEEP_BYTES {
            self.dropped += 1;
            return;
        }
        self.kept_bytes += line.len();
        self.lines.push(line.to_string());
    }

    /// Resets the connection (what a crashed or killed client leaves behind), not a polite close.
    pub fn reset(self) {
        let _ = self.stream.set_zero_linger();
    }

    /// The texts of the `MSG topic text` lines received for `topic`, the grader's sync and
    /// fence texts left out.
    pub fn texts(&self, topic: &str) -> Vec<&str> {
        self.lines
            .iter()
            .filter_map(|l| msg(l))
            .filter(|(t, text)| *t == topic && !is_marker(text))
            .map(|(_, text)| text)
            .collect()
    }

    /// Every `MSG` line received as (topic, text), the grader's markers left out.
    pub fn all_texts(&self) -> Vec<(&str, &str)> {
        self.lines
            .iter()
            .filter_map(|l| msg(l))
            .filter(|(_, text)| !is_marker(text))
            .collect()
    }

    /// Whether `MSG topic text` came.
    pub fn has(&self, topic: &str, text: &str) -> bool {
        has(&self.lines, topic, text)
    }

    /// The last `n` lines received, for a failure message.
    pub fn shown(&self, n: usize) -> String {
        self.shown_where(n, |_| true)
    }

    /// The last `n` lines received that are not the grader's sync and fence texts.
    pub fn shown_real(&self, n: usize) -> String {
        self.shown_where(n, |l| !msg(l).is_some_and(|(_, text)| is_marker(text)))
    }

    fn shown_where(&self, n: usize, keep: impl Fn(&str) -> bool) -> String {
        let kept: Vec<&String> = self.lines.iter().filter(|l| keep(l)).collect();
        let shown: Vec<String> = kept[kept.len().saturating_sub(n)..]
            .iter()
            .map(|l| crate::text::clip(&crate::text::escape_student(l.as_bytes()), 200, 1))
            .collect();
        shown.join("\n")
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        // The broker closed its end first (it exited, or cut this connection off): closing
        // politely now would leave the broker's side in TIME_WAIT for a minute, and a broker
        // started again without SO_REUSEADDR could not bind its port. A reset leaves nothing.
        let mut byte = [0u8; 1];
        if self.closed || matches!(self.stream.try_read(&mut byte), Ok(0)) {
            let _ = self.stream.set_zero_linger();
        }
    }
}

/// Gives each complete line of `buf` (without its `\n`), and a line without end once it
/// passes [`LINE_CAP`] (cut and marked), to `each` until that returns false; how many bytes of
/// `buf` were used up.
fn split_lines(buf: &[u8], mut each: impl FnMut(&[u8]) -> bool) -> usize {
    let mut start = 0;
    while start < buf.len() {
        let rest = &buf[start..];
        let go_on = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => {
                start += i + 1;
                each(&rest[..i])
            }
            None if rest.len() > LINE_CAP => {
                start = buf.len();
                let mut cut = rest[..200].to_vec();
                cut.extend_from_slice(" ... (no newline in 64 KiB)".as_bytes());
                each(&cut)
            }
            None => break,
        };
        if !go_on {
            break;
        }
    }
    start
}

/// A received line as text (`\r` dropped, invalid UTF-8 replaced).
fn text(line: &[u8]) -> std::borrow::Cow<'_, str> {
    match String::from_utf8_lossy(line) {
        std::borrow::Cow::Borrowed(s) => std::borrow::Cow::Borrowed(s.trim_end_matches('\r')),
        std::borrow::Cow::Owned(s) => std::borrow::Cow::Owned(s.trim_end_matches('\r').to_string()),
    }
}

/// `MSG topic text` split into (topic, text).
pub(super) fn msg(line: &str) -> Option<(&str, &str)> {
    line.strip_prefix("MSG ")?.split_once(' ')
}

fn is_marker(text: &str) -> bool {
    text.starts_with(SYNC) || text.starts_with(FENCE)
}

pub(super) fn has(lines: &[String], topic: &str, text: &str) -> bool {
    lines.iter().any(|l| is(l, topic, text))
}

/// Whether `line` is `MSG topic text`.
pub(super) fn is(line: &str, topic: &str, text: &str) -> bool {
    msg(line) == Some((topic, text))
}

/// A `want` for [`Peer::read_until`]: each of `texts` came as `MSG topic text`.
pub(super) fn all_of<'a>(topic: &'a str, texts: Vec<&'a str>) -> impl FnMut(&str) -> bool + 'a {
    let mut missing = texts;
    move |line| {
        missing.retain(|m| !is(line, topic, m));
        missing.is_empty()
    }
}

/// `sub` subscribes to `topic`; then `publisher` publishes `sync` on it again and again (the
/// broker may handle the two connections in any order) until `sub` receives it, or `until`.
pub(super) async fn subscribe(
    sub: &mut Peer,
    topic: &str,
    publisher: &mut Peer,
    sync: &str,
    until: Instant,
) -> bool {
    if !sub.send(&format!("SUB {topic}"), until).await {
        return false;
    }
    let mut pause = Duration::from_millis(20);
    loop {
        let _ = publisher.send(&format!("PUB {topic} {sync}"), until).await;
        let step = (Instant::now() + pause).min(until);
        if sub.read_until(step, |l| is(l, topic, sync)).await {
            return true;
        }
        if sub.closed || sub.flooded() || Instant::now() >= until {
            return false;
        }
        pause = (pause * 2).min(Duration::from_millis(200));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::net::Ipv4Addr;
    use tokio::net::TcpListener;

    /// A broker that writes `line` to its one connection without pause, whatever it
    /// receives, for at most `secs` seconds.
    async fn flooding_broker(line: &'static [u8], secs: u64) -> SocketAddr {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let batch = line.repeat((64 << 10) / line.len());
            let end = Instant::now() + Duration::from_secs(secs);
            while Instant::now() < end && s.write_all(&batch).await.is_ok() {}
        });
        addr
    }

    /// The broker: lines of 4000 bytes, as fast as it can. A wait for a line that
    /// never comes stops at the flood, long before its deadline, and says how much came.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_wait_on_a_flood_stops_once_it_is_a_flood_and_notes_it() {
        let mut line = b"MSG news flood ".to_vec();
        line.resize(3999, b'x');
        line.push(b'\n');
        let line: &'static [u8] = line.leak();
        let addr = flooding_broker(line, 10).await;
        let w = Watch::default();
        let start = Instant::now();
        let mut p = Peer::connect(addr, &w, start + Duration::from_secs(5))
            .await
            .unwrap();
        let held = p
            .read_until(start + Duration::from_secs(5), |l| l == "never")
            .await;
        assert!(!held && p.flooded());
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "{:?}",
            start.elapsed()
        );
        assert!(p.lines.len() <= KEEP_LINES);
        let f = w.flood().expect("the flood is noted for the check");
        assert!(f.received.count > p.lines.len() as u64);
        assert!(f.first[0].starts_with("MSG news flood"));
    }

    /// Lines counted, not kept (the slow subscriber's): a flood of one-byte lines ends at the
    /// deadline, however fast it comes, and each read costs what it read.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn counting_a_flood_of_short_lines_ends_at_the_deadline() {
        let addr = flooding_broker(b"\n", 10).await;
        let w = Watch::default();
        let start = Instant::now();
        let mut p = Peer::connect(addr, &w, start + Duration::from_secs(5))
            .await
            .unwrap();
        let until = start + Duration::from_millis(300);
        let n = p.count(until, usize::MAX, |l| l == "never").await;
        let late = Instant::now().saturating_duration_since(until);
        assert_eq!(n, 0);
        assert!(late < Duration::from_millis(200), "{late:?} late");
        assert!(p.received.count > 1_000, "{:?}", p.received);
        assert!(p.lines.is_empty() && !p.flooded() && w.flood().is_none());
    }

    #[test]
    fn lines_are_split_once_and_a_line_without_end_is_cut() {
        let mut seen = Vec::new();
        let used = split_lines(b"a\nbb\r\nccc", |l| {
            seen.push(text(l).into_owned());
            true
        });
        assert_eq!(
            (seen.as_slice(), used),
            (&["a".to_string(), "bb".into()][..], 6)
        );
        let endless = vec![b'z'; LINE_CAP + 1];
        let mut cut = Vec::new();
        assert_eq!(
            split_lines(&endless, |l| {
                cut.push(l.len());
                true
            }),
            endless.len()
        );
        assert_eq!(cut.len(), 1);
        assert!(cut[0] < 300);
    }

    #[test]
    fn a_msg_line_splits_at_the_first_two_spaces_only() {
        assert_eq!(msg("MSG news 안녕 두 단어"), Some(("news", "안녕 두 단어")));
        assert_eq!(msg("MSG news"), None);
        assert_eq!(msg("OK SUB news"), None);
    }
}
