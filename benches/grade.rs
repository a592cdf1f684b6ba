//! `cargo bench`: the grader's speed and memory targets, measured on whole `grade` runs.
//!
//! - overhead: grading the lab01 Python solution vs. the Python program's own start-up (spawn
//!   until it accepts a connection). Target: grading adds well under a second.
//! - memory: the grader's peak RSS while a submission prints 2 GiB. Target: under 64 MiB.
//! - lab02 and lab03 solutions in hermetic mode, where namespaces are available.
//! - batch throughput: a class of `NETGRADE_BENCH_CLASS` (default 200, the target's class) copies of the lab01
//!   solution, graded one `grade lab01` after another (a shell loop) and by `grade batch` with
//!   `--jobs 1, 2, 4` and the default; and a class with one 10 s straggler, `--jobs 4` against
//!   `--jobs 1`, first with the straggler started last (its folder sorts last), then graded
//!   again into the same results folder (the last run's durations start it first). Targets:
//!   at least 10 submissions/s with the default jobs (200 within 20 s), and the straggler
//!   class at least 1.5x faster with 4 jobs (graded again; the first run is printed too).
//!
//! - capture: grading the lab05 solution with and without `--capture` (interleaved, median of
//!   `NETGRADE_BENCH_CAPTURE_RUNS`, default 11). Target: the capture adds under 5% to the
//!   grading's time. And a client that floods 200,000 datagrams under `--capture`: the
//!   grader's peak RSS stays under 64 MiB and the file at its 16 MiB cap.
//!
//! It exits non-zero when a target is missed. Under `cargo test` (no `--bench` argument) it
//! does nothing, so the test suite stays fast.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 5;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn grade_bin() -> PathBuf {
    // `cargo bench` builds the binary in the bench profile next to this executable's folder.
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    let bin = dir.join(if cfg!(windows) { "grade.exe" } else { "grade" });
    assert!(
        bin.exists(),
        "build the binary first: cargo build --release ({bin:?})"
    );
    bin
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Spawns the solution with PORT and waits until it accepts: the program's own start-up.
fn python_startup(port: u16) -> Duration {
    let t0 = Instant::now();
    let mut child = Command::new("python3")
        .arg("labs/01_ip_port_http/app.py")
        .current_dir(root().join("exercises/lab01_ip_port_http/solution"))
        .env("PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3");
    let deadline = t0 + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the solution did not start");
        std::thread::sleep(Duration::from_millis(1));
    }
    let took = t0.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    took
}

/// Runs grade; returns (wall time, peak RSS in KiB, exit code).
fn grade(args: &[&str], sub: &Path) -> (Duration, u64, i32) {
    let t0 = Instant::now();
    let out = Command::new(grade_bin())
        .args(args)
        .arg("--submission")
        .arg(sub)
        .args(["--format", "json"])
        .env("NETGRADE_REPORT_PEAK_RSS", "1")
        .output()
        .unwrap();
    let took = t0.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let rss = stderr
        .split("peak_rss_kib=")
        .nth(1)
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    (took, rss, out.status.code().unwrap_or(-1))
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let mut missed = Vec::new();
    let free_port = || {
        std::net::TcpListener::bind(("127.0.0.1", 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };

    let startup = median((0..RUNS).map(|_| python_startup(free_port())).collect());
    let sol = root().join("exercises/lab01_ip_port_http/solution");
    let runs: Vec<(Duration, u64, i32)> = (0..RUNS).map(|_| grade(&["lab01"], &sol)).collect();
    let wall = median(runs.iter().map(|r| r.0).collect());
    let rss = runs.iter().map(|r| r.1).max().unwrap_or(0);
    println!(
        "lab01 solution: python start-up {startup:?}, whole grade run {wall:?} (median of {RUNS}), overhead {:?}, peak RSS {rss} KiB",
        wall.saturating_sub(startup)
    );
    if wall.saturating_sub(startup) > Duration::from_millis(1000) {
        missed.push("lab01 overhead over 1 s");
    }

    let flood = root().join("tests/fixtures/hostile/prints_2gb");
    let (t, rss, _) = grade(&["lab01"], &flood);
    println!("lab01 prints_2gb: whole run {t:?}, peak RSS {rss} KiB");
    if rss == 0 || rss > 64 * 1024 {
        missed.push("peak RSS over 64 MiB (or not reported)");
    }

    for (lab, dir) in [
        ("lab02", "exercises/lab02_dns/solution"),
        ("lab03", "exercises/lab03_client/solution"),
    ] {
        let runs: Vec<(Duration, u64, i32)> = (0..RUNS)
            .map(|_| grade(&[lab], &root().join(dir)))
            .collect();
        let wall = median(runs.iter().map(|r| r.0).collect());
        let rss = runs.iter().map(|r| r.1).max().unwrap_or(0);
        println!(
            "{lab} solution (hermetic where available): whole grade run {wall:?} (median of {RUNS}), peak RSS {rss} KiB"
        );
    }

    capture_cost(&mut missed);
    batch_throughput(&mut missed);

    if !missed.is_empty() {
        eprintln!("targets missed: {missed:?}");
        std::process::exit(1);
    }
}

/// A class folder of `n` copies of `fixture`, plus `extra` (name, fixture) folders.
fn class(n: usize, fixture: &str, extra: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let copy = |from: &Path, to: &Path| {
        let status = Command::new("cp")
            .arg("-r")
            .arg(from)
            .arg(to)
            .status()
            .unwrap();
        assert!(status.success());
    };
    for i in 0..n {
        copy(&root().join(fixture), &dir.path().join(format!("s{i:03}")));
    }
    for (name, f) in extra {
        copy(&root().join(f), &dir.path().join(name));
    }
    dir
}

/// `grade batch lab01 DIR` with `jobs` (None: the default), into a fresh results folder; the
/// wall time.
fn batch(dir: &Path, jobs: Option<usize>) -> Duration {
    let out = tempfile::tempdir().unwrap();
    batch_into(dir, jobs, out.path())
}

/// The same, into `out` (where a previous run's `summary.json` orders the gradings).
fn batch_into(dir: &Path, jobs: Option<usize>, out: &Path) -> Duration {
    let mut cmd = Command::new(grade_bin());
    cmd.args(["batch", "lab01", "--out"]).arg(out).arg(dir);
    if let Some(j) = jobs {
        cmd.args(["--jobs", &j.to_string()]);
    }
    let t0 = Instant::now();
    let status = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0), "grade batch failed");
    t0.elapsed()
}

fn batch_throughput(missed: &mut Vec<&'static str>) {
    let n: usize = std::env::var("NETGRADE_BENCH_CLASS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let sol = "exercises/lab01_ip_port_http/solution";
    let dir = class(n, sol, &[]);
    let t0 = Instant::now();
    for i in 0..n {
        grade(&["lab01"], &dir.path().join(format!("s{i:03}")));
    }
    let looped = t0.elapsed();
    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    println!(
        "batch of {n} lab01 solutions: one grade after another {looped:.2?} ({:.1}/s)",
        rate(looped)
    );
    for jobs in [Some(1), Some(2), Some(4), None] {
        let took = batch(dir.path(), jobs);
        let label = jobs.map_or("default".to_string(), |j| j.to_string());
        println!(
            "  grade batch --jobs {label}: {took:.2?} ({:.1}/s, {:.2}x the loop)",
            rate(took),
            looped.as_secs_f64() / took.as_secs_f64()
        );
        if jobs.is_none() && rate(took) < 10.0 {
            missed.push("batch under 10 submissions/s with the default jobs");
        }
    }
    // One straggler: a server that never binds, failing `starts` at its 10 s limit.
    // Sixty quick ones: the fastest --jobs 4 can do is the straggler's own 10 s, so with few
    // quick gradings (now ~0.12 s each) no schedule reaches 1.5x; sixty is a small class.
    let mixed = class(
        60,
        sol,
        &[("straggler", "tests/fixtures/hostile/loops_before_bind")],
    );
    let one = batch(mixed.path(), Some(1));
    // First run: the straggler's folder sorts last, so it starts after every other (the
    // worst case). Then again into the same results folder, where the last run's durations
    // start the slowest first.
    let out = tempfile::tempdir().unwrap();
    let first = batch_into(mixed.path(), Some(4), out.path());
    let again = batch_into(mixed.path(), Some(4), out.path());
    let x = |d: Duration| one.as_secs_f64() / d.as_secs_f64();
    println!(
        "class of 61 with a 10 s straggler: --jobs 1 {one:.2?}; --jobs 4 {first:.2?} ({:.2}x) \
         with the straggler started last, {again:.2?} ({:.2}x) graded again into the same \
         folder (slowest first)",
        x(first),
        x(again)
    );
    if x(again) < 1.5 {
        missed.push("straggler class not 1.5x faster with --jobs 4 (graded again)");
    }
}

/// `--capture`'s cost on a grading with many small exchanges (lab05), and its memory under a
/// flood. Runs alternate, so that a change in the machine's load falls on both alike.
fn capture_cost(missed: &mut Vec<&'static str>) {
    let runs: usize = std::env::var("NETGRADE_BENCH_CAPTURE_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(11);
    let sol = root().join("exercises/lab05_tcp_echo/solution");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bench.pcapng");
    let file = file.to_str().unwrap();
    let (mut plain, mut captured) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        plain.push(grade(&["lab05"], &sol).0);
        let (t, _, code) = grade(&["lab05", "--capture", file], &sol);
        if code != 0 {
            missed.push("lab05 with --capture did not pass (no namespaces here?)");
            return;
        }
        captured.push(t);
    }
    let (plain, captured) = (median(plain), median(captured));
    let cost = captured.as_secs_f64() / plain.as_secs_f64() - 1.0;
    let size = std::fs::metadata(file).map_or(0, |m| m.len());
    println!(
        "lab05 solution: {plain:?} without --capture, {captured:?} with (median of {runs} each): {:+.1}%, capture {} KiB",
        cost * 100.0,
        size / 1024
    );
    if cost > 0.05 {
        missed.push("--capture costs over 5% of lab05's grading time");
    }
    let flood = root().join("tests/fixtures/hostile/lab04_flood");
    let (t, rss, _) = grade(
        &["lab04", "--only", "client_runs", "--capture", file],
        &flood,
    );
    let size = std::fs::metadata(file).map_or(0, |m| m.len());
    println!(
        "lab04 flood of 200,000 datagrams under --capture: whole run {t:?}, peak RSS {rss} KiB, capture {} KiB",
        size / 1024
    );
    if rss == 0 || rss > 64 * 1024 {
        missed.push("peak RSS over 64 MiB under a captured flood (or not reported)");
    }
    if size > (16 << 20) + (64 << 10) {
        missed.push("a flood's capture went past its cap");
    }
}
