//! lab02 dns: the student's `dns_lookup.py NAME` prints `[DNS] domain=NAME` and one `-> IP`
//! line per distinct address. The oracle is resolution by the grader itself on the same
//! machine (in hermetic mode, through the same DNS fixture), never a hard-coded list.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::time::Duration;

use super::{BoxFuture, CheckCx, DriverEnv, Hermetic, LabDriver};
use crate::harness::Finished;
use crate::i18n::Lang;
use crate::net::dns_fixture::{DnsFixture, Zone};
use crate::report::{Failure, Verdict};
use crate::rng::Rng;
use crate::submission::Launch;
use crate::text;

pub const CHECK_IDS: &[&str] = &[
    "runs",
    "format",
    "localhost",
    "multiple_addresses",
    "ipv6",
    "no_duplicates",
    "not_found",
    "usage",
];

/// How long one run of the student's program may take.
const RUN_LIMIT: Duration = Duration::from_secs(5);

#[derive(Clone, Copy)]
enum Check {
    Runs,
    Format,
    Localhost,
    MultipleAddresses,
    Ipv6,
    NoDuplicates,
    NotFound,
    Usage,
}

impl Check {
    fn parse(id: &str) -> Option<Check> {
        Some(match id {
            "runs" => Check::Runs,
            "format" => Check::Format,
            "localhost" => Check::Localhost,
            "multiple_addresses" => Check::MultipleAddresses,
            "ipv6" => Check::Ipv6,
            "no_duplicates" => Check::NoDuplicates,
            "not_found" => Check::NotFound,
            "usage" => Check::Usage,
            _ => return None,
        })
    }
}

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
        let zone = Zone::random(&mut Rng::new(env.seed ^ 0x6c61_6230_3264_6e73));
        Lab02 {
            launch,
            hermetic: env.hermetic,
            zone,
            dns: None,
            runs: HashMap::new(),
        }
    }

    /// Runs the program with `args` once (cached by argument).
    async fn run(&mut self, args: &[&str], cx: &CheckCx<'_>) -> Result<&Finished, Verdict> {
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

    async fn runs(&mut self, cx: CheckCx<'_>) -> Verdict {
        let f = match self.run(&["localhost"], &cx).await {
            Ok(f) => f,
            Err(v) => return v,
        };
        ran_cleanly(f, &cx, &["localhost"])
    }

    fn format(&self, cx: &CheckCx<'_>) -> Verdict {
        let Some(f) = self.runs.get("localhost") else {
            return Verdict::Error("no run of `localhost` kept".into());
        };
        let p = parse(&f.stdout);
        let expected = "[DNS] domain=localhost\n-> <IP>\n...";
        if p.domain.as_deref() != Some("localhost") {
            return Failure::new(cx.t(
                "첫 줄이 [DNS] domain=localhost 가 아닙니다",
                "the first line is not [DNS] domain=localhost",
            ))
            .expected(expected)
            .actual(shown(&f.stdout))
            .into();
        }
        if let Some(bad) = p.bad.first() {
            return Failure::new(format!(
                "{}: {}",
                cx.t("형식에 맞지 않는 줄", "a line not in the format"),
                text::escape_student(bad.as_bytes())
            ))
            .expected(expected)
            .actual(shown(&f.stdout))
            .into();
        }
        if p.ips.is_empty() {
            return Failure::new(cx.t("-> IP 줄이 하나도 없습니다", "there is no -> IP line"))
                .expected(expected)
                .actual(shown(&f.stdout))
                .into();
        }
        Verdict::pass()
    }

    /// The printed addresses of `name` against the grader's own look-up.
    async fn compare_with_oracle(&mut self, name: &str, cx: &CheckCx<'_>) -> Verdict {
        let oracle = match crate::net::resolve(name).await {
            Ok(v) => v,
            Err(e) => return Verdict::Error(format!("the grader could not resolve {name}: {e}")),
        };
        let f = match self.run(&[name], cx).await {
            Ok(f) => f,
            Err(v) => return v,
        };
        if f.timed_out() || f.exit != Some(crate::harness::Exit::Code(0)) {
            return ran_cleanly(f, cx, &[name]);
        }
        let ips = parse(&f.stdout).ips;
        let printed: HashSet<IpAddr> = ips.iter().copied().collect();
        let want: HashSet<IpAddr> = oracle.iter().copied().collect();
        let expected = || {
            let lines: Vec<String> = oracle.iter().map(|ip| format!("-> {ip}")).collect();
            format!("[DNS] domain={name}\n{}", lines.join("\n"))
        };
        if printed == want {
            // Repeats are `no_duplicates`' business; here only the order of first appearances.
            let mut firsts: Vec<IpAddr> = Vec::with_capacity(ips.len());
            for ip in ips {
                if !firsts.contains(&ip) {
                    firsts.push(ip);
                }
            }
            if firsts == oracle {
                return Verdict::pass();
            }
            return Failure::new(format!(
                "{name}: {}",
                cx.t(
                    "주소는 맞지만 리졸버가 준 순서가 아닙니다 (set() 은 순서를 잃습니다)",
                    "the right addresses, but not in the order the resolver returned them (a set() loses the order)"
                )
            ))
            .expected(expected())
            .actual(shown(&f.stdout))
            .into();
        }
        let missing: Vec<String> = oracle
            .iter()
            .filter(|ip| !printed.contains(ip))
            .map(IpAddr::to_string)
            .collect();
        let msg = if missing.is_empty() {
            cx.t(
                "리졸버가 주지 않은 주소를 출력했습니다",
                "it printed addresses the resolver did not return",
            )
        } else {
            format!(
                "{}: {}",
                cx.t("빠진 주소", "addresses missing"),
                missing.join(", ")
            )
        };
        Failure::new(format!("{name}: {msg}"))
            .expected(expected())
            .actual(shown(&f.stdout))
            .into()
    }

    async fn multiple_addresses(&mut self, cx: CheckCx<'_>) -> Verdict {
        if let Err(v) = self.fixture(&cx).await {
            return v;
        }
        let (multi, alias) = (self.zone.multi.clone(), self.zone.alias.clone());
        match self.compare_with_oracle(&multi, &cx).await {
            Verdict::Passed { .. } => self.compare_with_oracle(&alias, &cx).await,
            other => other,
        }
    }

    async fn ipv6(&mut self, cx: CheckCx<'_>) -> Verdict {
        if let Err(v) = self.fixture(&cx).await {
            return v;
        }
        let (multi, v6) = (self.zone.multi.clone(), IpAddr::V6(self.zone.multi_v6));
        let f = match self.run(&[&multi], &cx).await {
            Ok(f) => f,
            Err(v) => return v,
        };
        if parse(&f.stdout).ips.contains(&v6) {
            return Verdict::pass();
        }
        Failure::new(format!(
            "{multi}: {}",
            cx.t(
                "IPv6 주소(AAAA)가 빠졌습니다",
                "the IPv6 address (AAAA record) is missing"
            )
        ))
        .expected(format!("-> {v6}"))
        .actual(shown(&f.stdout))
        .into()
    }

    async fn no_duplicates(&mut self, cx: CheckCx<'_>) -> Verdict {
        let mut names = vec!["localhost".to_string()];
        if self.fixture(&cx).await.is_ok() {
            names.push(self.zone.multi.clone());
        }
        for name in names {
            let f = match self.run(&[&name], &cx).await {
                Ok(f) => f,
                Err(v) => return v,
            };
            let ips = parse(&f.stdout).ips;
            let mut seen = HashSet::new();
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
            cx.t("0 이 아닌 종료 코드", "a non-zero exit status")
        );
        let error_line = f
            .stdout
            .lines()
            .chain(f.stderr.lines())
            .any(|l| l.trim_start().starts_with("[DNS] error"));
        let problem = if f.timed_out() {
            Some(cx.t(
                "제한 시간 안에 끝나지 않았습니다",
                "it did not finish in time",
            ))
        } else if f.has_traceback() {
            Some(cx.t(
                "없는 이름에서 traceback 으로 죽었습니다",
                "it crashed with a traceback on a name that does not exist",
            ))
        } else if f.exit == Some(crate::harness::Exit::Code(0)) {
            Some(cx.t(
                "없는 이름인데 종료 코드가 0 입니다",
                "the exit status is 0 for a name that does not exist",
            ))
        } else if !error_line {
            Some(cx.t(
                "[DNS] error 로 시작하는 줄이 없습니다",
                "there is no line starting with [DNS] error",
            ))
        } else {
            None
        };
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
        let problem = if f.timed_out() {
            Some(cx.t(
                "인자 없이 실행하면 끝나지 않습니다 (입력을 기다리나요?)",
                "without an argument it does not finish (is it waiting for input?)",
            ))
        } else if f.has_traceback() {
            Some(cx.t(
                "인자 없이 실행하면 traceback 으로 죽습니다",
                "without an argument it crashes with a traceback",
            ))
        } else if f.exit == Some(crate::harness::Exit::Code(0)) {
            Some(cx.t(
                "인자 없이 실행했는데 종료 코드가 0 입니다",
                "without an argument the exit status is 0",
            ))
        } else if !all.to_lowercase().contains("usage") {
            Some(cx.t("사용법(usage) 안내가 없습니다", "there is no usage message"))
        } else {
            None
        };
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
                Check::Format => self.format(&cx),
                Check::Localhost => self.compare_with_oracle("localhost", &cx).await,
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

/// Student output for an expected/actual block: line endings folded, escaped.
fn shown(s: &str) -> String {
    text::escape_student(text::normalize(s).as_bytes())
}

/// Passes when the run ended by itself with status 0 and no traceback.
fn ran_cleanly(f: &Finished, cx: &CheckCx<'_>, args: &[&str]) -> Verdict {
    let cmd = format!("dns_lookup.py {}", args.join(" "));
    let problem = if f.timed_out() {
        format!(
            "{cmd}: {} ({} s)",
            cx.t("제한 시간 안에 끝나지 않았습니다", "did not finish in time"),
            RUN_LIMIT.as_secs()
        )
    } else if f.has_traceback() {
        format!(
            "{cmd}: {}",
            cx.t("traceback 과 함께 죽었습니다", "crashed with a traceback")
        )
    } else if let Some(e) = f.exit.filter(|e| *e != crate::harness::Exit::Code(0)) {
        format!(
            "{cmd}: {} ({e})",
            cx.t("실패로 끝났습니다", "ended with a failure")
        )
    } else {
        return Verdict::pass();
    };
    Failure::new(problem).output(f.output.clone()).into()
}

/// What the program printed, read leniently: the domain line, the addresses, other lines.
#[derive(Debug, Default)]
struct Parsed {
    domain: Option<String>,
    ips: Vec<IpAddr>,
    bad: Vec<String>,
}

fn parse(stdout: &str) -> Parsed {
    let mut p = Parsed::default();
    for line in stdout.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if p.domain.is_none() && p.ips.is_empty() && p.bad.is_empty() {
            if let Some(d) = line.strip_prefix("[DNS] domain=") {
                p.domain = Some(d.trim().to_string());
                continue;
            }
        }
        match line.strip_prefix("->").map(|r| r.trim().parse::<IpAddr>()) {
            Some(Ok(ip)) => p.ips.push(ip),
            _ => p.bad.push(line.to_string()),
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_seed_format() {
        let p = parse("[DNS] domain=localhost\n-> 127.0.0.1\n-> ::1\n");
        assert_eq!(p.domain.as_deref(), Some("localhost"));
        assert_eq!(p.ips.len(), 2);
        assert!(p.bad.is_empty());
        let p = parse("domain localhost\n-> nope\n");
        assert_eq!(p.domain, None);
        assert_eq!(p.bad.len(), 2);
    }

    #[test]
    fn fuzz_parse_never_panics() {
        use proptest::prelude::*;
        proptest!(crate::fuzz_cases(3000), |(s in "(\\PC|\n|-> |\\[DNS\\] domain=|::1|127\\.0\\.0\\.1)*")| {
            let _ = parse(&s);
        });
    }
}
