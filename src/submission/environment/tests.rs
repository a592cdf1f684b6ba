//! The allow-list, the private directory and the user base, on every OS's rules.

use super::*;
use std::collections::HashMap;

/// A grader's environment with secrets in it.
fn grader(extra: &[(&str, &str)]) -> HashMap<String, OsString> {
    let mut m: HashMap<String, OsString> = [
        ("PATH", "/usr/bin:/bin"),
        ("HOME", "/home/staff"),
        ("LANG", "ko_KR.UTF-8"),
        ("LC_ALL", "ko_KR.UTF-8"),
        ("TERM", "xterm"),
        ("VIRTUAL_ENV", "/home/staff/venv"),
        ("GITHUB_TOKEN", "ghp_secret"),
        ("AWS_SECRET_ACCESS_KEY", "aws_secret"),
        ("X_SECRET", "x"),
        ("PYTHONPATH", "/home/staff/lib"),
        ("LD_PRELOAD", "/home/staff/hook.so"),
        ("TMPDIR", "/home/staff/tmp"),
        ("SYSTEMROOT", "C:\\Windows"),
        ("APPDATA", "C:\\Users\\staff\\AppData\\Roaming"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into()))
    .collect();
    for (k, v) in extra {
        m.insert(k.to_string(), v.into());
    }
    m
}

fn private() -> PrivatePaths {
    PrivatePaths {
        home: "/tmp/netgrade-home-x/home".into(),
        tmp: "/tmp/netgrade-home-x/tmp".into(),
    }
}

fn vars(os: Os, env: &HashMap<String, OsString>, pass: &[&str]) -> HashMap<String, String> {
    let get = |n: &str| env.get(n).cloned();
    let pass: Vec<String> = pass.iter().map(|s| s.to_string()).collect();
    let base = user_base(os, &get, || None);
    build(os, &get, &pass, Some(&private()), base)
        .into_iter()
        .map(|(k, v)| (k, v.to_string_lossy().into_owned()))
        .collect()
}

fn names(v: &HashMap<String, String>) -> Vec<&str> {
    let mut n: Vec<&str> = v.keys().map(String::as_str).collect();
    n.sort_unstable();
    n
}

#[test]
fn only_the_listed_variables_pass_on_unix() {
    let v = vars(Os::Unix, &grader(&[]), &[]);
    assert_eq!(
        names(&v),
        [
            "HOME",
            "LANG",
            "LC_ALL",
            "PATH",
            "PYTHONDONTWRITEBYTECODE",
            "PYTHONIOENCODING",
            "PYTHONUNBUFFERED",
            "PYTHONUSERBASE",
            "PYTHONUTF8",
            "TERM",
            "TMPDIR",
            "VIRTUAL_ENV",
        ]
    );
    assert_eq!(v["HOME"], "/tmp/netgrade-home-x/home");
    assert_eq!(v["TMPDIR"], "/tmp/netgrade-home-x/tmp");
    assert_eq!(v["PATH"], "/usr/bin:/bin");
    assert_eq!(v["LANG"], "ko_KR.UTF-8");
    // The real user base, from the real HOME, not the private one.
    assert_eq!(v["PYTHONUSERBASE"], "/home/staff/.local");
    assert_eq!(v["PYTHONUNBUFFERED"], "1");
}

#[test]
fn windows_gets_what_python_needs_and_its_own_names_for_the_private_directory() {
    let env = grader(&[("COMSPEC", "C:\\Windows\\system32\\cmd.exe")]);
    let v = vars(Os::Windows, &env, &[]);
    for n in [
        "SYSTEMROOT",
        "COMSPEC",
        "USERPROFILE",
        "TEMP",
        "TMP",
        "APPDATA",
    ] {
        assert!(v.contains_key(n), "{n} missing: {v:?}");
    }
    assert_eq!(v["USERPROFILE"], v["HOME"]);
    assert_eq!(v["TEMP"], v["TMPDIR"]);
    assert_eq!(v["APPDATA"], "/tmp/netgrade-home-x/home\\AppData\\Roaming");
    assert_eq!(
        v["LOCALAPPDATA"],
        "/tmp/netgrade-home-x/home\\AppData\\Local"
    );
    // From the real APPDATA, as site.py computes it.
    assert_eq!(
        v["PYTHONUSERBASE"],
        "C:\\Users\\staff\\AppData\\Roaming\\Python"
    );
    // Windows' own variables stay out elsewhere.
    assert!(!vars(Os::Unix, &env, &[]).contains_key("SYSTEMROOT"));
}

#[test]
fn secrets_and_python_path_settings_never_pass_by_default() {
    for os in [Os::Unix, Os::MacOs, Os::Windows] {
        let v = vars(os, &grader(&[]), &[]);
        for secret in [
            "GITHUB_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "X_SECRET",
            "PYTHONPATH",
            "LD_PRELOAD",
        ] {
            assert!(!v.contains_key(secret), "{os:?} passed {secret}");
        }
        assert!(!v.values().any(|x| x.contains("secret")), "{os:?}: {v:?}");
    }
}

#[test]
fn a_named_variable_passes_alone_and_only_when_the_grader_has_it() {
    let v = vars(Os::Unix, &grader(&[]), &["X_SECRET", "NOT_SET_ANYWHERE"]);
    assert_eq!(v["X_SECRET"], "x");
    assert!(!v.contains_key("NOT_SET_ANYWHERE"));
    assert!(!v.contains_key("GITHUB_TOKEN"));
}

#[test]
fn the_user_base_follows_site_py() {
    let get_from = |pairs: &[(&str, &str)]| {
        let m = grader(pairs);
        move |n: &str| m.get(n).cloned()
    };
    let given = get_from(&[("PYTHONUSERBASE", "/opt/userbase")]);
    for os in [Os::Unix, Os::MacOs, Os::Windows] {
        assert_eq!(
            user_base(os, &given, || Some("/asked".into())),
            Some("/opt/userbase".into())
        );
    }
    // An empty PYTHONUSERBASE counts as unset, as in site.py.
    let empty = get_from(&[("PYTHONUSERBASE", "")]);
    assert_eq!(
        user_base(Os::Unix, &empty, || None),
        Some("/home/staff/.local".into())
    );
    // macOS asks the interpreter (a framework build's ~/Library/Python/X.Y), and falls back
    // to the non-framework default.
    let plain = get_from(&[]);
    assert_eq!(
        user_base(Os::MacOs, &plain, || Some(
            "/Users/s/Library/Python/3.12".into()
        )),
        Some("/Users/s/Library/Python/3.12".into())
    );
    assert_eq!(
        user_base(Os::MacOs, &plain, || None),
        Some("/home/staff/.local".into())
    );
    let homeless = |n: &str| (n == "PATH").then(|| OsString::from("/bin"));
    assert_eq!(user_base(Os::Unix, &homeless, || None), None);
}

#[test]
fn names_are_checked() {
    assert!(check_name("X_SECRET").is_ok());
    assert!(check_name("_private2").is_ok());
    for bad in ["", "1X", "A-B", "A=B", "A B", "é"] {
        assert!(check_name(bad).is_err(), "{bad:?} accepted");
    }
    for grader_set in ["HOME", "PORT", "TMPDIR", "home", "PythonUserBase"] {
        let e = check_name(grader_set).unwrap_err();
        assert!(e.contains("set by grade itself"), "{e}");
    }
}

#[test]
fn the_private_directory_is_made_and_removed_even_when_made_unwritable() {
    let env = Environment::prepare(&[], None, None).unwrap();
    let p = env.private().unwrap().clone();
    assert!(p.home.is_dir() && p.tmp.is_dir());
    let root = p.home.parent().unwrap().to_path_buf();
    let locked = p.home.join("locked");
    std::fs::create_dir_all(locked.join("inner")).unwrap();
    std::fs::write(locked.join("inner/f"), "x").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode =
            |p: &Path, m| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
        mode(&locked.join("inner"), 0o000);
        mode(&locked, 0o500);
    }
    let vars: HashMap<_, _> = env.vars().iter().cloned().collect();
    assert_eq!(vars["HOME"], p.home.as_os_str());
    env.remove().unwrap();
    assert!(!root.exists(), "{} survived", root.display());
}

/// As root, removal never needs it; this checks the repair a non-root grader relies on.
#[cfg(unix)]
#[test]
fn modes_are_restored_below_a_directory_without_following_links() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let inner = dir.path().join("a/b");
    std::fs::create_dir_all(&inner).unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("a/link")).unwrap();
    std::fs::set_permissions(outside.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    for p in [&inner, &dir.path().join("a")] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o000)).unwrap();
    }
    restore_modes(dir.path());
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir.path().join("a")), 0o700);
    assert_eq!(mode(&inner), 0o700);
    assert_eq!(mode(outside.path()), 0o755, "a link was followed");
}

#[test]
fn a_run_adds_its_own_variables_last() {
    let env = Environment::bare();
    let run = env.for_run(vec![("PORT".into(), "20001".into())]);
    assert_eq!(run.last().unwrap(), &("PORT".to_string(), "20001".into()));
    assert!(!run.iter().any(|(k, _)| k == "HOME"));
}
