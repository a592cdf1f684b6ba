//! Windows process control. There are no process groups to signal; `taskkill /T` ends the
//! whole tree of the submission's process.
//!
//! Not compiled on the Linux machines this project is developed on: keep it small and std-only.

use super::Limits;

pub fn become_subreaper() -> bool {
    false
}

pub(crate) fn register(_pid: u32) {}

pub(crate) fn unregister(_pid: u32) {}

/// Nothing beyond the process tree on Windows yet (a job object would go here).
pub(crate) struct Containment;

impl Containment {
    pub(crate) fn kill_all(&self) -> usize {
        0
    }

    pub(crate) fn pids_limit_hit(&self) -> bool {
        false
    }
}

pub(crate) fn configure(cmd: &mut tokio::process::Command, _limits: Limits) -> Containment {
    // CREATE_NEW_PROCESS_GROUP: Ctrl+C in the student's terminal does not reach the child twice.
    cmd.creation_flags(0x0000_0200);
    Containment
}

fn taskkill(pid: u32) {
    let _ = std::process::Command::new("taskkill")
        .args(["/T", "/F", "/PID", &pid.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
}

pub(crate) fn terminate_group(pid: u32) {
    taskkill(pid);
}

pub(crate) fn kill_group(pid: u32) {
    taskkill(pid);
}

pub(crate) fn descendants(_root: u32) -> Vec<i32> {
    // taskkill /T walks the tree itself.
    Vec::new()
}

pub(crate) fn kill_pids(_pids: &[i32]) {}

pub(crate) fn sweep_orphans() -> usize {
    0
}
