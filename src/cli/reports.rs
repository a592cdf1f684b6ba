//! Where one grading's reports go: `--format` on stdout, `--report FORMAT=PATH` (repeatable)
//! and `--output FILE` (an alias of `--report json=FILE`) in files, and with the `github`
//! format GitHub's step summary and step output.
//!
//! Every path is checked before any student code runs (outside the submission, no file named
//! twice), and every file is written only once the run is over: by then the runner has torn
//! down every process the submission started, so none of them can race the grader for a
//! report file or write one of its own into it.

use std::path::{Path, PathBuf};

use clap::ValueEnum;

use super::{Format, exit, inside, usage};
use crate::definition::Visibility;
use crate::report::github::{GithubFiles, GithubReporter};
use crate::report::gradescope::GradescopeReporter;
use crate::report::human::HumanReporter;
use crate::report::json::JsonReporter;
use crate::report::junit::JunitReporter;
use crate::report::{self, Report, Reporter};

/// One `--report FORMAT=PATH`.
#[derive(Clone, Debug)]
pub(super) struct ReportFile {
    pub format: Format,
    pub path: PathBuf,
}

/// Parses `FORMAT=PATH` (clap's value parser for `--report`).
pub(super) fn parse_report(s: &str) -> Result<ReportFile, String> {
    let formats = "human, json, junit, gradescope, github";
    let Some((format, path)) = s.split_once('=') else {
        return Err(format!(
            "expected FORMAT=PATH, e.g. junit=results.xml (formats: {formats})"
        ));
    };
    let format = Format::from_str(format, false)
        .map_err(|_| format!("unknown format `{format}` (formats: {formats})"))?;
    if path.is_empty() {
        return Err("the PATH after `=` is empty".into());
    }
    Ok(ReportFile {
        format,
        path: PathBuf::from(path),
    })
}

/// What a reporter needs besides the events.
pub(super) struct Context {
    pub color: bool,
    pub verbose: bool,
    /// Each check's Gradescope visibility, from the grader definition.
    pub visibility: Vec<(String, Visibility)>,
}

/// The reporter for `format`.
pub(super) fn reporter(format: Format, cx: &Context) -> Box<dyn Reporter> {
    match format {
        Format::Human => Box::new(HumanReporter::new(cx.color, cx.verbose)),
        Format::Json => Box::new(JsonReporter),
        Format::Junit => Box::new(JunitReporter::default()),
        Format::Gradescope => Box::new(GradescopeReporter::new(cx.visibility.iter().cloned())),
        Format::Github => Box::new(GithubReporter::default()),
    }
}

/// The files to write after the run.
pub(super) struct Files {
    reports: Vec<ReportFile>,
    /// GitHub's files, when the `github` format is asked for anywhere.
    github: GithubFiles,
    /// The submission's root, checked against again when writing.
    root: PathBuf,
}

impl Files {
    /// Checks every path against the submission's root, before anything runs. `github_env`
    /// holds `$GITHUB_STEP_SUMMARY` and `$GITHUB_OUTPUT`, used only when a `github` report is
    /// asked for (on stdout or in a file).
    pub fn plan(
        stdout: Format,
        mut reports: Vec<ReportFile>,
        output: Option<&Path>,
        github_env: GithubFiles,
        root: &Path,
    ) -> Result<Files, i32> {
        let given = reports.len();
        if let Some(out) = output {
            reports.push(ReportFile {
                format: Format::Json,
                path: out.to_path_buf(),
            });
        }
        let wants_github =
            stdout == Format::Github || reports.iter().any(|r| r.format == Format::Github);
        let github = if wants_github {
            github_env
        } else {
            GithubFiles::default()
        };
        let mut seen: Vec<PathBuf> = Vec::new();
        for (i, r) in reports.iter().enumerate() {
            // Named as it was given, so the message points at the option to change.
            let option = if i < given {
                format!("--report {}={}", name(r.format), r.path.display())
            } else {
                format!("--output {}", r.path.display())
            };
            if inside(&r.path, root) || is_symlink(&r.path) {
                return Err(usage(format!(
                    "{option}: the report must be written outside the submission ({}), and not through a symbolic link",
                    root.display()
                )));
            }
            let abs = absolute(&r.path);
            // Checked now rather than found out after the grading; and `inside` can only
            // resolve symlinks and `..` in a directory that exists.
            if let Some(dir) = abs.parent()
                && !dir.is_dir()
            {
                return Err(usage(format!(
                    "{option}: the directory {} does not exist",
                    dir.display()
                )));
            }
            if seen.contains(&abs) {
                return Err(usage(format!(
                    "{option}: another report is already written to this file"
                )));
            }
            seen.push(abs);
        }
        for (var, path) in [
            ("GITHUB_STEP_SUMMARY", &github.step_summary),
            ("GITHUB_OUTPUT", &github.output),
        ] {
            if let Some(p) = path
                && inside(p, root)
            {
                return Err(usage(format!(
                    "${var} ({}) is inside the submission ({}): grade writes there only outside it",
                    p.display(),
                    root.display()
                )));
            }
        }
        Ok(Files {
            reports,
            github,
            root: root.to_path_buf(),
        })
    }

    /// Writes every file; a file that cannot be written is the grader's failure (exit 3),
    /// reported after trying the others.
    pub fn write(&self, cx: &Context, report: &Report, lab_name: &str, title: &str) -> i32 {
        let mut code = exit::PASSED;
        let targets = self
            .reports
            .iter()
            .map(|r| &r.path)
            .chain(self.github.paths());
        for path in targets {
            if let Err(why) = self.still_safe(path) {
                eprintln!("grade: refusing to write {}: {why}", path.display());
                return exit::GRADER;
            }
        }
        // A file is never a terminal: no colour, whatever stdout is.
        let cx = Context {
            color: false,
            verbose: cx.verbose,
            visibility: cx.visibility.clone(),
        };
        for r in &self.reports {
            let mut text = Vec::new();
            let rendered = report::replay(
                reporter(r.format, &cx).as_mut(),
                lab_name,
                title,
                report,
                &mut text,
            );
            if let Err(e) = rendered.and_then(|_| std::fs::write(&r.path, &text)) {
                eprintln!("grade: failed to write {}: {e}", r.path.display());
                code = exit::GRADER;
            }
        }
        if let Err(e) = self.github.write(report, title) {
            let paths: Vec<String> = self
                .github
                .paths()
                .map(|p| p.display().to_string())
                .collect();
            eprintln!("grade: failed to write {}: {e}", paths.join(" or "));
            code = exit::GRADER;
        }
        code
    }

    /// The checks made before the run, made again: the submission's programs ran in between,
    /// and one that could write near a report's path may have put a symlink there (into the
    /// submission, or onto a file of the grader's).
    fn still_safe(&self, path: &Path) -> Result<(), &'static str> {
        if inside(path, &self.root) {
            return Err("it is now inside the submission");
        }
        if is_symlink(path) {
            return Err("it is a symbolic link (made while the submission ran?)");
        }
        Ok(())
    }
}

/// GitHub's files from the environment, each only when set to something.
pub(super) fn github_env() -> GithubFiles {
    let path = |var: &str| {
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    GithubFiles {
        step_summary: path("GITHUB_STEP_SUMMARY"),
        output: path("GITHUB_OUTPUT"),
    }
}

fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// `path` made absolute against the current directory (not resolved: only to compare).
fn absolute(path: &Path) -> PathBuf {
    std::env::current_dir().unwrap_or_default().join(path)
}

/// How a format is spelled on the command line.
pub(super) fn name(f: Format) -> String {
    f.to_possible_value()
        .map(|p| p.get_name().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_values_name_a_format_and_a_path() {
        let r = parse_report("junit=out/results.xml").unwrap();
        assert_eq!(r.format, Format::Junit);
        assert_eq!(r.path, PathBuf::from("out/results.xml"));
        // Only the first `=` separates: a path may hold one.
        let r = parse_report("json=a=b.json").unwrap();
        assert_eq!(r.path, PathBuf::from("a=b.json"));
        assert!(
            parse_report("results.xml")
                .unwrap_err()
                .contains("FORMAT=PATH")
        );
        assert!(
            parse_report("yaml=x")
                .unwrap_err()
                .contains("unknown format `yaml`")
        );
        assert!(parse_report("json=").unwrap_err().contains("empty"));
    }

    /// What the submission's programs could do to a report's path while they ran.
    #[cfg(unix)]
    #[test]
    fn a_symlink_made_during_the_run_is_refused_when_writing() {
        let sub = tempfile::tempdir().unwrap();
        let root = sub.path().canonicalize().unwrap();
        let out = tempfile::tempdir().unwrap();
        let report = out.path().join("grade.json");
        let files = Files::plan(
            Format::Human,
            vec![ReportFile {
                format: Format::Json,
                path: report.clone(),
            }],
            None,
            GithubFiles::default(),
            &root,
        )
        .unwrap();
        assert!(files.still_safe(&report).is_ok());
        std::os::unix::fs::symlink(root.join("grade.json"), &report).unwrap();
        assert!(
            files
                .still_safe(&report)
                .unwrap_err()
                .contains("symbolic link")
        );
        // A directory swapped for a link into the submission.
        let dir = out.path().join("d");
        std::os::unix::fs::symlink(&root, &dir).unwrap();
        assert!(
            files
                .still_safe(&dir.join("r.json"))
                .unwrap_err()
                .contains("inside")
        );
    }
}
