//! Reporters: they turn runner events into files (expected/, scorecard.md, results.json) and
//! console output. Files are rewritten after every workload, so an interrupted run keeps what
//! it finished.

pub mod console;
pub mod scorecard;

use std::path::{Path, PathBuf};

use crate::model::error::{Error, Result};
use crate::model::WorkloadResult;
use crate::model::{Event, Observer, TargetReport};
use crate::store::{expected, write_atomically};

/// Writes expected/ (when the reference ran live), scorecard.md and results.json under `out`.
pub struct Files {
    pub out: PathBuf,
    pub write_expected: bool,
    pub date: String,
    results: Vec<WorkloadResult>,
}

impl Files {
    pub fn new(out: PathBuf, write_expected: bool) -> Self {
        Files { out, write_expected, date: scorecard::today(), results: Vec::new() }
    }

    pub fn expected_dir(out: &Path) -> PathBuf {
        out.join("expected")
    }

    /// scorecard.md and results.json for the results so far.
    fn write_reports(&self, reference: &TargetReport, candidate: &TargetReport) -> Result<()> {
        std::fs::create_dir_all(&self.out).map_err(|e| Error::io(&self.out, e))?;
        let md = scorecard::render_markdown(&self.results, reference, candidate, &self.date);
        write_atomically(&self.out.join("scorecard.md"), &md)?;
        let json = scorecard::render_json(&self.results, reference, candidate, &self.date);
        write_atomically(&self.out.join("results.json"), &json)
    }
}

impl Observer for Files {
    fn on(&mut self, event: Event<'_>) -> Result<()> {
        match event {
            Event::Recorded { workload, run, version, .. } if self.write_expected => {
                expected::write(&Self::expected_dir(&self.out), workload, version, run)
            }
            Event::Finished { result, reference, candidate, .. } => {
                self.results.push(result.clone());
                self.write_reports(reference, candidate)
            }
            // The final results carry the repro links.
            Event::Done { results, reference, candidate } => {
                self.results = results.to_vec();
                self.write_reports(reference, candidate)
            }
            _ => Ok(()),
        }
    }
}

/// Several observers in order.
pub struct Tee<'a>(pub Vec<&'a mut dyn Observer>);

impl Observer for Tee<'_> {
    fn on(&mut self, event: Event<'_>) -> Result<()> {
        for o in self.0.iter_mut() {
            o.on(event)?;
        }
        Ok(())
    }
}
