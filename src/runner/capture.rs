//! What the runner adds under `--capture`: a check's end in one word for its mark, a failed
//! check's exchange for its result, and the note that ends a report.

use crate::i18n::Lang;
use crate::net::capture::{CheckFrames, Totals, timeline};
use crate::report::Verdict;
use crate::report::wire::{Side, Wire, WireLine};

/// A verdict in one word, for the capture's mark at a check's end.
pub(super) fn outcome_word(v: &Verdict) -> &'static str {
    match v {
        Verdict::Passed { .. } => "passed",
        Verdict::Failed(_) => "failed",
        Verdict::Skipped(_) | Verdict::Unavailable(_) => "skipped",
        Verdict::Error(_) => "error (the grader's)",
    }
}

/// A check's exchange for its report, from the frames the capture filed under it.
pub(super) fn exchange(frames: &CheckFrames, student_ports: &[u16], lang: Lang) -> Wire {
    let t = timeline::build(&frames.seen, frames.total, student_ports, lang);
    Wire {
        lines: t
            .lines
            .into_iter()
            .map(|l| WireLine {
                at_ms: l.at.as_secs_f64() * 1000.0,
                from: match l.from {
                    timeline::Side::Student => Side::Student,
                    timeline::Side::Grader => Side::Grader,
                },
                proto: l.proto,
                info: l.info,
                bytes: l.bytes,
                start: l.start,
            })
            .collect(),
        more: t.more,
    }
}

/// What the capture holds, said once at the end of the report.
pub(super) fn capture_notice(file: &str, t: &Totals, lang: Lang) -> String {
    let kib = t.bytes.div_ceil(1024);
    let mut s = match lang {
        Lang::Ko => format!(
            "캡처: {file} (패킷 {}개, {kib} KiB). Wireshark로 열거나 tshark -r {file} 로 보세요. 검사 하나의 패킷만 보려면 필터 frame.comment contains \"check 검사id\"를 쓰세요",
            t.written
        ),
        Lang::En => format!(
            "capture: {file} ({} packets, {kib} KiB); open it in Wireshark or run tshark -r {file}; one check's packets: frame.comment contains \"check ID\"",
            t.written
        ),
    };
    if t.sliced > 0 {
        s.push_str(&match lang {
            Lang::Ko => format!(
                ". 한 검사에서 4 MiB가 넘게 오간 뒤의 패킷 {}개는 앞부분 128바이트만 기록했습니다",
                t.sliced
            ),
            Lang::En => format!(
                "; {} packets were cut to their first 128 bytes (their check had passed 4 MiB)",
                t.sliced
            ),
        });
    }
    let missing = t.over_cap + t.kernel_drops;
    if missing > 0 {
        s.push_str(&match lang {
            Lang::Ko => format!(
                ". 패킷 {missing}개는 기록하지 못했습니다 (파일 크기 한도를 넘은 것 {}개, 한꺼번에 너무 많이 몰려 커널이 버린 것 {}개)",
                t.over_cap, t.kernel_drops
            ),
            Lang::En => format!(
                "; {missing} packets were not written ({} past the file's size limit, {} dropped by the kernel in a flood)",
                t.over_cap, t.kernel_drops
            ),
        });
    }
    s
}
