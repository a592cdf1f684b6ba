//! The grader's own publish-subscribe clients for a student's broker: a connection that sends
//! `SUB`/`UNSUB`/`PUB` lines and reads `MSG` lines back, every read and write bounded by a
//! deadline, the lines kept capped (a broker may flood or send a line without end).

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::Instant;

/// The longest line kept; a longer one is cut and marked.
const LINE_CAP: usize = 64 << 10;
/// Lines and bytes kept per connection; later lines are only counted.
const KEEP_LINES: usize = 4096;
const KEEP_BYTES: usize = 4 << 20;

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
    /// Complete lines received, without their `\n` (and `\r`).
    pub lines: Vec<String>,
    /// Lines received beyond [`KEEP_LINES`] or [`KEEP_BYTES`].
    pub dropped: usize,
    kept_bytes: usize,
    /// The broker closed (or reset) this connection.
    pub closed: bool,
}

impl Peer {
    pub async fn connect(addr: SocketAddr, until: Instant) -> std::io::Result<Peer> {
        Self::connect_with(addr, None, until).await
    }

    /// Connects with a small receive buffer (`rcvbuf` bytes): a subscriber that stops reading
    /// then fills up soon.
    pub async fn connect_with(
        addr: SocketAddr,
        rcvbuf: Option<u32>,
        until: Instant,
    ) -> std::io::Result<Peer> {
        let socket = TcpSocket::new_v4()?;
        if let Some(size) = rcvbuf {
            socket.set_recv_buffer_size(size)?;
        }
        let stream = match tokio::time::timeout_at(until, socket.connect(addr)).await {
            Ok(s) => s?,
            Err(_) => return Err(std::io::ErrorKind::TimedOut.into()),
        };
        let _ = stream.set_nodelay(true);
        Ok(Peer {
            stream,
            buf: Vec::new(),
            lines: Vec::new(),
            dropped: 0,
            kept_bytes: 0,
            closed: false,
        })
    }

    /// Writes `bytes` whole, until `until`; false when that failed or took too long.
    pub async fn write(&mut self, bytes: &[u8], until: Instant) -> bool {
        matches!(
            tokio::time::timeout_at(until, self.stream.write_all(bytes)).await,
            Ok(Ok(()))
        )
    }

    /// Sends one line (`\n` added).
    pub async fn send(&mut self, line: &str, until: Instant) -> bool {
        self.write(format!("{line}\n").as_bytes(), until).await
    }

    /// Reads lines until `done(lines)` holds (true), the connection ends, or `until` (false).
    pub async fn read_until(&mut self, until: Instant, done: impl Fn(&[String]) -> bool) -> bool {
        loop {
            while let Some(line) = self.next_line() {
                self.keep(&line);
            }
            if done(&self.lines) {
                return true;
            }
            if !self.fill(until).await {
                return done(&self.lines);
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
            while let Some(line) = self.next_line() {
                if counts(String::from_utf8_lossy(&line).trim_end_matches('\r')) {
                    n += 1;
                }
            }
            if n >= want || !self.fill(until).await {
                return n;
            }
        }
    }

    /// Reads what is there (waiting until `until`); false when nothing more will come by then.
    async fn fill(&mut self, until: Instant) -> bool {
        if self.closed {
            return false;
        }
        let mut chunk = [0u8; 16 << 10];
        match tokio::time::timeout_at(until, self.stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                self.closed = true;
                false
            }
            Ok(Ok(n)) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
            Err(_) => false,
        }
    }

    /// The next complete line (without `\n`), or a line without end cut at [`LINE_CAP`].
    fn next_line(&mut self) -> Option<Vec<u8>> {
        if let Some(i) = self.buf.iter().position(|&b| b == b'\n') {
            return Some(self.buf.drain(..=i).take(i).collect());
        }
        if self.buf.len() > LINE_CAP {
            let mut cut = std::mem::take(&mut self.buf);
            cut.truncate(200);
            cut.extend_from_slice(" ... (no newline in 64 KiB)".as_bytes());
            return Some(cut);
        }
        None
    }

    fn keep(&mut self, line: &[u8]) {
        if self.lines.len() >= KEEP_LINES || self.kept_bytes + line.len() > KEEP_BYTES {
            self.dropped += 1;
            return;
        }
        self.kept_bytes += line.len();
        let text = String::from_utf8_lossy(line);
        self.lines.push(text.trim_end_matches('\r').to_string());
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

/// `MSG topic text` split into (topic, text).
pub(super) fn msg(line: &str) -> Option<(&str, &str)> {
    line.strip_prefix("MSG ")?.split_once(' ')
}

fn is_marker(text: &str) -> bool {
    text.starts_with(SYNC) || text.starts_with(FENCE)
}

pub(super) fn has(lines: &[String], topic: &str, text: &str) -> bool {
    lines.iter().any(|l| msg(l) == Some((topic, text)))
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
        if sub.read_until(step, |l| has(l, topic, sync)).await {
            return true;
        }
        if sub.closed || Instant::now() >= until {
            return false;
        }
        pause = (pause * 2).min(Duration::from_millis(200));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_msg_line_splits_at_the_first_two_spaces_only() {
        assert_eq!(msg("MSG news 안녕 두 단어"), Some(("news", "안녕 두 단어")));
        assert_eq!(msg("MSG news"), None);
        assert_eq!(msg("OK SUB news"), None);
    }
}
