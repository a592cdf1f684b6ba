//! Starting a student's server again: after it exited or stopped listening between checks
//! (a restart, counted in the report's notice), before a check that must not inherit what an
//! earlier one left in it (afresh, the grader's choice), and when a request met the silence of
//! a server on its way out. Readiness sends nothing to the program.

use std::time::Duration;

use tokio::time::Instant;

use super::{StudentServer, mentions_port_in_use};
use crate::harness::ports;
use crate::labs::CheckCx;
use crate::report::Verdict;

impl StudentServer {
    /// Before a check: a server that exited (one that answers one request and stops, as a
    /// handout's first example does) is started again, so that each check grades its own
    /// lesson and only the check about serving on (`keeps_serving`) fails for it. So is one
    /// that still runs but no longer listens ([`super::Gone::NotListening`]): left alone, the next
    /// check's connections would be refused and it would be blamed for a crash it did not
    /// cause. The old process tree is stopped first. Readiness here sends nothing: it waits
    /// until the port is held again (a TCP connection only where the kernel's socket tables
    /// cannot be read).
    pub async fn ensure_running(&mut self, cx: &CheckCx<'_>) -> Result<(), Verdict> {
        if self.gone().is_none() {
            return Ok(());
        }
        self.restarts += 1;
        self.respawn(cx).await
    }

    /// Before a check that must not inherit what earlier checks left in the program (lab09: a
    /// room whose earlier members a server never took out): the running server is stopped and
    /// started again on the same port, as fresh as at `starts`. Not counted as a restart (the
    /// grader chose it), unless the server had already exited by itself.
    pub async fn start_afresh(&mut self, cx: &CheckCx<'_>) -> Result<(), Verdict> {
        if self.process.is_none() {
            return Ok(());
        }
        if self.exited().is_some() {
            self.restarts += 1;
        }
        self.respawn(cx).await
    }

    /// Stops the process (if any) and starts it again on the port of `starts`, ready when that
    /// port is held again (readiness sends nothing).
    async fn respawn(&mut self, cx: &CheckCx<'_>) -> Result<(), Verdict> {
        if let Some(mut old) = self.process.take() {
            old.shutdown(Duration::from_millis(200)).await;
        }
        // The old socket may linger in the kernel's table for a moment: wait until it is gone,
        // so that "held" below means held by the new process.
        self.port_released(Instant::now() + Duration::from_secs(2))
            .await;
        // One more try, on a new port: a connection the old program closed first lingers in
        // TIME_WAIT on its port for a minute, and a program that binds without SO_REUSEADDR
        // cannot have that port until then (a crash closes every connection first). Only a
        // program that reads PORT can be moved; one on the lab's default port cannot.
        for attempt in 0..2 {
            self.process = Some(self.spawn(self.given_port, cx)?);
            let exit = match self.restarted_ready(cx).await {
                Ok(()) => return Ok(()),
                Err(Some(exit)) => exit,
                Err(None) => {
                    return Err(self
                        .failure(cx.t(
                            "다시 시작한 서버가 제한 시간(5 s) 안에 포트를 열지 않았습니다",
                            "the server, started again, did not bind its port within 5 s",
                        ))
                        .into());
                }
            };
            let stderr = self.process.as_ref().map(|p| p.stderr.tail());
            let movable = self.port == self.given_port;
            if attempt == 0 && movable && mentions_port_in_use(&stderr.unwrap_or_default()) {
                if let Some(mut old) = self.process.take() {
                    old.shutdown(Duration::from_millis(200)).await;
                }
                match ports::pick_free_port() {
                    Ok(p) => (self.given_port, self.port) = (p, p),
                    Err(e) => {
                        return Err(Verdict::Error(format!("no free port for the server: {e}")));
                    }
                }
                continue;
            }
            return Err(self
                .failure(format!(
                    "{} ({exit})",
                    cx.t(
                        "다시 시작한 서버가 준비되기 전에 종료되었습니다",
                        "the server, started again, exited before it was ready"
                    )
                ))
                .into());
        }
        unreachable!("the loop returns on its last attempt")
    }

    /// Waits until the server started again holds its port: `Err(Some(exit))` when it exited
    /// first, `Err(None)` after 5 s (or the check's deadline).
    async fn restarted_ready(
        &mut self,
        cx: &CheckCx<'_>,
    ) -> Result<(), Option<crate::harness::Exit>> {
        let deadline = cx.deadline.min(Instant::now() + Duration::from_secs(5));
        let mut pause = Duration::from_millis(2);
        loop {
            // Asked of the kernel where it can be: a connection opened and closed to find out
            // would be one more for the program to survive (one that dies of a closed
            // connection would be gone again before the check).
            if self.port_held().await {
                return Ok(());
            }
            if let Some(exit) = self.exited() {
                return Err(Some(exit));
            }
            if Instant::now() >= deadline {
                return Err(None);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    /// After a request met silence: a server that is on its way out (it serves one request,
    /// then exits) is given `grace` to end and is started again. Returns whether it was, so
    /// the caller asks once more: serving on is another check's lesson.
    pub async fn restarted_if_gone(
        &mut self,
        grace: Duration,
        cx: &CheckCx<'_>,
    ) -> Result<bool, Verdict> {
        if self.exits_within(grace).await.is_none() {
            return Ok(false);
        }
        self.ensure_running(cx).await.map(|()| true)
    }
}
