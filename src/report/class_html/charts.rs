//! The class report's two inline SVG charts: the score histogram, and every check's outcomes
//! as a stacked bar. Every mark has a `<title>` (a tooltip, and what a screen reader reads);
//! sizes are viewBox units, so the charts scale with the page. Colours come from the page's
//! style sheet (classes), never from inline styles, which its CSP would refuse.

use std::fmt::{self, Write};

use super::format::{esc, names, pct, points, status_class, status_word, students};
use crate::i18n::Lang;
use crate::report::class_stats::{BinUnit, ClassStats, STATUSES};
use crate::text::truncate_chars;

/// The score histogram: one bar per point (or per tenth of the maximum), graded students only.
pub fn histogram(s: &mut String, stats: &ClassStats, lang: Lang) -> fmt::Result {
    const W: f64 = 560.0;
    const H: f64 = 260.0;
    const LEFT: f64 = 40.0;
    const RIGHT: f64 = 8.0;
    const TOP: f64 = 28.0;
    const BOTTOM: f64 = 50.0;
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let most = stats
        .bins
        .iter()
        .map(|b| b.students.len())
        .max()
        .unwrap_or(0);
    let step = nice_step(most);
    let top = step * most.max(1).div_ceil(step);
    let y = |n: usize| TOP + ph - ph * n as f64 / top as f64;
    let slot = pw / stats.bins.len().max(1) as f64;
    let bin_name = |label: &str| match stats.unit {
        BinUnit::Points(_) => lang.pick("{}점", "{} points").replace("{}", label),
        BinUnit::Percent => format!("{label}%"),
    };
    let desc: Vec<String> = stats
        .bins
        .iter()
        .map(|b| {
            format!(
                "{} {}",
                bin_name(&b.label),
                students(lang, b.students.len())
            )
        })
        .collect();
    write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-labelledby="hist-title hist-desc"><title id="hist-title">{}</title><desc id="hist-desc">{}</desc>"#,
        lang.pick("점수 분포", "Score distribution"),
        esc(&desc.join(", "))
    )?;
    for k in (0..=top).step_by(step) {
        let yk = y(k);
        write!(
            s,
            r#"<line class="grid" x1="{LEFT}" x2="{}" y1="{yk:.1}" y2="{yk:.1}"/><text class="axis" x="{}" y="{:.1}" text-anchor="end">{k}</text>"#,
            W - RIGHT,
            LEFT - 6.0,
            yk + 4.0
        )?;
    }
    write!(
        s,
        r#"<text class="axis" x="{LEFT}" y="14" text-anchor="middle">{}</text>"#,
        lang.pick("학생 수", "students")
    )?;
    for (i, b) in stats.bins.iter().enumerate() {
        let n = b.students.len();
        let x = LEFT + slot * i as f64;
        let who = names(
            lang,
            b.students.iter().map(|&i| stats.students[i].name.as_str()),
            12,
        );
        let tip = match n {
            0 => format!("{}: {}", bin_name(&b.label), students(lang, 0)),
            _ => format!("{}: {} — {who}", bin_name(&b.label), students(lang, n)),
        };
        write!(s, r#"<g class="bar"><title>{}</title>"#, esc(&tip))?;
        // An invisible full-height target, so that an empty or short bar still has a tooltip.
        write!(
            s,
            r#"<rect x="{x:.1}" y="{TOP}" width="{slot:.1}" height="{ph}" fill="transparent"/>"#
        )?;
        if n > 0 {
            write!(
                s,
                r#"<rect class="hist" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="2"/><text x="{:.1}" y="{:.1}" text-anchor="middle">{n}</text>"#,
                x + slot * 0.14,
                y(n),
                slot * 0.72,
                TOP + ph - y(n),
                x + slot / 2.0,
                y(n) - 5.0
            )?;
        }
        write!(
            s,
            r#"<text class="axis" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text></g>"#,
            x + slot / 2.0,
            TOP + ph + 16.0,
            esc(&b.label)
        )?;
    }
    let axis = match (stats.unit, stats.uniform_max) {
        (BinUnit::Points(_), Some(max)) => lang
            .pick("점수 ({}점 만점)", "score (out of {})")
            .replace("{}", &points(max)),
        _ => lang
            .pick("점수 (만점 대비 %)", "score (% of the maximum)")
            .to_string(),
    };
    write!(
        s,
        r#"<line class="base" x1="{LEFT}" x2="{}" y1="{:.1}" y2="{:.1}"/><text class="axis" x="{:.1}" y="{}" text-anchor="middle">{}</text></svg>"#,
        W - RIGHT,
        TOP + ph,
        TOP + ph,
        LEFT + pw / 2.0,
        H - 10.0,
        esc(&axis)
    )
}

/// Every check's outcomes over the class, one stacked bar each, with its pass rate.
pub fn checks(s: &mut String, stats: &ClassStats, lang: Lang) -> fmt::Result {
    const W: f64 = 640.0;
    const ROW: f64 = 26.0;
    const LABEL: f64 = 176.0;
    const BAR_X: f64 = 184.0;
    const BAR_W: f64 = 396.0;
    let h = 8.0 + ROW * stats.checks.len() as f64;
    write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {W} {h}" role="img" aria-labelledby="checks-title"><title id="checks-title">{}</title>"#,
        lang.pick("검사별 결과와 통과율", "Outcomes and pass rate per check")
    )?;
    for (i, c) in stats.checks.iter().enumerate() {
        let y0 = 4.0 + ROW * i as f64;
        let rate = c.pass_rate();
        let rate_text = rate.map_or_else(|| "—".to_string(), pct);
        let mut parts: Vec<String> = STATUSES
            .iter()
            .filter(|&&st| c.counts.get(st) > 0)
            .map(|&st| match lang {
                Lang::Ko => format!("{} {}명", status_word(lang, st), c.counts.get(st)),
                Lang::En => format!("{} {}", status_word(lang, st), c.counts.get(st)),
            })
            .collect();
        parts.push(format!("{} {rate_text}", lang.pick("통과율", "pass rate")));
        write!(
            s,
            r#"<g class="row"><title>{}</title><text class="lbl id" x="{LABEL}" y="{:.1}" text-anchor="end">{}</text><rect class="track" x="{BAR_X}" y="{:.1}" width="{BAR_W}" height="16" rx="2"/>"#,
            esc(&format!("{} — {}: {}", c.id, c.title, parts.join(", "))),
            y0 + 17.0,
            esc(&truncate_chars(&c.id, 22)),
            y0 + 5.0
        )?;
        let total = c.counts.total().max(1) as f64;
        let mut done = 0usize;
        for st in STATUSES {
            let n = c.counts.get(st);
            if n == 0 {
                continue;
            }
            // From cumulative counts, so that rounding leaves no gap at the end.
            let x0 = BAR_X + BAR_W * done as f64 / total;
            done += n;
            let x1 = BAR_X + BAR_W * done as f64 / total;
            write!(
                s,
                r#"<rect class="seg {}" x="{x0:.1}" y="{:.1}" width="{:.1}" height="16"><title>{}: {}</title></rect>"#,
                status_class(st),
                y0 + 5.0,
                x1 - x0,
                esc(&c.id),
                esc(&format!("{} {}", status_word(lang, st), students(lang, n)))
            )?;
        }
        write!(
            s,
            r#"<text x="{}" y="{:.1}" text-anchor="end">{rate_text}</text></g>"#,
            W - 4.0,
            y0 + 17.0
        )?;
    }
    s.push_str("</svg>");
    Ok(())
}

/// The gap between grid lines: 1, 2, 5, 10, 20, 50, ... so that there are at most five.
fn nice_step(most: usize) -> usize {
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if most <= 5 * step * m {
                return step * m;
            }
        }
        step *= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_steps() {
        assert_eq!(nice_step(0), 1);
        assert_eq!(nice_step(5), 1);
        assert_eq!(nice_step(6), 2);
        assert_eq!(nice_step(11), 5);
        assert_eq!(nice_step(26), 10);
        assert_eq!(nice_step(400), 100);
    }
}
