//! The check runner: walks the definition's checks in order, skips a check whose prerequisite
//! did not pass (saying which), enforces each check's timeout and the lab's budget, scores, and
//! emits events. It never prints.

mod capture;

use std::collections::HashSet;
use std::time::Duration;

use tokio::time::Instant;

use crate::definition::LabDef;
use crate::graders::GraderSource;
use crate::i18n::{Lang, Msg};
use crate::labs::{CheckCx, LabDriver, Options};
use crate::net::capture::Capture;
use crate::report::wire::CaptureInfo;
use crate::report::{CheckResult, Event, FixFirst, Report, Status, Verdict};
use crate::rng::Rng;
use capture::{capture_notice, exchange, outcome_word};

pub struct RunConfig<'a> {
    pub lab: &'static str,
    pub lab_name: &'static str,
    pub submission: String,
    pub seed: u64,
    pub lang: Lang,
    pub options: Options,
    pub graders: &'a GraderSource,
    /// Run only these checks and what they need; the rest are reported as skipped.
    pub only: Vec<String>,
    /// Whether the submission ran in a private network namespace.
    pub network: crate::labs::Network,
    /// `--capture`: the running capture and its file's name as given.
    pub capture: Option<(Capture, String)>,
}

pub async fn run(
    def: &LabDef,
    driver: &mut dyn LabDriver,
    cfg: RunConfig<'_>,
    sink: &mut dyn FnMut(Event<'_>),
) -> Report {
    let started = Instant::now();
    let lang = cfg.lang;
    sink(Event::Started {
        lab: cfg.lab,
        lab_name: cfg.lab_name,
        title: def.title.get(lang),
        submission: &cfg.submission,
        seed: cfg.seed,
        lang,
    });
    let selected = selection(def, &cfg.only);
    let budget_end = started + def.budget;
    let mut results: Vec<CheckResult> = Vec::with_capacity(def.checks.len());
    // For each check skipped for a failed prerequisite: the failed check at the root of it.
    let mut root_cause: Vec<Option<usize>> = Vec::with_capacity(def.checks.len());
    for (i, check) in def.checks.iter().enumerate() {
        let t0 = Instant::now();
        let mut check_rng = Rng::named(cfg.seed, &check.id);
        let mut wire = None;
        let blocked = check
            .needs
            .iter()
            .find(|&&n| !results[n].status.satisfies_needs());
        root_cause.push(blocked.and_then(|&n| match results[n].status {
            Status::Failed => Some(n),
            _ => root_cause[n],
        }));
        let verdict = if !selected.contains(&i) {
            // Not asked for: like a check that cannot run here, it counts in neither the
            // score nor the maximum.
            Verdict::Unavailable(
                lang.pick("--only로 고르지 않음", "not selected with --only")
                    .into(),
            )
        } else if let Some(&n) = blocked {
            let need = &def.checks[n];
            Verdict::Skipped(format!(
                "{} ({} `{}`)",
                lang.msg(Msg::NeedsFailed),
                need.title.get(lang),
                need.id
            ))
        } else if t0 >= budget_end {
            Verdict::Skipped(format!(
                "{} ({} s)",
                lang.pick(
                    "실습 전체 제한 시간을 다 썼습니다",
                    "the lab's time budget is used up"
                ),
                def.budget.as_secs()
            ))
        } else {
            let deadline = (t0 + check.timeout).min(budget_end);
            let cx = CheckCx {
                lang,
                rng: &mut check_rng,
                deadline,
                options: &cfg.options,
                graders: cfg.graders,
                lab: cfg.lab,
            };
            // A small margin past the check's own deadline: checks stop at their deadline
            // themselves (every wait in them has one), so running past it is the grader's bug,
            // never the student's.
            let hard = deadline + Duration::from_millis(250);
            if let Some((c, _)) = &cfg.capture {
                c.begin(&check.id);
            }
            let verdict = match tokio::time::timeout_at(hard, driver.run_check(&check.id, cx)).await
            {
                Ok(v) => v,
                Err(_) => Verdict::Error(format!(
                    "{} ({:.1} s)",
                    lang.pick(
                        "검사가 자체 제한 시간을 넘겨서 채점기가 검사를 중단했습니다",
                        "the check ran past its own time limit and the grader stopped it"
                    ),
                    (deadline - t0).as_secs_f64()
                )),
            };
            if let Some((c, _)) = &cfg.capture {
                // A failed check's exchange; none for advice, nor for a check that sent nothing
                // of its own (it judged what an earlier check recorded).
                let wanted =
                    matches!(verdict, Verdict::Failed(_) | Verdict::Error(_)) && !check.advisory;
                if let Some(frames) = c.end(outcome_word(&verdict), wanted).await
                    && frames.total > 0
                {
                    wire = Some(exchange(&frames, &driver.student_ports(), lang));
                }
            }
            verdict
        };
        let mut result = to_result(check, verdict, lang, t0.elapsed());
        result.wire = wire;
        sink(Event::CheckFinished(&result));
        results.push(result);
    }
    let mut notices: Vec<String> = cfg.network.notice(lang).into_iter().collect();
    notices.extend(driver.teardown(lang).await);
    // After the teardown: the capture holds everything, the last goodbyes included.
    let capture = match cfg.capture {
        Some((c, file)) => match c.finish().await {
            Ok(t) => {
                notices.push(capture_notice(&file, &t, lang));
                Some(CaptureInfo {
                    file,
                    frames: t.frames,
                    written: t.written,
                    not_written: t.over_cap + t.kernel_drops,
                    bytes: t.bytes,
                })
            }
            Err(e) => {
                notices.push(format!(
                    "{} {file}: {e}",
                    lang.pick(
                        "캡처 파일을 마무리하지 못했습니다:",
                        "the capture could not be finished:"
                    )
                ));
                None
            }
        },
        None => None,
    };
    let score: f64 = results.iter().map(|r| r.score).sum();
    let passed = !results
        .iter()
        .any(|r| matches!(r.status, Status::Failed | Status::Error));
    let report = Report {
        schema: 1,
        lab: cfg.lab.to_string(),
        submission: cfg.submission,
        seed: cfg.seed,
        passed,
        score,
        // Checks that could not run here are not counted (see `Verdict::Unavailable`).
        max_score: results.iter().map(|r| r.max_score).sum(),
        duration_ms: started.elapsed().as_millis() as u64,
        lang,
        fix_first: fix_first(&root_cause).map(|(i, blocks)| FixFirst {
            id: def.checks[i].id.clone(),
            blocks,
        }),
        only: if cfg.only.is_empty() {
            Vec::new()
        } else {
            let mut ids: Vec<usize> = selected.into_iter().collect();
            ids.sort_unstable();
            ids.into_iter().map(|i| def.checks[i].id.clone()).collect()
        },
        checks: results,
        notices,
        network: if cfg.network.is_isolated() {
            "isolated"
        } else {
            "shared"
        },
        processes: if cfg.network.processes_isolated() {
            "isolated"
        } else {
            "shared"
        },
        capture,
    };
    sink(Event::Finished(&report));
    report
}

/// The failed check that the most skipped checks wait on (the earliest on a tie), and how
/// many: a crashed server is one thing to fix, not nine.
fn fix_first(root_cause: &[Option<usize>]) -> Option<(usize, usize)> {
    let mut counts: Vec<(usize, usize)> = Vec::new();
    for &r in root_cause.iter().flatten() {
        match counts.iter_mut().find(|(i, _)| *i == r) {
            Some((_, n)) => *n += 1,
            None => counts.push((r, 1)),
        }
    }
    counts
        .into_iter()
        .max_by_key(|&(i, n)| (n, std::cmp::Reverse(i)))
}

/// Indices of the checks to run: all, or those named with their prerequisites.
fn selection(def: &LabDef, only: &[String]) -> HashSet<usize> {
    if only.is_empty() {
        return (0..def.checks.len()).collect();
    }
    let mut set = HashSet::new();
    let mut stack: Vec<usize> = def
        .checks
        .iter()
        .enumerate()
        .filter(|(_, c)| only.contains(&c.id))
        .map(|(i, _)| i)
        .collect();
    while let Some(i) = stack.pop() {
        if set.insert(i) {
            stack.extend(&def.checks[i].needs);
        }
    }
    set
}

fn to_result(
    check: &crate::definition::CheckDef,
    verdict: Verdict,
    lang: Lang,
    took: Duration,
) -> CheckResult {
    let mut r = CheckResult::new(&check.id, check.title.get(lang), check.points);
    r.duration_ms = took.as_millis() as u64;
    match verdict {
        Verdict::Passed { note } => {
            r.score = check.points;
            r.message = note;
        }
        Verdict::Failed(f) => {
            // An advisory check that does not hold warns: worth nothing either way (validation
            // keeps its points at 0), never a failure.
            r.status = if check.advisory {
                Status::Warning
            } else {
                Status::Failed
            };
            r.message = Some(f.message);
            r.hint = Some(check.hint_for(f.hint, lang).to_string());
            r.expected = f.expected;
            r.actual = f.actual;
            r.diff = f.diff;
            r.output = f.output;
        }
        Verdict::Skipped(reason) => {
            r.status = Status::Skipped;
            r.message = Some(reason);
        }
        Verdict::Unavailable(reason) => {
            r.status = Status::Skipped;
            r.max_score = 0.0;
            r.message = Some(reason);
        }
        Verdict::Error(msg) => {
            r.status = Status::Error;
            r.message = Some(msg);
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use crate::labs::BoxFuture;
    use crate::labs::spec::CheckSpec;
    use crate::report::Failure;

    /// A driver whose checks return scripted verdicts, to test the runner alone.
    struct Scripted;

    impl LabDriver for Scripted {
        fn run_check<'a>(&'a mut self, id: &'a str, _cx: CheckCx<'a>) -> BoxFuture<'a, Verdict> {
            Box::pin(async move {
                match id {
                    "a" => Verdict::pass(),
                    "b" => Failure::new("b is wrong").hint("other").into(),
                    "d" => Verdict::Error("machine broke".into()),
                    "e" => Verdict::Unavailable("no namespaces here".into()),
                    "w" => Verdict::fail("not quite"),
                    "slow" => std::future::pending().await,
                    _ => Verdict::pass(),
                }
            })
        }
        fn teardown(&mut self, _lang: Lang) -> BoxFuture<'_, Vec<String>> {
            Box::pin(async { vec![] })
        }
    }

    const IDS: [&str; 8] = ["a", "b", "c", "d", "e", "w", "x", "slow"];

    fn specs() -> Vec<CheckSpec> {
        IDS.iter()
            .map(|id| CheckSpec {
                id,
                needs: &[],
                hints: if *id == "b" { &["other"] } else { &[] },
            })
            .collect()
    }

    /// a; b needs a; c needs b; d needs a; e; w (advisory) needs a; x needs w; slow.
    fn def() -> LabDef {
        let check = |id: &str, needs: &str, extra: &str| {
            format!(
                "[[checks]]\nid = \"{id}\"\ntitle = {{ ko = \"{id}\", en = \"{id}\" }}\nhint = {{ ko = \"h\", en = \"h\" }}\nneeds = [{needs}]\ntimeout_ms = 1000\n{extra}\n"
            )
        };
        let text = [
            check("a", "", "points = 1"),
            check(
                "b",
                "\"a\"",
                "points = 1\nhints.other = { ko = \"o\", en = \"o\" }",
            ),
            check("c", "\"b\"", "points = 1"),
            check("d", "\"a\"", "points = 1"),
            check("e", "", "points = 1"),
            check("w", "\"a\"", "points = 0\nadvisory = true"),
            check("x", "\"w\"", "points = 1"),
            check("slow", "", "points = 1"),
        ]
        .concat();
        let text = format!(
            "schema = 1\nlab = \"lab01\"\ntitle = {{ ko = \"t\", en = \"t\" }}\nbudget_ms = 10000\n{text}"
        );
        LabDef::parse(&text, "t", "lab01", &specs()).unwrap()
    }

    async fn run_scripted(only: Vec<String>) -> Report {
        let graders = GraderSource::Embedded;
        let cfg = RunConfig {
            lab: "lab01",
            lab_name: "x",
            submission: "s".into(),
            seed: 1,
            lang: Lang::En,
            options: Options::default(),
            graders: &graders,
            only,
            network: crate::labs::Network::Isolated {
                lan: None,
                processes: Ok(()),
            },
            capture: None,
        };
        let mut events = 0;
        let r = run(&def(), &mut Scripted, cfg, &mut |_| events += 1).await;
        assert_eq!(events, 10, "started + 8 checks + finished");
        r
    }

    fn status(r: &Report) -> Vec<(&str, Status)> {
        r.checks.iter().map(|c| (c.id.as_str(), c.status)).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn failed_prerequisite_skips_dependents_and_keeps_outcomes_apart() {
        let r = run_scripted(vec![]).await;
        use Status::*;
        assert_eq!(
            status(&r),
            [
                ("a", Passed),
                ("b", Failed),
                ("c", Skipped),
                ("d", Error),
                ("e", Skipped),
                ("w", Warning),
                ("x", Passed),
                ("slow", Error),
            ]
        );
        assert!(r.checks[2].message.as_deref().unwrap().contains("`b`"));
        // The hint the failure chose by what it saw.
        assert_eq!(r.checks[1].hint.as_deref(), Some("o"));
        // A check skipped for a failed prerequisite still counts; one unavailable here does not.
        assert_eq!(r.checks[2].max_score, 1.0);
        assert_eq!(r.checks[4].max_score, 0.0);
        assert_eq!(r.score, 2.0);
        assert_eq!(r.max_score, 6.0);
        assert!(!r.passed);
        let fix = r.fix_first.as_ref().unwrap();
        assert_eq!((fix.id.as_str(), fix.blocks), ("b", 1));
        // Running past its own deadline is the grader's bug, and the message names the limit.
        let slow = r.checks[7].message.as_deref().unwrap();
        assert!(slow.contains("1.0 s"), "{slow}");
    }

    #[tokio::test]
    async fn an_advisory_check_warns_with_its_hint_and_never_fails_the_run() {
        let r = run_scripted(vec!["x".into()]).await;
        let w = &r.checks[5];
        assert_eq!(
            (w.status, w.score, w.max_score),
            (Status::Warning, 0.0, 0.0)
        );
        assert_eq!(w.hint.as_deref(), Some("h"));
        // A warning satisfies what needs it, and alone it does not fail the run.
        assert_eq!(r.checks[6].status, Status::Passed);
        assert!(r.passed);
        assert_eq!(r.exit_code(), crate::report::exit::PASSED);
        assert!(r.fix_first.is_none());
    }

    #[tokio::test]
    async fn only_runs_the_named_check_and_its_prerequisites_and_scores_only_them() {
        let r = run_scripted(vec!["d".into()]).await;
        assert_eq!(r.checks[0].status, Status::Passed);
        assert_eq!(r.checks[1].status, Status::Skipped);
        assert_eq!(r.checks[3].status, Status::Error);
        // Not selected: counted in neither the score nor the maximum.
        assert_eq!((r.score, r.max_score), (1.0, 2.0));
        assert_eq!(r.only, ["a", "d"], "asked for and what it needs");
    }

    #[test]
    fn named_streams_do_not_depend_on_other_checks() {
        let mut a = Rng::named(7, "body");
        let mut b = Rng::named(7, "body");
        assert_eq!(a.next_u64(), b.next_u64());
        assert_ne!(
            Rng::named(7, "body").next_u64(),
            Rng::named(7, "client_ip").next_u64()
        );
        assert_ne!(
            Rng::named(7, "body").next_u64(),
            Rng::named(8, "body").next_u64()
        );
    }
}
