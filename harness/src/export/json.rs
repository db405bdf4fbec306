//! `results.json`: the results as versioned JSON, for programs (and `pgparity diff` later).

use serde::Serialize;

use super::markdown::Counts;
use super::Report;
use crate::model::{CompatResult, MigrationReport, TargetReport, TreeInfo, WorkloadResult};

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
    /// A compat run: per migration, what a migration runner reads to set its own flag.
    #[serde(skip_serializing_if = "Option::is_none")]
    compat: Option<&'a [CompatResult]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    compat_run: Option<CompatRun<'a>>,
    /// A data-diff run.
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a crate::model::DataReport>,
}

/// What a compat run judged, beside its per-migration list.
#[derive(Serialize)]
struct CompatRun<'a> {
    tree: &'a TreeInfo,
    from: &'a str,
    to: &'a str,
    traffic: &'a [String],
    statements: usize,
    databases: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    notes: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    reverse: Option<&'a crate::model::Reverse>,
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
        data: report.data,
        compat: report.compat.map(|c| c.migrations.as_slice()),
        compat_run: report.compat.map(|c| CompatRun {
            tree: &c.tree,
            from: &c.from,
            to: &c.to,
            traffic: &c.traffic,
            statements: c.statements,
            databases: &c.databases,
            notes: &c.notes,
            reverse: c.reverse.as_ref(),
        }),
    };
    crate::store::json::to_string(&file)
}
