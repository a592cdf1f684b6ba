//! `grade package KIND LAB --out DIR`: what a grading platform needs to grade one lab with
//! `grade`, written from templates built into the binary (`templates/<kind>/`), so that a
//! pip-installed `grade` writes them as well as a checkout does.
//!
//! `gradescope`: an autograder bundle (`setup.sh`, `run_autograder`, `fallback_results.py`,
//! `README.md`; `bin/grade`, `graders/LAB/` and `requirements.txt` when there are ones). How
//! the bundle works is said in its templates and in the README's "Gradescope"; this file only
//! decides what goes in and writes it.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::{exit, parse_lab, usage};
use crate::definition::LabDef;
use crate::graders::GraderSource;
use crate::i18n::Lang;
use crate::lab::LabInfo;
use crate::labs;

#[derive(Debug, Args)]
pub(super) struct PackageArgs {
    /// The platform: gradescope (an autograder bundle to zip and upload).
    #[arg(value_enum)]
    kind: Kind,
    /// The lab: lab01, 01, 1 or 01_ip_port_http.
    lab: String,
    /// The folder to write (made when missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Staff's grader definitions: the lab's folder is validated, then put in the bundle,
    /// where the submission's user cannot read it.
    #[arg(long, value_name = "DIR", env = "NETGRADE_GRADERS")]
    graders: Option<PathBuf>,
    /// Language of the reports students read (default: the locale); NETGRADE_LANG on the
    /// platform overrides it.
    #[arg(long, value_enum)]
    lang: Option<Lang>,
    /// pip requirements the students' programs may import (e.g. Flask for lab01), installed
    /// by setup.sh into an environment of their own. Default: the library the lab is about
    /// (lab07: requests, lab09: websockets), none for the others.
    #[arg(long, value_name = "FILE")]
    requirements: Option<PathBuf>,
    /// The Linux x86_64 `grade` to put in the bundle (default: this one, when it is a Linux
    /// x86_64 build).
    #[arg(long, value_name = "PATH", conflicts_with = "no_binary")]
    binary: Option<PathBuf>,
    /// Put no binary in the bundle: setup.sh installs netgrade of this version from PyPI.
    #[arg(long)]
    no_binary: bool,
    /// Replace the bundle's files when DIR already has them.
    #[arg(long)]
    force: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Kind {
    Gradescope,
}

/// `grade package KIND LAB --out DIR`.
pub(super) async fn main(args: PackageArgs) -> i32 {
    match args.kind {
        Kind::Gradescope => gradescope(args).await,
    }
}

/// The Gradescope bundle's templates, by the name each is written under, and whether it is
/// run as a program.
const GRADESCOPE: &[(&str, &str, bool)] = &[
    (
        "setup.sh",
        include_str!("../../templates/gradescope/setup.sh"),
        true,
    ),
    (
        "run_autograder",
        include_str!("../../templates/gradescope/run_autograder"),
        true,
    ),
    (
        "fallback_results.py",
        include_str!("../../templates/gradescope/fallback_results.py"),
        false,
    ),
    (
        "README.md",
        include_str!("../../templates/gradescope/README.md"),
        false,
    ),
];

/// Where the bundle's binary comes from.
enum Binary {
    Copy(PathBuf),
    /// None: setup.sh installs from PyPI; the reason is told to staff.
    Pip(String),
}

async fn gradescope(args: PackageArgs) -> i32 {
    let lang = args.lang.unwrap_or_else(Lang::detect);
    let lab = match parse_lab(&args.lab, lang) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let info = lab.info();
    if !labs::is_implemented(lab) {
        return usage(format!("{lab} cannot be graded by this version yet"));
    }
    // Everything is checked before anything is written.
    let source = match &args.graders {
        Some(dir) => {
            let source = GraderSource::Dir(dir.clone());
            if let Err(problems) = super::staff::check_lab(&source, lab).await {
                for p in problems {
                    eprintln!("grade: {p}");
                }
                return usage(format!(
                    "{}: {} cannot be graded with these definitions (`grade check-graders` says the same)",
                    dir.display(),
                    info.key
                ));
            }
            source
        }
        None => GraderSource::Embedded,
    };
    let title = match LabDef::load(&source, lab) {
        Ok(def) => def.title.get(lang).to_string(),
        Err(e) => {
            eprintln!("grade: {e}");
            return exit::GRADER;
        }
    };
    if let Some(req) = &args.requirements
        && !req.is_file()
    {
        return usage(format!("--requirements {}: no such file", req.display()));
    }
    let binary = match choose_binary(&args) {
        Ok(b) => b,
        Err(msg) => return usage(msg),
    };
    let out = &args.out;
    let ours = ["bin/grade", "graders", "requirements.txt"]
        .into_iter()
        .chain(GRADESCOPE.iter().map(|(name, ..)| *name));
    let present: Vec<&str> = ours.filter(|f| out.join(f).exists()).collect();
    if !present.is_empty() && !args.force {
        return usage(format!(
            "{} already has {}: choose an empty folder, or replace them with --force",
            out.display(),
            present.join(", ")
        ));
    }
    let written = write_gradescope(&args, info, &title, lang, &binary);
    if let Err(e) = written {
        eprintln!(
            "grade: failed to write the bundle in {}: {e}",
            out.display()
        );
        return exit::GRADER;
    }
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(
        stdout,
        "Wrote a Gradescope autograder for {} in {}.",
        info.key,
        out.display()
    );
    let _ = match &binary {
        Binary::Copy(from) => writeln!(stdout, "grade: bin/grade (from {})", from.display()),
        Binary::Pip(why) => writeln!(
            stdout,
            "grade: no binary in the bundle ({why}); setup.sh installs netgrade=={} from PyPI",
            env!("CARGO_PKG_VERSION")
        ),
    };
    let _ = writeln!(
        stdout,
        "Zip its files (not the folder): cd {} && zip -r ../{}-autograder.zip .\nThen see its README.md.",
        out.display(),
        info.key
    );
    exit::PASSED
}

/// `--binary PATH`, `--no-binary`, or this very `grade` when it is a Linux x86_64 build.
fn choose_binary(args: &PackageArgs) -> Result<Binary, String> {
    if args.no_binary {
        return Ok(Binary::Pip("--no-binary".into()));
    }
    if let Some(path) = &args.binary {
        let head = read_head(path).map_err(|e| format!("--binary {}: {e}", path.display()))?;
        if !is_linux_x86_64(&head) {
            return Err(format!(
                "--binary {}: not a Linux x86_64 program (Gradescope's machines are)",
                path.display()
            ));
        }
        return Ok(Binary::Copy(path.clone()));
    }
    if !cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        return Ok(Binary::Pip(format!(
            "this grade is built for {} {}, Gradescope's machines are Linux x86_64; --binary PATH bundles another",
            std::env::consts::OS,
            std::env::consts::ARCH
        )));
    }
    match std::env::current_exe() {
        Ok(p) => Ok(Binary::Copy(p)),
        Err(e) => Ok(Binary::Pip(format!("this program's path is unknown: {e}"))),
    }
}

fn read_head(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut head = Vec::with_capacity(20);
    std::fs::File::open(path)?.take(20).read_to_end(&mut head)?;
    Ok(head)
}

/// An ELF file of 64 bits, little-endian, for x86_64 (`e_machine` 62).
fn is_linux_x86_64(head: &[u8]) -> bool {
    head.len() >= 20 && head.starts_with(b"\x7fELF\x02\x01") && head[18..20] == [62, 0]
}

fn write_gradescope(
    args: &PackageArgs,
    info: &LabInfo,
    title: &str,
    lang: Lang,
    binary: &Binary,
) -> std::io::Result<()> {
    let out = &args.out;
    std::fs::create_dir_all(out)?;
    if args.force {
        // What an earlier bundle had and this one may not: no stale graders or binary.
        for gone in ["bin/grade", "requirements.txt"] {
            remove_if_there(std::fs::remove_file(out.join(gone)))?;
        }
        remove_if_there(std::fs::remove_dir_all(out.join("graders")))?;
    }
    let files: Vec<&str> = info.programs.iter().map(|p| p.file).collect();
    let lang_key = match lang {
        Lang::Ko => "ko",
        Lang::En => "en",
    };
    let vars = [
        ("LAB", info.key),
        ("TITLE", title),
        ("VERSION", env!("CARGO_PKG_VERSION")),
        ("LANG", lang_key),
        ("FILES", &files.join(" ")),
    ];
    for (name, template, executable) in GRADESCOPE {
        let path = out.join(name);
        std::fs::write(&path, render(template, &vars))?;
        set_mode(&path, if *executable { 0o755 } else { 0o644 })?;
    }
    if let Binary::Copy(from) = binary {
        let to = out.join("bin/grade");
        std::fs::create_dir_all(out.join("bin"))?;
        std::fs::copy(from, &to)?;
        set_mode(&to, 0o755)?;
    }
    if let Some(dir) = &args.graders {
        copy_dir(&dir.join(info.key), &out.join("graders").join(info.key))?;
    }
    if let Some(req) = &args.requirements {
        std::fs::copy(req, out.join("requirements.txt"))?;
    } else if let Some(req) = lab_requirements(info.id) {
        std::fs::write(out.join("requirements.txt"), req)?;
    }
    Ok(())
}

/// The library a lab is about, as its handout's `requirements.txt` names it: without it on
/// the platform every student's program would fail at its first `import`, whatever they wrote.
fn lab_requirements(lab: crate::lab::LabId) -> Option<&'static str> {
    use crate::lab::LabId;
    match lab {
        LabId::Lab07 => Some(include_str!(
            "../../exercises/lab07_http_client/solution/requirements.txt"
        )),
        LabId::Lab09 => Some(include_str!(
            "../../exercises/lab09_websocket/requirements.txt"
        )),
        _ => None,
    }
}

/// A removal's result, where "it was not there" is fine.
fn remove_if_there(removed: std::io::Result<()>) -> std::io::Result<()> {
    match removed {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// `{{NAME}}` replaced by its value. The templates keep LF line ends even from a checkout
/// that turned them into CRLF: a shell script with CR in it does not run.
fn render(template: &str, vars: &[(&str, &str)]) -> String {
    let mut text = template.replace("\r\n", "\n");
    for (name, value) in vars {
        text = text.replace(&format!("{{{{{name}}}}}"), value);
    }
    text
}

/// Copies the files and folders under `from` (symbolic links are followed: staff's own
/// folder) into `to`.
fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()))?;
        } else {
            std::fs::copy(&path, to.join(entry.file_name()))?;
        }
    }
    Ok(())
}

fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        // Zipped on Windows, the scripts lose their mode: setup.sh makes run_autograder
        // executable again, and Gradescope runs setup.sh with bash.
        let _ = (path, mode);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_of_every_template_is_filled() {
        let vars = [
            ("LAB", "lab01"),
            ("TITLE", "t"),
            ("VERSION", "0"),
            ("LANG", "en"),
            ("FILES", "a b"),
        ];
        for (name, template, _) in GRADESCOPE {
            let text = render(template, &vars);
            assert!(!text.contains("{{"), "{name} keeps a placeholder:\n{text}");
            assert!(!text.contains('\r'), "{name}");
        }
    }

    #[test]
    fn only_linux_x86_64_programs_are_bundled() {
        let mut elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0".to_vec();
        elf.extend([62, 0]);
        assert!(is_linux_x86_64(&elf));
        let mut arm = elf.clone();
        arm[18] = 183; // aarch64
        assert!(!is_linux_x86_64(&arm));
        assert!(!is_linux_x86_64(
            b"\xcf\xfa\xed\xfe\x07\0\0\x01 Mach-O x86_64 header"
        ));
        assert!(!is_linux_x86_64(b"#!/bin/sh\n"));
    }
}
