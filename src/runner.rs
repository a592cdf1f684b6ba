//! The check runner: walks the definition's checks in order, skips a check whose prerequisite
//! did not pass (saying which), enforces each check's timeout and the lab's budget, scores, and
//! emits events. It never prints.

use std::collections::HashSet;
use std::time::Duration;

use tokio::time::Instant;

use crate::definition::LabDef;
use crate::graders::GraderSource;
use crate::i18n::{Lang, Msg};
use crate::labs::{CheckCx, LabDriver, Options};
use crate::report::{CheckResult, Event, Report, Status, Verdict};
use crate::rng::Rng;

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
    let mut rng = Rng::new(cfg.seed);
    let mut results: Vec<CheckResult> = Vec::with_capacity(def.checks.len());
    for (i, check) in def.checks.iter().enumerate() {
        let t0 = Instant::now();
        // Each check draws from its own stream, so --only and skips don't shift the values
        // other checks see for the same seed.
        let mut check_rng = Rng::new(rng.next_u64() ^ (i as u64));
        let blocked = check
            .needs
            .iter()
            .find(|&&n| results[n].status != Status::Passed);
        let verdict = if !selected.contains(&i) {
            Verdict::Skipped(
                lang.pick("--only 로 선택되지 않음", "not selected with --only")
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
                    "실습 전체 시간 제한을 다 썼습니다",
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
            // themselves, this only catches one that forgot to.
            let hard = deadline + Duration::from_millis(250);
            match tokio::time::timeout_at(hard, driver.run_check(&check.id, cx)).await {
                Ok(v) => v,
                Err(_) => Verdict::fail(format!(
                    "{} ({:.1} s)",
                    lang.pick(
                        "제한 시간 안에 끝나지 않았습니다",
                        "did not finish within its time limit"
                    ),
                    (deadline - t0).as_secs_f64()
                )),
            }
        };
        let result = to_result(check, verdict, lang, t0.elapsed());
        sink(Event::CheckFinished(&result));
        results.push(result);
    }
    let notices = driver.teardown(lang).await;
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
        checks: results,
        notices,
    };
    sink(Event::Finished(&report));
    report
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
            r.status = Status::Failed;
            r.message = Some(f.message);
            r.hint = Some(check.hint.get(lang).to_string());
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

    /// A driver whose checks return scripted verdicts, to test the runner alone.
    struct Scripted;

    impl LabDriver for Scripted {
        fn run_check<'a>(&'a mut self, id: &'a str, _cx: CheckCx<'a>) -> BoxFuture<'a, Verdict> {
            Box::pin(async move {
                match id {
                    "a" => Verdict::pass(),
                    "b" => Verdict::fail("b is wrong"),
                    "d" => Verdict::Error("machine broke".into()),
                    "e" => Verdict::Unavailable("no namespaces here".into()),
                    _ => Verdict::pass(),
                }
            })
        }
        fn teardown(&mut self, _lang: Lang) -> BoxFuture<'_, Vec<String>> {
            Box::pin(async { vec![] })
        }
    }

    fn def() -> LabDef {
        let check = |id: &str, needs: &str| {
            format!(
                "[[checks]]\nid = \"{id}\"\ntitle = {{ ko = \"{id}\", en = \"{id}\" }}\nhint = {{ ko = \"h\", en = \"h\" }}\npoints = 1\nneeds = [{needs}]\ntimeout_ms = 1000\n"
            )
        };
        let text = format!(
            "schema = 1\nlab = \"lab01\"\ntitle = {{ ko = \"t\", en = \"t\" }}\nbudget_ms = 10000\n{}{}{}{}{}",
            check("a", ""),
            check("b", "\"a\""),
            check("c", "\"b\""),
            check("d", "\"a\""),
            check("e", ""),
        );
        LabDef::parse(&text, "t", "lab01", &["a", "b", "c", "d", "e"]).unwrap()
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
        };
        let mut events = 0;
        let r = run(&def(), &mut Scripted, cfg, &mut |_| events += 1).await;
        assert_eq!(events, 7, "started + 5 checks + finished");
        r
    }

    #[tokio::test]
    async fn failed_prerequisite_skips_dependents_and_keeps_outcomes_apart() {
        let r = run_scripted(vec![]).await;
        let st: Vec<Status> = r.checks.iter().map(|c| c.status).collect();
        assert_eq!(
            st,
            [
                Status::Passed,
                Status::Failed,
                Status::Skipped,
                Status::Error,
                Status::Skipped
            ]
        );
        assert!(r.checks[2].message.as_deref().unwrap().contains("`b`"));
        assert_eq!(r.checks[1].hint.as_deref(), Some("h"));
        assert_eq!(r.score, 1.0);
        // A check skipped for a failed prerequisite still counts; one unavailable here does not.
        assert_eq!(r.checks[2].max_score, 1.0);
        assert_eq!(r.checks[4].max_score, 0.0);
        assert_eq!(r.max_score, 4.0);
        assert!(!r.passed);
    }

    #[tokio::test]
    async fn only_runs_the_named_check_and_its_prerequisites() {
        let r = run_scripted(vec!["d".into()]).await;
        assert_eq!(r.checks[0].status, Status::Passed);
        assert_eq!(r.checks[1].status, Status::Skipped);
        assert_eq!(r.checks[3].status, Status::Error);
    }
}
