//! The student's loop: `grade` with no lab (every lab found, one line each) and
//! `grade labNN --watch`.

use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::util::*;

/// A lab repository with the lab01 and lab02 solutions side by side.
fn two_lab_repo() -> tempfile::TempDir {
    let repo = copy_submission(&root().join("exercises/lab01_ip_port_http/solution"));
    let lab02 = repo.path().join("labs/02_dns");
    std::fs::create_dir_all(&lab02).unwrap();
    std::fs::copy(
        root().join("exercises/lab02_dns/solution/labs/02_dns/dns_lookup.py"),
        lab02.join("dns_lookup.py"),
    )
    .unwrap();
    repo
}

fn overview(repo: &Path, extra: &[&str]) -> Run {
    let r = run(grade()
        .args(["--hermetic", "off", "--submission"])
        .arg(repo)
        .args(extra));
    assert_nothing_left(repo);
    r
}

/// The line of `lab` in the overview's stdout.
#[track_caller]
fn lab_line<'a>(r: &'a Run, lab: &str) -> &'a str {
    r.stdout
        .lines()
        .find(|l| l.starts_with(lab))
        .unwrap_or_else(|| panic!("no line for {lab}\n{r}"))
}

#[test]
fn every_lab_found_is_graded_with_one_line_each_and_a_total() {
    let repo = two_lab_repo();
    let r = overview(repo.path(), &[]);
    r.code(0);
    assert!(lab_line(&r, "lab01").contains("PASS"), "{r}");
    assert!(lab_line(&r, "lab02").contains("PASS"), "{r}");
    assert!(!r.stdout.contains("lab03"), "lab03 has no files here\n{r}");
    r.stdout_has("Total ").stdout_has("labs passed 2/2");
}

#[test]
fn a_failed_check_fails_the_overview_and_is_named() {
    let repo = two_lab_repo();
    std::fs::copy(
        root().join("tests/fixtures/lab02/no_usage/labs/02_dns/dns_lookup.py"),
        repo.path().join("labs/02_dns/dns_lookup.py"),
    )
    .unwrap();
    let r = overview(repo.path(), &[]);
    r.code(1);
    let line = lab_line(&r, "lab02");
    assert!(line.contains("FAIL") && line.contains("usage"), "{r}");
    assert!(lab_line(&r, "lab01").contains("PASS"), "{r}");
    r.stdout_has("labs passed 1/2").stdout_has("grade lab02");

    let ko = overview(repo.path(), &["--lang", "ko"]);
    ko.code(1);
    let line = lab_line(&ko, "lab02");
    assert!(line.contains("실패") && line.contains("usage"), "{ko}");
    assert!(lab_line(&ko, "lab01").contains("통과"), "{ko}");
    ko.stdout_has("합계").stdout_has("통과한 실습 1/2");
}

#[test]
fn no_lab_found_is_a_usage_error_that_says_where_it_looked() {
    let empty = tempfile::tempdir().unwrap();
    let r = overview(empty.path(), &[]);
    r.code(2)
        .stderr_has("found no lab")
        .stderr_has("labs/01_ip_port_http/app.py")
        .stderr_has("grade.toml")
        .stderr_has("--submission");
    assert!(r.stdout.is_empty(), "{r}");
    overview(empty.path(), &["--lang", "ko"])
        .code(2)
        .stderr_has("채점할 실습을 찾지 못했습니다")
        .stderr_has("--submission");
}

#[test]
fn options_for_one_lab_need_a_lab() {
    let repo = two_lab_repo();
    for args in [
        &["--format", "json"][..],
        &["--only", "usage"],
        &["--watch"],
    ] {
        overview(repo.path(), args)
            .code(2)
            .stderr_has("needs a lab");
    }
    run(grade()
        .args(["lab01", "--watch", "--format", "json", "--submission"])
        .arg(repo.path()))
    .code(2)
    .stderr_has("--format json");
}

#[cfg(unix)]
/// Kills the watch process if the test fails before it stopped it, so that nothing is left
/// running; SIGTERM first, as a student's Ctrl+C would, so its grading tears down too.
struct Watching {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

#[cfg(unix)]
impl Watching {
    /// Reads lines until `pred` holds for the whole output so far, or panics at the deadline.
    #[track_caller]
    fn wait_until(&mut self, what: &str, pred: impl Fn(&str) -> bool, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            if pred(&self.seen.join("\n")) {
                return;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => self.seen.push(l),
                Err(_) => panic!(
                    "waited {within:?} for {what}; output so far:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    fn terminate(&self) {
        if let Some(pid) = rustix::process::Pid::from_raw(self.child.id() as i32) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
    }

    /// The exit status, waiting at most `within` (then the process is killed).
    fn wait(&mut self, within: Duration) -> Option<i32> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        None
    }
}

#[cfg(unix)]
impl Drop for Watching {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.terminate();
            self.wait(Duration::from_secs(30));
        }
    }
}

/// Each report ends with the replay line.
#[cfg(unix)]
const REPORT_END: &str = "grade lab01 --seed";
#[cfg(unix)]
const WAITING: &str = "Watching labs/01_ip_port_http and grade.toml for changes";

#[cfg(unix)]
#[test]
fn watch_grades_again_when_a_file_of_the_lab_changes_and_stops_on_sigterm() {
    use std::io::BufRead;
    let sub = copy_submission(&root().join("exercises/lab01_ip_port_http/solution"));
    let mut child = grade()
        .args(["lab01", "--watch", "--submission"])
        .arg(sub.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, lines) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    // Ends with the pipe, when the watch process (and every grading) has exited.
    std::thread::spawn(move || {
        for l in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    let stderr = child.stderr.take().unwrap();
    let (err_tx, err_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut std::io::BufReader::new(stderr), &mut s);
        let _ = err_tx.send(s);
    });
    let mut w = Watching {
        child,
        lines,
        seen: Vec::new(),
    };
    let count = |needle: &'static str, n: usize| move |out: &str| out.matches(needle).count() >= n;
    w.wait_until(
        "the first report",
        count(REPORT_END, 1),
        Duration::from_secs(60),
    );
    w.wait_until(
        "the watching line",
        count(WAITING, 1),
        Duration::from_secs(10),
    );
    let out = w.seen.join("\n");
    assert!(out.contains("PASS · score 10/10"), "{out}");

    // Python's cache does not count; the student's file does.
    let lab = sub.path().join("labs/01_ip_port_http");
    std::fs::create_dir_all(lab.join("__pycache__")).unwrap();
    std::fs::write(lab.join("__pycache__/app.cpython-312.pyc"), b"\0").unwrap();
    let app = lab.join("app.py");
    let mut text = std::fs::read_to_string(&app).unwrap();
    text.push_str("\n# edited while grade --watch runs\n");
    std::fs::write(&app, text).unwrap();

    w.wait_until(
        "a second report",
        count(REPORT_END, 2),
        Duration::from_secs(60),
    );
    let out = w.seen.join("\n");
    assert!(
        out.contains("labs/01_ip_port_http/app.py changed: grading again"),
        "the second grading should name app.py as its cause\n{out}"
    );
    assert!(!out.contains(".pyc changed"), "{out}");
    // No terminal: the screen is never cleared.
    assert!(!out.contains('\u{1b}'), "{out}");

    w.terminate();
    let code = w.wait(Duration::from_secs(30));
    let stderr = err_rx
        .recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|_| "(stderr still open)".into());
    assert_eq!(
        code,
        Some(130),
        "stdout:\n{}\nstderr:\n{stderr}",
        w.seen.join("\n")
    );
    assert_nothing_left(sub.path());
}
