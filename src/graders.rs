//! Where a lab's grader files come from: embedded in the binary (so `grade` works from any
//! directory), or a directory given with `--graders DIR` (staff's own copy, with hidden checks).
//! Both have the same layout: `<lab>/lab.toml` and `<lab>/snapshots/*`.

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/graders");

#[derive(Clone, Debug)]
pub enum GraderSource {
    Embedded,
    Dir(PathBuf),
    /// A directory's files for one lab, read before the directory was hidden from the
    /// submission (batch grading): `<lab>/<rel>` to its text, and the directory for messages.
    Memory(PathBuf, std::collections::BTreeMap<String, String>),
}

#[derive(Debug, thiserror::Error)]
pub enum GraderFileError {
    #[error("grader file {path} not found")]
    Missing { path: String },
    #[error("failed to read grader file {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl GraderSource {
    /// Reads `<lab>/<rel>` as UTF-8 text.
    pub fn read(&self, lab: &str, rel: &str) -> Result<String, GraderFileError> {
        let joined = format!("{lab}/{rel}");
        match self {
            GraderSource::Embedded => EMBEDDED
                .get_file(&joined)
                .and_then(|f| f.contents_utf8())
                .map(str::to_string)
                .ok_or(GraderFileError::Missing {
                    path: format!("<embedded>/{joined}"),
                }),
            GraderSource::Memory(dir, files) => {
                files
                    .get(&joined)
                    .cloned()
                    .ok_or_else(|| GraderFileError::Missing {
                        path: display(&dir.join(lab).join(rel)),
                    })
            }
            GraderSource::Dir(dir) => {
                let path = dir.join(lab).join(rel);
                std::fs::read_to_string(&path).map_err(|source| {
                    let path = path.display().to_string();
                    if source.kind() == std::io::ErrorKind::NotFound {
                        GraderFileError::Missing { path }
                    } else {
                        GraderFileError::Io { path, source }
                    }
                })
            }
        }
    }

    /// A directory source with every file of `lab` read into memory, so that the directory can
    /// be hidden from the student's program before it starts; other sources as they are.
    pub fn preloaded(self, lab: &str) -> std::io::Result<GraderSource> {
        let GraderSource::Dir(dir) = self else {
            return Ok(self);
        };
        let mut files = std::collections::BTreeMap::new();
        let mut todo = vec![dir.join(lab)];
        while let Some(d) = todo.pop() {
            for entry in std::fs::read_dir(&d)? {
                let path = entry?.path();
                if path.is_dir() {
                    todo.push(path);
                } else if let Ok(text) = std::fs::read_to_string(&path)
                    && let Ok(rel) = path.strip_prefix(&dir)
                {
                    let key = rel.to_string_lossy().replace('\\', "/");
                    files.insert(key, text);
                }
            }
        }
        Ok(GraderSource::Memory(dir, files))
    }

    /// How the source is named in messages.
    pub fn describe(&self, lab: &str, rel: &str) -> String {
        match self {
            GraderSource::Embedded => format!("<embedded>/{lab}/{rel}"),
            GraderSource::Dir(dir) | GraderSource::Memory(dir, _) => {
                display(&dir.join(lab).join(rel))
            }
        }
    }
}

/// The embedded files of `lab` (`lab.toml`, `snapshots/...`): each path relative to the lab's
/// folder, with its bytes, in path order. `grade init-graders` copies them out.
pub fn embedded_files(lab: &str) -> Vec<(String, &'static [u8])> {
    fn walk(dir: &'static Dir<'static>, out: &mut Vec<&'static include_dir::File<'static>>) {
        out.extend(dir.files());
        for d in dir.dirs() {
            walk(d, out);
        }
    }
    let mut files = Vec::new();
    if let Some(dir) = EMBEDDED.get_dir(lab) {
        walk(dir, &mut files);
    }
    let mut out: Vec<(String, &'static [u8])> = files
        .into_iter()
        .filter_map(|f| {
            let rel = f.path().strip_prefix(lab).ok()?;
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            Some((rel, f.contents()))
        })
        .collect();
    out.sort();
    out
}

fn display(p: &Path) -> String {
    p.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_files_are_listed_relative_to_the_lab() {
        let files: Vec<String> = embedded_files("lab01").into_iter().map(|f| f.0).collect();
        assert_eq!(files, ["lab.toml", "snapshots/body.txt"]);
        assert!(embedded_files("lab99").is_empty());
    }
}
