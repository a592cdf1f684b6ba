//! The student's loop on the command line: `grade` with no lab (every lab found, one line
//! each) and `grade labNN --watch`. Both run each grading as a child `grade labNN`, so they
//! are dispatched before hermetic mode or a runtime exists: this process never grades itself.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};

use clap::ValueEnum;

use super::{Cli, Color, Format, GradeArgs, exit, parse_lab, usage};
use crate::i18n::Lang;
use crate::interrupt::Interrupt;
use crate::labs;
use crate::overview::{self, Plan, Progress};
use crate::report::overview::OverviewReporter;
use crate::report::watch::WatchReporter;
use crate::watch::{self, Ended, WatchEvent, WatchPlan};

/// `Some(exit code)` when the command line asks for the student's loop, `None` for a single
/// grading (or a subcommand).
pub(super) fn dispatch(cli: &Cli) -> Option<i32> {
    if cli.command.is_some() {
        return None;
    }
    let args = &cli.grade;
    match (&args.lab, args.watch) {
        (Some(_), false) => None,
        (None, false) => Some(every_lab(args)),
        (None, true) => Some(usage("--watch needs a lab: grade lab01 --watch")),
        (Some(lab), true) => Some(watch_lab(args, lab)),
    }
}

fn every_lab(args: &GradeArgs) -> i32 {
    // Options that name one lab's checks or one report file make no sense for all labs.
    if args.format != Format::Human {
        let f = value_name(args.format);
        return usage(format!(
            "--format {f} needs a lab: grade lab01 --format {f}"
        ));
    }
    if !args.report.is_empty() {
        return usage("--report needs a lab: grade lab01 --report FORMAT=PATH");
    }
    if !args.only.is_empty() {
        return usage("--only needs a lab: grade lab01 --only CHECK_ID");
    }
    if args.output.is_some() {
        return usage("--output needs a lab: grade lab01 --output FILE");
    }
    if args.capture.is_some() {
        return usage("--capture needs a lab: grade lab05 --capture run.pcapng");
    }
    let lang = args.lang.unwrap_or_else(Lang::detect);
    let reporter = OverviewReporter {
        lang,
        color: color(args.color),
    };
    let root = args
        .submission
        .canonicalize()
        .unwrap_or_else(|_| args.submission.clone());
    let found = if root.is_dir() {
        overview::find_labs(&root)
    } else {
        Vec::new()
    };
    if found.is_empty() {
        let _ = reporter.nothing_found(&root, &overview::looked_for(), &mut std::io::stderr());
        return exit::USAGE;
    }
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("grade: cannot find this program's own path to run it per lab: {e}");
            return exit::GRADER;
        }
    };
    let plan = Plan {
        exe,
        submission: root,
        labs: found,
        forward: forwarded(args, lang),
    };
    let _ = reporter.header(&plan.submission, &mut std::io::stdout());
    let Some(rt) = runtime() else {
        return exit::GRADER;
    };
    let result = rt.block_on(async {
        let mut interrupt = Interrupt::register()?;
        let mut progress = |p: Progress<'_>| {
            if let Progress::Finished(r) = p {
                let mut out = std::io::stdout().lock();
                let _ = reporter.lab_line(r, &mut out).and_then(|_| out.flush());
            }
        };
        std::io::Result::Ok(overview::run(&plan, &mut interrupt, &mut progress).await)
    });
    let summary = match result {
        Ok(s) => s,
        Err(e) => {
            eprintln!("grade: cannot handle Ctrl+C: {e}");
            return exit::GRADER;
        }
    };
    if summary.interrupted {
        let _ = reporter.interrupted(&mut std::io::stderr());
    } else {
        let _ = reporter.total(&summary.results, &mut std::io::stdout());
    }
    summary.exit_code()
}

/// The options every lab's grading shares with this run (`--verbose` and `--color` do not
/// matter to a JSON report). The language is passed resolved, so every lab agrees with the
/// overview's own lines.
fn forwarded(args: &GradeArgs, lang: Lang) -> Vec<OsString> {
    let mut f = Shared {
        lang,
        hermetic: args.hermetic,
        python: args.python.as_deref(),
        graders: args.graders.as_deref(),
        seed: args.seed,
        run_as: args.run_as,
        pass_env: &args.pass_env,
    }
    .options();
    if args.lan {
        f.push("--lan".into());
    }
    f
}

/// What a child grading takes over from the command that starts it (the student's loop,
/// `grade batch`).
pub(super) struct Shared<'a> {
    pub lang: Lang,
    pub hermetic: super::HermeticMode,
    pub python: Option<&'a std::path::Path>,
    pub graders: Option<&'a std::path::Path>,
    pub seed: Option<u64>,
    pub run_as: Option<(u32, u32)>,
    pub pass_env: &'a [String],
}

impl Shared<'_> {
    /// The child's command-line options for these. The interpreter is found here, once for
    /// every child (see [`crate::submission::interpreter_for_many`]); when none is found the
    /// option goes as given, and each child reports the missing Python itself.
    pub fn options(&self) -> Vec<OsString> {
        let mut f: Vec<OsString> = vec!["--lang".into(), value_name(self.lang).into()];
        f.extend(["--hermetic".into(), value_name(self.hermetic).into()]);
        let found = crate::submission::interpreter_for_many(self.python);
        if let Some(p) = found.as_deref().or(self.python) {
            f.extend(["--python".into(), p.into()]);
        }
        if let Some(g) = self.graders {
            f.extend(["--graders".into(), g.into()]);
        }
        if let Some(seed) = self.seed {
            f.extend(["--seed".into(), seed.to_string().into()]);
        }
        if let Some((u, g)) = self.run_as {
            f.extend(["--run-as".into(), format!("{u}:{g}").into()]);
        }
        for name in self.pass_env {
            f.extend(["--pass-env".into(), name.into()]);
        }
        f
    }
}

fn watch_lab(args: &GradeArgs, lab: &str) -> i32 {
    if args.format != Format::Human {
        return usage(format!(
            "--watch shows the report in the terminal: it cannot be used with --format {}",
            value_name(args.format)
        ));
    }
    let lab = match parse_lab(lab, args.lang.unwrap_or_else(Lang::detect)) {
        Ok(l) => l,
        Err(code) => return code,
    };
    if !labs::is_implemented(lab) {
        return usage(format!("{lab} cannot be graded by this version yet"));
    }
    let Ok(root) = args.submission.canonicalize() else {
        return usage(format!(
            "the submission directory {} does not exist",
            args.submission.display()
        ));
    };
    // A capture written where the watch looks would start the next grading, and so on.
    if let Some(c) = &args.capture {
        let watched = root.join("labs").join(lab.info().dir);
        let file = std::path::absolute(c).unwrap_or_else(|_| c.clone());
        if file.starts_with(&watched) {
            return usage(format!(
                "--watch --capture: write the capture outside {} (each grading would start the next)",
                watched.display()
            ));
        }
    }
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("grade: cannot find this program's own path to run it again: {e}");
            return exit::GRADER;
        }
    };
    // The command line as given, minus `--watch`: clap accepted it, so `--watch` can only
    // be the flag (a value that looked like it would have been refused).
    let child_args = std::env::args_os()
        .skip(1)
        .filter(|a| a != "--watch")
        .collect();
    let plan = WatchPlan {
        exe,
        args: child_args,
        root,
        lab: lab.info(),
    };
    let stdout_terminal = std::io::stdout().is_terminal();
    let reporter = WatchReporter {
        lang: args.lang.unwrap_or_else(Lang::detect),
        color: color(args.color),
        terminal: stdout_terminal,
    };
    let Some(rt) = runtime() else {
        return exit::GRADER;
    };
    rt.block_on(async {
        let mut interrupt = match Interrupt::register() {
            Ok(i) => i,
            Err(e) => {
                eprintln!("grade: cannot handle Ctrl+C: {e}");
                return exit::GRADER;
            }
        };
        let mut on = |e: WatchEvent<'_>| {
            let mut out = std::io::stdout().lock();
            let _ = match e {
                WatchEvent::RunStarting { changed } => reporter.run_starting(changed, &mut out),
                WatchEvent::Waiting { watched } => reporter.waiting(watched, &mut out),
            }
            .and_then(|_| out.flush());
        };
        match watch::run(&plan, &mut interrupt, &mut on).await {
            // A grading that was stopped has said so itself.
            Ok(Ended::WhileGrading) => exit::INTERRUPTED,
            Ok(Ended::WhileWaiting) => {
                let _ = reporter.stopped(&mut std::io::stderr());
                exit::INTERRUPTED
            }
            Err(e) => {
                eprintln!("grade: {e}");
                exit::GRADER
            }
        }
    })
}

/// One thread is plenty: this process only waits for children, signals and file events.
fn runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => Some(rt),
        Err(e) => {
            eprintln!("grade: failed to start the async runtime: {e}");
            None
        }
    }
}

fn color(c: Color) -> bool {
    match c {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    }
}

/// How clap spells a value on the command line (`ko`, `off`).
pub(super) fn value_name(v: impl ValueEnum) -> String {
    v.to_possible_value()
        .map(|p| p.get_name().to_string())
        .unwrap_or_default()
}
