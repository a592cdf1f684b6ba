//! `grade batch-merge OUT... [--out MERGED]`: the folders of `grade batch --shard K/N` (one per
//! job of a CI matrix) made into one class ([`crate::merge`]), written with the batch's own
//! writers ([`super::batch::write_results`]). No student code runs here.

use std::path::PathBuf;

use clap::Args;

use super::{exit, usage};
use crate::i18n::Lang;
use crate::lab::LabId;
use crate::merge::{self, Shard};
use crate::report::summary::Recorded;

#[derive(Debug, Args)]
pub(super) struct MergeArgs {
    /// The folders `grade batch --shard K/N --out OUT_K` wrote, one per shard.
    #[arg(required = true, value_name = "OUT")]
    folders: Vec<PathBuf>,
    /// Where the merged class goes (created): the same files as one `grade batch` writes.
    #[arg(long, value_name = "MERGED", default_value = "netgrade-results")]
    out: PathBuf,
    /// Language of the class report (index.html).
    #[arg(long, value_enum)]
    lang: Option<Lang>,
}

pub(super) fn main(args: &MergeArgs) -> i32 {
    let lang = args.lang.unwrap_or_else(Lang::detect);
    // Everything is read before anything is written: MERGED may be one of the folders.
    let mut shards: Vec<Shard> = Vec::new();
    for dir in &args.folders {
        match merge::read_shard(dir) {
            Ok(s) => shards.push(s),
            Err(e) => return usage(e.to_string()),
        }
    }
    let class = match merge::merge(shards) {
        Ok(c) => c,
        Err(e) => return usage(e.to_string()),
    };
    let Some(lab) = LabId::parse(&class.lab).map(LabId::info) else {
        return usage(format!(
            "the folders are of lab `{}`, which this grade does not know",
            class.lab
        ));
    };
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        return usage(format!("--out {}: {e}", args.out.display()));
    }
    if let Err(e) = super::batch::write_results(
        &args.out,
        lab,
        None,
        class.duration_ms,
        &class.entries,
        lang,
    ) {
        eprintln!(
            "grade: failed to write the results in {}: {e}",
            args.out.display()
        );
        return exit::GRADER;
    }
    let count = |f: fn(&Recorded) -> bool| class.entries.iter().filter(|e| f(&e.result)).count();
    let errors = count(|r| matches!(r, Recorded::GraderError(_)));
    let passed = count(|r| matches!(r, Recorded::Graded { summary, .. } if summary.passed));
    println!(
        "{}: {} folders merged, {} graded, {passed} passed, {errors} grader errors -> {}",
        lab.key,
        args.folders.len(),
        class.entries.len(),
        args.out.join("index.html").display()
    );
    // As the batch: the students' scores are not the exit code, the grader's failures are.
    if errors > 0 {
        exit::GRADER
    } else {
        exit::PASSED
    }
}
