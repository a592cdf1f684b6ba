//! lab07 http_client: the student's `http_client.py BASE_URL` talks to an httpbin-compatible
//! service the grader runs ([`crate::counterpart::httpbin`]) with one `requests.Session`: GET
//! with params, POST JSON, a 404, `/flaky` (503 twice, then 200) with exponential backoff, and
//! `/delay/5` with a 2 s time-out. The program chooses what it requests, so the grader runs it
//! once and reads every lesson from the service's records (which request, on which connection,
//! when, how it ended) and from what it printed. The token in `/get`'s answer is fresh every
//! grading, so a POST body written in advance cannot carry it.

mod judge;

use std::net::Ipv4Addr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::time::Instant;

use super::{BoxFuture, CheckCx, DriverEnv, LabDriver};
use crate::counterpart::httpbin::{Config, Httpbin, Outcome, Record};
use crate::flood::{Tally, Unit};
use crate::harness::Finished;
use crate::i18n::Lang;
use crate::report::Verdict;
use crate::rng::Rng;
use crate::submission::Launch;

use crate::wire::lab07::FLAKY_FAILURES;

checks! {
    enum Check {
        Runs = "runs",
        // These read the one run's records (each starts the run if it has not happened yet),
        // so what a program did before it crashed still counts.
        GetParams = "get_params",
        PostJson = "post_json" hints ["form", "token"],
        // Connection reuse shows only over the whole sequence of requests.
        Session = "session" needs ["runs"],
        NotFound = "not_found" hints ["traceback"],
        NoRetry4xx = "no_retry_4xx" needs ["not_found"],
        Retries = "retries",
        Backoff = "backoff" needs ["retries"] hints ["too_fast", "constant"],
        Timeout = "timeout" hints ["traceback", "retried"],
    }
}

/// The checks, in the order of `graders/lab07/lab.toml`.
pub const CHECKS: &[super::spec::CheckSpec] = Check::SPECS;

/// The handout's program takes about 4 s; one that retries its time-outs with urllib3 about
/// 13 s. The limit leaves room for both.
const RUN_LIMIT: Duration = Duration::from_secs(20);

/// The one run of the program and what the service recorded meanwhile.
struct Run {
    base: String,
    f: Finished,
    records: Vec<Record>,
    /// Every request the service received, kept or not.
    tally: Tally,
}

/// Requests past which a run is called a flood (the handout's program sends about ten).
const FLOOD: u64 = 64;

pub struct Lab07 {
    launch: Launch,
    config: Config,
    run: Option<Run>,
}

impl Lab07 {
    pub fn new(launch: Launch, env: DriverEnv) -> Lab07 {
        let mut rng = Rng::named(env.seed, "lab07 token");
        let config = Config {
            token: rng.token(12),
            flaky_failures: FLAKY_FAILURES,
            flaky_rearm: None,
            log: None,
        };
        Lab07 {
            launch,
            config,
            run: None,
        }
    }

    /// Runs the program against a fresh service (bound on port 0 and kept: no race for the
    /// port), once.
    async fn run(&mut self, cx: &CheckCx<'_>) -> Result<&Run, Verdict> {
        if self.run.is_none() {
            let service = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .await
                .and_then(|l| Httpbin::start(l, self.config.clone()))
                .map_err(|e| {
                    Verdict::Error(format!("the grader's service could not listen: {e}"))
                })?;
            let base = format!("http://{}", service.addr());
            let f = super::run_program(&self.launch, &[&base], RUN_LIMIT, cx).await?;
            // The program has ended (or was stopped): give the service a moment to see the
            // connections close, so a request it gave up on is not taken for one still waiting.
            let settle = Instant::now() + Duration::from_millis(500);
            let mut records = service.records();
            while records.iter().any(|r| r.outcome == Outcome::Pending) && Instant::now() < settle {
                tokio::time::sleep(Duration::from_millis(20)).await;
                records = service.records();
            }
            let tally = service.tally();
            self.run = Some(Run {
                base,
                f,
                records,
                tally,
            });
        }
        Ok(self.run.as_ref().expect("made above"))
    }
}

/// A failed run that sent the service a flood of requests says how many came: what kept it
/// from ending is seen there, not in its output.
fn flood_said(v: Verdict, tally: Tally, lang: Lang) -> Verdict {
    let Verdict::Failed(mut f) = v else {
        return v;
    };
    if tally.count > FLOOD {
        let got = tally.say(Unit::Requests, lang);
        f.message = match lang {
            Lang::Ko => format!(
                "{}. 그동안 채점기의 서버는 {got}를 받았습니다 (과제의 프로그램이 보내는 요청은 열 개 남짓입니다)",
                f.message
            ),
            Lang::En => format!(
                "{}; the grader's service received {got} meanwhile (the handout's program sends about ten)",
                f.message
            ),
        };
    }
    Verdict::Failed(f)
}

impl LabDriver for Lab07 {
    fn run_check<'a>(&'a mut self, id: &'a str, cx: CheckCx<'a>) -> BoxFuture<'a, Verdict> {
        Box::pin(async move {
            let Some(check) = Check::parse(id) else {
                return Verdict::Error(format!("lab07 has no check `{id}`"));
            };
            let token = self.config.token.clone();
            let r = match self.run(&cx).await {
                Ok(r) => r,
                Err(v) => return v,
            };
            let (recs, lang) = (r.records.as_slice(), cx.lang);
            match check {
                Check::Runs => flood_said(
                    super::ran_cleanly(
                        &r.f,
                        &format!("http_client.py {}", r.base),
                        RUN_LIMIT,
                        lang,
                    ),
                    r.tally,
                    lang,
                ),
                Check::GetParams => judge::get_params(recs, lang),
                Check::PostJson => judge::post_json(recs, &token, lang),
                Check::Session => judge::session(recs, lang),
                Check::NotFound => judge::not_found(recs, &r.f, &r.base, lang),
                Check::NoRetry4xx => judge::no_retry_4xx(recs, lang),
                Check::Retries => judge::retries(recs, lang),
                Check::Backoff => judge::backoff(recs, lang),
                Check::Timeout => judge::timeout(recs, &r.f, RUN_LIMIT, lang),
            }
        })
    }

    fn teardown(&mut self, _lang: Lang) -> BoxFuture<'_, Vec<String>> {
        Box::pin(async { Vec::new() })
    }
}
