use super::*;
use serde_json::json;

fn check(id: &str, status: &str, message: &str) -> serde_json::Value {
    json!({"id": id, "title": format!("title of {id}"), "status": status,
           "score": 0.0, "max_score": 1.0, "duration_ms": 0, "message": message})
}

fn graded(name: &str, score: f64, max: f64, checks: Vec<serde_json::Value>) -> Graded {
    let passed = !checks
        .iter()
        .any(|c| c["status"] == "failed" || c["status"] == "error");
    Graded {
        name: name.into(),
        outcome: Submitted::Report(
            json!({"schema": 1, "lab": "lab06", "submission": "/x", "seed": 1,
            "passed": passed, "score": score, "max_score": max, "duration_ms": 5,
            "lang": "en", "checks": checks}),
        ),
        duration_ms: 5,
    }
}

fn broken(name: &str) -> Graded {
    Graded {
        name: name.into(),
        outcome: Submitted::GraderError("timed out after 120 s".into()),
        duration_ms: 120_000,
    }
}

fn class() -> Vec<Graded> {
    vec![
        graded(
            "a",
            4.0,
            4.0,
            vec![check("x", "passed", ""), check("y", "passed", "")],
        ),
        graded(
            "b",
            1.0,
            4.0,
            vec![
                check("x", "failed", "no answer on port 24383 after 3 s"),
                check("y", "skipped", "x did not pass"),
            ],
        ),
        graded(
            "c",
            1.5,
            4.0,
            vec![
                check("x", "failed", "no answer on port 31007 after 3 s"),
                check("y", "error", "could not bind"),
            ],
        ),
        graded(
            "d",
            0.0,
            4.0,
            vec![
                check("x", "failed", "the body was 'Hello' not 'Hello, client!'"),
                check("y", "warning", "ignores PORT"),
            ],
        ),
        broken("e"),
    ]
}

#[test]
fn grader_errors_are_kept_out_of_the_histogram() {
    let s = ClassStats::new(&class());
    assert_eq!(s.unit, BinUnit::Points(4));
    let bins: Vec<(&str, Vec<usize>)> = s
        .bins
        .iter()
        .map(|b| (b.label.as_str(), b.students.clone()))
        .collect();
    assert_eq!(
        bins,
        [
            ("0", vec![3]),
            ("1", vec![1, 2]),
            ("2", vec![]),
            ("3", vec![]),
            ("4", vec![0])
        ]
    );
    assert_eq!((s.graded, s.grader_errors, s.all_passed), (4, 1, 1));
    assert_eq!(s.with_check_errors, 1);
    assert_eq!(s.uniform_max, Some(4.0));
    assert!((s.mean.unwrap() - 6.5 / 16.0).abs() < 1e-9);
    assert!((s.median.unwrap() - 1.25 / 4.0).abs() < 1e-9);
}

/// A setup problem (the student's file is missing) is the student's: graded, 0 points, in the
/// histogram and the mean; but no check ran, so the pass rates leave it out.
#[test]
fn a_setup_problem_is_graded_as_zero() {
    let mut c = class();
    c.push(Graded {
        name: "f".into(),
        outcome: Submitted::Setup("server.py not found".into()),
        duration_ms: 40,
    });
    let s = ClassStats::new(&c);
    assert_eq!((s.graded, s.setup, s.grader_errors), (5, 1, 1));
    assert_eq!(s.bins[0].students, [3, 5]);
    assert!((s.mean.unwrap() - 6.5 / 20.0).abs() < 1e-9);
    assert_eq!(s.median, Some(0.25));
    assert_eq!(s.checks[0].counts.total(), 4);
    assert_eq!(s.uniform_max, Some(4.0));
    assert!(s.students[5].report().is_none());
    assert_eq!(s.students[5].fraction(), Some(0.0));
}

#[test]
fn percent_bins_when_maxima_differ() {
    let mut c = class();
    c.push(graded("f", 7.0, 10.0, vec![check("x", "passed", "")]));
    c.push(graded("g", 9.99, 10.0, vec![check("x", "passed", "")]));
    let s = ClassStats::new(&c);
    assert_eq!(s.unit, BinUnit::Percent);
    assert_eq!(s.bins.len(), 11);
    assert_eq!(s.bins[0].label, "0–9");
    assert_eq!(s.bins[10].label, "100");
    assert_eq!(s.bins[10].students, [0]);
    assert_eq!(s.bins[7].students, [5]);
    assert_eq!(s.bins[9].students, [6]);
    assert_eq!(s.bins[2].students, [1]);
    assert_eq!(s.bins[3].students, [2]);
    assert_eq!(s.uniform_max, None);
}

#[test]
fn outcomes_and_pass_rates_per_check() {
    let s = ClassStats::new(&class());
    let ids: Vec<&str> = s.checks.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["x", "y"]);
    let y = &s.checks[1];
    assert_eq!(
        y.counts,
        Counts {
            passed: 1,
            failed: 0,
            skipped: 1,
            error: 1,
            warning: 1
        }
    );
    // The grader error says nothing about the student: 1 passed of 3.
    assert!((y.pass_rate().unwrap() - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!(s.checks[0].pass_rate(), Some(0.25));
}

#[test]
fn top_failures_group_messages_that_differ_only_in_numbers() {
    let s = ClassStats::new(&class());
    assert_eq!(s.top_failures.len(), 1);
    let x = &s.top_failures[0];
    assert_eq!((x.id.as_str(), x.failed), ("x", 3));
    assert_eq!(x.groups.len(), 2);
    assert_eq!(x.groups[0].students, [1, 2]);
    assert_eq!(x.groups[0].example, "no answer on port 24383 after 3 s");
    assert_eq!(x.groups[1].students, [3]);
}

#[test]
fn a_check_missing_from_the_first_report_keeps_its_place() {
    let c = vec![
        graded(
            "a",
            1.0,
            2.0,
            vec![check("a", "passed", ""), check("c", "failed", "")],
        ),
        graded(
            "b",
            1.0,
            2.0,
            vec![check("a", "passed", ""), check("b", "failed", "")],
        ),
        graded("c", 0.0, 2.0, vec![check("d", "failed", "")]),
    ];
    let s = ClassStats::new(&c);
    let ids: Vec<&str> = s.checks.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["d", "a", "b", "c"]);
}

#[test]
fn an_unreadable_report_is_a_grader_error() {
    let g = Graded {
        name: "x".into(),
        outcome: Submitted::Report(json!({"schema": 1, "checks": "nope"})),
        duration_ms: 0,
    };
    let s = ClassStats::new(&[g]);
    assert_eq!((s.graded, s.grader_errors), (0, 1));
    assert!(matches!(&s.students[0].outcome, Outcome::GraderError(e) if e.contains("unreadable")));
    assert!(s.bins.iter().all(|b| b.students.is_empty()));
}

#[test]
fn message_keys() {
    assert_eq!(
        message_key("no answer on port 24383 after 3 s"),
        message_key("no answer on port 8000  after 10 s")
    );
    assert_eq!(
        message_key("the printed address has an empty host: http://:24383"),
        "the printed address has an empty host: http://:#"
    );
    assert_eq!(
        message_key("bad request 'GWPHBR 2n94u62g' got 200"),
        "bad request \"…\" got #"
    );
    // Apostrophes inside words are not quotes.
    assert_eq!(
        message_key("the server didn't answer"),
        "the server didn't answer"
    );
    assert_eq!(
        message_key("본문이 'Hello'가 아니라 'Hi'였습니다 (3초)"),
        "본문이 \"…\"가 아니라 \"…\"였습니다 (#초)"
    );
    assert_eq!(message_key("127.0.0.1:8000"), "#.#.#.#:#");
    // An unmatched quote is left alone.
    assert_eq!(message_key("it's 'open"), "it's 'open");
}
