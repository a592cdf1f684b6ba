//! Hermetic mode (Linux): the grader moves itself into fresh network and mount namespaces
//! (and a user namespace when it is not root) before it starts any thread, so that everything
//! it starts afterwards, the student's program included, shares them:
//!
//! - its own loopback (`lo` brought up; nothing else, so no packet can leave the machine) and
//!   its own port numbers, so a fixed port such as 80 or 8000 is free and private;
//! - its own `/etc/resolv.conf`, `/etc/hosts` and `/etc/nsswitch.conf` (bind-mounted copies),
//!   so name look-ups go to a DNS fixture the grader serves on 127.0.0.1:53 and nowhere else.
//!
//! Namespaces must be entered while the process has one thread: `unshare(CLONE_NEWUSER)` fails
//! with EINVAL in a multithreaded process. `cli::main` calls [`enter`] before building the
//! tokio runtime. Batch grading can reuse it, in a re-executed child, to isolate submissions.

use std::ffi::CString;
use std::io;

/// What a namespace-local file should contain.
pub struct FileOverride {
    pub target: &'static str,
    pub contents: String,
}

/// The files hermetic mode replaces: name look-ups answer from `hosts`, then from a DNS server
/// on 127.0.0.1 (the grader's fixture). nsswitch is replaced too, so that no `resolve`
/// (systemd-resolved, reached over a Unix socket that a network namespace does not isolate),
/// `mdns` or `myhostname` module answers instead.
pub fn resolver_files() -> Vec<FileOverride> {
    vec![
        FileOverride {
            target: "/etc/resolv.conf",
            contents: "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n".into(),
        },
        // No `localhost` here: the DNS fixture serves it (see `net::dns_fixture`), because
        // a hosts file that lists it for both 127.0.0.1 and ::1 makes glibc's
        // gethostbyname_ex("localhost") return 127.0.0.1 twice.
        FileOverride {
            target: "/etc/hosts",
            contents: "# netgrade hermetic mode: names come from the grader's DNS fixture\n".into(),
        },
        FileOverride {
            target: "/etc/nsswitch.conf",
            contents: "passwd: files\ngroup: files\nhosts: files dns\n".into(),
        },
    ]
}

fn check(ret: libc::c_int, what: &str) -> io::Result<()> {
    if ret == 0 {
        Ok(())
    } else {
        let e = io::Error::last_os_error();
        Err(io::Error::new(e.kind(), format!("{what}: {e}")))
    }
}

/// Enters new namespaces and applies `files`. Call only while the process has a single thread.
pub fn enter(files: &[FileOverride]) -> io::Result<()> {
    // SAFETY: plain system calls on values owned here; the process is single-threaded (the
    // caller's contract), which unshare(CLONE_NEWUSER) requires.
    unsafe {
        let uid = libc::geteuid();
        let gid = libc::getegid();
        let mut flags = libc::CLONE_NEWNET | libc::CLONE_NEWNS;
        if uid != 0 {
            flags |= libc::CLONE_NEWUSER;
        }
        check(libc::unshare(flags), "unshare")?;
        if uid != 0 {
            // Become root inside the new user namespace, mapped to ourselves outside.
            std::fs::write("/proc/self/setgroups", "deny")?;
            std::fs::write("/proc/self/uid_map", format!("0 {uid} 1"))?;
            std::fs::write("/proc/self/gid_map", format!("0 {gid} 1"))?;
        }
        // Our mounts must not propagate back to the host's mount namespace.
        let root = CString::new("/").expect("no NUL");
        check(
            libc::mount(
                std::ptr::null(),
                root.as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            ),
            "making / private",
        )?;
    }
    loopback_up()?;
    for f in files {
        // resolv.conf is the one that matters; a system without nsswitch.conf (musl) or hosts
        // simply does not read them.
        if f.target != "/etc/resolv.conf" && !std::path::Path::new(f.target).exists() {
            continue;
        }
        bind_file(f)?;
    }
    Ok(())
}

/// A new network namespace starts with `lo` down: bind works but connect fails until it is up.
fn loopback_up() -> io::Result<()> {
    // SAFETY: an ifreq is plain old data; the socket is closed on every path.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut req: libc::ifreq = std::mem::zeroed();
        for (i, b) in b"lo\0".iter().enumerate() {
            req.ifr_name[i] = *b as libc::c_char;
        }
        let mut r = libc::ioctl(fd, libc::SIOCGIFFLAGS, &mut req);
        if r == 0 {
            req.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
            r = libc::ioctl(fd, libc::SIOCSIFFLAGS, &req);
        }
        let e = io::Error::last_os_error();
        libc::close(fd);
        if r == 0 {
            Ok(())
        } else {
            Err(io::Error::new(e.kind(), format!("bringing lo up: {e}")))
        }
    }
}

/// Bind-mounts a private copy with `f.contents` over `f.target` (this mount namespace only).
fn bind_file(f: &FileOverride) -> io::Result<()> {
    let dir = std::env::temp_dir();
    let src = dir.join(format!(
        "netgrade-{}-{}",
        std::process::id(),
        f.target.trim_start_matches('/').replace('/', "_")
    ));
    std::fs::write(&src, &f.contents)?;
    let c_src = CString::new(src.to_string_lossy().into_owned()).map_err(io::Error::other)?;
    let c_dst = CString::new(f.target).map_err(io::Error::other)?;
    // SAFETY: both paths are valid C strings that outlive the call.
    let r = unsafe {
        libc::mount(
            c_src.as_ptr(),
            c_dst.as_ptr(),
            std::ptr::null(),
            libc::MS_BIND,
            std::ptr::null(),
        )
    };
    let result = check(r, &format!("bind-mounting over {}", f.target));
    // The mount keeps the file alive; the name in /tmp is no longer needed.
    let _ = std::fs::remove_file(&src);
    result
}
