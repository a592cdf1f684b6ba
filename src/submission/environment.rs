//! What a student's program finds in its environment, decided here and nowhere else.
//!
//! Nothing is inherited: [`Supervised::spawn`](crate::harness::Supervised::spawn) clears the
//! environment of every process it starts and sets exactly the variables of its
//! [`Spec`](crate::harness::Spec), and [`Launch::spec`](super::Launch::spec) (the one way
//! a student's server, client or one-shot program is started, restarts included) takes them
//! from an [`Environment`]. So the grader's secrets (a CI token, cloud keys, staff's own
//! settings) never reach a submission unless staff (`--pass-env NAME`) or the lab's table in
//! `grade.toml` (`env = ["NAME"]`) name them.
//!
//! A student's program sees:
//!
//! - `PATH`, the locale (`LANG`, `LANGUAGE`, `LC_*`), `TERM`, `TZ`, `VIRTUAL_ENV` and
//!   `CONDA_PREFIX`, each when the grader has it ([`PASSED`]); on Windows also what Python and
//!   Winsock need to start ([`PASSED_WINDOWS`]);
//! - `HOME` and `TMPDIR` (on Windows also `USERPROFILE`, `TEMP`, `TMP`, `APPDATA` and
//!   `LOCALAPPDATA`) in a private directory made for this grading, owned by the `--run-as`
//!   user when there is one, and removed at teardown (Ctrl+C included);
//! - `PYTHONUSERBASE`: the invoking user's real user base, so packages installed with
//!   `pip install --user` stay importable although `HOME` moved (see [`user_base`]);
//! - the grader's Python settings ([`PYTHON_SETTINGS`]) and, per run, `PORT`;
//! - the names staff or `grade.toml` pass through, when the grader has them.
//!
//! The grader's own processes (child `grade` runs, `grade reference`) are not student code and
//! keep the grader's environment.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

/// Passed from the grader's environment, when it has them, on every system.
pub const PASSED: &[&str] = &[
    // Where programs are found: the interpreter a `grade.toml` command names (`python3`), and
    // whatever the student's program itself starts.
    "PATH",
    // The locale: Python picks its encodings and messages from it, and a program that prints
    // dates or Korean text the way the student's terminal does needs the same one.
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "LC_COLLATE",
    "LC_MESSAGES",
    "LC_MONETARY",
    "LC_NUMERIC",
    "LC_TIME",
    "LC_ADDRESS",
    "LC_IDENTIFICATION",
    "LC_MEASUREMENT",
    "LC_NAME",
    "LC_PAPER",
    "LC_TELEPHONE",
    // The terminal type and the time zone: `time.localtime()` agrees with the student's clock.
    "TERM",
    "TZ",
    // The active virtual environment: students run `grade` from an activated venv (or conda
    // environment). The interpreter finds its environment by itself (`pyvenv.cfg`, its own
    // prefix), but tools a program starts read these to find it.
    "VIRTUAL_ENV",
    "CONDA_PREFIX",
];

/// Windows only: what Python needs to start and to open sockets.
pub const PASSED_WINDOWS: &[&str] = &[
    // Without SYSTEMROOT, Winsock cannot load its providers and `socket.socket()` fails with
    // WinError 10106; the C runtime and `os.path` find the system through these three.
    "SYSTEMROOT",
    "SYSTEMDRIVE",
    "WINDIR",
    // `subprocess(..., shell=True)` and `os.system` start %COMSPEC%.
    "COMSPEC",
    // `shutil.which` and the shell find programs by these extensions.
    "PATHEXT",
    // `getpass.getuser()` has no other source on Windows (Unix asks the password database).
    "USERNAME",
];

/// Set by the grader on every program it starts. Python writes to a pipe in blocks unless
/// told otherwise: students expect their `print()` to show up at once, and the grader reads
/// it live. Korean text on a Windows console code page would otherwise fail to encode. And
/// no `__pycache__` folders are left in the student's repository.
pub const PYTHON_SETTINGS: &[(&str, &str)] = &[
    ("PYTHONUNBUFFERED", "1"),
    ("PYTHONIOENCODING", "utf-8"),
    ("PYTHONUTF8", "1"),
    ("PYTHONDONTWRITEBYTECODE", "1"),
];

/// Names the grader sets itself (on some system), so neither `--pass-env` nor `grade.toml`
/// may name them: passing the grader's `HOME` would undo the private one.
pub const SET_BY_GRADER: &[&str] = &[
    "PORT",
    "HOME",
    "TMPDIR",
    "TEMP",
    "TMP",
    "USERPROFILE",
    "APPDATA",
    "LOCALAPPDATA",
    "PYTHONUSERBASE",
    "PYTHONUNBUFFERED",
    "PYTHONIOENCODING",
    "PYTHONUTF8",
    "PYTHONDONTWRITEBYTECODE",
];

/// Whose conventions apply: a parameter, so that the unit tests cover every system.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Os {
    /// Linux and the other Unixes.
    Unix,
    MacOs,
    Windows,
}

impl Os {
    pub fn current() -> Os {
        if cfg!(windows) {
            Os::Windows
        } else if cfg!(target_os = "macos") {
            Os::MacOs
        } else {
            Os::Unix
        }
    }

    fn separator(self) -> char {
        match self {
            Os::Windows => '\\',
            Os::Unix | Os::MacOs => '/',
        }
    }
}

/// Checks a name given to `--pass-env` or `grade.toml`'s `env`: letters, digits and `_`, not
/// starting with a digit (a name every shell and system accepts), and not one the grader sets.
pub fn check_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let well_formed = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !well_formed {
        return Err(format!(
            "`{name}` is not an environment variable name (letters, digits and _, not starting with a digit)"
        ));
    }
    if SET_BY_GRADER.iter().any(|g| g.eq_ignore_ascii_case(name)) {
        return Err(format!(
            "`{name}` is set by grade itself and cannot be passed through"
        ));
    }
    Ok(())
}

/// The private `HOME` and temporary directory of one grading.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrivatePaths {
    pub home: PathBuf,
    pub tmp: PathBuf,
}

/// The environment of a grading's student programs; [`Environment::for_run`] adds one run's
/// own variables (`PORT`).
#[derive(Debug)]
pub struct Environment {
    vars: Vec<(String, OsString)>,
    private: Option<PrivateDir>,
}

impl Environment {
    /// Makes the private directory (owned by `run_as` when given) and the variables from the
    /// grader's environment, passing `pass` through as well. `python` is `--python`: on macOS
    /// the user base is asked of the interpreter (see [`user_base`]).
    pub fn prepare(
        pass: &[String],
        run_as: Option<(u32, u32)>,
        python: Option<&Path>,
    ) -> io::Result<Environment> {
        let os = Os::current();
        let private = PrivateDir::create(os, run_as)?;
        let get = |name: &str| std::env::var_os(name);
        let base = user_base(os, &get, || ask_user_base(python));
        let vars = build(os, &get, pass, Some(&private.paths), base);
        Ok(Environment {
            vars,
            private: Some(private),
        })
    }

    /// Without a private directory (`HOME` and `TMPDIR` unset): for a [`Launch`](super::Launch)
    /// that was never given a prepared environment. Still nothing of the grader's passes
    /// beyond the lists above.
    pub fn bare() -> Environment {
        let os = Os::current();
        let get = |name: &str| std::env::var_os(name);
        let base = user_base(os, &get, || None);
        Environment {
            vars: build(os, &get, &[], None, base),
            private: None,
        }
    }

    /// Every variable, in the order they are set.
    pub fn vars(&self) -> &[(String, OsString)] {
        &self.vars
    }

    /// The private home and temporary directory, when there is one.
    pub fn private(&self) -> Option<&PrivatePaths> {
        self.private.as_ref().map(|p| &p.paths)
    }

    /// The variables of one run: these, then `extra` (which the grader chose: `PORT`).
    pub fn for_run(&self, extra: Vec<(String, String)>) -> Vec<(String, OsString)> {
        let mut vars = self.vars.clone();
        for (k, v) in extra {
            set(&mut vars, &k, v.into());
        }
        vars
    }

    /// Removes the private directory, reporting what could not be removed (dropping the
    /// environment removes it too, silently).
    pub fn remove(mut self) -> io::Result<()> {
        match self.private.take() {
            Some(p) => p.remove(),
            None => Ok(()),
        }
    }
}

/// Sets `name` in `vars`, replacing an earlier value.
fn set(vars: &mut Vec<(String, OsString)>, name: &str, value: OsString) {
    vars.retain(|(k, _)| k != name);
    vars.push((name.to_string(), value));
}

/// `base` + separator + `parts`, by `os`'s rules (built by hand so that the tests can build
/// Windows paths on Linux).
fn join(os: Os, base: &OsString, parts: &[&str]) -> OsString {
    let sep = os.separator();
    let mut s = base.clone();
    for part in parts {
        let ends = s.to_string_lossy().ends_with(['/', '\\']);
        if !ends {
            s.push(sep.to_string());
        }
        s.push(part);
    }
    s
}

/// The variables, from `get` (the grader's environment), in order: passed through, named by
/// staff or `grade.toml` (`pass`), private directories, user base, Python settings.
pub fn build(
    os: Os,
    get: &dyn Fn(&str) -> Option<OsString>,
    pass: &[String],
    private: Option<&PrivatePaths>,
    user_base: Option<OsString>,
) -> Vec<(String, OsString)> {
    let mut vars = Vec::new();
    let windows: &[&str] = if os == Os::Windows {
        PASSED_WINDOWS
    } else {
        &[]
    };
    let names = PASSED
        .iter()
        .chain(windows)
        .copied()
        .chain(pass.iter().map(String::as_str));
    for name in names {
        if let Some(v) = get(name) {
            set(&mut vars, name, v);
        }
    }
    if let Some(p) = private {
        let home = OsString::from(p.home.as_os_str());
        let tmp = OsString::from(p.tmp.as_os_str());
        // Where a program (and every library it uses) keeps its dotfiles and caches: private,
        // so it neither reads the invoking user's files through `~` nor leaves any there.
        set(&mut vars, "HOME", home.clone());
        // Where `tempfile` and the system put temporary files (Python reads TMPDIR first on
        // every system), removed with the rest at teardown.
        set(&mut vars, "TMPDIR", tmp.clone());
        if os == Os::Windows {
            // Windows' own names for the same places: `os.path.expanduser` reads USERPROFILE,
            // the system TEMP and TMP, and programs keep their settings under APPDATA.
            set(&mut vars, "USERPROFILE", home.clone());
            set(&mut vars, "TEMP", tmp.clone());
            set(&mut vars, "TMP", tmp);
            set(&mut vars, "APPDATA", join(os, &home, &APPDATA));
            set(&mut vars, "LOCALAPPDATA", join(os, &home, &LOCALAPPDATA));
        }
    }
    if let Some(base) = user_base {
        // `pip install --user` packages stay importable although HOME moved.
        set(&mut vars, "PYTHONUSERBASE", base);
    }
    for (k, v) in PYTHON_SETTINGS {
        set(&mut vars, k, (*v).into());
    }
    vars
}

/// The private home's APPDATA and LOCALAPPDATA (Windows), as Windows lays them out.
const APPDATA: [&str; 2] = ["AppData", "Roaming"];
const LOCALAPPDATA: [&str; 2] = ["AppData", "Local"];

/// The invoking user's Python user base, where `pip install --user` puts packages, computed
/// the way `site.getuserbase()` does with the grader's (real) `HOME`:
///
/// - `PYTHONUSERBASE` when the grader has it (not empty);
/// - Windows: `%APPDATA%\Python`;
/// - macOS: asked of the interpreter (`ask`), because a framework build (python.org,
///   Homebrew) uses `~/Library/Python/X.Y`, whose version only the interpreter knows;
///   `~/.local` (a non-framework build's) when it cannot say;
/// - Linux and other Unixes: `~/.local`.
///
/// `None` (nothing set) when there is no home to derive it from. In a venv the user site is
/// off anyway, and the setting is harmless.
pub fn user_base(
    os: Os,
    get: &dyn Fn(&str) -> Option<OsString>,
    ask: impl FnOnce() -> Option<OsString>,
) -> Option<OsString> {
    let non_empty = |name: &str| get(name).filter(|v| !v.is_empty());
    if let Some(v) = non_empty("PYTHONUSERBASE") {
        return Some(v);
    }
    match os {
        Os::Windows => non_empty("APPDATA").map(|a| join(os, &a, &["Python"])),
        Os::MacOs => ask().or_else(|| non_empty("HOME").map(|h| join(os, &h, &[".local"]))),
        Os::Unix => non_empty("HOME").map(|h| join(os, &h, &[".local"])),
    }
}

/// macOS: `site.getuserbase()` as the interpreter (`--python`, else the one `grade` would
/// find) answers it, with the grader's environment. Elsewhere nothing is asked.
///
/// Starting an interpreter costs as much as a lab01 grading's own overhead, so it is asked
/// only when the answer is not plain from the disk: no `~/Library/Python` means no framework
/// user site (the default `~/.local` stands), and a single `~/Library/Python/X.Y` is the one.
fn ask_user_base(python: Option<&Path>) -> Option<OsString> {
    if Os::current() != Os::MacOs {
        return None;
    }
    let home = std::env::var_os("HOME")?;
    let versions: Vec<std::path::PathBuf> =
        std::fs::read_dir(Path::new(&home).join("Library/Python"))
            .ok()?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
    if let [only] = versions.as_slice() {
        return Some(only.clone().into_os_string());
    }
    let python = super::find_python(python).ok()?;
    // -I: the current directory (perhaps the submission) is not on sys.path.
    let answer = super::ask_python(
        &python,
        &["-I", "-c", "import site; print(site.getuserbase())"],
    )?;
    let base = answer.trim_end_matches(['\r', '\n']);
    (!base.is_empty()).then(|| base.into())
}

/// The private directory of one grading: `home/` and `tmp/` under a fresh temporary
/// directory, removed when dropped.
#[derive(Debug)]
struct PrivateDir {
    dir: tempfile::TempDir,
    paths: PrivatePaths,
}

impl PrivateDir {
    fn create(os: Os, run_as: Option<(u32, u32)>) -> io::Result<PrivateDir> {
        // Mode 0700 on Unix (tempfile's default): other users cannot look in.
        let dir = tempfile::Builder::new()
            .prefix("netgrade-home-")
            .tempdir()?;
        let paths = PrivatePaths {
            home: dir.path().join("home"),
            tmp: dir.path().join("tmp"),
        };
        std::fs::create_dir(&paths.home)?;
        std::fs::create_dir(&paths.tmp)?;
        if os == Os::Windows {
            for sub in [&APPDATA, &LOCALAPPDATA] {
                std::fs::create_dir_all(sub.iter().fold(paths.home.clone(), |p, s| p.join(s)))?;
            }
        }
        #[cfg(unix)]
        if let Some((uid, gid)) = run_as {
            // The program runs as that user: the directories must be its own to write in.
            for p in [dir.path(), &paths.home, &paths.tmp] {
                std::os::unix::fs::chown(p, Some(uid), Some(gid))?;
            }
        }
        #[cfg(not(unix))]
        let _ = run_as;
        Ok(PrivateDir { dir, paths })
    }

    fn remove(self) -> io::Result<()> {
        remove_tree(self.dir.path())
        // `self.dir` is dropped next: its own removal finds nothing left.
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        // On every path that skipped `remove` (a panic, an early return); a no-op after it.
        let _ = remove_tree(self.dir.path());
    }
}

/// Removes `dir` and everything in it, even what the student's program made unwritable: a
/// directory with mode 000 cannot be emptied by its owner until its mode is restored.
/// Called once every process of the submission is gone, so nothing moves underneath.
fn remove_tree(dir: &Path) -> io::Result<()> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => return Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(_) => {}
    }
    #[cfg(unix)]
    restore_modes(dir);
    std::fs::remove_dir_all(dir)
}

/// Gives the owner full access to `dir` and every directory under it (symbolic links are
/// left alone, never followed).
#[cfg(unix)]
fn restore_modes(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            restore_modes(&e.path());
        }
    }
}

#[cfg(test)]
mod tests;
