//! Broken variants are copies of a solution with one fault. When a solution changes, its
//! variants must be made again from it; this test notices when they have drifted apart.

use crate::util::*;

/// (variants folder, the solution they were made from, the files of a submission). In a lab
/// with two programs, a variant changes exactly one file and keeps the other as it is.
const FAMILIES: [(&str, &str, &[&str]); 9] = [
    (
        "tests/fixtures/lab02",
        "exercises/lab02_dns/solution",
        &["labs/02_dns/dns_lookup.py"],
    ),
    (
        "tests/fixtures/lab03",
        "exercises/lab03_client/solution",
        &["labs/03_client/client.py"],
    ),
    (
        "tests/fixtures/lab04",
        "exercises/lab04_udp_echo/solution",
        &[
            "labs/04_udp_echo/udp_server.py",
            "labs/04_udp_echo/udp_client.py",
        ],
    ),
    (
        "tests/fixtures/lab05",
        "exercises/lab05_tcp_echo/solution",
        &[
            "labs/05_tcp_echo/tcp_server.py",
            "labs/05_tcp_echo/tcp_client.py",
        ],
    ),
    (
        "tests/fixtures/lab06",
        "exercises/lab06_http_server/solution",
        &["labs/06_http_server/server.py"],
    ),
    (
        "tests/fixtures/lab07",
        "exercises/lab07_http_client/solution",
        &["labs/07_http_client/http_client.py"],
    ),
    (
        "tests/fixtures/lab08",
        "exercises/lab08_patterns/solution",
        &["labs/08_patterns/broker.py", "labs/08_patterns/worker.py"],
    ),
    (
        "tests/fixtures/lab09",
        "exercises/lab09_websocket/solution",
        &[
            "labs/09_websocket/chat_server.py",
            "labs/09_websocket/chat_client.py",
        ],
    ),
    (
        "tests/fixtures/lab10",
        "exercises/lab10_tls/solution",
        &["labs/10_tls/tls_client.py"],
    ),
];

/// The largest fault (a hard-coded output) replaces about fifty lines.
const MAX_CHANGED_LINES: usize = 60;

#[test]
fn broken_variants_are_still_the_solution_with_one_fault() {
    for (dir, solution, files) in FAMILIES {
        for entry in std::fs::read_dir(root().join(dir)).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let mut faulty = 0;
            for file in files {
                let base = std::fs::read_to_string(root().join(solution).join(file)).unwrap();
                let variant = std::fs::read_to_string(entry.path().join(file)).unwrap();
                if variant == base {
                    continue;
                }
                faulty += 1;
                assert!(
                    variant.starts_with("# FAULT ("),
                    "{name}/{file}: a changed file starts with a `# FAULT (name): ...` line"
                );
                // The header may take several comment lines.
                let body: String = variant
                    .lines()
                    .skip_while(|l| l.starts_with('#'))
                    .map(|l| format!("{l}\n"))
                    .collect();
                let changed = similar::TextDiff::from_lines(base.as_str(), body.as_str())
                    .iter_all_changes()
                    .filter(|c| c.tag() != similar::ChangeTag::Equal)
                    .count();
                assert!(
                    (1..=MAX_CHANGED_LINES).contains(&changed),
                    "{dir}/{name}/{file} differs from {solution} in {changed} lines: make it again from the solution"
                );
            }
            assert_eq!(faulty, 1, "{dir}/{name}: exactly one file has the fault");
        }
    }
}

/// The flood fixtures (issue 18) are each a lab's solution with one program flooding: the
/// flooding file says so in a `# HOSTILE (...)` header, and the lab's other program is the
/// solution's, unchanged, so that a test fails only for the flood.
#[test]
fn flood_fixtures_change_one_program_of_the_solution() {
    let hostile = root().join("tests/fixtures/hostile");
    let mut seen = 0;
    for entry in std::fs::read_dir(&hostile).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.contains("_flood") || name.starts_with("lab04") {
            continue;
        }
        let lab = &name[..5];
        let (_, solution, files) = FAMILIES
            .iter()
            .find(|(dir, _, _)| dir.ends_with(lab))
            .unwrap_or_else(|| panic!("{name}: no solution for {lab}"));
        let mut flooding = 0;
        for file in *files {
            let base = std::fs::read_to_string(root().join(solution).join(file)).unwrap();
            let fixture = std::fs::read_to_string(entry.path().join(file))
                .unwrap_or_else(|e| panic!("{name}/{file}: {e}"));
            if fixture != base {
                assert!(
                    fixture.starts_with("# HOSTILE ("),
                    "{name}/{file}: a flooding file starts with a `# HOSTILE (...)` header"
                );
                flooding += 1;
            }
        }
        assert_eq!(flooding, 1, "{name}: exactly one program floods");
        seen += 1;
    }
    assert_eq!(seen, 6, "the flood fixtures of tests/flood.rs");
}
