//! A cgroup per student process (Linux, when the grader may create one: root with a writable
//! cgroup filesystem, v2 or v1's `pids` hierarchy). It caps the number of processes (a fork
//! bomb hits `pids.max`, not the machine) and lists every member, so teardown kills them all
//! even if they left the process group and the subreaper never saw them. Where cgroups are not
//! available (a student's laptop, an unprivileged CI), nothing changes: the process group and
//! the subreaper still apply.

use std::fs::{self, File, OpenOptions};
use std::os::fd::{AsRawFd, RawFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// At most this many processes (and threads, which Linux counts too) in one submission.
pub const PIDS_MAX: u64 = 512;

static NEXT: AtomicU32 = AtomicU32::new(0);

pub struct Cgroup {
    dir: PathBuf,
    procs: File,
    v2: bool,
}

impl Cgroup {
    /// A fresh cgroup with `pids.max`, or `None` where the grader cannot make one.
    pub fn create() -> Option<Cgroup> {
        let (base, v2) = hierarchy()?;
        let name = format!(
            "netgrade-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let dir = base.join(name);
        fs::create_dir(&dir).ok()?;
        let setup = fs::write(dir.join("pids.max"), PIDS_MAX.to_string()).and_then(|_| {
            OpenOptions::new()
                .write(true)
                .open(dir.join("cgroup.procs"))
        });
        match setup {
            Ok(procs) => Some(Cgroup { dir, procs, v2 }),
            Err(_) => {
                let _ = fs::remove_dir(&dir);
                None
            }
        }
    }

    /// The open `cgroup.procs` a child writes its own pid to before exec.
    pub fn procs_fd(&self) -> RawFd {
        self.procs.as_raw_fd()
    }

    fn members(&self) -> Vec<i32> {
        fs::read_to_string(self.dir.join("cgroup.procs"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect()
    }

    /// Whether a fork was refused because of `pids.max`.
    pub fn pids_limit_hit(&self) -> bool {
        fs::read_to_string(self.dir.join("pids.events"))
            .unwrap_or_default()
            .lines()
            .any(|l| l.starts_with("max ") && l.trim_end() != "max 0")
    }

    /// Kills every member (SIGKILL), repeating while members remain (a process may fork while
    /// its siblings die). Returns how many it signalled. Reaping is the caller's business.
    pub fn kill_all(&self) -> usize {
        if self.v2 {
            // One write kills the whole cgroup atomically (Linux 5.14+); fall through if absent.
            let _ = fs::write(self.dir.join("cgroup.kill"), "1");
        }
        let mut killed = 0;
        for _ in 0..64 {
            let members = self.members();
            if members.is_empty() {
                break;
            }
            for pid in members {
                if let Some(p) = rustix::process::Pid::from_raw(pid) {
                    let _ = rustix::process::kill_process(p, rustix::process::Signal::KILL);
                    killed += 1;
                }
            }
            std::thread::yield_now();
        }
        killed
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        self.kill_all();
        // Removal fails while a member is still a zombie; a few tries, then leave it (an
        // empty cgroup costs nothing, and the next boot clears it).
        for _ in 0..20 {
            if fs::remove_dir(&self.dir).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
}

/// Where to make cgroups: cgroup v2 with the pids controller delegated, else v1's pids.
fn hierarchy() -> Option<(PathBuf, bool)> {
    let v2 = Path::new("/sys/fs/cgroup");
    if let Ok(controllers) = fs::read_to_string(v2.join("cgroup.subtree_control"))
        && controllers.split_whitespace().any(|c| c == "pids")
    {
        return Some((v2.to_path_buf(), true));
    }
    let v1 = Path::new("/sys/fs/cgroup/pids");
    v1.join("cgroup.procs")
        .exists()
        .then(|| (v1.to_path_buf(), false))
}

/// Writes the calling process's pid to `fd` without allocating: safe between fork and exec.
pub fn join_from_child(fd: RawFd) {
    let pid = rustix::process::getpid().as_raw_nonzero().get() as u32;
    let mut buf = [0u8; 12];
    let mut i = buf.len();
    let mut n = pid;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // SAFETY: `fd` is open (the parent keeps the File alive until spawn returns); the buffer
    // is on the stack.
    let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    let _ = rustix::io::write(fd, &buf[i..]);
}
