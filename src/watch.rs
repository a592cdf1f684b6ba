//! `grade labNN --watch`: grade, then grade again each time a file of the lab changes.
//!
//! Each grading is a child `grade labNN ...` (the same arguments without `--watch`, see
//! [`crate::subgrade`] for why a child) with the terminal as its stdout and stderr, so its
//! report looks as usual. Nothing here prints: the caller renders [`WatchEvent`]s.
//!
//! What is watched, under the submission: `labs/<dir>/` recursively and the root itself (not
//! recursively, for `grade.toml`; and `labs/` likewise, so a lab folder created or replaced
//! later is picked up). Watching the parent folders rather than the files themselves matters:
//! many editors save by writing a new file and renaming it over the old one.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use notify::event::{AccessKind, AccessMode, EventKind, MetadataKind, ModifyKind};
use notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};
use tokio::sync::mpsc;

use crate::interrupt::Interrupt;
use crate::lab::LabInfo;
use crate::subgrade::{self, RUN_DEADLINE, STOP_GRACE};

/// Editors write a file in several steps (truncate, write, rename, chmod); one grading per
/// save is what the student wants.
pub const DEBOUNCE: Duration = Duration::from_millis(300);

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("cannot watch {path} for changes: {source}")]
    Watch {
        path: String,
        #[source]
        source: notify::Error,
    },
    #[error("failed to start {exe}: {source}")]
    Spawn {
        exe: String,
        #[source]
        source: std::io::Error,
    },
}

/// What to run and watch.
#[derive(Clone, Debug)]
pub struct WatchPlan {
    /// This binary.
    pub exe: PathBuf,
    /// The arguments of every grading (the command line without `--watch`).
    pub args: Vec<OsString>,
    /// The submission root (canonical: event paths are compared against it).
    pub root: PathBuf,
    pub lab: &'static LabInfo,
}

impl WatchPlan {
    /// `labs/<dir>`, relative to the root.
    fn lab_dir(&self) -> PathBuf {
        Path::new("labs").join(self.lab.dir)
    }

    /// What the student is told is watched, relative to the root.
    pub fn watched(&self) -> Vec<String> {
        vec![
            self.lab_dir().to_string_lossy().replace('\\', "/"),
            "grade.toml".into(),
        ]
    }
}

/// What happens, for the caller to render.
#[derive(Debug)]
pub enum WatchEvent<'a> {
    /// A grading starts; `changed` is the file that caused it (relative), `None` the first time.
    RunStarting { changed: Option<&'a Path> },
    /// A grading ended and the watcher is in place: edits from now on are seen.
    Waiting { watched: &'a [String] },
}

/// How a watch ended (always by Ctrl+C or SIGTERM; the caller exits 130).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// A grading was running; it has stopped (and said so itself).
    WhileGrading,
    /// Between gradings.
    WhileWaiting,
}

/// Grades, then grades again on every change, until Ctrl+C or SIGTERM. Returns once the
/// running grading, if any, has stopped.
pub async fn run(
    plan: &WatchPlan,
    interrupt: &mut Interrupt,
    on: &mut dyn FnMut(WatchEvent<'_>),
) -> Result<Ended, WatchError> {
    let (tx, mut rx) = mpsc::unbounded_channel::<DebounceEventResult>();
    let debouncer = new_debouncer(DEBOUNCE, None, move |r: DebounceEventResult| {
        // The receiver is gone only when the watch is over.
        let _ = tx.send(r);
    })
    .map_err(|source| WatchError::Watch {
        path: plan.root.display().to_string(),
        source,
    })?;
    let mut watches = Watches {
        debouncer,
        active: BTreeSet::new(),
    };
    // In place before the first grading, so that an edit made while it runs is not missed.
    watches.ensure(plan)?;
    let watched = plan.watched();
    let mut changed: Option<PathBuf> = None;
    loop {
        on(WatchEvent::RunStarting {
            changed: changed.as_deref(),
        });
        let mut cmd = tokio::process::Command::new(&plan.exe);
        cmd.args(&plan.args).stdin(Stdio::null());
        let mut child = cmd.spawn().map_err(|source| WatchError::Spawn {
            exe: plan.exe.display().to_string(),
            source,
        })?;
        // A change during a grading queues one more grading, however many changes there were.
        let mut queued: Option<PathBuf> = None;
        let deadline = tokio::time::sleep(RUN_DEADLINE);
        tokio::pin!(deadline);
        let status = loop {
            tokio::select! {
                biased;
                () = interrupt.recv() => {
                    subgrade::stop(&mut child, STOP_GRACE).await;
                    return Ok(Ended::WhileGrading);
                }
                status = child.wait() => break status.ok(),
                Some(r) = rx.recv() => {
                    if queued.is_none() {
                        queued = first_change(plan, &r);
                    }
                }
                () = &mut deadline => {
                    // A hung grading must not stop the loop; the next change starts afresh.
                    // Its exit (130, from our SIGTERM) is not the student's Ctrl+C.
                    subgrade::stop(&mut child, STOP_GRACE).await;
                    break None;
                }
            }
        };
        // On a terminal, Ctrl+C reaches the child as well and may be seen ending first.
        if status.as_ref().is_some_and(subgrade::was_interrupted) {
            return Ok(Ended::WhileGrading);
        }
        watches.ensure(plan)?;
        on(WatchEvent::Waiting { watched: &watched });
        changed = match queued {
            Some(p) => Some(p),
            None => loop {
                tokio::select! {
                    biased;
                    () = interrupt.recv() => return Ok(Ended::WhileWaiting),
                    Some(r) = rx.recv() => {
                        if let Some(p) = first_change(plan, &r) {
                            break Some(p);
                        }
                    }
                }
            },
        };
    }
}

/// The debouncer and the folders it watches now.
struct Watches {
    debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
    active: BTreeSet<PathBuf>,
}

impl Watches {
    /// Watches every folder of the plan that exists and is not watched yet; forgets those
    /// that were removed (a watch dies with its folder), so that they are watched again once
    /// they come back.
    fn ensure(&mut self, plan: &WatchPlan) -> Result<(), WatchError> {
        let lab_dir = plan.root.join(plan.lab_dir());
        let wanted = [
            (plan.root.clone(), RecursiveMode::NonRecursive),
            (plan.root.join("labs"), RecursiveMode::NonRecursive),
            (lab_dir, RecursiveMode::Recursive),
        ];
        self.active.retain(|p| p.is_dir());
        for (path, mode) in wanted {
            if self.active.contains(&path) || !path.is_dir() {
                continue;
            }
            self.debouncer
                .watch(&path, mode)
                .map_err(|source| WatchError::Watch {
                    path: path.display().to_string(),
                    source,
                })?;
            self.active.insert(path);
        }
        Ok(())
    }
}

/// The first path in a batch of events that should start a grading, relative to the root.
/// Errors of the watcher start one too: a change may have been missed.
fn first_change(plan: &WatchPlan, batch: &DebounceEventResult) -> Option<PathBuf> {
    let events = match batch {
        Ok(events) => events,
        Err(_) => return Some(PathBuf::new()),
    };
    let lab_dir = plan.lab_dir();
    events.iter().find_map(|e| {
        if e.need_rescan() {
            return Some(PathBuf::new());
        }
        if !is_change(&e.kind) {
            return None;
        }
        e.paths
            .iter()
            .filter_map(|p| p.strip_prefix(&plan.root).ok())
            .find(|rel| is_watched(rel, &lab_dir))
            .map(Path::to_path_buf)
    })
}

/// Whether an event kind can change what a grading sees. Reads are not changes: the grading
/// itself opens the student's files, and counting that would grade forever.
fn is_change(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)) => false,
        EventKind::Any
        | EventKind::Create(_)
        | EventKind::Modify(_)
        | EventKind::Remove(_)
        | EventKind::Other => true,
    }
}

/// Whether a path (relative to the root) belongs to what is graded: `grade.toml`, or a file
/// under the lab's folder that is not Python's cache or an editor's temporary file.
fn is_watched(rel: &Path, lab_dir: &Path) -> bool {
    if rel == Path::new("grade.toml") {
        return true;
    }
    if !rel.starts_with(lab_dir) {
        return false;
    }
    if rel.components().any(|c| c.as_os_str() == "__pycache__") {
        return false;
    }
    let name = rel
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let temporary = name.ends_with(".pyc")
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with('~')
        || name.starts_with(".#")
        // Vim's probe that it may write in the folder.
        || name == "4913";
    !temporary
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::CreateKind;

    #[test]
    fn only_the_labs_files_and_grade_toml_count() {
        let lab = Path::new("labs/01_ip_port_http");
        for yes in [
            "grade.toml",
            "labs/01_ip_port_http",
            "labs/01_ip_port_http/app.py",
            "labs/01_ip_port_http/templates/index.html",
        ] {
            assert!(is_watched(Path::new(yes), lab), "{yes}");
        }
        for no in [
            "README.md",
            "labs/02_dns/dns_lookup.py",
            "labs/01_ip_port_http/__pycache__/app.cpython-312.pyc",
            "labs/01_ip_port_http/__pycache__",
            "labs/01_ip_port_http/old.pyc",
            "labs/01_ip_port_http/.app.py.swp",
            "labs/01_ip_port_http/app.py~",
            "labs/01_ip_port_http/.#app.py",
            "labs/01_ip_port_http/4913",
            "labs/01_ip_port_http_old/app.py",
        ] {
            assert!(!is_watched(Path::new(no), lab), "{no}");
        }
    }

    #[test]
    fn reading_a_file_is_not_a_change() {
        assert!(!is_change(&EventKind::Access(AccessKind::Open(
            notify::event::AccessMode::Read
        ))));
        assert!(!is_change(&EventKind::Access(AccessKind::Close(
            AccessMode::Read
        ))));
        assert!(is_change(&EventKind::Access(AccessKind::Close(
            AccessMode::Write
        ))));
        assert!(is_change(&EventKind::Create(CreateKind::File)));
        assert!(!is_change(&EventKind::Modify(ModifyKind::Metadata(
            MetadataKind::AccessTime
        ))));
    }
}
