//! Hostile submissions (tests/fixtures/hostile/): whatever the program does, the grader ends in
//! time, leaves nothing running, keeps its memory bounded, and gives a fair verdict.

use crate::util::*;

/// The lab's budget (30 s) plus the teardown margin promised in the README.
const TIME_BOUND_SECS: u64 = 38;
/// The grader's own peak memory promised in the README.
const PEAK_RSS_KIB: u64 = 64 * 1024;

struct Hostile {
    run: Run,
    json: serde_json::Value,
}

fn hostile(name: &str, format: &str) -> Hostile {
    let sub = copy_submission(&root().join("tests/fixtures/hostile").join(name));
    let r = run(grade()
        .env("NETGRADE_REPORT_PEAK_RSS", "1")
        .args([
            "lab01",
            "--seed",
            "11",
            "--lang",
            "en",
            "--format",
            format,
            "--submission",
        ])
        .arg(sub.path()));
    assert_nothing_left(sub.path());
    assert!(r.elapsed.as_secs() < TIME_BOUND_SECS, "took too long\n{r}");
    let rss: u64 = r
        .stderr
        .split("peak_rss_kib=")
        .nth(1)
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak_rss_kib in stderr\n{r}"));
    assert!(rss < PEAK_RSS_KIB, "grader peak RSS {rss} KiB\n{r}");
    let json = if format == "json" {
        r.json()
    } else {
        serde_json::Value::Null
    };
    if format == "json" {
        let notices = json["notices"].to_string();
        assert!(
            !notices.contains("still held"),
            "a port outlived the submission\n{r}"
        );
    }
    Hostile { run: r, json }
}

#[track_caller]
fn failed_with(h: &Hostile, id: &str, message: &str) {
    let c = check(&h.json, id);
    assert_eq!(c["status"], "failed", "{}", h.run);
    let m = c["message"].as_str().unwrap_or_default();
    assert!(
        m.contains(message),
        "{id}: message {m:?} lacks {message:?}\n{}",
        h.run
    );
}

#[track_caller]
fn all_pass_with_notice(h: &Hostile, notice: &str) {
    h.run.code(0);
    let notices = h.json["notices"].to_string();
    assert!(
        notices.contains(notice),
        "notices {notices} lack {notice:?}\n{}",
        h.run
    );
}

#[test]
fn loops_forever_before_binding() {
    let h = hostile("loops_before_bind", "json");
    h.run.code(1);
    failed_with(&h, "starts", "did not accept connections");
    // Every time-out names its limit.
    failed_with(&h, "starts", " s)");
}

#[test]
fn binds_and_never_answers() {
    let h = hostile("never_answers", "json");
    failed_with(&h, "status_200", "did not finish its response in time");
    failed_with(&h, "status_200", "2.0 s)");
    failed_with(&h, "not_found", "did not finish its response in time");
}

#[test]
fn answers_one_byte_per_second() {
    let h = hostile("one_byte_per_second", "json");
    failed_with(&h, "status_200", "in time");
}

#[test]
fn closes_mid_response() {
    let h = hostile("closes_mid_response", "json");
    failed_with(&h, "status_200", "closed the connection");
}

#[test]
fn answers_garbage_instead_of_http() {
    let h = hostile("garbage_not_http", "json");
    failed_with(&h, "status_200", "not an HTTP response");
}

#[test]
fn sends_an_endless_body() {
    let h = hostile("endless_body", "json");
    failed_with(&h, "body", "over 1 MiB");
    let shown = check(&h.json, "body")["actual"].as_str().unwrap().len();
    assert!(
        shown < 16 << 10,
        "the report holds {shown} bytes of the body"
    );
}

#[test]
fn prints_two_gigabytes() {
    let h = hostile("prints_2gb", "json");
    h.run.code(0);
}

#[test]
fn prints_invalid_utf8_and_escapes_which_are_shown_escaped() {
    let h = hostile("escape_garbage", "human");
    h.run.code(1);
    let out = &h.run.stdout;
    assert!(
        !out.contains('\u{1b}'),
        "an escape reached the terminal\n{out}"
    );
    assert!(
        !out.contains('\u{202e}'),
        "a bidi override reached the terminal\n{out}"
    );
    assert!(!out.contains('\0'), "a NUL reached the terminal\n{out}");
    assert!(out.contains("\\x1b[31mFAKE"), "{out}");
    let h = hostile("escape_garbage", "json");
    failed_with(&h, "starts", "exit status 1");
}

#[test]
fn fake_pass_report_earns_nothing() {
    let h = hostile("fake_pass_report", "json");
    h.run.code(1);
    assert_eq!(h.json["passed"], false);
    assert_eq!(h.json["score"], 0.0);
    failed_with(&h, "starts", "exit status 0");
    let h = hostile("fake_pass_report", "human");
    // The fake report is only ever shown inside the labelled block of student output.
    for line in h.run.stdout.lines().filter(|l| l.contains("score 10/10")) {
        assert!(
            line.starts_with("      │ "),
            "unlabelled student line: {line:?}\n{}",
            h.run
        );
    }
    assert!(
        h.run
            .stdout
            .lines()
            .any(|l| l.starts_with("FAIL · score 0/10")),
        "{}",
        h.run
    );
}

#[test]
fn exits_zero_at_once() {
    let h = hostile("exits_zero", "json");
    failed_with(&h, "starts", "exit status 0");
}

#[test]
fn daemonizes_and_keeps_serving() {
    // Whether the main process is seen to exit before teardown is a race (it exits right
    // after its grandchild listens); what must hold is that the escaped grandchild is killed.
    let h = hostile("daemonizes", "json");
    all_pass_with_notice(&h, "background");
}

#[test]
fn grandchild_holds_the_stdout_pipe() {
    let h = hostile("grandchild_holds_pipe", "json");
    all_pass_with_notice(&h, "background");
}

#[test]
fn ignores_sigterm() {
    all_pass_with_notice(&hostile("ignores_sigterm", "json"), "SIGTERM");
}

#[test]
fn sleeps_forever_at_exit() {
    all_pass_with_notice(&hostile("sleeps_at_exit", "json"), "SIGTERM");
}

#[test]
fn stops_itself_with_sigstop() {
    let h = hostile("stops_itself", "json");
    failed_with(&h, "status_200", "in time");
}

#[test]
fn forks_fifty_children() {
    let h = hostile("fork_loop", "json");
    h.run.code(0);
}

#[test]
fn allocates_memory_until_stopped() {
    let h = hostile("memory_hog", "json");
    failed_with(&h, "starts", "memory limit (2 GiB) exceeded");
}

#[test]
fn fork_bomb_hits_the_process_limit() {
    let h = hostile("fork_bomb", "json");
    h.run.code(1);
    if cgroups_available() {
        failed_with(&h, "starts", "process limit exceeded");
    } else {
        // No cgroup here: the bounded bomb never serves, and all 1000 are killed at teardown.
        failed_with(&h, "starts", "did not accept connections");
    }
}

/// `--run-as`: the submission runs as another user and cannot read staff's hidden graders.
#[test]
fn hidden_graders_are_unreadable_to_a_submission_run_as_another_user() {
    let system_python = std::path::Path::new("/usr/bin/python3");
    if !is_root() || !system_python.exists() {
        return skip("--run-as needs root and a system-wide /usr/bin/python3");
    }
    // Staff's copy of the graders, with a secret, readable by root only.
    let graders = tempfile::Builder::new()
        .prefix("netgrade-graders-")
        .tempdir()
        .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(graders.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let lab = graders.path().join("lab01");
    std::fs::create_dir_all(lab.join("snapshots")).unwrap();
    let secret = format!("# SECRET-{}", std::process::id());
    let def = std::fs::read_to_string(root().join("graders/lab01/lab.toml")).unwrap();
    std::fs::write(lab.join("lab.toml"), format!("{secret}\n{def}")).unwrap();
    std::fs::copy(
        root().join("graders/lab01/snapshots/body.txt"),
        lab.join("snapshots/body.txt"),
    )
    .unwrap();
    let sub = copy_submission(&root().join("tests/fixtures/hostile/reads_graders"));
    make_world_readable(sub.path());

    let grade_as = |run_as: Option<&str>| {
        let mut cmd = grade();
        cmd.args(["lab01", "--format", "json", "--graders"])
            .arg(graders.path())
            .arg("--python")
            .arg(system_python)
            .arg("--submission")
            .arg(sub.path());
        if let Some(ids) = run_as {
            cmd.args(["--run-as", ids]);
        }
        let r = run(&mut cmd);
        r.code(1);
        let v = r.json();
        let stdout = check(&v, "starts")["output"]["stdout"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        (stdout, r.to_string())
    };
    // Control: as the grader's own user the fixture does read the secret.
    let (seen, run) = grade_as(None);
    assert!(
        seen.contains(&secret),
        "the fixture could not read it even as root\n{run}"
    );
    let (seen, _) = grade_as(Some("65534:65534"));
    assert!(
        !seen.contains(&secret),
        "the submission read the hidden graders: {seen}"
    );
    assert!(seen.contains("DENIED"), "{seen}");
    assert_nothing_left(sub.path());
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"))
}

fn make_world_readable(dir: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path, m| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap()
    };
    mode(dir, 0o755);
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.file_type().unwrap().is_dir() {
            make_world_readable(&e.path());
        } else {
            mode(&e.path(), 0o644);
        }
    }
}

/// Ctrl+C during grading stops the student's program too, instead of leaving it holding its
/// port; `grade` exits 130.
#[test]
fn interrupting_grade_stops_the_submission() {
    use std::io::BufRead;
    let sub = copy_submission(&root().join("tests/fixtures/hostile/one_byte_per_second"));
    let mut child = grade()
        .args(["lab01", "--lang", "en", "--color", "never", "--submission"])
        .arg(sub.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The report streams: once `starts` is reported, the server is up and grading goes on
    // (the next check waits seconds on a server that answers one byte a second).
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufReader::new(stdout).lines();
    let started = lines
        .by_ref()
        .map_while(Result::ok)
        .any(|l| l.contains(" starts "));
    assert!(started, "grade never reported `starts`");
    assert!(
        !processes_under(sub.path()).is_empty(),
        "the server should be running now"
    );
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let code = child.wait().unwrap().code();
    assert_eq!(code, Some(130));
    assert_nothing_left(sub.path());
}
