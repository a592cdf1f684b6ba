use serde_json::json;

use super::*;

fn report(score: f64, checks: serde_json::Value) -> serde_json::Value {
    let passed = !checks
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["status"] == "failed" || c["status"] == "error");
    json!({"schema": 1, "lab": "lab06", "submission": "/sub", "seed": 7, "passed": passed,
           "score": score, "max_score": 3.0, "duration_ms": 120, "lang": "en", "checks": checks})
}

fn check(id: &str, status: &str, score: f64) -> serde_json::Value {
    json!({"id": id, "title": format!("the {id} check"), "status": status, "score": score,
           "max_score": 1.0, "duration_ms": 3})
}

/// Five students: one passes, one fails with every field, one has a check in error, one
/// the grader could not grade, and one whose file is missing (a setup problem).
fn small_class() -> Vec<Graded> {
    let mut failed = check("body", "failed", 0.0);
    failed["message"] = json!("the body differs on port 24383");
    failed["hint"] = json!("send exactly Hello, client!");
    failed["expected"] = json!("Hello, client!");
    failed["actual"] = json!("Hello client");
    failed["diff"] = json!("- Hello, client!\n+ Hello client\n");
    failed["output"] =
        json!({"stdout": "serving", "stderr": "Traceback\nValueError", "dropped_bytes": 10});
    let mut skipped = check("length", "skipped", 0.0);
    skipped["message"] = json!("a check this one needs did not pass");
    let mut error = check("length", "error", 0.0);
    error["message"] = json!("could not bind a source address");
    let mut warning = check("port", "warning", 0.0);
    warning["message"] = json!("ignores PORT");
    let mut sample = report(
        1.0,
        json!([check("starts", "passed", 1.0), failed, skipped]),
    );
    sample["fix_first"] = json!({"id": "body", "blocks": 1});
    sample["notices"] = json!(["left process 77 holding port 8000"]);
    vec![
        Graded {
            name: "kim".into(),
            outcome: Submitted::Report(report(
                3.0,
                json!([
                    check("starts", "passed", 1.0),
                    check("body", "passed", 1.0),
                    check("length", "passed", 1.0)
                ]),
            )),
            duration_ms: 230,
        },
        Graded {
            name: "이서연".into(),
            outcome: Submitted::Report(sample),
            duration_ms: 3199,
        },
        Graded {
            name: "park".into(),
            outcome: Submitted::Report(report(
                2.0,
                json!([
                    check("starts", "passed", 1.0),
                    check("body", "passed", 1.0),
                    error,
                    warning
                ]),
            )),
            duration_ms: 400,
        },
        Graded {
            name: "lee".into(),
            outcome: Submitted::GraderError(
                "the grading did not end within 120 s and was stopped".into(),
            ),
            duration_ms: 120_000,
        },
        Graded {
            name: "choi".into(),
            outcome: Submitted::Setup(
                "grade: labs/06_http_server/server.py not found: write your program there".into(),
            ),
            duration_ms: 80,
        },
    ]
}

fn render(graded: &[Graded], lang: Lang) -> String {
    let mut out = Vec::new();
    render_html("lab06", "HTTP server", graded, lang, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// The page without its constant style sheet and script, for snapshots.
fn without_assets(html: &str) -> String {
    html.replace(CSS, "/* page.css */")
        .replace(JS, "/* page.js */")
        .replace(&csp::policy(CSS, JS), "<csp>")
}

#[test]
fn class_report_english() {
    insta::assert_snapshot!(without_assets(&render(&small_class(), Lang::En)));
}

#[test]
fn class_report_korean() {
    let html = render(&small_class(), Lang::Ko);
    assert!(html.contains("<html lang=\"ko\">"));
    insta::assert_snapshot!(without_assets(&html));
}

#[test]
fn the_same_input_gives_the_same_page() {
    assert_eq!(
        render(&small_class(), Lang::En),
        render(&small_class(), Lang::En)
    );
}

#[test]
fn every_student_has_a_row_and_details() {
    let html = render(&small_class(), Lang::En);
    for (i, name) in ["kim", "이서연", "park", "lee", "choi"].iter().enumerate() {
        assert!(
            html.contains(&format!("<a href=\"#s-{i}\">{name}</a>")),
            "{name}"
        );
        assert!(html.contains(&format!("<details class=\"student\" id=\"s-{i}\">")));
    }
    assert_eq!(html.matches("<tr data-i=").count(), 5);
    assert_eq!(html.matches(" data-err>").count(), 1);
    assert_eq!(html.matches(" data-setup>").count(), 1);
}

/// A setup problem is the student's: its own badge (not the grader's), scored 0, and counted
/// among the graded.
#[test]
fn a_setup_problem_has_its_own_state() {
    for (lang, badge, graded) in [
        (
            Lang::En,
            "setup problem",
            "4 graded (1 setup problem) · 1 not graded",
        ),
        (
            Lang::Ko,
            "제출물 문제",
            "채점 4명(제출물 문제 1명 포함) · 채점 오류 1명",
        ),
    ] {
        let html = render(&small_class(), lang);
        assert!(
            html.contains(&format!("<span class=\"badge st-setup\">{badge}</span>")),
            "{lang:?}"
        );
        assert_eq!(
            html.matches("badge st-grader").count(),
            2,
            "row and details"
        );
        assert!(html.contains(graded), "{lang:?}");
        assert!(html.contains("server.py not found"));
    }
}

#[test]
fn nothing_the_policy_would_refuse() {
    let html = render(&small_class(), Lang::En);
    // Inline style attributes and event handlers would be blocked by the CSP.
    assert!(!html.contains(" style="));
    assert!(!html.contains(" onclick="));
    assert_eq!(html.matches("<script").count(), 1);
    assert!(html.contains("default-src 'none'"));
    for external in ["http://", "https://", "src=", "@import", "url("] {
        assert!(!html.contains(external), "{external}");
    }
}

#[test]
fn hostile_names_and_messages_are_escaped_and_clipped() {
    let hostile = "<script>alert(1)</script>\"' onmouseover=alert(2) x=\"</textarea>";
    let mut failed = check("body", "failed", 0.0);
    failed["message"] = json!(format!(
        "{hostile} \u{1b}[31mred\u{1b}[0m \u{202e}reversed\u{0}"
    ));
    failed["actual"] = json!("A".repeat(1_000_000));
    failed["hint"] = json!("<b>bold</b>");
    failed["output"] =
        json!({"stdout": "line\n".repeat(100_000), "stderr": "</pre><script>alert(3)</script>"});
    let graded = vec![
        Graded {
            name: hostile.into(),
            outcome: Submitted::Report(report(0.0, json!([failed]))),
            duration_ms: 1,
        },
        Graded {
            name: format!("{}{}", "x".repeat(500), hostile),
            outcome: Submitted::GraderError(format!("{hostile}\n{}", "E".repeat(100_000))),
            duration_ms: 1,
        },
    ];
    let html = render(&graded, Lang::En);
    assert_eq!(html.matches("<script").count(), 1, "only the page's script");
    assert!(!html.contains("<script>alert"));
    assert!(!html.contains("</textarea>"));
    assert!(!html.contains("<b>bold</b>"));
    assert!(!html.contains("</pre><script"));
    assert!(!html.contains("\" onmouseover"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39; onmouseover=alert(2)"));
    assert!(html.contains("\\x1b[31mred"));
    assert!(html.contains("\\u{202e}reversed\\x00"));
    assert!(!html.contains('\u{1b}'));
    assert!(!html.contains('\u{202e}'));
    assert!(!html.contains('\0'));
    // The end of a long output is shown, and says what was left out.
    assert!(html.contains("… (+99961 lines)\nline\nline"));
    assert!(!html.contains("(+1 lines)"));
    // A megabyte of output makes a page of a few dozen kilobytes, not megabytes.
    assert!(html.len() < 120_000, "{} bytes", html.len());
}

#[test]
fn an_empty_batch_still_makes_a_page() {
    let html = render(&[], Lang::Ko);
    assert!(html.contains("채점된 제출물이 없습니다."));
    assert!(html.ends_with("</html>\n"));
}

#[test]
fn points_and_names() {
    assert_eq!(points(9.0), "9");
    assert_eq!(points(9.5), "9.5");
    assert_eq!(points(9.25), "9.25");
    assert_eq!(points(1.0 / 3.0), "0.33");
    assert_eq!(
        names(Lang::Ko, ["a", "b", "c"].into_iter(), 2),
        "a, b 외 1명"
    );
    assert_eq!(
        names(Lang::En, ["a", "b", "c"].into_iter(), 2),
        "a, b and 1 more"
    );
    assert_eq!(tail("1\n2\n3", 2), "… (+1 lines)\n2\n3");
}
