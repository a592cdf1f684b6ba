//! Small formatting helpers of the class report: escaping, clipping, numbers, words.

use std::fmt::Write;

use crate::i18n::Lang;
use crate::report::Status;
use crate::text::{clip, escape_student};

/// "3명" / "3 students".
pub(super) fn students(lang: Lang, n: usize) -> String {
    match (lang, n) {
        (Lang::Ko, n) => format!("{n}명"),
        (Lang::En, 1) => "1 student".to_string(),
        (Lang::En, n) => format!("{n} students"),
    }
}

/// "25명" / "25".
pub(super) fn count(lang: Lang, n: usize) -> String {
    match lang {
        Lang::Ko => format!("{n}명"),
        Lang::En => n.to_string(),
    }
}

/// Text from a report made safe for HTML: control characters shown as `\xNN` (and characters
/// that reorder text neutralized), then markup escaped, quotes included, so that it is also
/// safe inside an attribute.
pub(super) fn esc(s: &str) -> String {
    let visible = escape_student(s.as_bytes());
    let mut out = String::with_capacity(visible.len());
    for c in visible.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// [`esc`] after clipping to `chars` per line and `lines` lines.
pub(super) fn text(s: &str, (chars, lines): (usize, usize)) -> String {
    esc(&clip(s, chars, lines))
}

/// The last `n` lines: the end of a program's output is where it failed.
pub(super) fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    let skipped = lines.len().saturating_sub(n);
    let mut out = String::new();
    if skipped > 0 {
        let _ = writeln!(out, "… (+{skipped} lines)");
    }
    out.push_str(&lines[skipped..].join("\n"));
    out
}

/// Names, at most `max` of them, then how many more (not escaped).
pub(super) fn names<'a>(lang: Lang, all: impl Iterator<Item = &'a str>, max: usize) -> String {
    let all: Vec<String> = all.map(|n| short(n, 40)).collect();
    let mut out = all[..all.len().min(max)].join(", ");
    if all.len() > max {
        let more = all.len() - max;
        out.push_str(&match lang {
            Lang::Ko => format!(" 외 {more}명"),
            Lang::En => format!(" and {more} more"),
        });
    }
    out
}

/// A name or a line cut to `max` characters, with an ellipsis where it was cut.
pub(super) fn short(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((cut, _)) => format!("{}…", &s[..cut]),
    }
}

/// A mean: one decimal, none when whole.
pub(super) fn tenths(x: f64) -> String {
    let s = format!("{x:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// 9, 9.5, 9.25: points as a teacher writes them.
pub(super) fn points(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{}", x.round() as i64)
    } else {
        let s = format!("{x:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

pub(super) fn pct(f: f64) -> String {
    format!("{:.0}%", f * 100.0)
}

pub(super) fn seconds(lang: Lang, ms: u64) -> String {
    let s = ms as f64 / 1000.0;
    match lang {
        Lang::Ko => format!("{s:.1}초"),
        Lang::En => format!("{s:.1} s"),
    }
}

/// The outcome's name as the JSON report spells it, and its CSS classes.
pub(super) fn status_name(st: Status) -> &'static str {
    match st {
        Status::Passed => "passed",
        Status::Failed => "failed",
        Status::Skipped => "skipped",
        Status::Error => "error",
        Status::Warning => "warning",
    }
}

/// The fill class of an outcome in the charts and legend.
pub(super) fn status_class(st: Status) -> String {
    format!("f-{}", status_name(st))
}

pub(super) fn status_class_badge(st: Status) -> String {
    format!("st-{}", status_name(st))
}

/// What staff read for an outcome: an error is the grader's, never the student's.
pub(super) fn status_word(lang: Lang, st: Status) -> &'static str {
    match st {
        Status::Passed => lang.pick("통과", "passed"),
        Status::Failed => lang.pick("실패", "failed"),
        Status::Warning => lang.pick("경고", "warning"),
        Status::Skipped => lang.pick("건너뜀", "skipped"),
        Status::Error => lang.pick("채점 오류", "grader error"),
    }
}

/// `s` as one segment of a relative URL: every byte but unreserved ASCII percent-encoded (a
/// student's folder name may hold spaces, `#`, `?` or Korean).
pub(super) fn url_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
