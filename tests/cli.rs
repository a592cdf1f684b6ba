//! The command-line contract: exit codes, lab spellings, setup errors named clearly.

use crate::util::*;

#[test]
fn help_documents_exit_codes() {
    let r = run(grade().arg("--help"));
    r.code(0)
        .stdout_has("Exit codes:")
        .stdout_has("3  the grader itself failed");
}

#[test]
fn list_shows_the_labs() {
    run(grade().arg("list"))
        .code(0)
        .stdout_has("lab01")
        .stdout_has("labs/01_ip_port_http/app.py")
        .stdout_has("labs/04_udp_echo/udp_server.py labs/04_udp_echo/udp_client.py");
}

#[test]
fn unknown_lab_is_a_usage_error() {
    run(grade().arg("lab99"))
        .code(2)
        .stderr_has("unknown lab `lab99`");
}

/// Without a lab, `grade` grades every lab it finds; the grader's own repository has none.
#[test]
fn missing_lab_argument_outside_a_lab_repository_is_a_usage_error() {
    run(&mut grade()).code(2).stderr_has("found no lab");
}

#[test]
fn missing_student_file_names_the_path_expected() {
    let empty = tempfile::tempdir().unwrap();
    run(grade().args(["lab01", "--submission"]).arg(empty.path()))
        .code(2)
        .stderr_has("labs/01_ip_port_http/app.py");
}

#[test]
fn missing_python_is_a_setup_error() {
    let r = run(std::process::Command::new(grade_bin())
        .args([
            "lab01",
            "--submission",
            "exercises/lab01_ip_port_http/solution",
        ])
        .args(["--python", "/nonexistent/python3"])
        .current_dir(root()));
    r.code(2).stderr_has("no Python interpreter found");
}

#[test]
fn unknown_only_check_is_rejected_before_anything_runs() {
    run(grade().args([
        "lab01",
        "--submission",
        "exercises/lab01_ip_port_http/solution",
        "--only",
        "nope",
    ]))
    .code(2)
    .stderr_has("--only nope");
}

#[test]
fn staff_grader_with_unknown_key_is_rejected_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let lab = dir.path().join("lab01");
    std::fs::create_dir_all(lab.join("snapshots")).unwrap();
    let text = std::fs::read_to_string(root().join("graders/lab01/lab.toml")).unwrap();
    let text = text.replacen("points = 2", "points = 2\npoints_bonus = 1", 1);
    std::fs::write(lab.join("lab.toml"), text).unwrap();
    run(grade()
        .args([
            "lab01",
            "--submission",
            "exercises/lab01_ip_port_http/solution",
            "--graders",
        ])
        .arg(dir.path()))
    .code(2)
    .stderr_has("points_bonus");
}

/// A command that cannot start is the student's setup to fix, not a failed check: exit 2,
/// before anything runs, naming grade.toml, in the student's language.
#[test]
fn grade_toml_command_that_does_not_exist_is_a_setup_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("grade.toml"),
        "[lab01]\ncommand = [\"pyhton3\", \"labs/01_ip_port_http/app.py\"]\n",
    )
    .unwrap();
    run(grade().args(["lab01", "--submission"]).arg(dir.path()))
        .code(2)
        .stderr_has("grade.toml")
        .stderr_has("`pyhton3` was not found");
    run(grade()
        .args(["lab01", "--lang", "ko", "--submission"])
        .arg(dir.path()))
    .code(2)
    .stderr_has("grade.toml의 명령을 고쳐 주세요");
    // A file of the submission is found where the command names it.
    std::fs::write(dir.path().join("run.sh"), "#!/bin/sh\nexit 1\n").unwrap();
    std::fs::write(
        dir.path().join("grade.toml"),
        "[lab01]\ncommand = [\"./missing.sh\"]\n",
    )
    .unwrap();
    run(grade().args(["lab01", "--submission"]).arg(dir.path()))
        .code(2)
        .stderr_has("./missing.sh");
}

#[test]
fn setup_errors_read_in_korean_too() {
    let dir = tempfile::tempdir().unwrap();
    run(grade()
        .args(["lab01", "--lang", "ko", "--submission"])
        .arg(dir.path()))
    .code(2)
    .stderr_has("labs/01_ip_port_http/app.py 파일을 찾을 수 없습니다");
    run(grade().args(["lab99", "--lang", "ko"]))
        .code(2)
        .stderr_has("실습은 없습니다");
}

#[test]
fn bad_grade_toml_is_a_setup_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("grade.toml"),
        "[lab01]\ncommand = \"not a list\"\n",
    )
    .unwrap();
    run(grade().args(["lab01", "--submission"]).arg(dir.path()))
        .code(2)
        .stderr_has("grade.toml");
}

#[test]
fn output_file_is_written_outside_the_submission_only() {
    use assert_cmd::Command;
    use predicates::prelude::*;
    let sub = copy_submission(&root().join("exercises/lab01_ip_port_http/solution"));
    let inside = sub.path().join("result.json");
    let mut cmd = Command::new(grade_bin());
    cmd.env("NO_COLOR", "1").current_dir(root());
    cmd.args(["lab01", "--submission"])
        .arg(sub.path())
        .arg("--output")
        .arg(&inside)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("outside the submission"));
    assert!(!inside.exists());

    let out_dir = tempfile::tempdir().unwrap();
    let outside = out_dir.path().join("result.json");
    let mut cmd = Command::new(grade_bin());
    cmd.env("NO_COLOR", "1").current_dir(root());
    if let Some(py) = python() {
        cmd.env("NETGRADE_PYTHON", py);
    }
    cmd.args(["lab01", "--lang", "en", "--submission"])
        .arg(sub.path())
        .arg("--output")
        .arg(&outside)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("PASS · score 10/10"));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&outside).unwrap()).unwrap();
    assert_eq!(v["passed"], true);
    assert_nothing_left(sub.path());
}

#[test]
fn run_as_root_or_nonsense_is_refused() {
    for bad in ["0", "0:0", "nobody", "12:x"] {
        run(grade().args([
            "lab01",
            "--submission",
            "exercises/lab01_ip_port_http/solution",
            "--run-as",
            bad,
        ]))
        .code(2)
        .stderr_has("--run-as");
    }
}
