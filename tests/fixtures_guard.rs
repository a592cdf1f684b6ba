//! Broken variants are copies of a solution with one fault. When a solution changes, its
//! variants must be made again from it; this test notices when they have drifted apart.

use crate::util::*;

/// (variants folder, the solution they were made from, its file inside a submission)
const FAMILIES: [(&str, &str, &str); 2] = [
    (
        "tests/fixtures/lab02",
        "exercises/lab02_dns/solution",
        "labs/02_dns/dns_lookup.py",
    ),
    (
        "tests/fixtures/lab03",
        "exercises/lab03_client/solution",
        "labs/03_client/client.py",
    ),
];

/// The largest fault (a hard-coded output) replaces about fifty lines.
const MAX_CHANGED_LINES: usize = 60;

#[test]
fn broken_variants_are_still_the_solution_with_one_fault() {
    for (dir, solution, file) in FAMILIES {
        let base = std::fs::read_to_string(root().join(solution).join(file)).unwrap();
        for entry in std::fs::read_dir(root().join(dir)).unwrap().flatten() {
            let variant = std::fs::read_to_string(entry.path().join(file)).unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(
                variant.starts_with("# FAULT ("),
                "{name}: a variant starts with a `# FAULT (name): ...` line"
            );
            let body = variant.split_once('\n').map(|(_, b)| b).unwrap_or_default();
            let changed = similar::TextDiff::from_lines(base.as_str(), body)
                .iter_all_changes()
                .filter(|c| c.tag() != similar::ChangeTag::Equal)
                .count();
            assert!(
                (1..=MAX_CHANGED_LINES).contains(&changed),
                "{dir}/{name} differs from {solution} in {changed} lines: make it again from the solution"
            );
        }
    }
}
