//! One driver per lab. A driver owns the lab's state across checks (the running server, the
//! responses already fetched) and runs one check at a time when the runner asks.

#[macro_use]
pub mod spec;
pub mod lab01;
pub mod lab02;
pub mod lab03;
pub mod lab04;
pub mod lab05;
pub mod lab06;
pub mod lab07;
pub mod lab08;
pub mod lab09;
pub mod lab10;
pub mod server;

use std::future::Future;
use std::pin::Pin;

use std::time::Duration;

use tokio::time::Instant;

use crate::harness::{Finished, Limits, OutputTail, Spec, run_to_end};
use crate::net::dns_fixture::{self, DnsFixture, Zone};
use crate::net::http::HttpError;

use crate::graders::{GraderFileError, GraderSource};
use crate::i18n::Lang;
use crate::lab::LabId;
use crate::report::{Failure, StudentOutput, Verdict};
use crate::rng::Rng;
use crate::submission::{Launch, Programs};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Whether the grader runs in hermetic mode (its own network and mount namespaces with a DNS
/// fixture; see `harness::netns`).
#[derive(Clone, Debug)]
pub enum Hermetic {
    Active,
    /// Not available here, with the reason the checks that need it report when skipped.
    Unavailable(String),
}

impl Hermetic {
    pub fn is_active(&self) -> bool {
        matches!(self, Hermetic::Active)
    }
}

/// Whether the grading runs in a private network namespace (Linux), and what it has there.
#[derive(Clone, Debug)]
pub enum Network {
    /// Only loopback: nothing the student's program sends leaves the namespace, and fixed
    /// ports are private. `lan` is the fixture "private IP" (see `harness::netns`).
    /// `processes`: whether the program sees only its own grading's processes (a PID
    /// namespace with its own `/proc`, `harness::pidns`), or why not.
    Isolated {
        lan: Option<std::net::Ipv4Addr>,
        processes: Result<(), String>,
    },
    /// This computer's own network, and why (no namespaces here, `--hermetic off`, `--lan`).
    Shared(String),
}

impl Network {
    pub fn is_isolated(&self) -> bool {
        matches!(self, Network::Isolated { .. })
    }

    /// Whether the program saw only its own grading's processes (see `harness::pidns`).
    pub fn processes_isolated(&self) -> bool {
        matches!(
            self,
            Network::Isolated {
                processes: Ok(()),
                ..
            }
        )
    }

    /// The notice a report carries when the grading was not isolated: the network, or the
    /// processes (what the program could see in `/proc`: the grader's, with its environment).
    pub fn notice(&self, lang: Lang) -> Option<String> {
        match self {
            Network::Isolated {
                processes: Ok(()), ..
            } => None,
            Network::Isolated {
                processes: Err(why),
                ..
            } => Some(match lang {
                Lang::Ko => format!(
                    "프로세스를 격리하지 않았습니다({why}). 프로그램이 이 컴퓨터의 다른 프로세스(채점기 포함)를 볼 수 있었습니다"
                ),
                Lang::En => format!(
                    "processes were not isolated ({why}): your program could see this computer's other processes, the grader's included"
                ),
            }),
            Network::Shared(why) => Some(match lang {
                Lang::Ko => format!(
                    "네트워크와 프로세스를 격리하지 않았습니다({why}). 프로그램이 이 컴퓨터의 실제 네트워크에서 실행되었고, 다른 프로세스(채점기 포함)를 볼 수 있었습니다"
                ),
                Lang::En => format!(
                    "the network was not isolated ({why}): your program ran on this computer's own network, and could see its other processes, the grader's included"
                ),
            }),
        }
    }
}

/// What a driver is built with, besides the submission.
#[derive(Clone, Debug)]
pub struct DriverEnv {
    pub seed: u64,
    pub hermetic: Hermetic,
    pub network: Network,
}

/// Whether a lab uses hermetic mode (entered before the runtime starts, so decided early).
pub fn wants_hermetic(lab: LabId) -> bool {
    match lab {
        LabId::Lab01
        | LabId::Lab04
        | LabId::Lab05
        | LabId::Lab06
        | LabId::Lab07
        | LabId::Lab08
        | LabId::Lab09
        | LabId::Lab10 => false,
        LabId::Lab02 | LabId::Lab03 => true,
    }
}

/// Options that change what drivers do, from the command line.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// lab01: also probe through this machine's LAN address.
    pub lan: bool,
}

/// What a check gets from the runner.
pub struct CheckCx<'a> {
    pub lang: Lang,
    pub rng: &'a mut Rng,
    /// The check must be done by then (the runner also enforces it).
    pub deadline: Instant,
    pub options: &'a Options,
    pub graders: &'a GraderSource,
    pub lab: &'static str,
}

impl CheckCx<'_> {
    /// `ko` or `en`, as the student reads.
    pub fn t(&self, ko: &str, en: &str) -> String {
        self.lang.pick(ko, en).to_string()
    }

    /// A snapshot file of the lab (`graders/<lab>/snapshots/<name>`).
    pub fn snapshot(&self, name: &str) -> Result<String, GraderFileError> {
        self.graders.read(self.lab, &format!("snapshots/{name}"))
    }
}

pub trait LabDriver: Send {
    /// Runs the check `id` (one of the lab's ids; the definition was validated against them).
    fn run_check<'a>(&'a mut self, id: &'a str, cx: CheckCx<'a>) -> BoxFuture<'a, Verdict>;

    /// Stops everything the driver started. Returns notices for the report (leftover
    /// processes, ports still held).
    fn teardown(&mut self, lang: Lang) -> BoxFuture<'_, Vec<String>>;

    /// The ports the student's servers listen on now (none in a client lab): a capture's
    /// timeline tells by them which side of a flow is the student's program.
    fn student_ports(&self) -> Vec<u16> {
        Vec::new()
    }
}

/// The verdict when a student's program could not be started: the student's fault when their
/// own `grade.toml` names the command, the grader's (or the machine's) otherwise.
pub fn spawn_failure(lang: Lang, spec: &Spec, launch: &Launch, e: &std::io::Error) -> Verdict {
    let msg = format!(
        "{}: {} ({e})",
        lang.pick(
            "프로그램을 시작하지 못했습니다",
            "failed to start your program"
        ),
        spec.display()
    );
    if launch.origin == "grade.toml" {
        Verdict::fail(msg)
    } else {
        Verdict::Error(msg)
    }
}

/// Runs a one-shot student program with `args` to its end, within `limit` and the check's
/// deadline, with the harness's limits and teardown.
pub async fn run_program(
    launch: &Launch,
    args: &[&str],
    limit: Duration,
    cx: &CheckCx<'_>,
) -> Result<Finished, Verdict> {
    let deadline = cx.deadline.min(Instant::now() + limit);
    let spec = launch.spec(args, vec![], Limits::for_budget(limit));
    run_to_end(&spec, deadline)
        .await
        .map_err(|e| spawn_failure(cx.lang, &spec, launch, &e))
}

/// Passes when a one-shot run (`command` as the student would type it) ended by itself with
/// status 0 and no traceback; otherwise a failure that says which, names the time limit or
/// the exception, and shows the program's output. Shared by every lab that runs a program to
/// its end.
pub fn ran_cleanly(f: &Finished, command: &str, limit: Duration, lang: Lang) -> Verdict {
    let problem = if f.timed_out() {
        format!(
            "{} ({} s)",
            lang.pick("제한 시간 안에 끝나지 않았습니다", "did not finish in time"),
            limit.as_secs()
        )
    } else if f.has_traceback() {
        let crashed = lang.pick(
            "traceback을 남기고 비정상 종료했습니다",
            "crashed with a traceback",
        );
        match f.exception() {
            Some(e) => format!("{crashed}: {e}"),
            None => crashed.to_string(),
        }
    } else if let Some(e) = f.exit.filter(|e| *e != crate::harness::Exit::Code(0)) {
        format!(
            "{} ({e})",
            lang.pick("실패로 끝났습니다", "ended with a failure")
        )
    } else {
        return Verdict::pass();
    };
    Failure::new(format!("{command}: {problem}"))
        .output(f.output.clone())
        .into()
}

/// The harness's tail of a program's output, as a failure carries it: the harness keeps its
/// own types and the checks turn them into the result model's.
impl From<OutputTail> for StudentOutput {
    fn from(o: OutputTail) -> StudentOutput {
        StudentOutput {
            stdout: o.stdout,
            stderr: o.stderr,
            dropped_bytes: o.dropped_bytes,
        }
    }
}

/// The verdict for a check that got `e` instead of an HTTP response: the grader's error when
/// the grader or the machine failed, else the student's failure.
pub fn http_verdict(e: &HttpError, lang: Lang) -> Verdict {
    if e.is_grader_side() {
        Verdict::Error(e.explain(lang))
    } else {
        Verdict::fail(e.explain(lang))
    }
}

/// What a student's program printed, as a failure shows it: normalized, every byte visible.
pub fn shown(s: &str) -> String {
    crate::text::escape_student(crate::text::normalize(s).as_bytes())
}

/// The lines of `stdout` starting with `prefix`, surrounding spaces trimmed.
pub fn lines_with<'s>(stdout: &'s str, prefix: &str) -> Vec<&'s str> {
    stdout
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with(prefix))
        .collect()
}

/// Passes when a line of `stdout` starting with `prefix` is exactly `want` (surrounding spaces
/// aside); the failure shows the lines with that prefix, or the whole output when there is none.
pub fn line_check(stdout: &str, want: &str, prefix: &str, cx: &CheckCx<'_>) -> Verdict {
    let got = lines_with(stdout, prefix);
    if got.contains(&want) {
        return Verdict::pass();
    }
    let actual = if got.is_empty() {
        shown(stdout)
    } else {
        shown(&got.join("\n"))
    };
    Failure::new(format!(
        "{}: {want}",
        cx.t("이 줄이 없습니다", "this line is missing")
    ))
    .expected(want)
    .actual(actual)
    .into()
}

/// Sentences for [`reported_error`], each in Korean and English: the run did not end, it
/// crashed with a traceback, it exited 0, the line that reports the error is missing.
pub struct ErrorWords<'a> {
    pub not_ended: (&'a str, &'a str),
    pub traceback: (&'a str, &'a str),
    pub exit_zero: (&'a str, &'a str),
    pub no_line: (&'a str, &'a str),
}

/// What a program must do on an error it is expected to report (a name that does not exist,
/// a refused connection, a missing argument): end by itself (within `limit`), without a
/// traceback, with a non-zero status, and with a line that says so (`has_line`). The first
/// problem, in the student's language (a traceback's sentence names its exception, as in
/// [`ran_cleanly`]); `None` when it did all of that.
pub fn reported_error(
    f: &Finished,
    has_line: bool,
    limit: Duration,
    words: &ErrorWords<'_>,
    lang: Lang,
) -> Option<String> {
    let pick = |(ko, en): (&str, &str)| lang.pick(ko, en).to_string();
    if f.timed_out() {
        Some(format!("{} ({} s)", pick(words.not_ended), limit.as_secs()))
    } else if f.has_traceback() {
        Some(match f.exception() {
            Some(e) => format!("{}: {e}", pick(words.traceback)),
            None => pick(words.traceback),
        })
    } else if f.exit == Some(crate::harness::Exit::Code(0)) {
        Some(pick(words.exit_zero))
    } else if !has_line {
        Some(pick(words.no_line))
    } else {
        None
    }
}

/// The DNS fixture of hermetic mode, started on first use into `slot`. Where hermetic mode
/// is unavailable, the verdict for a check that needs it: skipped, with the reason.
pub async fn ensure_fixture(
    hermetic: &Hermetic,
    slot: &mut Option<DnsFixture>,
    zone: &Zone,
    cx: &CheckCx<'_>,
) -> Result<(), Verdict> {
    if let Hermetic::Unavailable(why) = hermetic {
        return Err(Verdict::Unavailable(format!(
            "{} ({why})",
            cx.t(
                "이 검사에는 격리 모드(채점기가 이름과 포트를 직접 관리하는 환경)가 필요한데, 이 컴퓨터에서는 쓸 수 없습니다",
                "this check needs hermetic mode (names and ports the grader controls), which is not available here"
            )
        )));
    }
    if slot.is_none() {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 53));
        let d = dns_fixture::serve(zone, addr)
            .await
            .map_err(|e| Verdict::Error(e.to_string()))?;
        *slot = Some(d);
    }
    Ok(())
}

/// The checks a lab's driver implements, with the prerequisites and hint keys its code relies
/// on (validation holds `lab.toml` against them before anything runs).
pub fn check_specs(lab: LabId) -> &'static [spec::CheckSpec] {
    match lab {
        LabId::Lab01 => lab01::CHECKS,
        LabId::Lab02 => lab02::CHECKS,
        LabId::Lab03 => lab03::CHECKS,
        LabId::Lab04 => lab04::CHECKS,
        LabId::Lab05 => lab05::CHECKS,
        LabId::Lab06 => lab06::CHECKS,
        LabId::Lab07 => lab07::CHECKS,
        LabId::Lab08 => lab08::CHECKS,
        LabId::Lab09 => lab09::CHECKS,
        LabId::Lab10 => lab10::CHECKS,
    }
}

/// Whether the lab can be graded by this build.
pub fn is_implemented(lab: LabId) -> bool {
    !check_specs(lab).is_empty()
}

/// The driver for `lab`, grading the programs `programs` starts.
pub fn driver_for(lab: LabId, programs: Programs, env: DriverEnv) -> Option<Box<dyn LabDriver>> {
    match lab {
        LabId::Lab01 => Some(Box::new(lab01::Lab01::new(programs.first(), env))),
        LabId::Lab02 => Some(Box::new(lab02::Lab02::new(programs.first(), env))),
        LabId::Lab03 => Some(Box::new(lab03::Lab03::new(programs.first(), env))),
        LabId::Lab04 => Some(Box::new(lab04::Lab04::new(programs, env))),
        LabId::Lab05 => Some(Box::new(lab05::Lab05::new(programs, env))),
        LabId::Lab06 => Some(Box::new(lab06::Lab06::new(programs.first()))),
        LabId::Lab07 => Some(Box::new(lab07::Lab07::new(programs.first(), env))),
        LabId::Lab08 => Some(Box::new(lab08::Lab08::new(programs, env))),
        LabId::Lab09 => Some(Box::new(lab09::Lab09::new(programs))),
        LabId::Lab10 => Some(Box::new(lab10::Lab10::new(programs.first(), env))),
    }
}
