//! Staff's commands for their own copy of the grader files (`--graders DIR`), none of which
//! runs student code: `grade init-graders DIR` copies the built-in definitions and snapshots
//! out, `grade check-graders DIR` validates a copy, and `grade snapshot LAB` makes a lab's
//! snapshots from its Rust reference ([`crate::reference::snapshots`]), or with `--check`
//! shows how they differ from it (an insta-style diff) and fails when they are stale.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use super::{exit, usage};
use crate::definition::{LabDef, LoadError};
use crate::graders::{self, GraderFileError, GraderSource};
use crate::lab::LabId;
use crate::labs;
use crate::reference::{self, snapshots};

#[derive(Debug, Args)]
pub(super) struct SnapshotArgs {
    /// The labs (lab01, 01, 1 or 01_ip_port_http); default: every lab that has snapshots.
    labs: Vec<String>,
    /// The staff directory whose snapshots are made (its lab.toml's [reference] is used).
    /// Without it, --check compares the reference with the snapshots built into grade.
    #[arg(long, value_name = "DIR", env = "NETGRADE_GRADERS")]
    graders: Option<PathBuf>,
    /// Write nothing: show how each snapshot differs from the reference's output, and exit 1
    /// when one does (for CI).
    #[arg(long)]
    check: bool,
}

#[derive(Debug, Args)]
pub(super) struct InitArgs {
    /// Where to copy to (made when missing); then grade with `--graders DIR`.
    dir: PathBuf,
    /// The labs to copy; default: every lab.
    labs: Vec<String>,
    /// Overwrite files that are already there.
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Args)]
pub(super) struct CheckArgs {
    /// The staff directory (`DIR/labNN/lab.toml`, `DIR/labNN/snapshots/`).
    dir: PathBuf,
    /// The labs that must be there; default: every lab folder found in DIR.
    labs: Vec<String>,
}

/// The labs named, or `all` when none are.
fn labs_or(names: &[String], all: impl Fn(LabId) -> bool) -> Result<Vec<LabId>, i32> {
    if names.is_empty() {
        return Ok(LabId::all().map(|i| i.id).filter(|id| all(*id)).collect());
    }
    names
        .iter()
        .map(|n| super::parse_lab(n, crate::i18n::Lang::En))
        .collect()
}

/// `grade snapshot [LAB...] [--graders DIR] [--check]`.
pub(super) async fn snapshot(args: SnapshotArgs) -> i32 {
    let labs = match labs_or(&args.labs, |id| !snapshots::specs(id).is_empty()) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let (source, def_error) = match &args.graders {
        Some(dir) => (GraderSource::Dir(dir.clone()), exit::USAGE),
        None if args.check => (GraderSource::Embedded, exit::GRADER),
        None => {
            return usage(
                "the built-in snapshots are part of the grade binary: write a copy's with \
                 --graders DIR (`grade init-graders DIR` makes one), or compare with --check",
            );
        }
    };
    let mut out = std::io::stdout().lock();
    let mut stale = Vec::new();
    for lab in labs {
        let key = lab.info().key;
        let specs = snapshots::specs(lab);
        if specs.is_empty() {
            let _ = writeln!(
                out,
                "{key}: no snapshots (its checks compare no fixed text)"
            );
            continue;
        }
        let def = match LabDef::load(&source, lab) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("grade: {e}");
                return def_error;
            }
        };
        let made = match snapshots::make_all(lab, &def.reference).await {
            Ok(m) => m,
            Err(e) => {
                eprintln!("grade: {e}");
                return exit::GRADER;
            }
        };
        for (m, spec) in made.iter().zip(specs) {
            let rel = format!("snapshots/{}", m.file);
            let place = source.describe(key, &rel);
            let old = match source.read(key, &rel) {
                Ok(t) => Some(t),
                Err(GraderFileError::Missing { .. }) => None,
                Err(e) => {
                    eprintln!("grade: {e}");
                    return def_error;
                }
            };
            if old.as_deref() == Some(m.text.as_str()) {
                let _ = writeln!(out, "{place}: up to date");
                continue;
            }
            let state = match (&old, args.check) {
                (None, _) => "missing",
                (Some(_), true) => "stale: the reference gives something else",
                (Some(_), false) => "changed",
            };
            let _ = writeln!(out, "{place}: {state}");
            let _ = writeln!(out, "Snapshot: {key} {} ({})", m.file, spec.about);
            let _ = write!(
                out,
                "{}",
                crate::text::review_diff(old.as_deref().unwrap_or_default(), &m.text)
            );
            if args.check {
                stale.push(format!("{key} {}", m.file));
                continue;
            }
            let GraderSource::Dir(dir) = &source else {
                unreachable!("writing needs --graders, checked above");
            };
            let path = dir.join(key).join("snapshots").join(m.file);
            let written = path
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| std::fs::write(&path, &m.text));
            if let Err(e) = written {
                eprintln!("grade: failed to write {}: {e}", path.display());
                return exit::GRADER;
            }
            let _ = writeln!(out, "wrote {}", path.display());
        }
    }
    let _ = out.flush();
    if stale.is_empty() {
        return exit::PASSED;
    }
    let dir = args
        .graders
        .as_ref()
        .map(|d| format!(" --graders {}", d.display()))
        .unwrap_or_default();
    eprintln!(
        "grade: {} snapshot(s) differ from the reference ({}); review the diff above, then \
         accept with `grade snapshot LAB{dir}`",
        stale.len(),
        stale.join(", ")
    );
    exit::FAILED
}

/// `grade init-graders DIR [LAB...] [--force]`.
pub(super) fn init_graders(args: InitArgs) -> i32 {
    let labs = match labs_or(&args.labs, labs::is_implemented) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let mut plan: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    for lab in labs {
        let key = lab.info().key;
        for (rel, bytes) in graders::embedded_files(key) {
            let content = if rel == "lab.toml" {
                lab_toml_copy(lab, &String::from_utf8_lossy(bytes)).into_bytes()
            } else {
                bytes.to_vec()
            };
            plan.push((args.dir.join(key).join(&rel), content));
        }
    }
    let existing: Vec<String> = plan
        .iter()
        .filter(|(p, _)| p.exists())
        .map(|(p, _)| p.display().to_string())
        .collect();
    if !existing.is_empty() && !args.force {
        return usage(format!(
            "these files are already there (keep your changes, or pass --force to overwrite them): {}",
            existing.join(", ")
        ));
    }
    let mut out = std::io::stdout().lock();
    for (path, content) in &plan {
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(path, content));
        if let Err(e) = written {
            eprintln!("grade: failed to write {}: {e}", path.display());
            return exit::GRADER;
        }
        let _ = writeln!(out, "wrote {}", path.display());
    }
    let dir = args.dir.display();
    let _ = writeln!(
        out,
        "\nEach lab.toml says what may be changed. Then:\n  grade check-graders {dir}\n  \
         grade snapshot LAB --graders {dir}    (after changing [reference])\n  \
         grade LAB --graders {dir}"
    );
    exit::PASSED
}

/// The built-in `lab.toml` with a header that says what staff may change, and the
/// reference's texts as a `[reference]` table at the end.
pub(crate) fn lab_toml_copy(lab: LabId, builtin: &str) -> String {
    let key = lab.info().key;
    let mut s = format!(
        "# Copied by `grade init-graders` from netgrade {version}: your own {key} definition,\n\
         # read by `grade {key} --graders DIR` and checked by `grade check-graders DIR`.\n\
         #\n\
         # You may change: titles and hints (both `ko` and `en`), points, timeout_ms, budget_ms,\n\
         # `advisory = true` (worth 0 points: a warning, never a failure), `visibility`\n\
         # (\"hidden\", \"after_due_date\", \"after_published\": when a Gradescope student sees a\n\
         # check), more `needs`, and the reference's texts in [reference] at the end (then run\n\
         # `grade snapshot {key} --graders DIR`: it rewrites snapshots/ from the reference).\n\
         # You may not change: the check ids (each is code in the grader), the `hints.KEY`\n\
         # keys, or drop a prerequisite the code needs (keep it directly or through another\n\
         # check), nor edit snapshots/ by hand (`grade snapshot --check` reports it stale).\n",
        version = env!("CARGO_PKG_VERSION")
    );
    let needs: Vec<_> = labs::check_specs(lab)
        .iter()
        .filter(|c| !c.needs.is_empty())
        .collect();
    if !needs.is_empty() {
        s.push_str("# The prerequisites the code needs:\n");
        for c in needs {
            s.push_str(&format!("#   {:<22} needs {}\n", c.id, c.needs.join(", ")));
        }
    }
    s.push_str("#\n");
    s.push_str(builtin);
    let params = reference::params(lab);
    if !params.is_empty() {
        if !s.ends_with('\n') {
            s.push('\n');
        }
        s.push_str(&format!(
            "\n# The reference's texts: what `grade reference {key}` answers and what `grade snapshot`\n\
             # makes the snapshots from. Change one, then run `grade snapshot {key} --graders DIR`.\n\
             [reference]\n"
        ));
        for p in params {
            for line in wrap(p.about, 92) {
                s.push_str(&format!("# {line}\n"));
            }
            let value = toml::Value::String(p.default.to_string());
            s.push_str(&format!("{} = {value}\n", p.key));
        }
    }
    s
}

/// `text` in lines of at most `width` characters, broken between words.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let last = lines.last_mut().expect("one line at least");
        if !last.is_empty() && last.chars().count() + 1 + word.chars().count() > width {
            lines.push(word.to_string());
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    lines
}

/// `grade check-graders DIR [LAB...]`.
pub(super) async fn check_graders(args: CheckArgs) -> i32 {
    if !args.dir.is_dir() {
        return usage(format!("{} is not a directory", args.dir.display()));
    }
    let mut out = std::io::stdout().lock();
    let labs = if args.labs.is_empty() {
        match lab_folders(&args.dir, &mut out) {
            Ok(l) if l.is_empty() => {
                return usage(format!(
                    "{} has no lab folder (lab01/lab.toml, ...); `grade init-graders {}` makes a copy",
                    args.dir.display(),
                    args.dir.display()
                ));
            }
            Ok(l) => l,
            Err(e) => return usage(format!("failed to read {}: {e}", args.dir.display())),
        }
    } else {
        match labs_or(&args.labs, |_| true) {
            Ok(l) => l,
            Err(code) => return code,
        }
    };
    let source = GraderSource::Dir(args.dir.clone());
    let mut bad = 0;
    for lab in labs {
        let key = lab.info().key;
        match check_lab(&source, lab).await {
            Ok(summary) => {
                let _ = writeln!(out, "{key}  ok: {summary}");
            }
            Err(problems) => {
                bad += 1;
                for p in problems {
                    let _ = writeln!(out, "{key}  error: {p}");
                }
            }
        }
    }
    if bad > 0 {
        eprintln!(
            "grade: {bad} lab(s) of {} cannot be graded as they are",
            args.dir.display()
        );
        return exit::USAGE;
    }
    exit::PASSED
}

/// The lab folders of `dir`, in lab order; folders that are not a lab's key are named.
fn lab_folders(dir: &Path, out: &mut impl Write) -> std::io::Result<Vec<LabId>> {
    let mut found = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        if !e.file_type()?.is_dir() {
            continue;
        }
        let name = e.file_name().to_string_lossy().into_owned();
        match LabId::all().find(|i| i.key == name) {
            Some(info) => found.push(info.id),
            None if name.starts_with('.') => {}
            None => {
                let hint = LabId::parse(&name)
                    .map(|l| format!(": name it {}", l.info().key))
                    .unwrap_or_default();
                let _ = writeln!(out, "{name}  ignored: not a lab folder{hint}");
            }
        }
    }
    found.sort_by_key(|id| id.info().key);
    Ok(found)
}

/// A lab's definition and snapshots in a staff directory: a one-line summary, or every
/// problem found.
pub(super) async fn check_lab(source: &GraderSource, lab: LabId) -> Result<String, Vec<String>> {
    let key = lab.info().key;
    let def = LabDef::load(source, lab).map_err(|e| {
        vec![match e {
            LoadError::File(f) => f.to_string(),
            LoadError::Definition(d) => d.to_string(),
        }]
    })?;
    let mut problems = Vec::new();
    let made = snapshots::make_all(lab, &def.reference)
        .await
        .map_err(|e| vec![e.to_string()])?;
    for m in &made {
        let rel = format!("snapshots/{}", m.file);
        match source.read(key, &rel) {
            Ok(t) if t == m.text => {}
            Ok(_) => problems.push(format!(
                "{} differs from what the reference gives (`grade snapshot {key} --check --graders DIR` shows how; without --check it rewrites it)",
                source.describe(key, &rel)
            )),
            Err(e) => problems.push(format!(
                "{e} (`grade snapshot {key} --graders DIR` writes it)"
            )),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let points: f64 = def.checks.iter().map(|c| c.points).sum();
    let hidden = def
        .checks
        .iter()
        .filter(|c| c.visibility == crate::definition::Visibility::Hidden)
        .count();
    let mut summary = format!("{} checks, {points} points", def.checks.len());
    if hidden > 0 {
        summary.push_str(&format!(", {hidden} hidden"));
    }
    if !made.is_empty() {
        let files: Vec<&str> = made.iter().map(|m| m.file).collect();
        summary.push_str(&format!(", snapshots {}", files.join(" ")));
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every copy `init-graders` writes is valid as it is, and keeps the built-in texts.
    #[test]
    fn every_copied_definition_is_valid_and_says_what_may_change() {
        for info in LabId::all() {
            let builtin = GraderSource::Embedded.read(info.key, "lab.toml").unwrap();
            let copy = lab_toml_copy(info.id, &builtin);
            assert!(copy.contains("You may not change: the check ids"), "{copy}");
            let def = LabDef::parse(&copy, "lab.toml", info.key, labs::check_specs(info.id))
                .unwrap_or_else(|e| panic!("{}: {e}\n{copy}", info.key));
            assert_eq!(def.reference, reference::Params::defaults(info.id));
        }
        let lab06 = GraderSource::Embedded.read("lab06", "lab.toml").unwrap();
        let copy = lab_toml_copy(LabId::Lab06, &lab06);
        assert!(copy.contains("#   body "), "{copy}");
        assert!(copy.contains("[reference]\n# the body of GET /"), "{copy}");
        assert!(copy.contains("body = \"Hello, client!\""), "{copy}");
    }
}
