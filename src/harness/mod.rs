//! Running untrusted student programs. Every process starts in its own process group (job on
//! Windows) with resource limits, its output is drained into capped buffers, every wait has a
//! deadline, and teardown is always terminate, grace, kill the group, sweep orphans.

mod capture;
#[cfg(target_os = "linux")]
mod cgroup;
#[cfg(target_os = "linux")]
pub mod netns;
#[cfg(target_os = "linux")]
pub mod pidns;
pub mod ports;
mod process;
#[cfg(target_os = "linux")]
mod sockdiag;

#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as platform;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as platform;

pub use capture::{Capture, HEAD_CAP, TAIL_CAP};
pub use process::{Exit, Finished, OutputTail, Readiness, Spec, Supervised, Teardown, run_to_end};

/// The address-space limit of a student's process: far above what a lab solution (even
/// Flask with threads) maps, low enough that a memory hog dies long before the machine suffers.
pub const ADDRESS_SPACE_LIMIT: u64 = 2 << 30;

/// Resource limits applied to a student's process before it runs (where the OS has them).
#[derive(Clone, Copy, Debug, Default)]
pub struct Limits {
    pub cpu_seconds: Option<u64>,
    pub file_size_bytes: Option<u64>,
    pub open_files: Option<u64>,
    pub address_space_bytes: Option<u64>,
    /// Ignored by Linux for root, and counted per user across the system: off by default.
    pub processes: Option<u64>,
    /// Unix: run as this user and group (the grader must be root), so the program cannot read
    /// what the grader's user can (hidden graders) nor touch the grader's files.
    pub run_as: Option<(u32, u32)>,
}

impl Limits {
    /// Generous limits for a lab program: far above what a correct solution uses, low enough
    /// that a runaway one is stopped before it hurts the machine.
    pub fn for_budget(budget: std::time::Duration) -> Limits {
        Limits {
            cpu_seconds: Some(budget.as_secs() + 5),
            file_size_bytes: Some(64 << 20),
            open_files: Some(1024),
            address_space_bytes: Some(ADDRESS_SPACE_LIMIT),
            processes: None,
            run_as: None,
        }
    }
}

/// Makes the grader the reaper of orphaned descendants (Linux `PR_SET_CHILD_SUBREAPER`), so
/// that programs that daemonize come back to it and are killed at teardown. Call once, early,
/// from the binary's `main`.
pub fn become_subreaper() -> bool {
    platform::become_subreaper()
}

/// Explains an exit caused by one of the [`Limits`], so the student reads "limit exceeded"
/// rather than a bare signal number or a traceback to decode.
pub fn limit_exceeded(
    exit: Exit,
    stderr_tail: &[u8],
    pids_limit_hit: bool,
    lang: crate::i18n::Lang,
) -> Option<String> {
    let err = String::from_utf8_lossy(stderr_tail);
    let (ko, en) = if pids_limit_hit {
        (
            "프로세스 수 제한을 넘었습니다 (fork를 너무 많이 하지 않았나요?)",
            "process limit exceeded (too many forks?)",
        )
    } else if exit == Exit::Signal(24) {
        (
            "CPU 시간 제한을 넘었습니다 (무한 루프에 빠지지 않았나요?)",
            "CPU time limit exceeded (an endless loop?)",
        )
    } else if exit == Exit::Signal(25) {
        (
            "파일 크기 제한(64 MiB)을 넘었습니다",
            "file size limit (64 MiB) exceeded",
        )
    } else if err.contains("MemoryError") || err.contains("Cannot allocate memory") {
        (
            "메모리 제한(2 GiB)을 넘었습니다",
            "memory limit (2 GiB) exceeded",
        )
    } else if err.contains("Too many open files") {
        (
            "열린 파일 수 제한(1024)을 넘었습니다",
            "open files limit (1024) exceeded",
        )
    } else if err.contains("Resource temporarily unavailable") && err.contains("fork") {
        ("프로세스 수 제한을 넘었습니다", "process limit exceeded")
    } else {
        return None;
    };
    Some(lang.pick(ko, en).to_string())
}
