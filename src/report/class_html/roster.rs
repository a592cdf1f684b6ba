//! The table of students and each student's details: the part of the class report a
//! teacher reads student by student.

use std::fmt::{self, Write};

use super::format::*;
use super::{FIELD, MESSAGE, NAME_CHARS, Page};
use crate::i18n::{Lang, Msg};
use crate::report::Status;
use crate::report::class_stats::{CheckIn, Outcome, ReportIn, STATUSES, Student};

impl Page<'_> {
    pub(super) fn table(&self, s: &mut String) -> fmt::Result {
        let lang = self.lang;
        write!(
            s,
            "<section id=\"students\">\n<h2>{}</h2>\n<p class=\"note\">{}</p>\n<div class=\"scroll\">\n<table id=\"student-table\">\n<caption class=\"sr\">{}</caption>\n<thead><tr>",
            self.t("학생 목록", "Students"),
            self.t(
                "열 제목을 누르면 정렬되고, 이름을 누르면 그 학생의 세부 결과가 열립니다.",
                "Click a column heading to sort; click a name to open that student's details."
            ),
            self.t(
                "학생별 점수와 검사 결과",
                "Each student's score and outcomes"
            )
        )?;
        let columns: [(&str, bool); 10] = [
            (self.t("학생", "Student"), false),
            (self.t("점수", "Score"), true),
            (self.t("결과", "Result"), true),
            (status_word(lang, Status::Passed), true),
            (status_word(lang, Status::Failed), true),
            (status_word(lang, Status::Warning), true),
            (status_word(lang, Status::Skipped), true),
            (self.t("오류", "Errors"), true),
            (self.t("실패한 검사", "Failed checks"), false),
            (self.t("채점 시간", "Time"), true),
        ];
        for (i, (name, numeric)) in columns.iter().enumerate() {
            let class = if *numeric && i != 2 {
                " class=\"num\""
            } else {
                ""
            };
            let kind = if *numeric { "num" } else { "text" };
            write!(
                s,
                "<th scope=\"col\"{class} data-type=\"{kind}\" aria-sort=\"none\"><button type=\"button\">{name}</button></th>"
            )?;
        }
        s.push_str("</tr></thead>\n<tbody>\n");
        for (i, student) in self.stats.students.iter().enumerate() {
            self.row(s, i, student)?;
        }
        s.push_str("</tbody>\n</table>\n</div>\n</section>\n");
        Ok(())
    }

    fn row(&self, s: &mut String, i: usize, student: &Student) -> fmt::Result {
        let name = esc(&short(&student.name, NAME_CHARS));
        // A grader error sorts to the bottom (page.js); a setup problem is a 0 among the rest.
        let state = match student.outcome {
            Outcome::GraderError(_) => " data-err",
            Outcome::Setup(_) => " data-setup",
            Outcome::Graded(_) => "",
        };
        // `grade batch --capture`: the grading's packets, beside this page in captures/.
        let capture = student
            .report()
            .and_then(|r| r.capture.as_ref())
            .and_then(|c| std::path::Path::new(&c.file).file_name())
            .map(|f| {
                format!(
                    " <a class=\"cap\" href=\"captures/{}\" download>pcapng</a>",
                    esc(&super::format::url_segment(&f.to_string_lossy()))
                )
            })
            .unwrap_or_default();
        write!(
            s,
            "<tr data-i=\"{i}\"{state}><th scope=\"row\" class=\"name\" data-v=\"{name}\"><a href=\"#s-{i}\">{name}</a>{capture}</th>",
        )?;
        match &student.outcome {
            Outcome::GraderError(why) | Outcome::Setup(why) => {
                let first = why.lines().next().unwrap_or_default();
                let score = match student.outcome {
                    Outcome::Setup(_) => format!(
                        "<td class=\"num score\" data-v=\"0\">{}{}</td>",
                        self.zero(),
                        mini_bar(0.0)
                    ),
                    _ => "<td class=\"num\" data-v=\"-1\">—</td>".to_string(),
                };
                write!(s, "{score}<td data-v=\"-1\">{}</td>", self.verdict(student))?;
                for _ in 0..5 {
                    s.push_str("<td class=\"num zero\" data-v=\"-1\">—</td>");
                }
                write!(s, "<td class=\"why\">{}</td>", esc(&short(first, 120)))?;
            }
            Outcome::Graded(r) => {
                let f = r.fraction();
                write!(
                    s,
                    "<td class=\"num score\" data-v=\"{f:.4}\">{}/{}{}</td>",
                    points(r.score),
                    points(r.max_score),
                    mini_bar(f)
                )?;
                let rank = if r.counts().failed > 0 {
                    0
                } else if r.counts().error > 0 {
                    1
                } else {
                    2
                };
                write!(s, "<td data-v=\"{rank}\">{}</td>", self.verdict(student))?;
                let c = r.counts();
                for st in [
                    Status::Passed,
                    Status::Failed,
                    Status::Warning,
                    Status::Skipped,
                    Status::Error,
                ] {
                    let n = c.get(st);
                    let class = match n {
                        0 => "zero".to_string(),
                        _ => format!("n-{}", status_name(st)),
                    };
                    write!(s, "<td class=\"num {class}\">{n}</td>")?;
                }
                let failed: Vec<&str> = r
                    .checks
                    .iter()
                    .filter(|c| c.status == Status::Failed)
                    .map(|c| c.id.as_str())
                    .collect();
                write!(
                    s,
                    "<td class=\"ids\" data-v=\"{}\">",
                    esc(&failed.join(" "))
                )?;
                for (k, id) in failed.iter().enumerate() {
                    let sep = if k > 0 { ", " } else { "" };
                    write!(s, "{sep}<code>{}</code>", esc(id))?;
                }
                s.push_str("</td>");
            }
        }
        writeln!(
            s,
            "<td class=\"num\" data-v=\"{}\">{}</td></tr>",
            student.duration_ms,
            seconds(self.lang, student.duration_ms)
        )
    }

    /// A setup problem's score: 0 out of the class's maximum when the reports agree on one.
    fn zero(&self) -> String {
        match self.stats.uniform_max {
            Some(max) => format!("0/{}", points(max)),
            None => "0".to_string(),
        }
    }

    /// The badge of a whole submission.
    fn verdict(&self, student: &Student) -> String {
        let (class, word) = match &student.outcome {
            Outcome::GraderError(_) => ("st-grader", self.t("채점 오류", "grader error")),
            Outcome::Setup(_) => ("st-setup", self.t("제출물 문제", "setup problem")),
            Outcome::Graded(r) if r.counts().failed > 0 => ("st-failed", self.t("실패", "failed")),
            Outcome::Graded(r) if r.counts().error > 0 => {
                ("st-error", self.t("일부 채점 오류", "check error"))
            }
            Outcome::Graded(_) => ("st-passed", self.t("통과", "passed")),
        };
        format!("<span class=\"badge {class}\">{word}</span>")
    }

    pub(super) fn details(&self, s: &mut String) -> fmt::Result {
        write!(
            s,
            "<section id=\"details\">\n<div class=\"tools\" id=\"details-tools\" hidden><button type=\"button\" data-act=\"open\">{}</button><button type=\"button\" data-act=\"close\">{}</button></div>\n<h2>{}</h2>\n",
            self.t("모두 펼치기", "Expand all"),
            self.t("모두 접기", "Collapse all"),
            self.t("학생별 세부 결과", "Each student's results")
        )?;
        for (i, student) in self.stats.students.iter().enumerate() {
            self.student(s, i, student)?;
        }
        s.push_str("</section>\n");
        Ok(())
    }

    fn student(&self, s: &mut String, i: usize, student: &Student) -> fmt::Result {
        write!(
            s,
            "<details class=\"student\" id=\"s-{i}\">\n<summary><span class=\"who\">{}</span>{}",
            esc(&short(&student.name, NAME_CHARS)),
            self.verdict(student)
        )?;
        // No report: say whose problem it is, then what the grading said.
        let (why, head) = match &student.outcome {
            Outcome::Graded(r) => return self.report(s, r),
            Outcome::GraderError(why) => (
                why,
                format!(
                    "</summary>\n<div class=\"body\">\n<p class=\"fault\">{}</p>\n",
                    self.t(
                        "채점기가 이 제출물을 채점하지 못했습니다. 학생의 잘못이 아니므로 점수를 매기지 않았습니다.",
                        "The grader could not grade this submission. This is not the student's fault, so no score was given."
                    )
                ),
            ),
            Outcome::Setup(why) => (
                why,
                format!(
                    "<span>{}</span></summary>\n<div class=\"body\">\n<p class=\"setup\">{}</p>\n",
                    self.zero(),
                    self.t(
                        "제출물을 실행할 수 없었습니다(파일 누락, 잘못된 grade.toml 등). 학생이 고쳐야 할 문제이므로 0점으로 채점했습니다.",
                        "The submission could not be run (a missing file, a broken grade.toml). The student can fix this, so it was graded 0."
                    )
                ),
            ),
        };
        s.push_str(&head);
        if !why.trim().is_empty() {
            writeln!(s, "<pre>{}</pre>", text(why, (FIELD.0, MESSAGE.1 * 2)))?;
        }
        s.write_str("</div>\n</details>\n")
    }

    /// The rest of a graded student's details: the counts, then each check that did not pass.
    fn report(&self, s: &mut String, r: &ReportIn) -> fmt::Result {
        let lang = self.lang;
        let c = r.counts();
        let counts: Vec<String> = STATUSES
            .iter()
            .filter(|&&st| st != Status::Passed && c.get(st) > 0)
            .map(|&st| match lang {
                Lang::Ko => format!("{} {}개", status_word(lang, st), c.get(st)),
                Lang::En => format!("{} {}", status_word(lang, st), c.get(st)),
            })
            .collect();
        write!(
            s,
            "<span>{}/{}</span><span class=\"counts\">{}</span></summary>\n<div class=\"body\">\n",
            points(r.score),
            points(r.max_score),
            counts.join(" · ")
        )?;
        if let Some(ff) = &r.fix_first {
            let line = match lang {
                Lang::Ko => format!(
                    "먼저 고칠 검사: <code>{}</code> (이 검사 때문에 건너뛴 검사 {}개)",
                    esc(&ff.id),
                    ff.blocks
                ),
                Lang::En => format!(
                    "Fix first: <code>{}</code> ({} skipped check{} wait on it)",
                    esc(&ff.id),
                    ff.blocks,
                    if ff.blocks == 1 { "" } else { "s" }
                ),
            };
            writeln!(s, "<p>{line}</p>")?;
        }
        if !r.notices.is_empty() {
            write!(
                s,
                "<p>{}</p>\n<ul class=\"plain\">",
                self.t("채점기가 알린 사항:", "Notices:")
            )?;
            for n in &r.notices {
                write!(s, "<li>{}</li>", text(n, MESSAGE))?;
            }
            s.push_str("</ul>\n");
        }
        let shown = |st: Status| matches!(st, Status::Failed | Status::Error | Status::Warning);
        for check in r.checks.iter().filter(|c| shown(c.status)) {
            self.check(s, check)?;
        }
        let skipped: Vec<&CheckIn> = r
            .checks
            .iter()
            .filter(|c| c.status == Status::Skipped)
            .collect();
        if !skipped.is_empty() {
            write!(
                s,
                "<p class=\"muted\">{}</p>\n<ul class=\"plain muted\">",
                self.t("건너뛴 검사:", "Skipped:")
            )?;
            for c in skipped {
                write!(s, "<li><code>{}</code>", esc(&c.id))?;
                if let Some(m) = &c.message {
                    write!(s, " — {}", text(m, MESSAGE))?;
                }
                s.push_str("</li>");
            }
            s.push_str("</ul>\n");
        }
        let passed: Vec<String> = r
            .checks
            .iter()
            .filter(|c| c.status == Status::Passed)
            .map(|c| format!("<code>{}</code>", esc(&c.id)))
            .collect();
        if passed.len() == r.checks.len() {
            writeln!(
                s,
                "<p>{}</p>",
                self.t("모든 검사를 통과했습니다.", "Every check passed.")
            )?;
        } else if !passed.is_empty() {
            writeln!(
                s,
                "<p class=\"muted\">{} {}</p>",
                self.t("통과한 검사:", "Passed:"),
                passed.join(", ")
            )?;
        }
        s.write_str("</div>\n</details>\n")
    }

    /// One failed, warned or errored check of a student.
    fn check(&self, s: &mut String, c: &CheckIn) -> fmt::Result {
        let lang = self.lang;
        write!(
            s,
            "<div class=\"check {}\">\n<h4><span class=\"badge {}\">{}</span> <code>{}</code> {}</h4>\n",
            status_name(c.status),
            status_class_badge(c.status),
            status_word(lang, c.status),
            esc(&c.id),
            esc(&c.title)
        )?;
        if let Some(m) = &c.message {
            writeln!(s, "<p>{}</p>", text(m, MESSAGE))?;
        }
        if c.status == Status::Error {
            writeln!(
                s,
                "<p class=\"fault\">{}</p>",
                self.t(
                    "채점기나 채점한 컴퓨터의 문제이며, 학생의 잘못이 아닙니다.",
                    "A problem with the grader or the machine, not the student's."
                )
            )?;
        }
        if c.expected.is_some() || c.actual.is_some() {
            s.push_str("<div class=\"pair\">");
            for (label, v) in [(Msg::Expected, &c.expected), (Msg::Actual, &c.actual)] {
                if let Some(v) = v {
                    write!(
                        s,
                        "<div class=\"field\"><span>{}</span><pre>{}</pre></div>",
                        lang.msg(label),
                        text(v, FIELD)
                    )?;
                }
            }
            s.push_str("</div>\n");
        }
        if let Some(d) = &c.diff {
            writeln!(
                s,
                "<div class=\"field\"><span>{}</span><pre class=\"diff\">{}</pre></div>",
                lang.msg(Msg::Diff),
                text(d, FIELD)
            )?;
        }
        if let Some(h) = &c.hint {
            writeln!(
                s,
                "<p class=\"tip\"><b>{}:</b> {}</p>",
                lang.msg(Msg::Hint),
                text(h, MESSAGE)
            )?;
        }
        if let Some(o) = &c.output {
            for (label, v) in [
                (
                    self.t("프로그램의 표준 출력 (stdout)", "program's stdout"),
                    &o.stdout,
                ),
                (
                    self.t("프로그램의 표준 오류 (stderr)", "program's stderr"),
                    &o.stderr,
                ),
            ] {
                if !v.is_empty() {
                    writeln!(
                        s,
                        "<div class=\"field\"><span>{label}</span><pre>{}</pre></div>",
                        text(&tail(v, FIELD.1 - 1), FIELD)
                    )?;
                }
            }
            if o.dropped_bytes > 0 {
                let n = o.dropped_bytes;
                let line = match lang {
                    Lang::Ko => format!("출력이 너무 길어 {n}바이트는 잘렸습니다."),
                    Lang::En => format!("Output truncated: {n} bytes dropped."),
                };
                writeln!(s, "<p class=\"muted\">{line}</p>")?;
            }
        }
        s.write_str("</div>\n")
    }
}

/// The small bar beside a score: the share of the points, 0..=1.
fn mini_bar(f: f64) -> String {
    format!(
        "<svg class=\"mini\" viewBox=\"0 0 100 8\" width=\"56\" height=\"8\" aria-hidden=\"true\"><rect class=\"track\" width=\"100\" height=\"8\" rx=\"2\"/><rect class=\"fill{}\" width=\"{:.0}\" height=\"8\" rx=\"2\"/></svg>",
        if f >= 1.0 { " full" } else { "" },
        f * 100.0
    )
}
