//! A check's exchange as a short timeline: for each packet that says something (pure TCP
//! acknowledgements are left out), when it went, which way (the student's program or the
//! grader), the protocol, its length and its first bytes, with TCP's SYN, FIN and RST and
//! TLS's handshake records and alerts named. Pure: built from what the capture saw, for a
//! failed check's report.

use std::time::Duration;

use super::decode::{Frame, Record, Transport, alert_name};
use crate::i18n::Lang;

/// Lines listed at most; the rest is counted.
pub const MAX_LINES: usize = 12;
/// Characters of a payload's start shown.
const START_SHOWN: usize = 24;

/// A frame as the capture saw it during a check.
#[derive(Clone, Debug)]
pub struct Seen {
    /// Since the check began.
    pub at: Duration,
    pub frame: Frame,
    /// Whether `frame.src` opened the flow (its first packet, a TCP SYN or the first
    /// datagram): in a flow that is not a student's server's, the opener is the student.
    pub src_opened: bool,
}

/// Which side sent a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Student,
    Grader,
}

/// One line of a timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub at: Duration,
    pub from: Side,
    /// `UDP`, `TCP` or `TLS`.
    pub proto: &'static str,
    /// Flags, TLS records: `SYN`, `RST`, `ClientHello (SNI localhost)`; empty for plain data.
    pub info: String,
    /// Payload bytes.
    pub bytes: usize,
    /// The payload's first bytes, escaped (`\n`, `\x00`), `…` when there is more.
    pub start: String,
}

/// A check's timeline: at most [`MAX_LINES`] lines and how many packets were not listed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Timeline {
    pub lines: Vec<Line>,
    pub more: usize,
}

/// Builds the timeline of `seen` (in order) out of `total` packets the check had in all.
/// `student_ports`: the ports the student's servers listen on (empty in a client lab).
pub fn build(seen: &[Seen], total: usize, student_ports: &[u16], lang: Lang) -> Timeline {
    let mut lines = Vec::new();
    for s in seen {
        if lines.len() == MAX_LINES {
            break;
        }
        if let Some(line) = line(s, student_ports, lang) {
            lines.push(line);
        }
    }
    Timeline {
        more: total.saturating_sub(lines.len()),
        lines,
    }
}

fn side(s: &Seen, student_ports: &[u16]) -> Side {
    let (src, dst) = (s.frame.src.port(), s.frame.dst.port());
    if student_ports.contains(&src) {
        Side::Student
    } else if student_ports.contains(&dst) {
        Side::Grader
    } else if s.src_opened {
        // Not a student's server: the student's program is the client, and opened it.
        Side::Student
    } else {
        Side::Grader
    }
}

fn line(s: &Seen, student_ports: &[u16], lang: Lang) -> Option<Line> {
    let f = &s.frame;
    let (proto, info) = match f.transport {
        Transport::Udp => ("UDP", String::new()),
        Transport::Unreachable { code } => (
            "ICMP",
            match code {
                3 if f.src.is_ipv4() => lang.pick("포트 도달 불가", "port unreachable").into(),
                4 if f.src.is_ipv6() => lang.pick("포트 도달 불가", "port unreachable").into(),
                _ => lang.pick("도달 불가", "unreachable").into(),
            },
        ),
        Transport::Tcp(flags) => {
            if !f.tls.is_empty() {
                let names: Vec<String> = f.tls.iter().map(|r| record(r, lang)).collect();
                ("TLS", names.join(", "))
            } else {
                let mut names = Vec::new();
                if flags.syn {
                    names.push("SYN");
                }
                if flags.fin {
                    names.push("FIN");
                }
                if flags.rst {
                    names.push("RST");
                }
                // A bare acknowledgement says nothing a student needs here.
                if names.is_empty() && f.payload_len == 0 {
                    return None;
                }
                if flags.syn && flags.ack {
                    names.push("ACK");
                }
                ("TCP", names.join(", "))
            }
        }
    };
    Some(Line {
        at: s.at,
        from: side(s, student_ports),
        proto,
        info,
        bytes: f.payload_len,
        start: shown(&f.start, f.payload_len),
    })
}

fn record(r: &Record, lang: Lang) -> String {
    match r {
        Record::ClientHello { sni: Some(name) } => format!("ClientHello (SNI {name})"),
        Record::ClientHello { sni: None } => lang
            .pick("ClientHello (SNI 없음)", "ClientHello (no SNI)")
            .into(),
        Record::ServerHello => "ServerHello".into(),
        Record::Handshake(11) => "Certificate".into(),
        Record::Handshake(t) => format!("handshake {t}"),
        Record::Alert { fatal, description } => format!(
            "Alert {} ({})",
            alert_name(*description),
            if *fatal { "fatal" } else { "warning" }
        ),
        Record::ChangeCipherSpec => "ChangeCipherSpec".into(),
        Record::Encrypted => lang.pick("암호화된 레코드", "encrypted record").into(),
    }
}

/// The first bytes of a payload of `len` bytes, on one line.
fn shown(start: &[u8], len: usize) -> String {
    if start.is_empty() {
        return String::new();
    }
    // A start cut inside a UTF-8 character (Korean text) ends before that character.
    let mut bytes = start;
    if len > start.len()
        && let Err(e) = std::str::from_utf8(bytes)
        && e.error_len().is_none()
    {
        bytes = &bytes[..e.valid_up_to()];
    }
    let escaped = crate::text::escape_one_line(bytes);
    let mut out: String = escaped.chars().take(START_SHOWN).collect();
    if out.chars().count() < escaped.chars().count() || len > bytes.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::decode::{TcpFlags, frame};
    use super::*;

    fn seen(ms: u64, f: Frame, src_opened: bool) -> Seen {
        Seen {
            at: Duration::from_millis(ms),
            frame: f,
            src_opened,
        }
    }

    fn udp(sport: u16, dport: u16, payload: &[u8]) -> Frame {
        let mut f = frame(&super::super::decode::tests_support::udp4(
            sport, dport, payload,
        ))
        .expect("a UDP frame");
        f.start.truncate(super::super::decode::START_KEPT);
        f
    }

    #[test]
    fn a_server_lab_sides_come_from_the_students_port() {
        let grader_to_student = udp(40000, 6789, &[b'a'; 4096]);
        let student_to_grader = udp(6789, 40000, b"hello\n");
        let t = build(
            &[
                seen(12, grader_to_student, true),
                seen(13, student_to_grader, false),
            ],
            2,
            &[6789],
            Lang::En,
        );
        assert_eq!(t.more, 0);
        assert_eq!(t.lines[0].from, Side::Grader);
        assert_eq!(t.lines[0].bytes, 4096);
        assert_eq!(t.lines[0].start, "aaaaaaaaaaaaaaaaaaaaaaaa…");
        assert_eq!(t.lines[1].from, Side::Student);
        assert_eq!(t.lines[1].start, "hello\\n");
    }

    #[test]
    fn a_client_lab_student_is_who_opened_the_flow_and_bare_acks_are_left_out() {
        let tcp = |sport, dport, flags: TcpFlags, payload: &[u8]| Frame {
            src: format!("127.0.0.1:{sport}").parse().unwrap(),
            dst: format!("127.0.0.1:{dport}").parse().unwrap(),
            transport: Transport::Tcp(flags),
            payload_len: payload.len(),
            start: payload.to_vec(),
            tls: Vec::new(),
        };
        let syn = TcpFlags {
            syn: true,
            ..TcpFlags::default()
        };
        let ack = TcpFlags {
            ack: true,
            ..TcpFlags::default()
        };
        let rst = TcpFlags {
            rst: true,
            ack: true,
            ..TcpFlags::default()
        };
        let t = build(
            &[
                seen(0, tcp(50000, 8888, syn, b""), true),
                seen(1, tcp(50000, 8888, ack, b""), true),
                seen(2, tcp(50000, 8888, ack, "안녕".as_bytes()), true),
                seen(3, tcp(8888, 50000, rst, b""), false),
            ],
            4,
            &[],
            Lang::En,
        );
        let shown: Vec<_> = t
            .lines
            .iter()
            .map(|l| (l.from, l.proto, l.info.as_str(), l.start.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                (Side::Student, "TCP", "SYN", ""),
                (Side::Student, "TCP", "", "안녕"),
                (Side::Grader, "TCP", "RST", ""),
            ]
        );
        assert_eq!(t.more, 1);
    }

    #[test]
    fn at_most_twelve_lines_and_the_rest_counted() {
        let many: Vec<Seen> = (0..40)
            .map(|i| seen(i, udp(40000, 6789, b"x"), true))
            .collect();
        let t = build(&many, 200_000, &[6789], Lang::Ko);
        assert_eq!(t.lines.len(), MAX_LINES);
        assert_eq!(t.more, 200_000 - MAX_LINES);
    }

    #[test]
    fn a_start_cut_inside_a_character_ends_before_it() {
        let text = "가나다".as_bytes();
        assert_eq!(shown(&text[..4], 9), "가…");
        assert_eq!(shown(b"\x00\x01", 2), "\\x00\\x01");
    }
}
