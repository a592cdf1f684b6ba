//! Unix process control: a process group per submission, resource limits set in the child
//! before exec, group signals, and (on Linux) the child-subreaper sweep that brings back
//! processes that left the group (`setsid`, double fork) so they can be killed too.

use std::collections::HashSet;
use std::sync::Mutex;

use rustix::process::{Pid, Resource, Rlimit, Signal};

use super::Limits;

/// Pids of the submission processes this grader started and has not reaped yet; every other
/// child of the grader is an orphan that was reparented to it (see [`become_subreaper`]).
static LIVE: Mutex<Option<HashSet<i32>>> = Mutex::new(None);

fn live() -> std::sync::MutexGuard<'static, Option<HashSet<i32>>> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts a child with `spawn` and registers it as live before anyone can look: the live set
/// is held across both, so a sweep on another thread (another program of the same grading
/// being torn down) cannot take the new child for an orphan in between and kill it.
pub(crate) fn spawn_registered(
    spawn: impl FnOnce() -> std::io::Result<tokio::process::Child> + Send,
) -> std::io::Result<tokio::process::Child> {
    let mut live = live();
    // Linux: into the grading's PID namespace, where it has one (see `pidns`).
    #[cfg(target_os = "linux")]
    let child = super::pidns::spawn_inside(spawn)?;
    #[cfg(not(target_os = "linux"))]
    let child = spawn()?;
    if let Some(pid) = child.id() {
        live.get_or_insert_with(HashSet::new).insert(pid as i32);
    }
    Ok(child)
}

pub(crate) fn unregister(pid: u32) {
    if let Some(s) = live().as_mut() {
        s.remove(&(pid as i32));
    }
}

/// Makes this process the reaper of orphans among its descendants (Linux). Call once, early,
/// from `main`; the library never sets it behind a caller's back.
pub fn become_subreaper() -> bool {
    #[cfg(target_os = "linux")]
    {
        rustix::process::set_child_subreaper(Some(rustix::process::getpid())).is_ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

/// What holds a submission's processes besides its process group: a cgroup where the grader
/// may make one (Linux, root).
pub(crate) struct Containment {
    #[cfg(target_os = "linux")]
    cgroup: Option<super::cgroup::Cgroup>,
}

impl Containment {
    /// Kills every process still in the cgroup; returns how many.
    pub(crate) fn kill_all(&self) -> usize {
        #[cfg(target_os = "linux")]
        if let Some(c) = &self.cgroup {
            return c.kill_all();
        }
        0
    }

    /// Whether the process-count limit refused a fork.
    pub(crate) fn pids_limit_hit(&self) -> bool {
        #[cfg(target_os = "linux")]
        if let Some(c) = &self.cgroup {
            return c.pids_limit_hit();
        }
        false
    }
}

/// Nothing to do after spawn on Unix: the child joined its cgroup itself, before exec.
pub(crate) fn attach(_c: &Containment, _child: &tokio::process::Child) {}

/// Prepares `cmd` to start in a new process group (and cgroup, where possible) with `limits`.
pub(crate) fn configure(cmd: &mut tokio::process::Command, limits: Limits) -> Containment {
    cmd.process_group(0);
    #[cfg(target_os = "linux")]
    let cgroup = super::cgroup::Cgroup::create();
    #[cfg(target_os = "linux")]
    let cgroup_fd = cgroup.as_ref().map(|c| c.procs_fd());
    #[cfg(target_os = "linux")]
    let hide = super::pidns::hides_processes();
    // SAFETY: the closure runs between fork and exec; setrlimit is a plain system call that
    // allocates nothing and takes no locks.
    unsafe {
        cmd.pre_exec(move || {
            // Join the cgroup first, so that nothing this process starts escapes it.
            #[cfg(target_os = "linux")]
            if let Some(fd) = cgroup_fd {
                super::cgroup::join_from_child(fd);
            }
            let set = |r: Resource, soft: Option<u64>, hard: Option<u64>| {
                // A limit the OS refuses (already lower, or unsupported) is not fatal.
                let _ = rustix::process::setrlimit(
                    r,
                    Rlimit {
                        current: soft,
                        maximum: hard,
                    },
                );
            };
            if let Some(cpu) = limits.cpu_seconds {
                // Soft limit sends SIGXCPU, hard limit SIGKILL a few seconds later.
                set(Resource::Cpu, Some(cpu), Some(cpu + 5));
            }
            if let Some(b) = limits.file_size_bytes {
                set(Resource::Fsize, Some(b), Some(b));
            }
            if let Some(n) = limits.open_files {
                set(Resource::Nofile, Some(n), Some(n));
            }
            if let Some(b) = limits.address_space_bytes {
                set(Resource::As, Some(b), Some(b));
            }
            if let Some(n) = limits.processes {
                set(Resource::Nproc, Some(n), Some(n));
            }
            // Last: dropping privileges first would forbid the steps above. On Linux also the
            // private /proc and the end of every capability (see `pidns`).
            #[cfg(target_os = "linux")]
            {
                super::pidns::enter_child(hide, limits.run_as)
            }
            // Groups before the user, while we may still change them. A failure here must
            // stop the exec: the program would otherwise run with the grader's rights.
            #[cfg(not(target_os = "linux"))]
            {
                if let Some((uid, gid)) = limits.run_as
                    && (libc::setgroups(0, std::ptr::null()) != 0
                        || libc::setgid(gid) != 0
                        || libc::setuid(uid) != 0)
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            }
        });
    }
    Containment {
        #[cfg(target_os = "linux")]
        cgroup,
    }
}

fn signal_group(pgid: u32, sig: Signal) {
    if let Some(pid) = Pid::from_raw(pgid as i32) {
        // ESRCH (group already gone) is the usual, good, case.
        let _ = rustix::process::kill_process_group(pid, sig);
    }
}

/// Asks the whole group to stop. SIGCONT first: a stopped process cannot act on SIGTERM.
pub(crate) fn terminate_group(pgid: u32) {
    signal_group(pgid, Signal::CONT);
    signal_group(pgid, Signal::TERM);
}

pub(crate) fn kill_group(pgid: u32) {
    signal_group(pgid, Signal::KILL);
}

/// Kills and reaps every child of this process that is not a live submission: orphans that
/// were reparented here because this process is a subreaper. Repeats while killing one
/// orphan frees its own children to be reparented. Returns the ones it killed.
pub(crate) fn sweep_orphans() -> Vec<i32> {
    #[cfg(target_os = "linux")]
    {
        let me = std::process::id() as i32;
        // In a grading's PID namespace orphans go to its init, not here (see `pidns`); the
        // init itself is no orphan, and it reaps what is killed among its children.
        let init = super::pidns::init_pid();
        let mut killed = Vec::new();
        for _ in 0..32 {
            // Held while the orphans are found and killed: see `spawn_registered`.
            let live = live();
            let orphans: Vec<i32> = children_of(me)
                .into_iter()
                .filter(|p| !live.as_ref().is_some_and(|l| l.contains(p)) && Some(*p) != init)
                .collect();
            let adopted: Vec<i32> = init.map(children_of).unwrap_or_default();
            if orphans.is_empty() && adopted.is_empty() {
                break;
            }
            for pid in orphans {
                if let Some(p) = Pid::from_raw(pid) {
                    let _ = rustix::process::kill_process(p, Signal::KILL);
                    // Blocking wait is fine: SIGKILL cannot be caught, and the process is ours.
                    let _ =
                        rustix::process::waitpid(Some(p), rustix::process::WaitOptions::empty());
                    killed.push(pid);
                }
            }
            if !adopted.is_empty() {
                kill_pids(&adopted);
                killed.extend(&adopted);
                // The init reaps them; wait until they are gone from its list (bounded), so
                // that the next round does not count them twice.
                let until = std::time::Instant::now() + std::time::Duration::from_secs(1);
                while init.is_some_and(|i| children_of(i).iter().any(|p| adopted.contains(p)))
                    && std::time::Instant::now() < until
                {
                    std::thread::sleep(std::time::Duration::from_millis(2));
                }
            }
        }
        killed
    }
    #[cfg(not(target_os = "linux"))]
    {
        Vec::new()
    }
}

/// Those of `pids` (a tree below `leader`) that left its process group (`setsid`, a
/// daemon's double fork): the program's background processes, whatever reaps them later.
pub(crate) fn left_group(pids: &[i32], leader: u32) -> Vec<i32> {
    pids.iter()
        .copied()
        .filter(|&pid| {
            Pid::from_raw(pid)
                .and_then(|p| rustix::process::getpgid(Some(p)).ok())
                .is_some_and(|g| g.as_raw_nonzero().get() != leader as i32)
        })
        .collect()
}

/// Children of `parent`: from its threads' `children` lists where the kernel keeps them (one
/// small file per thread instead of every process's `stat`: a grading asks twice, and under
/// gVisor reading `/proc` is slow), else from the whole process table.
#[cfg(target_os = "linux")]
fn children_of(parent: i32) -> Vec<i32> {
    if let Some(kids) = children_lists(parent) {
        return kids;
    }
    process_table()
        .into_iter()
        .filter(|&(_, ppid)| ppid == parent)
        .map(|(pid, _)| pid)
        .collect()
}

/// `/proc/PID/task/*/children` (Linux 3.5, `CONFIG_PROC_CHILDREN`); `None` where it is missing.
/// Every thread's list: an orphan handed to a subreaper becomes a child of one of its threads.
#[cfg(target_os = "linux")]
fn children_lists(parent: i32) -> Option<Vec<i32>> {
    let tasks = std::fs::read_dir(format!("/proc/{parent}/task")).ok()?;
    let mut kids = Vec::new();
    let mut any = false;
    for task in tasks.flatten() {
        if let Ok(list) = std::fs::read_to_string(task.path().join("children")) {
            any = true;
            kids.extend(
                list.split_whitespace()
                    .filter_map(|p| p.parse::<i32>().ok()),
            );
        }
    }
    any.then_some(kids)
}

/// Every (pid, parent pid) on the machine: from /proc on Linux, from `ps` elsewhere (macOS).
fn process_table() -> Vec<(i32, i32)> {
    #[cfg(target_os = "linux")]
    {
        let mut out = Vec::new();
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return out;
        };
        for entry in dir.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<i32>().ok())
            else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            // The command name may hold spaces and parentheses: fields start after the last ')'.
            let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
                continue;
            };
            let mut fields = rest.split_whitespace();
            let _state = fields.next();
            if let Some(ppid) = fields.next().and_then(|p| p.parse::<i32>().ok()) {
                out.push((pid, ppid));
            }
        }
        out
    }
    #[cfg(not(target_os = "linux"))]
    {
        let Ok(out) = std::process::Command::new("ps")
            .args(["-A", "-o", "pid=", "-o", "ppid="])
            .stderr(std::process::Stdio::null())
            .output()
        else {
            return Vec::new();
        };
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                let mut f = l.split_whitespace().map(|x| x.parse::<i32>().ok());
                Some((f.next()??, f.next()??))
            })
            .collect()
    }
}

/// The descendants of `root` now (not `root` itself). Taken before teardown, so that those
/// that left the process group (`setsid`) can be killed too where no subreaper brings them
/// back (macOS), and while their parents still link them to `root`.
pub(crate) fn descendants(root: u32) -> Vec<i32> {
    #[cfg(target_os = "linux")]
    if let Some(kids) = children_lists(root as i32) {
        return tree(kids, |p| children_lists(p).unwrap_or_default());
    }
    let table = process_table();
    let kids_of = |parent| {
        table
            .iter()
            .filter(|&&(_, ppid)| ppid == parent)
            .map(|&(pid, _)| pid)
            .collect()
    };
    tree(kids_of(root as i32), kids_of)
}

/// Everything below `kids`, breadth first, `kids` included; bounded, since a fork bomb may
/// still be running while the tree is read.
fn tree(kids: Vec<i32>, children: impl Fn(i32) -> Vec<i32>) -> Vec<i32> {
    let mut found = kids;
    let mut i = 0;
    while i < found.len() && found.len() < 100_000 {
        for kid in children(found[i]) {
            if !found.contains(&kid) {
                found.push(kid);
            }
        }
        i += 1;
    }
    found
}

/// SIGKILL to each of `pids`. (A pid could in theory be reused between the snapshot and
/// this call; the window is the few milliseconds of teardown.)
pub(crate) fn kill_pids(pids: &[i32]) {
    for &pid in pids {
        if let Some(p) = Pid::from_raw(pid) {
            let _ = rustix::process::kill_process(p, Signal::KILL);
        }
    }
}
