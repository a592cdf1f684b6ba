//! The GitHub Actions step summary (`$GITHUB_STEP_SUMMARY`): the run as Markdown on the job's
//! summary page. A table of every check, then, for each check that did not simply pass, its
//! details in a collapsed block.
//!
//! GitHub renders the summary as GitHub-flavoured Markdown with some HTML allowed, and the
//! details hold the student's output: they go into fenced code blocks (whose fence is longer
//! than any run of backticks inside, so nothing can close it early), and every other text is
//! escaped for the place it goes (a table cell, an HTML `<summary>`).

use std::io::{self, Write};

use super::details::{details, fix_first_line, points, summary_line};
use super::{CheckResult, Report, Status};
use crate::i18n::Msg;

pub fn step_summary(report: &Report, title: &str, out: &mut dyn Write) -> io::Result<()> {
    let l = report.lang;
    writeln!(
        out,
        "## {} netgrade {}: {}\n",
        if report.passed { "✅" } else { "❌" },
        report.lab,
        inline(title)
    )?;
    writeln!(out, "**{}**\n", inline(&summary_line(report)))?;
    if let Some(fix) = fix_first_line(report) {
        writeln!(out, "{}\n", inline(&fix))?;
    }
    let head = l.pick(
        "| | 검사 | 내용 | 점수 |",
        "| | check | what it checks | points |",
    );
    writeln!(out, "{head}\n|---|---|---|---:|")?;
    for c in &report.checks {
        let points = if c.max_score == 0.0 {
            "–".to_string()
        } else {
            format!("{}/{}", points(c.score), points(c.max_score))
        };
        writeln!(
            out,
            "| {} | `{}` | {} | {points} |",
            icon(c.status),
            c.id,
            inline(&c.title)
        )?;
    }
    writeln!(out)?;
    for c in report.checks.iter().filter(|c| c.status != Status::Passed) {
        block(c, report, out)?;
    }
    for n in &report.notices {
        writeln!(out, "> {}\n", inline(n))?;
    }
    // Not `replay_line`: the command goes in a code span, to be copied as it is.
    writeln!(
        out,
        "{}: `grade {} --seed {}`\n",
        inline(l.msg(Msg::Replay)),
        report.lab,
        report.seed
    )
}

/// A collapsed block: the icon, id and title as its summary, the details as preformatted text.
fn block(c: &CheckResult, report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let text = details(c, report.lang);
    // Open failures and errors: they are what the student came to read.
    let open = matches!(c.status, Status::Failed | Status::Error);
    writeln!(
        out,
        "<details{}><summary>{} <code>{}</code> {}</summary>\n",
        if open { " open" } else { "" },
        icon(c.status),
        html(&c.id),
        html(&c.title)
    )?;
    if !text.is_empty() {
        let fence = fence_for(&text);
        writeln!(out, "{fence}text\n{text}\n{fence}\n")?;
    }
    writeln!(out, "</details>\n")
}

fn icon(s: Status) -> &'static str {
    match s {
        Status::Passed => "✅",
        Status::Failed => "❌",
        Status::Skipped => "⏭️",
        Status::Error => "❗",
        Status::Warning => "⚠️",
    }
}

/// Three backticks, or one more than the longest run of them in `text`.
fn fence_for(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for ch in text.chars() {
        run = if ch == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    "`".repeat((longest + 1).max(3))
}

/// Text inside an HTML element (`<summary>`; never an attribute): `&`, `<` and `>`.
fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Text in a Markdown paragraph or table cell: HTML escaped, and the characters Markdown acts
/// on inline backslash-escaped (`|` included, the cell separator), on one line.
fn inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in html(s).chars() {
        match ch {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' => {
                out.push('\\');
                out.push(ch);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::sample_report;
    use super::*;
    use crate::i18n::Lang;

    fn render(report: &Report) -> String {
        let mut out = Vec::new();
        step_summary(report, "IP, ports and an HTTP server", &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn step_summary_shape() {
        insta::assert_snapshot!(render(&sample_report(Lang::En)));
    }

    #[test]
    fn student_text_cannot_leave_its_code_block() {
        let mut report = sample_report(Lang::En);
        report.checks[1].output.as_mut().unwrap().stdout =
            "```\n</details><img src=x onerror=alert(1)>\n````".into();
        let md = render(&report);
        assert!(md.contains("`````text\n"), "{md}");
        // The fence that closes the block is the one that opened it, after the student's text.
        let start = md.find("`````text\n").unwrap();
        let end = md[start + 10..].find("\n`````\n").unwrap();
        assert!(md[start..start + 10 + end].contains("<img"), "{md}");
    }

    #[test]
    fn cells_and_summaries_escape_markup() {
        assert_eq!(inline("a|b <i>*x*</i>"), "a\\|b &lt;i&gt;\\*x\\*&lt;/i&gt;");
        assert_eq!(html("<b>&\"'"), "&lt;b&gt;&amp;\"'");
        assert_eq!(fence_for("no ticks"), "```");
        assert_eq!(fence_for("````"), "`````");
    }
}
