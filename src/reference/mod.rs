//! Rust reference implementations of the labs. The grader uses them as counterparts (the
//! server a student's client talks to), and `grade reference labNN` runs them by hand, so that
//! a student or a TA can see what correct behaviour looks like. [`snapshots`] says how each of
//! a lab's snapshots is made from its reference (`grade snapshot`), and [`Param`] which of a
//! reference's texts a course may change in `lab.toml`'s `[reference]` table.

use std::collections::BTreeMap;

use crate::lab::LabId;

pub mod lab01;
pub mod lab02;
pub mod lab03;
pub mod lab04;
pub mod lab05;
pub mod lab06;
pub mod lab07;
pub mod lab08;
pub mod lab09;
pub mod lab10;
pub mod snapshots;

/// A text of a lab's reference that a course may change (`[reference]` in `lab.toml`): the
/// reference then answers with it, and `grade snapshot` writes the snapshots from it.
#[derive(Debug)]
pub struct Param {
    pub key: &'static str,
    /// The value when `lab.toml` does not set it (what the handout gives).
    pub default: &'static str,
    /// What it is, for the comment `grade init-graders` writes above it.
    pub about: &'static str,
    /// Rejects a value the lab's checks could not grade against, saying why.
    pub check: fn(&str) -> Result<(), String>,
}

/// The texts of `lab`'s reference that `[reference]` may set.
pub fn params(lab: LabId) -> &'static [Param] {
    match lab {
        LabId::Lab01 => lab01::PARAMS,
        LabId::Lab06 => lab06::PARAMS,
        LabId::Lab02
        | LabId::Lab03
        | LabId::Lab04
        | LabId::Lab05
        | LabId::Lab07
        | LabId::Lab08
        | LabId::Lab09
        | LabId::Lab10 => &[],
    }
}

/// The values of a lab's [`Param`]s: those `lab.toml` sets, the defaults for the others.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params(BTreeMap<&'static str, String>);

impl Params {
    /// Every default of `lab`.
    pub fn defaults(lab: LabId) -> Params {
        Params(
            params(lab)
                .iter()
                .map(|p| (p.key, p.default.to_string()))
                .collect(),
        )
    }

    /// `lab`'s defaults with the values of `set` (from `[reference]`), each key known to the
    /// lab and each value accepted by its check.
    pub fn resolve(lab: LabId, set: &BTreeMap<String, String>) -> Result<Params, String> {
        let known = params(lab);
        let mut out = Params::defaults(lab);
        for (key, value) in set {
            let Some(p) = known.iter().find(|p| p.key == key) else {
                let keys: Vec<&str> = known.iter().map(|p| p.key).collect();
                return Err(if keys.is_empty() {
                    format!("[reference] `{key}`: {lab}'s reference has nothing to set")
                } else {
                    format!(
                        "[reference] `{key}` is not a setting of {lab}'s reference (its settings: {})",
                        keys.join(", ")
                    )
                });
            };
            (p.check)(value).map_err(|why| format!("[reference] `{key}`: {why}"))?;
            out.0.insert(p.key, value.clone());
        }
        Ok(out)
    }

    /// The value of `key` (a key of the lab's [`params`]).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// The keys and values, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.0.iter().map(|(k, v)| (*k, v.as_str()))
    }
}
