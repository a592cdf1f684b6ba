//! `--format json`: one JSON document (schema 1) on stdout when the run ends, nothing before.
//! The fields are a contract that staff scripts depend on; see the README.

use std::io::{self, Write};

use super::{Event, Reporter};

#[derive(Default)]
pub struct JsonReporter;

impl Reporter for JsonReporter {
    fn event(&mut self, event: &Event<'_>, out: &mut dyn Write) -> io::Result<()> {
        match event {
            Event::Started { .. } | Event::CheckFinished(_) => Ok(()),
            Event::Finished(report) => {
                serde_json::to_writer_pretty(&mut *out, report)?;
                writeln!(out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::sample_report;
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn json_report_shape() {
        let report = sample_report(Lang::En);
        let mut out = Vec::new();
        JsonReporter
            .event(&Event::Finished(&report), &mut out)
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        insta::assert_json_snapshot!(v);
    }
}
