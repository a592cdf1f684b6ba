//! One driver per lab. A driver owns the lab's state across checks (the running server, the
//! responses already fetched) and runs one check at a time when the runner asks.

pub mod lab01;

use std::future::Future;
use std::pin::Pin;

use tokio::time::Instant;

use crate::graders::{GraderFileError, GraderSource};
use crate::i18n::Lang;
use crate::lab::LabId;
use crate::report::Verdict;
use crate::rng::Rng;
use crate::submission::Launch;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Options that change what drivers do, from the command line.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// lab01: also probe through this machine's LAN address.
    pub lan: bool,
}

/// What a check gets from the runner.
pub struct CheckCx<'a> {
    pub lang: Lang,
    pub rng: &'a mut Rng,
    /// The check must be done by then (the runner also enforces it).
    pub deadline: Instant,
    pub options: &'a Options,
    pub graders: &'a GraderSource,
    pub lab: &'static str,
}

impl CheckCx<'_> {
    /// `ko` or `en`, as the student reads.
    pub fn t(&self, ko: &str, en: &str) -> String {
        self.lang.pick(ko, en).to_string()
    }

    /// A snapshot file of the lab (`graders/<lab>/snapshots/<name>`).
    pub fn snapshot(&self, name: &str) -> Result<String, GraderFileError> {
        self.graders.read(self.lab, &format!("snapshots/{name}"))
    }
}

pub trait LabDriver: Send {
    /// Runs the check `id` (one of the lab's ids; the definition was validated against them).
    fn run_check<'a>(&'a mut self, id: &'a str, cx: CheckCx<'a>) -> BoxFuture<'a, Verdict>;

    /// Stops everything the driver started. Returns notices for the report (leftover
    /// processes, ports still held).
    fn teardown(&mut self, lang: Lang) -> BoxFuture<'_, Vec<String>>;
}

/// The check ids a lab's driver implements (validation uses them before anything runs).
pub fn check_ids(lab: LabId) -> &'static [&'static str] {
    match lab {
        LabId::Lab01 => lab01::CHECK_IDS,
        LabId::Lab02 | LabId::Lab03 => &[],
    }
}

/// Whether the lab can be graded by this build.
pub fn is_implemented(lab: LabId) -> bool {
    !check_ids(lab).is_empty()
}

/// The driver for `lab`, grading the program `launch` starts.
pub fn driver_for(lab: LabId, launch: Launch) -> Option<Box<dyn LabDriver>> {
    match lab {
        LabId::Lab01 => Some(Box::new(lab01::Lab01::new(launch))),
        LabId::Lab02 | LabId::Lab03 => None,
    }
}
