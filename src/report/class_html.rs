//! `OUT/index.html` of `grade batch`: the whole class in one self-contained page, opened from
//! disk. Summary cards, the score histogram and each check's outcomes (inline SVG), the checks
//! most often failed with their commonest messages, a sortable table of students, and each
//! student's failures (expected, actual, hint, output) in a `<details>` that opens on click.
//!
//! Nothing is loaded from anywhere: the style sheet and a small script are inline, and the
//! page's Content-Security-Policy (`class_html/csp.rs`) forbids every load and every other
//! script. All that comes from a report (student names, messages, output) is clipped and
//! escaped: control characters are shown as `\xNN`, markup as text. The page reads fully
//! without the script (it only sorts, opens a linked student, and opens everything before
//! printing).
//!
//! The output depends on its input alone (no clock, no randomness), so it is snapshot-tested.
//! The numbers come from [`super::class_stats`]; this file draws the page and its overview,
//! `charts.rs` the SVG, `roster.rs` the table and each student's details, `format.rs` the
//! escaping and the words.

mod charts;
mod csp;
mod format;
mod roster;

use std::fmt::{self, Write};
use std::io;

use super::class_stats::{ClassStats, STATUSES, Student, TOP_MESSAGES};
use crate::i18n::{Lang, Msg};
use format::*;

const CSS: &str = include_str!("class_html/page.css");
const JS: &str = include_str!("class_html/page.js");

/// Characters of a student's name shown (folder names can be anything).
const NAME_CHARS: usize = 80;
/// A message, hint or grader error: characters per line, lines.
const MESSAGE: (usize, usize) = (300, 12);
/// Expected, actual, diff and output: what the JSON report itself keeps.
const FIELD: (usize, usize) = (200, 40);

/// One submission of a batch, as the batch saw it.
#[derive(Clone, Debug)]
pub struct Graded {
    /// The student's folder name.
    pub name: String,
    pub outcome: Submitted,
    pub duration_ms: u64,
}

/// What the batch got for a submission.
#[derive(Clone, Debug)]
pub enum Submitted {
    /// Its schema-1 JSON report.
    Report(serde_json::Value),
    /// The student's setup problem (their file is missing, their `grade.toml` broken): graded,
    /// worth nothing. What the grading said.
    Setup(String),
    /// Why the grader failed on it (grader error, crash, timeout).
    GraderError(String),
}

/// Renders the class report: one self-contained HTML file.
pub fn render_html(
    lab: &str,
    lab_title: &str,
    graded: &[Graded],
    lang: Lang,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let stats = ClassStats::new(graded);
    let page = Page {
        lab,
        lab_title,
        lang,
        stats: &stats,
    };
    let mut s = String::new();
    page.write(&mut s)
        .map_err(|_| io::Error::other("could not format the class report"))?;
    out.write_all(s.as_bytes())
}

struct Page<'a> {
    lab: &'a str,
    lab_title: &'a str,
    lang: Lang,
    stats: &'a ClassStats,
}

impl Page<'_> {
    fn t<'s>(&self, ko: &'s str, en: &'s str) -> &'s str {
        self.lang.pick(ko, en)
    }

    fn write(&self, s: &mut String) -> fmt::Result {
        let lang = match self.lang {
            Lang::Ko => "ko",
            Lang::En => "en",
        };
        let heading = format!("{} {}", self.lab, self.lab_title);
        write!(
            s,
            "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
             <meta name=\"referrer\" content=\"no-referrer\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"generator\" content=\"netgrade\">\n<title>{} — {}</title>\n\
             <style>{CSS}</style>\n</head>\n<body>\n",
            csp::policy(CSS, JS),
            esc(heading.trim()),
            self.t("반 전체 채점 결과", "class report")
        )?;
        self.header(s)?;
        s.push_str("<main>\n");
        self.summary(s)?;
        self.charts(s)?;
        self.top_failures(s)?;
        self.table(s)?;
        self.details(s)?;
        s.push_str("</main>\n");
        write!(
            s,
            "<footer>{}</footer>\n<script>{JS}</script>\n</body>\n</html>\n",
            self.t(
                "netgrade가 만든 보고서입니다. 학생 한 명 한 명의 전체 결과는 이 파일과 같은 폴더의 JSON 보고서에서 볼 수 있습니다.",
                "Made by netgrade. Each student's full results are in the JSON reports beside this file."
            )
        )
    }

    fn header(&self, s: &mut String) -> fmt::Result {
        let links = [
            ("summary", self.t("요약", "Summary")),
            ("scores", self.t("점수 분포", "Scores")),
            ("checks", self.t("검사별 통과율", "Pass rates")),
            ("top", self.t("많이 실패한 검사", "Most failed")),
            ("students", self.t("학생 목록", "Students")),
            ("details", self.t("학생별 세부 결과", "Details")),
        ];
        write!(
            s,
            "<header>\n<p class=\"kicker\">netgrade · {}</p>\n<h1><code>{}</code> {}</h1>\n<nav aria-label=\"{}\">",
            self.t("반 전체 채점 결과", "class report"),
            esc(self.lab),
            esc(self.lab_title),
            self.t("목차", "Contents")
        )?;
        for (id, text) in links {
            write!(s, "<a href=\"#{id}\">{text}</a>")?;
        }
        s.push_str("</nav>\n</header>\n");
        Ok(())
    }

    fn summary(&self, s: &mut String) -> fmt::Result {
        let st = self.stats;
        let lang = self.lang;
        let with_failures = st
            .students
            .iter()
            .filter_map(Student::report)
            .filter(|r| r.counts().failed > 0)
            .count();
        let share = |n: usize| match st.graded {
            0 => String::new(),
            g => self
                .t("채점된 학생의 {}", "{} of those graded")
                .replace("{}", &pct(n as f64 / g as f64)),
        };
        write!(
            s,
            "<section id=\"summary\">\n<h2 class=\"sr\">{}</h2>\n<dl class=\"cards\">\n",
            self.t("요약", "Summary")
        )?;
        // A setup problem is the student's: graded (0 points), and said so.
        let graded_line = match (lang, st.setup) {
            (Lang::Ko, 0) => format!("채점 {}명 · 채점 오류 {}명", st.graded, st.grader_errors),
            (Lang::Ko, n) => format!(
                "채점 {}명(제출물 문제 {n}명 포함) · 채점 오류 {}명",
                st.graded, st.grader_errors
            ),
            (Lang::En, 0) => format!("{} graded · {} not graded", st.graded, st.grader_errors),
            (Lang::En, n) => format!(
                "{} graded ({n} setup problem{}) · {} not graded",
                st.graded,
                if n == 1 { "" } else { "s" },
                st.grader_errors
            ),
        };
        card(
            s,
            "",
            self.t("학생", "Students"),
            &count(lang, st.students.len()),
            &[graded_line],
        )?;
        card(
            s,
            "passed",
            self.t("모든 검사 통과", "Passed every check"),
            &count(lang, st.all_passed),
            &[share(st.all_passed)],
        )?;
        card(
            s,
            "failed",
            self.t("실패한 검사가 있음", "Failed a check"),
            &count(lang, with_failures),
            &[share(with_failures)],
        )?;
        let mut notes = Vec::new();
        if st.grader_errors > 0 {
            notes.push(
                self.t("분포와 통과율에서 뺐습니다", "left out of the charts")
                    .to_string(),
            );
        }
        if st.with_check_errors > 0 {
            notes.push(match lang {
                Lang::Ko => format!("일부 검사만 채점 오류인 학생 {}명", st.with_check_errors),
                Lang::En => format!("{} with a check in error", st.with_check_errors),
            });
        }
        card(
            s,
            "error",
            self.t("채점 오류", "Grader errors"),
            &count(lang, st.grader_errors),
            &notes,
        )?;
        let (mean, median) = match (st.mean, st.median, st.uniform_max) {
            (Some(mean), Some(median), Some(max)) => (
                format!("{} / {}", tenths(mean * max), points(max)),
                format!("{} {}", self.t("중앙값", "median"), tenths(median * max)),
            ),
            (Some(mean), Some(median), None) => (
                pct(mean),
                format!("{} {}", self.t("중앙값", "median"), pct(median)),
            ),
            _ => ("—".to_string(), String::new()),
        };
        card(s, "", self.t("평균 점수", "Mean score"), &mean, &[median])?;
        s.push_str("</dl>\n</section>\n");
        Ok(())
    }

    fn charts(&self, s: &mut String) -> fmt::Result {
        let st = self.stats;
        write!(
            s,
            "<div class=\"charts\">\n<section id=\"scores\" class=\"panel\">\n<h2>{}</h2>\n",
            self.t("점수 분포", "Score distribution")
        )?;
        charts::histogram(s, st, self.lang)?;
        if st.grader_errors > 0 {
            let n = st.grader_errors;
            let text = match self.lang {
                Lang::Ko => format!("채점하지 못한 제출물 {n}개는 분포에 넣지 않았습니다."),
                Lang::En if n == 1 => {
                    "The submission the grader could not grade is not in the histogram.".into()
                }
                Lang::En => {
                    format!(
                        "The {n} submissions the grader could not grade are not in the histogram."
                    )
                }
            };
            writeln!(s, "<p class=\"note\">{text}</p>")?;
        }
        if st.setup > 0 {
            let n = st.setup;
            let text = match self.lang {
                Lang::Ko => format!(
                    "파일이 없거나 grade.toml이 잘못되는 등 학생이 고쳐야 할 문제로 실행하지 못한 제출물 {n}개는 0점으로 계산했습니다."
                ),
                Lang::En if n == 1 => "The submission that could not be run (the student's setup: a missing file, a broken grade.toml) counts as 0.".into(),
                Lang::En => format!(
                    "The {n} submissions that could not be run (the students' setup: a missing file, a broken grade.toml) count as 0."
                ),
            };
            writeln!(s, "<p class=\"note\">{text}</p>")?;
        }
        if st.with_check_errors > 0 {
            let n = st.with_check_errors;
            let text = match self.lang {
                Lang::Ko => format!(
                    "일부 검사에서 채점 오류가 난 학생 {n}명은 점수가 실제보다 낮을 수 있습니다."
                ),
                Lang::En => format!(
                    "{} had a check end in a grader error: the score may be too low.",
                    students(Lang::En, n)
                ),
            };
            writeln!(s, "<p class=\"note\">{text}</p>")?;
        }
        write!(
            s,
            "</section>\n<section id=\"checks\" class=\"panel\">\n<h2>{}</h2>\n<ul class=\"legend\">",
            self.t("검사별 통과율", "Pass rate per check")
        )?;
        for st in STATUSES {
            write!(
                s,
                "<li><span class=\"sw {}\"></span>{}</li>",
                status_class(st),
                status_word(self.lang, st)
            )?;
        }
        s.push_str("</ul>\n");
        if st.checks.is_empty() {
            writeln!(
                s,
                "<p>{}</p>",
                self.t("채점된 제출물이 없습니다.", "No submission was graded.")
            )?;
        } else {
            charts::checks(s, st, self.lang)?;
        }
        write!(
            s,
            "<p class=\"note\">{}</p>\n</section>\n</div>\n",
            self.t(
                "통과율은 그 검사를 채점받은 학생 가운데 통과한 학생의 비율입니다(채점 오류는 빼고 셉니다). 막대에 마우스를 올리면 검사 제목과 학생 수가 나옵니다.",
                "Pass rate: the students who passed a check, out of those graded on it (grader errors left out). Hover over a bar for the check's title and counts."
            )
        )
    }

    fn top_failures(&self, s: &mut String) -> fmt::Result {
        let st = self.stats;
        write!(
            s,
            "<section id=\"top\">\n<h2>{}</h2>\n",
            self.t("가장 많이 실패한 검사", "Checks failed most often")
        )?;
        if st.top_failures.is_empty() {
            write!(
                s,
                "<p>{}</p>\n</section>\n",
                self.t("실패한 검사가 없습니다.", "No check failed.")
            )?;
            return Ok(());
        }
        s.push_str("<ol class=\"top\">\n");
        // Out of the students with a report: a setup problem ran no check.
        let reports = st.graded - st.setup;
        for f in &st.top_failures {
            let failed = match self.lang {
                Lang::Ko => format!("{reports}명 중 {}명 실패", f.failed),
                Lang::En => format!("{} of {reports} failed", f.failed),
            };
            write!(
                s,
                "<li>\n<div class=\"top-head\"><h3><code>{}</code></h3><span>{}</span><span class=\"count\">{failed}</span></div>\n<ul class=\"msgs\">\n",
                esc(&f.id),
                esc(&f.title)
            )?;
            for g in f.groups.iter().take(TOP_MESSAGES) {
                write!(
                    s,
                    "<li><span class=\"n\">{}</span><p class=\"msg\">{}</p>",
                    students(self.lang, g.students.len()),
                    text(&g.example, MESSAGE)
                )?;
                if let Some(hint) = &g.hint {
                    write!(
                        s,
                        "<p class=\"hint\"><b>{}:</b> {}</p>",
                        self.lang.msg(Msg::Hint),
                        text(hint, MESSAGE)
                    )?;
                }
                let who = names(
                    self.lang,
                    g.students.iter().map(|&i| st.students[i].name.as_str()),
                    10,
                );
                writeln!(
                    s,
                    "<p class=\"who\"><b>{}:</b> {}</p></li>",
                    self.t("학생", "students"),
                    esc(&who)
                )?;
            }
            let rest = &f.groups[f.groups.len().min(TOP_MESSAGES)..];
            if !rest.is_empty() {
                let n: usize = rest.iter().map(|g| g.students.len()).sum();
                let line = match self.lang {
                    Lang::Ko => format!("그 밖의 메시지 {}가지 ({n}명)", rest.len()),
                    Lang::En => format!(
                        "{} other message{} ({})",
                        rest.len(),
                        if rest.len() == 1 { "" } else { "s" },
                        students(Lang::En, n)
                    ),
                };
                writeln!(
                    s,
                    "<li><span class=\"n\"></span><p class=\"who\">{line}</p></li>"
                )?;
            }
            s.push_str("</ul>\n</li>\n");
        }
        write!(
            s,
            "</ol>\n<p class=\"note\">{}</p>\n</section>\n",
            self.t(
                "숫자, 포트, 따옴표 안의 값처럼 학생마다 다른 부분을 빼고 같은 메시지끼리 묶었습니다. 보기로 든 메시지는 그 묶음의 첫 학생 것입니다.",
                "Messages are grouped once what varies between students (numbers, ports, quoted values) is set aside; the example is the first student's."
            )
        )
    }
}

fn card(s: &mut String, class: &str, label: &str, value: &str, notes: &[String]) -> fmt::Result {
    write!(
        s,
        "<div class=\"{}\"><dt>{label}</dt><dd>{}",
        format!("card {class}").trim_end(),
        esc(value)
    )?;
    for n in notes.iter().filter(|n| !n.is_empty()) {
        write!(s, "<small>{}</small>", esc(n))?;
    }
    s.write_str("</dd></div>\n")
}

#[cfg(test)]
mod tests;
