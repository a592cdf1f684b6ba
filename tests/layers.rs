//! The crate's layers stay one-way. `src/lib.rs` documents them as a table ("Layers (one
//! way)"); this test reads that table and every source file, resolves each `crate::` and
//! `super::` path to the top-level module it names, and fails on a path from a module to one
//! of its own layer or above. The table is the one statement of the direction: change it there
//! (with a reason) or change the code.
//!
//! It also holds the size guide: a source file stays near 500 lines (a hard ceiling of 600
//! here), so that one concept stays one readable file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::util::root;

/// The longest a source file may grow before it must be split by concept.
const MAX_LINES: usize = 600;

/// `module -> layer`, from the table in `src/lib.rs`.
fn layers() -> BTreeMap<String, u32> {
    let lib = std::fs::read_to_string(root().join("src/lib.rs")).unwrap();
    let section = lib
        .split("//! # Layers (one way)")
        .nth(1)
        .expect("src/lib.rs has a section `# Layers (one way)`");
    let mut map = BTreeMap::new();
    for line in section.lines().take_while(|l| !l.starts_with("//! # ")) {
        let Some(row) = line.strip_prefix("//! | ") else {
            continue;
        };
        let cells: Vec<&str> = row.split(" | ").collect();
        let Ok(layer) = cells[0].trim().parse::<u32>() else {
            continue; // the header and its rule
        };
        for module in cells[1].split(',') {
            let module = module.trim().trim_matches('`');
            let old = map.insert(module.to_string(), layer);
            assert!(old.is_none(), "`{module}` is in two layers of the table");
        }
    }
    assert!(map.len() > 10, "the layer table was not found: {map:?}");
    map
}

/// The crate's top-level modules, from `pub mod` lines of `src/lib.rs`.
fn top_modules() -> BTreeSet<String> {
    let lib = std::fs::read_to_string(root().join("src/lib.rs")).unwrap();
    lib.lines()
        .filter_map(|l| l.strip_prefix("pub mod "))
        .map(|m| m.trim_end_matches(';').to_string())
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file under `src/`: `src/labs/lab09/client.rs` is `[labs, lab09,
/// client]`, `src/labs/mod.rs` is `[labs]`, `src/lib.rs` is `[]`.
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_string());
    }
    parts
}

/// The top-level modules `code` names, seen from the module at `path`: every `crate::m` and
/// every `super::...::m` that climbs to the crate root.
fn named_modules(code: &str, path: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (i, _) in code.match_indices("crate::") {
        // `netgrade::crate::` is not a thing; a `$crate::` in a macro is the crate too.
        let before = code[..i].chars().last();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        found.push(ident(&code[i + "crate::".len()..]));
    }
    let mut rest = code;
    while let Some(i) = rest.find("super::") {
        let before = rest[..i].chars().last();
        let mut tail = &rest[i..];
        rest = &rest[i + "super::".len()..];
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
            continue; // the middle of a chain already counted
        }
        let mut depth = 0;
        while let Some(t) = tail.strip_prefix("super::") {
            depth += 1;
            tail = t;
        }
        // A file's own items live in the module of its path; `super` climbs from there.
        if depth == path.len() {
            found.push(ident(tail));
        }
    }
    found.retain(|m| !m.is_empty());
    found
}

/// A line's code: doc and plain comments (which may link anywhere) left out.
fn code_of(line: &str) -> &str {
    let line = line.trim_start();
    if line.starts_with("//") {
        return "";
    }
    match line.find("//") {
        // `"http://..."` in a string is not a comment; close enough for `use` paths.
        Some(i) if !line[..i].contains('"') => &line[..i],
        _ => line,
    }
}

#[test]
fn every_module_uses_only_the_layers_below_its_own() {
    let layers = layers();
    let tops = top_modules();
    let unplaced: Vec<_> = tops.iter().filter(|m| !layers.contains_key(*m)).collect();
    assert!(
        unplaced.is_empty(),
        "modules missing from the layer table of src/lib.rs: {unplaced:?}"
    );
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut wrong = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        let path = module_path(rel);
        let Some(own) = path.first() else {
            continue; // lib.rs, main.rs: the crate root wires every module
        };
        let Some(&own_layer) = layers.get(own) else {
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            for used in named_modules(code_of(line), &path) {
                if &used == own || !tops.contains(&used) {
                    continue; // itself, or a crate-root item such as `fuzz_cases`
                }
                let layer = layers[&used];
                if layer >= own_layer {
                    wrong.push(format!(
                        "src/{}:{}: `{own}` (layer {own_layer}) uses `{used}` (layer {layer})",
                        rel.display(),
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "paths against the layers of src/lib.rs (a module may use only lower layers):\n{}",
        wrong.join("\n")
    );
}

#[test]
fn source_files_stay_readable() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let mut long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(f).unwrap().lines().count();
            (n > MAX_LINES).then(|| format!("{} ({n} lines)", f.display()))
        })
        .collect();
    long.sort();
    assert!(
        long.is_empty(),
        "split these by concept (about 500 lines at most, {MAX_LINES} at the very most):\n{}",
        long.join("\n")
    );
}

/// The resolver itself: what it counts and what it leaves alone.
#[test]
fn paths_resolve_to_the_module_they_name() {
    let client = ["labs", "lab09", "client"].map(String::from);
    assert_eq!(
        named_modules("use crate::reference::lab09::X;", &client),
        ["reference"]
    );
    // super::super from labs/lab09/client.rs is `labs`: not the root, not counted.
    assert!(named_modules("use super::super::CheckCx;", &client).is_empty());
    assert_eq!(
        named_modules("use super::super::super::report::Verdict;", &client),
        ["report"]
    );
    let model = ["report"].map(String::from);
    assert_eq!(
        named_modules("let x = super::cli::exit::GRADER;", &model),
        ["cli"]
    );
    assert_eq!(code_of("//! see [`crate::cli`]"), "");
    assert_eq!(code_of("let a = 1; // crate::cli"), "let a = 1; ");
}
