//! The GitHub Actions templates shipped for courses (`templates/github/`), parsed and held to
//! what the README promises: the student's grades on push with `--format github` and hands
//! the `result` output to GitHub Classroom's reporter; the staff's grades one shard per job of
//! a matrix that covers 1..=N, and merges them in a job that waits for the matrix. Every action
//! is pinned to a major version, and every `grade` option used exists.
//! (`scripts/lint-workflows` runs actionlint on them too.)

use serde_yaml_ng::Value;

use crate::release::{steps, str_of};
use crate::util::*;

fn template(name: &str) -> Value {
    let path = root().join("templates/github").join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn step<'a>(job: &'a Value, uses: &str) -> &'a Value {
    job["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|s| s["uses"] == uses)
        .unwrap_or_else(|| panic!("no step uses {uses}"))
}

/// The commands a job runs, joined (folded `>-` blocks become one line).
fn runs(job: &Value) -> Vec<String> {
    job["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|s| s["run"].as_str())
        .map(|r| r.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// Every action by major version (`@v4`), like the release workflow; every `run` or `uses`.
fn pinned(w: &Value) {
    for (job, s) in steps(w) {
        if let Some(uses) = s["uses"].as_str() {
            let (_, version) = uses.split_once('@').unwrap_or((uses, ""));
            let major = version.strip_prefix('v').unwrap_or("");
            assert!(
                !major.is_empty() && major.chars().all(|c| c.is_ascii_digit()),
                "{job}: {uses} is not pinned to a major version"
            );
        }
        assert!(
            s["uses"].is_string() != s["run"].is_string(),
            "{job}: {s:?}"
        );
    }
}

/// Each `--option` a template gives `grade SUBCOMMAND` is in that command's `--help`.
fn options_exist(command: &str, subcommand: &[&str]) {
    let words: Vec<&str> = command.split_whitespace().collect();
    let help = run(grade().args(subcommand).arg("--help"));
    help.code(0);
    for w in words.iter().filter(|w| w.starts_with("--")) {
        let option = w.split('=').next().unwrap();
        assert!(
            help.stdout.contains(option),
            "`{command}`: grade {} has no {option}",
            subcommand.join(" ")
        );
    }
}

#[test]
fn the_student_template_grades_on_push_for_github_classroom() {
    let w = template("student.yml");
    pinned(&w);
    assert!(w["on"]["push"].is_null() && w["on"].get("push").is_some());
    assert_eq!(w["permissions"]["contents"], "read");
    assert_eq!(
        w["permissions"]["checks"], "write",
        "the reporter's check run"
    );
    let job = &w["jobs"]["grade"];
    assert!(step(job, "actions/setup-python@v5")["with"]["python-version"].is_string());
    let runs = runs(job);
    assert!(runs.iter().any(|r| r == "python -m pip install netgrade"));
    let grade_step = job["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|s| s["run"].as_str().is_some_and(|r| r.starts_with("grade ")))
        .expect("a step runs grade");
    let command = str_of(&grade_step["run"]);
    assert!(command.contains("--format github"), "{command}");
    options_exist(command, &[]);
    // The reporter reads the grading step's `result` output, named after the step's id.
    let id = str_of(&grade_step["id"]);
    let reporter = step(job, "classroom-resources/autograding-grading-reporter@v1");
    assert_eq!(reporter["with"]["runners"], id);
    assert_eq!(
        reporter["env"][format!("{}_RESULTS", id.to_uppercase())],
        format!("${{{{ steps.{id}.outputs.result }}}}")
    );
    // A failed check fails the grading step; the points must be reported all the same.
    assert_eq!(reporter["if"], "${{ !cancelled() }}");
}

#[test]
fn the_staff_template_shards_the_class_and_merges_it() {
    let w = template("staff.yml");
    pinned(&w);
    let grade_job = &w["jobs"]["grade"];
    let strategy = &grade_job["strategy"];
    assert_eq!(
        strategy["fail-fast"], false,
        "a grader error must not cancel the rest"
    );
    let matrix = strategy["matrix"].as_mapping().unwrap();
    assert_eq!(
        matrix.len(),
        1,
        "N is the number of jobs: shard must be the only dimension"
    );
    let shards: Vec<u64> = strategy["matrix"]["shard"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|k| k.as_u64().unwrap())
        .collect();
    assert!(shards.len() >= 2);
    assert_eq!(shards, (1..=shards.len() as u64).collect::<Vec<_>>());
    let batch = runs(grade_job)
        .into_iter()
        .find(|r| r.starts_with("grade batch "))
        .expect("a step runs grade batch");
    assert!(
        batch.contains("--shard ${{ matrix.shard }}/${{ strategy.job-total }}"),
        "{batch}"
    );
    assert!(
        batch.contains("--seed ${{ github.run_id }}"),
        "one seed for every shard"
    );
    options_exist(&batch, &["batch"]);
    let upload = step(grade_job, "actions/upload-artifact@v4");
    assert_eq!(upload["with"]["name"], "shard-${{ matrix.shard }}");
    assert_eq!(
        upload["if"], "${{ !cancelled() }}",
        "a shard with errors still uploads"
    );

    let merge = &w["jobs"]["merge"];
    let needs: Vec<&str> = match &merge["needs"] {
        Value::String(s) => vec![s.as_str()],
        v => v.as_sequence().unwrap().iter().map(str_of).collect(),
    };
    assert_eq!(needs, ["grade"], "the merge waits for every shard");
    assert_eq!(merge["if"], "${{ !cancelled() }}");
    let download = step(merge, "actions/download-artifact@v4");
    assert_eq!(download["with"]["pattern"], "shard-*");
    let into = str_of(&download["with"]["path"]);
    let merging = runs(merge)
        .into_iter()
        .find(|r| r.starts_with("grade batch-merge "))
        .expect("a step runs grade batch-merge");
    // The folders it merges are the downloaded artifacts, one folder per shard.
    let downloaded = into.replace("${{ runner.temp }}", "\"$RUNNER_TEMP\"");
    assert!(
        merging.contains(&format!("{downloaded}/shard-*")),
        "{merging} vs {into}"
    );
    options_exist(&merging, &["batch-merge"]);
    let report = step(merge, "actions/upload-artifact@v4");
    assert_eq!(report["with"]["name"], "class-report");
}
