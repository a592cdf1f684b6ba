//! Which Python runs a student's program: `--python`, else `python3` or `python` on PATH
//! (on Windows also `py`), and for many gradings at once the real interpreter behind a
//! version manager's shim.

use std::path::{Path, PathBuf};

use super::SetupError;

/// `--python PATH`, else the first of `python3`, `python` (and `py` on Windows) on PATH that
/// really is a Python 3: a Windows Store stub or a Python 2 `python` is passed over, so the
/// student reads "no Python found" rather than a confusing failure of their program.
/// (`python3` on Unix is not run to check: it is Python 3 by name, and starting an interpreter
/// costs as much as the rest of a lab01 run.)
pub fn find_python(explicit: Option<&Path>) -> Result<PathBuf, SetupError> {
    if let Some(p) = explicit {
        // A relative path (`--python .venv/bin/python`) is the student's, from where they typed
        // it; the program runs in the submission's folder, so make it absolute first (without
        // resolving symlinks: a venv's python must stay the venv's).
        let found = if p.is_file() {
            Some(std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()))
        } else {
            which(p.as_os_str())
        };
        return found.ok_or_else(|| SetupError::NoPython {
            tried: p.display().to_string(),
        });
    }
    let names: &[&str] = if cfg!(windows) {
        &["python3", "python", "py"]
    } else {
        &["python3", "python"]
    };
    for name in names {
        if let Some(found) = which(name.as_ref())
            && ((cfg!(unix) && *name == "python3") || is_python3(&found))
        {
            return Ok(found);
        }
    }
    Err(SetupError::NoPython {
        tried: names.join(", "),
    })
}

/// The interpreter to hand to many gradings at once (`grade batch`, the overview's labs):
/// [`find_python`], then the real executable behind it as Python itself names it
/// (`sys.executable`). A version manager's `python3` is often a shell script (pyenv's shim
/// costs about 0.1 s per start, as much as a whole lab01 grading); asked once here, every
/// grading starts the interpreter directly, and the whole class gets the same one. A venv's
/// `python` stays the venv's (its `sys.executable` is the venv's path). `None` when no
/// Python is found: each grading then reports that itself, as a single run does.
pub fn interpreter_for_many(explicit: Option<&Path>) -> Option<PathBuf> {
    let found = find_python(explicit).ok()?;
    let real = ask_python(&found, &["-c", "import sys; print(sys.executable)"])
        .map(|out| PathBuf::from(out.trim()))
        .filter(|p| p.is_absolute() && p.is_file());
    Some(real.unwrap_or(found))
}

/// Runs `python -c ...` with a deadline: does it answer as a Python 3?
pub(super) fn is_python3(python: &Path) -> bool {
    ask_python(python, &["-c", "import sys; print(sys.version_info[0])"])
        .is_some_and(|out| out.trim() == "3")
}

/// What `python args...` prints when it succeeds within 10 s. A grader-side question about
/// the interpreter (no student code): it runs with the grader's environment.
pub(super) fn ask_python(python: &Path, args: &[&str]) -> Option<String> {
    let mut child = std::process::Command::new(python)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => {
                let mut out = String::new();
                if let Some(mut so) = child.stdout.take() {
                    let _ = std::io::Read::read_to_string(&mut so, &mut out);
                }
                return Some(out);
            }
            Ok(Some(_)) | Err(_) => return None,
            Ok(None) if std::time::Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(5)),
        }
    }
}

pub(super) fn which(name: &std::ffi::OsStr) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let exts: Vec<&str> = if cfg!(windows) {
        vec![".exe", ""]
    } else {
        vec![""]
    };
    for dir in std::env::split_paths(&path) {
        for ext in &exts {
            let mut file = name.to_os_string();
            file.push(ext);
            let candidate = dir.join(&file);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}
