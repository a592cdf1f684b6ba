//! Capped capture of a child's stdout or stderr. A reader task drains the pipe continuously
//! (a full pipe would block the student's program, and a blocked program looks like a broken
//! one), keeps the first [`HEAD_CAP`] bytes and the last [`TAIL_CAP`] bytes, and only counts
//! the rest. The grader's memory stays bounded whatever the program prints.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::Notify;
use tokio::time::Instant;

/// Bytes kept from the start of a stream: banners and early output.
pub const HEAD_CAP: usize = 1 << 20;
/// Bytes kept from the end: the traceback of a crash.
pub const TAIL_CAP: usize = 16 << 10;

#[derive(Default)]
struct Inner {
    head: Vec<u8>,
    tail: VecDeque<u8>,
    total: u64,
    eof: bool,
}

/// A shared, capped view of one output stream.
#[derive(Clone, Default)]
pub struct Capture {
    inner: Arc<Mutex<Inner>>,
    notify: Arc<Notify>,
}

impl Capture {
    /// Starts draining `reader` into a new capture.
    pub fn drain<R: AsyncRead + Unpin + Send + 'static>(
        reader: R,
    ) -> (Capture, tokio::task::JoinHandle<()>) {
        let cap = Capture::default();
        let task = tokio::spawn(cap.clone().pump(reader));
        (cap, task)
    }

    async fn pump<R: AsyncRead + Unpin>(self, mut reader: R) {
        let mut buf = vec![0u8; 64 << 10];
        loop {
            let n = reader.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            self.push(&buf[..n]);
        }
        self.lock().eof = true;
        self.notify.notify_waiters();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A poisoned lock only means a reader panicked mid-push; the bytes are still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn push(&self, bytes: &[u8]) {
        {
            let mut g = self.lock();
            g.total += bytes.len() as u64;
            let room = HEAD_CAP - g.head.len();
            let (to_head, rest) = bytes.split_at(room.min(bytes.len()));
            g.head.extend_from_slice(to_head);
            let rest = &rest[rest.len().saturating_sub(TAIL_CAP)..];
            let overflow = (g.tail.len() + rest.len()).saturating_sub(TAIL_CAP);
            g.tail.drain(..overflow);
            g.tail.extend(rest);
        }
        self.notify.notify_waiters();
    }

    /// The kept start of the stream (at most [`HEAD_CAP`] bytes).
    pub fn head(&self) -> Vec<u8> {
        self.lock().head.clone()
    }

    /// The kept end of the stream: the tail buffer if the head overflowed, else the head's end.
    pub fn tail(&self) -> Vec<u8> {
        let g = self.lock();
        if g.tail.is_empty() {
            let start = g.head.len().saturating_sub(TAIL_CAP);
            g.head[start..].to_vec()
        } else {
            g.tail.iter().copied().collect()
        }
    }

    /// What is kept, for searching: the head, then (if the stream overflowed) the tail, so a
    /// line printed after a flood of output is still found.
    pub fn searchable(&self) -> Vec<u8> {
        searchable(&self.lock())
    }

    /// Bytes received but not kept.
    pub fn dropped(&self) -> u64 {
        let g = self.lock();
        g.total - g.head.len() as u64 - g.tail.len() as u64
    }

    /// Waits until `pred` holds for the [`searchable`](Capture::searchable) text, the stream ends, or `deadline` passes.
    /// Returns whether `pred` held.
    pub async fn wait_for(&self, deadline: Instant, mut pred: impl FnMut(&[u8]) -> bool) -> bool {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            // Register before looking, so a push between the look and the wait is not missed.
            notified.as_mut().enable();
            {
                let g = self.lock();
                if pred(&searchable(&g)) {
                    return true;
                }
                if g.eof {
                    return false;
                }
            }
            // The deadline looked at before each wait: a program that prints without end
            // wakes this loop at once, every time, and a time-out alone would never fire.
            if crate::flood::by(deadline, notified).await.is_none() {
                return pred(&self.searchable());
            }
        }
    }
}

fn searchable(g: &Inner) -> Vec<u8> {
    let mut v = g.head.clone();
    if !g.tail.is_empty() {
        v.push(b'\n');
        v.extend(g.tail.iter());
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_head_and_tail_counts_the_rest() {
        let c = Capture::default();
        let chunk = vec![b'x'; 4096];
        for _ in 0..600 {
            c.push(&chunk);
        }
        c.push(b"THE END");
        assert_eq!(c.head().len(), HEAD_CAP);
        assert!(c.tail().ends_with(b"THE END"));
        assert_eq!(c.tail().len(), TAIL_CAP);
        let total = 600 * 4096 + 7;
        assert_eq!(c.dropped(), total - (HEAD_CAP + TAIL_CAP) as u64);
    }

    /// A program that prints without pause wakes a wait on every chunk: the wait still ends
    /// at its deadline (issue 18; the deadline is looked at before each wait).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_wait_on_endless_output_ends_at_its_deadline() {
        let c = Capture::default();
        let printer = {
            let c = c.clone();
            tokio::spawn(async move {
                let chunk = vec![b'x'; 64 << 10];
                let end = Instant::now() + std::time::Duration::from_secs(10);
                while Instant::now() < end {
                    c.push(&chunk);
                    tokio::task::yield_now().await;
                }
            })
        };
        let until = Instant::now() + std::time::Duration::from_millis(300);
        // A look that takes a while, as a debug build's search of a megabyte does: the wait
        // is woken again and again, and ends at its deadline all the same.
        let slow_look = |b: &[u8]| {
            std::thread::sleep(std::time::Duration::from_millis(2));
            b.ends_with(b"never")
        };
        assert!(!c.wait_for(until, slow_look).await);
        let late = Instant::now().saturating_duration_since(until);
        assert!(
            late < std::time::Duration::from_millis(300),
            "{late:?} late"
        );
        printer.abort();
    }

    #[tokio::test]
    async fn wait_for_sees_later_output() {
        let (mut w, r) = tokio::io::duplex(64);
        let (c, _task) = Capture::drain(r);
        let waiter = {
            let c = c.clone();
            tokio::spawn(async move {
                let deadline = Instant::now() + std::time::Duration::from_secs(5);
                c.wait_for(deadline, |b| b.windows(5).any(|w| w == b"ready"))
                    .await
            })
        };
        tokio::io::AsyncWriteExt::write_all(&mut w, b"not yet\nready\n")
            .await
            .unwrap();
        assert!(waiter.await.unwrap());
    }
}
