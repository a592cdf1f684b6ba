//! The batch's `index.html`: adapts what the batch saw ([`crate::batch::Graded`]) to the class
//! report ([`super::class_html`]).

use std::io::Write;

use super::class_html::{self, render_html};
use super::summary::grader_error_text;
use crate::batch::Graded;
use crate::i18n::Lang;
use crate::overview::Outcome;

/// Writes `index.html` for `graded`.
pub fn render(
    lab: &str,
    title: &str,
    graded: &[Graded],
    lang: Lang,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let entries: Vec<class_html::Graded> = graded
        .iter()
        .map(|g| {
            let (report, error) = match &g.outcome {
                Outcome::Graded(_) => (serde_json::from_slice(&g.report).ok(), None),
                // No report: the student's setup (their file is missing, a broken grade.toml)
                // or the grader's failure; the page shows either without a score.
                Outcome::Setup { stderr } => (
                    None,
                    Some(format!(
                        "{}: {}",
                        lang.pick("제출물 설정 문제", "setup problem in the submission"),
                        stderr.trim()
                    )),
                ),
                Outcome::GraderError { why, stderr } => {
                    (None, Some(grader_error_text(lab, why, stderr)))
                }
            };
            class_html::Graded {
                name: g.name.clone(),
                report,
                error,
                duration_ms: g.duration.as_millis() as u64,
            }
        })
        .collect();
    render_html(lab, title, &entries, lang, out)
}
