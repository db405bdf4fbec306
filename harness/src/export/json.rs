//! `results.json`: the results as versioned JSON, for programs (and `pgparity diff` later).

use serde::Serialize;

use super::markdown::Counts;
use super::Report;
use crate::model::{MigrationReport, TargetReport, WorkloadResult};

/// Version of the results JSON schema.
pub const RESULTS_FORMAT: u32 = 1;

#[derive(Serialize)]
struct ResultsFile<'a> {
    format: u32,
    date: &'a str,
    reference: &'a TargetReport,
    candidate: &'a TargetReport,
    summary: Counts,
    workloads: &'a [WorkloadResult],
    #[serde(skip_serializing_if = "Option::is_none")]
    migrations: Option<&'a MigrationReport>,
}

/// The results as versioned JSON.
pub fn render(report: &Report<'_>) -> String {
    let file = ResultsFile {
        format: RESULTS_FORMAT,
        date: report.date,
        reference: report.reference,
        candidate: report.candidate,
        summary: Counts::of(report.results),
        workloads: report.results,
        migrations: report.migrations,
    };
    crate::store::json::to_string(&file)
}
