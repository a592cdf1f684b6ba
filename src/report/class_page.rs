//! The batch's `index.html`: adapts what the batch saw ([`crate::batch::Graded`]) to the class
//! report. A plain table until the full class report lands.

use std::io::Write;

use crate::batch::Graded;
use crate::i18n::Lang;
use crate::overview::Outcome;

/// Writes `index.html` for `graded`.
pub fn render(
    lab: &str,
    graded: &[Graded],
    lang: Lang,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    writeln!(
        out,
        "<!doctype html><html lang=\"{}\"><meta charset=\"utf-8\"><title>netgrade {lab}</title><table>",
        match lang {
            Lang::Ko => "ko",
            Lang::En => "en",
        }
    )?;
    for g in graded {
        let v = match &g.outcome {
            Outcome::Graded(s) => format!("{}/{}", s.score, s.max_score),
            Outcome::Setup { .. } => "setup".into(),
            Outcome::GraderError { .. } => "grader error".into(),
        };
        writeln!(out, "<tr><td>{}</td><td>{v}</td></tr>", esc(&g.name))?;
    }
    writeln!(out, "</table></html>")
}
