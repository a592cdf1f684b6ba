//! A packet socket on the grading's own `lo` (Linux): every frame that crosses it, with the
//! kernel's time of arrival. It is opened inside the grading's network namespace, where `lo`
//! is the only interface and the grader holds `CAP_NET_RAW` (root, or root of its user
//! namespace), so it sees the grading's traffic and nothing of the machine's.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, SystemTime};

/// A frame read: its length on the wire, how much of it is in the buffer, when it arrived.
pub struct Received {
    pub len: usize,
    pub copied: usize,
    pub at: SystemTime,
}

pub struct PacketSocket {
    fd: OwnedFd,
}

fn last_error(what: &str) -> io::Error {
    let e = io::Error::last_os_error();
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

const ETH_P_ALL: u16 = 0x0003;

impl PacketSocket {
    /// Opens a packet socket bound to `lo`, with a receive buffer large enough for a burst.
    pub fn open_loopback() -> io::Result<PacketSocket> {
        // SAFETY: plain system calls on values owned here; the descriptor is owned at once.
        unsafe {
            let raw = libc::socket(
                libc::AF_PACKET,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
                i32::from(ETH_P_ALL.to_be()),
            );
            if raw < 0 {
                return Err(last_error("a packet socket"));
            }
            let fd = OwnedFd::from_raw_fd(raw);
            let index = libc::if_nametoindex(c"lo".as_ptr());
            if index == 0 {
                return Err(last_error("the index of lo"));
            }
            let mut addr: libc::sockaddr_ll = std::mem::zeroed();
            addr.sll_family = libc::AF_PACKET as u16;
            addr.sll_protocol = ETH_P_ALL.to_be();
            addr.sll_ifindex = index as i32;
            if libc::bind(
                raw,
                (&raw const addr).cast(),
                std::mem::size_of::<libc::sockaddr_ll>() as u32,
            ) != 0
            {
                return Err(last_error("binding the packet socket to lo"));
            }
            let set = |level, name, value: libc::c_int| {
                libc::setsockopt(
                    raw,
                    level,
                    name,
                    (&raw const value).cast(),
                    std::mem::size_of::<libc::c_int>() as u32,
                )
            };
            // Best effort both: a smaller buffer drops more in a flood (counted), and without
            // the kernel's time the time of reading stands in.
            set(libc::SOL_SOCKET, libc::SO_RCVBUF, 4 << 20);
            set(libc::SOL_SOCKET, libc::SO_TIMESTAMPNS, 1);
            // `lo` hands a packet socket every frame twice, going out and coming in: the
            // kernel keeps the outgoing copy out of the queue (a flood then fills it half as
            // fast, and its drops count real frames). Where no filter can be attached, `recv`
            // leaves the copies out itself.
            let filter = [
                // A = the frame's packet type (SKF_AD_OFF + SKF_AD_PKTTYPE)
                libc::sock_filter {
                    code: 0x20,
                    jt: 0,
                    jf: 0,
                    k: 0xffff_f004,
                },
                // if A == PACKET_OUTGOING, drop it (skip one), else keep it
                libc::sock_filter {
                    code: 0x15,
                    jt: 1,
                    jf: 0,
                    k: libc::PACKET_OUTGOING as u32,
                },
                libc::sock_filter {
                    code: 0x06,
                    jt: 0,
                    jf: 0,
                    k: u32::MAX,
                },
                libc::sock_filter {
                    code: 0x06,
                    jt: 0,
                    jf: 0,
                    k: 0,
                },
            ];
            let program = libc::sock_fprog {
                len: filter.len() as u16,
                filter: filter.as_ptr().cast_mut(),
            };
            libc::setsockopt(
                raw,
                libc::SOL_SOCKET,
                libc::SO_ATTACH_FILTER,
                (&raw const program).cast(),
                std::mem::size_of::<libc::sock_fprog>() as u32,
            );
            Ok(PacketSocket { fd })
        }
    }

    /// Waits up to `wait` for a frame that arrived on `lo` and copies it into `buf`. Frames
    /// `lo` sends are seen twice by a packet socket (going out, coming in): only the arrival is
    /// kept, as libpcap does. `None` when nothing came.
    pub fn recv(&self, buf: &mut [u8], wait: Duration) -> io::Result<Option<Received>> {
        let fd = self.fd.as_raw_fd();
        loop {
            let mut pfd = libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            };
            let ms = wait.as_millis().min(i32::MAX as u128) as i32;
            // SAFETY: poll on one valid pollfd.
            let r = unsafe { libc::poll(&mut pfd, 1, ms) };
            if r < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            if r == 0 {
                return Ok(None);
            }
            match self.recv_one(buf)? {
                Some(Some(received)) => return Ok(Some(received)),
                // An outgoing copy: look again without waiting long.
                Some(None) => continue,
                None => return Ok(None),
            }
        }
    }

    /// One `recvmsg`: `None` when nothing is queued, `Some(None)` for an outgoing copy.
    fn recv_one(&self, buf: &mut [u8]) -> io::Result<Option<Option<Received>>> {
        // SAFETY: recvmsg into buffers owned here, sized as declared; the control messages
        // are read with the libc macros within the length the kernel returned.
        unsafe {
            let mut addr: libc::sockaddr_ll = std::mem::zeroed();
            let mut iov = libc::iovec {
                iov_base: buf.as_mut_ptr().cast(),
                iov_len: buf.len(),
            };
            let mut control = [0u64; 16];
            let mut msg: libc::msghdr = std::mem::zeroed();
            msg.msg_name = (&raw mut addr).cast();
            msg.msg_namelen = std::mem::size_of::<libc::sockaddr_ll>() as u32;
            msg.msg_iov = &mut iov;
            msg.msg_iovlen = 1;
            msg.msg_control = control.as_mut_ptr().cast();
            msg.msg_controllen = std::mem::size_of_val(&control);
            // MSG_TRUNC: the frame's real length, even when the buffer took less of it.
            let n = libc::recvmsg(self.fd.as_raw_fd(), &mut msg, libc::MSG_TRUNC);
            if n < 0 {
                let e = io::Error::last_os_error();
                return match e.kind() {
                    io::ErrorKind::WouldBlock => Ok(None),
                    io::ErrorKind::Interrupted => Ok(Some(None)),
                    _ => Err(e),
                };
            }
            if addr.sll_pkttype == libc::PACKET_OUTGOING {
                return Ok(Some(None));
            }
            let mut at = None;
            let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
            while !cmsg.is_null() {
                if (*cmsg).cmsg_level == libc::SOL_SOCKET
                    && (*cmsg).cmsg_type == libc::SCM_TIMESTAMPNS
                {
                    let ts: libc::timespec = std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast());
                    at = Some(
                        SystemTime::UNIX_EPOCH + Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32),
                    );
                }
                cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
            }
            let len = n as usize;
            Ok(Some(Some(Received {
                len,
                copied: len.min(buf.len()),
                at: at.unwrap_or_else(SystemTime::now),
            })))
        }
    }

    /// The descriptor, for [`queued`] from another thread while this socket lives.
    pub fn raw(&self) -> i32 {
        self.fd.as_raw_fd()
    }

    /// Frames the kernel dropped because this socket's buffer was full, since the last ask.
    pub fn kernel_drops(&self) -> u64 {
        let mut stats: libc::tpacket_stats = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::tpacket_stats>() as u32;
        // SAFETY: getsockopt into a struct of the size given.
        let r = unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_PACKET,
                libc::PACKET_STATISTICS,
                (&raw mut stats).cast(),
                &mut len,
            )
        };
        if r == 0 { u64::from(stats.tp_drops) } else { 0 }
    }
}

/// Whether the packet socket `fd` has a frame queued (the length of the next one, `SIOCINQ`).
pub fn queued(fd: i32) -> bool {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int.
    let r = unsafe { libc::ioctl(fd, libc::FIONREAD, &mut n) };
    r != 0 || n > 0
}
