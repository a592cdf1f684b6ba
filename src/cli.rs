//! The command line: parse, validate everything that can be validated before student code
//! runs, run, render, and map the outcome to a documented exit code.

use std::io::{IsTerminal, Write};
use std::sync::Arc;

use clap::Parser;

use crate::definition::LabDef;
use crate::graders::GraderSource;
use crate::i18n::Lang;
use crate::lab::LabId;
use crate::labs::{self, Options};
use crate::rng::Rng;
use crate::runner::{self, RunConfig};
use crate::submission::Programs;
use crate::submission::environment::Environment;

mod args;
mod batch;
mod capture;
mod isolation;
mod merge;
mod package;
mod reference;
mod reports;
mod staff;
mod student;

/// Exit codes, a contract for scripts (they live with the result model).
pub use crate::report::exit;
use args::{Cli, Color, Command, Format, GradeArgs, HermeticMode, parse_run_as};

/// Runs the command line; returns the process exit code.
pub fn main() -> i32 {
    // The init of a grading's PID namespace (see `harness::pidns`): nothing else runs there.
    #[cfg(target_os = "linux")]
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == crate::harness::pidns::INIT_ARG)
    {
        crate::harness::pidns::run_init();
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                exit::USAGE
            } else {
                exit::PASSED
            };
        }
    };
    // `grade` with no lab and `--watch` grade in child processes: no namespaces here.
    if let Some(code) = student::dispatch(&cli) {
        return code;
    }
    match &cli.command {
        Some(Command::Batch(args)) => return batch::main(args),
        Some(Command::BatchMerge(args)) => return merge::main(args),
        _ => {}
    }
    // Before any thread exists, so that orphans of the student's program come back to us.
    crate::harness::become_subreaper();
    // Namespaces too must be entered while this process has a single thread.
    let mut cli = cli;
    let (hermetic, network) = match isolation::enter_isolation(&mut cli) {
        Ok(h) => h,
        Err(code) => return code,
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("grade: failed to start the async runtime: {e}");
            return exit::GRADER;
        }
    };
    let code = rt.block_on(async {
        match cli.command {
            Some(Command::List) => list(),
            Some(Command::Batch(_) | Command::BatchMerge(_)) => {
                unreachable!("dispatched before the runtime")
            }
            Some(Command::Reference {
                lab,
                port,
                graders,
                args,
            }) => reference::run(&lab, port, graders, &args).await,
            Some(Command::Snapshot(args)) => staff::snapshot(args).await,
            Some(Command::InitGraders(args)) => staff::init_graders(args),
            Some(Command::CheckGraders(args)) => staff::check_graders(args).await,
            Some(Command::Package(args)) => package::main(args).await,
            None => grade(cli.grade, hermetic, network).await,
        }
    });
    // Don't wait for reader tasks stuck on pipes held by processes we could not see.
    rt.shutdown_timeout(std::time::Duration::from_millis(100));
    if std::env::var_os("NETGRADE_REPORT_PEAK_RSS").is_some() {
        report_peak_rss();
    }
    code
}

/// Resolves on Ctrl+C, or on SIGTERM where there is one.
async fn interrupted() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

fn is_root() -> bool {
    #[cfg(unix)]
    {
        rustix::process::geteuid().is_root()
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// Whether `path` (which may not exist yet) lies inside `dir`.
fn inside(path: &std::path::Path, dir: &std::path::Path) -> bool {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    // Canonicalize the parent (the file may not exist), so `..` and symlinks can't hide it.
    let parent = abs
        .parent()
        .map(|p| p.canonicalize().unwrap_or_else(|_| p.to_path_buf()));
    parent.is_some_and(|p| p.starts_with(dir))
}

fn usage(msg: impl std::fmt::Display) -> i32 {
    eprintln!("grade: {msg}");
    exit::USAGE
}

fn parse_lab(s: &str, lang: Lang) -> Result<LabId, i32> {
    LabId::parse(s).ok_or_else(|| {
        usage(match lang {
            Lang::Ko => {
                format!("`{s}` 실습은 없습니다. grade list로 실습 목록을 볼 수 있습니다")
            }
            Lang::En => format!("unknown lab `{s}`; `grade list` shows the labs"),
        })
    })
}

fn list() -> i32 {
    let mut out = std::io::stdout().lock();
    for info in LabId::all() {
        let state = if labs::is_implemented(info.id) {
            ""
        } else {
            "  (not available yet)"
        };
        let files: Vec<&str> = info.programs.iter().map(|p| p.file).collect();
        let _ = writeln!(
            out,
            "{}  {:<14} {}{state}",
            info.key,
            info.name,
            files.join(" ")
        );
    }
    exit::PASSED
}

async fn grade(args: GradeArgs, hermetic: labs::Hermetic, network: labs::Network) -> i32 {
    let lang = args.lang.unwrap_or_else(Lang::detect);
    let lab_arg = args.lab.as_deref().unwrap_or_default();
    let lab = match parse_lab(lab_arg, lang) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let info = lab.info();
    if !labs::is_implemented(lab) {
        return usage(format!("{lab} cannot be graded by this version yet"));
    }
    let mut source = match &args.graders {
        Some(dir) => GraderSource::Dir(dir.clone()),
        None => GraderSource::Embedded,
    };
    // Staff's directory is about to be hidden from the submission: read the lab's files now.
    if !args.hide.is_empty() {
        source = match source.preloaded(info.key) {
            Ok(s) => s,
            Err(e) => return usage(format!("--graders: {e}")),
        };
    }
    // A broken built-in definition is the grader's bug; a broken --graders copy is staff's input.
    let def_error = if args.graders.is_some() {
        exit::USAGE
    } else {
        exit::GRADER
    };
    let text = match source.read(info.key, "lab.toml") {
        Ok(t) => t,
        Err(e) => {
            eprintln!("grade: {e}");
            return def_error;
        }
    };
    let file = source.describe(info.key, "lab.toml");
    let def = match LabDef::parse(&text, &file, info.key, labs::check_specs(lab)) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("grade: invalid grader definition: {e}");
            return def_error;
        }
    };
    for id in &args.only {
        if !def.checks.iter().any(|c| &c.id == id) {
            let ids: Vec<&str> = def.checks.iter().map(|c| c.id.as_str()).collect();
            return usage(match lang {
                Lang::Ko => format!(
                    "--only {id}: {lab}에는 그런 검사가 없습니다 (검사 목록: {})",
                    ids.join(", ")
                ),
                Lang::En => format!(
                    "--only {id}: {lab} has no such check (checks: {})",
                    ids.join(", ")
                ),
            });
        }
    }
    let mut programs = match Programs::resolve(&args.submission, info, args.python.as_deref()) {
        Ok(p) => p,
        Err(e) => return usage(e.explain(lang)),
    };
    if let Some(ids) = args.run_as {
        if !cfg!(unix) || !is_root() {
            return usage("--run-as needs Unix and a grader running as root");
        }
        programs.set_run_as(ids);
    }
    let capture_file =
        match capture::plan(args.capture.as_deref(), &network, args.batch_child, lang) {
            Ok(p) => p,
            Err(code) => return code,
        };
    let files = match reports::Files::plan(
        args.format,
        args.report.clone(),
        args.output.as_deref(),
        reports::github_env(),
        programs.root(),
    ) {
        Ok(f) => f,
        Err(code) => return code,
    };
    // What the student's programs find in their environment, with a private HOME and TMPDIR
    // that are removed once they are gone.
    // In a batch (staff's machine or CI), a submission's grade.toml must not name staff's
    // variables: only --pass-env passes anything there.
    let from_toml = if args.batch_child {
        &[][..]
    } else {
        programs.pass_env()
    };
    let pass: Vec<String> = from_toml.iter().chain(&args.pass_env).cloned().collect();
    let environment = match Environment::prepare(&pass, args.run_as, args.python.as_deref()) {
        Ok(e) => Arc::new(e),
        Err(e) => {
            eprintln!("grade: failed to create the private home directory for your program: {e}");
            return exit::GRADER;
        }
    };
    programs.set_environment(environment.clone());
    // Before a batch hides its results folder (where a batch's capture goes) from this
    // grading; the file stays open to the grader alone. No student code has run yet.
    let capture = match capture_file.as_deref().map(capture::start).transpose() {
        Ok(c) => c,
        Err(code) => {
            remove_private(environment);
            return code;
        }
    };
    if let Err(e) =
        isolation::hide_from_submission(&args.hide, &network, programs.root(), &environment)
    {
        eprintln!("grade: could not hide the other submissions from this one: {e}");
        remove_private(environment);
        return exit::GRADER;
    }
    let seed = args.seed.unwrap_or_else(Rng::fresh_seed);
    let env = labs::DriverEnv {
        seed,
        hermetic,
        network: network.clone(),
    };
    let submission = programs.root().display().to_string();
    let Some(mut driver) = labs::driver_for(lab, programs, env) else {
        return usage(format!("{lab} cannot be graded by this version yet"));
    };
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let report_cx = reports::Context {
        color,
        verbose: args.verbose,
        visibility: def
            .checks
            .iter()
            .map(|c| (c.id.clone(), c.visibility))
            .collect(),
    };
    let mut reporter = reports::reporter(args.format, &report_cx);
    let cfg = RunConfig {
        lab: info.key,
        lab_name: info.name,
        submission,
        seed,
        lang,
        options: Options { lan: args.lan },
        graders: &source,
        only: args.only.clone(),
        network,
        capture,
    };
    let mut emit = |event: crate::report::Event<'_>| {
        let mut out = std::io::stdout().lock();
        // A closed pipe (`grade ... | head`) must not stop grading or skip the teardown of the
        // submission's processes: write errors are ignored, the exit code still tells.
        let _ = reporter.event(&event, &mut out).and_then(|_| out.flush());
    };
    // Ctrl+C (or a CI job cancelled with SIGTERM) must not leave the student's server running
    // and holding its port: stop grading, tear down, then exit.
    let finished = tokio::select! {
        report = runner::run(&def, driver.as_mut(), cfg, &mut emit) => Some(report),
        () = interrupted() => None,
    };
    let Some(report) = finished else {
        driver.teardown(lang).await;
        drop(driver);
        remove_private(environment);
        eprintln!("grade: interrupted; your program was stopped");
        return exit::INTERRUPTED;
    };
    // The runner has torn down every process of the submission.
    drop(driver);
    remove_private(environment);
    // Written only now: the runner has torn down every process of the submission, so nothing
    // it started can race the grader for these files.
    let written = files.write(&report_cx, &report, info.name, def.title.get(lang));
    if written != exit::PASSED {
        return written;
    }
    report.exit_code()
}

/// Removes the grading's private HOME and TMPDIR, once the driver (and every launch holding
/// the environment) is gone; a failure is reported, not fatal.
fn remove_private(environment: Arc<Environment>) {
    let Ok(env) = Arc::try_unwrap(environment) else {
        // Still held somewhere: the last holder removes it when dropped.
        return;
    };
    let dir = env.private().map(|p| p.home.display().to_string());
    if let Err(e) = env.remove() {
        eprintln!(
            "grade: could not remove your program's private home directory {}: {e}",
            dir.unwrap_or_default()
        );
    }
}

/// Prints the grader's own peak resident memory to stderr (Linux), for the memory promise's
/// test and benchmark.
fn report_peak_rss() {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:")) {
        let kib = line.split_whitespace().nth(1).unwrap_or("?");
        eprintln!("grade: peak_rss_kib={kib}");
    }
}
