//! What the grader's TLS servers saw of a client that did not get as far as a handshake, or
//! sent without end, put into words for a failure (a program's own output cannot tell).

use super::CheckCx;
use crate::counterpart::tls::Seen;
use crate::i18n::Lang;
use crate::report::Verdict;

/// What the grader's server saw instead of a ClientHello, in words: no connection, a
/// connection with nothing sent, plain text (an `http://` request to an `https://` server), the
/// start of a handshake cut short, or other bytes.
pub(super) fn no_hello(seen: &Seen, cx: &CheckCx<'_>) -> String {
    let n = seen.unreadable_bytes;
    let shown = crate::text::escape_one_line(&seen.unreadable_start);
    match instead_of_hello(seen) {
        InsteadOfHello::NoConnection => cx.t(
            "클라이언트가 채점기의 서버에 TCP 연결을 맺지 않았습니다",
            "your client never connected (TCP) to the grader's server",
        ),
        InsteadOfHello::Nothing => cx.t(
            "클라이언트가 TCP 연결은 맺었지만 아무것도 보내지 않았습니다: TLS 핸드셰이크(ClientHello)를 시작하지 않았습니다",
            "your client connected (TCP) but sent nothing: no TLS handshake (ClientHello) began",
        ),
        InsteadOfHello::CutHandshake => cx.t(
            &format!("채점기의 서버가 TLS 핸드셰이크 레코드로 시작하는 {n}바이트를 받았지만, ClientHello가 끝까지 오지 않았습니다 (연결이 끊기거나 멈춤)"),
            &format!("the grader's server received {n} bytes that begin a TLS handshake record, but never a whole ClientHello (the connection ended or stalled)"),
        ),
        InsteadOfHello::PlainText => cx.t(
            &format!("채점기의 서버가 TLS 핸드셰이크 대신 암호화되지 않은 텍스트 {n}바이트를 받았습니다: \"{shown}…\" (소켓을 ssl로 감싸지 않고 보냄)"),
            &format!("instead of a TLS handshake the grader's server received {n} bytes of plain text: \"{shown}…\" (sent without wrapping the socket in ssl)"),
        ),
        InsteadOfHello::Other => cx.t(
            &format!("채점기의 서버가 받은 {n}바이트는 TLS 핸드셰이크가 아닙니다: \"{shown}…\""),
            &format!(
                "the {n} bytes the grader's server received are not a TLS handshake: \"{shown}…\""
            ),
        ),
    }
}

/// What came instead of a ClientHello, by what the server saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum InsteadOfHello {
    NoConnection,
    Nothing,
    /// The start of a handshake record (a ClientHello cut short).
    CutHandshake,
    /// Readable text: an `http://` request (`GET / HTTP/1.1`) or a line, sent without TLS.
    PlainText,
    Other,
}

fn instead_of_hello(seen: &Seen) -> InsteadOfHello {
    let start = &seen.unreadable_start;
    if seen.connections == 0 {
        InsteadOfHello::NoConnection
    } else if seen.unreadable_bytes == 0 {
        InsteadOfHello::Nothing
    } else if start.first() == Some(&0x16) {
        InsteadOfHello::CutHandshake
    } else if start.first().is_some_and(u8::is_ascii_alphabetic)
        && start
            .iter()
            .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
    {
        InsteadOfHello::PlainText
    } else {
        InsteadOfHello::Other
    }
}

/// A failed run in which the client sent without end says what the grader's server saw: a
/// request head that never ended, bytes that were not TLS. Its output cannot tell.
pub(super) fn flood_said(v: Verdict, seen: &Seen, cx: &CheckCx<'_>) -> Verdict {
    let Verdict::Failed(mut f) = v else {
        return v;
    };
    let kib = crate::counterpart::tls::MAX_HEAD / 1024;
    let n = seen.endless_heads;
    let conns = |n: usize| {
        let n_ = crate::flood::thousands(n as u64);
        if n == 1 {
            format!("{n_} connection")
        } else {
            format!("{n_} connections")
        }
    };
    if n > 0 {
        f.message = match cx.lang {
            Lang::Ko => format!(
                "{}. 핸드셰이크 뒤 채점기의 서버는 끝(빈 줄)이 오지 않는 요청 헤더를 {kib} KiB까지 읽고 멈췄습니다 (이런 연결 {}개)",
                f.message,
                crate::flood::thousands(n as u64)
            ),
            Lang::En => format!(
                "{}; after the handshake the grader's server read {kib} KiB of a request head whose end (a blank line) never came (on {})",
                f.message,
                conns(n)
            ),
        };
    }
    if seen.unreadable_bytes > 0 {
        let size = crate::flood::bytes(seen.unreadable_bytes as u64, cx.lang);
        let all = seen.connections;
        f.message = match cx.lang {
            Lang::Ko => format!(
                "{}. 채점기의 서버는 TLS가 아닌 데이터도 {size} 받았습니다 (연결 {}개에 걸쳐)",
                f.message,
                crate::flood::thousands(all as u64)
            ),
            Lang::En => format!(
                "{}; the grader's server also received {size} that were not TLS (over {} in all)",
                f.message,
                conns(all)
            ),
        };
    }
    Verdict::Failed(f)
}

#[cfg(test)]
mod tests {
    use super::{InsteadOfHello, Seen, instead_of_hello};

    fn seen(connections: usize, sent: &[u8]) -> Seen {
        Seen {
            connections,
            unreadable_bytes: sent.len(),
            unreadable_start: sent.to_vec(),
            ..Seen::default()
        }
    }

    /// An `http://` request to the `https://` port is plain text (its space and CRLF
    /// included); the start of a handshake record is a ClientHello cut short.
    #[test]
    fn what_came_instead_of_a_client_hello_is_named() {
        let http = seen(1, b"GET / HTTP/1.1\r\nHost: loca");
        assert_eq!(instead_of_hello(&http), InsteadOfHello::PlainText);
        let cut = seen(1, &[0x16, 3, 1, 2, 0, 1, 0]);
        assert_eq!(instead_of_hello(&cut), InsteadOfHello::CutHandshake);
        assert_eq!(
            instead_of_hello(&seen(1, &[0, 0xff, 7])),
            InsteadOfHello::Other
        );
        assert_eq!(instead_of_hello(&seen(1, b"")), InsteadOfHello::Nothing);
        assert_eq!(
            instead_of_hello(&seen(0, b"")),
            InsteadOfHello::NoConnection
        );
    }
}
