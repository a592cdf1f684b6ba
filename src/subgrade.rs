//! `grade` re-executing itself to grade one lab, for the student's loop ([`crate::overview`],
//! [`crate::watch`]).
//!
//! Why a child per grading: hermetic mode enters namespaces in `main` while the process still
//! has a single thread, so a process can grade only one lab, and each grading gets fresh
//! namespaces. The child also owns the teardown of the student's processes, so stopping it
//! politely (SIGTERM, then waiting) is what leaves nothing behind.

use std::process::ExitStatus;
use std::time::Duration;

use tokio::process::Child;

/// How long a child may take to tear down the submission after SIGTERM (its own teardown is
/// bounded by a few seconds) before it is killed.
pub const STOP_GRACE: Duration = Duration::from_secs(20);

/// A whole grading must end by then, whatever happens: the longest lab budget is about 30 s
/// plus teardown, so this only catches a grader that hangs.
pub const RUN_DEADLINE: Duration = Duration::from_secs(300);

/// The exit code of an interrupted `grade` (see `cli::exit::INTERRUPTED`).
const INTERRUPTED: i32 = 130;

/// Asks a child `grade` to stop (SIGTERM: it tears down the student's processes and exits
/// 130), waits up to `grace`, then kills it. Returns its status when it could be collected.
pub async fn stop(child: &mut Child, grace: Duration) -> Option<ExitStatus> {
    #[cfg(unix)]
    {
        if let Some(pid) = child
            .id()
            .and_then(|p| rustix::process::Pid::from_raw(p as i32))
        {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
        if let Ok(status) = tokio::time::timeout(grace, child.wait()).await {
            return status.ok();
        }
    }
    // Windows has no SIGTERM; elsewhere the child did not stop in time. Killing it may leave
    // the student's processes behind, but waiting forever is worse.
    let _ = grace;
    let _ = child.start_kill();
    tokio::time::timeout(grace, child.wait())
        .await
        .ok()
        .and_then(Result::ok)
}

/// Whether a child `grade` ended because it was interrupted: it exited 130, or a signal that
/// means "stop" (SIGINT, SIGTERM) ended it before its handler was in place.
pub fn was_interrupted(status: &ExitStatus) -> bool {
    if status.code() == Some(INTERRUPTED) {
        return true;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        matches!(status.signal(), Some(s) if s == libc::SIGINT || s == libc::SIGTERM)
    }
    #[cfg(not(unix))]
    {
        false
    }
}
