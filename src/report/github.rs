//! `--format github`: a report for GitHub Actions, in three parts.
//!
//! 1. On stdout, one plain line per check as it finishes, and a GitHub *workflow command* for
//!    each check that did not simply pass: `::error` for a failure or a grader error,
//!    `::warning` for an advisory warning. GitHub turns these into annotations on the run
//!    (and on the pull request), so the student sees what failed without opening the log.
//! 2. [`GithubFiles::step_summary`]: a Markdown summary appended to the job's summary page
//!    (see [`super::markdown`]).
//! 3. [`GithubFiles::output`]: GitHub Classroom's autograding result as the step output
//!    `result` (see [`super::classroom`]).
//!
//! The command line reads `$GITHUB_STEP_SUMMARY` and `$GITHUB_OUTPUT` and hands the paths in
//! here: reporting code never reads the environment, so it is tested with any path.
//!
//! Everything in a workflow command that came from a check goes through [`escape_data`] or
//! [`escape_property`]: GitHub's rules, which also keep a newline in a message (student
//! output is shown in failures) from starting a command of its own.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::PathBuf;

use super::details::{details, fix_first_line, points, replay_line, summary_line};
use super::{CheckResult, Event, Report, Reporter, Status};
use crate::i18n::Lang;

/// The workflow commands and plain lines on stdout.
#[derive(Default)]
pub struct GithubReporter {
    lab: String,
    lang: Option<Lang>,
}

impl Reporter for GithubReporter {
    fn event(&mut self, event: &Event<'_>, out: &mut dyn Write) -> io::Result<()> {
        match event {
            Event::Started {
                lab, title, lang, ..
            } => {
                self.lab = lab.to_string();
                self.lang = Some(*lang);
                writeln!(out, "netgrade {lab}: {title}")
            }
            Event::CheckFinished(c) => self.check(c, out),
            Event::Finished(r) => {
                // Notices are outside every check and never a failure (a shared network, a
                // process left behind): GitHub's `notice` level, not a warning.
                for n in &r.notices {
                    writeln!(
                        out,
                        "::notice title={}::{}",
                        escape_property(&format!("netgrade {}", r.lab)),
                        escape_data(n)
                    )?;
                }
                if let Some(fix) = fix_first_line(r) {
                    writeln!(out, "{fix}")?;
                }
                writeln!(out, "{}", summary_line(r))?;
                writeln!(out, "{}", replay_line(r))
            }
        }
    }
}

impl GithubReporter {
    fn check(&self, c: &CheckResult, out: &mut dyn Write) -> io::Result<()> {
        let lang = self.lang.unwrap_or(Lang::En);
        let points = if c.max_score == 0.0 {
            "-".to_string()
        } else {
            format!("{}/{}", points(c.score), points(c.max_score))
        };
        writeln!(
            out,
            "{} {} {}: {} ({points})",
            mark(c.status),
            status_word(c.status),
            c.id,
            c.title
        )?;
        let command = match c.status {
            Status::Failed | Status::Error => "error",
            Status::Warning => "warning",
            Status::Passed => return Ok(()),
            // Said in the log only: the failure that made it skip has its own annotation.
            Status::Skipped => {
                let text = details(c, lang);
                if !text.is_empty() {
                    writeln!(out, "    {}", text.replace('\n', " "))?;
                }
                return Ok(());
            }
        };
        let title = format!("{} {}: {}", self.lab, c.id, c.title);
        writeln!(
            out,
            "::{command} title={}::{}",
            escape_property(&title),
            escape_data(&details(c, lang))
        )
    }
}

fn mark(s: Status) -> &'static str {
    match s {
        Status::Passed => "✓",
        Status::Failed => "✗",
        Status::Skipped => "-",
        Status::Error => "!",
        Status::Warning => "⚠",
    }
}

/// Spelled out too: a log search for "failed" should find the line.
fn status_word(s: Status) -> &'static str {
    match s {
        Status::Passed => "passed",
        Status::Failed => "failed",
        Status::Skipped => "skipped",
        Status::Error => "error",
        Status::Warning => "warning",
    }
}

/// A workflow command's message: `%`, CR and LF are escaped, so a message stays one line.
pub fn escape_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// A workflow command's property value (`title=...`): as [`escape_data`], plus `:` and `,`,
/// which would end the value.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// The files GitHub Actions reads after a step, each appended to when named.
#[derive(Clone, Debug, Default)]
pub struct GithubFiles {
    /// `$GITHUB_STEP_SUMMARY`: Markdown shown on the job's summary page.
    pub step_summary: Option<PathBuf>,
    /// `$GITHUB_OUTPUT`: the step's outputs, `name=value` lines.
    pub output: Option<PathBuf>,
}

impl GithubFiles {
    pub fn paths(&self) -> impl Iterator<Item = &PathBuf> {
        self.step_summary.iter().chain(&self.output)
    }

    /// Appends the summary and the `result` output; other steps may have written there
    /// already, and later ones will, so nothing is truncated.
    pub fn write(&self, report: &Report, title: &str) -> io::Result<()> {
        if let Some(path) = &self.step_summary {
            let mut text = Vec::new();
            super::markdown::step_summary(report, title, &mut text)?;
            append(path, &text)?;
        }
        if let Some(path) = &self.output {
            let mut text = Vec::new();
            super::classroom::write_output(report, &mut text)?;
            append(path, &text)?;
        }
        Ok(())
    }
}

/// One write of the whole text, so that it lands in one piece after whatever is there.
fn append(path: &std::path::Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = OpenOptions::new().create(true).append(true).open(path)?;
    f.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::sample_report;
    use super::*;

    #[test]
    fn data_escapes_percent_cr_and_lf_only() {
        assert_eq!(
            escape_data("100% done\r\nnext: a,b"),
            "100%25 done%0D%0Anext: a,b"
        );
        assert_eq!(
            escape_data("%0A"),
            "%250A",
            "an escape sequence in the text stays text"
        );
        assert_eq!(escape_data("한국어 ✓"), "한국어 ✓");
    }

    #[test]
    fn properties_also_escape_colon_and_comma() {
        assert_eq!(
            escape_property("lab01 body: a, b\n%"),
            "lab01 body%3A a%2C b%0A%25"
        );
    }

    #[test]
    fn a_newline_in_student_output_cannot_start_a_command() {
        let mut report = sample_report(Lang::En);
        report.checks[1].output.as_mut().unwrap().stdout = "x\n::error::fake\n%0A".into();
        let mut out = Vec::new();
        let mut r = GithubReporter::default();
        super::super::replay(&mut r, "ip_port_http", "IP, ports", &report, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        for line in text.lines().filter(|l| l.starts_with("::")) {
            assert!(
                line.starts_with("::error title=")
                    || line.starts_with("::warning title=")
                    || line.starts_with("::notice title="),
                "{line}"
            );
        }
        assert!(text.contains("x%0A  ::error::fake%0A  %250A"), "{text}");
    }

    #[test]
    fn github_commands_shape() {
        let report = sample_report(Lang::En);
        let mut out = Vec::new();
        let mut r = GithubReporter::default();
        super::super::replay(&mut r, "ip_port_http", "IP, ports", &report, &mut out).unwrap();
        insta::assert_snapshot!(String::from_utf8(out).unwrap());
    }

    #[test]
    fn files_are_appended_to_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let files = GithubFiles {
            step_summary: Some(dir.path().join("summary.md")),
            output: Some(dir.path().join("output")),
        };
        std::fs::write(dir.path().join("output"), "earlier=1\n").unwrap();
        let report = sample_report(Lang::En);
        files.write(&report, "IP, ports").unwrap();
        let output = std::fs::read_to_string(dir.path().join("output")).unwrap();
        let mut lines = output.lines();
        assert_eq!(lines.next(), Some("earlier=1"));
        assert!(lines.next().unwrap().starts_with("result="), "{output}");
        assert_eq!(lines.next(), None);
        let summary = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
        assert!(summary.contains("netgrade lab01"), "{summary}");
    }
}
