//! Korean and English. Student-facing text is written in both; the language is chosen by
//! `--lang`, then `NETGRADE_LANG`, then the system locale (Korean for `ko_*`, else English).
//!
//! Lab-specific sentences are written inline as a pair through [`Lang::pick`], next to the
//! code that produces them, so a reader sees both versions where they matter. Sentences
//! shared by every lab (report chrome, harness failures) live in [`Msg`].

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Ko,
    En,
}

impl Lang {
    /// The language a student most likely reads.
    pub fn detect() -> Lang {
        if let Ok(v) = std::env::var("NETGRADE_LANG")
            && let Some(l) = Lang::from_tag(&v)
        {
            return l;
        }
        // LC_ALL / LC_MESSAGES / LANG first: sys_locale reads only some of them on Unix.
        for var in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let Ok(v) = std::env::var(var)
                && !v.is_empty()
            {
                return Lang::from_tag(&v).unwrap_or(Lang::En);
            }
        }
        sys_locale::get_locale()
            .and_then(|l| Lang::from_tag(&l))
            .unwrap_or(Lang::En)
    }

    fn from_tag(tag: &str) -> Option<Lang> {
        let t = tag.to_ascii_lowercase();
        if t.starts_with("ko") {
            Some(Lang::Ko)
        } else if t.starts_with("en") || t == "c" || t == "posix" || t.starts_with("c.") {
            Some(Lang::En)
        } else if t.is_empty() {
            None
        } else {
            Some(Lang::En)
        }
    }

    /// Chooses one of a Korean/English pair.
    pub fn pick<'a>(self, ko: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Ko => ko,
            Lang::En => en,
        }
    }

    pub fn msg(self, m: Msg) -> &'static str {
        let (ko, en) = m.text();
        self.pick(ko, en)
    }
}

/// Sentences shared by every lab.
#[derive(Clone, Copy, Debug)]
pub enum Msg {
    Expected,
    Actual,
    Diff,
    Hint,
    Skipped,
    Score,
    Passed,
    Failed,
    Error,
    Warning,
    /// The verdict of a whole run.
    Pass,
    Fail,
    Replay,
    Seed,
    Submission,
    CostsNoPoints,
    StudentStdout,
    StudentStderr,
    OutputTruncated,
    NeedsFailed,
    GraderFault,
}

impl Msg {
    fn text(self) -> (&'static str, &'static str) {
        match self {
            Msg::Expected => ("기대한 값", "expected"),
            Msg::Actual => ("실제 값", "actual"),
            Msg::Diff => ("차이 (- 기대, + 실제)", "diff (- expected, + actual)"),
            Msg::Hint => ("힌트", "hint"),
            Msg::Skipped => ("건너뜀", "skipped"),
            Msg::Score => ("점수", "score"),
            Msg::Passed => ("통과", "passed"),
            Msg::Failed => ("실패", "failed"),
            Msg::Error => ("오류", "error"),
            Msg::Warning => ("경고", "warning"),
            Msg::Pass => ("통과", "PASS"),
            Msg::Fail => ("실패", "FAIL"),
            Msg::Replay => ("같은 조건으로 다시 실행", "replay with"),
            Msg::Seed => ("시드", "seed"),
            Msg::Submission => ("제출물", "submission"),
            Msg::CostsNoPoints => ("감점 없음", "costs no points"),
            Msg::StudentStdout => (
                "제출한 프로그램의 표준 출력(stdout)",
                "your program's standard output (stdout)",
            ),
            Msg::StudentStderr => (
                "제출한 프로그램의 표준 오류(stderr)",
                "your program's standard error (stderr)",
            ),
            Msg::OutputTruncated => ("출력이 잘렸습니다", "output truncated"),
            Msg::NeedsFailed => (
                "먼저 통과해야 하는 검사를 통과하지 못했습니다",
                "a check this one needs did not pass",
            ),
            Msg::GraderFault => (
                "채점기나 이 컴퓨터의 문제이며, 제출한 프로그램의 문제가 아닙니다",
                "a problem with the grader or this machine, not with your program",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn korean_locales_pick_korean() {
        assert_eq!(Lang::from_tag("ko_KR.UTF-8"), Some(Lang::Ko));
        assert_eq!(Lang::from_tag("ko-KR"), Some(Lang::Ko));
        assert_eq!(Lang::from_tag("en_US.UTF-8"), Some(Lang::En));
        assert_eq!(Lang::from_tag("C.UTF-8"), Some(Lang::En));
        assert_eq!(Lang::from_tag("de_DE"), Some(Lang::En));
        assert_eq!(Lang::from_tag(""), None);
    }
}
