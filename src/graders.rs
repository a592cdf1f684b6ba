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

    /// How the source is named in messages.
    pub fn describe(&self, lab: &str, rel: &str) -> String {
        match self {
            GraderSource::Embedded => format!("<embedded>/{lab}/{rel}"),
            GraderSource::Dir(dir) => display(&dir.join(lab).join(rel)),
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
