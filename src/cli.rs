//! The command line: parse, validate everything that can be validated before student code
//! runs, run, render, and map the outcome to a documented exit code.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::definition::LabDef;
use crate::graders::GraderSource;
use crate::i18n::Lang;
use crate::lab::LabId;
use crate::labs::{self, Options};
use crate::rng::Rng;
use crate::runner::{self, RunConfig};
use crate::submission::Programs;
use crate::submission::environment::Environment;

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

const EXIT_HELP: &str = "\
Exit codes:
  0  every check passed
  1  a check failed
  2  usage or setup problem (unknown lab, the lab's file missing, no Python found)
  3  the grader itself failed (a check ended in error)
  130  interrupted (Ctrl+C or SIGTERM); the program being graded was stopped
Without a lab, grade grades every lab found and exits with the worst lab's code
(3 over 2 over 1); 2 also when no lab's files are found.

Examples:
  grade                                grade every lab found here, one line each
  grade lab01                          grade the lab in the current directory
  grade lab01 --watch                  grade again each time a file of the lab changes
  grade lab01 --submission DIR --format json
  grade lab01 --report junit=results.xml --report json=results.json
  grade reference lab01 --port 8000    run the reference server
  grade list                           list the labs
  grade init-graders my-graders        staff: copy the definitions out, to change them
  grade check-graders my-graders       staff: validate the copy (no student code runs)
  grade snapshot lab06 --graders my-graders [--check]   staff: snapshots from the reference
  grade batch lab01 class/ --out results     staff: grade every folder of class/
  grade batch lab01 class/ --shard 2/4 --out out2      staff: one job of a CI matrix
  grade batch-merge out1 out2 out3 out4 --out results  staff: one class from the shards
  grade package gradescope lab01 --out autograder/   staff: a Gradescope autograder bundle";

#[derive(Debug, Parser)]
#[command(
    name = "grade",
    version,
    about = "Grades network-programming labs: starts your program, talks to it, checks what it does.",
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = EXIT_HELP
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    grade: GradeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the labs.
    List,
    /// Grade a class: every sub-folder of DIR is a submission, graded N at a time, with
    /// OUT/<name>.json, summary.json, summary.csv and index.html written at the end.
    Batch(Box<batch::BatchArgs>),
    /// Merge the OUT folders of `grade batch --shard K/N` (one per CI job) into one class:
    /// the same files as one batch of the whole class. Exit 3 when the grader failed on any
    /// submission, 2 when the folders do not belong together.
    BatchMerge(merge::MergeArgs),
    /// Run a lab's reference implementation.
    Reference {
        /// The lab: lab01, 01, 1 or 01_ip_port_http.
        lab: String,
        /// Port for a server (default: $PORT, then the lab's seed port).
        #[arg(long)]
        port: Option<u16>,
        /// Serve the texts of this staff directory's `[reference]` (lab01, lab06).
        #[arg(long, value_name = "DIR", env = "NETGRADE_GRADERS")]
        graders: Option<PathBuf>,
        /// Arguments for a command-line program (lab02: NAME).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Staff: make a lab's snapshots from its Rust reference into --graders DIR, or with
    /// --check show how they differ (exit 1 when stale).
    Snapshot(staff::SnapshotArgs),
    /// Staff: copy the built-in definitions and snapshots into DIR, a start for --graders DIR.
    InitGraders(staff::InitArgs),
    /// Staff: validate a --graders DIR (definitions, snapshots) without any student code.
    CheckGraders(staff::CheckArgs),
    /// Staff: write what a platform needs to grade LAB: `gradescope`, an autograder bundle
    /// (setup.sh, run_autograder) to zip and upload.
    Package(package::PackageArgs),
}

#[derive(Debug, Args)]
struct GradeArgs {
    /// The lab to grade: lab01, 01, 1 or 01_ip_port_http. Without it: every lab whose files
    /// are in the submission, one line each.
    lab: Option<String>,
    /// Grade, then grade again each time a file of the lab (labs/<dir>/, grade.toml) changes.
    #[arg(long)]
    watch: bool,
    /// The submission's root directory.
    #[arg(long, default_value = ".")]
    submission: PathBuf,
    /// The report on stdout: human, json, junit (JUnit XML), gradescope (results.json) or
    /// github (workflow commands; also the step summary and GitHub Classroom's `result`
    /// output when $GITHUB_STEP_SUMMARY / $GITHUB_OUTPUT are set).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Also write a report in FORMAT (as for --format) to PATH, outside the submission, once
    /// every process the submission started is gone; repeatable.
    #[arg(long = "report", value_name = "FORMAT=PATH", value_parser = reports::parse_report)]
    report: Vec<reports::ReportFile>,
    /// Run only this check (and what it needs); repeatable.
    #[arg(long = "only", value_name = "CHECK_ID")]
    only: Vec<String>,
    /// Replay the random values of an earlier run.
    #[arg(long)]
    seed: Option<u64>,
    /// Language of messages (default: the locale; Korean for ko_*).
    #[arg(long, value_enum)]
    lang: Option<Lang>,
    /// Show your program's output for every check, not only failures.
    #[arg(long, short)]
    verbose: bool,
    /// lab01: also connect through this machine's private IP.
    #[arg(long)]
    lan: bool,
    /// The Python interpreter to run the submission with.
    #[arg(long, value_name = "PATH", env = "NETGRADE_PYTHON")]
    python: Option<PathBuf>,
    /// Read grader definitions from DIR instead of the built-in ones.
    #[arg(long, value_name = "DIR", env = "NETGRADE_GRADERS")]
    graders: Option<PathBuf>,
    /// Same as --report json=FILE.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Record every packet of the grading (its private loopback) into FILE, a pcapng file
    /// that Wireshark or `tshark -r FILE` opens, each check marked; a failed check's report
    /// shows its exchange (Linux, with the grading's own network namespace).
    #[arg(long, value_name = "FILE.pcapng")]
    capture: Option<PathBuf>,
    /// lab02, lab03: run in private network and mount namespaces with a DNS fixture the grader
    /// controls (Linux). `auto` falls back to skipping the checks that need it.
    #[arg(long, value_enum, default_value_t = HermeticMode::Auto, env = "NETGRADE_HERMETIC")]
    hermetic: HermeticMode,
    /// Unix, as root: run the submission as this user (and group), e.g. 65534:65534, so it
    /// cannot read hidden graders or the grader's files. The submission must be readable by it.
    #[arg(long, value_name = "UID[:GID]", value_parser = parse_run_as)]
    run_as: Option<(u32, u32)>,
    /// Pass this variable of grade's environment to the submission's programs (repeatable;
    /// also NETGRADE_PASS_ENV=NAME,NAME). They get only PATH, the locale, TERM, TZ,
    /// VIRTUAL_ENV, a private HOME and TMPDIR, PYTHONUSERBASE, grade's Python settings and
    /// PORT, plus the names given here or in grade.toml (`env = [...]`).
    #[arg(
        long = "pass-env",
        value_name = "NAME",
        env = "NETGRADE_PASS_ENV",
        value_delimiter = ',',
        value_parser = parse_env_name
    )]
    pass_env: Vec<String>,
    /// When to colour the human report.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// Batch grading (set by `grade batch` for its children): hide these paths from the
    /// submission (Linux, in the grading's own mount namespace).
    #[arg(long = "hide", value_name = "PATH", hide = true)]
    hide: Vec<PathBuf>,
    /// Batch grading: a staff run, where a submission's `grade.toml` cannot pass variables of
    /// the grader's environment (only `--pass-env` can).
    #[arg(long, hide = true)]
    batch_child: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
    Junit,
    Gradescope,
    Github,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum HermeticMode {
    Auto,
    On,
    Off,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

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

/// `UID` or `UID:GID` (numbers; the group defaults to the user's number).
fn parse_run_as(s: &str) -> Result<(u32, u32), String> {
    let (u, g) = s.split_once(':').unwrap_or((s, s));
    let num = |v: &str| {
        v.parse::<u32>()
            .map_err(|_| format!("{v:?} is not a number"))
    };
    let (u, g) = (num(u)?, num(g)?);
    if u == 0 {
        return Err("running the submission as root (uid 0) would defeat the purpose".into());
    }
    Ok((u, g))
}

/// A name for `--pass-env` (see `submission::environment::check_name`).
fn parse_env_name(s: &str) -> Result<String, String> {
    crate::submission::environment::check_name(s).map(|()| s.to_string())
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
    let capture_file = match capture::plan(args.capture.as_deref(), &network, lang) {
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
