//! What a student's program finds in its environment (`submission::environment`): none of the
//! grader's secrets, a private HOME and TMPDIR that are gone after the run, exactly the names
//! staff or `grade.toml` pass through, and the packages the student installed with
//! `pip install --user`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::util::*;

/// Appends one JSON line to `envdump.jsonl` in the submission (the program's working
/// directory): its role, its environment, and what it could do with HOME and TMPDIR.
const DUMP: &str = r#"
import json, os, sys, tempfile

def dump(role, extra=None):
    info = {"role": role, "env": dict(os.environ), "tempdir": tempfile.gettempdir(),
            "expanduser": os.path.expanduser("~")}
    for key in ("HOME", "TMPDIR"):
        try:
            with open(os.path.join(os.environ[key], "probe-" + role), "w") as f:
                f.write("x")
            info[key + "_writable"] = True
        except Exception as e:
            info[key + "_writable"] = repr(e)
    info.update(extra or {})
    with open("envdump.jsonl", "a") as f:
        f.write(json.dumps(info) + "\n")
"#;

/// The names a program may see without anything passed through (on Linux).
const ALLOWED: &[&str] = &[
    "PATH",
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "LC_COLLATE",
    "LC_MESSAGES",
    "LC_MONETARY",
    "LC_NUMERIC",
    "LC_TIME",
    "LC_ADDRESS",
    "LC_IDENTIFICATION",
    "LC_MEASUREMENT",
    "LC_NAME",
    "LC_PAPER",
    "LC_TELEPHONE",
    "TERM",
    "TZ",
    "VIRTUAL_ENV",
    "CONDA_PREFIX",
    "HOME",
    "TMPDIR",
    "PYTHONUSERBASE",
    "PYTHONUNBUFFERED",
    "PYTHONIOENCODING",
    "PYTHONUTF8",
    "PYTHONDONTWRITEBYTECODE",
    "PORT",
];

/// A submission made of `files` (path, contents), in a directory the helpers recognise.
fn submission(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("netgrade-sub-")
        .tempdir()
        .unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

/// A lab01 server that dumps its environment and exits (so `starts` fails at once).
fn dumping_lab01(grade_toml: Option<&str>) -> tempfile::TempDir {
    let app = format!("{DUMP}\ndump('server')\n");
    let mut files = vec![("labs/01_ip_port_http/app.py", app.as_str())];
    if let Some(t) = grade_toml {
        files.push(("grade.toml", t));
    }
    submission(&files)
}

/// A value nobody else has.
fn random_secret() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("x-secret-{}-{nanos}", std::process::id())
}

/// `grade` with secrets in its environment.
fn grade_with_secrets(secret: &str) -> std::process::Command {
    let mut c = grade();
    c.env("GITHUB_TOKEN", "ghp_netgrade_test_token")
        .env("AWS_SECRET_ACCESS_KEY", "aws-netgrade-test-key")
        .env("X_SECRET", secret);
    c
}

/// Every line the submission's programs dumped.
#[track_caller]
fn dumps(sub: &Path, r: &Run) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(sub.join("envdump.jsonl"))
        .unwrap_or_else(|e| panic!("no envdump.jsonl ({e}): the program did not run\n{r}"));
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn env_of(dump: &serde_json::Value) -> BTreeMap<String, String> {
    dump["env"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect()
}

/// What must hold for any dump: no secret, only allowed names (plus `extra`), a private HOME
/// and TMPDIR that the program could write in and that are gone now.
#[track_caller]
fn assert_confined(dump: &serde_json::Value, secret: &str, extra: &[&str], r: &Run) {
    let env = env_of(dump);
    for (k, v) in &env {
        assert!(
            ALLOWED.contains(&k.as_str()) || extra.contains(&k.as_str()),
            "{k}={v} reached the program\n{r}"
        );
        if !extra.contains(&k.as_str()) {
            assert!(
                !v.contains(secret) && !v.contains("netgrade-test"),
                "a secret reached the program in {k}\n{r}"
            );
        }
    }
    for gone in ["GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY"] {
        assert!(!env.contains_key(gone), "{gone} reached the program\n{r}");
    }
    let home = PathBuf::from(&env["HOME"]);
    let tmp = PathBuf::from(&env["TMPDIR"]);
    let real_home = std::env::var_os("HOME").map(PathBuf::from);
    assert_ne!(Some(&home), real_home.as_ref(), "HOME is the grader's\n{r}");
    assert_ne!(home, tmp);
    assert_eq!(dump["HOME_writable"], true, "{r}");
    assert_eq!(dump["TMPDIR_writable"], true, "{r}");
    assert_eq!(dump["tempdir"].as_str(), tmp.to_str(), "{r}");
    assert_eq!(dump["expanduser"].as_str(), home.to_str(), "{r}");
    // One private directory holds both, and it is gone after the run.
    let private = home.parent().unwrap();
    assert_eq!(tmp.parent().unwrap(), private);
    assert!(
        private
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("netgrade-home-"),
        "{}",
        private.display()
    );
    assert!(
        !private.exists(),
        "the private directory {} outlived the run\n{r}",
        private.display()
    );
    assert_eq!(env.get("PYTHONUNBUFFERED").map(String::as_str), Some("1"));
}

#[test]
fn the_graders_secrets_never_reach_the_program_and_its_home_is_private_and_removed() {
    let secret = random_secret();
    let sub = dumping_lab01(None);
    let r = run(grade_with_secrets(&secret)
        .args(["lab01", "--format", "json", "--submission"])
        .arg(sub.path()));
    r.code(1);
    assert_nothing_left(sub.path());
    let d = dumps(sub.path(), &r);
    assert_eq!(d.len(), 1, "{r}");
    assert_confined(&d[0], &secret, &[], &r);
    let env = env_of(&d[0]);
    assert!(!env.contains_key("X_SECRET"), "{r}");
    assert!(env["PORT"].parse::<u16>().is_ok(), "{r}");
    assert_eq!(env.get("PATH"), std::env::var("PATH").ok().as_ref());
    // The submission's own directory stays writable: the dump is there.
}

#[test]
fn grade_toml_env_passes_exactly_the_named_variable() {
    let secret = random_secret();
    let sub = dumping_lab01(Some("[lab01]\nenv = [\"X_SECRET\"]\n"));
    let r = run(grade_with_secrets(&secret)
        .args(["lab01", "--format", "json", "--submission"])
        .arg(sub.path()));
    r.code(1);
    let d = dumps(sub.path(), &r);
    assert_confined(&d[0], &secret, &["X_SECRET"], &r);
    assert_eq!(env_of(&d[0])["X_SECRET"], secret, "{r}");
}

#[test]
fn pass_env_passes_exactly_the_named_variable() {
    let secret = random_secret();
    for by_env in [false, true] {
        let sub = dumping_lab01(None);
        let mut cmd = grade_with_secrets(&secret);
        cmd.args(["lab01", "--format", "json", "--submission"])
            .arg(sub.path());
        if by_env {
            cmd.env("NETGRADE_PASS_ENV", "X_SECRET,NOT_SET_BY_ANYONE");
        } else {
            cmd.args(["--pass-env", "X_SECRET", "--pass-env", "NOT_SET_BY_ANYONE"]);
        }
        let r = run(&mut cmd);
        r.code(1);
        let d = dumps(sub.path(), &r);
        assert_confined(&d[0], &secret, &["X_SECRET"], &r);
        assert_eq!(env_of(&d[0])["X_SECRET"], secret, "{r}");
    }
}

#[test]
fn names_the_grader_sets_or_that_are_not_names_are_refused() {
    let sub = dumping_lab01(Some("[lab01]\nenv = [\"HOME\"]\n"));
    run(grade().args(["lab01", "--submission"]).arg(sub.path()))
        .code(2)
        .stderr_has("grade.toml")
        .stderr_has("[lab01] env: `HOME` is set by grade itself");
    assert!(!sub.path().join("envdump.jsonl").exists());
    let sub = dumping_lab01(None);
    run(grade()
        .args(["lab01", "--pass-env", "NOT-A-NAME", "--submission"])
        .arg(sub.path()))
    .code(2)
    .stderr_has("is not an environment variable name");
}

/// Both programs of a two-program lab, and every run of the client, get the same confined
/// environment.
#[test]
fn every_program_of_a_lab_is_confined() {
    let secret = random_secret();
    let server = format!("{DUMP}\ndump('server')\n");
    let client = format!("{DUMP}\ndump('client', {{'argv': sys.argv[1:]}})\n");
    let sub = submission(&[
        ("labs/05_tcp_echo/tcp_server.py", &server),
        ("labs/05_tcp_echo/tcp_client.py", &client),
    ]);
    let r = run(grade_with_secrets(&secret)
        .args(["lab05", "--format", "json", "--submission"])
        .arg(sub.path()));
    r.code(1);
    assert_nothing_left(sub.path());
    let d = dumps(sub.path(), &r);
    let roles: Vec<&str> = d.iter().map(|x| x["role"].as_str().unwrap()).collect();
    assert!(
        roles.contains(&"server") && roles.contains(&"client"),
        "{roles:?}\n{r}"
    );
    for x in &d {
        assert_confined(x, &secret, &[], &r);
    }
    // One private directory for the whole grading.
    let homes: std::collections::BTreeSet<String> =
        d.iter().map(|x| env_of(x)["HOME"].clone()).collect();
    assert_eq!(homes.len(), 1, "{homes:?}");
}

/// `site-packages` of a Python user base for `python` (`lib/pythonX.Y/site-packages`).
fn user_site(base: &Path, python: &Path) -> PathBuf {
    let out = std::process::Command::new(python)
        .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        .output()
        .unwrap();
    let version = String::from_utf8(out.stdout).unwrap();
    base.join(format!("lib/python{}/site-packages", version.trim()))
}

/// A student program that imports the package the student installed with `--user`.
fn importing_lab01() -> tempfile::TempDir {
    let app = format!(
        "{DUMP}\ntry:\n    import netgrade_user_pkg\n    ok = netgrade_user_pkg.VALUE\nexcept Exception as e:\n    ok = repr(e)\ndump('server', {{'imported': ok}})\n"
    );
    submission(&[("labs/01_ip_port_http/app.py", &app)])
}

/// A system interpreter (not a venv: a venv turns the user site off).
fn system_python() -> Option<&'static Path> {
    let p = Path::new("/usr/bin/python3");
    if p.exists() {
        Some(p)
    } else {
        skip("the user-site tests need /usr/bin/python3");
        None
    }
}

#[test]
fn packages_installed_with_pip_user_stay_importable_from_pythonuserbase() {
    let Some(python) = system_python() else {
        return;
    };
    let base = tempfile::tempdir().unwrap();
    let site = user_site(base.path(), python);
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(
        site.join("netgrade_user_pkg.py"),
        "VALUE = 'from-user-site'\n",
    )
    .unwrap();
    let sub = importing_lab01();
    let r = run(grade()
        .env("PYTHONUSERBASE", base.path())
        .args(["lab01", "--format", "json", "--python"])
        .arg(python)
        .arg("--submission")
        .arg(sub.path()));
    let d = dumps(sub.path(), &r);
    assert_eq!(d[0]["imported"], "from-user-site", "{r}");
    assert_eq!(
        env_of(&d[0])["PYTHONUSERBASE"],
        base.path().to_str().unwrap()
    );
}

#[test]
fn packages_installed_with_pip_user_stay_importable_from_the_default_user_base() {
    let Some(python) = system_python() else {
        return;
    };
    // The invoking user's real HOME, with `~/.local` as pip --user fills it.
    let home = tempfile::tempdir().unwrap();
    let site = user_site(&home.path().join(".local"), python);
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(
        site.join("netgrade_user_pkg.py"),
        "VALUE = 'from-dot-local'\n",
    )
    .unwrap();
    let sub = importing_lab01();
    let r = run(grade()
        .env("HOME", home.path())
        .env_remove("PYTHONUSERBASE")
        .args(["lab01", "--format", "json", "--python"])
        .arg(python)
        .arg("--submission")
        .arg(sub.path()));
    let d = dumps(sub.path(), &r);
    assert_eq!(d[0]["imported"], "from-dot-local", "{r}");
    assert_ne!(env_of(&d[0])["HOME"], home.path().to_str().unwrap());
}

/// Ctrl+C stops grading; the private directory goes with the program.
#[test]
fn the_private_home_is_removed_when_grading_is_interrupted() {
    use std::io::BufRead;
    let app = format!(
        "{DUMP}\ndump('server')\nimport socket, time\ns = socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\ns.bind(('0.0.0.0', int(os.environ['PORT'])))\ns.listen(8)\nheld = []\nwhile True:\n    c, _ = s.accept()\n    held.append(c)\n"
    );
    let sub = submission(&[("labs/01_ip_port_http/app.py", &app)]);
    let mut child = grade()
        .args(["lab01", "--lang", "en", "--color", "never", "--submission"])
        .arg(sub.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufReader::new(stdout).lines();
    let started = lines
        .by_ref()
        .map_while(Result::ok)
        .any(|l| l.contains(" starts "));
    assert!(started, "grade never reported `starts`");
    let text = std::fs::read_to_string(sub.path().join("envdump.jsonl")).unwrap();
    let dump: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let home = PathBuf::from(env_of(&dump)["HOME"].clone());
    let private = home.parent().unwrap().to_path_buf();
    assert!(
        private.is_dir(),
        "the private directory exists while grading"
    );
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(child.wait().unwrap().code(), Some(130));
    assert!(
        !private.exists(),
        "{} outlived the interrupted run",
        private.display()
    );
    assert_nothing_left(sub.path());
}

/// `--run-as`: the private directory belongs to that user, who can write in it; it is gone
/// afterwards all the same.
#[test]
fn the_private_home_is_writable_by_the_run_as_user() {
    let python = Path::new("/usr/bin/python3");
    let root_user = std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"));
    if !root_user || !python.exists() {
        return skip("--run-as needs root and /usr/bin/python3");
    }
    // The submission is not writable by that user: the program reports on stdout.
    let app = "import os\nfor key in ('HOME', 'TMPDIR'):\n    d = os.environ[key]\n    open(os.path.join(d, 'probe'), 'w').write('x')\n    print(key, d, os.stat(d).st_uid, 'WRITABLE')\nprint('UID', os.getuid())\n";
    let sub = submission(&[("labs/01_ip_port_http/app.py", app)]);
    let status = std::process::Command::new("chmod")
        .arg("-R")
        .arg("a+rX")
        .arg(sub.path())
        .status()
        .unwrap();
    assert!(status.success());
    let r = run(grade()
        .args([
            "lab01",
            "--format",
            "json",
            "--run-as",
            "65534:65534",
            "--python",
        ])
        .arg(python)
        .arg("--submission")
        .arg(sub.path()));
    r.code(1);
    let v = r.json();
    let out = check(&v, "starts")["output"]["stdout"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(out.contains("UID 65534"), "{out}\n{r}");
    let mut homes = Vec::new();
    for key in ["HOME", "TMPDIR"] {
        let line = out
            .lines()
            .find(|l| l.starts_with(&format!("{key} ")))
            .unwrap_or_else(|| panic!("no {key} line in {out:?}\n{r}"));
        assert!(line.ends_with(" 65534 WRITABLE"), "{line}\n{r}");
        homes.push(PathBuf::from(line.split(' ').nth(1).unwrap()));
    }
    let private = homes[0].parent().unwrap();
    assert!(!private.exists(), "{} outlived the run", private.display());
    assert_nothing_left(sub.path());
}
