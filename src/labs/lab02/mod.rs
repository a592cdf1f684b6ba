//! lab02 dns: the student's `dns_lookup.py NAME` prints `[DNS] domain=NAME` and one `-> IP`
//! line per distinct address. The oracle is resolution by the grader itself on the same
//! machine (in hermetic mode, through the same DNS fixture), never a hard-coded list.
//!
//! What is graded is the *set* of addresses, never their order: the seed teaches that DNS
//! answers may come in any order, and sorting them is fine. Each concept has one check: the
//! IPv4 addresses (`localhost`, `multiple_addresses`), IPv6 (`ipv6`), repeats
//! (`no_duplicates`); a missing IPv6 address fails `ipv6` only.

mod output;

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;
use std::time::Duration;

use super::{BoxFuture, CheckCx, DriverEnv, Hermetic, LabDriver};
use crate::harness::Finished;
use crate::i18n::Lang;
use crate::labs::shown;
use crate::net::dns_fixture::{DnsFixture, Zone};
use crate::report::{Failure, Verdict};
use crate::rng::Rng;
use crate::submission::Launch;
use crate::text;
use output::parse;

checks! {
    enum Check {
        Runs = "runs",
        Format = "format",
        // Both read the IPv4 set the same way, so they choose among the same hints.
        Localhost = "localhost" hints ["extra", "ipv6_only", "one_address"],
        MultipleAddresses = "multiple_addresses" hints ["extra", "ipv6_only", "one_address"],
        Ipv6 = "ipv6" hints ["ipv4_only"],
        NoDuplicates = "no_duplicates",
        NotFound = "not_found",
        Usage = "usage",
    }
}

/// The checks, in the order of `graders/lab02/lab.toml`.
pub const CHECKS: &[super::spec::CheckSpec] = Check::SPECS;

/// How long one run of the student's program may take.
const RUN_LIMIT: Duration = Duration::from_secs(5);

pub struct Lab02 {
    launch: Launch,
    hermetic: Hermetic,
    zone: Zone,
    dns: Option<DnsFixture>,
    /// Runs already made, by argument, so that checks reading the same output share it.
    runs: HashMap<String, Finished>,
}

impl Lab02 {
    pub fn new(launch: Launch, env: DriverEnv) -> Lab02 {
        // The zone comes from the seed alone, so `--seed` replays the same names whatever
        // `--only` selects.
        let zone = Zone::random(&mut Rng::named(env.seed, "lab02 zone"));
        Lab02 {
            launch,
            hermetic: env.hermetic,
            zone,
            dns: None,
            runs: HashMap::new(),
        }
    }

    /// Runs the program with `args` once (cached by argument). In hermetic mode the fixture
    /// serves every name, `localhost` included, so it runs before the first program does.
    async fn run(&mut self, args: &[&str], cx: &CheckCx<'_>) -> Result<&Finished, Verdict> {
        if self.hermetic.is_active() {
            self.fixture(cx).await?;
        }
        let key = args.join(" ");
        if !self.runs.contains_key(&key) {
            let f = super::run_program(&self.launch, args, RUN_LIMIT, cx).await?;
            self.runs.insert(key.clone(), f);
        }
        Ok(&self.runs[&key])
    }

    async fn fixture(&mut self, cx: &CheckCx<'_>) -> Result<(), Verdict> {
        super::ensure_fixture(&self.hermetic, &mut self.dns, &self.zone, cx).await
    }

    /// The program's run on `name`, which must have ended cleanly to be read.
    async fn clean_run(&mut self, name: &str, cx: &CheckCx<'_>) -> Result<&Finished, Verdict> {
        let f = self.run(&[name], cx).await?;
        match ran_cleanly(f, cx, &[name]) {
            Verdict::Passed { .. } => Ok(f),
            other => Err(other),
        }
    }

    async fn runs(&mut self, cx: CheckCx<'_>) -> Verdict {
        match self.clean_run("localhost", &cx).await {
            Ok(_) => Verdict::pass(),
            Err(v) => v,
        }
    }

    async fn format(&mut self, cx: CheckCx<'_>) -> Verdict {
        let f = match self.run(&["localhost"], &cx).await {
            Ok(f) => f,
            Err(v) => return v,
        };
        let p = parse(&f.stdout);
        let expected = "[DNS] domain=localhost\n-> <IP>\n...";
        let problem = match (&p.domain, p.bad.first()) {
            (None, _) => cx.t(
                "[DNS] domain=localhost 줄이 없습니다",
                "there is no [DNS] domain=localhost line",
            ),
            (Some(d), _) if d != "localhost" => format!(
                "{}: {}",
                cx.t(
                    "[DNS] domain= 줄의 이름이 조회한 이름과 다릅니다",
                    "the [DNS] domain= line names another name than the one looked up"
                ),
                text::escape_student(d.as_bytes())
            ),
            (_, Some(bad)) => format!(
                "{}: {}",
                cx.t(
                    "주소를 -> IP 형식이 아닌 모양으로 출력한 줄이 있습니다",
                    "a line shows an address, but not in the -> IP form"
                ),
                text::escape_student(bad.as_bytes())
            ),
            _ if p.ips.is_empty() => cx.t("-> IP 줄이 하나도 없습니다", "there is no -> IP line"),
            _ => return Verdict::pass(),
        };
        Failure::new(problem)
            .expected(expected)
            .actual(shown(&f.stdout))
            .into()
    }

    /// Holds the addresses printed for `name` against the grader's own look-up: every IPv4
    /// address it returns is printed, and nothing it does not return. IPv6 is `ipv6`'s lesson
    /// and repeats are `no_duplicates`', so neither fails this.
    async fn ipv4_set(&mut self, name: &str, cx: &CheckCx<'_>) -> Verdict {
        let oracle = match crate::net::resolve(name).await {
            Ok(v) => v,
            Err(e) => return Verdict::Error(format!("the grader could not resolve {name}: {e}")),
        };
        let f = match self.clean_run(name, cx).await {
            Ok(f) => f,
            Err(v) => return v,
        };
        let printed: BTreeSet<IpAddr> = parse(&f.stdout).ips.into_iter().collect();
        let want_v4: Vec<IpAddr> = oracle.iter().copied().filter(IpAddr::is_ipv4).collect();
        let missing: Vec<String> = want_v4
            .iter()
            .filter(|ip| !printed.contains(ip))
            .map(IpAddr::to_string)
            .collect();
        let extra: Vec<String> = printed
            .iter()
            .filter(|ip| !oracle.contains(ip))
            .map(IpAddr::to_string)
            .collect();
        let expected = || {
            let lines: Vec<String> = oracle.iter().map(|ip| format!("-> {ip}")).collect();
            format!(
                "[DNS] domain={name}\n{}\n({})",
                lines.join("\n"),
                cx.t("순서는 상관없습니다", "in any order")
            )
        };
        let printed_v4 = printed.iter().filter(|ip| ip.is_ipv4()).count();
        let (message, hint) = if !extra.is_empty() {
            (
                format!(
                    "{}: {}",
                    cx.t(
                        "이 컴퓨터의 조회 결과에 없는 주소를 출력했습니다",
                        "it printed addresses this machine's look-up does not return"
                    ),
                    extra.join(", ")
                ),
                Some("extra"),
            )
        } else if missing.is_empty() {
            return Verdict::pass();
        } else if printed_v4 == 0 && !printed.is_empty() {
            (
                format!(
                    "{}: {}",
                    cx.t(
                        "IPv6 주소만 출력했고 IPv4 주소가 빠졌습니다",
                        "only IPv6 addresses were printed; the IPv4 ones are missing"
                    ),
                    missing.join(", ")
                ),
                Some("ipv6_only"),
            )
        } else if printed_v4 == 1 && want_v4.len() > 1 {
            (
                format!(
                    "{}: {}",
                    cx.t(
                        "주소를 하나만 출력했습니다. 빠진 주소",
                        "only one address was printed. Missing"
                    ),
                    missing.join(", ")
                ),
                Some("one_address"),
            )
        } else {
            (
                format!(
                    "{}: {}",
                    cx.t("빠진 주소", "addresses missing"),
                    missing.join(", ")
                ),
                None,
            )
        };
        let mut failure = Failure::new(format!("{name}: {message}"))
            .expected(expected())
            .actual(shown(&f.stdout));
        if let Some(key) = hint {
            failure = failure.hint(key);
        }
        failure.into()
    }

    async fn multiple_addresses(&mut self, cx: CheckCx<'_>) -> Verdict {
        if let Err(v) = self.fixture(&cx).await {
            return v;
        }
        let (multi, alias) = (self.zone.multi.clone(), self.zone.alias.clone());
        match self.ipv4_set(&multi, &cx).await {
            Verdict::Passed { .. } => self.ipv4_set(&alias, &cx).await,
            other => other,
        }
    }

    /// The IPv6 addresses are printed: localhost's `::1` where this machine resolves one
    /// (in hermetic mode the fixture does), and the fixture name's AAAA in hermetic mode.
    async fn ipv6(&mut self, cx: CheckCx<'_>) -> Verdict {
        let mut cases: Vec<(String, IpAddr)> = Vec::new();
        let local = crate::net::resolve("localhost").await.unwrap_or_default();
        if let Some(v6) = local.into_iter().find(IpAddr::is_ipv6) {
            cases.push(("localhost".to_string(), v6));
        }
        if self.fixture(&cx).await.is_ok() {
            cases.push((self.zone.multi.clone(), IpAddr::V6(self.zone.multi_v6)));
        }
        if cases.is_empty() {
            return Verdict::Unavailable(cx.t(
                "이 컴퓨터에서는 localhost의 IPv6 주소가 조회되지 않고 격리 모드도 쓸 수 없어 확인할 수 없습니다",
                "this machine resolves no IPv6 address for localhost, and hermetic mode is not available, so this can't be checked here",
            ));
        }
        for (name, v6) in cases {
            let f = match self.clean_run(&name, &cx).await {
                Ok(f) => f,
                Err(v) => return v,
            };
            let ips = parse(&f.stdout).ips;
            if ips.contains(&v6) {
                continue;
            }
            let failure = Failure::new(format!(
                "{name}: {}",
                cx.t(
                    "IPv6 주소(AAAA 레코드)가 빠졌습니다",
                    "the IPv6 address (AAAA record) is missing"
                )
            ))
            .expected(format!("-> {v6}"))
            .actual(shown(&f.stdout));
            // IPv4 addresses but no IPv6 at all: an IPv4-only call (gethostbyname_ex, AF_INET).
            return if !ips.is_empty() && ips.iter().all(IpAddr::is_ipv4) {
                failure.hint("ipv4_only").into()
            } else {
                failure.into()
            };
        }
        Verdict::pass()
    }

    async fn no_duplicates(&mut self, cx: CheckCx<'_>) -> Verdict {
        let mut names = vec!["localhost".to_string()];
        if self.fixture(&cx).await.is_ok() {
            names.push(self.zone.multi.clone());
        }
        for name in names {
            let f = match self.clean_run(&name, &cx).await {
                Ok(f) => f,
                Err(v) => return v,
            };
            let ips = parse(&f.stdout).ips;
            let mut seen = BTreeSet::new();
            if let Some(dup) = ips.iter().find(|ip| !seen.insert(**ip)) {
                return Failure::new(format!(
                    "{name}: {} {dup}",
                    cx.t(
                        "같은 주소를 두 번 이상 출력했습니다:",
                        "the same address is printed more than once:"
                    )
                ))
                .actual(shown(&f.stdout))
                .into();
            }
        }
        Verdict::pass()
    }

    async fn not_found(&mut self, cx: CheckCx<'_>) -> Verdict {
        if let Err(v) = self.fixture(&cx).await {
            return v;
        }
        let missing = self.zone.missing.clone();
        let f = match self.run(&[&missing], &cx).await {
            Ok(f) => f,
            Err(v) => return v,
        };
        let expected = format!(
            "[DNS] error: ... {missing} ...\n({})",
            cx.t("0이 아닌 종료 코드", "a non-zero exit status")
        );
        let error_line = f
            .stdout
            .lines()
            .chain(f.stderr.lines())
            .any(|l| l.trim_start().starts_with("[DNS] error"));
        let words = super::ErrorWords {
            not_ended: ("제한 시간 안에 끝나지 않았습니다", "did not finish in time"),
            traceback: (
                "없는 이름을 조회하자 traceback을 남기고 비정상 종료했습니다",
                "it crashed with a traceback on a name that does not exist",
            ),
            exit_zero: (
                "없는 이름인데 종료 코드가 0입니다",
                "the exit status is 0 for a name that does not exist",
            ),
            no_line: (
                "[DNS] error로 시작하는 줄이 없습니다",
                "there is no line starting with [DNS] error",
            ),
        };
        let problem = super::reported_error(f, error_line, RUN_LIMIT, &words, cx.lang);
        match problem {
            None => Verdict::pass(),
            Some(p) => Failure::new(format!("{missing}: {p}"))
                .expected(expected)
                .actual(shown(&format!("{}{}", f.stdout, f.stderr)))
                .into(),
        }
    }

    async fn usage(&mut self, cx: CheckCx<'_>) -> Verdict {
        let f = match self.run(&[], &cx).await {
            Ok(f) => f,
            Err(v) => return v,
        };
        let all = format!("{}{}", f.stdout, f.stderr);
        let words = super::ErrorWords {
            not_ended: (
                "인자 없이 실행하면 끝나지 않습니다 (입력을 기다리고 있나요?)",
                "without an argument it does not finish (is it waiting for input?)",
            ),
            traceback: (
                "인자 없이 실행하면 traceback을 남기고 비정상 종료합니다",
                "without an argument it crashes with a traceback",
            ),
            exit_zero: (
                "인자 없이 실행했는데 종료 코드가 0입니다",
                "without an argument the exit status is 0",
            ),
            no_line: ("사용법(usage) 안내가 없습니다", "there is no usage message"),
        };
        let has_usage = all.to_lowercase().contains("usage");
        let problem = super::reported_error(f, has_usage, RUN_LIMIT, &words, cx.lang);
        match problem {
            None => Verdict::pass(),
            Some(p) => Failure::new(p)
                .expected("usage: python dns_lookup.py NAME")
                .actual(shown(&all))
                .into(),
        }
    }
}

impl LabDriver for Lab02 {
    fn run_check<'a>(&'a mut self, id: &'a str, cx: CheckCx<'a>) -> BoxFuture<'a, Verdict> {
        Box::pin(async move {
            let Some(check) = Check::parse(id) else {
                return Verdict::Error(format!("lab02 has no check `{id}`"));
            };
            match check {
                Check::Runs => self.runs(cx).await,
                Check::Format => self.format(cx).await,
                Check::Localhost => self.ipv4_set("localhost", &cx).await,
                Check::MultipleAddresses => self.multiple_addresses(cx).await,
                Check::Ipv6 => self.ipv6(cx).await,
                Check::NoDuplicates => self.no_duplicates(cx).await,
                Check::NotFound => self.not_found(cx).await,
                Check::Usage => self.usage(cx).await,
            }
        })
    }

    fn teardown(&mut self, _lang: Lang) -> BoxFuture<'_, Vec<String>> {
        // Every run was torn down when it ended; only the fixture is left.
        self.dns = None;
        Box::pin(async { Vec::new() })
    }
}

/// Passes when the run ended by itself with status 0 and no traceback.
fn ran_cleanly(f: &Finished, cx: &CheckCx<'_>, args: &[&str]) -> Verdict {
    let cmd = format!("dns_lookup.py {}", args.join(" "));
    super::ran_cleanly(f, cmd.trim_end(), RUN_LIMIT, cx.lang)
}
