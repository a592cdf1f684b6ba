//! How a student's program is started. In order: a `grade.toml` at the submission root
//! (`[lab01] command = ["python3", "app.py"]`, any language), else the lab's default file run
//! by the Python interpreter from `--python`, `python3` or `python` on PATH. What the program
//! finds in its environment is decided in [`environment`].

pub mod environment;
mod python;

use python::{ask_python, which};
pub use python::{find_python, interpreter_for_many};

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::harness::{Limits, Spec};
use crate::lab::{LabInfo, Role};

/// A validated way to start the lab's program. Arguments for one invocation are appended.
#[derive(Clone, Debug)]
pub struct Launch {
    pub root: PathBuf,
    pub command: Vec<OsString>,
    /// Where the command came from, for messages: `grade.toml` or the default.
    pub origin: String,
    /// `--run-as UID:GID`: the user the program runs as (Unix, grader as root).
    pub run_as: Option<(u32, u32)>,
    /// The grading's environment (private `HOME`, the variables passed through); without one,
    /// [`Environment::bare`](environment::Environment::bare).
    pub environment: Option<Arc<environment::Environment>>,
}

#[derive(Clone, Debug, thiserror::Error)]
pub enum SetupError {
    #[error("the submission directory {0} does not exist")]
    NoSubmission(String),
    #[error(
        "expected the file {path} in the submission ({root}); run grade from your repository's root or pass --submission DIR"
    )]
    MissingFile { path: String, root: String },
    #[error("no Python interpreter found: tried {tried}; install Python 3 or pass --python PATH")]
    NoPython { tried: String },
    #[error("{file}: {message}")]
    BadGradeToml { file: String, message: String },
    #[error(
        "{file}: [{lab}] command: `{program}` was not found (neither a file in the submission nor a program on PATH); fix the command in grade.toml"
    )]
    CommandNotFound {
        file: String,
        lab: String,
        program: String,
    },
}

impl SetupError {
    /// The message in the student's language (the English one is `Display`).
    pub fn explain(&self, lang: crate::i18n::Lang) -> String {
        use crate::i18n::Lang;
        match (lang, self) {
            (Lang::En, e) => e.to_string(),
            (Lang::Ko, SetupError::NoSubmission(dir)) => {
                format!("제출 폴더가 없습니다: {dir}")
            }
            (Lang::Ko, SetupError::MissingFile { path, root }) => format!(
                "제출물({root})에서 {path} 파일을 찾을 수 없습니다. 저장소의 최상위 폴더에서 grade를 실행하거나 --submission DIR로 제출 폴더를 지정하세요"
            ),
            (Lang::Ko, SetupError::NoPython { tried }) => format!(
                "파이썬 인터프리터를 찾지 못했습니다 (찾아본 것: {tried}). Python 3을 설치하거나 --python PATH로 인터프리터를 지정하세요"
            ),
            (Lang::Ko, SetupError::BadGradeToml { file, message }) => {
                format!("{file} 파일을 읽을 수 없습니다: {message}")
            }
            (Lang::Ko, SetupError::CommandNotFound { file, lab, program }) => format!(
                "{file}: [{lab}] command의 `{program}`: 제출 폴더에 있는 파일도 아니고 PATH에 있는 프로그램도 아니어서 찾을 수 없습니다. grade.toml의 명령을 고쳐 주세요"
            ),
        }
    }
}

/// How each of a lab's programs is started. A program whose file is missing is kept as that
/// error, so a student who has written the server but not yet the client is graded on the
/// server (the client's checks fail with the message); only when every program is missing,
/// or something else is wrong (no Python, a bad `grade.toml`), is it a setup error.
#[derive(Clone, Debug)]
pub struct Programs {
    root: PathBuf,
    roles: Vec<(Role, Result<Launch, SetupError>)>,
    /// The variables the lab's table in `grade.toml` passes through (`env = [...]`).
    pass_env: Vec<String>,
}

impl Programs {
    pub fn resolve(
        root: &Path,
        lab: &LabInfo,
        python: Option<&Path>,
    ) -> Result<Programs, SetupError> {
        let roles: Vec<(Role, Result<Launch, SetupError>)> = lab
            .programs
            .iter()
            .map(|p| (p.role, Launch::resolve_role(root, lab, p.role, python)))
            .collect();
        let fatal = roles.iter().find_map(|(_, r)| match r {
            Err(SetupError::MissingFile { .. }) | Ok(_) => None,
            Err(e) => Some(e.clone()),
        });
        if let Some(e) = fatal {
            return Err(e);
        }
        let root = match roles.iter().find_map(|(_, r)| r.as_ref().ok()) {
            Some(l) => l.root.clone(),
            None => {
                let (_, first) = roles.into_iter().next().expect("a lab has a program");
                return Err(first.expect_err("every program is missing"));
            }
        };
        let pass_env = grade_toml_env(&root, lab)?;
        Ok(Programs {
            root,
            roles,
            pass_env,
        })
    }

    /// The variables `grade.toml` passes through to the lab's programs (names checked).
    pub fn pass_env(&self) -> &[String] {
        &self.pass_env
    }

    /// Every program starts with `env` (see [`environment`]).
    pub fn set_environment(&mut self, env: Arc<environment::Environment>) {
        for (_, l) in &mut self.roles {
            if let Ok(l) = l {
                l.environment = Some(env.clone());
            }
        }
    }

    /// The submission's root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// How the program playing `role` starts, or why it cannot.
    pub fn get(&self, role: Role) -> Result<&Launch, &SetupError> {
        match self.roles.iter().find(|(r, _)| *r == role) {
            Some((_, Ok(l))) => Ok(l),
            Some((_, Err(e))) => Err(e),
            None => panic!("the lab has no {} program", role.key()),
        }
    }

    /// The lab's first program (a one-program lab's only one, which `resolve` found).
    pub fn first(&self) -> Launch {
        match &self.roles[0].1 {
            Ok(l) => l.clone(),
            Err(e) => panic!("resolve returns a one-program lab only with its program: {e}"),
        }
    }

    /// `--run-as`: every program runs as this user.
    pub fn set_run_as(&mut self, ids: (u32, u32)) {
        for (_, l) in &mut self.roles {
            if let Ok(l) = l {
                l.run_as = Some(ids);
            }
        }
    }
}

/// A lab's table in `grade.toml`: `command` for a one-program lab, or a table per role
/// (`[lab05.server]`, `[lab05.client]`), each with its own `command`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LabOverride {
    command: Option<Vec<String>>,
    /// Variables of the grader's environment passed through to the lab's programs.
    env: Option<Vec<String>>,
    server: Option<RoleOverride>,
    client: Option<RoleOverride>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleOverride {
    command: Vec<String>,
}

impl Launch {
    /// How to start the lab's first program (its only one in a one-program lab).
    pub fn resolve(
        root: &Path,
        lab: &LabInfo,
        python: Option<&Path>,
    ) -> Result<Launch, SetupError> {
        Launch::resolve_role(root, lab, lab.programs[0].role, python)
    }

    /// How to start the lab's program playing `role`.
    pub fn resolve_role(
        root: &Path,
        lab: &LabInfo,
        role: Role,
        python: Option<&Path>,
    ) -> Result<Launch, SetupError> {
        if !root.is_dir() {
            return Err(SetupError::NoSubmission(root.display().to_string()));
        }
        let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let Some(program) = lab.program(role) else {
            return Err(SetupError::BadGradeToml {
                file: lab.key.to_string(),
                message: format!("{} has no {} program", lab.key, role.key()),
            });
        };
        let toml_path = root.join("grade.toml");
        if toml_path.is_file() {
            let file = toml_path.display().to_string();
            if let Some((table, command)) = grade_toml_command(&toml_path, lab, role)? {
                if command.is_empty() {
                    return Err(SetupError::BadGradeToml {
                        file,
                        message: format!("[{table}] command is empty"),
                    });
                }
                // A command that cannot start is a setup problem to fix in grade.toml, found
                // before anything runs, not a check the student's program failed.
                let exe = Path::new(&command[0]);
                let found = if exe.components().count() > 1 || exe.is_absolute() {
                    root.join(exe).is_file()
                } else {
                    root.join(exe).is_file() || which(exe.as_os_str()).is_some()
                };
                if !found {
                    return Err(SetupError::CommandNotFound {
                        file,
                        lab: table,
                        program: command[0].clone(),
                    });
                }
                return Ok(Launch {
                    command: command.iter().map(OsString::from).collect(),
                    origin: "grade.toml".into(),
                    root,
                    run_as: None,
                    environment: None,
                });
            }
        }
        if !root.join(program.file).is_file() {
            return Err(SetupError::MissingFile {
                path: program.file.to_string(),
                root: root.display().to_string(),
            });
        }
        let python = find_python(python)?;
        Ok(Launch {
            command: vec![python.into_os_string(), program.file.into()],
            origin: "default".into(),
            root,
            run_as: None,
            environment: None,
        })
    }

    /// A process spec for one run with `args` appended; its whole environment is the
    /// grading's [`environment`] plus this run's `env` (`PORT`).
    pub fn spec(&self, args: &[&str], env: Vec<(String, String)>, limits: Limits) -> Spec {
        let limits = Limits {
            run_as: self.run_as,
            ..limits
        };
        let env = match &self.environment {
            Some(e) => e.for_run(env),
            None => environment::Environment::bare().for_run(env),
        };
        let mut argv = self.command.iter();
        Spec {
            program: argv.next().expect("command is never empty").clone(),
            args: argv
                .cloned()
                .chain(args.iter().map(OsString::from))
                .collect(),
            cwd: self.root.clone(),
            env,
            limits,
            stdin: false,
        }
    }
}

/// The command `grade.toml` gives for `lab`'s `role`, with the table that gave it
/// (`lab05.server`, or `lab01` for a one-program lab's plain `command`); `None` when it gives
/// none and the lab's default file is run.
fn grade_toml_command(
    path: &Path,
    lab: &LabInfo,
    role: Role,
) -> Result<Option<(String, Vec<String>)>, SetupError> {
    let file = path.display().to_string();
    let bad = |message: String| SetupError::BadGradeToml {
        file: file.clone(),
        message,
    };
    let table = read_grade_toml(path)?;
    let Some(o) = table.get(lab.key) else {
        return Ok(None);
    };
    let key = lab.key;
    for (r, given) in [(Role::Server, &o.server), (Role::Client, &o.client)] {
        if given.is_some() && lab.program(r).is_none() {
            return Err(bad(format!(
                "[{key}.{}]: {key} has no {} program",
                r.key(),
                r.key()
            )));
        }
    }
    if o.command.is_some() && lab.programs.len() > 1 {
        let roles: Vec<String> = lab
            .programs
            .iter()
            .map(|p| format!("[{key}.{}]", p.role.key()))
            .collect();
        return Err(bad(format!(
            "[{key}] command: {key} has {} programs; give each its command in {}",
            lab.programs.len(),
            roles.join(" and ")
        )));
    }
    let by_role = match role {
        Role::Server => &o.server,
        Role::Client => &o.client,
    };
    Ok(match (by_role, &o.command) {
        (Some(r), _) => Some((format!("{key}.{}", role.key()), r.command.clone())),
        (None, Some(c)) => Some((key.to_string(), c.clone())),
        (None, None) => None,
    })
}

fn read_grade_toml(path: &Path) -> Result<BTreeMap<String, LabOverride>, SetupError> {
    let bad = |message: String| SetupError::BadGradeToml {
        file: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    toml::from_str(&text).map_err(|e| bad(e.to_string()))
}

/// The names the lab's table in `root`'s `grade.toml` passes through (`env = [...]`), each
/// checked by [`environment::check_name`]; none without the file or the key.
fn grade_toml_env(root: &Path, lab: &LabInfo) -> Result<Vec<String>, SetupError> {
    let path = root.join("grade.toml");
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let names = read_grade_toml(&path)?
        .remove(lab.key)
        .and_then(|o| o.env)
        .unwrap_or_default();
    for name in &names {
        environment::check_name(name).map_err(|message| SetupError::BadGradeToml {
            file: path.display().to_string(),
            message: format!("[{}] env: {message}", lab.key),
        })?;
    }
    Ok(names)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::lab::LabId;
    use python::is_python3;

    fn repo(grade_toml: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("grade.toml"), grade_toml).unwrap();
        std::fs::write(dir.path().join("srv"), "").unwrap();
        std::fs::write(dir.path().join("cli"), "").unwrap();
        dir
    }

    /// A version manager's shim (a shell script that starts the real interpreter) is looked
    /// through: many gradings get the interpreter itself, not one script start each.
    #[test]
    fn many_gradings_get_the_interpreter_behind_a_shim() {
        let Ok(real) = find_python(None) else {
            eprintln!("no python3 here: nothing to look through");
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let shim = dir.path().join("python3");
        std::fs::write(&shim, format!("#!/bin/sh\nexec {:?} \"$@\"\n", real)).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&shim, std::fs::Permissions::from_mode(0o755)).unwrap();
        let found = interpreter_for_many(Some(&shim)).unwrap();
        assert_ne!(found, shim);
        assert!(found.is_absolute() && found.is_file(), "{found:?}");
        // Nothing found: nothing to pass on.
        assert_eq!(interpreter_for_many(Some(&dir.path().join("none"))), None);
    }

    #[test]
    fn each_role_has_its_own_command() {
        let dir = repo(
            "[lab05.server]\ncommand = [\"./srv\"]\n[lab05.client]\ncommand = [\"./cli\", \"-v\"]\n",
        );
        let s = Launch::resolve_role(dir.path(), LabId::Lab05.info(), Role::Server, None).unwrap();
        assert_eq!(s.command, ["./srv"]);
        let c = Launch::resolve_role(dir.path(), LabId::Lab05.info(), Role::Client, None).unwrap();
        assert_eq!(c.command, ["./cli", "-v"]);
        assert_eq!(c.origin, "grade.toml");
    }

    #[test]
    fn one_command_for_a_two_program_lab_is_refused_naming_the_tables() {
        let dir = repo("[lab05]\ncommand = [\"./srv\"]\n");
        let e =
            Launch::resolve_role(dir.path(), LabId::Lab05.info(), Role::Server, None).unwrap_err();
        assert!(
            e.to_string().contains("[lab05.server] and [lab05.client]"),
            "{e}"
        );
    }

    #[test]
    fn a_one_program_lab_takes_either_form_but_no_other_role() {
        let lab01 = LabId::Lab01.info();
        let dir = repo("[lab01.server]\ncommand = [\"./srv\"]\n");
        assert_eq!(
            Launch::resolve(dir.path(), lab01, None).unwrap().command,
            ["./srv"]
        );
        let dir = repo("[lab01]\ncommand = [\"./srv\"]\n");
        assert_eq!(
            Launch::resolve(dir.path(), lab01, None).unwrap().command,
            ["./srv"]
        );
        let dir = repo("[lab01.client]\ncommand = [\"./cli\"]\n");
        let e = Launch::resolve(dir.path(), lab01, None).unwrap_err();
        assert!(e.to_string().contains("lab01 has no client program"), "{e}");
    }

    #[test]
    fn grade_toml_env_names_are_read_per_lab_and_checked() {
        let dir = repo(
            "[lab05]\nenv = [\"X_SECRET\"]\n[lab05.server]\ncommand = [\"./srv\"]\n[lab05.client]\ncommand = [\"./cli\"]\n",
        );
        let p = Programs::resolve(dir.path(), LabId::Lab05.info(), None).unwrap();
        assert_eq!(p.pass_env(), ["X_SECRET"]);
        // Another lab's table passes nothing.
        let dir = repo("[lab05]\nenv = [\"X_SECRET\"]\n[lab01]\ncommand = [\"./srv\"]\n");
        let p = Programs::resolve(dir.path(), LabId::Lab01.info(), None).unwrap();
        assert!(p.pass_env().is_empty());
        for (toml, says) in [
            (
                "[lab01]\ncommand = [\"./srv\"]\nenv = [\"HOME\"]\n",
                "[lab01] env: `HOME` is set by grade itself",
            ),
            (
                "[lab01]\ncommand = [\"./srv\"]\nenv = [\"A-B\"]\n",
                "not an environment variable name",
            ),
            (
                "[lab01.server]\ncommand = [\"./srv\"]\nenv = [\"X\"]\n",
                "unknown field `env`",
            ),
        ] {
            let dir = repo(toml);
            let e = Programs::resolve(dir.path(), LabId::Lab01.info(), None).unwrap_err();
            assert!(e.to_string().contains(says), "{toml}: {e}");
        }
    }

    /// Nothing of the grader's environment reaches a spec beyond the allow-list, whether or not
    /// the launch was given a prepared environment.
    #[test]
    fn a_spec_carries_only_the_allowed_environment() {
        let dir = repo("[lab01]\ncommand = [\"./srv\"]\n");
        let mut p = Programs::resolve(dir.path(), LabId::Lab01.info(), None).unwrap();
        let bare = p
            .first()
            .spec(&[], vec![("PORT".into(), "1".into())], Limits::default());
        let env = Arc::new(environment::Environment::prepare(&[], None, None).unwrap());
        p.set_environment(env.clone());
        let prepared = p.first().spec(&[], vec![], Limits::default());
        for spec in [&bare, &prepared] {
            for (k, _) in &spec.env {
                assert!(
                    environment::PASSED.contains(&k.as_str())
                        || environment::SET_BY_GRADER.contains(&k.as_str()),
                    "{k} passed"
                );
            }
        }
        assert!(bare.env.iter().any(|(k, v)| k == "PORT" && v == "1"));
        let home = &env.private().unwrap().home;
        assert!(
            prepared
                .env
                .iter()
                .any(|(k, v)| k == "HOME" && v == home.as_os_str())
        );
    }

    #[test]
    fn a_fake_or_old_python_is_not_taken_for_python3() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        for (name, body) in [
            ("stub", "echo 'Python was not found'; exit 9009"),
            ("py2", "echo 2"),
        ] {
            let p = dir.path().join(name);
            std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
            assert!(!is_python3(&p), "{name}");
        }
        assert!(!is_python3(Path::new("/nonexistent/python")));
    }
}
