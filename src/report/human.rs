//! The report a student reads in a terminal: one line per check as it finishes, details under
//! each failure (expected, actual, diff, hint), a summary, and how to replay the run.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use super::{CheckResult, Event, Reporter, Status};
use crate::i18n::{Lang, Msg};

pub struct HumanReporter {
    color: bool,
    verbose: bool,
    lang: Lang,
    lab: String,
}

impl HumanReporter {
    pub fn new(color: bool, verbose: bool) -> HumanReporter {
        HumanReporter {
            color,
            verbose,
            lang: Lang::En,
            lab: String::new(),
        }
    }

    fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }

    fn check_line(&self, c: &CheckResult, out: &mut dyn Write) -> io::Result<()> {
        let (mark, style) = match c.status {
            Status::Passed => ("✓", AnsiColor::Green.on_default()),
            Status::Failed => ("✗", AnsiColor::Red.on_default()),
            Status::Skipped => ("-", Style::new().dimmed()),
            Status::Error => ("!", AnsiColor::Magenta.on_default().bold()),
            Status::Warning => ("⚠", AnsiColor::Yellow.on_default().bold()),
        };
        let points = if c.max_score == 0.0 && c.status == Status::Skipped {
            "-".to_string()
        } else if c.max_score == 0.0 {
            format!("({})", self.lang.msg(Msg::CostsNoPoints))
        } else {
            format!("{}/{}", fmt_points(c.score), fmt_points(c.max_score))
        };
        writeln!(
            out,
            "  {} {:<21} {}  {}  {}",
            self.paint(style, mark),
            c.id,
            c.title,
            self.paint(Style::new().dimmed(), &points),
            self.paint(Style::new().dimmed(), &fmt_ms(c.duration_ms)),
        )?;
        let pad = "      ";
        match c.status {
            Status::Passed => {
                if let Some(m) = &c.message {
                    writeln!(out, "{pad}{m}")?;
                }
            }
            Status::Skipped => {
                if let Some(m) = &c.message {
                    let label = self.lang.msg(Msg::Skipped);
                    writeln!(out, "{pad}{label}: {m}")?;
                }
            }
            Status::Error => {
                if let Some(m) = &c.message {
                    writeln!(out, "{pad}{}", self.paint(style, m))?;
                }
                writeln!(out, "{pad}({})", self.lang.msg(Msg::GraderFault))?;
            }
            // A warning reads like a failure (what was seen, the hint), labelled as advice.
            Status::Failed | Status::Warning => {
                if let Some(m) = &c.message {
                    let m = if c.status == Status::Warning {
                        format!("{}: {m}", self.lang.msg(Msg::Warning))
                    } else {
                        m.clone()
                    };
                    writeln!(out, "{pad}{}", self.paint(Style::new().bold(), &m))?;
                }
                // A diff says everything expected/actual would, more clearly.
                if let Some(d) = &c.diff {
                    writeln!(out, "{pad}{}:", self.lang.msg(Msg::Diff))?;
                    block(out, &format!("{pad}  "), d.trim_end_matches('\n'))?;
                } else {
                    for (label, v) in [(Msg::Expected, &c.expected), (Msg::Actual, &c.actual)] {
                        if let Some(v) = v {
                            writeln!(out, "{pad}{}:", self.lang.msg(label))?;
                            block(out, &format!("{pad}  │ "), v)?;
                        }
                    }
                }
                if let Some(h) = &c.hint {
                    let label = self.paint(AnsiColor::Cyan.on_default(), self.lang.msg(Msg::Hint));
                    writeln!(out, "{pad}{label}: {h}")?;
                }
            }
        }
        let show_output = self.verbose || c.status == Status::Failed;
        if let (true, Some(o)) = (show_output, &c.output) {
            for (label, text) in [
                (Msg::StudentStdout, &o.stdout),
                (Msg::StudentStderr, &o.stderr),
            ] {
                if !text.is_empty() {
                    writeln!(out, "{pad}┌─ {}", self.lang.msg(label))?;
                    block(out, &format!("{pad}│ "), text)?;
                    writeln!(out, "{pad}└─")?;
                }
            }
            if o.dropped_bytes > 0 {
                let label = self.lang.msg(Msg::OutputTruncated);
                writeln!(out, "{pad}({label}: {} bytes)", o.dropped_bytes)?;
            }
        }
        if let Some(w) = &c.wire {
            writeln!(out, "{pad}{}:", super::wire::heading(self.lang))?;
            for line in super::wire::text_lines(w, self.lang) {
                writeln!(out, "{pad}  {}", self.paint(Style::new().dimmed(), &line))?;
            }
        }
        Ok(())
    }
}

fn block(out: &mut dyn Write, prefix: &str, text: &str) -> io::Result<()> {
    for line in text.split('\n') {
        writeln!(out, "{prefix}{line}")?;
    }
    Ok(())
}

fn fmt_points(p: f64) -> String {
    if p.fract() == 0.0 {
        format!("{p:.0}")
    } else {
        format!("{p:.1}")
    }
}

fn fmt_ms(ms: u64) -> String {
    format!("{:.2}s", ms as f64 / 1000.0)
}

impl Reporter for HumanReporter {
    fn event(&mut self, event: &Event<'_>, out: &mut dyn Write) -> io::Result<()> {
        match event {
            Event::Started {
                lab,
                lab_name,
                title,
                submission,
                seed,
                lang,
            } => {
                self.lang = *lang;
                self.lab = lab.to_string();
                let head = format!("netgrade {lab} ({lab_name}) · {title}");
                writeln!(out, "{}", self.paint(Style::new().bold(), &head))?;
                let l = self.lang;
                writeln!(out, "  {}: {submission}", l.msg(Msg::Submission))?;
                writeln!(out, "  {}: {seed}", l.msg(Msg::Seed))?;
                writeln!(out)?;
            }
            Event::CheckFinished(c) => self.check_line(c, out)?,
            Event::Finished(r) => {
                let l = self.lang;
                writeln!(out)?;
                for n in &r.notices {
                    writeln!(out, "  ! {n}")?;
                }
                if !r.only.is_empty() {
                    let run = r.only.len();
                    let total = r.checks.len();
                    let line = match l {
                        Lang::Ko => format!(
                            "--only: 검사 {total}개 중 {run}개만 실행했습니다. 실행하지 않은 검사는 점수에도 만점에도 넣지 않았습니다."
                        ),
                        Lang::En => format!(
                            "--only: {run} of {total} checks were run; the others count in neither the score nor the maximum."
                        ),
                    };
                    writeln!(out, "  {line}")?;
                }
                if let Some(fix) = &r.fix_first
                    && let Some(c) = r.checks.iter().find(|c| c.id == fix.id)
                {
                    let (id, waiting) = (&fix.id, fix.blocks);
                    let line = match l {
                        Lang::Ko => format!(
                            "먼저 고칠 것: {id} ({}). 이 검사를 통과해야 나머지 검사 {waiting}개를 채점할 수 있습니다.",
                            c.title
                        ),
                        Lang::En => format!(
                            "Fix first: {id} ({}): {waiting} other {} can be graded only once it passes.",
                            c.title,
                            if waiting == 1 { "check" } else { "checks" }
                        ),
                    };
                    writeln!(out, "{}", self.paint(Style::new().bold(), &line))?;
                }
                let verdict = if r.passed {
                    self.paint(AnsiColor::Green.on_default().bold(), l.msg(Msg::Pass))
                } else {
                    self.paint(AnsiColor::Red.on_default().bold(), l.msg(Msg::Fail))
                };
                let mut counts = vec![
                    format!("{} {}", l.msg(Msg::Passed), r.count(Status::Passed)),
                    format!("{} {}", l.msg(Msg::Failed), r.count(Status::Failed)),
                ];
                // Only when there are any: most runs have no warning, and a zero reads as noise.
                if r.count(Status::Warning) > 0 {
                    counts.push(format!(
                        "{} {}",
                        l.msg(Msg::Warning),
                        r.count(Status::Warning)
                    ));
                }
                counts.push(format!(
                    "{} {}",
                    l.msg(Msg::Skipped),
                    r.count(Status::Skipped)
                ));
                counts.push(format!("{} {}", l.msg(Msg::Error), r.count(Status::Error)));
                writeln!(
                    out,
                    "{verdict} · {} {}/{} · {} · {}",
                    l.msg(Msg::Score),
                    fmt_points(r.score),
                    fmt_points(r.max_score),
                    counts.join(" · "),
                    fmt_ms(r.duration_ms),
                )?;
                writeln!(
                    out,
                    "{}: grade {} --seed {}",
                    l.msg(Msg::Replay),
                    self.lab,
                    r.seed
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::sample_report;
    use super::*;

    fn render(lang: Lang) -> String {
        let report = sample_report(lang);
        let mut r = HumanReporter::new(false, false);
        let mut out = Vec::new();
        let started = Event::Started {
            lab: "lab01",
            lab_name: "ip_port_http",
            title: "IP, port and HTTP",
            submission: "/tmp/sub",
            seed: report.seed,
            lang,
        };
        r.event(&started, &mut out).unwrap();
        for c in &report.checks {
            r.event(&Event::CheckFinished(c), &mut out).unwrap();
        }
        r.event(&Event::Finished(&report), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn human_report_english() {
        insta::assert_snapshot!(render(Lang::En));
    }

    #[test]
    fn human_report_korean() {
        insta::assert_snapshot!(render(Lang::Ko));
    }

    #[test]
    fn colour_off_means_no_escape_codes() {
        assert!(!render(Lang::En).contains('\u{1b}'));
    }
}
