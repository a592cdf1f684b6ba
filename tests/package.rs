//! `grade package gradescope`: the bundle is written, `setup.sh` installs from it (with stand-ins
//! for `apt-get` and `useradd`, so the machine is left alone), and `run_autograder` grades a
//! fixture in a temporary `/autograder`-shaped tree (`AUTOGRADER_ROOT`). Every results.json is
//! held against Gradescope's documented fields and types.
//!
//! As root (CI here), `run_autograder` must run the submission as another user (65534 stands in
//! for setup.sh's `netgrade-student`, which the tests do not create), and that user must not
//! read the bundle; run by another user it says so and runs the submission as itself.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::formats::spec::{check_gradescope_fields, gradescope_test};
use crate::util::*;

mod options;

const SOLUTION: &str = "exercises/lab01_ip_port_http/solution";
const NOBODY: &str = "65534:65534";

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"))
}

/// The interpreter for the students' programs: as root the system's, which the unprivileged
/// user can run (a venv under /root is out of its reach); else the tests' usual one.
fn student_python() -> Option<PathBuf> {
    if is_root() {
        let system = Path::new("/usr/bin/python3");
        if !system.exists() {
            skip(
                "as root, run_autograder needs /usr/bin/python3, which the submission's user can run",
            );
            return None;
        }
        return Some(system.to_path_buf());
    }
    Some(python().unwrap_or_else(|| "python3".into()))
}

/// A temporary `/autograder`: `source/` (the bundle), `submission/`, `results/`, and
/// `run_autograder` copied to the top as Gradescope does.
struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    fn new() -> Tree {
        let dir = tempfile::Builder::new()
            .prefix("netgrade-autograder-")
            .tempdir()
            .unwrap();
        Tree { dir }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn source(&self) -> PathBuf {
        self.root().join("source")
    }

    fn submission(&self) -> PathBuf {
        self.root().join("submission")
    }

    fn results(&self) -> PathBuf {
        self.root().join("results/results.json")
    }

    /// `grade package gradescope lab01 --out ROOT/source` with `extra`; expects exit 0.
    fn package(&self, extra: &[&str]) -> Run {
        let r = package_into(&self.source(), extra);
        r.code(0);
        std::fs::copy(
            self.source().join("run_autograder"),
            self.root().join("run_autograder"),
        )
        .unwrap();
        r
    }

    /// The submission: a copy of `fixture` (relative to the repository), or files given here.
    fn submit(&self, fixture: Option<&str>, files: &[(&str, &str)]) {
        let to = self.submission();
        std::fs::create_dir_all(&to).unwrap();
        if let Some(f) = fixture {
            let copy = copy_submission(&root().join(f));
            let status = Command::new("cp")
                .arg("-R")
                .arg(format!("{}/.", copy.path().display()))
                .arg(&to)
                .status()
                .unwrap();
            assert!(status.success());
        }
        for (rel, text) in files {
            let path = to.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    }

    /// `ROOT/run_autograder` with the test's paths; `env` adds or overrides settings.
    fn run_autograder(&self, python: &Path, env: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new(self.root().join("run_autograder"));
        cmd.env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("AUTOGRADER_ROOT", self.root())
            .env("NETGRADE_GRADE", grade_bin())
            .env("NETGRADE_PYTHON", python)
            .current_dir(self.root());
        if is_root() {
            cmd.env("NETGRADE_RUN_AS", NOBODY);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let r = run(&mut cmd);
        assert_nothing_left(&self.submission());
        r
    }

    /// results.json, checked against Gradescope's fields; run_autograder always exits 0.
    #[track_caller]
    fn results_json(&self, r: &Run) -> serde_json::Value {
        r.code(0);
        let text = std::fs::read_to_string(self.results())
            .unwrap_or_else(|e| panic!("no results.json: {e}\n{r}"));
        let v: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("results.json is not JSON: {e}\n{text}\n{r}"));
        check_gradescope_fields(&v);
        v
    }
}

/// `grade package gradescope lab01 --out OUT`, in English unless `extra` says otherwise.
fn package_into(out: &Path, extra: &[&str]) -> Run {
    let mut cmd = grade();
    cmd.args(["package", "gradescope", "lab01", "--out"])
        .arg(out)
        .args(extra);
    if !extra.contains(&"--lang") {
        cmd.args(["--lang", "en"]);
    }
    run(&mut cmd)
}

/// Stand-ins for the commands setup.sh must not run on this machine: each logs its arguments.
fn stand_ins(dir: &Path, names: &[&str]) -> PathBuf {
    let bin = dir.join("stand-ins");
    std::fs::create_dir_all(&bin).unwrap();
    for name in names {
        let path = bin.join(name);
        let log = dir.join("calls.log");
        std::fs::write(
            &path,
            format!("#!/bin/sh\necho \"{name} $*\" >> '{}'\n", log.display()),
        )
        .unwrap();
        make_executable(&path);
    }
    bin
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// `setup.sh` with `apt-get` and `useradd` stood in for, installing into `prefix`.
fn setup(tree: &Tree, prefix: &Path, env: &[(&str, &Path)]) -> (Run, String) {
    let bin = stand_ins(prefix, &["apt-get", "useradd"]);
    let mut cmd = Command::new("bash");
    cmd.arg(tree.source().join("setup.sh"))
        .env_clear()
        // The stand-ins first: the real apt-get and useradd must never run here.
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("AUTOGRADER_ROOT", tree.root())
        .env("NETGRADE_PREFIX", prefix)
        .current_dir(tree.source());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let r = run(&mut cmd);
    let calls = std::fs::read_to_string(prefix.join("calls.log")).unwrap_or_default();
    (r, calls)
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn the_gradescope_bundle_installs_and_grades_the_solution() {
    let Some(python) = student_python() else {
        return;
    };
    let tree = Tree::new();
    let r = tree.package(&[]);
    let bundled = tree.source().join("bin/grade");
    if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        assert!(bundled.exists(), "no bin/grade\n{r}");
        r.stdout_has("bin/grade (from ");
    }
    for script in ["setup.sh", "run_autograder"] {
        assert_eq!(mode(&tree.source().join(script)), 0o755, "{script}");
    }
    let readme = std::fs::read_to_string(tree.source().join("README.md")).unwrap();
    assert!(
        readme.contains("zip -r ../lab01-autograder.zip ."),
        "{readme}"
    );
    assert!(readme.contains("labs/01_ip_port_http/app.py"), "{readme}");

    let prefix = tempfile::tempdir().unwrap();
    let (r, calls) = setup(&tree, prefix.path(), &[]);
    r.code(0);
    assert!(
        calls.contains("apt-get install -y --no-install-recommends python3"),
        "{calls}\n{r}"
    );
    assert!(
        calls.contains("useradd --system --user-group --no-create-home"),
        "{calls}\n{r}"
    );
    assert!(calls.ends_with("netgrade-student\n"), "{calls}");
    let installed = prefix.path().join("bin/grade");
    if bundled.exists() {
        r.stdout_has("installed the bundled grade");
        let v = run(Command::new(&installed).arg("--version"));
        v.code(0)
            .stdout_has(&format!("grade {}", env!("CARGO_PKG_VERSION")));
    }
    assert_eq!(mode(&tree.source()), 0o700, "the bundle is root's alone");

    tree.submit(Some(SOLUTION), &[]);
    // The grade setup.sh installed, when this machine's is a Linux x86_64 one.
    let grade = if installed.exists() {
        installed
    } else {
        grade_bin()
    };
    let r = tree.run_autograder(&python, &[("NETGRADE_GRADE", grade.to_str().unwrap())]);
    let v = tree.results_json(&r);
    let tests = v["tests"].as_array().unwrap();
    assert!(tests.len() >= 8, "{v:#}");
    assert!(tests.iter().all(|t| t["status"] == "passed"), "{v:#}\n{r}");
    let max: f64 = tests.iter().map(|t| t["max_score"].as_f64().unwrap()).sum();
    assert_eq!(v["score"].as_f64(), Some(max), "{v:#}");
    assert_eq!(max, 10.0);
    r.stdout_has("grade exited with 0");
    if is_root() {
        use std::os::unix::fs::MetadataExt;
        let owner = std::fs::metadata(tree.submission()).unwrap().uid();
        assert_eq!(owner, 65534, "the submission is its user's");
    }
}

#[test]
fn a_failing_check_shows_up_failed_on_gradescope() {
    let Some(python) = student_python() else {
        return;
    };
    let tree = Tree::new();
    tree.package(&["--no-binary"]);
    tree.submit(Some("tests/fixtures/lab01/wrong_body"), &[]);
    let r = tree.run_autograder(&python, &[]);
    let v = tree.results_json(&r);
    let body = gradescope_test(&v, "body").unwrap();
    assert_eq!(body["status"], "failed", "{v:#}");
    assert_eq!(body["score"], 0.0);
    assert!(
        body["output"]
            .as_str()
            .unwrap()
            .contains("You reached the server"),
        "{body:#}"
    );
    assert_eq!(
        gradescope_test(&v, "status_200").unwrap()["status"],
        "passed"
    );
    assert_eq!(v["score"].as_f64(), Some(9.0), "{v:#}");
    r.stdout_has("grade exited with 1");
}

#[test]
fn a_missing_file_still_leaves_a_valid_results_json() {
    let Some(python) = student_python() else {
        return;
    };
    let tree = Tree::new();
    tree.package(&["--no-binary"]);
    tree.submit(None, &[("README.md", "my lab\n")]);
    // A results.json from an earlier run must not be taken for this one's.
    std::fs::create_dir_all(tree.results().parent().unwrap()).unwrap();
    std::fs::write(tree.results(), r#"{"score": 10, "tests": []}"#).unwrap();
    let r = tree.run_autograder(&python, &[]);
    let v = tree.results_json(&r);
    assert_eq!(v["score"], 0, "{v:#}");
    assert_eq!(v["tests"], serde_json::json!([]));
    assert_eq!(v["extra_data"]["grade_exit"], "2");
    let output = v["output"].as_str().unwrap();
    assert!(output.contains("could not be graded"), "{output}");
    // grade's own explanation names the file, and so does the list of the lab's files.
    assert!(
        output.contains("expected the file labs/01_ip_port_http/app.py"),
        "{output}"
    );
    assert!(
        output.contains("paths from the top of your submission): labs/01_ip_port_http/app.py"),
        "{output}"
    );
}

#[test]
fn when_grade_itself_fails_results_json_says_so_without_blaming_the_student() {
    let Some(python) = student_python() else {
        return;
    };
    let tree = Tree::new();
    tree.package(&["--no-binary", "--lang", "ko"]);
    tree.submit(Some(SOLUTION), &[]);
    // A grade that crashes halfway through writing its report.
    let broken = tree.root().join("broken-grade");
    std::fs::write(
        &broken,
        "#!/bin/sh\nfor a; do case \"$a\" in gradescope=*) printf '{\"score\": ' > \"${a#gradescope=}\";; esac; done\necho 'thread main panicked' >&2\nexit 101\n",
    )
    .unwrap();
    make_executable(&broken);
    let r = tree.run_autograder(&python, &[("NETGRADE_GRADE", broken.to_str().unwrap())]);
    let v = tree.results_json(&r);
    assert_eq!(v["score"], 0);
    assert_eq!(v["extra_data"]["grade_exit"], "101");
    let output = v["output"].as_str().unwrap();
    // In the bundle's language (--lang ko); grade's own words stay in the staff's log.
    assert!(output.contains("제출물의 잘못이 아니니"), "{output}");
    assert!(!output.contains("panicked"), "{output}");
    r.stderr_has("thread main panicked");

    // NETGRADE_LANG overrides the bundle's language; without a Python to write the fallback,
    // a fixed text is written instead.
    let r = tree.run_autograder(
        Path::new("/nonexistent/python3"),
        &[
            ("NETGRADE_GRADE", "/nonexistent/grade"),
            ("NETGRADE_LANG", "en"),
        ],
    );
    let v = tree.results_json(&r);
    assert_eq!(v["score"], 0);
    let output = v["output"].as_str().unwrap();
    assert!(
        output.contains("not a problem with your submission"),
        "{output}"
    );

    // As root without setup.sh's user (and no NETGRADE_RUN_AS), a step before grading fails.
    let user_exists = Command::new("id")
        .args(["-u", "netgrade-student"])
        .output()
        .is_ok_and(|o| o.status.success());
    if is_root() && !user_exists {
        let r = tree.run_autograder(&python, &[("NETGRADE_RUN_AS", ""), ("NETGRADE_LANG", "en")]);
        let v = tree.results_json(&r);
        assert_eq!(v["extra_data"]["grade_exit"], "none", "{v:#}");
        let output = v["output"].as_str().unwrap();
        assert!(output.contains("(before grade could run)"), "{output}");
        r.stderr_has("a step before grading failed");
    }
}

/// As root, the submission runs as another user, who can read neither the bundle (staff's
/// graders in it) nor write the results; staff's definitions are the ones used.
#[test]
fn the_submission_cannot_read_the_bundle_or_its_graders() {
    if !is_root() {
        return skip("switching the submission's user needs root");
    }
    let Some(python) = student_python() else {
        return;
    };
    let tree = Tree::new();
    let staff = tempfile::tempdir().unwrap();
    let lab = staff.path().join("lab01");
    std::fs::create_dir_all(lab.join("snapshots")).unwrap();
    let secret = format!("# SECRET-{}", std::process::id());
    let def = std::fs::read_to_string(root().join("graders/lab01/lab.toml")).unwrap();
    let def = def.replacen(
        "id = \"body\"\n",
        "id = \"body\"\nvisibility = \"hidden\"\n",
        1,
    );
    std::fs::write(lab.join("lab.toml"), format!("{secret}\n{def}")).unwrap();
    std::fs::copy(
        root().join("graders/lab01/snapshots/body.txt"),
        lab.join("snapshots/body.txt"),
    )
    .unwrap();
    tree.package(&["--no-binary", "--graders", staff.path().to_str().unwrap()]);
    let bundled = tree.source().join("graders/lab01/lab.toml");
    assert!(
        std::fs::read_to_string(&bundled)
            .unwrap()
            .starts_with(&secret)
    );

    let targets = [
        bundled.clone(),
        tree.source().join("run_autograder"),
        tree.results(),
    ];
    let app = format!(
        "import os\nprint('UID', os.getuid())\nfor path in {:?}:\n    try:\n        print('READ', open(path).readline().strip())\n    except OSError as e:\n        print('DENIED', type(e).__name__)\n    try:\n        open(path, 'a').close()\n        print('WROTE', path)\n    except OSError as e:\n        print('DENIED', type(e).__name__)\nraise SystemExit(1)\n",
        targets
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
    );
    tree.submit(None, &[("labs/01_ip_port_http/app.py", &app)]);
    let r = tree.run_autograder(&python, &[]);
    let v = tree.results_json(&r);
    let starts = gradescope_test(&v, "starts").unwrap();
    assert_eq!(starts["status"], "failed");
    let seen = starts["output"].as_str().unwrap();
    assert!(seen.contains("UID 65534"), "{seen}");
    assert!(
        !seen.contains("SECRET"),
        "the submission read staff's graders: {seen}"
    );
    assert!(!seen.contains("READ") && !seen.contains("WROTE"), "{seen}");
    assert_eq!(seen.matches("DENIED").count(), 6, "{seen}");
    // Staff's copy was used: `body` is hidden there.
    assert_eq!(gradescope_test(&v, "body").unwrap()["visibility"], "hidden");
}

/// Run by a user other than root (a local try), run_autograder says so and grades as that user.
#[test]
fn run_autograder_not_as_root_says_so_and_runs_as_the_current_user() {
    let tree = Tree::new();
    tree.package(&["--no-binary"]);
    tree.submit(Some(SOLUTION), &[]);
    let r = if is_root() {
        // As 65534 through setpriv, with the tree its own and the system's Python.
        let (setpriv, python) = (Path::new("/usr/bin/setpriv"), Path::new("/usr/bin/python3"));
        if !setpriv.exists() || !python.exists() {
            return skip("running as another user needs setpriv and /usr/bin/python3");
        }
        let status = Command::new("chown")
            .args(["-R", NOBODY])
            .arg(tree.root())
            .status()
            .unwrap();
        assert!(status.success());
        let mut cmd = Command::new(setpriv);
        cmd.args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
            .arg(tree.root().join("run_autograder"))
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("AUTOGRADER_ROOT", tree.root())
            .env("NETGRADE_GRADE", grade_bin())
            .env("NETGRADE_PYTHON", python)
            .current_dir("/");
        let r = run(&mut cmd);
        assert_nothing_left(&tree.submission());
        r
    } else {
        let Some(python) = student_python() else {
            return;
        };
        tree.run_autograder(&python, &[])
    };
    r.stderr_has("not running as root, so the submission runs as this user");
    let v = tree.results_json(&r);
    assert!(
        v["tests"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["status"] == "passed"),
        "{v:#}\n{r}"
    );
}
