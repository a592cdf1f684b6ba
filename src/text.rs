//! Text: normalization before comparison, making whitespace visible, diffs for students, and
//! escaping what a student's program printed so it can never pass for the grader's own lines.

use std::fmt::Write as _;

/// Line endings folded to `\n`, and at most one final newline dropped, so that a Windows
/// student's `\r\n` or a missing final newline does not fail a comparison. Nothing else is
/// changed: spaces inside lines still count.
pub fn normalize(s: &str) -> String {
    let s = s.replace("\r\n", "\n");
    s.strip_suffix('\n').unwrap_or(&s).to_string()
}

/// Replaces the value of every line that starts with `key` by `placeholder`:
/// `client_ip=127.4.5.6` becomes `client_ip=<CLIENT_IP>`.
pub fn redact_value(text: &str, key: &str, placeholder: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        match line.strip_prefix(key) {
            Some(_) => {
                out.push_str(key);
                out.push_str(placeholder);
            }
            None => out.push_str(line),
        }
    }
    out
}

/// Shows what a terminal hides: a carriage return as `␍`, a tab as `→`, trailing spaces as `·`,
/// other control characters as `\xNN`.
pub fn visible(line: &str) -> String {
    let trimmed_len = line.trim_end_matches(' ').len();
    let mut out = String::with_capacity(line.len() + 8);
    for (i, c) in line.char_indices() {
        match c {
            '\r' => out.push('␍'),
            '\t' => out.push('→'),
            ' ' if i >= trimmed_len => out.push('·'),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// A line diff of two texts, whitespace made visible, `-` for expected and `+` for actual.
/// Empty when the texts are equal.
pub fn diff(expected: &str, actual: &str) -> String {
    if expected == actual {
        return String::new();
    }
    // Normalized texts have no final newline; compare them as whole lines so the diff does
    // not report a missing newline on both sides.
    let (e, a);
    let (expected, actual) = if !expected.ends_with('\n') && !actual.ends_with('\n') {
        e = format!("{expected}\n");
        a = format!("{actual}\n");
        (e.as_str(), a.as_str())
    } else {
        (expected, actual)
    };
    let d = similar::TextDiff::from_lines(expected, actual);
    let mut out = String::new();
    for change in d.iter_all_changes() {
        let sign = match change.tag() {
            similar::ChangeTag::Delete => '-',
            similar::ChangeTag::Insert => '+',
            similar::ChangeTag::Equal => ' ',
        };
        let value = change.value();
        let line = value.strip_suffix('\n').unwrap_or(value);
        let _ = writeln!(out, "{sign} {}", visible(line));
        if change.missing_newline() {
            let _ = writeln!(out, "{sign} (no newline at end)");
        }
    }
    out
}

/// Escapes bytes a student's program printed, so that they are safe to show inside a grader
/// report: invalid UTF-8 becomes `\xNN`, control characters (ANSI escapes, NUL, a lone `\r`)
/// become `\xNN`; newlines and tabs are kept.
pub fn escape_student(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\n' | '\t' => out.push(c),
                c if c.is_control() || is_bidi_control(c) => {
                    let _ = match c as u32 {
                        n @ 0..=0xff => write!(out, "\\x{n:02x}"),
                        n => write!(out, "\\u{{{n:x}}}"),
                    };
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// [`escape_student`] on one line: newlines and tabs escaped too (`\n`, `\t`), for bytes
/// quoted inside a sentence or a timeline line.
pub fn escape_one_line(bytes: &[u8]) -> String {
    escape_student(bytes)
        .replace('\n', "\\n")
        .replace('\t', "\\t")
}

/// Characters that reorder text on screen (Trojan Source): shown escaped, never obeyed.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// The last `n` lines of escaped student output.
pub fn tail_lines(bytes: &[u8], n: usize) -> String {
    let text = escape_student(bytes);
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(n);
    lines[start..].join("\n")
}

/// Bounds text put into a report: at most `max_lines` lines of at most `max_chars` characters,
/// saying what was cut. A student's megabyte-long line must not become a megabyte-long report.
pub fn clip(s: &str, max_chars: usize, max_lines: usize) -> String {
    let total = s.split('\n').count();
    let mut out: Vec<String> = s
        .split('\n')
        .take(max_lines)
        .map(|l| truncate_chars(l, max_chars))
        .collect();
    if total > max_lines {
        out.push(format!("… (+{} lines)", total - max_lines));
    }
    out.join("\n")
}

/// Report-sized: what [`clip`] keeps by default.
pub fn clip_default(s: &str) -> String {
    clip(s, 200, 40)
}

/// Cuts a string to at most `max` characters, saying so.
pub fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((cut, _)) => format!("{}… (+{} bytes)", &s[..cut], s.len() - cut),
    }
}

/// A snapshot's change for staff to review, laid out the way insta shows one: a legend, then
/// each line with its number in the old and the new file, `-` removed, `+` added, whitespace
/// made visible. Empty when the texts are equal.
pub fn review_diff(old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let rule = "─".repeat(12);
    let wide = "─".repeat(60);
    let mut out = String::new();
    let _ = writeln!(out, "-old snapshot\n+new results");
    let _ = writeln!(out, "{rule}┬{wide}");
    let d = similar::TextDiff::from_lines(old, new);
    let num = |i: Option<usize>| {
        i.map(|i| format!("{:>5}", i + 1))
            .unwrap_or_else(|| " ".repeat(5))
    };
    for change in d.iter_all_changes() {
        let sign = match change.tag() {
            similar::ChangeTag::Delete => '-',
            similar::ChangeTag::Insert => '+',
            similar::ChangeTag::Equal => ' ',
        };
        let value = change.value();
        let line = value.strip_suffix('\n').unwrap_or(value);
        let _ = writeln!(
            out,
            "{} {} │{sign}{}",
            num(change.old_index()),
            num(change.new_index()),
            visible(line)
        );
        if change.missing_newline() {
            let _ = writeln!(out, "{:11} │{sign}(no newline at end)", "");
        }
    }
    let _ = writeln!(out, "{rule}┴{wide}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn review_diff_numbers_both_sides_like_insta() {
        let d = review_diff("Hello, client!\n", "Hello, students!\n");
        assert!(d.starts_with("-old snapshot\n+new results\n"), "{d}");
        assert!(d.contains("    1       │-Hello, client!"), "{d}");
        assert!(d.contains("          1 │+Hello, students!"), "{d}");
        let d = review_diff("a\nb\n", "a\nb \n");
        assert!(d.contains("    1     1 │ a"), "{d}");
        assert!(d.contains("│+b·"), "{d}");
        assert_eq!(review_diff("same\n", "same\n"), "");
    }

    #[test]
    fn normalize_folds_crlf_and_one_final_newline() {
        assert_eq!(normalize("a\r\nb\r\n"), "a\nb");
        assert_eq!(normalize("a\nb"), "a\nb");
        assert_eq!(normalize("a\n\n"), "a\n");
    }

    #[test]
    fn redaction_keeps_the_key() {
        assert_eq!(
            redact_value("x\nclient_ip=1.2.3.4\ny", "client_ip=", "<IP>"),
            "x\nclient_ip=<IP>\ny"
        );
    }

    #[test]
    fn visible_marks_what_terminals_hide() {
        assert_eq!(visible("a\tb  "), "a→b··");
        assert_eq!(visible("a\r"), "a␍");
        assert_eq!(visible("\u{1b}[31m"), "\\x1b[31m");
    }

    #[test]
    fn diff_marks_sides() {
        let d = diff("a\nb\n", "a\nc\n");
        assert!(d.contains("- b"), "{d}");
        assert!(d.contains("+ c"), "{d}");
        assert_eq!(diff("same", "same"), "");
    }

    #[test]
    fn student_output_cannot_carry_escapes() {
        let s = escape_student(b"ok\x1b[2J\x00\xff\xfe\n\xe2\x80\xaeevil");
        assert!(!s.contains('\u{1b}'));
        assert!(!s.contains('\0'));
        assert!(!s.contains('\u{202e}'));
        assert!(s.contains("\\xff\\xfe"), "{s}");
    }

    /// Whatever a student prints, escaping never panics and never lets a control character,
    /// escape or bidi override through; the other helpers never panic either.
    #[test]
    fn fuzz_text_helpers() {
        use proptest::prelude::*;
        proptest!(crate::fuzz_cases(5000), |(bytes in proptest::collection::vec(any::<u8>(), 0..600), s in "\\PC*", n in 0usize..50)| {
            let e = escape_student(&bytes);
            prop_assert!(!e.chars().any(|c| (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c)));
            let t = String::from_utf8_lossy(&bytes);
            let _ = normalize(&t);
            let _ = visible(&t);
            let _ = diff(&t, &s);
            let _ = truncate_chars(&t, n);
            let _ = tail_lines(&bytes, n);
            let _ = redact_value(&t, "client_ip=", "<X>");
        });
    }

    #[test]
    fn truncation_is_char_safe() {
        assert_eq!(truncate_chars("한국어", 2), "한국… (+3 bytes)");
        assert_eq!(truncate_chars("ab", 5), "ab");
    }
}
