//! `--capture FILE`: every packet of a grading, recorded on its private `lo` into a pcapng
//! file that Wireshark and tshark open, with each check marked, and for a failed check a
//! short timeline of its exchange ([`timeline`]) for the report.
//!
//! A thread of its own reads a packet socket (`packet_socket.rs`, Linux) and writes each frame
//! as it comes (`file.rs`): memory stays bounded whatever a submission sends (a frame at a
//! time, a few summaries per check, a bounded table of flows), and the file stops at its cap,
//! counting what it could not write. The runner says when each check begins and ends
//! ([`Capture::begin`], [`Capture::end`]): each is a mark on an interface of netgrade's own
//! (`check echo begins`, `check echo ends: failed`), and a frame belongs to the check whose
//! span holds the kernel's time of its arrival, its block's comment saying so (`check echo`),
//! so `frame.comment contains "check echo"` shows one check, marks included. Verdicts never
//! read the capture.
//!
//! Capturing needs the grading's own network namespace (Linux): the caller refuses
//! `--capture` elsewhere, and nothing here ever opens another interface.

// Off Linux a capture cannot start, so what only its reader uses is never read there.
#![cfg_attr(
    not(target_os = "linux"),
    expect(
        dead_code,
        reason = "a capture needs Linux: the reader is not built elsewhere"
    )
)]

pub mod decode;
#[cfg(target_os = "linux")]
mod file;
#[cfg(target_os = "linux")]
mod packet_socket;
pub mod timeline;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime};

use timeline::Seen;

/// The limits of one capture.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Bytes of a frame kept (the rest is cut, as tcpdump's `-s`).
    pub snaplen: u32,
    /// The file's size at most; frames past it are counted, not written.
    pub cap: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            snaplen: 262_144,
            cap: 16 << 20,
        }
    }
}

/// Bytes of whole frames one check (or the time between checks) may write; its frames past
/// that keep only their first [`SLICE`] bytes (headers and the start of the payload), so that
/// one bulk check (lab08's 8 MiB to a slow subscriber) leaves room for every other check.
const CHECK_FULL: u64 = 4 << 20;
/// What is kept of a frame past its check's [`CHECK_FULL`].
const SLICE: usize = 128;
/// Frames kept per check for its timeline (the rest are counted).
const SEEN_PER_CHECK: usize = 64;
/// Flows whose opener is remembered (a flood of new flows finds the table full).
const MAX_FLOWS: usize = 8192;
/// How long the reader waits for a frame before it looks whether it is asked to stop.
const IDLE_WAIT: Duration = Duration::from_millis(5);
/// How long [`Capture::end`] waits for the reader to catch up with the check's end.
const CATCH_UP: Duration = Duration::from_millis(200);

/// What a capture recorded, once finished.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Frames seen on `lo`.
    pub frames: u64,
    /// Frames written to the file.
    pub written: u64,
    /// Frames not written: the file reached its cap.
    pub over_cap: u64,
    /// Frames the kernel dropped before the grader could read them (a flood).
    pub kernel_drops: u64,
    /// Frames cut to their first 128 bytes: their check had written 4 MiB already.
    pub sliced: u64,
    /// The file's size.
    pub bytes: u64,
}

/// One check's frames, as the capture saw them: the first ones and how many in all.
#[derive(Clone, Debug, Default)]
pub struct CheckFrames {
    pub seen: Vec<Seen>,
    pub total: usize,
}

struct Bucket {
    id: String,
    begin: SystemTime,
    end: Option<SystemTime>,
    total: usize,
    seen: Vec<Seen>,
    /// Bytes of its frames written whole.
    written: u64,
}

#[derive(Default)]
struct State {
    checks: Vec<Bucket>,
    /// Marks not yet written: when, and what.
    marks: Vec<(SystemTime, String)>,
    /// TLS key log lines not yet written.
    secrets: Vec<u8>,
    /// Each flow's opener, by its two ends in order.
    flows: HashMap<(SocketAddr, SocketAddr), SocketAddr>,
}

struct Shared {
    state: Mutex<State>,
    stop: AtomicBool,
    /// Nanoseconds since the epoch up to which the reader has taken everything queued.
    caught_up: AtomicU64,
    /// Whether the reader is taking frames (not waiting on an empty queue).
    busy: AtomicBool,
    /// The packet socket's descriptor (-1 when none), to ask whether a frame is queued.
    fd: std::sync::atomic::AtomicI32,
}

impl Shared {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The capture running in this process, for the TLS servers' key log ([`tls_secret`]).
static ACTIVE: Mutex<Option<Weak<Shared>>> = Mutex::new(None);

/// Whether a capture is running in this process.
pub fn active() -> bool {
    ACTIVE
        .lock()
        .map(|a| a.as_ref().and_then(Weak::upgrade).is_some())
        .unwrap_or(false)
}

/// One TLS key log line (`LABEL CLIENT_RANDOM SECRET`, as SSLKEYLOGFILE holds) from one of the
/// grader's own TLS servers: written into the capture, so that Wireshark decrypts the grading's
/// TLS (a TLS 1.3 alert is encrypted). Only the grader's own throwaway keys are ever logged.
pub fn tls_secret(line: &str) {
    let Some(shared) = ACTIVE
        .lock()
        .ok()
        .and_then(|a| a.as_ref().and_then(Weak::upgrade))
    else {
        return;
    };
    let mut s = shared.state();
    if s.secrets.len() < 64 << 10 {
        s.secrets.extend_from_slice(line.as_bytes());
        s.secrets.push(b'\n');
    }
}

fn nanos(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// A running capture.
pub struct Capture {
    shared: Arc<Shared>,
    reader: Option<std::thread::JoinHandle<std::io::Result<Totals>>>,
}

impl Capture {
    /// Starts capturing the grading's `lo` into `path`. Linux only, inside the grading's
    /// network namespace (the caller's condition).
    #[cfg(target_os = "linux")]
    pub fn start(path: &Path, limits: Limits) -> std::io::Result<Capture> {
        let socket = packet_socket::PacketSocket::open_loopback()?;
        let file = file::PcapngFile::create(path, limits.snaplen, limits.cap)?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            stop: AtomicBool::new(false),
            caught_up: AtomicU64::new(0),
            busy: AtomicBool::new(true),
            fd: std::sync::atomic::AtomicI32::new(socket.raw()),
        });
        let for_reader = shared.clone();
        let reader = std::thread::Builder::new()
            .name("capture".into())
            .spawn(move || read(&socket, file, &for_reader, limits))?;
        *ACTIVE.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::downgrade(&shared));
        Ok(Capture {
            shared,
            reader: Some(reader),
        })
    }

    #[cfg(not(target_os = "linux"))]
    pub fn start(_path: &Path, _limits: Limits) -> std::io::Result<Capture> {
        Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "capturing needs Linux",
        ))
    }

    /// Check `id` begins now: the frames from here on are its own, and a mark says so.
    pub fn begin(&self, id: &str) {
        let now = SystemTime::now();
        let mut s = self.shared.state();
        s.marks.push((now, format!("check {id} begins")));
        s.checks.push(Bucket {
            id: id.to_string(),
            begin: now,
            end: None,
            total: 0,
            seen: Vec::new(),
            written: 0,
        });
    }

    /// The check begun last ends now, with `outcome` (`passed`, `failed`, ...) for its mark.
    /// With `frames` (a failed check's report shows them), its frames, once the reader has
    /// taken everything that arrived until now (waiting up to 200 ms: a flood may never let
    /// it); without, nothing is waited for: a check that passed costs the capture nothing here.
    pub async fn end(&self, outcome: &str, frames: bool) -> Option<CheckFrames> {
        let now = SystemTime::now();
        {
            let mut s = self.shared.state();
            if let Some(b) = s.checks.last_mut() {
                b.end = Some(now);
                let mark = format!("check {} ends: {outcome}", b.id);
                s.marks.push((now, mark));
            }
        }
        if !frames {
            return None;
        }
        let until = tokio::time::Instant::now() + CATCH_UP;
        while !self.caught_up(now) && tokio::time::Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let s = self.shared.state();
        s.checks.last().map(|b| CheckFrames {
            seen: b.seen.clone(),
            total: b.total,
        })
    }

    /// Whether the reader has taken every frame that arrived until `t`: it has taken one
    /// later, or it waits with nothing queued.
    fn caught_up(&self, t: SystemTime) -> bool {
        if self.shared.caught_up.load(Ordering::Relaxed) >= nanos(t) {
            return true;
        }
        #[cfg(target_os = "linux")]
        {
            let fd = self.shared.fd.load(Ordering::Relaxed);
            fd >= 0 && !self.shared.busy.load(Ordering::Acquire) && !packet_socket::queued(fd)
        }
        #[cfg(not(target_os = "linux"))]
        false
    }

    /// Stops the capture and closes the file (every process of the grading is gone by then:
    /// what is still queued is read, for half a second at most).
    pub async fn finish(mut self) -> std::io::Result<Totals> {
        self.shared.stop.store(true, Ordering::Relaxed);
        let reader = self.reader.take();
        let joined = tokio::task::spawn_blocking(move || {
            reader.map(|r| {
                r.join()
                    .unwrap_or_else(|_| Err(std::io::Error::other("the capture thread panicked")))
            })
        })
        .await
        .map_err(std::io::Error::other)?;
        *ACTIVE.lock().unwrap_or_else(|e| e.into_inner()) = None;
        joined.unwrap_or_else(|| Ok(Totals::default()))
    }
}

impl Drop for Capture {
    /// A capture not finished (the grading was interrupted) still closes its file: the
    /// reader ends within half a second.
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
    }
}

/// The reader thread: frames to the file and to their check, until stopped.
#[cfg(target_os = "linux")]
fn read(
    socket: &packet_socket::PacketSocket,
    mut file: file::PcapngFile,
    shared: &Shared,
    limits: Limits,
) -> std::io::Result<Totals> {
    let mut totals = Totals::default();
    let mut buf = vec![0u8; limits.snaplen as usize];
    let mut stopping_since: Option<std::time::Instant> = None;
    // Bytes written whole outside any check (before the first, between two, after the last).
    let mut between = 0u64;
    loop {
        if shared.stop.load(Ordering::Relaxed) {
            let since = *stopping_since.get_or_insert_with(std::time::Instant::now);
            if since.elapsed() > Duration::from_millis(500) {
                break;
            }
        }
        // Nothing queued now: the reader has caught up with everything that arrived until
        // this moment (what a check's end waits for); then wait a little for the next frame.
        shared.busy.store(true, Ordering::Release);
        let got = match socket.recv(&mut buf, Duration::ZERO)? {
            Some(got) => Some(got),
            // Stopping, and everything queued is taken: done.
            None if stopping_since.is_some() => break,
            None => {
                shared
                    .caught_up
                    .store(nanos(SystemTime::now()), Ordering::Relaxed);
                shared.busy.store(false, Ordering::Release);
                socket.recv(&mut buf, IDLE_WAIT)?
            }
        };
        let Some(got) = got else {
            write_pending(shared, &mut file, None)?;
            shared
                .caught_up
                .store(nanos(SystemTime::now()), Ordering::Relaxed);
            if stopping_since.is_some() {
                break;
            }
            continue;
        };
        // Marks in time order with the frames: those made before this frame arrived first. And
        // TLS secrets logged by now: a server logs them before it sends what they encrypt, so
        // they land before that frame, where a reader's single pass needs them.
        write_pending(shared, &mut file, Some(got.at))?;
        totals.frames += 1;
        let data = &buf[..got.copied];
        let (comment, whole) = note(shared, data, got.at, &mut between);
        let kept = if whole {
            data
        } else {
            totals.sliced += 1;
            &data[..data.len().min(SLICE)]
        };
        if file.frame(got.at, kept, got.len, comment.as_deref())? {
            totals.written += 1;
        } else {
            totals.over_cap += 1;
        }
        shared.caught_up.fetch_max(nanos(got.at), Ordering::Relaxed);
    }
    write_pending(shared, &mut file, None)?;
    totals.kernel_drops = socket.kernel_drops();
    totals.bytes = file.written();
    let dropped = totals.over_cap + totals.kernel_drops;
    let why = (dropped > 0).then(|| {
        format!(
            "capture incomplete: {} frames not written ({} past the cap of {} MiB, {} dropped by the kernel during a flood)",
            dropped,
            totals.over_cap,
            limits.cap >> 20,
            totals.kernel_drops
        )
    });
    if totals.sliced > 0 {
        file.mark(
            SystemTime::now(),
            &format!(
                "capture: {} frames cut to their first {SLICE} bytes (their check had written {} MiB whole)",
                totals.sliced,
                CHECK_FULL >> 20
            ),
        )?;
    }
    if let Some(why) = &why {
        // Said where tshark and Wireshark's packet list show it, and in the statistics block.
        file.mark(SystemTime::now(), why)?;
    }
    file.finish(totals.frames + totals.kernel_drops, dropped, why)?;
    Ok(totals)
}

/// Writes the TLS secrets logged so far, then the marks made up to `until` (all of them with
/// `None`): one look at the shared state.
#[cfg(target_os = "linux")]
fn write_pending(
    shared: &Shared,
    file: &mut file::PcapngFile,
    until: Option<SystemTime>,
) -> std::io::Result<()> {
    let (secrets, due) = {
        let mut s = shared.state();
        let n = s
            .marks
            .iter()
            .take_while(|(at, _)| until.is_none_or(|u| *at <= u))
            .count();
        let due: Vec<(SystemTime, String)> = s.marks.drain(..n).collect();
        (std::mem::take(&mut s.secrets), due)
    };
    file.tls_secrets(&secrets)?;
    for (at, text) in due {
        file.mark(at, &text)?;
    }
    Ok(())
}

/// Files a frame under its check (by its time of arrival) and its flow: its block's comment,
/// and whether it is written whole (within its check's [`CHECK_FULL`]; `between` counts the
/// frames outside any check).
fn note(shared: &Shared, data: &[u8], at: SystemTime, between: &mut u64) -> (Option<String>, bool) {
    let frame = decode::frame(data);
    let mut s = shared.state();
    let src_opened = match &frame {
        Some(f) => {
            let key = if f.src <= f.dst {
                (f.src, f.dst)
            } else {
                (f.dst, f.src)
            };
            match s.flows.get(&key) {
                Some(opener) => *opener == f.src,
                None if s.flows.len() < MAX_FLOWS => {
                    s.flows.insert(key, f.src);
                    true
                }
                None => false,
            }
        }
        None => false,
    };
    let size = data.len() as u64;
    let Some(bucket) = s
        .checks
        .iter_mut()
        .rev()
        .find(|b| b.begin <= at)
        .filter(|b| b.end.is_none_or(|end| at <= end))
    else {
        let whole = *between + size <= CHECK_FULL;
        if whole {
            *between += size;
        }
        return (None, whole);
    };
    let whole = bucket.written + size <= CHECK_FULL;
    if whole {
        bucket.written += size;
    }
    let comment = format!("check {}", bucket.id);
    bucket.total += 1;
    if let Some(frame) = frame
        && bucket.seen.len() < SEEN_PER_CHECK
    {
        bucket.seen.push(Seen {
            at: at.duration_since(bucket.begin).unwrap_or_default(),
            frame,
            src_opened,
        });
    }
    (Some(comment), whole)
}
