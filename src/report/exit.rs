//! Exit codes, a contract for scripts: what a run's outcome means to the shell that started
//! `grade`. The result model decides them ([`super::Report::exit_code`]); the command line
//! only returns them.

/// Every check passed (skipped checks allowed).
pub const PASSED: i32 = 0;
/// At least one check failed: the submission has work to do.
pub const FAILED: i32 = 1;
/// Usage or setup problem: unknown lab, missing file, no Python, bad grade.toml.
pub const USAGE: i32 = 2;
/// The grader itself failed (a check ended in `error`): not the student's fault.
pub const GRADER: i32 = 3;
/// Interrupted (Ctrl+C, SIGTERM) before the end; the submission's processes were stopped.
pub const INTERRUPTED: i32 = 130;
