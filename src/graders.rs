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

fn display(p: &Path) -> String {
    p.display().to_string()
}
