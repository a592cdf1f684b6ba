//! `grade batch-merge OUT...`: one class from the folders that the jobs of a CI matrix wrote
//! with `grade batch --shard K/N --out OUT_K`. Each folder's `summary.json` and the students'
//! own files are read back into [`Entry`]s (the batch writes every file from those, see
//! [`crate::report::summary`]), checked to belong together, and merged; `cli/merge.rs` then
//! writes the class with the batch's own writers, so the merged folder is what one batch of
//! the whole class would have written. Nothing here writes or prints.
//!
//! Refused, with what is wrong: a folder without `summary.json`, a graded student whose report
//! is missing, shards of different labs or of different splits (`1/2` beside `1/3`), a split
//! with a shard missing (a matrix job that failed before uploading), and a student in two
//! folders with different results. The same student with the same result in two folders (a
//! shard given twice) is kept once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::batch::parse_shard;
use crate::report::summary::{self, Entry, Recorded};

/// One folder of `grade batch`, read back.
#[derive(Clone, Debug)]
pub struct Shard {
    pub dir: PathBuf,
    /// The lab's key, as `summary.json` says.
    pub lab: String,
    /// `K/N` when the batch was one shard of a class.
    pub shard: Option<(u32, u32)>,
    pub duration_ms: u64,
    pub entries: Vec<Entry>,
}

/// The merged class.
#[derive(Clone, Debug)]
pub struct Class {
    pub lab: String,
    /// The longest shard's: the jobs of a matrix run side by side.
    pub duration_ms: u64,
    /// By name, as a batch writes them.
    pub entries: Vec<Entry>,
}

#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("{}: no summary.json; give the --out folders of `grade batch`", .0.display())]
    NoSummary(PathBuf),
    #[error("{}: {why}", path.display())]
    Unreadable { path: PathBuf, why: String },
    #[error(
        "the folders are of different labs: {} is {first}, {} is {second}",
        first_dir.display(),
        second_dir.display()
    )]
    DifferentLabs {
        first: String,
        first_dir: PathBuf,
        second: String,
        second_dir: PathBuf,
    },
    #[error(
        "the folders split the class differently: {} is shard {}/{}, {} is shard {}/{}",
        first_dir.display(), first.0, first.1, second_dir.display(), second.0, second.1
    )]
    DifferentSplits {
        first: (u32, u32),
        first_dir: PathBuf,
        second: (u32, u32),
        second_dir: PathBuf,
    },
    #[error(
        "{} missing: the class was split into {n} (--shard K/{n}); give the folder of every shard",
        missing_list(.missing, *.n)
    )]
    MissingShards { missing: Vec<u32>, n: u32 },
    #[error(
        "{name} is in two folders with different results: {} and {}",
        first_dir.display(),
        second_dir.display()
    )]
    Conflict {
        name: String,
        first_dir: PathBuf,
        second_dir: PathBuf,
    },
}

fn missing_list(missing: &[u32], n: u32) -> String {
    let shards: Vec<String> = missing.iter().map(|k| format!("{k}/{n}")).collect();
    match shards.len() {
        1 => format!("shard {} is", shards[0]),
        _ => format!("shards {} are", shards.join(", ")),
    }
}

/// Reads one `grade batch` folder: its `summary.json`, and each graded student's report.
pub fn read_shard(dir: &Path) -> Result<Shard, MergeError> {
    let path = dir.join("summary.json");
    let unreadable = |why: String| MergeError::Unreadable {
        path: path.clone(),
        why,
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(MergeError::NoSummary(dir.to_path_buf()));
        }
        Err(e) => return Err(unreadable(e.to_string())),
    };
    let v: Value = serde_json::from_slice(&bytes).map_err(|e| unreadable(e.to_string()))?;
    if v["schema"] != 1 {
        return Err(unreadable(format!(
            "schema {}, but this grade reads schema 1",
            v["schema"]
        )));
    }
    let lab = v["lab"]
        .as_str()
        .ok_or_else(|| unreadable("no lab".into()))?;
    let shard = match &v["shard"] {
        Value::Null => None,
        s => Some(
            s.as_str()
                .ok_or("not K/N".to_string())
                .and_then(parse_shard)
                .map_err(|e| unreadable(format!("shard: {e}")))?,
        ),
    };
    let mut entries = Vec::new();
    for s in v["submissions"]
        .as_array()
        .ok_or_else(|| unreadable("no submissions".into()))?
    {
        // A graded student's report is their own file, beside summary.json.
        let report = |name: &str| {
            let file = dir.join(summary::student_file_name(name));
            std::fs::read(&file).map_err(|e| format!("{name}'s report {}: {e}", file.display()))
        };
        entries.push(summary::from_summary(s, report).map_err(unreadable)?);
    }
    Ok(Shard {
        dir: dir.to_path_buf(),
        lab: lab.to_string(),
        shard,
        duration_ms: v["duration_ms"].as_u64().unwrap_or(0),
        entries,
    })
}

/// One class from `shards`, in the order given (the first of two equal results is kept).
pub fn merge(shards: Vec<Shard>) -> Result<Class, MergeError> {
    let Some(first) = shards.first() else {
        return Ok(Class {
            lab: String::new(),
            duration_ms: 0,
            entries: Vec::new(),
        });
    };
    for s in &shards[1..] {
        if s.lab != first.lab {
            return Err(MergeError::DifferentLabs {
                first: first.lab.clone(),
                first_dir: first.dir.clone(),
                second: s.lab.clone(),
                second_dir: s.dir.clone(),
            });
        }
    }
    check_splits(&shards)?;
    let lab = first.lab.clone();
    let duration_ms = shards.iter().map(|s| s.duration_ms).max().unwrap_or(0);
    // Each student with the folder it came from, by name (a class may have thousands).
    let mut all: BTreeMap<&str, (&Entry, &Path)> = BTreeMap::new();
    for s in &shards {
        for e in &s.entries {
            match all.get(e.name.as_str()) {
                None => {
                    all.insert(&e.name, (e, &s.dir));
                }
                Some((seen, _)) if same_result(seen, e) => {}
                Some((_, dir)) => {
                    return Err(MergeError::Conflict {
                        name: e.name.clone(),
                        first_dir: dir.to_path_buf(),
                        second_dir: s.dir.clone(),
                    });
                }
            }
        }
    }
    // In name order, as a batch writes them.
    let entries: Vec<Entry> = all.into_values().map(|(e, _)| e.clone()).collect();
    Ok(Class {
        lab,
        duration_ms,
        entries,
    })
}

/// Folders of sharded batches must split the class the same way, and all of its shards must
/// be there. A folder of a whole batch (no `--shard`) may join them: two sections graded apart.
fn check_splits(shards: &[Shard]) -> Result<(), MergeError> {
    let split: Vec<((u32, u32), &Path)> = shards
        .iter()
        .filter_map(|s| Some((s.shard?, s.dir.as_path())))
        .collect();
    let Some(&((_, n), first_dir)) = split.first() else {
        return Ok(());
    };
    if let Some(&(other, dir)) = split.iter().find(|((_, m), _)| *m != n) {
        return Err(MergeError::DifferentSplits {
            first: split[0].0,
            first_dir: first_dir.to_path_buf(),
            second: other,
            second_dir: dir.to_path_buf(),
        });
    }
    let missing: Vec<u32> = (1..=n)
        .filter(|k| !split.iter().any(|((j, _), _)| j == k))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(MergeError::MissingShards { missing, n })
    }
}

/// The same result, as the summary counts it: the outcome and, for a graded student, the
/// score and the checks failed, warned and in error. Times and the words of a message may
/// differ between two gradings of one submission.
fn same_result(a: &Entry, b: &Entry) -> bool {
    match (&a.result, &b.result) {
        (Recorded::Graded { summary: x, .. }, Recorded::Graded { summary: y, .. }) => x == y,
        (Recorded::Setup(_), Recorded::Setup(_))
        | (Recorded::GraderError(_), Recorded::GraderError(_)) => true,
        (Recorded::Graded { .. } | Recorded::Setup(_) | Recorded::GraderError(_), _) => false,
    }
}

#[cfg(test)]
mod tests;
