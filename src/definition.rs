//! A lab's grader definition, `graders/<lab>/lab.toml`: parsed strictly (an unknown key is an
//! error that names the key and its line), then validated into [`LabDef`] before any student
//! code runs: ids unique and known to the lab's driver, prerequisites declared before use and
//! at least those the driver's code relies on, titles and hints present in both languages,
//! every hint key the code may choose defined, advisory checks worth no points.
//!
//! A check's keys: `id`, `title` and `hint` (`{ ko, en }`), `hints.KEY`, `points`, `needs`,
//! `timeout_ms`, `advisory`, and `visibility`: when a Gradescope student may see the check's
//! result (`--format gradescope`): `"visible"` (the default), `"after_due_date"`,
//! `"after_published"` or `"hidden"`, Gradescope's own values. Every other report shows every
//! check: visibility is Gradescope's to enforce.
//!
//! An optional `[reference]` table changes texts of the lab's reference (lab01's and lab06's
//! `body`; [`crate::reference::params`] lists them and says what each must keep); the
//! snapshots are then made from it with `grade snapshot` ([`crate::reference::snapshots`]).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use crate::i18n::Lang;
use crate::labs::spec::CheckSpec;
use crate::reference::Params;

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
    /// Texts of the lab's reference a course changed (`[reference]`).
    #[serde(default)]
    reference: BTreeMap<String, String>,
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
    /// Advisory: when it does not hold it is a warning, never a failure.
    #[serde(default)]
    advisory: bool,
    /// Hints chosen by what a failure observed, by key (`hints.one_address = { ko, en }`).
    #[serde(default)]
    hints: BTreeMap<String, Text>,
    #[serde(default)]
    visibility: Visibility,
}

/// When a Gradescope student sees a check's result: the result model's own type (reporters
/// read it), set here from `visibility` in `lab.toml`.
pub use crate::report::gradescope::Visibility;

/// A validated lab definition.
#[derive(Debug)]
pub struct LabDef {
    pub lab: String,
    pub title: Text,
    /// The whole run's budget: the runner gives up on checks past it.
    pub budget: Duration,
    pub checks: Vec<CheckDef>,
    /// The reference's texts: `[reference]`'s values, the lab's defaults for the rest.
    pub reference: Params,
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
    /// When it does not hold it is reported as a warning: never a failure, worth no points.
    pub advisory: bool,
    /// Hints a failure may name instead of `hint`, by key.
    pub hints: BTreeMap<String, Text>,
    /// When a Gradescope student sees the result.
    pub visibility: Visibility,
}

impl CheckDef {
    /// The hint for a failure that named `key` (the main hint when it named none).
    pub fn hint_for(&self, key: Option<&str>, lang: Lang) -> &str {
        key.and_then(|k| self.hints.get(k))
            .unwrap_or(&self.hint)
            .get(lang)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DefinitionError {
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
}

/// Why a lab's definition could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    File(#[from] crate::graders::GraderFileError),
    #[error("invalid grader definition: {0}")]
    Definition(#[from] DefinitionError),
}

impl LabDef {
    /// Reads `lab`'s `lab.toml` from `source` and validates it against the lab's driver.
    pub fn load(
        source: &crate::graders::GraderSource,
        lab: crate::lab::LabId,
    ) -> Result<LabDef, LoadError> {
        let key = lab.info().key;
        let text = source.read(key, "lab.toml")?;
        let file = source.describe(key, "lab.toml");
        Ok(LabDef::parse(
            &text,
            &file,
            key,
            crate::labs::check_specs(lab),
        )?)
    }

    /// Parses and validates `text` (read from `file`, named in errors) for `lab`, whose driver
    /// implements the checks in `specs`.
    pub fn parse(
        text: &str,
        file: &str,
        lab: &str,
        specs: &[CheckSpec],
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
        let reference = match crate::lab::LabId::parse(lab) {
            Some(id) => Params::resolve(id, &raw.reference).map_err(invalid)?,
            None => Params::default(),
        };
        let mut checks: Vec<CheckDef> = Vec::with_capacity(raw.checks.len());
        for c in raw.checks {
            let Some(spec) = specs.iter().find(|s| s.id == c.id) else {
                let known: Vec<&str> = specs.iter().map(|s| s.id).collect();
                return Err(invalid(format!(
                    "check `{}` is not implemented by the {lab} driver (known: {})",
                    c.id,
                    known.join(", ")
                )));
            };
            if checks.iter().any(|d| d.id == c.id) {
                return Err(invalid(format!("check `{}` is defined twice", c.id)));
            }
            if !(c.points.is_finite() && c.points >= 0.0) {
                return Err(invalid(format!("check `{}`: points must be >= 0", c.id)));
            }
            if c.timeout_ms == 0 {
                return Err(invalid(format!("check `{}`: timeout_ms must be > 0", c.id)));
            }
            if c.advisory && c.points != 0.0 {
                return Err(invalid(format!(
                    "check `{}` is advisory: it cannot be worth points (a warning never costs any)",
                    c.id
                )));
            }
            let texts = [("title", &c.title), ("hint", &c.hint)]
                .into_iter()
                .chain(c.hints.values().map(|t| ("hints", t)));
            for (name, t) in texts {
                if t.ko.trim().is_empty() || t.en.trim().is_empty() {
                    return Err(invalid(format!(
                        "check `{}`: {name} needs both `ko` and `en`",
                        c.id
                    )));
                }
            }
            if let Some(key) = c.hints.keys().find(|k| !spec.hints.contains(&k.as_str())) {
                return Err(invalid(format!(
                    "check `{}`: hint `{key}` is never chosen by the code (its hints: {})",
                    c.id,
                    spec.hints.join(", ")
                )));
            }
            if let Some(key) = spec.hints.iter().find(|k| !c.hints.contains_key(**k)) {
                return Err(invalid(format!(
                    "check `{}`: hint `{key}` is missing (add hints.{key} = {{ ko = \"...\", en = \"...\" }})",
                    c.id
                )));
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
            // What the code needs must be required, directly or through another check.
            let mut reach: Vec<usize> = needs.clone();
            let mut k = 0;
            while k < reach.len() {
                for &m in &checks[reach[k]].needs {
                    if !reach.contains(&m) {
                        reach.push(m);
                    }
                }
                k += 1;
            }
            if let Some(n) = spec
                .needs
                .iter()
                .find(|n| !reach.iter().any(|&i| checks[i].id == **n))
            {
                return Err(invalid(format!(
                    "check `{}` must keep needs = [\"{n}\"] (directly or through another check): its code cannot run without it",
                    c.id
                )));
            }
            checks.push(CheckDef {
                id: c.id,
                title: c.title,
                hint: c.hint,
                points: c.points,
                needs,
                timeout: Duration::from_millis(c.timeout_ms),
                advisory: c.advisory,
                hints: c.hints,
                visibility: c.visibility,
            });
        }
        Ok(LabDef {
            lab: raw.lab,
            title: raw.title,
            budget: Duration::from_millis(raw.budget_ms),
            checks,
            reference,
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
hints.short = { ko = "짧음", en = "short" }
points = 2
needs = ["starts"]
timeout_ms = 100
[[checks]]
id = "tip"
title = { ko = "가", en = "a" }
hint = { ko = "가", en = "a" }
points = 0
advisory = true
timeout_ms = 100
"#;

    const SPECS: &[CheckSpec] = &[
        CheckSpec {
            id: "starts",
            needs: &[],
            hints: &[],
        },
        CheckSpec {
            id: "body",
            needs: &["starts"],
            hints: &["short"],
        },
        CheckSpec {
            id: "tip",
            needs: &[],
            hints: &[],
        },
    ];

    fn parse(text: &str) -> Result<LabDef, DefinitionError> {
        LabDef::parse(text, "lab.toml", "lab01", SPECS)
    }

    #[test]
    fn valid_definition_resolves_needs_hints_and_advisory() {
        let d = parse(OK).unwrap();
        assert_eq!(d.checks[1].needs, vec![0]);
        assert_eq!(d.checks.iter().map(|c| c.points).sum::<f64>(), 3.0);
        assert_eq!(d.checks[1].hint_for(Some("short"), Lang::En), "short");
        assert_eq!(d.checks[1].hint_for(None, Lang::Ko), "가");
        assert!(d.checks[2].advisory && !d.checks[1].advisory);
    }

    #[test]
    fn unknown_key_is_named_with_its_line() {
        let bad = OK.replace("points = 2", "points = 2\npionts = 3");
        let msg = parse(&bad).unwrap_err().to_string();
        assert!(msg.contains("pionts"), "{msg}");
        assert!(msg.contains("line"), "{msg}");
    }

    #[test]
    fn needs_must_come_first_and_ids_must_be_known() {
        let bad = OK.replace(r#"needs = ["starts"]"#, r#"needs = ["starts", "later"]"#);
        let e = parse(&bad).unwrap_err();
        assert!(e.to_string().contains("later"), "{e}");
        let e = LabDef::parse(OK, "f", "lab01", &SPECS[..1]).unwrap_err();
        assert!(e.to_string().contains("not implemented"), "{e}");
        let e = LabDef::parse(OK, "f", "lab02", SPECS).unwrap_err();
        assert!(e.to_string().contains("expected `lab02`"), "{e}");
    }

    #[test]
    fn a_copy_that_drops_a_prerequisite_the_code_needs_is_rejected() {
        let bad = OK.replace(r#"needs = ["starts"]"#, "");
        let e = parse(&bad).unwrap_err().to_string();
        assert!(e.contains("`body` must keep needs = [\"starts\"]"), "{e}");
    }

    #[test]
    fn a_prerequisite_may_be_kept_through_another_check() {
        let text = OK.replace(
            "points = 0\nadvisory = true",
            "points = 0\nadvisory = true\nneeds = [\"body\"]",
        );
        let mut specs = SPECS.to_vec();
        specs[2] = CheckSpec {
            id: "tip",
            needs: &["starts"],
            hints: &[],
        };
        LabDef::parse(&text, "lab.toml", "lab01", &specs).unwrap();
    }

    #[test]
    fn every_built_in_definition_is_valid() {
        for info in crate::lab::LabId::all() {
            let specs = crate::labs::check_specs(info.id);
            let text = crate::graders::GraderSource::Embedded
                .read(info.key, "lab.toml")
                .unwrap();
            LabDef::parse(&text, "lab.toml", info.key, specs)
                .unwrap_or_else(|e| panic!("{}: {e}", info.key));
        }
    }

    #[test]
    fn reference_texts_are_validated_for_the_lab() {
        let d = parse(OK).unwrap();
        assert_eq!(d.reference.get("body"), Some(crate::wire::lab01::BODY));
        let own = format!("{OK}\n[reference]\nbody = \"Hi\\nclient_ip={{client_ip}}\\n\"\n");
        let d = parse(&own).unwrap();
        assert_eq!(d.reference.get("body"), Some("Hi\nclient_ip={client_ip}\n"));
        let e = parse(&own.replace("client_ip={client_ip}", "ip"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("[reference] `body`") && e.contains("client_ip"),
            "{e}"
        );
        let e = parse(&own.replace("body =", "bodyy ="))
            .unwrap_err()
            .to_string();
        assert!(e.contains("`bodyy`"), "{e}");
    }

    #[test]
    fn hint_keys_must_match_the_code() {
        let missing = OK.replace("hints.short = { ko = \"짧음\", en = \"short\" }\n", "");
        let e = parse(&missing).unwrap_err().to_string();
        assert!(e.contains("hint `short` is missing"), "{e}");
        let typo = OK.replace("hints.short", "hints.shrot");
        let e = parse(&typo).unwrap_err().to_string();
        assert!(e.contains("hint `shrot` is never chosen"), "{e}");
        let half = OK.replace("en = \"short\"", "en = \" \"");
        let e = parse(&half).unwrap_err().to_string();
        assert!(e.contains("both `ko` and `en`"), "{e}");
    }

    #[test]
    fn visibility_defaults_to_visible_and_takes_gradescopes_values_only() {
        let d = parse(OK).unwrap();
        assert!(d.checks.iter().all(|c| c.visibility == Visibility::Visible));
        let text = OK.replace(
            "points = 2\n",
            "points = 2\nvisibility = \"after_due_date\"\n",
        );
        assert_eq!(
            parse(&text).unwrap().checks[1].visibility,
            Visibility::AfterDueDate
        );
        let bad = OK.replace("points = 2\n", "points = 2\nvisibility = \"secret\"\n");
        let e = parse(&bad).unwrap_err().to_string();
        assert!(e.contains("secret") && e.contains("after_published"), "{e}");
        assert!(e.contains("line"), "{e}");
    }

    #[test]
    fn an_advisory_check_is_worth_no_points() {
        let bad = OK.replace("points = 0\nadvisory", "points = 1\nadvisory");
        let e = parse(&bad).unwrap_err().to_string();
        assert!(e.contains("advisory"), "{e}");
    }
}
