//! Events: what a run emits, in order, and the observers that render them.

use std::time::Duration;

use super::error::Result;
use super::result::{ReferenceRun, RuleUse, WorkloadResult};
use super::target::TargetReport;
use super::workload::Workload;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Reference and candidate live: the whole pipeline.
    Run,
    /// Reference only: write expected/.
    Record,
    /// Candidate against saved expected/.
    Check,
    /// Like `Run` for one workload, to reduce its mismatches on demand (writes no expected/).
    Reduce,
}

/// What happened, in order; reporters render these.
#[derive(Clone, Copy)]
pub enum Event<'a> {
    TargetsReady {
        reference: Option<&'a TargetReport>,
        candidate: Option<&'a TargetReport>,
    },
    Started {
        index: usize,
        total: usize,
        workload: &'a Workload,
    },
    /// The reference outcome of a workload (written to expected/).
    Recorded {
        index: usize,
        total: usize,
        workload: &'a Workload,
        run: &'a ReferenceRun,
        version: &'a str,
    },
    Finished {
        index: usize,
        total: usize,
        result: &'a WorkloadResult,
        reference: &'a TargetReport,
        candidate: &'a TargetReport,
        /// The known-difference rules so far, with what each accepted.
        rules: &'a [RuleUse],
    },
    /// A mismatch reduced to a repro, written under repros/.
    Reduced {
        repro: &'a ReproSummary,
        elapsed: Duration,
    },
    /// A mismatch whose reduction failed (a repro that could not be written, say): the others
    /// are still reduced, and the run's verdicts stand.
    ReductionFailed {
        occurrence: &'a str,
        error: &'a str,
    },
    /// Distinct mismatches left unreduced because the run's reduction time was spent.
    ReductionSkipped {
        count: usize,
    },
    Done {
        results: &'a [WorkloadResult],
        reference: &'a TargetReport,
        candidate: &'a TargetReport,
        rules: &'a [RuleUse],
    },
}

pub trait Observer {
    fn on(&mut self, event: Event<'_>) -> Result<()>;
}

/// A reduced repro, as the console announces it.
#[derive(Debug, Clone)]
pub struct ReproSummary {
    /// Where it was written, below the output folder (`repros/…`).
    pub path: String,
    pub statements: usize,
    pub original_statements: usize,
    pub trials: usize,
    pub minimal: bool,
    /// The reduced statements did not replay the mismatch: the original ones were kept.
    pub not_reducible: bool,
    /// Reduced while the run went on.
    pub beside_run: bool,
    pub occurrences: usize,
}
