//! `grade batch LAB DIR`: staff grade a class. Dispatched before namespaces or a runtime
//! exist: this process only starts child gradings ([`crate::batch`]) and writes `OUT/`.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;

use super::{HermeticMode, exit, parse_lab, usage};
use crate::batch::{self, Plan, Progress};
use crate::i18n::Lang;
use crate::interrupt::Interrupt;
use crate::lab::LabInfo;
use crate::report::outcome::Outcome;
use crate::report::summary::{self, Entry};

#[derive(Debug, Args)]
pub(super) struct BatchArgs {
    /// The lab: lab01, 01, 1 or 01_ip_port_http.
    lab: String,
    /// The class's folder: one sub-folder per submission, named after the student.
    dir: PathBuf,
    /// Gradings at once (default: twice the cores; a grading mostly waits on its program).
    #[arg(long, short)]
    jobs: Option<usize>,
    /// Where the reports go (created; must be outside DIR).
    #[arg(long, default_value = "netgrade-results")]
    out: PathBuf,
    /// Grade only a stable 1/N of the class (K from 1 to N): one job of a CI matrix.
    #[arg(long, value_name = "K/N", value_parser = batch::parse_shard)]
    shard: Option<(u32, u32)>,
    /// The Python interpreter for every submission.
    #[arg(long, value_name = "PATH", env = "NETGRADE_PYTHON")]
    python: Option<PathBuf>,
    /// Staff's grader definitions (hidden from every submission while it runs).
    #[arg(long, value_name = "DIR", env = "NETGRADE_GRADERS")]
    graders: Option<PathBuf>,
    /// Language of the reports.
    #[arg(long, value_enum)]
    lang: Option<Lang>,
    /// The same random values for every submission (default: one seed for the whole batch).
    #[arg(long)]
    seed: Option<u64>,
    #[arg(long, value_enum, default_value_t = HermeticMode::Auto, env = "NETGRADE_HERMETIC")]
    hermetic: HermeticMode,
    /// Run only this check (and what it needs); repeatable.
    #[arg(long = "only", value_name = "CHECK_ID")]
    only: Vec<String>,
    /// Pass this variable of the grader's environment to every submission; repeatable.
    #[arg(long = "pass-env", value_name = "NAME")]
    pass_env: Vec<String>,
    /// Unix, as root: run every submission as this user (and group).
    #[arg(long, value_name = "UID[:GID]", value_parser = super::parse_run_as)]
    run_as: Option<(u32, u32)>,
    /// Record each grading's packets into OUT/captures/NAME.pcapng, linked from its row of
    /// index.html (Linux, where every grading has its own network namespace).
    #[arg(long)]
    capture: bool,
}

pub(super) fn main(args: &BatchArgs) -> i32 {
    let lang = args.lang.unwrap_or_else(Lang::detect);
    let lab = match parse_lab(&args.lab, lang) {
        Ok(l) => l.info(),
        Err(code) => return code,
    };
    let dir = match std::fs::canonicalize(&args.dir) {
        Ok(d) if d.is_dir() => d,
        _ => return usage(format!("{}: not a folder", args.dir.display())),
    };
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        return usage(format!("--out {}: {e}", args.out.display()));
    }
    let out = std::fs::canonicalize(&args.out).unwrap_or_else(|_| args.out.clone());
    if out.starts_with(&dir) {
        return usage(format!(
            "--out {}: the results must be outside the class's folder {}",
            out.display(),
            dir.display()
        ));
    }
    let captures = if args.capture {
        if !cfg!(target_os = "linux") || args.hermetic == HermeticMode::Off {
            return usage(
                "--capture needs each grading's own network namespace (Linux, not --hermetic off): a capture never records this computer's own interfaces",
            );
        }
        let c = out.join("captures");
        if let Err(e) = std::fs::create_dir_all(&c) {
            return usage(format!("--capture: {}: {e}", c.display()));
        }
        Some(c)
    } else {
        None
    };
    let mut names = match batch::submissions(&dir) {
        Ok(n) => n,
        Err(e) => return usage(format!("{}: {e}", dir.display())),
    };
    if let Some(shard) = args.shard {
        names.retain(|n| batch::in_shard(n, shard));
    }
    // Grading again into the same folder: the slowest of the last run start first.
    let previous = std::fs::read(out.join("summary.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    batch::order_by_history(&mut names, lab.key, previous.as_ref());
    let Ok(exe) = std::env::current_exe() else {
        eprintln!("grade: cannot find this program's own path");
        return exit::GRADER;
    };
    // The children's private homes, in one folder that each child hides but for its own.
    let homes = match tempfile::Builder::new().prefix("netgrade-batch-").tempdir() {
        Ok(h) => h,
        Err(e) => {
            eprintln!("grade: cannot make a temporary folder: {e}");
            return exit::GRADER;
        }
    };
    let mut hide = vec![dir.clone(), out.clone(), homes.path().to_path_buf()];
    hide.extend(
        args.graders
            .iter()
            .filter_map(|g| std::fs::canonicalize(g).ok()),
    );
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let plan = Plan {
        exe,
        lab,
        dir,
        names,
        jobs: args.jobs.unwrap_or(cores * 2).max(1),
        forward: forwarded(args, lang),
        hide,
        homes: homes.path().to_path_buf(),
        captures,
    };
    let Ok(rt) = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    else {
        eprintln!("grade: failed to start the async runtime");
        return exit::GRADER;
    };
    let started = Instant::now();
    let mut bar = Bar::new(plan.names.len(), plan.jobs);
    let result = rt.block_on(async {
        let mut interrupt = Interrupt::register()?;
        let mut progress = |p: Progress<'_>| bar.show(&p);
        std::io::Result::Ok(batch::run(&plan, &mut interrupt, &mut progress).await)
    });
    bar.finish();
    let (mut graded, interrupted) = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("grade: cannot handle Ctrl+C: {e}");
            return exit::GRADER;
        }
    };
    graded.sort_by(|a, b| a.name.cmp(&b.name));
    let ms = started.elapsed().as_millis() as u64;
    let entries: Vec<Entry> = graded.iter().map(|g| Entry::of(lab.key, g)).collect();
    if let Err(e) = write_results(&out, lab, args.shard, ms, &entries, lang) {
        eprintln!(
            "grade: failed to write the results in {}: {e}",
            out.display()
        );
        return exit::GRADER;
    }
    let errors = graded
        .iter()
        .filter(|g| matches!(g.outcome, Outcome::GraderError { .. }))
        .count();
    let passed = graded
        .iter()
        .filter(|g| matches!(&g.outcome, Outcome::Graded(s) if s.passed))
        .count();
    println!(
        "{} {}: {} graded, {passed} passed, {errors} grader errors, {:.1} s -> {}",
        lab.key,
        plan.dir.display(),
        graded.len(),
        ms as f64 / 1000.0,
        out.join("index.html").display()
    );
    if interrupted {
        eprintln!("grade: interrupted; the running gradings were stopped");
        exit::INTERRUPTED
    } else if errors > 0 {
        exit::GRADER
    } else {
        exit::PASSED
    }
}

/// The options every child shares (`--lang` resolved, so all reports agree; one seed for the
/// whole class unless given, so every student gets the same values and the batch replays;
/// the interpreter found once, see [`super::student::Shared::options`]).
fn forwarded(args: &BatchArgs, lang: Lang) -> Vec<OsString> {
    let mut f = super::student::Shared {
        lang,
        hermetic: args.hermetic,
        python: args.python.as_deref(),
        graders: args.graders.as_deref(),
        seed: Some(args.seed.unwrap_or_else(crate::rng::Rng::fresh_seed)),
        run_as: args.run_as,
        pass_env: &args.pass_env,
    }
    .options();
    for id in &args.only {
        f.extend(["--only".into(), id.into()]);
    }
    f
}

/// `OUT/<name>.json` per student, `summary.json`, `summary.csv` and `index.html` (entries in
/// name order). The batch writes them after every grading's processes are gone;
/// `grade batch-merge` ([`super::merge`]) writes a merged class with them too.
pub(super) fn write_results(
    out: &Path,
    lab: &LabInfo,
    shard: Option<(u32, u32)>,
    ms: u64,
    entries: &[Entry],
    lang: Lang,
) -> std::io::Result<()> {
    for e in entries {
        std::fs::write(
            out.join(summary::student_file_name(&e.name)),
            summary::student_file(lab.key, e),
        )?;
    }
    let json = summary::summary_json(lab.key, shard, ms, entries);
    std::fs::write(
        out.join("summary.json"),
        serde_json::to_vec_pretty(&json).map_err(std::io::Error::other)?,
    )?;
    let mut csv = Vec::new();
    summary::summary_csv(entries, &mut csv)?;
    std::fs::write(out.join("summary.csv"), csv)?;
    let mut html = Vec::new();
    crate::report::class_page::render(lab.key, lab.name, entries, lang, &mut html)?;
    std::fs::write(out.join("index.html"), html)
}

/// Progress on stderr: a bar on a terminal (done/total, running, elapsed, estimate), else one
/// plain line per finished submission.
struct Bar {
    bar: Option<indicatif::ProgressBar>,
    total: usize,
    done: usize,
}

impl Bar {
    fn new(total: usize, jobs: usize) -> Bar {
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = indicatif::ProgressBar::new(total as u64);
            let style = indicatif::ProgressStyle::with_template(
                "{bar:30} {pos}/{len} · {msg} · {elapsed} (eta {eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            b.set_style(style);
            b.set_message(format!("jobs {jobs}"));
            b
        });
        Bar {
            bar,
            total,
            done: 0,
        }
    }

    fn show(&mut self, p: &Progress<'_>) {
        let Progress::Finished { graded, running } = p else {
            return;
        };
        self.done += 1;
        let verdict = match &graded.outcome {
            Outcome::Graded(s) => format!(
                "{} {}/{}",
                if s.passed { "PASS" } else { "FAIL" },
                s.score,
                s.max_score
            ),
            Outcome::Setup { .. } => "SETUP".into(),
            Outcome::GraderError { .. } => "GRADER ERROR".into(),
        };
        let line = format!(
            "[{}/{}] {}: {verdict} ({:.1} s)",
            self.done,
            self.total,
            graded.name,
            graded.duration.as_secs_f64()
        );
        match &self.bar {
            Some(b) => {
                b.set_message(format!("running {running}"));
                b.println(line);
                b.inc(1);
            }
            None => {
                let mut err = std::io::stderr().lock();
                let _ = writeln!(err, "{line}");
            }
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
