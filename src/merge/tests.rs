use std::path::Path;

use super::*;
use crate::report::outcome::Summary;

fn graded(name: &str, score: f64) -> Entry {
    Entry {
        name: name.into(),
        duration_ms: 100,
        result: Recorded::Graded {
            summary: Summary {
                passed: score >= 10.0,
                score,
                max_score: 10.0,
                failed: if score >= 10.0 {
                    vec![]
                } else {
                    vec!["body".into()]
                },
                errors: vec![],
                warnings: vec![],
            },
            report: format!(r#"{{"schema":1,"lab":"lab01","score":{score}}}"#).into_bytes(),
        },
    }
}

fn setup(name: &str) -> Entry {
    Entry {
        name: name.into(),
        duration_ms: 30,
        result: Recorded::Setup("app.py not found".into()),
    }
}

/// A folder as `grade batch` writes it (the summary and each student's file).
fn folder(dir: &Path, lab: &str, shard: Option<(u32, u32)>, ms: u64, entries: &[Entry]) {
    std::fs::create_dir_all(dir).unwrap();
    for e in entries {
        std::fs::write(
            dir.join(summary::student_file_name(&e.name)),
            summary::student_file(lab, e),
        )
        .unwrap();
    }
    let v = summary::summary_json(lab, shard, ms, entries);
    std::fs::write(dir.join("summary.json"), v.to_string()).unwrap();
}

fn read_all(dirs: &[&Path]) -> Result<Class, MergeError> {
    let shards = dirs
        .iter()
        .map(|d| read_shard(d))
        .collect::<Result<Vec<_>, _>>()?;
    merge(shards)
}

#[test]
fn shards_make_one_class_in_name_order() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    folder(
        &a,
        "lab01",
        Some((1, 2)),
        900,
        &[graded("kim", 10.0), setup("summary")],
    );
    folder(&b, "lab01", Some((2, 2)), 1500, &[graded("choi", 7.5)]);
    let class = read_all(&[&a, &b]).unwrap();
    assert_eq!(class.lab, "lab01");
    assert_eq!(class.duration_ms, 1500, "the longest shard's");
    let names: Vec<&str> = class.entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["choi", "kim", "summary"]);
    assert_eq!(class.entries[1], graded("kim", 10.0));
    assert_eq!(class.entries[2], setup("summary"));
}

#[test]
fn the_same_student_twice_is_kept_once_unless_the_results_differ() {
    let t = tempfile::tempdir().unwrap();
    let (a, b, c) = (t.path().join("a"), t.path().join("b"), t.path().join("c"));
    folder(&a, "lab01", None, 1, &[graded("kim", 10.0)]);
    let mut again = graded("kim", 10.0);
    again.duration_ms = 999;
    folder(&b, "lab01", None, 1, &[again]);
    folder(&c, "lab01", None, 1, &[graded("kim", 9.0)]);
    let class = read_all(&[&a, &b]).unwrap();
    assert_eq!(class.entries, [graded("kim", 10.0)]);
    let err = read_all(&[&a, &c]).unwrap_err();
    assert!(matches!(&err, MergeError::Conflict { name, .. } if name == "kim"));
    let text = err.to_string();
    assert!(text.contains(&*a.to_string_lossy()) && text.contains(&*c.to_string_lossy()));
}

#[test]
fn folders_of_different_labs_are_refused() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    folder(&a, "lab01", None, 1, &[graded("kim", 10.0)]);
    folder(&b, "lab06", None, 1, &[graded("lee", 10.0)]);
    let err = read_all(&[&a, &b]).unwrap_err().to_string();
    assert!(
        err.contains("different labs") && err.contains("lab06"),
        "{err}"
    );
}

#[test]
fn what_is_missing_is_named() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    std::fs::create_dir_all(&a).unwrap();
    let err = read_shard(&a).unwrap_err();
    assert!(matches!(err, MergeError::NoSummary(_)), "{err}");
    assert!(err.to_string().contains("no summary.json"));
    folder(&b, "lab01", None, 1, &[graded("kim", 10.0), setup("lee")]);
    // A setup problem has no report to lose; a graded student does.
    std::fs::remove_file(b.join("lee.json")).unwrap();
    read_shard(&b).unwrap();
    std::fs::remove_file(b.join("kim.json")).unwrap();
    let err = read_shard(&b).unwrap_err().to_string();
    assert!(
        err.contains("kim's report") && err.contains("kim.json"),
        "{err}"
    );
    std::fs::write(b.join("summary.json"), r#"{"schema": 2, "lab": "lab01"}"#).unwrap();
    let err = read_shard(&b).unwrap_err().to_string();
    assert!(err.contains("schema 2"), "{err}");
}

#[test]
fn every_shard_of_a_split_must_be_there() {
    let t = tempfile::tempdir().unwrap();
    let dirs: Vec<_> = (1..=4).map(|k| t.path().join(format!("s{k}"))).collect();
    folder(&dirs[0], "lab01", Some((1, 3)), 1, &[graded("a", 1.0)]);
    folder(&dirs[1], "lab01", Some((3, 3)), 1, &[graded("b", 1.0)]);
    folder(&dirs[2], "lab01", Some((2, 2)), 1, &[graded("c", 1.0)]);
    // A whole batch (another section, graded apart) may join a split.
    folder(&dirs[3], "lab01", None, 1, &[graded("d", 1.0)]);
    let err = read_all(&[&dirs[0], &dirs[1], &dirs[3]]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "shard 2/3 is missing: the class was split into 3 (--shard K/3); give the folder of every shard"
    );
    let err = read_all(&[&dirs[0]]).unwrap_err().to_string();
    assert!(err.starts_with("shards 2/3, 3/3 are missing"), "{err}");
    let err = read_all(&[&dirs[0], &dirs[2]]).unwrap_err().to_string();
    assert!(err.contains("split the class differently"), "{err}");
    assert!(err.contains("1/3") && err.contains("2/2"), "{err}");
}
