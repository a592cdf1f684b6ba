//! Issue 18: a student's program that floods (lines, messages, requests or bytes as fast as it
//! can write them) any reader of lab07-lab10 ends as the student's failure, within the check's
//! time: exit 1, no check in `error`, the run under the lab's budget, the grader's memory under
//! 64 MiB, and the failing check saying what it saw. The fixtures (tests/fixtures/hostile/
//! `labNN_flood*`) are each the lab's solution with one program flooding (the other unchanged);
//! each flood is bounded itself (20 or 30 s), so a grader that never stops reading fails here
//! instead of hanging.
//!
//! A broker or chat server that floods fails the first check that reads it, and the lab's
//! prerequisites would skip the rest; so those two grade with a copy of the lab's definition
//! whose reading checks need only `starts`, and every reader of the lab meets the flood.

use std::path::Path;

use crate::util::*;

/// The grader's own peak memory promised in the README.
const PEAK_RSS_KIB: u64 = 64 * 1024;

struct Flooded {
    run: Run,
    json: serde_json::Value,
}

/// Grades the hostile fixture `name` (with `graders`, a folder holding the lab's definition,
/// when given) and holds what every flood must give.
fn flooded(lab: &str, name: &str, budget_secs: u64, graders: Option<&Path>) -> Flooded {
    let sub = copy_submission(&root().join("tests/fixtures/hostile").join(name));
    let mut cmd = grade();
    cmd.env("NETGRADE_REPORT_PEAK_RSS", "1")
        .args([lab, "--seed", "11", "--lang", "en", "--format", "json"]);
    if let Some(g) = graders {
        cmd.arg("--graders").arg(g);
    }
    let r = run(cmd.arg("--submission").arg(sub.path()));
    assert_nothing_left(sub.path());
    r.code(1);
    assert!(
        r.elapsed.as_secs() < budget_secs,
        "the run took longer than the lab's budget ({budget_secs} s)\n{r}"
    );
    let rss: u64 = r
        .stderr
        .split("peak_rss_kib=")
        .nth(1)
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak_rss_kib in stderr\n{r}"));
    assert!(rss < PEAK_RSS_KIB, "grader peak RSS {rss} KiB\n{r}");
    let json = r.json();
    let errors: Vec<String> = statuses(&json)
        .into_iter()
        .filter(|s| s.ends_with("=error"))
        .collect();
    assert!(errors.is_empty(), "the grader's error: {errors:?}\n{r}");
    Flooded { run: r, json }
}

/// Every check of `ids` failed, its message holding each of `words`.
#[track_caller]
fn failed_saying(f: &Flooded, ids: &[&str], words: &[&str]) {
    for id in ids {
        let c = check(&f.json, id);
        assert_eq!(c["status"], "failed", "{id}\n{}", f.run);
        let m = c["message"].as_str().unwrap_or_default();
        for w in words {
            assert!(m.contains(w), "{id}: {m:?} lacks {w:?}\n{}", f.run);
        }
    }
}

/// A copy of `lab`'s definition in which the checks `ids` need only `starts` (what their code
/// needs), in a folder for `--graders`.
fn reading_checks_need_only_starts(lab: &str, ids: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let from = root().join("graders").join(lab);
    let to = dir.path().join(lab);
    std::fs::create_dir_all(to.join("snapshots")).unwrap();
    let def = std::fs::read_to_string(from.join("lab.toml")).unwrap();
    let mut id = String::new();
    let mut out = String::new();
    for line in def.lines() {
        if let Some(rest) = line.strip_prefix("id = \"") {
            id = rest.trim_end_matches('"').to_string();
        }
        if line.starts_with("needs = ") && ids.contains(&id.as_str()) {
            out.push_str("needs = [\"starts\"]\n");
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    std::fs::write(to.join("lab.toml"), out).unwrap();
    if let Ok(snapshots) = std::fs::read_dir(from.join("snapshots")) {
        for e in snapshots.flatten() {
            std::fs::copy(e.path(), to.join("snapshots").join(e.file_name())).unwrap();
        }
    }
    dir
}

/// A client that, after the lab's requests, sends one request whose head never ends and then
/// POSTs of 1 MiB without pause: stopped at its time limit, and `runs` says how many requests
/// the service received.
#[test]
fn lab07_a_client_that_floods_the_service() {
    if !requests_available() {
        return;
    }
    let f = flooded("lab07", "lab07_flood", 60, None);
    failed_saying(&f, &["runs"], &["did not finish in time", "requests ("]);
}

const LAB08_BROKER_CHECKS: [&str; 7] = [
    "delivers",
    "exact_topic",
    "every_subscriber",
    "unsub",
    "slow_subscriber",
    "subscriber_vanishes",
    "several_publishers",
];

/// The broker: every connection gets endless `MSG` lines of 4000 bytes. Every broker
/// check fails for the flood, in time, saying how much came; the workers' checks still pass.
#[test]
fn lab08_a_broker_that_floods_every_connection() {
    let graders = reading_checks_need_only_starts("lab08", &LAB08_BROKER_CHECKS);
    let f = flooded("lab08", "lab08_flood_broker", 150, Some(graders.path()));
    failed_saying(&f, &LAB08_BROKER_CHECKS, &["without pause", "lines ("]);
    for id in LAB08_BROKER_CHECKS {
        let hint = hint(&f.json, id);
        assert!(hint.contains("del outbuf[:sent]"), "{id}: {hint}");
    }
    assert_eq!(
        check(&f.json, "client_ready")["status"],
        "passed",
        "{}",
        f.run
    );
}

/// Three workers that each flood the ventilator with lines that are neither READY nor DONE,
/// while doing their work.
#[test]
fn lab08_workers_that_flood_the_ventilator() {
    let f = flooded("lab08", "lab08_flood_worker", 150, None);
    failed_saying(
        &f,
        &["client_results"],
        &["neither READY nor DONE", "in all"],
    );
}

const LAB09_SERVER_CHECKS: [&str; 5] = [
    "sender_receives",
    "broadcast",
    "unchanged",
    "order",
    "client_leaves",
];

/// A chat server that sends every client endless messages of 4000 bytes besides the room's:
/// every check that reads its clients fails for the flood.
#[test]
fn lab09_a_server_that_floods_every_client() {
    if !crate::lab09::websockets_available() {
        return;
    }
    let graders = reading_checks_need_only_starts("lab09", &LAB09_SERVER_CHECKS);
    let f = flooded("lab09", "lab09_flood_server", 90, Some(graders.path()));
    failed_saying(&f, &LAB09_SERVER_CHECKS, &["without pause", "messages ("]);
}

/// A chat client that sends the room endless messages of 4000 bytes besides the lines typed.
#[test]
fn lab09_a_client_that_floods_the_room() {
    if !crate::lab09::websockets_available() {
        return;
    }
    let f = flooded("lab09", "lab09_flood_client", 90, None);
    failed_saying(&f, &["client_sends"], &["without pause", "messages ("]);
    assert!(hint(&f.json, "client_sends").contains("while True"));
}

/// A client whose request never ends after the handshake, and which then sends bytes that
/// are not TLS on connection after connection: stopped at its time limit, and `connects` says
/// what the grader's server saw.
#[test]
fn lab10_a_client_that_floods_the_tls_port() {
    let f = flooded("lab10", "lab10_flood_client", 90, None);
    failed_saying(
        &f,
        &["connects"],
        &["did not finish in time", "never came", "not TLS"],
    );
}
