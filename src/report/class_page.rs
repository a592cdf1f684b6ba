//! The batch's `index.html`: adapts the batch's entries ([`super::summary::Entry`], what a
//! merge reads back too) to the class report ([`super::class_html`]).

use std::io::Write;

use super::class_html::{self, Submitted, render_html};
use super::summary::{Entry, Recorded};
use crate::i18n::Lang;

/// Writes `index.html` for `entries`.
pub fn render(
    lab: &str,
    title: &str,
    entries: &[Entry],
    lang: Lang,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let graded: Vec<class_html::Graded> = entries
        .iter()
        .map(|e| class_html::Graded {
            name: e.name.clone(),
            outcome: match &e.result {
                // A report that is not JSON is shown as the grader's failure, never a 0.
                Recorded::Graded { report, .. } => match serde_json::from_slice(report) {
                    Ok(v) => Submitted::Report(v),
                    Err(err) => Submitted::GraderError(format!("unreadable report: {err}")),
                },
                Recorded::Setup(m) => Submitted::Setup(m.clone()),
                Recorded::GraderError(m) => Submitted::GraderError(m.clone()),
            },
            duration_ms: e.duration_ms,
        })
        .collect();
    render_html(lab, title, &graded, lang, out)
}
