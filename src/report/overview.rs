//! What `grade` with no lab shows: one line per lab as it is graded, then a total.
//!
//! ```text
//! lab01  ip_port_http  PASS  10/10
//! lab02  dns           FAIL   9/10  failed: usage
//! Total 19/20 · labs passed 1/2
//! Details: grade lab02
//! ```

use std::io::{self, Write};
use std::path::Path;

use anstyle::{AnsiColor, Style};

use super::outcome::{LabResult, Outcome, Why};
use crate::i18n::Lang;

/// Lines of a child's stderr shown under a lab that could not be graded (the end, where the
/// reason is).
const STDERR_LINES: usize = 20;

pub struct OverviewReporter {
    pub lang: Lang,
    pub color: bool,
}

impl OverviewReporter {
    fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }

    fn t<'a>(&self, ko: &'a str, en: &'a str) -> &'a str {
        self.lang.pick(ko, en)
    }

    /// The first line: where the labs are read from.
    pub fn header(&self, submission: &Path, out: &mut dyn Write) -> io::Result<()> {
        let label = self.t("제출물", "submission");
        writeln!(out, "{label}: {}", submission.display())?;
        writeln!(out)
    }

    /// One lab's line, and under it, for a lab that could not be graded, why.
    pub fn lab_line(&self, r: &LabResult, out: &mut dyn Write) -> io::Result<()> {
        let (word, style) = match &r.outcome {
            Outcome::Graded(s) if !s.errors.is_empty() => (self.t("오류", "ERROR"), error_style()),
            Outcome::Graded(s) if s.passed && s.failed.is_empty() => {
                (self.t("통과", "PASS"), AnsiColor::Green.on_default().bold())
            }
            Outcome::Graded(_) => (self.t("실패", "FAIL"), AnsiColor::Red.on_default().bold()),
            Outcome::Setup { .. } => (
                self.t("실행 불가", "SETUP"),
                AnsiColor::Yellow.on_default().bold(),
            ),
            Outcome::GraderError { .. } => (self.t("채점 오류", "ERROR"), error_style()),
        };
        let score = match &r.outcome {
            Outcome::Graded(s) => format!("{}/{}", points(s.score), points(s.max_score)),
            _ => "-".to_string(),
        };
        // Korean words are two columns wide each: pad by display width, not by `char`s.
        let width = self.lang.pick("실행 불가", "ERROR");
        let word = format!("{}{}", self.paint(style, word), pad(word, columns(width)));
        let mut line = format!("{:<5}  {:<12}  {word} {score:>6}", r.lab.key, r.lab.name);
        let mut details = Vec::new();
        if let Outcome::Graded(s) = &r.outcome {
            if !s.failed.is_empty() {
                let label = self.t("실패한 검사", "failed");
                details.push(format!("{label}: {}", s.failed.join(", ")));
            }
            if !s.errors.is_empty() {
                let label = self.t("오류가 난 검사", "errors");
                details.push(format!("{label}: {}", s.errors.join(", ")));
            }
        }
        if !details.is_empty() {
            line.push_str("  ");
            line.push_str(&details.join(" · "));
        }
        writeln!(out, "{}", line.trim_end())?;
        let (why, stderr) = match &r.outcome {
            Outcome::Graded(_) => return Ok(()),
            Outcome::Setup { stderr } => (None, stderr),
            Outcome::GraderError { why, stderr } => (Some(why), stderr),
        };
        let pad = "       ";
        if let Some(why) = why {
            writeln!(out, "{pad}{}", explain_why(self.lang, r.lab.key, why))?;
            let fault = self.t(
                "채점기 또는 이 컴퓨터의 문제이며, 제출한 프로그램의 문제가 아닙니다",
                "a problem with the grader or this machine, not with your program",
            );
            writeln!(out, "{pad}({fault})")?;
        }
        let lines: Vec<&str> = stderr.trim_end().lines().collect();
        for l in &lines[lines.len().saturating_sub(STDERR_LINES)..] {
            writeln!(out, "{pad}│ {l}")?;
        }
        Ok(())
    }

    /// The total over the labs graded, and how to see one lab's details.
    pub fn total(&self, results: &[LabResult], out: &mut dyn Write) -> io::Result<()> {
        let graded = results.iter().filter_map(|r| match &r.outcome {
            Outcome::Graded(s) => Some(s),
            _ => None,
        });
        let (score, max) = graded.fold((0.0, 0.0), |(a, b), s| (a + s.score, b + s.max_score));
        let passed = results.iter().filter(|r| r.exit_code() == 0).count();
        writeln!(out)?;
        let text = match self.lang {
            Lang::Ko => format!(
                "합계 {}/{}점 · 통과한 실습 {passed}/{}개",
                points(score),
                points(max),
                results.len()
            ),
            Lang::En => format!(
                "Total {}/{} · labs passed {passed}/{}",
                points(score),
                points(max),
                results.len()
            ),
        };
        writeln!(out, "{}", self.paint(Style::new().bold(), &text))?;
        let todo: Vec<String> = results
            .iter()
            .filter(|r| r.exit_code() != 0)
            .map(|r| format!("grade {}", r.lab.key))
            .collect();
        if !todo.is_empty() {
            let label = self.t("자세히 보려면", "Details");
            writeln!(out, "{label}: {}", todo.join(" · "))?;
        }
        Ok(())
    }

    /// No lab's files in the submission: what was looked for, and where to run `grade`.
    pub fn nothing_found(
        &self,
        root: &Path,
        looked_for: &[String],
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let root = root.display();
        match self.lang {
            Lang::Ko => {
                writeln!(out, "grade: 채점할 실습을 찾지 못했습니다: {root}")?;
                writeln!(out, "다음 파일을 찾아보았습니다:")?;
            }
            Lang::En => {
                writeln!(out, "grade: found no lab to grade in {root}.")?;
                writeln!(out, "Looked for:")?;
            }
        }
        for p in looked_for {
            writeln!(out, "  {p}")?;
        }
        writeln!(
            out,
            "{}",
            self.t(
                "실습 저장소의 최상위 폴더에서 실행하거나 --submission DIR 옵션으로 위치를 알려 주세요. 실습 하나만 채점하려면: grade lab01",
                "Run grade from the root of your lab repository, or pass --submission DIR. To grade one lab: grade lab01",
            )
        )
    }

    /// After Ctrl+C or SIGTERM.
    pub fn interrupted(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "grade: {}",
            self.t(
                "중단했습니다. 채점 중이던 프로그램도 종료했습니다",
                "interrupted; your program was stopped",
            )
        )
    }
}

fn error_style() -> Style {
    AnsiColor::Magenta.on_default().bold()
}

/// Spaces that bring `s` to `width` terminal columns.
fn pad(s: &str, width: usize) -> String {
    " ".repeat(width.saturating_sub(columns(s)))
}

/// Terminal columns of `s` (Hangul takes two).
fn columns(s: &str) -> usize {
    s.chars()
        .map(|c| {
            if matches!(c, '\u{1100}'..='\u{115F}' | '\u{3130}'..='\u{318F}' | '\u{AC00}'..='\u{D7A3}')
            {
                2
            } else {
                1
            }
        })
        .sum()
}

fn points(p: f64) -> String {
    if p.fract() == 0.0 {
        format!("{p:.0}")
    } else {
        format!("{p:.1}")
    }
}

/// Why the grading of `lab` failed as a whole, in `lang` (the overview's lab lines, the batch's
/// summaries and class page).
pub fn explain_why(lang: Lang, lab: &str, why: &Why) -> String {
    match (lang, why) {
        (Lang::Ko, Why::Spawn(e)) => format!("{lab} 채점을 시작하지 못했습니다: {e}"),
        (Lang::En, Why::Spawn(e)) => format!("could not start the grading of {lab}: {e}"),
        (Lang::Ko, Why::Deadline(s)) => {
            format!("{lab} 채점이 {s}초 안에 끝나지 않아 중단했습니다")
        }
        (Lang::En, Why::Deadline(s)) => {
            format!("the grading of {lab} did not end within {s} s and was stopped")
        }
        (Lang::Ko, Why::Wait(e)) => format!("{lab} 채점이 끝나기를 기다리지 못했습니다: {e}"),
        (Lang::En, Why::Wait(e)) => format!("could not wait for the grading of {lab}: {e}"),
        (Lang::Ko, Why::ExitCode(c)) => {
            format!("{lab} 채점이 예상하지 못한 종료 코드로 끝났습니다 ({c})")
        }
        (Lang::En, Why::ExitCode(c)) => {
            format!("the grading of {lab} ended with an unexpected exit code {c}")
        }
        (Lang::Ko, Why::Signal) => format!("{lab} 채점 프로세스가 신호를 받고 종료되었습니다"),
        (Lang::En, Why::Signal) => format!("the grading of {lab} was killed by a signal"),
        (Lang::Ko, Why::TooLarge) => format!("{lab} 채점 결과가 너무 커서 읽지 않았습니다"),
        (Lang::En, Why::TooLarge) => format!("the report of {lab} was too large to read"),
        (Lang::Ko, Why::NoReport(c, e)) => {
            format!("{lab} 채점이 끝났지만 읽을 수 있는 결과가 없습니다 (종료 코드 {c}, {e})")
        }
        (Lang::En, Why::NoReport(c, e)) => {
            format!("the grading of {lab} exited with {c} and no readable report ({e})")
        }
        (Lang::Ko, Why::ErrorWithoutCheck) => {
            format!("{lab} 채점이 오류로 끝났지만 오류가 난 검사가 결과에 없습니다")
        }
        (Lang::En, Why::ErrorWithoutCheck) => {
            format!("the grading of {lab} exited with 3 but its report names no check in error")
        }
        (Lang::Ko, Why::WrongLab(other)) => {
            format!("{lab} 채점을 요청했는데 {other}의 결과가 왔습니다")
        }
        (Lang::En, Why::WrongLab(other)) => {
            format!("asked for {lab} but got a report of {other}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::outcome::Summary;
    use super::*;
    use crate::lab::LabId;

    fn results() -> Vec<LabResult> {
        let summary = |score, failed: &[&str], errors: &[&str]| Summary {
            passed: failed.is_empty() && errors.is_empty(),
            score,
            max_score: 10.0,
            failed: failed.iter().map(|s| s.to_string()).collect(),
            errors: errors.iter().map(|s| s.to_string()).collect(),
            warnings: Vec::new(),
        };
        vec![
            LabResult {
                lab: LabId::Lab01.info(),
                outcome: Outcome::Graded(summary(10.0, &[], &[])),
            },
            LabResult {
                lab: LabId::Lab02.info(),
                outcome: Outcome::Graded(summary(8.5, &["usage", "format"], &[])),
            },
            LabResult {
                lab: LabId::Lab03.info(),
                outcome: Outcome::Graded(summary(9.0, &["refused"], &["default_port"])),
            },
            LabResult {
                lab: LabId::Lab02.info(),
                outcome: Outcome::Setup {
                    stderr: "grade: no Python interpreter found: tried python3, python".into(),
                },
            },
            LabResult {
                lab: LabId::Lab03.info(),
                outcome: Outcome::GraderError {
                    why: Why::Signal,
                    stderr: "first\nlast".into(),
                },
            },
        ]
    }

    fn render(lang: Lang, color: bool) -> String {
        let r = OverviewReporter { lang, color };
        let mut out = Vec::new();
        r.header(Path::new("/home/student/netprog"), &mut out)
            .unwrap();
        let results = results();
        for l in &results {
            r.lab_line(l, &mut out).unwrap();
        }
        r.total(&results, &mut out).unwrap();
        r.nothing_found(
            Path::new("/home/student"),
            &LabId::all()
                .flat_map(|info| info.programs.iter().map(|p| p.file.to_string()))
                .chain(["grade.toml".to_string()])
                .collect::<Vec<_>>(),
            &mut out,
        )
        .unwrap();
        r.interrupted(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn overview_english() {
        insta::assert_snapshot!(render(Lang::En, false));
    }

    #[test]
    fn overview_korean() {
        insta::assert_snapshot!(render(Lang::Ko, false));
    }

    #[test]
    fn colour_is_only_added_when_asked() {
        assert!(!render(Lang::En, false).contains('\u{1b}'));
        assert!(render(Lang::En, true).contains('\u{1b}'));
    }

    #[test]
    fn hangul_is_two_columns_wide() {
        assert_eq!(pad("통과", 9).len(), 5);
        assert_eq!(pad("PASS", 9).len(), 5);
        assert_eq!(pad("실행 불가", 9).len(), 0);
    }
}
