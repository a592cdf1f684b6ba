//! The class report (`index.html` of `grade batch`), built through the library from 25
//! synthetic submissions (variations of two real lab06 reports), then opened in a real browser:
//! headless Chromium loads it from disk with no network, the DOM must hold every student and no
//! injected markup, the page's script must have run with no console message, and a screenshot
//! is left for a person to look at. Without Chromium the browser part is skipped (failed under
//! `NETGRADE_STRICT`, as in CI, whose script installs it).

use std::path::PathBuf;

use netgrade::i18n::Lang;
use netgrade::report::class_html::{Graded, Submitted, render_html};
use serde_json::{Value, json};

use crate::util::*;

/// Names that stress the page: Korean, spaces, quotes, markup that would run if not escaped.
const NAMES: [&str; 25] = [
    "김민준",
    "이서연",
    "박지호",
    "최수아",
    "정우진",
    "강하은",
    "조현우",
    "윤지민",
    "장서준",
    "임예린",
    "한도윤",
    "오채원",
    "alice",
    "bob_2024",
    "student-13",
    "O'Brien \"Bobby\"",
    "<script>document.documentElement.setAttribute('data-pwned','1')</script>",
    "<img src=x onerror=\"document.documentElement.setAttribute('data-pwned','2')\">",
    "</textarea></table><b>bold</b>",
    "송 하늘 & co",
    "nguyen_van_an",
    "서지우",
    "tab\there",
    "황보민재",
    "a-very-long-folder-name-that-someone-chose-because-they-could-and-it-keeps-going-and-going",
];

fn fixture(name: &str) -> Value {
    let path = root().join("tests/fixtures/class_report").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn set_status(report: &mut Value, id: &str, status: &str, message: Option<&str>) {
    let checks = report["checks"].as_array_mut().unwrap();
    let c = checks.iter_mut().find(|c| c["id"] == id).unwrap();
    c["status"] = json!(status);
    c["score"] = match status {
        "passed" => c["max_score"].clone(),
        _ => json!(0.0),
    };
    // What a failure said does not belong to another outcome.
    if status != "failed" {
        for k in ["message", "hint", "expected", "actual", "diff", "output"] {
            c.as_object_mut().unwrap().remove(k);
        }
    }
    if let Some(m) = message {
        c["message"] = json!(m);
    }
}

/// The report's score and verdict from its checks, as the runner makes them.
fn total(report: &mut Value) {
    let checks = report["checks"].as_array().unwrap();
    let score: f64 = checks.iter().map(|c| c["score"].as_f64().unwrap()).sum();
    let passed = !checks
        .iter()
        .any(|c| c["status"] == "failed" || c["status"] == "error");
    report["score"] = json!(score);
    report["passed"] = json!(passed);
}

/// Student `i`'s report: a spread of outcomes, ports that differ per student.
fn report_of(i: usize, solution: &Value, failing: &Value) -> Option<Value> {
    let port = (20_000 + 331 * i).to_string();
    let mut r = match i % 6 {
        0 => solution.clone(),
        _ => serde_json::from_str(&failing.to_string().replace("24383", &port)).unwrap(),
    };
    match i {
        // The grader could not grade this one at all.
        7 => return None,
        // The server never starts: one failure, the rest skipped.
        3 | 11 | 19 => {
            let ids: Vec<String> = r["checks"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_string())
                .collect();
            for id in &ids[1..] {
                set_status(
                    &mut r,
                    id,
                    "skipped",
                    Some("a check this one needs did not pass"),
                );
            }
            set_status(
                &mut r,
                "starts",
                "failed",
                Some(&format!(
                    "nothing accepted connections on port {port} within 5 s"
                )),
            );
            r["fix_first"] = json!({"id": "starts", "blocks": ids.len() - 1});
        }
        // A grader error on one check: not the student's fault.
        10 => set_status(
            &mut r,
            "concurrent",
            "error",
            Some("could not open a second connection: too many open files"),
        ),
        _ => {}
    }
    if i % 4 == 1 {
        set_status(&mut r, "concurrent", "passed", None);
    }
    if i % 5 == 2 {
        set_status(&mut r, "startup_line", "passed", None);
        set_status(
            &mut r,
            "uses_port",
            "warning",
            Some("your server ignores PORT and listens on 8000"),
        );
        let checks = r["checks"].as_array_mut().unwrap();
        let c = checks.iter_mut().find(|c| c["id"] == "uses_port").unwrap();
        c["hint"] = json!("Read the port with int(os.environ.get(\"PORT\", 8000)).");
    }
    if i % 7 == 4 {
        set_status(
            &mut r,
            "startup_line",
            "failed",
            Some(&format!(
                "the printed address http://0.0.0.0:{port}/ is where the server listens, not a place a browser can go"
            )),
        );
    }
    if i == 16 {
        set_status(
            &mut r,
            "body",
            "failed",
            Some("the body was '<script>alert(1)</script>' </textarea> \u{1b}[31m"),
        );
    }
    total(&mut r);
    Some(r)
}

fn class() -> Vec<Graded> {
    let (solution, failing) = (
        fixture("lab06_solution.json"),
        fixture("lab06_seed002.json"),
    );
    NAMES
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let (outcome, duration_ms) = match (i, report_of(i, &solution, &failing)) {
                // The student's file is missing: their problem, graded 0.
                (22, _) => (
                    Submitted::Setup(
                        "grade: labs/06_http_server/server.py not found: write your program there"
                            .into(),
                    ),
                    90,
                ),
                (_, Some(r)) => {
                    let ms = r["duration_ms"].as_u64().unwrap();
                    (Submitted::Report(r), ms)
                }
                (_, None) => (
                    Submitted::GraderError(
                        "the grading did not end within 120 s and was stopped".into(),
                    ),
                    120_000,
                ),
            };
            Graded {
                name: name.to_string(),
                outcome,
                duration_ms,
            }
        })
        .collect()
}

/// How Chromium serializes a text node (`--dump-dom`): `&`, `<`, `>` and no-break spaces.
fn dom_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\u{a0}', "&nbsp;")
}

#[test]
fn class_report_in_a_browser() {
    let graded = class();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("class_report");
    let mut pages = Vec::new();
    for (lang, tag) in [(Lang::Ko, "ko"), (Lang::En, "en")] {
        let page_dir = dir.join(tag);
        std::fs::create_dir_all(&page_dir).unwrap();
        let mut html = Vec::new();
        render_html("lab06", "HTTP server", &graded, lang, &mut html).unwrap();
        let html = String::from_utf8(html).unwrap();
        assert!(html.contains(&format!("<html lang=\"{tag}\">")));
        let path = page_dir.join("index.html");
        std::fs::write(&path, &html).unwrap();
        pages.push((tag, path));
    }
    let Some(chromium) = chromium() else {
        skip("Chromium (chromium or chromium-browser) is not on PATH: the page was not opened");
        return;
    };
    for (tag, page) in &pages {
        let dom = browser::dump_dom(&chromium, page);
        // What the scripts left on <html>: the page's marks its end; injected code would
        // have added data-pwned.
        let html_tag = dom
            .stdout
            .split("<html")
            .nth(1)
            .and_then(|t| t.split('>').next());
        let html_tag = html_tag.unwrap_or_else(|| panic!("no <html> in the DOM\n{dom}"));
        assert!(
            html_tag.contains("data-js=\"ready\""),
            "the page's script did not run to its end: <html{html_tag}>\n{dom}"
        );
        assert!(
            !html_tag.contains("data-js-error"),
            "script error: <html{html_tag}>"
        );
        assert!(
            !html_tag.contains("data-pwned"),
            "injected markup ran: <html{html_tag}>"
        );
        assert_eq!(
            dom.stdout.matches("<script").count(),
            1,
            "only the page's own script"
        );
        assert!(!dom.stdout.contains("<b>bold</b>"));
        for (i, name) in NAMES.iter().enumerate() {
            let shown = dom_text(&name.chars().take(80).collect::<String>());
            assert!(
                dom.stdout.contains(&format!("<a href=\"#s-{i}\">{shown}")),
                "{tag}: the table lacks student {i} {name:?} as {shown:?}"
            );
            assert!(dom.stdout.contains(&format!("id=\"s-{i}\"")));
        }
        // Student 22's file is missing: its own state, not the grader's.
        assert!(
            dom.stdout.contains("<tr data-i=\"22\" data-setup=\"\">"),
            "{tag}: the setup problem has no row of its own"
        );
        assert_eq!(dom.stdout.matches("badge st-setup").count(), 2, "{tag}");
        browser::no_console_messages(&dom);
        let shot = page.with_file_name(format!("class_report_{tag}.png"));
        let run = browser::screenshot(&chromium, page, &shot);
        browser::no_console_messages(&run);
        let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
        assert!(size > 10_000, "no screenshot at {}\n{run}", shot.display());
        println!("class report ({tag}): {}", page.display());
        println!("screenshot ({tag}): {}", shot.display());
    }
}

fn chromium() -> Option<PathBuf> {
    if cfg!(not(unix)) {
        return None;
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser"].iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

#[cfg(unix)]
mod browser {
    //! Headless Chromium on a local file, bounded in time and kept off the network.

    use std::os::unix::process::CommandExt;
    use std::path::Path;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    use crate::util::{Run, netns_available};

    const DEADLINE: Duration = Duration::from_secs(90);

    pub fn dump_dom(chromium: &Path, page: &Path) -> Run {
        chromium_run(chromium, page, &["--dump-dom"])
    }

    pub fn screenshot(chromium: &Path, page: &Path, png: &Path) -> Run {
        let _ = std::fs::remove_file(png);
        chromium_run(
            chromium,
            page,
            &[
                &format!("--screenshot={}", png.display()),
                "--window-size=1280,900",
                "--hide-scrollbars",
                // Else a tile may be captured before it is painted (seen: a blank rectangle).
                "--run-all-compositor-stages-before-draw",
            ],
        )
    }

    /// The page writes nothing to the console: any message from it (an uncaught error, a
    /// load or inline code its CSP refused) is a fault. Chromium's own pages may log (a
    /// "slow network" notice from an internal page): only the page's `file://` source counts.
    #[track_caller]
    pub fn no_console_messages(run: &Run) {
        let console: Vec<&str> = run
            .stderr
            .lines()
            .filter(|l| l.contains(":CONSOLE") && l.contains("source: file://"))
            .collect();
        assert!(console.is_empty(), "console messages: {console:#?}\n{run}");
    }

    fn chromium_run(chromium: &Path, page: &Path, extra: &[&str]) -> Run {
        let tmp = tempfile::tempdir().unwrap();
        // Inside a fresh network namespace where there is one: no route anywhere. Everywhere,
        // every host name resolves to nothing and background services are off.
        let mut cmd = if netns_available() {
            let mut c = Command::new("unshare");
            c.args(["-n", "--"]).arg(chromium);
            c
        } else {
            Command::new(chromium)
        };
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--proxy-server=127.0.0.1:9",
        ])
        .arg(format!(
            "--user-data-dir={}",
            tmp.path().join("profile").display()
        ))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .env("HOME", tmp.path())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(tmp.path().join("stdout")).unwrap())
        .stderr(std::fs::File::create(tmp.path().join("stderr")).unwrap())
        .process_group(0);
        let t0 = Instant::now();
        let mut child = cmd.spawn().expect("failed to start chromium");
        let pgid = rustix::process::Pid::from_child(&child);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if t0.elapsed() > DEADLINE {
                break None;
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        // Its helpers (zygote, GPU, renderer) share its process group: none outlives the run.
        let _ = rustix::process::kill_process_group(pgid, rustix::process::Signal::KILL);
        let _ = child.wait();
        let read = |f: &str| {
            String::from_utf8_lossy(&std::fs::read(tmp.path().join(f)).unwrap_or_default())
                .into_owned()
        };
        let run = Run {
            cmd: format!("{cmd:?}"),
            cwd: ".".into(),
            code: status.and_then(|s| s.code()),
            stdout: read("stdout"),
            stderr: read("stderr"),
            elapsed: t0.elapsed(),
        };
        assert!(
            status.is_some(),
            "chromium did not finish within {DEADLINE:?}; killed\n{run}"
        );
        run
    }
}

#[cfg(not(unix))]
mod browser {
    use std::path::Path;

    use crate::util::Run;

    fn unsupported() -> Run {
        panic!("the browser test runs on Unix only")
    }
    pub fn dump_dom(_: &Path, _: &Path) -> Run {
        unsupported()
    }
    pub fn screenshot(_: &Path, _: &Path, _: &Path) -> Run {
        unsupported()
    }
    pub fn no_console_messages(_: &Run) {}
}

#[test]
fn class_report_is_deterministic_and_escapes_every_name() {
    let graded = class();
    let render = || {
        let mut out = Vec::new();
        render_html("lab06", "HTTP server", &graded, Lang::En, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    };
    let html = render();
    assert_eq!(html, render());
    assert_eq!(html.matches("<script").count(), 1);
    assert!(html.contains("&lt;script&gt;document.documentElement"));
    assert!(html.contains("O&#39;Brien &quot;Bobby&quot;"));
    // The submission the grader failed on is not a 0 in the histogram.
    assert!(html.contains("The submission the grader could not grade is not in the histogram."));
}
