//! `--capture FILE`: checked before any student code runs, started just before the first
//! check. A capture records the grading's own loopback, so it needs the grading's own network
//! namespace: where the network is this computer's (macOS, Windows, no namespaces,
//! `--hermetic off`, lab01's `--lan`), it is refused rather than taken from a real interface.

use std::path::{Path, PathBuf};

use super::usage;
use crate::i18n::Lang;
use crate::labs::Network;
use crate::net::capture::{Capture, Limits};

/// The capture file to write, once `path` and the grading's network allow it; the exit code
/// of a usage error otherwise. In a batch (`batch_child`) a grading that could not have its
/// own network goes on without a capture: refusing would make it the student's setup problem,
/// and the report already says the network was not isolated.
pub(super) fn plan(
    path: Option<&Path>,
    network: &Network,
    batch_child: bool,
    lang: Lang,
) -> Result<Option<PathBuf>, i32> {
    let Some(path) = path else {
        return Ok(None);
    };
    if batch_child && !network.is_isolated() {
        return Ok(None);
    }
    if !cfg!(target_os = "linux") {
        return Err(usage(lang.pick(
            "--capture는 이 운영체제에서 쓸 수 없습니다: 채점 전용 네트워크(Linux의 네트워크 네임스페이스)가 있어야 그 채점에서 오간 패킷만 기록할 수 있습니다. Linux(WSL 포함)에서 실행해 보세요",
            "--capture is not available on this system: it records a grading's own network (a Linux network namespace), so that nothing but the grading's packets is captured; try it on Linux (WSL included)",
        )));
    }
    if let Network::Shared(why) = network {
        return Err(usage(match lang {
            Lang::Ko => format!(
                "--capture는 채점 전용 네트워크에서만 쓸 수 있는데, 이번 채점은 이 컴퓨터의 네트워크를 그대로 씁니다({why}). 캡처는 이 컴퓨터의 실제 네트워크 인터페이스를 기록하지 않습니다"
            ),
            Lang::En => format!(
                "--capture needs the grading's own network, and this grading uses this computer's ({why}); a capture never records this computer's own interfaces"
            ),
        }));
    }
    if path.is_dir() {
        return Err(usage(format!(
            "--capture {}: {}",
            path.display(),
            lang.pick(
                "폴더가 아니라 파일 이름을 지정하세요 (예: run.pcapng)",
                "give a file name, not a folder (e.g. run.pcapng)"
            )
        )));
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        return Err(usage(format!(
            "--capture {}: {} {}",
            path.display(),
            lang.pick("폴더가 없습니다:", "no such folder:"),
            parent.display()
        )));
    }
    Ok(Some(path.to_path_buf()))
}

/// Starts the capture into `path` (in the grading's network namespace, which this process is
/// in). The name the report gives it is the path as the student typed it.
pub(super) fn start(path: &Path) -> Result<(Capture, String), i32> {
    match Capture::start(path, Limits::default()) {
        Ok(c) => Ok((c, path.display().to_string())),
        Err(e) => {
            eprintln!("grade: --capture {}: could not start: {e}", path.display());
            Err(super::exit::GRADER)
        }
    }
}
