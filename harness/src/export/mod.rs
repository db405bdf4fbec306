//! Exporters: the results rendered for people and programs — `scorecard.md` (markdown),
//! `results.json` (versioned JSON) and JUnit XML — each a small `Exporter`. `Files` observes a
//! run's events and rewrites every export as workloads finish, at most once a second (so an
//! interrupted run keeps what it finished; `flush` after an interrupt), and expected/ through
//! the store.

pub mod json;
pub mod junit;
pub mod markdown;

use std::path::{Path, PathBuf};

use crate::model::error::{Error, Result};
use crate::model::{CompatReport, DataReport, Event, MigrationReport, Observer, RuleUse, TargetReport, WorkloadResult};
use crate::store::{expected, write_atomically};

/// What every export renders: the results so far and both targets' reports.
pub struct Report<'a> {
    pub results: &'a [WorkloadResult],
    pub reference: &'a TargetReport,
    pub candidate: &'a TargetReport,
    /// The run's date (YYYY-MM-DD).
    pub date: &'a str,
    /// What `migrate` found (`None` for a workload run).
    pub migrations: Option<&'a MigrationReport>,
    /// What `compat` found.
    pub compat: Option<&'a CompatReport>,
    /// What `data-diff` found.
    pub data: Option<&'a DataReport>,
    /// Known-difference rules and what each accepted.
    pub rules: &'a [RuleUse],
}

/// One rendering of the results.
pub trait Exporter {
    fn render(&self, report: &Report<'_>) -> String;
}

/// `scorecard.md`.
pub struct Markdown;

impl Exporter for Markdown {
    fn render(&self, r: &Report<'_>) -> String {
        match (r.migrations, r.compat, r.data) {
            (Some(m), _, _) => markdown::render_migrations(m, r.reference, r.candidate, r.date),
            (None, Some(c), _) => markdown::render_compat(c, r.candidate, r.date),
            (None, None, Some(d)) => markdown::render_data(d, r.date),
            (None, None, None) => markdown::render_markdown(r.results, r.reference, r.candidate, r.date, r.rules),
        }
    }
}

/// `results.json`.
pub struct Json;

impl Exporter for Json {
    fn render(&self, r: &Report<'_>) -> String {
        json::render(r)
    }
}

/// JUnit XML: a test suite per workload, a test case per statement.
pub struct Junit;

impl Exporter for Junit {
    fn render(&self, r: &Report<'_>) -> String {
        junit::render(r)
    }
}

/// Writes expected/ (when the reference ran live) and every export, each to its own path.
pub struct Files {
    pub out: PathBuf,
    pub write_expected: bool,
    pub date: String,
    exports: Vec<(PathBuf, Box<dyn Exporter>)>,
    results: Vec<WorkloadResult>,
    rules: Vec<RuleUse>,
    /// When the reports were last written, and how long that took.
    written: Option<(std::time::Instant, std::time::Duration)>,
    /// Finished workloads not written yet: the targets' reports to write them with.
    unwritten: Option<Box<(TargetReport, TargetReport)>>,
}

/// The reports are rewritten after a workload at most once a second, and at most a tenth of
/// the time (each write renders every result so far): `flush` writes what is left.
const WRITE_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

impl Files {
    /// scorecard.md and results.json under `out`, and JUnit XML at `junit` when asked for.
    pub fn new(out: PathBuf, write_expected: bool, junit: Option<PathBuf>) -> Self {
        let mut exports: Vec<(PathBuf, Box<dyn Exporter>)> =
            vec![(out.join("scorecard.md"), Box::new(Markdown)), (out.join("results.json"), Box::new(Json))];
        if let Some(path) = junit {
            exports.push((path, Box::new(Junit)));
        }
        Files {
            out,
            write_expected,
            date: markdown::today(),
            exports,
            results: Vec::new(),
            rules: Vec::new(),
            written: None,
            unwritten: None,
        }
    }

    /// Every export of saved results (`pgparity scorecard`), dated as they were.
    pub fn write_saved(&self, saved: &json::Saved) -> Result<()> {
        std::fs::create_dir_all(&self.out).map_err(|e| Error::io(&self.out, e))?;
        let report = Report {
            results: &saved.workloads,
            reference: &saved.reference,
            candidate: &saved.candidate,
            date: &saved.date,
            migrations: None,
            compat: None,
            data: None,
            rules: &saved.rules,
        };
        for (path, exporter) in &self.exports {
            write_atomically(path, &exporter.render(&report))?;
        }
        Ok(())
    }

    pub fn expected_dir(out: &Path) -> PathBuf {
        out.join("expected")
    }

    /// Every export of the results so far.
    /// Write the finished workloads not written yet (after an interrupt, say).
    pub fn flush(&mut self) -> Result<()> {
        match self.unwritten.take() {
            Some(reports) => self.write_reports(&reports.0, &reports.1),
            None => Ok(()),
        }
    }

    /// After a workload: the reports now, or later when they were written a moment ago.
    fn write_soon(&mut self, reference: &TargetReport, candidate: &TargetReport) -> Result<()> {
        let due = self.written.is_none_or(|(at, took)| at.elapsed() >= WRITE_EVERY.max(took * 10));
        if due {
            return self.write_reports(reference, candidate);
        }
        self.unwritten = Some(Box::new((reference.clone(), candidate.clone())));
        Ok(())
    }

    fn write_reports(&mut self, reference: &TargetReport, candidate: &TargetReport) -> Result<()> {
        let start = std::time::Instant::now();
        self.unwritten = None;
        std::fs::create_dir_all(&self.out).map_err(|e| Error::io(&self.out, e))?;
        let report = Report {
            results: &self.results,
            reference,
            candidate,
            date: &self.date,
            migrations: None,
            compat: None,
            data: None,
            rules: &self.rules,
        };
        for (path, exporter) in &self.exports {
            write_atomically(path, &exporter.render(&report))?;
        }
        self.written = Some((start, start.elapsed()));
        Ok(())
    }
}

impl Files {
    /// Every export of a migrate run.
    pub fn write_migrations(&self, report: &MigrationReport, targets: &crate::model::Pair<TargetReport>) -> Result<()> {
        std::fs::create_dir_all(&self.out).map_err(|e| Error::io(&self.out, e))?;
        let r = Report {
            results: &[],
            reference: &targets.reference,
            candidate: &targets.candidate,
            date: &self.date,
            migrations: Some(report),
            compat: None,
            data: None,
            rules: &[],
        };
        for (path, exporter) in &self.exports {
            write_atomically(path, &exporter.render(&r))?;
        }
        Ok(())
    }

    /// Every export of a data-diff run (its sides are named in the report, not servers).
    pub fn write_data(&self, report: &DataReport) -> Result<()> {
        std::fs::create_dir_all(&self.out).map_err(|e| Error::io(&self.out, e))?;
        let side = |name: &str| TargetReport {
            target: name.to_string(),
            version: String::new(),
            connections: crate::model::Connections::Many,
            strategy: None,
            strategy_reason: None,
            refused_settings: Default::default(),
            events: Vec::new(),
        };
        let (reference, candidate) = (side(&report.reference), side(&report.candidate));
        let r = Report {
            results: &[],
            reference: &reference,
            candidate: &candidate,
            date: &self.date,
            migrations: None,
            compat: None,
            data: Some(report),
            rules: &[],
        };
        for (path, exporter) in &self.exports {
            write_atomically(path, &exporter.render(&r))?;
        }
        Ok(())
    }

    /// Every export of a compat run (its one target is both sides of the report).
    pub fn write_compat(&self, report: &CompatReport, target: &TargetReport) -> Result<()> {
        std::fs::create_dir_all(&self.out).map_err(|e| Error::io(&self.out, e))?;
        let r = Report {
            results: &[],
            reference: target,
            candidate: target,
            date: &self.date,
            migrations: None,
            compat: Some(report),
            data: None,
            rules: &[],
        };
        for (path, exporter) in &self.exports {
            write_atomically(path, &exporter.render(&r))?;
        }
        Ok(())
    }
}

impl Observer for Files {
    fn on(&mut self, event: Event<'_>) -> Result<()> {
        match event {
            Event::Recorded { workload, run, version, .. } if self.write_expected => {
                expected::write(&Self::expected_dir(&self.out), workload, version, run)
            }
            Event::Finished { result, reference, candidate, rules, .. } => {
                self.results.push(result.clone());
                self.rules = rules.to_vec();
                self.write_soon(reference, candidate)
            }
            // The final results carry the repro links.
            Event::Done { results, reference, candidate, rules } => {
                self.results = results.to_vec();
                self.rules = rules.to_vec();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;

    /// Workloads finishing a moment apart are written together (each write renders every result
    /// so far); `flush` and the run's end write what is left.
    #[test]
    fn reports_are_written_at_most_once_a_second_and_flushed() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = Files::new(dir.path().to_path_buf(), false, None);
        let side = markdown::tests::target("local", "15");
        let written = || -> usize {
            let text = std::fs::read_to_string(dir.path().join("results.json")).unwrap();
            serde_json::from_str::<serde_json::Value>(&text).unwrap()["workloads"].as_array().unwrap().len()
        };
        let results: Vec<WorkloadResult> =
            ["a", "b", "c"].iter().map(|id| WorkloadResult::of(id, Status::Works, Vec::new())).collect();
        for (i, result) in results.iter().enumerate() {
            let finished =
                Event::Finished { index: i + 1, total: 3, result, reference: &side, candidate: &side, rules: &[] };
            files.on(finished).unwrap();
        }
        assert_eq!(written(), 1, "the first at once, the next two a moment later");
        files.flush().unwrap();
        assert_eq!(written(), 3);
        files.on(Event::Done { results: &results[..2], reference: &side, candidate: &side, rules: &[] }).unwrap();
        assert_eq!(written(), 2, "the run's end writes its final results");
    }
}
