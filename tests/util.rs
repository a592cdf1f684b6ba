//! Helpers shared by the integration tests. A failing expectation prints the command, its
//! working directory, status, stdout and stderr, so that a red test explains itself.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn grade_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_grade"))
}

/// `grade` with a predictable environment: English, no colour, built-in graders.
pub fn grade() -> Command {
    let mut c = Command::new(grade_bin());
    c.env("NO_COLOR", "1")
        .env("LANG", "C.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("NETGRADE_LANG")
        .env_remove("NETGRADE_GRADERS")
        .env_remove("NETGRADE_PASS_ENV")
        .current_dir(root());
    match python() {
        Some(py) => c.env("NETGRADE_PYTHON", py),
        None => c.env_remove("NETGRADE_PYTHON"),
    };
    c
}

/// The interpreter the tests grade with: `NETGRADE_TEST_PYTHON` (the venv `scripts/test`
/// makes, with Flask), else whatever `grade` finds.
pub fn python() -> Option<PathBuf> {
    std::env::var_os("NETGRADE_TEST_PYTHON").map(PathBuf::from)
}

/// Whether missing optional tools (namespaces, Flask) must fail the tests instead of skipping.
pub fn strict() -> bool {
    std::env::var_os("NETGRADE_STRICT").is_some()
}

/// Skips (or, in strict mode, fails) a test whose tool is missing.
pub fn skip(why: &str) {
    if strict() {
        panic!("NETGRADE_STRICT is set but {why}");
    }
    eprintln!("SKIPPED: {why}");
}

pub struct Run {
    pub cmd: String,
    pub cwd: String,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: std::time::Duration,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "command: {}\ncwd: {}\nstatus: {:?}\nelapsed: {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.cmd, self.cwd, self.code, self.elapsed, self.stdout, self.stderr
        )
    }
}

pub fn run(cmd: &mut Command) -> Run {
    let t0 = std::time::Instant::now();
    let out = cmd.output().expect("failed to run command");
    Run {
        cmd: format!("{cmd:?}"),
        cwd: cmd
            .get_current_dir()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| ".".into()),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: t0.elapsed(),
    }
}

impl Run {
    #[track_caller]
    pub fn code(&self, expected: i32) -> &Run {
        assert_eq!(self.code, Some(expected), "unexpected exit status\n{self}");
        self
    }

    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document: {e}\n{self}"))
    }

    #[track_caller]
    pub fn stdout_has(&self, s: &str) -> &Run {
        assert!(self.stdout.contains(s), "stdout lacks {s:?}\n{self}");
        self
    }

    #[track_caller]
    pub fn stderr_has(&self, s: &str) -> &Run {
        assert!(self.stderr.contains(s), "stderr lacks {s:?}\n{self}");
        self
    }
}

/// The status of every check in a JSON report, as `id=status` strings.
pub fn statuses(v: &serde_json::Value) -> Vec<String> {
    v["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| {
            format!(
                "{}={}",
                c["id"].as_str().unwrap(),
                c["status"].as_str().unwrap()
            )
        })
        .collect()
}

pub fn check<'a>(v: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {v:#}"))
}

/// A check's hint, empty when it has none.
#[track_caller]
pub fn hint(v: &serde_json::Value, id: &str) -> String {
    check(v, id)["hint"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Copies a submission into a fresh temporary directory, so that the processes it starts can
/// be found by their path afterwards, and nothing is written into the repository.
pub fn copy_submission(src: &Path) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("netgrade-sub-")
        .tempdir()
        .unwrap();
    copy_dir(src, dir.path());
    dir
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            if e.file_name() != "__pycache__" {
                copy_dir(&e.path(), &to);
            }
        } else {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
}

/// Processes whose command line or working directory mentions `path` (Linux; empty elsewhere).
pub fn processes_under(path: &Path) -> Vec<String> {
    let needle = path.to_string_lossy().into_owned();
    let mut found = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return found;
    };
    for e in dir.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|s| s.chars().all(|c| c.is_ascii_digit()))
        else {
            continue;
        };
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline"))
            .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
            .unwrap_or_default();
        let cwd = std::fs::read_link(format!("/proc/{pid}/cwd"))
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        // A zombie has an empty cmdline; only living processes count.
        if cmdline.contains(&needle) || (!cmdline.is_empty() && cwd.starts_with(&needle)) {
            found.push(format!("{pid}: {cmdline} (cwd {cwd})"));
        }
    }
    found
}

#[track_caller]
pub fn assert_nothing_left(path: &Path) {
    let left = processes_under(path);
    assert!(left.is_empty(), "processes outlived grade: {left:#?}");
}

/// Grades a copy of `fixture` (relative to the repository) as JSON, checks that nothing the
/// submission started is left, and returns the run and its report.
pub fn grade_json(lab: &str, fixture: &str, extra: &[&str]) -> (Run, serde_json::Value) {
    let sub = copy_submission(&root().join(fixture));
    let r = run(grade()
        .args([lab, "--format", "json", "--seed", "7", "--submission"])
        .arg(sub.path())
        .args(extra));
    assert_nothing_left(sub.path());
    let v = r.json();
    (r, v)
}

/// Whether this machine lets the tests make a network namespace with `unshare -n` and `ip`.
pub fn netns_available() -> bool {
    static OK: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *OK.get_or_init(|| {
        Command::new("unshare")
            .args(["-n", "--", "sh", "-c", "ip link set lo up"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    })
}

/// The address the namespace tests give the namespace's `lo`, standing in for a LAN address.
pub const NETNS_LAN_IP: &str = "10.200.0.1";

/// `cmd` (a `grade` command) wrapped to run inside a fresh network namespace with `lo` up and
/// [`NETNS_LAN_IP`] on it: its own ports, no route anywhere outside. `None` when unavailable.
pub fn in_netns(cmd: &Command) -> Option<Command> {
    if !netns_available() {
        skip("network namespaces (unshare -n, ip) are not available");
        return None;
    }
    let mut c = Command::new("unshare");
    c.args(["-n", "--", "sh", "-c"])
        .arg(format!(
            "ip link set lo up && ip addr add {NETNS_LAN_IP}/8 dev lo && exec \"$0\" \"$@\""
        ))
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    if let Some(d) = cmd.get_current_dir() {
        c.current_dir(d);
    }
    Some(c)
}

/// Replaces values that change between runs with placeholders, for snapshots.
pub fn redact(s: &str) -> String {
    let rules: &[(&str, &str)] = &[
        (r"\d+\.\d\ds\b", "<duration>"),
        (r#""duration_ms": \d+"#, r#""duration_ms": "<ms>""#),
        (r"/tmp/[\w.-]+", "<tmpdir>"),
        // The ports the grader picks are 5 digits (20000-32000, or the kernel's ephemeral
        // range); the lab's own ports (80, 8000) stay visible.
        (r":\d{5}\b", ":<port>"),
        (r"port \d{5}\b", "port <port>"),
        (r"port=\d{5}\b", "port=<port>"),
        (r"PORT=\d+", "PORT=<port>"),
    ];
    // Addresses, except the fixed ones the lab is about (0.0.0.0, 127.0.0.1).
    let ip = regex_lite::Regex::new(r"\b(?:\d{1,3}\.){3}\d{1,3}\b").unwrap();
    let mut out = ip
        .replace_all(s, |c: &regex_lite::Captures<'_>| match &c[0] {
            fixed @ ("0.0.0.0" | "127.0.0.1") => fixed.to_string(),
            other if other.starts_with("127.") => "<loopback>".to_string(),
            _ => "<ip>".to_string(),
        })
        .into_owned();
    for (pat, rep) in rules {
        out = regex_lite::Regex::new(pat)
            .unwrap()
            .replace_all(&out, *rep)
            .into_owned();
    }
    out
}

/// `id=status` for every check in `all`: `failed` for those in `failed`, `skipped` for those
/// in `skipped`, else `passed`.
pub fn expect_statuses(all: &[&str], failed: &[&str], skipped: &[&str]) -> Vec<String> {
    expect_warned(all, failed, skipped, &[])
}

/// Like [`expect_statuses`], with `warning` for the advisory checks in `warned`.
pub fn expect_warned(
    all: &[&str],
    failed: &[&str],
    skipped: &[&str],
    warned: &[&str],
) -> Vec<String> {
    all.iter()
        .map(|id| {
            let s = if warned.contains(id) {
                "warning"
            } else if failed.contains(id) {
                "failed"
            } else if skipped.contains(id) {
                "skipped"
            } else {
                "passed"
            };
            format!("{id}={s}")
        })
        .collect()
}

/// Grades `fixture` with `--hermetic on`, or skips (fails in strict mode) where namespaces are
/// not available.
pub fn hermetic_json(lab: &str, fixture: &str) -> Option<(Run, serde_json::Value)> {
    if !netns_available() {
        skip("namespaces are not available for hermetic mode");
        return None;
    }
    Some(grade_json(lab, fixture, &["--hermetic", "on"]))
}

/// A submission whose `grade.toml` runs the Rust reference of `lab` (`grade reference lab`).
pub fn reference_submission(lab: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        "[{lab}]\ncommand = [{:?}, \"reference\", {lab:?}]\n",
        grade_bin().display().to_string()
    );
    std::fs::write(dir.path().join("grade.toml"), toml).unwrap();
    dir
}

/// Whether `grade` can put submissions in a cgroup here (root, and cgroup v2 with the pids
/// controller or v1's pids hierarchy), mirroring `harness::cgroup`.
pub fn cgroups_available() -> bool {
    let root = std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"));
    let v2 = std::fs::read_to_string("/sys/fs/cgroup/cgroup.subtree_control")
        .is_ok_and(|c| c.split_whitespace().any(|c| c == "pids"));
    root && (v2 || Path::new("/sys/fs/cgroup/pids/cgroup.procs").exists())
}

/// `grade` as the unprivileged user 65534 (through `setpriv`, when the tests run as root), with
/// the system's `/usr/bin/python3` (an interpreter under /root would not be reachable).
/// `None` where that is not possible here.
pub fn grade_unprivileged(args: &[&str], submission: &Path) -> Option<Run> {
    grade_unprivileged_with(args, submission, &[])
}

/// [`grade_unprivileged`] with `envs` added to grade's environment.
pub fn grade_unprivileged_with(
    args: &[&str],
    submission: &Path,
    envs: &[(&str, &str)],
) -> Option<Run> {
    let setpriv = Path::new("/usr/bin/setpriv");
    let python = Path::new("/usr/bin/python3");
    let root = std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"));
    if !(root && setpriv.exists() && python.exists()) {
        skip("running as another user needs root, setpriv and /usr/bin/python3");
        return None;
    }
    let status = Command::new("chmod")
        .arg("-R")
        .arg("a+rX")
        .arg(submission)
        .status()
        .unwrap();
    assert!(status.success());
    let mut cmd = Command::new(setpriv);
    cmd.args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
        .arg(grade_bin())
        .args(args)
        .arg("--python")
        .arg(python)
        .arg("--submission")
        .arg(submission)
        .env("NO_COLOR", "1")
        .envs(envs.iter().copied())
        .env_remove("NETGRADE_PYTHON")
        .current_dir("/");
    Some(run(&mut cmd))
}

/// Whether the test interpreter can `import requests` (lab07); skips (fails in strict mode)
/// when it cannot.
pub fn requests_available() -> bool {
    let probe = Command::new(python().unwrap_or_else(|| "python3".into()))
        .args(["-c", "import requests"])
        .output();
    if probe.is_ok_and(|o| o.status.success()) {
        return true;
    }
    skip("requests is not installed for the test interpreter (scripts/test makes a venv)");
    false
}
