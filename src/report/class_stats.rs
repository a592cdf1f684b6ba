//! A class at a glance: the schema-1 reports of a batch, read back and aggregated (score
//! histogram, outcomes per check, the checks most often failed and their commonest messages).
//! Pure data, no rendering: [`super::class_html`] draws it.
//!
//! The reports are read leniently (fields added to schema 1 later are ignored, absent optional
//! ones default), but a report that cannot be read at all counts as a grader error on that
//! submission, never as a student's 0.

use serde::Deserialize;

use super::Status;
use super::class_html::{Graded, Submitted};

/// Failed checks listed under "most often failed".
pub const TOP_CHECKS: usize = 5;
/// Message groups shown for each of them.
pub const TOP_MESSAGES: usize = 3;
/// Largest whole maximum for which the histogram has one bar per point (else bars of 10 %).
const MAX_POINT_BINS: f64 = 20.0;

/// How many checks ended in each outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub error: usize,
    pub warning: usize,
}

impl Counts {
    pub fn add(&mut self, s: Status) {
        match s {
            Status::Passed => self.passed += 1,
            Status::Failed => self.failed += 1,
            Status::Skipped => self.skipped += 1,
            Status::Error => self.error += 1,
            Status::Warning => self.warning += 1,
        }
    }

    pub fn get(&self, s: Status) -> usize {
        match s {
            Status::Passed => self.passed,
            Status::Failed => self.failed,
            Status::Skipped => self.skipped,
            Status::Error => self.error,
            Status::Warning => self.warning,
        }
    }

    pub fn total(&self) -> usize {
        self.passed + self.failed + self.skipped + self.error + self.warning
    }
}

/// The five outcomes in the order they are drawn and listed.
pub const STATUSES: [Status; 5] = [
    Status::Passed,
    Status::Warning,
    Status::Failed,
    Status::Skipped,
    Status::Error,
];

/// One check of a student's report, as read back.
#[derive(Clone, Debug, Deserialize)]
pub struct CheckIn {
    pub id: String,
    #[serde(default)]
    pub title: String,
    #[serde(deserialize_with = "status_of")]
    pub status: Status,
    #[serde(default)]
    pub score: f64,
    #[serde(default)]
    pub max_score: f64,
    pub message: Option<String>,
    pub hint: Option<String>,
    pub expected: Option<String>,
    pub actual: Option<String>,
    pub diff: Option<String>,
    pub output: Option<OutputIn>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct OutputIn {
    #[serde(default)]
    pub stdout: String,
    #[serde(default)]
    pub stderr: String,
    #[serde(default)]
    pub dropped_bytes: u64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct FixFirstIn {
    pub id: String,
    #[serde(default)]
    pub blocks: usize,
}

/// A student's schema-1 report, as read back.
#[derive(Clone, Debug, Deserialize)]
pub struct ReportIn {
    pub passed: bool,
    pub score: f64,
    pub max_score: f64,
    pub checks: Vec<CheckIn>,
    #[serde(default)]
    pub notices: Vec<String>,
    pub fix_first: Option<FixFirstIn>,
    /// `grade batch --capture`: the grading's capture file.
    #[serde(default)]
    pub capture: Option<CaptureIn>,
}

/// A report's capture, as read back.
#[derive(Clone, Debug, Deserialize)]
pub struct CaptureIn {
    pub file: String,
}

impl ReportIn {
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for check in &self.checks {
            c.add(check.status);
        }
        c
    }

    /// The share of the points earned, 0..=1; a run worth nothing counts as whole when it passed.
    pub fn fraction(&self) -> f64 {
        if self.max_score > 0.0 {
            (self.score / self.max_score).clamp(0.0, 1.0)
        } else if self.passed {
            1.0
        } else {
            0.0
        }
    }
}

/// An unknown status (a newer grader) is shown as a grader error: never blamed on the student.
fn status_of<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Status, D::Error> {
    let s = String::deserialize(d)?;
    Ok(match s.as_str() {
        "passed" => Status::Passed,
        "failed" => Status::Failed,
        "skipped" => Status::Skipped,
        "warning" => Status::Warning,
        _ => Status::Error,
    })
}

/// What the batch got for one submission.
#[derive(Clone, Debug)]
pub enum Outcome {
    Graded(Box<ReportIn>),
    /// The student's setup problem (no report): graded, 0 points. What the grading said.
    Setup(String),
    /// The grader failed on it (or its report could not be read): why.
    GraderError(String),
}

#[derive(Clone, Debug)]
pub struct Student {
    pub name: String,
    pub duration_ms: u64,
    pub outcome: Outcome,
}

impl Student {
    pub fn report(&self) -> Option<&ReportIn> {
        match &self.outcome {
            Outcome::Graded(r) => Some(r),
            Outcome::Setup(_) | Outcome::GraderError(_) => None,
        }
    }

    /// The share of the points earned: a setup problem earns none; `None` when the grader
    /// failed (that says nothing about the student).
    pub fn fraction(&self) -> Option<f64> {
        match &self.outcome {
            Outcome::Graded(r) => Some(r.fraction()),
            Outcome::Setup(_) => Some(0.0),
            Outcome::GraderError(_) => None,
        }
    }
}

/// One bar of the score histogram: scores in `lo..hi` (`lo..=hi` for the last bar).
#[derive(Clone, Debug, PartialEq)]
pub struct Bin {
    pub label: String,
    /// Indexes into [`ClassStats::students`].
    pub students: Vec<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BinUnit {
    /// One bar per point, 0..=max (every report had this whole maximum).
    Points(u32),
    /// Bars of ten percent, and one for 100 %.
    Percent,
}

/// A check over the whole class.
#[derive(Clone, Debug)]
pub struct CheckStats {
    pub id: String,
    pub title: String,
    pub counts: Counts,
}

impl CheckStats {
    /// Passed over the students whose report has this check, not counting grader errors
    /// (those say nothing about the student). `None` when that leaves no one.
    pub fn pass_rate(&self) -> Option<f64> {
        let n = self.counts.total() - self.counts.error;
        (n > 0).then(|| self.counts.passed as f64 / n as f64)
    }
}

/// Failures of one check whose messages are the same once normalized ([`message_key`]).
#[derive(Clone, Debug)]
pub struct MessageGroup {
    /// The first such message in the batch's order, as it was.
    pub example: String,
    /// The hint that came with it.
    pub hint: Option<String>,
    pub students: Vec<usize>,
}

#[derive(Clone, Debug)]
pub struct TopFailure {
    pub id: String,
    pub title: String,
    pub failed: usize,
    /// Commonest first; all of them (the page shows [`TOP_MESSAGES`]).
    pub groups: Vec<MessageGroup>,
}

#[derive(Clone, Debug)]
pub struct ClassStats {
    /// In the batch's order.
    pub students: Vec<Student>,
    pub unit: BinUnit,
    pub bins: Vec<Bin>,
    /// In the lab's order (as the reports list them).
    pub checks: Vec<CheckStats>,
    /// Most failed first, at most [`TOP_CHECKS`].
    pub top_failures: Vec<TopFailure>,
    /// Students with a score: a report, or a setup problem of theirs (0 points).
    pub graded: usize,
    /// Of the graded, those with a setup problem (no report, so no check counted).
    pub setup: usize,
    pub grader_errors: usize,
    /// Graded and `passed` (no check failed or errored).
    pub all_passed: usize,
    /// Graded students with at least one check in error: their score may be low.
    pub with_check_errors: usize,
    /// Of the graded (setup problems as 0): mean and median share of the points (0..=1).
    pub mean: Option<f64>,
    pub median: Option<f64>,
    /// The maximum every graded report had, when they agree.
    pub uniform_max: Option<f64>,
}

impl ClassStats {
    pub fn new(graded: &[Graded]) -> ClassStats {
        let students: Vec<Student> = graded.iter().map(read).collect();
        let reports: Vec<(usize, &ReportIn)> = students
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.report().map(|r| (i, r)))
            .collect();
        let uniform_max = reports
            .first()
            .map(|(_, r)| r.max_score)
            .filter(|m| reports.iter().all(|(_, r)| (r.max_score - m).abs() < 1e-9));
        let (unit, bins) = histogram(&students, uniform_max);
        let checks = check_stats(&reports);
        let top_failures = top_failures(&reports, &checks);
        let mut fractions: Vec<f64> = students.iter().filter_map(Student::fraction).collect();
        fractions.sort_by(f64::total_cmp);
        let mean =
            (!fractions.is_empty()).then(|| fractions.iter().sum::<f64>() / fractions.len() as f64);
        let median = match fractions.len() {
            0 => None,
            n if n % 2 == 1 => Some(fractions[n / 2]),
            n => Some((fractions[n / 2 - 1] + fractions[n / 2]) / 2.0),
        };
        let setup = students
            .iter()
            .filter(|s| matches!(s.outcome, Outcome::Setup(_)))
            .count();
        ClassStats {
            graded: reports.len() + setup,
            setup,
            grader_errors: students.len() - reports.len() - setup,
            all_passed: reports.iter().filter(|(_, r)| r.passed).count(),
            with_check_errors: reports.iter().filter(|(_, r)| r.counts().error > 0).count(),
            mean,
            median,
            uniform_max,
            unit,
            bins,
            checks,
            top_failures,
            students,
        }
    }
}

fn read(g: &Graded) -> Student {
    let outcome = match &g.outcome {
        Submitted::Report(v) => match ReportIn::deserialize(v) {
            Ok(r) => Outcome::Graded(Box::new(r)),
            Err(e) => Outcome::GraderError(format!("unreadable report: {e}")),
        },
        Submitted::Setup(why) => Outcome::Setup(why.clone()),
        Submitted::GraderError(why) => Outcome::GraderError(why.clone()),
    };
    Student {
        name: g.name.clone(),
        duration_ms: g.duration_ms,
        outcome,
    }
}

fn histogram(students: &[Student], uniform_max: Option<f64>) -> (BinUnit, Vec<Bin>) {
    let unit = match uniform_max {
        Some(m) if (1.0..=MAX_POINT_BINS).contains(&m) && m.fract() == 0.0 => {
            BinUnit::Points(m as u32)
        }
        _ => BinUnit::Percent,
    };
    let mut bins: Vec<Bin> = match unit {
        BinUnit::Points(m) => (0..=m)
            .map(|p| Bin {
                label: p.to_string(),
                students: vec![],
            })
            .collect(),
        BinUnit::Percent => (0..10)
            .map(|d| format!("{}–{}", d * 10, d * 10 + 9))
            .chain(["100".to_string()])
            .map(|label| Bin {
                label,
                students: vec![],
            })
            .collect(),
    };
    for (i, s) in students.iter().enumerate() {
        let Some(fraction) = s.fraction() else {
            continue;
        };
        let score = s.report().map_or(0.0, |r| r.score);
        let bin = match unit {
            // A half point goes with the whole point below it.
            BinUnit::Points(m) => (score.max(0.0) + 1e-9).floor().min(m as f64) as usize,
            BinUnit::Percent => ((fraction * 10.0 + 1e-9).floor() as usize).min(10),
        };
        bins[bin].students.push(i);
    }
    (unit, bins)
}

/// Every check id in the lab's order: a check missing from the first reports (`--only`, a
/// newer definition) is placed after the one that precedes it where it does appear.
fn check_stats(reports: &[(usize, &ReportIn)]) -> Vec<CheckStats> {
    let mut checks: Vec<CheckStats> = Vec::new();
    for (_, r) in reports {
        let mut after: Option<usize> = None;
        for c in &r.checks {
            let at = match checks.iter().position(|s| s.id == c.id) {
                Some(at) => at,
                None => {
                    let at = after.map_or(0, |a| a + 1);
                    checks.insert(
                        at,
                        CheckStats {
                            id: c.id.clone(),
                            title: c.title.clone(),
                            counts: Counts::default(),
                        },
                    );
                    at
                }
            };
            checks[at].counts.add(c.status);
            if checks[at].title.is_empty() {
                checks[at].title = c.title.clone();
            }
            after = Some(at);
        }
    }
    checks
}

fn top_failures(reports: &[(usize, &ReportIn)], checks: &[CheckStats]) -> Vec<TopFailure> {
    let mut failing: Vec<&CheckStats> = checks.iter().filter(|c| c.counts.failed > 0).collect();
    // Stable: equal counts keep the lab's order.
    failing.sort_by_key(|c| std::cmp::Reverse(c.counts.failed));
    failing
        .into_iter()
        .take(TOP_CHECKS)
        .map(|check| {
            let mut groups: Vec<(String, MessageGroup)> = Vec::new();
            for (i, r) in reports {
                for c in r.checks.iter().filter(|c| c.id == check.id) {
                    if c.status != Status::Failed {
                        continue;
                    }
                    let message = c.message.clone().unwrap_or_default();
                    let key = message_key(&message);
                    match groups.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, g)) => g.students.push(*i),
                        None => groups.push((
                            key,
                            MessageGroup {
                                example: message,
                                hint: c.hint.clone(),
                                students: vec![*i],
                            },
                        )),
                    }
                }
            }
            let mut groups: Vec<MessageGroup> = groups.into_iter().map(|(_, g)| g).collect();
            groups.sort_by_key(|g| std::cmp::Reverse(g.students.len()));
            TopFailure {
                id: check.id.clone(),
                title: check.title.clone(),
                failed: check.counts.failed,
                groups,
            }
        })
        .collect()
}

/// A message with what varies from student to student taken out, so that messages made from
/// one template group together: any word with a digit in it (ports, counts, times, addresses,
/// random tokens) becomes `#`, a short quoted piece (what the student sent) becomes `"…"`, and
/// runs of white space become one space.
pub fn message_key(message: &str) -> String {
    let chars: Vec<char> = message.chars().collect();
    let mut out = String::with_capacity(message.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let prev = i.checked_sub(1).map(|p| chars[p]);
        if let Some(close) = closing_quote(c)
            && !prev.is_some_and(char::is_alphanumeric)
            && let Some(len) = chars[i + 1..]
                .iter()
                .take(80)
                .enumerate()
                .position(|(j, &d)| {
                    d == close
                        && !chars
                            .get(i + 2 + j)
                            .is_some_and(|n| n.is_ascii_alphanumeric())
                })
        {
            out.push_str("\"…\"");
            i += len + 2;
            continue;
        }
        if c.is_ascii_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            if word.chars().any(|c| c.is_ascii_digit()) {
                out.push('#');
            } else {
                out.push_str(&word);
            }
            continue;
        }
        if c.is_whitespace() {
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
        i += 1;
    }
    out.trim().to_string()
}

fn closing_quote(c: char) -> Option<char> {
    match c {
        '\'' | '"' | '`' => Some(c),
        '‘' => Some('’'),
        '“' => Some('”'),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
