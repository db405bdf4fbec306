//! `results.json`: the results as versioned JSON, for programs (and `pgparity diff` later).

use serde::Serialize;

use super::markdown::Counts;
use super::Report;
use crate::model::{CompatResult, MigrationReport, RuleUse, TargetReport, TreeInfo, WorkloadResult};

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
    /// Known-difference rules and what each accepted (none accepted: stale).
    #[serde(skip_serializing_if = "<[RuleUse]>::is_empty")]
    rules: &'a [RuleUse],
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
        rules: report.rules,
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

/// A run's results.json read back (`pgparity scorecard`, `pgparity diff`): what the reports
/// need; a migrate, compat or data-diff run's file has no workloads and is refused.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Saved {
    pub format: u32,
    pub date: String,
    pub reference: crate::model::TargetReport,
    pub candidate: crate::model::TargetReport,
    pub workloads: Vec<crate::model::WorkloadResult>,
    #[serde(default)]
    pub rules: Vec<crate::model::RuleUse>,
}

/// Read a results.json (or the one in a folder); an error names the file, line and column.
pub fn load(path: &std::path::Path) -> crate::model::error::Result<Saved> {
    use crate::model::error::{Error, Location};
    let file = if path.is_dir() { path.join("results.json") } else { path.to_path_buf() };
    let text = std::fs::read_to_string(&file).map_err(|e| Error::io(&file, e))?;
    let saved: Saved = serde_json::from_str(&text).map_err(|e| Error::Workload {
        location: Location { file: file.clone(), line: e.line(), column: e.column() },
        message: format!("not a pgparity results.json of a workload run: {e}"),
    })?;
    if saved.format != RESULTS_FORMAT {
        return Err(Error::Usage(format!(
            "{}: results format {} (this pgparity reads {})",
            file.display(),
            saved.format,
            RESULTS_FORMAT
        )));
    }
    Ok(saved)
}
