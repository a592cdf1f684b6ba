//! lab08's worker checks: three copies of the student's `worker.py HOST PORT` at once against
//! the grader's ventilator and sink ([`crate::counterpart::ventilator`]). One session is run
//! (on the first check that needs it) and every check reads its record: what each connection
//! asked for, was given and answered, and how each process ended.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::time::Instant;

use crate::counterpart::ventilator::{Record, Task, Ventilator};
use crate::flood::Unit;
use crate::harness::{Exit, Finished, Limits, Supervised};
use crate::i18n::Lang;
use crate::labs::{CheckCx, spawn_failure};
use crate::report::{Failure, Verdict};
use crate::rng::Rng;
use crate::submission::{Launch, SetupError};
use crate::text;

/// Workers started at once.
const WORKERS: usize = 3;
/// How long the ventilator waits for all three to send `READY` before it starts anyway.
const START_WINDOW: Duration = Duration::from_secs(10);
/// How long a worker may take to exit once every connection was told `END`.
const EXIT_GRACE: Duration = Duration::from_secs(3);
/// The whole session, at most.
const SESSION_LIMIT: Duration = Duration::from_secs(25);
/// Once handing out began, a session in which nothing happens for this long has stalled
/// (workers waiting for tasks they did not ask for, or holding tasks they do not answer).
const STALL: Duration = Duration::from_secs(5);

struct Session {
    tasks: Vec<Task>,
    record: Record,
    /// How each worker process ended (`exit: None`: still running at the end, and stopped).
    ended: Vec<Finished>,
    /// Every connection had been told `END` (and all tasks were handed out) before the end.
    finished: bool,
    port: u16,
}

pub(super) struct Workers {
    launch: Result<Launch, SetupError>,
    seed: u64,
    session: Option<Session>,
}

impl Workers {
    pub(super) fn new(launch: Result<Launch, SetupError>, seed: u64) -> Workers {
        Workers {
            launch,
            seed,
            session: None,
        }
    }

    /// The tasks of this grading: 9 to 15 of them, ids from a random start, random n.
    fn tasks(&self) -> Vec<Task> {
        let mut rng = Rng::named(self.seed, "lab08 tasks");
        let count = rng.range(9, 15) as u32;
        let first = rng.range(100, 900) as u32;
        (0..count)
            .map(|i| Task {
                id: first + i,
                n: rng.range(2, 99_999),
            })
            .collect()
    }

    async fn run(&mut self, cx: &CheckCx<'_>) -> Result<(), Verdict> {
        let launch = self
            .launch
            .as_ref()
            .map_err(|e| Verdict::fail(e.explain(cx.lang)))?;
        let tasks = self.tasks();
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .map_err(|e| Verdict::Error(format!("the grader could not listen: {e}")))?;
        let ventilator = Ventilator::start(listener, tasks.clone(), WORKERS, START_WINDOW)
            .map_err(|e| Verdict::Error(format!("the grader's ventilator failed: {e}")))?;
        let port = ventilator.addr().port();
        let end = cx.deadline.min(Instant::now() + SESSION_LIMIT);
        let budget = end.saturating_duration_since(Instant::now());
        let port_arg = port.to_string();
        let spec = launch.spec(
            &["127.0.0.1", &port_arg],
            vec![],
            Limits::for_budget(budget),
        );
        let mut procs = Vec::new();
        for _ in 0..WORKERS {
            match Supervised::spawn(&spec) {
                Ok(p) => procs.push(p),
                Err(e) => {
                    for mut p in procs {
                        p.shutdown(Duration::from_millis(200)).await;
                    }
                    return Err(spawn_failure(cx.lang, &spec, launch, &e));
                }
            }
        }
        let started = Instant::now();
        let mut settle: Option<Instant> = None;
        let mut last_change = (started, 0);
        loop {
            let all_exited = procs.iter_mut().all(|p| p.try_exit().is_some());
            let record = ventilator.record();
            let now = Instant::now();
            let activity = record.activity();
            if activity != last_change.1 {
                last_change = (now, activity);
            }
            let stalled = record.started && now >= last_change.0 + STALL;
            if record.finished(tasks.len()) && settle.is_none() {
                settle = Some(now + EXIT_GRACE);
            }
            let nobody = !record.conns.iter().any(|c| c.readys > 0);
            if all_exited
                || now >= end
                || settle.is_some_and(|s| now >= s)
                || stalled
                || (nobody && now >= started + START_WINDOW)
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut ended = Vec::new();
        for mut p in procs {
            let exit = p.try_exit();
            p.shutdown(Duration::from_millis(200)).await;
            ended.push(p.finished(exit));
        }
        self.session = Some(Session {
            record: ventilator.record(),
            finished: settle.is_some(),
            tasks,
            ended,
            port,
        });
        Ok(())
    }

    fn session(&self) -> Result<&Session, Verdict> {
        self.session
            .as_ref()
            .ok_or_else(|| Verdict::Error("the workers' session is missing".into()))
    }

    pub(super) async fn ready(&mut self, cx: &CheckCx<'_>) -> Verdict {
        if self.session.is_none()
            && let Err(v) = self.run(cx).await
        {
            return v;
        }
        let s = match self.session() {
            Ok(s) => s,
            Err(v) => return v,
        };
        let asked = s.record.conns.iter().filter(|c| c.readys > 0).count();
        if asked > 0 {
            return Verdict::pass();
        }
        let connected = s.record.conns.len();
        let message = format!(
            "worker.py 127.0.0.1 {} ({WORKERS}): {} {connected}, {} ({} s)",
            s.port,
            cx.t("연결한 워커 수", "workers connected"),
            cx.t("READY를 보낸 워커가 없습니다", "none sent READY"),
            START_WINDOW.as_secs()
        );
        let mut f = Failure::new(message).expected("READY");
        if let Some(e) = s.ended.first() {
            f = f.output(e.output.clone());
        }
        f.into()
    }

    /// Every `DONE` line is `DONE id n*n` for a task it was given, and nothing else was sent.
    pub(super) fn results(&self, cx: &CheckCx<'_>) -> Verdict {
        let s = match self.session() {
            Ok(s) => s,
            Err(v) => return v,
        };
        let by_id: HashMap<u32, u64> = s.tasks.iter().map(|t| (t.id, t.n)).collect();
        for c in &s.record.conns {
            if !c.bad.is_empty() {
                // More than one (a flood, maybe): how many in all, the first ones shown.
                let all = c.odd.say(Unit::Lines, cx.lang);
                let message = match (cx.lang, c.odd.count > 1) {
                    (Lang::Ko, false) => {
                        "워커가 READY도 DONE id 결과도 아닌 줄을 보냈습니다".into()
                    }
                    (Lang::En, false) => {
                        "a worker sent a line that is neither READY nor DONE id result".into()
                    }
                    (Lang::Ko, true) => {
                        format!("워커가 READY도 DONE id 결과도 아닌 줄을 모두 {all} 보냈습니다")
                    }
                    (Lang::En, true) => format!(
                        "a worker sent lines that are neither READY nor DONE id result, {all} in all"
                    ),
                };
                return Failure::new(message)
                    .expected("DONE <id> <n*n>\nREADY")
                    .actual(c.bad.join("\n"))
                    .into();
            }
            for (id, result) in &c.done {
                let Some(&n) = by_id.get(id) else {
                    return Failure::new(format!(
                        "DONE {id} {result}: {}",
                        cx.t("받은 적 없는 작업 id입니다", "no task has this id")
                    ))
                    .into();
                };
                let want = u128::from(n) * u128::from(n);
                if result.parse::<u128>().ok() != Some(want) {
                    return Failure::new(format!(
                        "TASK {id} {n}: {}",
                        cx.t("결과가 n*n이 아닙니다", "the result is not n*n")
                    ))
                    .expected(format!("DONE {id} {want}"))
                    .actual(text::escape_student(
                        format!("DONE {id} {result}").as_bytes(),
                    ))
                    .into();
                }
            }
        }
        if s.record.conns.iter().all(|c| c.done.is_empty()) {
            let handed = s.record.handed;
            return Failure::new(format!(
                "{}: {handed}",
                cx.t(
                    "워커가 DONE 줄을 하나도 보내지 않았습니다. 받은 작업 수",
                    "the workers sent no DONE line; tasks handed out"
                )
            ))
            .expected("DONE <id> <n*n>")
            .into();
        }
        Verdict::pass()
    }

    /// Every task was handed out and answered by the worker that took it.
    pub(super) fn none_lost(&self, cx: &CheckCx<'_>) -> Verdict {
        let s = match self.session() {
            Ok(s) => s,
            Err(v) => return v,
        };
        let mut lost = Vec::new();
        for c in &s.record.conns {
            for id in &c.tasks {
                if !c.done.iter().any(|(d, _)| d == id) {
                    lost.push(*id);
                }
            }
        }
        let total = s.tasks.len();
        if !lost.is_empty() {
            lost.sort_unstable();
            let ids: Vec<String> = lost.iter().map(u32::to_string).collect();
            return Failure::new(format!(
                "{}: {} ({} / {total})",
                cx.t(
                    "워커가 받아 가고 DONE으로 답하지 않은 작업",
                    "tasks a worker took and never answered with DONE"
                ),
                ids.join(", "),
                lost.len()
            ))
            .into();
        }
        if s.record.handed < total {
            return Failure::new(format!(
                "{}: {} / {total}",
                cx.t(
                    "워커들이 작업을 더 요청하지 않아 처리되지 않은 작업",
                    "tasks never done because the workers stopped asking (READY)"
                ),
                total - s.record.handed
            ))
            .hint("stopped_asking")
            .into();
        }
        Verdict::pass()
    }

    pub(super) fn no_duplicates(&self, cx: &CheckCx<'_>) -> Verdict {
        let s = match self.session() {
            Ok(s) => s,
            Err(v) => return v,
        };
        let mut answers: HashMap<u32, usize> = HashMap::new();
        for (id, _) in s.record.conns.iter().flat_map(|c| &c.done) {
            *answers.entry(*id).or_default() += 1;
        }
        let mut twice: Vec<(u32, usize)> = answers.into_iter().filter(|&(_, n)| n > 1).collect();
        if twice.is_empty() {
            return Verdict::pass();
        }
        twice.sort_unstable();
        let mut shown: Vec<String> = twice
            .iter()
            .take(6)
            .map(|(id, n)| format!("{id} ×{n}"))
            .collect();
        if twice.len() > 6 {
            shown.push(format!("... ({})", twice.len()));
        }
        Failure::new(format!(
            "{}: {}",
            cx.t(
                "DONE으로 두 번 이상 답한 작업",
                "tasks answered with DONE more than once"
            ),
            shown.join(", ")
        ))
        .into()
    }

    /// Pull: a worker holds one task at a time (`READY` only once its task is answered).
    pub(super) fn one_at_a_time(&self, cx: &CheckCx<'_>) -> Verdict {
        let s = match self.session() {
            Ok(s) => s,
            Err(v) => return v,
        };
        let most = s
            .record
            .conns
            .iter()
            .map(|c| c.max_outstanding)
            .max()
            .unwrap_or(0);
        let early: usize = s.record.conns.iter().map(|c| c.early_readys).sum();
        if most <= 1 && early == 0 {
            return Verdict::pass();
        }
        Failure::new(format!(
            "{}: {most} ({} {early})",
            cx.t(
                "한 워커가 답하지 않은 채 동시에 가지고 있던 작업 수",
                "tasks one worker held at once, unanswered"
            ),
            cx.t(
                "답하지 않은 작업이 남아 있는데 보낸 READY:",
                "READY sent while a task was still unanswered:"
            )
        ))
        .expected(cx.t(
            "READY → TASK → DONE → READY → ... (작업은 한 번에 하나)",
            "READY → TASK → DONE → READY → ... (one task at a time)",
        ))
        .into()
    }

    pub(super) fn spread(&self, cx: &CheckCx<'_>) -> Verdict {
        let s = match self.session() {
            Ok(s) => s,
            Err(v) => return v,
        };
        let per: Vec<usize> = s.record.conns.iter().map(|c| c.tasks.len()).collect();
        if per.iter().filter(|&&n| n > 0).count() > 1 {
            return Verdict::pass();
        }
        let shown: Vec<String> = per.iter().map(usize::to_string).collect();
        Failure::new(format!(
            "{}: [{}]",
            cx.t(
                "작업을 받은 워커가 하나뿐입니다. 연결별 작업 수",
                "only one worker got tasks; tasks per connection"
            ),
            shown.join(", ")
        ))
        .into()
    }

    pub(super) fn exits(&self, cx: &CheckCx<'_>) -> Verdict {
        let s = match self.session() {
            Ok(s) => s,
            Err(v) => return v,
        };
        let mut waiting = 0;
        for (i, e) in s.ended.iter().enumerate() {
            let who = format!("{} {}/{WORKERS}", cx.t("워커", "worker"), i + 1);
            let traceback = e.has_traceback().then(|| e.exception().unwrap_or_default());
            let problem = match (e.exit, traceback) {
                (None, _) if s.finished => Some((
                    format!(
                        "{} ({} s)",
                        cx.t(
                            "모든 연결에 END를 보낸 뒤에도 끝나지 않아 채점기가 종료했습니다",
                            "still running after every connection was sent END; the grader stopped it"
                        ),
                        EXIT_GRACE.as_secs()
                    ),
                    Some("never_ends"),
                )),
                // END never went out (the work stalled: another check's lesson), so whether it
                // would have ended on END cannot be told; waiting for work is not a fault.
                (None, _) => {
                    waiting += 1;
                    None
                }
                (Some(_), Some(exc)) => Some((
                    format!(
                        "{}: {exc}",
                        cx.t("traceback을 남기고 비정상 종료했습니다", "crashed with a traceback")
                    ),
                    None,
                )),
                (Some(Exit::Code(0)), None) => None,
                (Some(x), None) => Some((
                    format!("{} ({x})", cx.t("실패로 끝났습니다", "ended with a failure")),
                    None,
                )),
            };
            if let Some((message, hint)) = problem {
                let f = Failure::new(format!("{who}: {message}")).output(e.output.clone());
                return match hint {
                    Some(h) => f.hint(h).into(),
                    None => f.into(),
                };
            }
        }
        if waiting > 0 {
            return Verdict::pass_with(format!(
                "{}: {waiting}",
                cx.t(
                    "END를 받기 전이라 일을 기다리던 중에 채점기가 종료한 워커 수 (END를 보내지 못한 까닭은 다른 검사를 보세요)",
                    "workers stopped by the grader while still waiting for work, before any END (see the other checks for why none came)"
                )
            ));
        }
        Verdict::pass()
    }
}
