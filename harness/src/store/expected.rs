//! `expected/`: the reference outcome of every workload, one JSON file each, deterministic (no
//! timestamps, fixed key order) so that re-recording an unchanged workload changes no byte.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::error::{Error, Result};
use crate::model::Outcome;
use crate::model::Recording;
use crate::model::ReferenceRun;
use crate::model::{Step, Workload};

pub const FORMAT: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedFile {
    format: u32,
    workload: String,
    /// `server_version` of the reference that produced this file.
    reference: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    not_tested: Option<String>,
    #[serde(default)]
    setup: Vec<Entry>,
    #[serde(default)]
    steps: Vec<Entry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rewrite: Option<RewriteEntries>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RewriteEntries {
    setup: Vec<Entry>,
    steps: Vec<Entry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    session: Option<String>,
    sql: String,
    #[serde(flatten)]
    outcome: Outcome,
}

pub fn path_for(dir: &Path, w: &Workload) -> PathBuf {
    dir.join(format!("{}.json", w.id))
}

/// Rows whose order is not part of the result (no top-level ORDER BY) are written sorted: they
/// compare as a multiset, and a server may return them in another order from run to run.
fn entries(steps: &[Step], outcomes: &[Outcome]) -> Vec<Entry> {
    steps
        .iter()
        .zip(outcomes)
        .map(|(s, o)| {
            let mut outcome = o.clone();
            if !s.ordered() {
                outcome.rows.sort();
            }
            Entry { session: s.session.clone(), sql: s.sql.clone(), outcome }
        })
        .collect()
}

/// Render the expected file of a workload.
pub fn render(w: &Workload, version: &str, run: &ReferenceRun) -> String {
    let file = ExpectedFile {
        format: FORMAT,
        workload: w.id.clone(),
        reference: version.to_string(),
        not_tested: run.not_tested.clone(),
        setup: entries(&w.setup, &run.original.setup),
        steps: entries(&w.steps, &run.original.steps),
        rewrite: match (&w.rewrite, &run.rewrite) {
            (Some(spec), Some(rec)) => Some(RewriteEntries {
                setup: entries(&spec.setup, &rec.setup),
                steps: entries(&spec.steps, &rec.steps),
            }),
            _ => None,
        },
    };
    super::json::to_string(&file)
}

pub fn write(dir: &Path, w: &Workload, version: &str, run: &ReferenceRun) -> Result<()> {
    let path = path_for(dir, w);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    super::write_atomically(&path, &render(w, version, run))
}

/// Load the saved reference outcome of a workload, checking it was recorded from the same SQL.
pub fn load(dir: &Path, w: &Workload) -> Result<(ReferenceRun, String)> {
    let path = path_for(dir, w);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::Usage(format!(
                "{}: no saved reference outcome for workload `{}`; run `pgparity record` first",
                path.display(),
                w.id
            ))
        } else {
            Error::io(&path, e)
        }
    })?;
    let file: ExpectedFile = serde_json::from_str(&text)
        .map_err(|e| Error::Usage(format!("{}:{}:{}: {}", path.display(), e.line(), e.column(), e)))?;
    if file.format != FORMAT {
        return Err(Error::Usage(format!("{}: format {} is not {FORMAT}; re-record", path.display(), file.format)));
    }
    let stale = |what: &str| {
        Error::Usage(format!(
            "{} is stale: {what} changed in {} since it was recorded; run `pgparity record`",
            path.display(),
            w.path.display()
        ))
    };
    if file.not_tested.is_none() {
        check_same(&w.setup, &file.setup).map_err(|i| stale(&format!("setup statement {i}")))?;
        check_same(&w.steps, &file.steps).map_err(|i| stale(&format!("step {i}")))?;
        if let (Some(spec), Some(rw)) = (&w.rewrite, &file.rewrite) {
            check_same(&spec.setup, &rw.setup).map_err(|i| stale(&format!("rewrite setup statement {i}")))?;
            check_same(&spec.steps, &rw.steps).map_err(|i| stale(&format!("rewrite step {i}")))?;
        }
        if w.rewrite.is_some() != file.rewrite.is_some() {
            return Err(stale("the rewrite"));
        }
    }
    let take = |entries: Vec<Entry>| entries.into_iter().map(|e| e.outcome).collect::<Vec<_>>();
    let run = ReferenceRun {
        not_tested: file.not_tested,
        original: Recording { setup: take(file.setup), steps: take(file.steps) },
        rewrite: file.rewrite.map(|rw| Recording { setup: take(rw.setup), steps: take(rw.steps) }),
    };
    Ok((run, file.reference))
}

/// Err(1-based index) of the first statement that differs (or count mismatch).
fn check_same(steps: &[Step], entries: &[Entry]) -> std::result::Result<(), usize> {
    for (i, step) in steps.iter().enumerate() {
        match entries.get(i) {
            Some(e) if e.sql == step.sql && e.session == step.session => {}
            _ => return Err(i + 1),
        }
    }
    if entries.len() > steps.len() {
        return Err(steps.len() + 1);
    }
    Ok(())
}
