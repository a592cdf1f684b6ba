//! `grade` with no lab: grade every lab found in the submission, one after another, each in a
//! child `grade labNN --format json` (see [`crate::subgrade`] for why a child), and collect one
//! summary per lab. Nothing here prints: [`crate::report::overview`] renders the results.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::interrupt::Interrupt;
use crate::lab::{LabId, LabInfo};
use crate::labs;
use crate::report::exit;
use crate::report::outcome::{LabResult, Outcome};
use crate::subgrade::child_grading;

/// The labs that can be graded here: implemented, and with one of their files in the submission
/// or a `[labNN]` table in its `grade.toml`. In catalogue order.
pub fn find_labs(root: &Path) -> Vec<&'static LabInfo> {
    let toml_tables = grade_toml_tables(root);
    LabId::all()
        .filter(|info| labs::is_implemented(info.id))
        .filter(|info| {
            info.programs.iter().any(|p| root.join(p.file).is_file())
                || toml_tables.contains(&info.key)
        })
        .collect()
}

/// What [`find_labs`] looks for, relative to the submission root, for the message when it
/// finds nothing.
pub fn looked_for() -> Vec<String> {
    LabId::all()
        .filter(|info| labs::is_implemented(info.id))
        .flat_map(|info| info.programs.iter().map(|p| p.file.to_string()))
        .chain(["grade.toml".to_string()])
        .collect()
}

/// The `[labNN]` tables of `grade.toml`. An unreadable or invalid file counts as none here:
/// the lab's own grading reports it (exit 2, naming the file) when its main file exists.
fn grade_toml_tables(root: &Path) -> Vec<&'static str> {
    let Ok(text) = std::fs::read_to_string(root.join("grade.toml")) else {
        return Vec::new();
    };
    let Ok(table) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    LabId::all()
        .map(|info| info.key)
        .filter(|key| table.get(*key).is_some_and(toml::Value::is_table))
        .collect()
}

/// What to run.
#[derive(Clone, Debug)]
pub struct Plan {
    /// This binary.
    pub exe: PathBuf,
    /// The submission root, as given to every child.
    pub submission: PathBuf,
    pub labs: Vec<&'static LabInfo>,
    /// Options given to every child after `labNN --format json --submission DIR`
    /// (`--lang ko`, `--python PATH`, `--hermetic off`, ...).
    pub forward: Vec<OsString>,
}

/// Where the run is, for a caller that shows progress.
pub enum Progress<'a> {
    Started(&'static LabInfo),
    Finished(&'a LabResult),
}

/// Every lab graded, or those graded before an interruption.
#[derive(Debug)]
pub struct Overview {
    pub results: Vec<LabResult>,
    pub interrupted: bool,
}

impl Overview {
    /// 130 when interrupted, else the worst lab's code: a grader error (3) outranks a setup
    /// problem (2), which outranks a failed check (1).
    pub fn exit_code(&self) -> i32 {
        if self.interrupted {
            return exit::INTERRUPTED;
        }
        self.results
            .iter()
            .map(LabResult::exit_code)
            .max()
            .unwrap_or(exit::PASSED)
    }
}

/// Grades the plan's labs one after another (simple, and predictable for the student's
/// machine). Ctrl+C or SIGTERM stops the current child politely and ends the run.
pub async fn run(
    plan: &Plan,
    interrupt: &mut Interrupt,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Overview {
    let mut results = Vec::new();
    for &lab in &plan.labs {
        progress(Progress::Started(lab));
        let Some(outcome) = grade_one(plan, lab, interrupt).await else {
            return Overview {
                results,
                interrupted: true,
            };
        };
        let result = LabResult { lab, outcome };
        progress(Progress::Finished(&result));
        results.push(result);
    }
    Overview {
        results,
        interrupted: false,
    }
}

/// One child grading; `None` when interrupted.
async fn grade_one(plan: &Plan, lab: &LabInfo, interrupt: &mut Interrupt) -> Option<Outcome> {
    let mut args: Vec<OsString> = vec![
        lab.key.into(),
        "--format".into(),
        "json".into(),
        "--submission".into(),
        plan.submission.clone().into(),
    ];
    args.extend(plan.forward.iter().cloned());
    child_grading(&plan.exe, &args, &[], lab, interrupt.recv())
        .await
        .map(|(outcome, _)| outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::outcome::Summary;

    fn lab01() -> &'static LabInfo {
        LabId::Lab01.info()
    }

    #[test]
    fn the_worst_lab_decides_the_exit_code() {
        let graded = |failed: &[&str]| LabResult {
            lab: lab01(),
            outcome: Outcome::Graded(Summary {
                passed: failed.is_empty(),
                score: 1.0,
                max_score: 1.0,
                failed: failed.iter().map(|s| s.to_string()).collect(),
                errors: vec![],
                warnings: vec![],
            }),
        };
        let setup = LabResult {
            lab: lab01(),
            outcome: Outcome::Setup {
                stderr: String::new(),
            },
        };
        let o = |results, interrupted| Overview {
            results,
            interrupted,
        };
        assert_eq!(o(vec![graded(&[])], false).exit_code(), 0);
        assert_eq!(o(vec![graded(&[]), graded(&["x"])], false).exit_code(), 1);
        assert_eq!(o(vec![graded(&["x"]), setup.clone()], false).exit_code(), 2);
        assert_eq!(o(vec![graded(&[])], true).exit_code(), 130);
    }

    #[test]
    fn labs_are_found_by_file_or_grade_toml_table() {
        let dir = tempfile::tempdir().unwrap();
        assert!(find_labs(dir.path()).is_empty());
        let app = dir.path().join(lab01().main_file());
        std::fs::create_dir_all(app.parent().unwrap()).unwrap();
        std::fs::write(&app, "").unwrap();
        std::fs::write(
            dir.path().join("grade.toml"),
            "[lab03]\ncommand = [\"./client\"]\n",
        )
        .unwrap();
        let keys: Vec<_> = find_labs(dir.path()).iter().map(|l| l.key).collect();
        assert_eq!(keys, ["lab01", "lab03"]);
        std::fs::write(dir.path().join("grade.toml"), "not toml [").unwrap();
        let keys: Vec<_> = find_labs(dir.path()).iter().map(|l| l.key).collect();
        assert_eq!(keys, ["lab01"]);
    }
}
