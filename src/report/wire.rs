//! What went over the wire, for a report (`--capture`): under a failed check the short
//! timeline of its exchange, and for the run the capture file and what it holds. The checks
//! never read these; they only help a student see what their program did.

use serde::Serialize;

use crate::i18n::Lang;

/// Which side sent a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Student,
    Grader,
}

/// One packet of a check's exchange.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WireLine {
    /// Milliseconds since the check began.
    pub at_ms: f64,
    pub from: Side,
    /// `UDP`, `TCP` or `TLS`.
    pub proto: &'static str,
    /// TCP flags (`SYN`, `FIN`, `RST`), TLS records (`ClientHello (SNI localhost)`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub info: String,
    /// Payload bytes.
    pub bytes: usize,
    /// The payload's first bytes, escaped.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub start: String,
}

/// A check's exchange: at most a dozen lines, and how many packets are only in the capture.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Wire {
    pub lines: Vec<WireLine>,
    pub more: usize,
}

/// The run's capture.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CaptureInfo {
    /// The pcapng file, as given to `--capture`.
    pub file: String,
    /// Frames seen on the grading's loopback.
    pub frames: u64,
    /// Frames written to the file.
    pub written: u64,
    /// Frames not written: past the file's cap, or dropped by the kernel in a flood.
    pub not_written: u64,
    /// The file's size in bytes.
    pub bytes: u64,
}

fn side(s: Side, lang: Lang) -> &'static str {
    match s {
        Side::Student => lang.pick("프로그램", "student"),
        Side::Grader => lang.pick("채점기", "grader"),
    }
}

/// The timeline as text lines (the human report and the CI formats): `0.012 s  grader →
/// student  UDP 4096 B  "aaaa…"`, then how many more packets the capture holds.
pub fn text_lines(w: &Wire, lang: Lang) -> Vec<String> {
    let mut out: Vec<String> = w
        .lines
        .iter()
        .map(|l| {
            let to = match l.from {
                Side::Student => Side::Grader,
                Side::Grader => Side::Student,
            };
            let mut s = format!(
                "{:.3}{}  {} → {}  {}",
                l.at_ms / 1000.0,
                lang.pick("초", " s"),
                side(l.from, lang),
                side(to, lang),
                l.proto
            );
            if !l.info.is_empty() {
                s.push(' ');
                s.push_str(&l.info);
            }
            if l.bytes > 0 {
                s.push_str(&format!("  {} B", l.bytes));
            }
            if !l.start.is_empty() {
                s.push_str(&format!("  \"{}\"", l.start));
            }
            s
        })
        .collect();
    if w.more > 0 {
        out.push(match lang {
            Lang::Ko => format!("… 그 밖의 패킷 {}개는 캡처 파일에 있습니다", w.more),
            Lang::En => format!("… {} more in the capture", w.more),
        });
    }
    out
}

/// The heading above a timeline.
pub fn heading(lang: Lang) -> &'static str {
    lang.pick(
        "네트워크로 오간 패킷 (캡처에서 발췌)",
        "on the wire (from the capture)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timeline_reads_as_lines_in_both_languages() {
        let w = Wire {
            lines: vec![
                WireLine {
                    at_ms: 12.0,
                    from: Side::Grader,
                    proto: "UDP",
                    info: String::new(),
                    bytes: 4096,
                    start: "aaaa…".into(),
                },
                WireLine {
                    at_ms: 13.4,
                    from: Side::Student,
                    proto: "TCP",
                    info: "RST".into(),
                    bytes: 0,
                    start: String::new(),
                },
            ],
            more: 3,
        };
        assert_eq!(
            text_lines(&w, Lang::En),
            [
                "0.012 s  grader → student  UDP  4096 B  \"aaaa…\"",
                "0.013 s  student → grader  TCP RST",
                "… 3 more in the capture",
            ]
        );
        let ko = text_lines(&w, Lang::Ko);
        assert_eq!(ko[0], "0.012초  채점기 → 프로그램  UDP  4096 B  \"aaaa…\"");
        assert_eq!(ko[2], "… 그 밖의 패킷 3개는 캡처 파일에 있습니다");
    }
}
