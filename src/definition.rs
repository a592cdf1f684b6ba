//! A lab's grader definition, `graders/<lab>/lab.toml`: parsed strictly (an unknown key is an
//! error that names the key and its line), then validated into [`LabDef`] before any student
//! code runs: ids unique and known to the lab's driver, prerequisites declared before use,
//! titles and hints present in both languages.

use std::time::Duration;

use serde::Deserialize;

use crate::i18n::Lang;

/// Text in both languages.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub ko: String,
    pub en: String,
}

impl Text {
    pub fn get(&self, lang: Lang) -> &str {
        lang.pick(&self.ko, &self.en)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLab {
    schema: u32,
    lab: String,
    title: Text,
    budget_ms: u64,
    #[serde(rename = "checks")]
    checks: Vec<RawCheck>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    id: String,
    title: Text,
    hint: Text,
    points: f64,
    #[serde(default)]
    needs: Vec<String>,
    timeout_ms: u64,
}

/// A validated lab definition.
#[derive(Debug)]
pub struct LabDef {
    pub lab: String,
    pub title: Text,
    /// The whole run's budget: the runner gives up on checks past it.
    pub budget: Duration,
    pub checks: Vec<CheckDef>,
}

#[derive(Debug)]
pub struct CheckDef {
    pub id: String,
    pub title: Text,
    pub hint: Text,
    pub points: f64,
    /// Indices into [`LabDef::checks`], always of earlier checks.
    pub needs: Vec<usize>,
    pub timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum DefinitionError {
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
}

impl LabDef {
    /// Parses and validates `text` (read from `file`, named in errors) for `lab`, whose driver
    /// implements the check ids in `known`.
    pub fn parse(
        text: &str,
        file: &str,
        lab: &str,
        known: &[&str],
    ) -> Result<LabDef, DefinitionError> {
        let raw: RawLab = toml::from_str(text).map_err(|e| DefinitionError::Parse {
            file: file.to_string(),
            message: e.to_string(),
        })?;
        let invalid = |message: String| DefinitionError::Invalid {
            file: file.to_string(),
            message,
        };
        if raw.schema != 1 {
            return Err(invalid(format!(
                "schema {} is not supported (this grader reads schema 1)",
                raw.schema
            )));
        }
        if raw.lab != lab {
            return Err(invalid(format!(
                "the file is for lab `{}`, expected `{lab}`",
                raw.lab
            )));
        }
        if raw.checks.is_empty() {
            return Err(invalid("no checks are defined".into()));
        }
        let mut checks: Vec<CheckDef> = Vec::with_capacity(raw.checks.len());
        for c in raw.checks {
            if !known.contains(&c.id.as_str()) {
                return Err(invalid(format!(
                    "check `{}` is not implemented by the {lab} driver (known: {})",
                    c.id,
                    known.join(", ")
                )));
            }
            if checks.iter().any(|d| d.id == c.id) {
                return Err(invalid(format!("check `{}` is defined twice", c.id)));
            }
            if !(c.points.is_finite() && c.points >= 0.0) {
                return Err(invalid(format!("check `{}`: points must be >= 0", c.id)));
            }
            if c.timeout_ms == 0 {
                return Err(invalid(format!("check `{}`: timeout_ms must be > 0", c.id)));
            }
            for (name, t) in [("title", &c.title), ("hint", &c.hint)] {
                if t.ko.trim().is_empty() || t.en.trim().is_empty() {
                    return Err(invalid(format!(
                        "check `{}`: {name} needs both `ko` and `en`",
                        c.id
                    )));
                }
            }
            let mut needs = Vec::with_capacity(c.needs.len());
            for n in &c.needs {
                match checks.iter().position(|d| &d.id == n) {
                    Some(i) => needs.push(i),
                    None => {
                        return Err(invalid(format!(
                            "check `{}` needs `{n}`, which is not defined before it",
                            c.id
                        )));
                    }
                }
            }
            checks.push(CheckDef {
                id: c.id,
                title: c.title,
                hint: c.hint,
                points: c.points,
                needs,
                timeout: Duration::from_millis(c.timeout_ms),
            });
        }
        Ok(LabDef {
            lab: raw.lab,
            title: raw.title,
            budget: Duration::from_millis(raw.budget_ms),
            checks,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"
schema = 1
lab = "lab01"
title = { ko = "가", en = "a" }
budget_ms = 1000
[[checks]]
id = "starts"
title = { ko = "가", en = "a" }
hint = { ko = "가", en = "a" }
points = 1
timeout_ms = 100
[[checks]]
id = "body"
title = { ko = "가", en = "a" }
hint = { ko = "가", en = "a" }
points = 2
needs = ["starts"]
timeout_ms = 100
"#;

    #[test]
    fn valid_definition_resolves_needs() {
        let d = LabDef::parse(OK, "lab.toml", "lab01", &["starts", "body"]).unwrap();
        assert_eq!(d.checks[1].needs, vec![0]);
        assert_eq!(d.checks.iter().map(|c| c.points).sum::<f64>(), 3.0);
    }

    #[test]
    fn unknown_key_is_named_with_its_line() {
        let bad = OK.replace("points = 2", "points = 2\npionts = 3");
        let e = LabDef::parse(&bad, "lab.toml", "lab01", &["starts", "body"]).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("pionts"), "{msg}");
        assert!(msg.contains("line"), "{msg}");
    }

    #[test]
    fn needs_must_come_first_and_ids_must_be_known() {
        let bad = OK.replace(r#"needs = ["starts"]"#, r#"needs = ["later"]"#);
        let e = LabDef::parse(&bad, "f", "lab01", &["starts", "body"]).unwrap_err();
        assert!(e.to_string().contains("later"), "{e}");
        let e = LabDef::parse(OK, "f", "lab01", &["starts"]).unwrap_err();
        assert!(e.to_string().contains("not implemented"), "{e}");
        let e = LabDef::parse(OK, "f", "lab02", &["starts", "body"]).unwrap_err();
        assert!(e.to_string().contains("expected `lab02`"), "{e}");
    }
}
