//! Windows process control: each submission's process is put in a job object with
//! kill-on-close, an active-process limit and a memory limit; teardown terminates the job
//! (every process in it, however it was started) and then `taskkill /T` for good measure.
//!
//! Built here with `cargo check --target x86_64-pc-windows-gnu`; not run on Windows by the
//! test suite (no Windows machine in CI). The process is assigned to the job right after it
//! starts, not while suspended: a Python program runs no user code for tens of milliseconds,
//! and a failure to create or assign the job falls back to `taskkill`, never stopping the
//! student's program from running.

use windows_sys::Win32::Foundation::{CloseHandle, HANDLE};
use windows_sys::Win32::System::JobObjects::{
    AssignProcessToJobObject, CreateJobObjectW, JOB_OBJECT_LIMIT_ACTIVE_PROCESS,
    JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE, JOB_OBJECT_LIMIT_PROCESS_MEMORY,
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION, JobObjectExtendedLimitInformation,
    SetInformationJobObject, TerminateJobObject,
};

use super::Limits;

/// At most this many processes alive in one submission's job.
const ACTIVE_PROCESSES: u32 = 512;

struct Job(HANDLE);

// SAFETY: a job handle is a kernel object reference, usable from any thread.
unsafe impl Send for Job {}
unsafe impl Sync for Job {}

impl Drop for Job {
    fn drop(&mut self) {
        // Kill-on-close: closing the last handle ends every process still in the job.
        // SAFETY: the handle is ours and closed once.
        unsafe { CloseHandle(self.0) };
    }
}

pub(crate) struct Containment {
    job: Option<Job>,
}

impl Containment {
    pub(crate) fn kill_all(&self) -> usize {
        if let Some(job) = &self.job {
            // SAFETY: a valid job handle.
            unsafe { TerminateJobObject(job.0, 1) };
        }
        0
    }

    pub(crate) fn pids_limit_hit(&self) -> bool {
        false
    }
}

fn create_job(limits: Limits) -> Option<Job> {
    // SAFETY: plain Win32 calls with a zeroed, fully owned information struct.
    unsafe {
        let handle = CreateJobObjectW(std::ptr::null(), std::ptr::null());
        if handle.is_null() {
            return None;
        }
        let job = Job(handle);
        let mut info = JOBOBJECT_EXTENDED_LIMIT_INFORMATION::default();
        info.BasicLimitInformation.LimitFlags =
            JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_ACTIVE_PROCESS;
        info.BasicLimitInformation.ActiveProcessLimit = ACTIVE_PROCESSES;
        if let Some(bytes) = limits.address_space_bytes {
            info.BasicLimitInformation.LimitFlags |= JOB_OBJECT_LIMIT_PROCESS_MEMORY;
            info.ProcessMemoryLimit = bytes as usize;
        }
        let ok = SetInformationJobObject(
            job.0,
            JobObjectExtendedLimitInformation,
            &info as *const _ as *const core::ffi::c_void,
            std::mem::size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>() as u32,
        );
        (ok != 0).then_some(job)
    }
}

pub fn become_subreaper() -> bool {
    false
}

pub(crate) fn spawn_registered(
    spawn: impl FnOnce() -> std::io::Result<tokio::process::Child>,
) -> std::io::Result<tokio::process::Child> {
    spawn()
}

pub(crate) fn unregister(_pid: u32) {}

pub(crate) fn configure(cmd: &mut tokio::process::Command, limits: Limits) -> Containment {
    // CREATE_NEW_PROCESS_GROUP: Ctrl+C in the student's terminal does not reach the child twice.
    cmd.creation_flags(0x0000_0200);
    Containment {
        job: create_job(limits),
    }
}

/// Puts the started process in the job.
pub(crate) fn attach(c: &Containment, child: &tokio::process::Child) {
    if let (Some(job), Some(handle)) = (&c.job, child.raw_handle()) {
        // SAFETY: both handles are valid while `child` lives; failure leaves taskkill to act.
        unsafe { AssignProcessToJobObject(job.0, handle as HANDLE) };
    }
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
    // The job and taskkill /T walk the tree themselves.
    Vec::new()
}

pub(crate) fn kill_pids(_pids: &[i32]) {}

pub(crate) fn sweep_orphans() -> Vec<i32> {
    Vec::new()
}

pub(crate) fn left_group(_pids: &[i32], _leader: u32) -> Vec<i32> {
    Vec::new()
}
