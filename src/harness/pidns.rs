//! Process isolation (Linux): a PID namespace per grading, so that a student's program sees
//! only the processes of its own grading, never the grader nor anything above it (in CI, the
//! runner and its tokens).
//!
//! [`super::netns::enter`] makes the PID namespace once the other namespaces are entered
//! (`start`). Its first process is its init, and when that process ends every other process
//! of the namespace is killed and no more can start. So the init comes first:
//! `grade --netgrade-pid1`, executed afresh with an empty environment (it holds no copy of the
//! grader's memory), undumpable, ignoring SIGCHLD so that orphans it inherits are reaped by the
//! kernel, and ending when the grader does (a pipe whose other end only the grader holds).
//! Every student process is forked into the namespace (`spawn_inside`), and before it runs
//! (`enter_child`, between fork and exec) it takes a mount namespace of its own with a
//! fresh `/proc` of the grading's PID namespace, and gives up every capability: as root, or as
//! root of the grader's user namespace, it could otherwise unmount that `/proc` and look
//! beneath.
//!
//! What the program still sees in `/proc`: itself, the grading's other student processes, and
//! the init (PID 1, `grade --netgrade-pid1`, an empty environment).

use std::io;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// The argument that makes `grade` the namespace's init ([`run_init`]).
pub const INIT_ARG: &str = "--netgrade-pid1";
/// The descriptor on which the init finds its end of the grader's pipe.
const INIT_FD: libc::c_int = 3;

/// The init's pid as the grader sees it; 0 when there is none.
static INIT: AtomicI32 = AtomicI32::new(0);
/// Whether student processes get the private `/proc` and lose their capabilities.
static HIDING: AtomicBool = AtomicBool::new(false);
/// A descriptor of the grading's PID namespace; -1 until made.
static GRADING_NS: AtomicI32 = AtomicI32::new(-1);

/// The namespace's init, when this grading has one: orphans of the student's processes are
/// reparented to it (not to the grader), so the harness's sweep looks there too.
pub fn init_pid() -> Option<i32> {
    match INIT.load(Ordering::Relaxed) {
        0 => None,
        pid => Some(pid),
    }
}

/// Whether the processes the harness starts see only their own grading in `/proc`.
pub fn hides_processes() -> bool {
    HIDING.load(Ordering::Relaxed)
}

fn last_error(what: &str) -> io::Error {
    let e = io::Error::last_os_error();
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

/// Makes the grading's PID namespace and its init. Call from [`super::netns::enter`], once
/// the user namespace (when not root) is entered.
///
/// A thread whose children go to another PID namespace cannot start threads (`clone` refuses
/// `CLONE_THREAD` then), and an unprivileged grader could never come back to its own
/// namespace (that needs a capability over the machine's). So no long-lived thread ever
/// enters it: a short-lived thread unshares it and forks the init, and [`spawn_inside`] forks
/// each student process from a thread of its own that joins the namespace and ends.
pub(super) fn start() -> io::Result<()> {
    let init = std::thread::scope(|s| {
        s.spawn(|| {
            // SAFETY: unshare of the PID namespace changes only this thread's children.
            if unsafe { libc::unshare(libc::CLONE_NEWPID) } != 0 {
                return Err(last_error("unshare(CLONE_NEWPID)"));
            }
            fork_init()
        })
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("the thread making the init panicked")))
    })?;
    INIT.store(init, Ordering::Relaxed);
    let path = std::ffi::CString::new(format!("/proc/{init}/ns/pid")).map_err(io::Error::other)?;
    // SAFETY: open of a valid C string.
    let ns = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if ns < 0 {
        return Err(last_error("opening the grading's PID namespace"));
    }
    GRADING_NS.store(ns, Ordering::Relaxed);
    Ok(())
}

/// Forks the namespace's first process, its init, from the thread that unshared it.
fn fork_init() -> io::Result<i32> {
    let exe = c"/proc/self/exe";
    let argv0 = c"grade";
    let arg = std::ffi::CString::new(INIT_ARG).map_err(io::Error::other)?;
    let devnull = c"/dev/null";
    let mut fds = [0; 2];
    // SAFETY: plain system calls. The child only makes system calls on values made before the
    // fork, then executes or leaves with _exit, running no destructor.
    unsafe {
        if libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) != 0 {
            return Err(last_error("a pipe for the init"));
        }
        let [read_end, write_end] = fds;
        match libc::fork() {
            -1 => Err(last_error("forking the init")),
            0 => {
                // Nothing of the grader's output: a reader of the grader's stdout must see its
                // end when the grader ends.
                let null = libc::open(devnull.as_ptr(), libc::O_RDWR);
                for fd in 0..3 {
                    libc::dup2(null, fd);
                }
                // dup2 onto itself would keep close-on-exec: clear it instead.
                if read_end == INIT_FD {
                    libc::fcntl(INIT_FD, libc::F_SETFD, 0);
                } else {
                    libc::dup2(read_end, INIT_FD);
                }
                let argv = [argv0.as_ptr(), arg.as_ptr(), std::ptr::null()];
                let envp: [*const libc::c_char; 1] = [std::ptr::null()];
                libc::execve(exe.as_ptr(), argv.as_ptr(), envp.as_ptr());
                // No binary to execute (an unusual /proc): be the init here, with nothing of
                // the environment left in memory for the namespace to read.
                scrub_environment();
                init_loop()
            }
            pid => {
                libc::close(read_end);
                // Kept open, close-on-exec, for the grader's whole life: its closing (however
                // the grader ends) is the init's signal to end the namespace, and with it
                // every process left there. Never closed on purpose.
                let _ = write_end;
                Ok(pid)
            }
        }
    }
}

/// Runs `spawn` (one fork of a student process) on a thread of its own whose children go to
/// the grading's PID namespace; that thread ends with it. Without a grading namespace, runs
/// it here. Inside an async runtime, the thread enters it (tokio's process driver).
pub(crate) fn spawn_inside<T: Send>(spawn: impl FnOnce() -> io::Result<T> + Send) -> io::Result<T> {
    let ns = GRADING_NS.load(Ordering::Relaxed);
    if ns < 0 {
        return spawn();
    }
    let runtime = tokio::runtime::Handle::try_current().ok();
    std::thread::scope(|s| {
        s.spawn(|| {
            let _entered = runtime.as_ref().map(|h| h.enter());
            // SAFETY: setns on a descriptor this module opened and never closes; it changes
            // only the namespace of this thread's children.
            if unsafe { libc::setns(ns, libc::CLONE_NEWPID) } != 0 {
                return Err(last_error("entering the grading's PID namespace"));
            }
            spawn()
        })
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("the spawning thread panicked")))
    })
}

/// Tries, in a throwaway process of the namespace, what every student process will do before
/// it runs; only when that works are processes hidden (otherwise every spawn would fail).
pub(super) fn try_hiding() -> io::Result<()> {
    // SAFETY: the child only makes system calls and leaves with _exit.
    let pid = spawn_inside(|| match unsafe { libc::fork() } {
        -1 => Err(last_error("forking a probe")),
        0 => {
            let code = match unsafe { enter_child(true, None) } {
                Ok(()) => 0,
                Err(e) => e.raw_os_error().unwrap_or(255).clamp(1, 255),
            };
            unsafe { libc::_exit(code) }
        }
        pid => Ok(pid),
    })?;
    let mut status = 0;
    // SAFETY: waitpid on our own child.
    if unsafe { libc::waitpid(pid, &mut status, 0) } < 0 {
        return Err(last_error("waiting for the probe"));
    }
    match libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)) {
        Some(0) => {
            HIDING.store(true, Ordering::Relaxed);
            Ok(())
        }
        Some(errno) => Err(io::Error::new(
            io::Error::from_raw_os_error(errno).kind(),
            format!(
                "a private /proc for the program: {}",
                io::Error::from_raw_os_error(errno)
            ),
        )),
        None => Err(io::Error::other("a private /proc for the program: died")),
    }
}

/// Between fork and exec of a student process: a mount namespace of its own with a `/proc`
/// of the grading's PID namespace, then no capability at all. `run_as` (uid, gid) is taken
/// here, in between, since changing user needs the capabilities that go last. Only system
/// calls, on static strings: this runs in a forked child.
///
/// # Safety
/// Call only in a child between fork and exec.
pub(crate) unsafe fn enter_child(hide: bool, run_as: Option<(u32, u32)>) -> io::Result<()> {
    let ok = |r: libc::c_int| {
        if r == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    };
    // SAFETY: system calls on static C strings; the caller runs this in a forked child.
    unsafe {
        if hide {
            ok(libc::unshare(libc::CLONE_NEWNS))?;
            // Nothing mounted here may reach the grader's mount namespace.
            ok(libc::mount(
                std::ptr::null(),
                c"/".as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            ))?;
            ok(libc::mount(
                c"proc".as_ptr(),
                c"/proc".as_ptr(),
                c"proc".as_ptr(),
                libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
                std::ptr::null(),
            ))?;
            // No capability can come back: none left to pass on, none granted to root at
            // exec, no set-user-ID program to gain one from.
            ok(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))?;
            for cap in 0..=last_cap() {
                ok(libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0))?;
            }
            ok(libc::prctl(
                libc::PR_SET_SECUREBITS,
                SECBIT_NOROOT | SECBIT_NOROOT_LOCKED,
                0,
                0,
                0,
            ))?;
        }
        // Groups before the user, while we may still change them. A failure stops the exec:
        // the program would otherwise run with the grader's rights.
        if let Some((uid, gid)) = run_as {
            ok(libc::setgroups(0, std::ptr::null()))?;
            ok(libc::setgid(gid))?;
            ok(libc::setuid(uid))?;
        }
        if hide {
            let header = CapHeader {
                version: CAPABILITY_VERSION_3,
                pid: 0,
            };
            let none = [CapData::default(); 2];
            let r = libc::syscall(libc::SYS_capset, &header, none.as_ptr());
            ok(r as libc::c_int)?;
        }
    }
    Ok(())
}

const SECBIT_NOROOT: libc::c_ulong = 1;
const SECBIT_NOROOT_LOCKED: libc::c_ulong = 2;
const CAPABILITY_VERSION_3: u32 = 0x2008_0522;

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// The highest capability this kernel knows: `PR_CAPBSET_READ` answers for each one it has.
fn last_cap() -> libc::c_ulong {
    let mut cap = 40;
    // SAFETY: PR_CAPBSET_READ only reads.
    while cap < 63 && unsafe { libc::prctl(libc::PR_CAPBSET_READ, cap + 1, 0, 0, 0) } >= 0 {
        cap += 1;
    }
    cap
}

/// `grade --netgrade-pid1`: the init of a grading's PID namespace. Never returns.
pub fn run_init() -> ! {
    // SAFETY: plain system calls.
    unsafe {
        // Not readable through /proc by the namespace's processes (its memory, its files).
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
    init_loop()
}

fn init_loop() -> ! {
    // SAFETY: plain system calls on values owned here.
    unsafe {
        // Orphans reparented here are reaped by the kernel: no zombie stays behind.
        libc::signal(libc::SIGCHLD, libc::SIG_IGN);
        let mut byte = [0u8; 1];
        loop {
            let mut pfd = libc::pollfd {
                fd: INIT_FD,
                events: libc::POLLIN,
                revents: 0,
            };
            let r = libc::poll(&mut pfd, 1, -1);
            if r < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            // The grader's end closed (it ended) or the pipe is gone: end the namespace.
            if r < 0 || libc::read(INIT_FD, byte.as_mut_ptr().cast(), 1) <= 0 {
                libc::_exit(0);
            }
        }
    }
}

/// Overwrites the environment's strings in place (the fallback init, a fork of the grader).
fn scrub_environment() {
    unsafe extern "C" {
        static mut environ: *mut *mut libc::c_char;
    }
    // SAFETY: `environ` is the process's own NULL-terminated array of C strings; each is
    // overwritten within its length. Single-threaded child.
    unsafe {
        let mut p = environ;
        while !p.is_null() && !(*p).is_null() {
            let s = *p;
            let n = libc::strlen(s);
            std::ptr::write_bytes(s, 0, n);
            p = p.add(1);
        }
    }
}
