//! Staff's own grader files: `grade init-graders` copies the built-in ones out,
//! `grade check-graders` validates a copy without student code, and `grade snapshot` makes a
//! lab's snapshots from its reference (`--check`: fails, with a diff, when they are stale).

use std::path::Path;

use crate::util::*;

const SOLUTION06: &str = "exercises/lab06_http_server/solution";
const SERVER06: &str = "labs/06_http_server/server.py";

fn init(dir: &Path, labs: &[&str]) -> Run {
    run(grade().arg("init-graders").arg(dir).args(labs))
}

/// `grade lab06 --only body` on `submission` with the staff directory `graders`.
fn body_status(submission: &Path, graders: &Path) -> (Run, serde_json::Value) {
    let r = run(grade()
        .args(["lab06", "--only", "body", "--format", "json", "--seed", "7"])
        .arg("--submission")
        .arg(submission)
        .arg("--graders")
        .arg(graders));
    assert_nothing_left(submission);
    let v = r.json();
    let body = check(&v, "body").clone();
    (r, body)
}

/// A course changes lab06's body in its copy's `[reference]`: the snapshot follows only once
/// `grade snapshot` has been run (`--check` shows the change first), and then a submission
/// that sends the course's sentence passes `body` while the handout's sentence fails.
#[test]
fn a_changed_body_text_in_a_copied_definition_is_picked_up_after_grade_snapshot() {
    let staff = tempfile::tempdir().unwrap();
    init(staff.path(), &["lab06"]).code(0);
    let toml = staff.path().join("lab06/lab.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    assert!(text.contains("body = \"Hello, client!\""), "{text}");
    std::fs::write(
        &toml,
        text.replace("body = \"Hello, client!\"", "body = \"Hello, students!\""),
    )
    .unwrap();
    let course = copy_submission(&root().join(SOLUTION06));
    let server = course.path().join(SERVER06);
    let code = std::fs::read_to_string(&server).unwrap();
    assert!(code.contains("Hello, client!"));
    std::fs::write(&server, code.replace("Hello, client!", "Hello, students!")).unwrap();

    // Not yet: the snapshot is still the handout's.
    let (r, body) = body_status(course.path(), staff.path());
    assert_eq!(body["status"], "failed", "{r}");
    let r = run(grade()
        .args(["snapshot", "lab06", "--check", "--graders"])
        .arg(staff.path()));
    r.code(1)
        .stdout_has("stale")
        .stdout_has("-old snapshot\n+new results")
        .stdout_has("    1       │-Hello, client!")
        .stdout_has("          1 │+Hello, students!")
        .stderr_has("grade snapshot LAB --graders");
    let snap = staff.path().join("lab06/snapshots/body.txt");
    assert_eq!(std::fs::read_to_string(&snap).unwrap(), "Hello, client!\n");

    run(grade()
        .args(["snapshot", "lab06", "--graders"])
        .arg(staff.path()))
    .code(0)
    .stdout_has("wrote");
    assert_eq!(
        std::fs::read_to_string(&snap).unwrap(),
        "Hello, students!\n"
    );
    run(grade()
        .args(["snapshot", "lab06", "--check", "--graders"])
        .arg(staff.path()))
    .code(0)
    .stdout_has("up to date");

    let (r, body) = body_status(course.path(), staff.path());
    assert_eq!(body["status"], "passed", "{r}");
    let handout = copy_submission(&root().join(SOLUTION06));
    let (r, body) = body_status(handout.path(), staff.path());
    assert_eq!(body["status"], "failed", "{r}");
    assert!(
        body["expected"]
            .as_str()
            .unwrap_or_default()
            .contains("Hello, students!"),
        "{r}"
    );
    // The reference itself answers with the course's text when given the directory.
    let sub = reference_submission("lab06");
    std::fs::write(
        sub.path().join("grade.toml"),
        format!(
            "[lab06]\ncommand = [{:?}, \"reference\", \"lab06\", \"--graders\", {:?}]\n",
            grade_bin().display().to_string(),
            staff.path().display().to_string()
        ),
    )
    .unwrap();
    let (r, body) = body_status(sub.path(), staff.path());
    assert_eq!(body["status"], "passed", "{r}");
}

/// A snapshot edited by hand no longer is the reference's output: `--check` fails with the
/// diff, and so does `check-graders`; the snapshots built into grade are up to date.
#[test]
fn a_stale_snapshot_fails_check() {
    let staff = tempfile::tempdir().unwrap();
    init(staff.path(), &["lab01"]).code(0);
    let snap = staff.path().join("lab01/snapshots/body.txt");
    let text = std::fs::read_to_string(&snap).unwrap();
    std::fs::write(&snap, text.replace("OK!", "OK!!")).unwrap();
    run(grade()
        .args(["snapshot", "lab01", "--check", "--graders"])
        .arg(staff.path()))
    .code(1)
    .stdout_has("lab01/snapshots/body.txt: stale")
    .stdout_has("    1       │-OK!! You reached the server.")
    .stdout_has("          1 │+OK! You reached the server.")
    .stdout_has("    2     2 │ client_ip=<CLIENT_IP>");
    assert!(std::fs::read_to_string(&snap).unwrap().contains("OK!!"));
    run(grade().arg("check-graders").arg(staff.path()))
        .code(2)
        .stdout_has("lab01  error:")
        .stdout_has("differs from what the reference gives");
    run(grade().args(["snapshot", "--check"]))
        .code(0)
        .stdout_has("<embedded>/lab01/snapshots/body.txt: up to date")
        .stdout_has("<embedded>/lab03/snapshots/transcript.txt: up to date")
        .stdout_has("<embedded>/lab06/snapshots/body.txt: up to date");
    // Writing needs a directory: the built-in snapshots are inside the binary.
    run(grade().args(["snapshot", "lab01"]))
        .code(2)
        .stderr_has("--graders DIR");
}

/// Dropping a prerequisite the code relies on is refused with the reason, by check-graders
/// and by a grading that uses the copy, before any student code runs.
#[test]
fn a_definition_that_drops_a_needed_prerequisite_is_rejected_with_the_reason() {
    let staff = tempfile::tempdir().unwrap();
    init(staff.path(), &["lab06"]).code(0);
    let toml = staff.path().join("lab06/lab.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    let at = text.find("id = \"body\"").unwrap();
    let (head, tail) = text.split_at(at);
    let tail = tail.replacen("needs = [\"status_200\"]\n", "", 1);
    std::fs::write(&toml, format!("{head}{tail}")).unwrap();
    let reason = "check `body` must keep needs = [\"starts\"]";
    run(grade().arg("check-graders").arg(staff.path()))
        .code(2)
        .stdout_has(reason)
        .stdout_has("its code cannot run without it");
    let sub = copy_submission(&root().join(SOLUTION06));
    run(grade()
        .args(["lab06", "--submission"])
        .arg(sub.path())
        .arg("--graders")
        .arg(staff.path()))
    .code(2)
    .stderr_has(reason);
    assert_nothing_left(sub.path());
}

/// A fresh copy of every lab is valid; an existing copy is kept unless --force; a folder
/// that is not a lab's key is named.
#[test]
fn init_graders_copies_every_lab_and_keeps_existing_files() {
    let staff = tempfile::tempdir().unwrap();
    init(staff.path(), &[])
        .code(0)
        .stdout_has("lab03/snapshots/transcript.txt");
    let r = run(grade().arg("check-graders").arg(staff.path()));
    r.code(0);
    for lab in [
        "lab01", "lab02", "lab03", "lab04", "lab05", "lab06", "lab07", "lab08", "lab09", "lab10",
    ] {
        r.stdout_has(&format!("{lab}  ok: "));
    }
    let toml = staff.path().join("lab02/lab.toml");
    std::fs::write(&toml, "# mine\n").unwrap();
    init(staff.path(), &["lab02"])
        .code(2)
        .stderr_has("already there")
        .stderr_has("--force");
    assert_eq!(std::fs::read_to_string(&toml).unwrap(), "# mine\n");
    init(staff.path(), &["lab02", "--force"]).code(0);
    assert!(
        std::fs::read_to_string(&toml)
            .unwrap()
            .starts_with("# Copied by `grade init-graders`")
    );
    std::fs::create_dir(staff.path().join("lab1")).unwrap();
    run(grade().arg("check-graders").arg(staff.path()))
        .code(0)
        .stdout_has("lab1  ignored: not a lab folder: name it lab01");
    let empty = tempfile::tempdir().unwrap();
    run(grade().arg("check-graders").arg(empty.path()))
        .code(2)
        .stderr_has("no lab folder");
}
