//! lab02 end to end, in hermetic mode (the grader's own namespaces and DNS fixture) where the
//! machine allows it, and with hermetic mode forced off to test the fallback.

use crate::util::*;

const ALL: [&str; 8] = [
    "runs",
    "format",
    "localhost",
    "multiple_addresses",
    "ipv6",
    "no_duplicates",
    "not_found",
    "usage",
];

fn expect(failed: &[&str], skipped: &[&str]) -> Vec<String> {
    expect_statuses(&ALL, failed, skipped)
}

fn hermetic(fixture: &str) -> Option<(Run, serde_json::Value)> {
    hermetic_json("lab02", fixture)
}

#[test]
fn python_solution_passes_in_hermetic_mode() {
    let Some((r, v)) = hermetic("exercises/lab02_dns/solution") else {
        return;
    };
    r.code(0);
    assert_eq!(statuses(&v), expect(&[], &[]), "{r}");
}

#[test]
fn rust_reference_passes_through_grade_toml() {
    if !netns_available() {
        return skip("namespaces are not available for hermetic mode");
    }
    let dir = reference_submission("lab02");
    let r = run(grade()
        .args([
            "lab02",
            "--format",
            "json",
            "--hermetic",
            "on",
            "--submission",
        ])
        .arg(dir.path()));
    r.code(0);
    assert_eq!(statuses(&r.json()), expect(&[], &[]), "{r}");
}

#[test]
fn without_namespaces_fixture_checks_are_skipped_never_passed() {
    let (r, v) = grade_json(
        "lab02",
        "exercises/lab02_dns/solution",
        &["--hermetic", "off"],
    );
    r.code(0);
    let skipped = ["multiple_addresses", "ipv6", "not_found"];
    assert_eq!(statuses(&v), expect(&[], &skipped), "{r}");
    for id in skipped {
        let m = check(&v, id)["message"].as_str().unwrap();
        assert!(m.contains("hermetic"), "{id}: {m}");
    }
    // Where the student grades must not change the score: checks not run are not counted.
    assert_eq!(v["score"], v["max_score"], "{r}");
}

#[test]
fn printing_duplicates_fails_no_duplicates() {
    let Some((r, v)) = hermetic("tests/fixtures/lab02/duplicates") else {
        return;
    };
    r.code(1);
    assert_eq!(statuses(&v), expect(&["no_duplicates"], &[]), "{r}");
}

#[test]
fn gethostbyname_only_misses_addresses_and_ipv6() {
    let Some((r, v)) = hermetic("tests/fixtures/lab02/gethostbyname_only") else {
        return;
    };
    r.code(1);
    // localhost has one IPv4 address, which gethostbyname gives: missing ::1 is `ipv6`'s lesson.
    let failed = ["multiple_addresses", "ipv6"];
    assert_eq!(statuses(&v), expect(&failed, &[]), "{r}");
    let c = check(&v, "multiple_addresses");
    let m = c["message"].as_str().unwrap();
    assert!(
        m.contains("netgrade.test") && m.contains("only one address"),
        "{m}"
    );
    // The hint matches what was seen: one address, not "IPv6 is missing".
    let h = c["hint"].as_str().unwrap();
    assert!(h.contains("single address"), "{h}");
    let h = check(&v, "ipv6")["hint"].as_str().unwrap();
    assert!(h.contains("Only IPv4"), "{h}");
}

#[test]
fn traceback_on_a_missing_name_fails_not_found() {
    let Some((r, v)) = hermetic("tests/fixtures/lab02/traceback_not_found") else {
        return;
    };
    r.code(1);
    assert_eq!(statuses(&v), expect(&["not_found"], &[]), "{r}");
    let m = check(&v, "not_found")["message"].as_str().unwrap();
    assert!(m.contains("traceback"), "{m}");
}

#[test]
fn no_usage_message_fails_usage() {
    let Some((r, v)) = hermetic("tests/fixtures/lab02/no_usage") else {
        return;
    };
    r.code(1);
    assert_eq!(statuses(&v), expect(&["usage"], &[]), "{r}");
}

#[test]
fn fixture_names_are_fresh_per_seed_and_replayed_by_it() {
    let Some((_, a)) = hermetic("tests/fixtures/lab02/gethostbyname_only") else {
        return;
    };
    let (_, b) = hermetic("tests/fixtures/lab02/gethostbyname_only").unwrap();
    let name = |v: &serde_json::Value| check(v, "multiple_addresses")["message"].clone();
    assert_eq!(name(&a), name(&b), "same seed, same names");
    let sub = copy_submission(&root().join("tests/fixtures/lab02/gethostbyname_only"));
    let r = run(grade()
        .args([
            "lab02",
            "--format",
            "json",
            "--hermetic",
            "on",
            "--seed",
            "8",
            "--submission",
        ])
        .arg(sub.path()));
    assert_ne!(name(&a), name(&r.json()), "another seed, other names");
}

#[test]
fn human_report_snapshot() {
    if !netns_available() {
        return skip("namespaces are not available for hermetic mode");
    }
    let sub = copy_submission(&root().join("tests/fixtures/lab02/gethostbyname_only"));
    let r = run(grade()
        .args([
            "lab02",
            "--seed",
            "7",
            "--lang",
            "ko",
            "--hermetic",
            "on",
            "--submission",
        ])
        .arg(sub.path()));
    r.code(1);
    insta::assert_snapshot!("lab02_human_fail_ko", redact(&r.stdout));
}

/// The seed teaches that DNS answers come in any order: sorting them (as the course's own
/// program does) is fine, and only the set is graded.
#[test]
fn sorting_the_addresses_is_fine() {
    let Some((r, v)) = hermetic("tests/fixtures/literal/lab02_sorted_set") else {
        return;
    };
    r.code(0);
    assert_eq!(statuses(&v), expect(&[], &[]), "{r}");
}

/// Students and most CI runners are not root: hermetic mode then enters a user namespace
/// first. Exercised here by dropping to an unprivileged user.
#[test]
fn hermetic_mode_works_for_an_unprivileged_user() {
    let sub = copy_submission(&root().join("exercises/lab02_dns/solution"));
    let args = ["lab02", "--format", "json", "--hermetic", "on"];
    let Some(r) = grade_unprivileged(&args, sub.path()) else {
        return;
    };
    r.code(0);
    assert_eq!(statuses(&r.json()), expect(&[], &[]), "{r}");
    assert_nothing_left(sub.path());
}
