//! A check's details as plain text, for the CI formats (JUnit, Gradescope, GitHub): the same
//! facts the human report shows under a check, in the same order, without its colours and
//! box drawing, so that a student reading a CI page learns what a terminal would have told
//! them. Student output is already escaped when it reaches the report.

use super::{CheckResult, Status};
use crate::i18n::{Lang, Msg};

/// Everything said about `c` beyond its status and points; empty when there is nothing
/// (a check that passed without a note).
pub fn details(c: &CheckResult, lang: Lang) -> String {
    let mut out = String::new();
    let mut line = |s: &str| {
        out.push_str(s);
        out.push('\n');
    };
    let message = c.message.as_deref();
    match c.status {
        Status::Passed => {
            if let Some(m) = message {
                line(m);
            }
        }
        Status::Skipped => {
            if let Some(m) = message {
                line(&format!("{}: {m}", lang.msg(Msg::Skipped)));
            }
        }
        Status::Error => {
            if let Some(m) = message {
                line(m);
            }
            line(&format!("({})", lang.msg(Msg::GraderFault)));
        }
        Status::Failed | Status::Warning => {
            if let Some(m) = message {
                if c.status == Status::Warning {
                    line(&format!("{}: {m}", lang.msg(Msg::Warning)));
                } else {
                    line(m);
                }
            }
            // As in the human report: a diff says everything expected/actual would.
            if let Some(d) = &c.diff {
                line(&format!("{}:", lang.msg(Msg::Diff)));
                indented(&mut line, d.trim_end_matches('\n'));
            } else {
                for (label, v) in [(Msg::Expected, &c.expected), (Msg::Actual, &c.actual)] {
                    if let Some(v) = v {
                        line(&format!("{}:", lang.msg(label)));
                        indented(&mut line, v);
                    }
                }
            }
            if let Some(h) = &c.hint {
                line(&format!("{}: {h}", lang.msg(Msg::Hint)));
            }
        }
    }
    if let Some(o) = &c.output {
        for (label, text) in [
            (Msg::StudentStdout, &o.stdout),
            (Msg::StudentStderr, &o.stderr),
        ] {
            if !text.is_empty() {
                line(&format!("{}:", lang.msg(label)));
                indented(&mut line, text);
            }
        }
        if o.dropped_bytes > 0 {
            let label = lang.msg(Msg::OutputTruncated);
            line(&format!("({label}: {} bytes)", o.dropped_bytes));
        }
    }
    if let Some(w) = &c.wire {
        line(&format!("{}:", super::wire::heading(lang)));
        indented(&mut line, &super::wire::text_lines(w, lang).join("\n"));
    }
    out.truncate(out.trim_end().len());
    out
}

/// A block indented under its label, so where it ends stays visible in a `<pre>`.
fn indented(line: &mut impl FnMut(&str), text: &str) {
    for l in text.split('\n') {
        line(&format!("  {l}"));
    }
}

/// Points as the human report writes them: `2`, `0.5`.
pub fn points(p: f64) -> String {
    if p.fract() == 0.0 {
        format!("{p:.0}")
    } else {
        format!("{p:.1}")
    }
}

/// The run's verdict and counts in one line: `PASS · score 10/10 · passed 8 · ...`.
pub fn summary_line(r: &super::Report) -> String {
    let l = r.lang;
    let verdict = l.msg(if r.passed { Msg::Pass } else { Msg::Fail });
    let mut parts = vec![
        verdict.to_string(),
        format!(
            "{} {}/{}",
            l.msg(Msg::Score),
            points(r.score),
            points(r.max_score)
        ),
    ];
    for (msg, status) in [
        (Msg::Passed, Status::Passed),
        (Msg::Failed, Status::Failed),
        (Msg::Warning, Status::Warning),
        (Msg::Skipped, Status::Skipped),
        (Msg::Error, Status::Error),
    ] {
        let n = r.count(status);
        // As in the human report, warnings only when there are any.
        if n > 0 || status != Status::Warning {
            parts.push(format!("{} {n}", l.msg(msg)));
        }
    }
    parts.join(" · ")
}

/// What to fix first, as the human report says it, when a failure made other checks skip.
pub fn fix_first_line(r: &super::Report) -> Option<String> {
    let fix = r.fix_first.as_ref()?;
    let title = r
        .checks
        .iter()
        .find(|c| c.id == fix.id)
        .map_or("", |c| c.title.as_str());
    let (id, waiting) = (&fix.id, fix.blocks);
    Some(match r.lang {
        Lang::Ko => format!(
            "먼저 고칠 것: {id} ({title}). 이 검사를 통과해야 나머지 검사 {waiting}개를 채점할 수 있습니다."
        ),
        Lang::En => format!(
            "Fix first: {id} ({title}): {waiting} other {} can be graded only once it passes.",
            if waiting == 1 { "check" } else { "checks" }
        ),
    })
}

/// How to replay the run: `grade lab01 --seed 42`.
pub fn replay_line(r: &super::Report) -> String {
    format!(
        "{}: grade {} --seed {}",
        r.lang.msg(Msg::Replay),
        r.lab,
        r.seed
    )
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::sample_report;
    use super::*;

    #[test]
    fn details_follow_the_human_report() {
        let r = sample_report(Lang::En);
        let all: Vec<String> = r
            .checks
            .iter()
            .map(|c| format!("[{}]\n{}", c.id, details(c, Lang::En)))
            .collect();
        insta::assert_snapshot!(all.join("\n"));
    }

    #[test]
    fn summary_counts_every_outcome() {
        let r = sample_report(Lang::En);
        assert_eq!(
            summary_line(&r),
            "FAIL · score 1/4 · passed 1 · failed 2 · warning 1 · skipped 1 · error 1"
        );
    }
}
