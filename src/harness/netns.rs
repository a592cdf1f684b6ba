//! Network isolation (Linux): the grader moves itself into fresh network and mount namespaces
//! (and a user namespace when it is not root) before it starts any thread, so that everything
//! it starts afterwards, the student's program included, shares them:
//!
//! - its own loopback (`lo` brought up; nothing else, so no packet can leave the machine) and
//!   its own port numbers, so a fixed port such as 80 or 8000 is free and private;
//! - a fixture "private IP" on `lo` ([`Plan::lan`]) with a default route through `lo`, so the
//!   usual way to find one's LAN address (a UDP `connect` to an outside address, then
//!   `getsockname`) finds it, while a rule for TCP makes every outside address unreachable at
//!   once (`No route to host`) and a UDP datagram to one is looped back and dropped;
//! - for hermetic mode (lab02, lab03), its own `/etc/resolv.conf`, `/etc/hosts` and
//!   `/etc/nsswitch.conf` (bind-mounted copies), so name look-ups go to a DNS fixture the grader
//!   serves on 127.0.0.1:53 and nowhere else.
//!
//! - a PID namespace with a private `/proc` for every student process, where the system
//!   allows one ([`super::pidns`]): the program sees no process but its grading's own.
//!
//! Namespaces must be entered while the process has one thread: `unshare(CLONE_NEWUSER)` fails
//! with EINVAL in a multithreaded process. `cli::main` calls [`enter`] before building the
//! tokio runtime. Batch grading can reuse it, in a re-executed child, to isolate submissions.

use std::ffi::CString;
use std::io;
use std::net::Ipv4Addr;
use std::process::{Command, Stdio};

/// What to set up inside the new namespaces.
#[derive(Default)]
pub struct Plan {
    /// Files replaced in the new mount namespace (hermetic mode's resolver files).
    pub files: Vec<FileOverride>,
    /// The fixture "private IP" to put on `lo`, with the routes described above.
    pub lan: Option<Ipv4Addr>,
}

/// What [`enter`] set up.
#[derive(Clone, Debug)]
pub struct Entered {
    /// The fixture private IP, when it could be set up (it needs the `ip` command and a kernel
    /// with `ipproto` routing rules, 4.17+).
    pub lan: Option<Ipv4Addr>,
    /// Whether the student's processes see only their own grading's processes (a PID
    /// namespace with a private `/proc`, [`super::pidns`]), or why not.
    pub processes: Result<(), String>,
}

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

/// Enters new namespaces and applies `plan`. Call only while the process has a single thread.
///
/// A non-root grader first tries the namespaces in a forked child: where user namespaces are
/// allowed but restricted (Ubuntu 24.04's AppArmor rule), `unshare` succeeds and a later step
/// fails, and a process left halfway (its own network namespace with `lo` down) could reach
/// nothing at all, not even its student's server. Only when the child succeeded does the
/// grader itself enter.
pub fn enter(plan: &Plan) -> io::Result<Entered> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        probe()?;
    }
    enter_core()?;
    // The processes' isolation comes with the network's where the system allows it; the
    // network's does not depend on it.
    let processes = super::pidns::start()
        .and_then(|()| super::pidns::try_hiding())
        .map_err(|e| e.to_string());
    for f in &plan.files {
        // resolv.conf is the one that matters; a system without nsswitch.conf (musl) or hosts
        // simply does not read them.
        if f.target != "/etc/resolv.conf" && !std::path::Path::new(f.target).exists() {
            continue;
        }
        bind_file(f)?;
    }
    // The fixture address is a help, not a condition of isolation: without it, a program
    // looking for its LAN address finds none, as on a machine with no network.
    let lan = plan.lan.filter(|ip| lan_fixture(*ip).is_ok());
    Ok(Entered { lan, processes })
}

/// Runs [`enter_core`] in a forked child and reports whether it worked.
fn probe() -> io::Result<()> {
    // SAFETY: the process is single-threaded (the caller's contract), so the child may do
    // anything; it only makes system calls and leaves with _exit, running no destructor.
    unsafe {
        match libc::fork() {
            -1 => Err(io::Error::last_os_error()),
            0 => {
                // The exit status carries the error number of the step that failed.
                let code = match enter_core() {
                    Ok(()) => 0,
                    // `check` wraps the error with words; errno still holds the number.
                    Err(e) => e
                        .raw_os_error()
                        .or_else(|| io::Error::last_os_error().raw_os_error())
                        .unwrap_or(255)
                        .clamp(1, 255),
                };
                libc::_exit(code)
            }
            pid => {
                let mut status = 0;
                if libc::waitpid(pid, &mut status, 0) < 0 {
                    return Err(io::Error::last_os_error());
                }
                match libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)) {
                    Some(0) => Ok(()),
                    Some(errno) => Err(io::Error::new(
                        io::Error::from_raw_os_error(errno).kind(),
                        format!(
                            "trying the namespaces in a child: {}",
                            io::Error::from_raw_os_error(errno)
                        ),
                    )),
                    None => Err(io::Error::other(
                        "trying the namespaces in a child: it died",
                    )),
                }
            }
        }
    }
}

/// The new user (when not root), network and mount namespaces, with `lo` up.
fn enter_core() -> io::Result<()> {
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
    loopback_up()
}

/// The fixture private IP: the address on `lo`; TCP to anything not local is unreachable (a
/// rule for TCP only, consulted before the main table); everything else goes to `lo` from
/// the fixture address, which is what a UDP `connect` reports. The rule comes first, so that
/// where it cannot be made no default route exists either (outside stays unreachable).
fn lan_fixture(ip: Ipv4Addr) -> io::Result<()> {
    let ip_cmd = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .ok_or_else(|| io::Error::other("no `ip` command"))?;
    let addr = ip.to_string();
    let steps: [&[&str]; 4] = [
        &["route", "add", "unreachable", "default", "table", "100"],
        &[
            "rule", "add", "ipproto", "tcp", "lookup", "100", "priority", "100",
        ],
        &["addr", "add", &format!("{addr}/32"), "dev", "lo"],
        &["route", "add", "default", "dev", "lo", "src", &addr],
    ];
    for args in steps {
        let ok = Command::new(ip_cmd)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return Err(io::Error::other(format!("ip {}", args.join(" "))));
        }
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

/// Hides `paths` in this process's mount namespace (an empty, read-only tmpfs over each),
/// keeping each of `keep` (a directory under one of them) visible at its place. Batch
/// grading uses it so that a submission sees neither its classmates' folders, nor the results
/// directory, nor staff's graders, nor the other gradings' private homes. Needs the private
/// mount namespace [`enter`] made; the caller has already read what it needs from `paths`.
pub fn hide(paths: &[std::path::PathBuf], keep: &[std::path::PathBuf]) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let paths: Vec<_> = paths
        .iter()
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    // Handles on what stays visible, taken before anything covers it: a bind mount from
    // /proc/self/fd/N reaches the directory even once its path is hidden.
    let mut kept = Vec::new();
    for k in keep {
        let k = std::fs::canonicalize(k)?;
        if paths.iter().any(|p| k.starts_with(p)) {
            kept.push((std::fs::File::open(&k)?, k));
        }
    }
    for p in &paths {
        mount_fs(
            "tmpfs",
            p,
            "tmpfs",
            libc::MS_NOSUID | libc::MS_NODEV,
            "mode=0755,size=64k",
        )?;
    }
    for (handle, k) in &kept {
        std::fs::create_dir_all(k)?;
        let from = std::path::PathBuf::from(format!("/proc/self/fd/{}", handle.as_raw_fd()));
        mount_fs(
            &from.to_string_lossy(),
            k,
            "",
            libc::MS_BIND | libc::MS_REC,
            "",
        )?;
    }
    for p in &paths {
        mount_fs(
            "",
            p,
            "",
            libc::MS_REMOUNT | libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV,
            "",
        )?;
    }
    Ok(())
}

fn mount_fs(
    source: &str,
    target: &std::path::Path,
    fstype: &str,
    flags: libc::c_ulong,
    data: &str,
) -> io::Result<()> {
    let c = |s: &str| CString::new(s).map_err(io::Error::other);
    let (src, dst) = (c(source)?, c(&target.to_string_lossy())?);
    let (fs, data) = (c(fstype)?, c(data)?);
    let opt = |s: &CString| {
        if s.as_bytes().is_empty() {
            std::ptr::null()
        } else {
            s.as_ptr()
        }
    };
    // SAFETY: every pointer is a valid C string that outlives the call, or null.
    let r = unsafe {
        libc::mount(
            opt(&src),
            dst.as_ptr(),
            opt(&fs),
            flags,
            opt(&data) as *const libc::c_void,
        )
    };
    check(r, &format!("mounting over {}", target.display()))
}
