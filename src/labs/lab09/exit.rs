//! How lab09's client ended, judged the way the student sees it in a terminal. The grader
//! writes the client's input through a pipe, and that changes one thing about how CPython ends:
//! a daemon thread blocked in `input()` holds the lock of `sys.stdin`'s buffer, and at
//! interpreter shutdown CPython waits a second for that lock, then aborts with a fatal error
//! (SIGABRT). In a terminal `input()` reads through `PyOS_Readline` without that lock, and the
//! same program exits with status 0. The handout recommends exactly that thread, so this one
//! abort, and nothing else, counts as a clean exit, with a note that says why.

use std::time::Duration;

use crate::harness::{Exit, Finished};
use crate::i18n::Lang;
use crate::labs::ran_cleanly;
use crate::report::Verdict;

/// SIGABRT, the same number on every Unix (`abort()` after a fatal error).
const SIGABRT: i32 = 6;

/// The fatal error of CPython's `_enter_buffered_busy` for standard input (newer versions put
/// the function's name before it, older ones print the sentence alone: [`stdin_lock_abort`]
/// takes both).
const STDIN_LOCK: &str = "could not acquire lock for <_io.BufferedReader name='<stdin>'> \
                          at interpreter shutdown, possibly due to daemon threads";

/// Whether the run ended with exactly the interpreter-shutdown abort over standard input's
/// lock: SIGABRT, one fatal error and it is that one, and no traceback of the program's own
/// (an exception that ended the program, or one in a thread, is still a crash).
pub(super) fn stdin_lock_abort(f: &Finished) -> bool {
    if f.exit != Some(Exit::Signal(SIGABRT)) || f.has_traceback() {
        return false;
    }
    let fatal: Vec<&str> = f
        .stderr
        .lines()
        .filter_map(|l| l.trim_end().strip_prefix("Fatal Python error: "))
        .collect();
    match fatal.as_slice() {
        [what] => what.strip_prefix("_enter_buffered_busy: ").unwrap_or(what) == STDIN_LOCK,
        _ => false,
    }
}

/// [`ran_cleanly`], except that the abort of [`stdin_lock_abort`] passes, with a note.
pub(super) fn ended_cleanly(f: &Finished, command: &str, limit: Duration, lang: Lang) -> Verdict {
    if !stdin_lock_abort(f) {
        return ran_cleanly(f, command, limit, lang);
    }
    Verdict::pass_with(format!(
        "{command}: {}",
        lang.pick(
            "SIGABRT로 끝났지만 정상 종료로 인정했습니다. 입력을 기다리던 daemon 스레드가 표준 입력의 잠금(lock)을 쥔 채로 파이썬이 종료되면, 표준 입력이 파이프일 때(채점기는 이렇게 실행합니다) CPython이 'Fatal Python error: _enter_buffered_busy'를 출력하고 멈춥니다. 터미널에서 실행하면 같은 프로그램이 종료 코드 0으로 끝나므로 고칠 것은 없습니다. 다만 이때는 프로그램이 원래 돌려주려던 종료 코드를 채점기가 볼 수 없습니다.",
            "it ended with SIGABRT, counted as a clean exit: Python shut down while a daemon thread waiting for input held the lock of standard input, and when standard input is a pipe (as the grader runs it) CPython then stops with 'Fatal Python error: _enter_buffered_busy'. Run in a terminal, the same program exits with status 0, so there is nothing to fix; only the exit status your program meant to return cannot be seen.",
        )
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::OutputTail;

    /// What CPython 3.11 printed for a daemon thread blocked in input() (tstate redacted).
    const ABORT_3_11: &str = "Fatal Python error: _enter_buffered_busy: could not acquire lock for <_io.BufferedReader name='<stdin>'> at interpreter shutdown, possibly due to daemon threads\nPython runtime state: finalizing (tstate=0x00007f373eb76ef8)\n\nCurrent thread 0x00007f373ec55b80 (most recent call first):\n  <no Python frame>\n";

    fn ended(exit: Option<Exit>, stderr: &str) -> Finished {
        Finished {
            exit,
            stdout: "< hello\n".into(),
            stderr: stderr.into(),
            output: OutputTail::default(),
        }
    }

    fn passes(f: &Finished) -> bool {
        matches!(
            ended_cleanly(f, "chat_client.py", Duration::from_secs(5), Lang::En),
            Verdict::Passed { .. }
        )
    }

    #[test]
    fn the_stdin_lock_abort_at_shutdown_passes_with_a_note() {
        let f = ended(Some(Exit::Signal(SIGABRT)), ABORT_3_11);
        assert!(stdin_lock_abort(&f));
        match ended_cleanly(&f, "chat_client.py", Duration::from_secs(5), Lang::En) {
            Verdict::Passed { note: Some(n) } => assert!(n.contains("terminal"), "{n}"),
            other => panic!("{other:?}"),
        }
        // Older versions do not name the function.
        let old = ABORT_3_11.replace("_enter_buffered_busy: ", "");
        assert!(stdin_lock_abort(&ended(Some(Exit::Signal(SIGABRT)), &old)));
    }

    #[test]
    fn every_other_end_that_is_not_clean_still_fails() {
        let abort = Some(Exit::Signal(SIGABRT));
        // The same words with another signal or status, or none (still running).
        for exit in [Some(Exit::Signal(11)), Some(Exit::Code(1)), None] {
            assert!(!passes(&ended(exit, ABORT_3_11)), "{exit:?}");
        }
        // Another stream's lock (stdout), or another fatal error.
        let stdout = ABORT_3_11.replace("'<stdin>'", "'<stdout>'");
        assert!(!passes(&ended(abort, &stdout)));
        assert!(!passes(&ended(
            abort,
            "Fatal Python error: Segmentation fault\n"
        )));
        // A second fatal error besides it, or a plain abort() with nothing said.
        assert!(!passes(&ended(
            abort,
            &format!("{ABORT_3_11}Fatal Python error: Aborted\n")
        )));
        assert!(!passes(&ended(abort, "")));
        // A traceback of the program's own (here, its input thread's) before the abort.
        let traceback = format!(
            "Exception in thread Thread-1 (read_input):\nTraceback (most recent call last):\n  File \"chat_client.py\", line 9, in read_input\nRuntimeError: Event loop is closed\n{ABORT_3_11}"
        );
        assert!(!passes(&ended(abort, &traceback)));
        // A clean exit is a clean exit.
        assert!(passes(&ended(Some(Exit::Code(0)), "")));
    }
}
