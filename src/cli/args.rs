//! The command line's shape: `grade`'s options and subcommands (clap), and the parsers of
//! the values it takes. What they mean is wired in `cli.rs`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use super::{batch, merge, package, reports, staff};
use crate::i18n::Lang;

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
pub(super) struct Cli {
    #[command(subcommand)]
    pub(super) command: Option<Command>,
    #[command(flatten)]
    pub(super) grade: GradeArgs,
}

#[derive(Debug, Subcommand)]
pub(super) enum Command {
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
pub(super) struct GradeArgs {
    /// The lab to grade: lab01, 01, 1 or 01_ip_port_http. Without it: every lab whose files
    /// are in the submission, one line each.
    pub(super) lab: Option<String>,
    /// Grade, then grade again each time a file of the lab (labs/<dir>/, grade.toml) changes.
    #[arg(long)]
    pub(super) watch: bool,
    /// The submission's root directory.
    #[arg(long, default_value = ".")]
    pub(super) submission: PathBuf,
    /// The report on stdout: human, json, junit (JUnit XML), gradescope (results.json) or
    /// github (workflow commands; also the step summary and GitHub Classroom's `result`
    /// output when $GITHUB_STEP_SUMMARY / $GITHUB_OUTPUT are set).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub(super) format: Format,
    /// Also write a report in FORMAT (as for --format) to PATH, outside the submission, once
    /// every process the submission started is gone; repeatable.
    #[arg(long = "report", value_name = "FORMAT=PATH", value_parser = reports::parse_report)]
    pub(super) report: Vec<reports::ReportFile>,
    /// Run only this check (and what it needs); repeatable.
    #[arg(long = "only", value_name = "CHECK_ID")]
    pub(super) only: Vec<String>,
    /// Replay the random values of an earlier run.
    #[arg(long)]
    pub(super) seed: Option<u64>,
    /// Language of messages (default: the locale; Korean for ko_*).
    #[arg(long, value_enum)]
    pub(super) lang: Option<Lang>,
    /// Show your program's output for every check, not only failures.
    #[arg(long, short)]
    pub(super) verbose: bool,
    /// lab01: also connect through this machine's private IP.
    #[arg(long)]
    pub(super) lan: bool,
    /// The Python interpreter to run the submission with.
    #[arg(long, value_name = "PATH", env = "NETGRADE_PYTHON")]
    pub(super) python: Option<PathBuf>,
    /// Read grader definitions from DIR instead of the built-in ones.
    #[arg(long, value_name = "DIR", env = "NETGRADE_GRADERS")]
    pub(super) graders: Option<PathBuf>,
    /// Same as --report json=FILE.
    #[arg(long, value_name = "FILE")]
    pub(super) output: Option<PathBuf>,
    /// Record every packet of the grading (its private loopback) into FILE, a pcapng file
    /// that Wireshark or `tshark -r FILE` opens, each check marked; a failed check's report
    /// shows its exchange (Linux, with the grading's own network namespace).
    #[arg(long, value_name = "FILE.pcapng")]
    pub(super) capture: Option<PathBuf>,
    /// Linux: every lab is graded in private network, mount and PID namespaces, and lab02 and
    /// lab03 get a DNS fixture the grader controls there. `auto` falls back to this computer's
    /// network where namespaces cannot be made (skipping the checks that need the fixture);
    /// `on` makes that an error; `off` always uses this computer's network (no --capture).
    #[arg(long, value_enum, default_value_t = HermeticMode::Auto, env = "NETGRADE_HERMETIC")]
    pub(super) hermetic: HermeticMode,
    /// Unix, as root: run the submission as this user (and group), e.g. 65534:65534, so it
    /// cannot read hidden graders or the grader's files. The submission must be readable by it.
    #[arg(long, value_name = "UID[:GID]", value_parser = parse_run_as)]
    pub(super) run_as: Option<(u32, u32)>,
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
    pub(super) pass_env: Vec<String>,
    /// When to colour the human report.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub(super) color: Color,
    /// Batch grading (set by `grade batch` for its children): hide these paths from the
    /// submission (Linux, in the grading's own mount namespace).
    #[arg(long = "hide", value_name = "PATH", hide = true)]
    pub(super) hide: Vec<PathBuf>,
    /// Batch grading: a staff run, where a submission's `grade.toml` cannot pass variables of
    /// the grader's environment (only `--pass-env` can).
    #[arg(long, hide = true)]
    pub(super) batch_child: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(super) enum Format {
    Human,
    Json,
    Junit,
    Gradescope,
    Github,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(super) enum HermeticMode {
    Auto,
    On,
    Off,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(super) enum Color {
    Auto,
    Always,
    Never,
}

/// `UID` or `UID:GID` (numbers; the group defaults to the user's number).
pub(super) fn parse_run_as(s: &str) -> Result<(u32, u32), String> {
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
pub(super) fn parse_env_name(s: &str) -> Result<String, String> {
    crate::submission::environment::check_name(s).map(|()| s.to_string())
}
