//! The report formats for CI: `--format junit|gradescope|github`, `--report FORMAT=PATH` and
//! GitHub's files. Each format is parsed back and held against its platform's documented
//! fields and types (Gradescope's autograder specification, GitHub Classroom's command
//! grader, JUnit as GitHub, GitLab and Jenkins read it), for a passing run, a failing run with
//! a warning and skipped checks, and a crash that skips the rest.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;

use crate::util::*;

pub mod spec;
use spec::*;

const LAB01: [&str; 9] = [
    "starts",
    "uses_port",
    "all_addresses",
    "startup_log",
    "status_200",
    "body",
    "client_ip",
    "not_found",
    "lan",
];

/// The files one grading writes: every format, and GitHub's two files.
struct Out {
    dir: tempfile::TempDir,
}

impl Out {
    fn new() -> Out {
        let dir = tempfile::Builder::new()
            .prefix("netgrade-reports-")
            .tempdir()
            .unwrap();
        Out { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name))
            .unwrap_or_else(|e| panic!("{name} was not written: {e}"))
    }

    /// `--report` for each format except `stdout`'s, and GitHub's variables, on `cmd`.
    fn add_to(&self, cmd: &mut Command, stdout: &str) {
        cmd.args(["--format", stdout]);
        for (format, file) in [
            ("human", "human.txt"),
            ("json", "report.json"),
            ("junit", "junit.xml"),
            ("gradescope", "results.json"),
            ("github", "github.txt"),
        ] {
            if format != stdout {
                cmd.arg("--report")
                    .arg(format!("{format}={}", self.path(file).display()));
            }
        }
        cmd.env("GITHUB_STEP_SUMMARY", self.path("summary.md"))
            .env("GITHUB_OUTPUT", self.path("github_output"));
    }

    fn json(&self, name: &str) -> serde_json::Value {
        serde_json::from_str(&self.read(name))
            .unwrap_or_else(|e| panic!("{name} is not JSON: {e}\n{}", self.read(name)))
    }

    /// The GitHub Classroom result: the `result=` line of `$GITHUB_OUTPUT`, decoded.
    fn classroom(&self) -> serde_json::Value {
        let text = self.read("github_output");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1, "one output line: {text}");
        let b64 = lines[0].strip_prefix("result=").expect("result=...");
        let json = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("standard base64");
        serde_json::from_slice(&json).expect("JSON inside the base64")
    }
}

/// `grade lab01` on a copy of `fixture`, with every format; `wrap` may put it in a namespace.
fn grade_all(
    fixture: &str,
    stdout: &str,
    extra: &[&str],
    wrap: impl FnOnce(&Command) -> Option<Command>,
) -> Option<(Run, Out)> {
    let sub = copy_submission(&root().join(fixture));
    let out = Out::new();
    let mut cmd = grade();
    // The machine's own network (shaped by `wrap`): these tests are about the formats, and
    // their fixtures' verdicts are pinned for that network (`lan` skipped, no fixture IP).
    cmd.args(["lab01", "--seed", "7", "--lang", "en", "--hermetic", "off"])
        .arg("--submission")
        .arg(sub.path())
        .args(extra);
    out.add_to(&mut cmd, stdout);
    let mut cmd = wrap(&cmd)?;
    let r = run(&mut cmd);
    assert_nothing_left(sub.path());
    Some((r, out))
}

fn as_is(cmd: &Command) -> Option<Command> {
    let mut c = Command::new(cmd.get_program());
    c.args(cmd.get_args());
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

// ---- the runs ---------------------------------------------------------------------------

#[test]
fn a_passing_lab_in_every_format() {
    let (r, out) = grade_all("exercises/lab01_ip_port_http/solution", "junit", &[], as_is)
        .expect("no wrapper");
    r.code(0);
    let cases = junit_cases(&r.stdout);
    let ids: Vec<&str> = cases.iter().map(|(id, ..)| id.as_str()).collect();
    assert_eq!(ids, LAB01, "{r}");
    for (id, kind, _) in &cases {
        let expected = if id == "lan" { "skipped" } else { "passed" };
        assert_eq!(kind, expected, "{id}\n{r}");
    }

    let gs = out.json("results.json");
    check_gradescope_fields(&gs);
    assert_eq!(gs["score"], 10.0);
    // `lan` could not run here: worth nothing, it is left out rather than shown red or green.
    assert_eq!(gs["tests"].as_array().unwrap().len(), 8);
    assert!(gradescope_test(&gs, "lan").is_none());
    assert!(gs["output"].as_str().unwrap().contains("- lan ("), "{gs:#}");
    for t in gs["tests"].as_array().unwrap() {
        assert_eq!(t["status"], "passed", "{t}");
        assert_eq!(t["score"], t["max_score"], "{t}");
        assert_eq!(t["visibility"], "visible", "{t}");
    }

    let cl = out.classroom();
    check_classroom_fields(&cl);
    assert_eq!(cl["status"], "pass");
    assert_eq!(cl["max_score"], 10.0);
    assert_eq!(classroom_points(&cl), 10.0);

    let json = out.json("report.json");
    assert_eq!(json["passed"], true);
    assert_eq!(statuses(&json), expect_statuses(&LAB01, &[], &["lan"]));
    assert!(out.read("human.txt").contains("PASS · score 10/10"));
    let github = out.read("github.txt");
    assert!(workflow_commands(&github).is_empty(), "{github}");
    assert!(github.contains("PASS · score 10/10"), "{github}");
    let summary = out.read("summary.md");
    assert!(summary.starts_with("## ✅ netgrade lab01"), "{summary}");
    assert!(summary.contains("| ✅ | `starts` |"), "{summary}");
}

fn flask_available() -> bool {
    let probe = Command::new(python().unwrap_or_else(|| "python3".into()))
        .args(["-c", "import flask"])
        .output();
    if probe.is_ok_and(|o| o.status.success()) {
        return true;
    }
    skip("Flask is not installed for the test interpreter (scripts/test makes a venv)");
    false
}

/// The course's Flask seed on its fixed port 8000: everything passes but `uses_port`, an
/// advisory warning. The run passes in every format, and the warning is kept as one.
#[test]
fn a_passing_lab_with_a_warning_in_every_format() {
    if !flask_available() {
        return;
    }
    let Some((r, out)) = grade_all(
        "tests/fixtures/literal/lab01_flask_seed",
        "github",
        &[],
        in_netns,
    ) else {
        return;
    };
    r.code(0);
    let expected = expect_warned(&LAB01, &[], &["lan"], &["uses_port"]);
    assert_eq!(statuses(&out.json("report.json")), expected, "{r}");
    let commands = workflow_commands(&r.stdout);
    assert_eq!(commands.len(), 1, "{r}");
    assert_eq!(commands[0].0, "warning", "{r}");
    r.stdout_has("PASS · score 10/10");

    let cases = junit_cases(&out.read("junit.xml"));
    let (_, kind, text) = cases.iter().find(|(id, ..)| id == "uses_port").unwrap();
    assert_eq!(kind, "passed");
    assert!(
        text.contains("warning: ") && text.contains("hint: "),
        "{text}"
    );
    assert!(
        cases
            .iter()
            .all(|(id, kind, _)| kind == "passed" || id == "lan")
    );

    let gs = out.json("results.json");
    check_gradescope_fields(&gs);
    assert_eq!(gs["score"], 10.0);
    let t = gradescope_test(&gs, "uses_port").unwrap();
    assert_eq!(
        (t["status"].as_str(), t["max_score"].as_f64()),
        (Some("passed"), Some(0.0))
    );

    let cl = out.classroom();
    check_classroom_fields(&cl);
    assert_eq!(cl["status"], "pass");
    assert_eq!(classroom_points(&cl), 10.0);
    assert_eq!(classroom_test(&cl, "uses_port").unwrap()["status"], "pass");
    let summary = out.read("summary.md");
    assert!(summary.starts_with("## ✅ netgrade lab01"), "{summary}");
    assert!(summary.contains("| ⚠️ | `uses_port` |"), "{summary}");
}

/// The shortest `http.server` program a student writes: port 8000 hard-coded (an advisory
/// warning, `uses_port`) and, on a machine with no route to 8.8.8.8, loopback printed as its
/// private address (`startup_log` fails); `lan` is skipped. See `tests/literal.rs`.
#[test]
fn a_failing_lab_with_a_warning_and_a_skip_in_every_format() {
    let Some((r, out)) = grade_all(
        "tests/fixtures/literal/lab01_httpserver_shortest",
        "github",
        &[],
        in_netns,
    ) else {
        return;
    };
    r.code(1);
    let json = out.json("report.json");
    let expected = expect_warned(&LAB01, &["startup_log"], &["lan"], &["uses_port"]);
    assert_eq!(statuses(&json), expected, "{r}");

    // GitHub: one error annotation for the failure, one warning for the advice.
    let commands = workflow_commands(&r.stdout);
    let names: Vec<&str> = commands.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["warning", "error"], "{r}");
    let (_, warning) = &commands[0];
    assert!(
        warning.starts_with("title=lab01 uses_port%3A "),
        "{warning}"
    );
    assert!(
        warning.contains("::warning: ") && warning.contains("%0Ahint: "),
        "{warning}"
    );
    let (_, error) = &commands[1];
    assert!(error.starts_with("title=lab01 startup_log%3A "), "{error}");
    assert!(error.contains("%0Ahint: "), "{error}");
    r.stdout_has("- skipped lan: ")
        .stdout_has("FAIL · score 9/10");

    // JUnit: failure, success with the warning in system-out, skipped.
    let cases = junit_cases(&out.read("junit.xml"));
    let case = |id: &str| cases.iter().find(|(i, ..)| i == id).unwrap();
    assert_eq!(case("startup_log").1, "failure");
    assert!(
        case("startup_log").2.contains("hint: "),
        "{:?}",
        case("startup_log")
    );
    assert_eq!(case("uses_port").1, "passed");
    let warned = &case("uses_port").2;
    assert!(
        warned.contains("warning: ") && warned.contains("os.environ"),
        "{warned}"
    );
    assert_eq!(case("lan").1, "skipped");
    assert_eq!(case("starts").1, "passed");

    // Gradescope: the failure costs its point, the warning passes worth nothing.
    let gs = out.json("results.json");
    check_gradescope_fields(&gs);
    assert_eq!(gs["score"], json["score"]);
    let t = gradescope_test(&gs, "startup_log").unwrap();
    assert_eq!(
        (&t["status"], &t["score"], &t["max_score"]),
        (&"failed".into(), &0.0.into(), &1.0.into())
    );
    let t = gradescope_test(&gs, "uses_port").unwrap();
    assert_eq!(t["status"], "passed");
    assert!(t["output"].as_str().unwrap().contains("warning: "), "{t}");

    // GitHub Classroom: partial credit, 9 of 10.
    let cl = out.classroom();
    check_classroom_fields(&cl);
    assert_eq!(cl["status"], "fail");
    assert_eq!(classroom_points(&cl), 9.0);
    assert_eq!(cl["max_score"], 10.0);
    assert_eq!(
        classroom_test(&cl, "startup_log").unwrap()["status"],
        "fail"
    );
    assert_eq!(classroom_test(&cl, "uses_port").unwrap()["status"], "pass");
    assert!(classroom_test(&cl, "lan").is_none());

    let summary = out.read("summary.md");
    assert!(summary.starts_with("## ❌ netgrade lab01"), "{summary}");
    assert!(
        summary.contains("<details open><summary>❌ <code>startup_log</code>"),
        "{summary}"
    );
}

/// A copy of the built-in lab01 definition with visibilities set, for `--graders`.
fn graders_with_visibility() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let lab = dir.path().join("lab01");
    std::fs::create_dir_all(lab.join("snapshots")).unwrap();
    for e in std::fs::read_dir(root().join("graders/lab01/snapshots")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), lab.join("snapshots").join(e.file_name())).unwrap();
    }
    let text = std::fs::read_to_string(root().join("graders/lab01/lab.toml")).unwrap();
    let text = set_after(&text, "id = \"starts\"", "visibility = \"after_published\"");
    let text = set_after(&text, "id = \"body\"", "visibility = \"hidden\"");
    std::fs::write(lab.join("lab.toml"), text).unwrap();
    dir
}

/// `text` with `line` added right after the line `after`.
fn set_after(text: &str, after: &str, line: &str) -> String {
    assert!(text.contains(after));
    text.replacen(after, &format!("{after}\n{line}"), 1)
}

/// A program that crashes at start: `starts` fails, every other check is skipped. Those worth
/// points fail on Gradescope and GitHub Classroom (the points are lost); those worth nothing
/// are left out. Visibility comes from the (staff's) definition.
#[test]
fn a_crash_skips_the_rest_and_visibility_comes_from_the_definition() {
    let graders = graders_with_visibility();
    let graders_arg = graders.path().display().to_string();
    let (r, out) = grade_all(
        "tests/fixtures/lab01/crashes_at_start",
        "gradescope",
        &["--graders", &graders_arg],
        as_is,
    )
    .expect("no wrapper");
    r.code(1);
    let gs = r.json();
    check_gradescope_fields(&gs);
    assert_eq!(gs["score"], 0.0);
    let starts = gradescope_test(&gs, "starts").unwrap();
    assert_eq!(starts["status"], "failed");
    assert_eq!(starts["visibility"], "after_published");
    assert_eq!(
        gradescope_test(&gs, "body").unwrap()["visibility"],
        "hidden"
    );
    let blocked = gradescope_test(&gs, "status_200").unwrap();
    assert_eq!(blocked["status"], "failed");
    assert_eq!(blocked["visibility"], "visible");
    assert!(
        blocked["output"].as_str().unwrap().starts_with("skipped: "),
        "{blocked}"
    );
    // uses_port (advisory) and lan are worth nothing and did not run.
    assert!(gradescope_test(&gs, "uses_port").is_none());
    assert!(gradescope_test(&gs, "lan").is_none());

    let cases = junit_cases(&out.read("junit.xml"));
    for (id, kind, _) in &cases {
        let expected = if id == "starts" { "failure" } else { "skipped" };
        assert_eq!(kind, expected, "{id}");
    }
    let cl = out.classroom();
    check_classroom_fields(&cl);
    assert_eq!(cl["status"], "fail");
    assert_eq!(classroom_points(&cl), 0.0);
    assert_eq!(classroom_test(&cl, "status_200").unwrap()["status"], "fail");

    insta::assert_snapshot!("gradescope_crash", redact_report(&r.stdout));
    insta::assert_snapshot!("junit_crash", redact_report(&out.read("junit.xml")));
}

/// [`redact`], and the times these formats write.
fn redact_report(s: &str) -> String {
    let rules = [
        (r#"time="[\d.]+""#, r#"time="<s>""#),
        (r#""execution_time": \d+"#, r#""execution_time": "<s>""#),
    ];
    let mut out = redact(s);
    for (pat, rep) in rules {
        out = regex_lite::Regex::new(pat)
            .unwrap()
            .replace_all(&out, rep)
            .into_owned();
    }
    out
}

// ---- the command line -------------------------------------------------------------------

fn grade_solution(sub: &Path) -> Command {
    let mut c = grade();
    c.args(["lab01", "--submission"]).arg(sub);
    c
}

#[test]
fn report_files_must_be_outside_the_submission_and_distinct() {
    let sub = copy_submission(&root().join("exercises/lab01_ip_port_http/solution"));
    let inside = sub.path().join("junit.xml");
    run(grade_solution(sub.path())
        .arg("--report")
        .arg(format!("junit={}", inside.display())))
    .code(2)
    .stderr_has("outside the submission");
    assert!(!inside.exists());

    let out = Out::new();
    let same = format!("json={}", out.path("r.json").display());
    run(grade_solution(sub.path())
        .args(["--report", &same])
        .arg("--output")
        .arg(out.path("r.json")))
    .code(2)
    .stderr_has("already written");

    let missing = out.path("no/such/dir/r.xml");
    run(grade_solution(sub.path())
        .arg("--report")
        .arg(format!("junit={}", missing.display())))
    .code(2)
    .stderr_has("does not exist");

    // GitHub's files too, and only when the github format is asked for.
    let summary = sub.path().join("summary.md");
    run(grade_solution(sub.path())
        .args(["--format", "github"])
        .env("GITHUB_STEP_SUMMARY", &summary))
    .code(2)
    .stderr_has("$GITHUB_STEP_SUMMARY");
    assert!(!summary.exists());
    assert_nothing_left(sub.path());
}

#[test]
fn bad_report_options_are_usage_errors() {
    let sub = copy_submission(&root().join("exercises/lab01_ip_port_http/solution"));
    for (arg, says) in [
        ("yaml=out.yaml", "unknown format `yaml`"),
        ("results.xml", "FORMAT=PATH"),
    ] {
        run(grade_solution(sub.path()).args(["--report", arg]))
            .code(2)
            .stderr_has(says);
    }
    // The student's loop shows the human report only.
    run(grade()
        .args(["--format", "junit", "--submission"])
        .arg(sub.path()))
    .code(2)
    .stderr_has("--format junit needs a lab");
    run(grade()
        .args(["--report", "json=x.json", "--submission"])
        .arg(sub.path()))
    .code(2)
    .stderr_has("--report needs a lab");
    run(grade_solution(sub.path()).args(["--watch", "--format", "github"]))
        .code(2)
        .stderr_has("--format github");
}
