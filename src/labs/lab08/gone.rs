//! A broker that stops serving, told where it happened. A crash belongs to the check during
//! which it happened: that check says the broker exited (or stopped listening) and shows its
//! traceback; a check that passed keeps its pass, with a note. The next check gets a broker
//! started again (`StudentServer::ensure_running`), so a refused connection is not explained
//! with the next check's hint. A check whose very first connections are refused (the broker
//! died a moment after the grader's last look) is run once more on a broker started again;
//! refused again, the broker ends by itself and the check fails, saying so, with its traceback.
//!
//! A Python broker is not gone the moment it is "dead": its `with socket.socket()` closes the
//! listening socket while the traceback is still being printed, and threads that are not
//! daemon threads keep the process running after its main thread died. So "gone" is asked of
//! the kernel (nothing listens) as well as of the process (it exited).

use std::time::Duration;

use tokio::time::Instant;

use crate::labs::CheckCx;
use crate::labs::server::{Gone, StudentServer};
use crate::report::{Failure, Verdict};

/// How long after a check the grader watches for a broker that dies of the check's
/// connections closing (a reset it does not survive), so that the crash is told under that
/// check rather than found by the next one: at most this, and less once the broker has closed
/// every connection the check closed (asked of the kernel), plus [`SETTLED`].
const AFTER_CHECK: Duration = Duration::from_millis(150);
/// After the broker closed its ends of the check's connections, how long a look more for one
/// that is going down of it (its listening socket closes a moment after, as it unwinds).
const SETTLED: Duration = Duration::from_millis(25);
/// How long a broker that stopped listening is given to finish exiting (a program's sockets
/// close before its exit status is there to read).
const FINISHING: Duration = Duration::from_millis(300);
/// How long the grader waits for a crashed broker's traceback to reach its error output.
const TRACEBACK_WAIT: Duration = Duration::from_millis(500);

/// `wait` from now, but no later than a little past the check's deadline: a check that used
/// all its time still ends within the margin the runner allows past it (250 ms).
fn bounded(wait: Duration, cx: &CheckCx<'_>) -> Instant {
    (Instant::now() + wait).min(cx.deadline + Duration::from_millis(150))
}

/// Watches the broker for up to `grace`: how it is gone, if it is by then. One that stopped
/// listening is given [`FINISHING`] to exit, so its exit status can be told.
pub(super) async fn within(
    server: &mut StudentServer,
    grace: Duration,
    cx: &CheckCx<'_>,
) -> Option<Gone> {
    watch_for(server, grace, false, cx).await
}

/// [`within`] after a check: once the broker has closed its end of every connection the check
/// closed (asked of the kernel), it has lived through them, and a short look more
/// ([`SETTLED`]) replaces the rest of [`AFTER_CHECK`]. A broker that passed a check costs a few
/// milliseconds here, not the whole grace.
async fn after_check(server: &mut StudentServer, cx: &CheckCx<'_>) -> Option<Gone> {
    watch_for(server, AFTER_CHECK, true, cx).await
}

async fn watch_for(
    server: &mut StudentServer,
    grace: Duration,
    settle_early: bool,
    cx: &CheckCx<'_>,
) -> Option<Gone> {
    let mut until = bounded(grace, cx);
    let mut settled = !settle_early;
    // Not at the very first look: the ends the check just closed take a moment to arrive.
    let mut looks = 0;
    loop {
        looks += 1;
        match server.gone() {
            Some(Gone::NotListening) => {
                let left = until.saturating_duration_since(Instant::now());
                return Some(match server.exits_within(FINISHING.min(left)).await {
                    Some(e) => Gone::Exited(e),
                    None => Gone::NotListening,
                });
            }
            Some(g) => return Some(g),
            None => {}
        }
        if !settled && looks > 1 && crate::harness::ports::tcp_closing(server.port()) == Some(0) {
            settled = true;
            until = until.min(Instant::now() + SETTLED);
        }
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        server
            .exits_within(left.min(Duration::from_millis(5)))
            .await;
    }
}

/// What the student reads about how the broker is gone (short: a message line is clipped at
/// 200 characters).
pub(super) fn describe(gone: Gone, cx: &CheckCx<'_>) -> String {
    match gone {
        Gone::Exited(e) => format!("{} ({e})", exited(cx)),
        Gone::NotListening => format!(
            "{}: {}",
            deaf(cx),
            cx.t(
                "대기 소켓은 닫혔는데 프로세스는 남아 있습니다 (daemon이 아닌 스레드가 프로그램을 붙잡고 있음)",
                "its listening socket is closed, yet the process runs on (a thread that is not a daemon keeps it)",
            )
        ),
    }
}

fn exited(cx: &CheckCx<'_>) -> String {
    cx.t("브로커가 종료되었습니다", "the broker exited")
}

fn deaf(cx: &CheckCx<'_>) -> String {
    cx.t(
        "브로커가 더 이상 연결을 받지 않게 되었습니다",
        "the broker stopped accepting connections",
    )
}

/// Whether a message already says the broker is gone (a check that watched for it).
fn told(message: &str, cx: &CheckCx<'_>) -> bool {
    message.contains(&exited(cx)) || message.contains(&deaf(cx))
}

/// A connection the check needed before it sent anything was refused: the broker was gone
/// before this check began (it died as the previous check's connections closed, just after the
/// grader looked). Not this check's failure: the check's `Watch` notes the refusal, and the
/// driver starts the broker again and runs the check once more ([`unreachable_again`] if that
/// meets one too).
pub(super) fn unreachable(error: &std::io::Error, cx: &CheckCx<'_>) -> Verdict {
    Verdict::Skipped(format!(
        "{}: {error}",
        cx.t(
            "이 검사를 시작할 때 브로커에 연결할 수 없어서 검사하지 못했습니다",
            "not checked: the broker could not be reached when this check began",
        )
    ))
}

/// The check, run again on a broker started again for it, still found it gone before sending
/// anything (`error`: the refusal): the broker ends by itself, during this check (one that
/// dies as it accepts a connection); a skip would let it pass the run. The failure shows its
/// traceback.
pub(super) async fn unreachable_again(
    server: &mut StudentServer,
    error: &str,
    cx: &CheckCx<'_>,
) -> Verdict {
    let mut message = format!(
        "{}: {error}",
        cx.t(
            "이 검사를 위해 다시 시작한 브로커에도 연결할 수 없었습니다",
            "the broker, started again for this check, could not be reached either"
        )
    );
    if let Some(g) = within(server, FINISHING, cx).await {
        message = format!("{message} ({})", describe(g, cx));
    }
    server.output_settled(bounded(TRACEBACK_WAIT, cx)).await;
    server.failure(message).into()
}

/// After a broker check: a broker that is gone by now went during this check. A failure says
/// so (unless it did already) and shows the traceback; a pass stays a pass (the check's
/// lesson held) with a note, the crash being another check's lesson (a subscriber that
/// vanishes). Either way the next check starts it again.
pub(super) async fn settle(
    server: &mut StudentServer,
    verdict: Verdict,
    cx: &CheckCx<'_>,
) -> Verdict {
    let Some(gone) = after_check(server, cx).await else {
        return verdict;
    };
    let during = cx.t("이 검사 도중", "during this check");
    match verdict {
        Verdict::Failed(f) => {
            server.output_settled(bounded(TRACEBACK_WAIT, cx)).await;
            let mut f = *f;
            if !told(&f.message, cx) {
                // A line of its own: the check's message may take the whole of one.
                f.message = format!("{}\n{during} {}", f.message, describe(gone, cx));
            }
            // The output again: the traceback was still on its way when the check failed.
            let fresh: Failure = server.failure(f.message.clone());
            f.output = fresh.output.or(f.output);
            f.into()
        }
        Verdict::Passed { note } => {
            let closing = cx.t(
                "검사가 끝나고 채점기가 이 검사의 연결을 닫자",
                "as the grader closed this check's connections,",
            );
            let said = format!("{closing} {}", describe(gone, cx));
            Verdict::pass_with(match note {
                Some(n) => format!("{n}; {said}"),
                None => said,
            })
        }
        other => other,
    }
}
