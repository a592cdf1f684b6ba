//! What `grade labNN --watch` shows between gradings (each grading prints its own report).

use std::io::{self, Write};
use std::path::Path;

use anstyle::Style;

use crate::i18n::Lang;

/// Clears a terminal and moves the cursor home, so each grading starts on a clean screen.
pub const CLEAR_SCREEN: &str = "\x1b[2J\x1b[H";

pub struct WatchReporter {
    pub lang: Lang,
    pub color: bool,
    /// Whether stdout is a terminal, where the screen is cleared before each new grading.
    pub terminal: bool,
}

impl WatchReporter {
    /// Before a grading; `changed` is the file that caused it, `None` for the first.
    pub fn run_starting(&self, changed: Option<&Path>, out: &mut dyn Write) -> io::Result<()> {
        let Some(changed) = changed else {
            return Ok(());
        };
        if self.terminal {
            write!(out, "{CLEAR_SCREEN}")?;
        }
        // An empty path: the watcher lost track (a rescan), so no file can be named.
        if changed.as_os_str().is_empty() {
            return writeln!(
                out,
                "{}",
                self.lang.pick(
                    "파일이 바뀌어 다시 채점합니다",
                    "Files changed: grading again"
                )
            );
        }
        let path = changed.display().to_string().replace('\\', "/");
        match self.lang {
            Lang::Ko => writeln!(out, "{path} 파일이 바뀌어 다시 채점합니다"),
            Lang::En => writeln!(out, "{path} changed: grading again"),
        }
    }

    /// After a grading, once the watcher is in place.
    pub fn waiting(&self, watched: &[String], out: &mut dyn Write) -> io::Result<()> {
        let text = match self.lang {
            Lang::Ko => format!(
                "변경을 기다리는 중입니다 ({}). 끝내려면 Ctrl+C를 누르세요",
                watched.join(", ")
            ),
            Lang::En => format!(
                "Watching {} for changes (Ctrl+C to stop)",
                watched.join(" and ")
            ),
        };
        let text = if self.color {
            let s = Style::new().dimmed();
            format!("{}{text}{}", s.render(), s.render_reset())
        } else {
            text
        };
        writeln!(out)?;
        writeln!(out, "{text}")
    }

    /// After Ctrl+C or SIGTERM between gradings (a grading that was running says so itself).
    pub fn stopped(&self, out: &mut dyn Write) -> io::Result<()> {
        let text = self
            .lang
            .pick("변경 감시를 끝냈습니다", "stopped watching for changes");
        writeln!(out, "grade: {text}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(lang: Lang, terminal: bool) -> String {
        let r = WatchReporter {
            lang,
            color: false,
            terminal,
        };
        let watched = ["labs/01_ip_port_http".to_string(), "grade.toml".to_string()];
        let mut out = Vec::new();
        r.run_starting(None, &mut out).unwrap();
        r.waiting(&watched, &mut out).unwrap();
        r.run_starting(Some(Path::new("labs/01_ip_port_http/app.py")), &mut out)
            .unwrap();
        r.waiting(&watched, &mut out).unwrap();
        r.run_starting(Some(Path::new("")), &mut out).unwrap();
        r.stopped(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn watch_lines_english() {
        insta::assert_snapshot!(render(Lang::En, false));
    }

    #[test]
    fn watch_lines_korean() {
        insta::assert_snapshot!(render(Lang::Ko, false));
    }

    #[test]
    fn the_screen_is_cleared_only_on_a_terminal_and_not_before_the_first_grading() {
        assert!(!render(Lang::En, false).contains(CLEAR_SCREEN));
        let t = render(Lang::En, true);
        assert!(!t.starts_with(CLEAR_SCREEN));
        assert_eq!(t.matches(CLEAR_SCREEN).count(), 2);
    }
}
