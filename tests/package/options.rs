//! `grade package`'s options and inputs, setup.sh's way to PyPI when the bundled binary does
//! not run, and shellcheck on the scripts.

use std::process::Command;

use super::*;

#[test]
fn package_checks_its_inputs_and_keeps_an_existing_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle");
    let staff = dir.path().join("staff");
    std::fs::create_dir_all(staff.join("lab01/snapshots")).unwrap();
    let def = std::fs::read_to_string(root().join("graders/lab01/lab.toml")).unwrap();
    std::fs::write(staff.join("lab01/lab.toml"), &def).unwrap();
    std::fs::copy(
        root().join("graders/lab01/snapshots/body.txt"),
        staff.join("lab01/snapshots/body.txt"),
    )
    .unwrap();
    let staff_arg = staff.to_str().unwrap();

    // Broken inputs: exit 2, and nothing written.
    std::fs::write(
        staff.join("lab01/lab.toml"),
        format!("{def}\nsurprise = 1\n"),
    )
    .unwrap();
    package_into(&out, &["--graders", staff_arg])
        .code(2)
        .stderr_has("surprise");
    std::fs::write(staff.join("lab01/lab.toml"), &def).unwrap();
    let script = dir.path().join("not-elf");
    std::fs::write(&script, "#!/bin/sh\n").unwrap();
    package_into(&out, &["--binary", script.to_str().unwrap()])
        .code(2)
        .stderr_has("not a Linux x86_64 program");
    package_into(&out, &["--requirements", "/nonexistent/requirements.txt"])
        .code(2)
        .stderr_has("no such file");
    run(grade()
        .args(["package", "gradescope", "lab99", "--out"])
        .arg(&out))
    .code(2);
    assert!(!out.exists(), "a refused package wrote {}", out.display());

    package_into(&out, &["--graders", staff_arg, "--no-binary"])
        .code(0)
        .stdout_has("installs netgrade==");
    assert!(out.join("graders/lab01/snapshots/body.txt").exists());
    assert!(!out.join("bin/grade").exists());
    // An existing bundle is kept, unless --force, which drops what the new one lacks.
    package_into(&out, &["--no-binary"])
        .code(2)
        .stderr_has("already has graders, setup.sh, run_autograder");
    package_into(&out, &["--no-binary", "--force"]).code(0);
    assert!(!out.join("graders").exists(), "stale graders kept");
    assert!(out.join("run_autograder").exists());
}

/// The pip fallback: a bundled binary that does not run there (another C library, another
/// version) makes setup.sh install the wheel of exactly this version; a requirements.txt gets
/// the students' environment. python3 is stood in for (no network here).
#[test]
fn setup_sh_installs_the_pinned_wheel_when_the_bundled_binary_does_not_run() {
    let tree = Tree::new();
    let requirements = tree.root().join("req.txt");
    std::fs::write(&requirements, "flask==3.0.3\n").unwrap();
    tree.package(&[
        "--no-binary",
        "--requirements",
        requirements.to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read_to_string(tree.source().join("requirements.txt")).unwrap(),
        "flask==3.0.3\n"
    );
    std::fs::create_dir_all(tree.source().join("bin")).unwrap();
    let bundled = tree.source().join("bin/grade");
    std::fs::write(&bundled, "#!/bin/sh\necho 'grade 0.0.1'\n").unwrap();
    make_executable(&bundled);

    let prefix = tempfile::tempdir().unwrap();
    let log = prefix.path().join("calls.log");
    let version = env!("CARGO_PKG_VERSION");
    let python = prefix.path().join("python3");
    std::fs::write(
        &python,
        format!(
            "#!/bin/sh\n\
             # python3: `-m venv DIR` makes DIR/bin/python (this script), `-m pip` logs and\n\
             # installs a grade that says this version.\n\
             if [ \"$1 $2\" = '-m venv' ]; then mkdir -p \"$3/bin\" && cp \"$0\" \"$3/bin/python\"; exit; fi\n\
             if [ \"$1 $2\" = '-m pip' ]; then\n\
               echo \"pip $*\" >> '{log}'\n\
               printf '#!/bin/sh\\necho \"grade {version}\"\\n' > \"$(dirname \"$0\")/grade\"\n\
               chmod +x \"$(dirname \"$0\")/grade\"; exit 0\n\
             fi\n\
             exit 2\n",
            log = log.display()
        ),
    )
    .unwrap();
    make_executable(&python);
    let (r, calls) = setup(&tree, prefix.path(), &[("NETGRADE_SETUP_PYTHON", &python)]);
    r.code(0);
    r.stderr_has("the bundled grade says \"grade 0.0.1\"");
    r.stdout_has(&format!("installing netgrade=={version} from PyPI"));
    assert!(
        calls.contains(&format!(
            "install --disable-pip-version-check --no-cache-dir netgrade=={version}"
        )),
        "{calls}"
    );
    assert!(calls.contains("--no-cache-dir -r "), "{calls}");
    let installed = prefix.path().join("bin/grade");
    assert_eq!(
        std::fs::read_link(&installed).unwrap(),
        prefix.path().join("lib/netgrade/grade/bin/grade")
    );
    run(&mut Command::new(&installed)).stdout_has(&format!("grade {version}"));
    assert!(
        prefix
            .path()
            .join("lib/netgrade/python/bin/python")
            .exists()
    );
}

#[test]
fn the_bundle_scripts_pass_shellcheck() {
    let available = Command::new("shellcheck")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        return skip("shellcheck is not installed (apt-get install shellcheck)");
    }
    let dir = tempfile::tempdir().unwrap();
    package_into(dir.path(), &["--no-binary"]).code(0);
    let scripts = ["setup.sh", "run_autograder"].map(|s| dir.path().join(s));
    run(Command::new("shellcheck").args(&scripts)).code(0);
}

/// A lab about a library brings it along: lab07's bundle installs requests, lab09's
/// websockets, and lab01's nothing unless staff ask.
#[test]
fn a_labs_own_library_is_in_its_bundle() {
    let dir = tempfile::tempdir().unwrap();
    for (lab, wanted) in [
        ("lab07", Some("requests")),
        ("lab09", Some("websockets")),
        ("lab01", None),
    ] {
        let out = dir.path().join(lab);
        run(grade()
            .args(["package", "gradescope", lab, "--no-binary", "--out"])
            .arg(&out))
        .code(0);
        let req = std::fs::read_to_string(out.join("requirements.txt")).ok();
        match wanted {
            Some(name) => assert!(req.is_some_and(|r| r.contains(name)), "{lab}"),
            None => assert!(req.is_none(), "{lab}: {req:?}"),
        }
    }
}
