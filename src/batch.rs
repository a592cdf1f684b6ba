//! `grade batch LAB DIR`: a whole class, one folder per submission (the folder's name is the
//! student), graded `jobs` at a time. Nothing here prints: progress goes to a callback, and
//! `cli::batch` writes the files and renders the progress.
//!
//! Each submission is graded by its own child `grade LAB --format json` (the same path as
//! `grade` with no lab, see [`crate::subgrade::child_grading`]), so:
//! - on Linux each grading has its own network namespace: fifty servers that all hard-code
//!   port 8000 run side by side, and none can reach another's;
//! - the child also hides, in its own mount namespace, the class's folder (but its own
//!   submission), the results folder, staff's graders and the other gradings' private homes
//!   (`--hide`), and ignores the submission's `grade.toml` `env` (`--batch-child`);
//! - a broken or hostile submission costs its own budget only: the child is bounded by
//!   [`crate::subgrade::RUN_DEADLINE`], and a grader crash is that submission's error.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Instant;

use tokio::task::JoinSet;

use crate::interrupt::Interrupt;
use crate::lab::LabInfo;
use crate::report::outcome::Graded;
use crate::subgrade::child_grading;

/// What to grade and how.
#[derive(Clone, Debug)]
pub struct Plan {
    /// This binary.
    pub exe: PathBuf,
    pub lab: &'static LabInfo,
    /// The class's folder (canonical).
    pub dir: PathBuf,
    /// The submissions to grade (folder names), after `--shard`.
    pub names: Vec<String>,
    pub jobs: usize,
    /// Options for every child after its own (`--python PATH`, `--lang ko`, ...).
    pub forward: Vec<OsString>,
    /// Paths each child hides from its submission.
    pub hide: Vec<PathBuf>,
    /// Where the children make their private homes (hidden from each other).
    pub homes: PathBuf,
    /// `--capture`: the folder of each grading's `NAME.pcapng`.
    pub captures: Option<PathBuf>,
}

/// Where the batch is, for a caller that shows progress.
pub enum Progress<'a> {
    Started { name: &'a str, running: usize },
    Finished { graded: &'a Graded, running: usize },
}

/// The submissions of a class folder: its sub-folders, sorted by name (hidden ones, such as
/// `.git`, left out). [`order_by_history`] may then reorder them.
pub fn submissions(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') && entry.file_type()?.is_dir() {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// Puts the gradings that took longest last time first, from a previous `summary.json` of
/// the same lab (`OUT/summary.json` when staff grade again into the same folder). A class's
/// time is bounded below by its slowest grading: a server that never starts costs its whole
/// budget, and started last it finishes long after the others. Submissions the last run did
/// not see come first (they may be slow too), in name order; the rest longest first. Without
/// a usable summary the order stays the names' order.
pub fn order_by_history(names: &mut [String], lab: &str, previous: Option<&serde_json::Value>) {
    let Some(prev) = previous.filter(|p| p["lab"] == lab) else {
        return;
    };
    let took: std::collections::HashMap<&str, u64> = prev["submissions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| Some((s["name"].as_str()?, s["duration_ms"].as_u64()?)))
        .collect();
    // Stable: equal keys keep the names' order.
    names.sort_by_key(|n| std::cmp::Reverse(took.get(n.as_str()).copied().unwrap_or(u64::MAX)));
}

/// `K/N` for `--shard`: 1 <= K <= N.
pub fn parse_shard(s: &str) -> Result<(u32, u32), String> {
    let (k, n) = s
        .split_once('/')
        .ok_or_else(|| format!("{s:?} is not K/N"))?;
    let (k, n): (u32, u32) = (
        k.trim()
            .parse()
            .map_err(|_| format!("{k:?} is not a number"))?,
        n.trim()
            .parse()
            .map_err(|_| format!("{n:?} is not a number"))?,
    );
    if n == 0 || k == 0 || k > n {
        return Err(format!("{s}: K must be between 1 and N"));
    }
    Ok((k, n))
}

/// Whether `name` belongs to shard `k` of `n`. Stable across machines and runs (FNV-1a of the
/// name, not Rust's seeded hasher), so a CI matrix of N jobs covers the class exactly once.
pub fn in_shard(name: &str, (k, n): (u32, u32)) -> bool {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h % u64::from(n) == u64::from(k - 1)
}

/// Grades every submission of `plan`, `jobs` at a time. Ctrl+C or SIGTERM stops the running
/// children politely (each tears down its submission) and ends the batch; the second value
/// says so. Results come in the order the gradings finished.
pub async fn run(
    plan: &Plan,
    interrupt: &mut Interrupt,
    progress: &mut dyn FnMut(Progress<'_>),
) -> (Vec<Graded>, bool) {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut set = JoinSet::new();
    let mut next = 0;
    let mut done = Vec::new();
    loop {
        while next < plan.names.len() && set.len() < plan.jobs.max(1) {
            let name = plan.names[next].clone();
            next += 1;
            progress(Progress::Started {
                name: &name,
                running: set.len() + 1,
            });
            let (plan, mut stop) = (plan.clone(), stop_rx.clone());
            set.spawn(async move {
                let stopped = async move {
                    let _ = stop.wait_for(|s| *s).await;
                };
                grade_one(&plan, name, stopped).await
            });
        }
        if set.is_empty() {
            return (done, false);
        }
        tokio::select! {
            biased;
            () = interrupt.recv() => {
                let _ = stop_tx.send(true);
                // Each child is stopped politely (bounded by subgrade::STOP_GRACE).
                while set.join_next().await.is_some() {}
                return (done, true);
            }
            joined = set.join_next() => {
                if let Some(Ok(Some(graded))) = joined {
                    progress(Progress::Finished { graded: &graded, running: set.len() });
                    done.push(graded);
                }
            }
        }
    }
}

/// One child grading; `None` when the batch was stopped.
async fn grade_one(
    plan: &Plan,
    name: String,
    stop: impl std::future::Future<Output = ()>,
) -> Option<Graded> {
    let started = Instant::now();
    let mut args: Vec<OsString> = vec![
        plan.lab.key.into(),
        "--format".into(),
        "json".into(),
        "--submission".into(),
        plan.dir.join(&name).into(),
        "--batch-child".into(),
    ];
    for p in &plan.hide {
        args.extend(["--hide".into(), p.clone().into()]);
    }
    args.extend(plan.forward.iter().cloned());
    if let Some(dir) = &plan.captures {
        args.extend([
            "--capture".into(),
            dir.join(format!("{name}.pcapng")).into(),
        ]);
    }
    let envs = [(
        OsString::from("TMPDIR"),
        plan.homes.clone().into_os_string(),
    )];
    let (outcome, report) = child_grading(&plan.exe, &args, &envs, plan.lab, stop).await?;
    Some(Graded {
        name,
        outcome,
        report,
        duration: started.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_the_class_exactly_once() {
        let names: Vec<String> = (0..500).map(|i| format!("student{i:03}")).collect();
        let n = 4;
        let mut seen = 0;
        for k in 1..=n {
            let part: Vec<_> = names.iter().filter(|s| in_shard(s, (k, n))).collect();
            assert!(part.len() > 60, "shard {k} has {}", part.len());
            seen += part.len();
        }
        assert_eq!(seen, names.len());
        // Stable: the same name is always in the same shard.
        assert!(in_shard("student000", (1, 1)));
    }

    #[test]
    fn the_slowest_of_the_last_run_start_first() {
        let prev = serde_json::json!({"schema": 1, "lab": "lab01", "submissions": [
            {"name": "a", "duration_ms": 100},
            {"name": "b", "duration_ms": 10_000},
            {"name": "c", "duration_ms": 300},
        ]});
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let mut n = names(&["a", "b", "c", "d"]);
        order_by_history(&mut n, "lab01", Some(&prev));
        // `d` is new: first; then the slowest.
        assert_eq!(n, names(&["d", "b", "c", "a"]));
        // Another lab's summary, or none, changes nothing.
        let mut n = names(&["a", "b", "c"]);
        order_by_history(&mut n, "lab02", Some(&prev));
        assert_eq!(n, names(&["a", "b", "c"]));
        order_by_history(&mut n, "lab01", None);
        assert_eq!(n, names(&["a", "b", "c"]));
    }

    #[test]
    fn shard_syntax() {
        assert_eq!(parse_shard("2/3"), Ok((2, 3)));
        for bad in ["0/3", "4/3", "1/0", "a/b", "3"] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
    }
}
