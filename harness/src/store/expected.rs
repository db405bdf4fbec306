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
    /// How the step is sent besides its SQL (protocol, parameters, named statement, row limit,
    /// COPY data), as a digest; absent for a plain step. A change makes the file stale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sent: Option<String>,
    #[serde(flatten)]
    outcome: Outcome,
}

/// The digest of what a step sends besides its SQL; `None` for a plain step (the SQL alone).
fn sent(step: &Step) -> Option<String> {
    if step.protocol.is_none() && step.bind.is_none() && step.copy_data.is_none() {
        return None;
    }
    let opt = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    let mut canonical = format!("protocol={}\n", opt(step.protocol.map(|p| format!("{p:?}"))));
    if let Some(b) = &step.bind {
        canonical.push_str(&format!(
            "statement={}\nfetch={}\n",
            opt(b.statement.clone()),
            opt(b.fetch.map(|f| f.to_string()))
        ));
        for p in &b.params {
            let value = p.value.as_ref().map_or("NULL".to_string(), |v| format!("{}:{v}", v.len()));
            canonical.push_str(&format!("param={}={value}\n", opt(p.type_name.clone())));
        }
    }
    if let Some(data) = &step.copy_data {
        canonical.push_str(&format!("copy={}:{data}", data.len()));
    }
    // FNV-1a, 64 bits: stable across builds and platforms.
    let hash = canonical.bytes().fold(0xcbf29ce484222325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100000001b3));
    Some(format!("{hash:016x}"))
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
            Entry { session: s.session.clone(), sql: s.sql.clone(), sent: sent(s), outcome }
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
        from_file: false,
    };
    Ok((run, file.reference))
}

/// Err(1-based index) of the first statement that differs (or count mismatch).
fn check_same(steps: &[Step], entries: &[Entry]) -> std::result::Result<(), usize> {
    for (i, step) in steps.iter().enumerate() {
        match entries.get(i) {
            Some(e) if e.sql == step.sql && e.session == step.session && e.sent == sent(step) => {}
            _ => return Err(i + 1),
        }
    }
    if entries.len() > steps.len() {
        return Err(steps.len() + 1);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_workload(dir: &Path, text: &str) -> Workload {
        let path = dir.join("w.yaml");
        std::fs::write(&path, text).unwrap();
        crate::workload::load_all(&[path]).expect("valid").remove(0)
    }

    /// The saved file must name what each step sent, not only its SQL: parameters, COPY data
    /// and protocol changed after recording make it stale.
    #[test]
    fn a_change_in_what_a_step_sends_makes_the_file_stale() {
        let dir = tempfile::tempdir().unwrap();
        let original = "feature: f\narea: a\nsteps:\n  - sql: SELECT $1::int\n    params: [41]\n  - sql: COPY t FROM STDIN\n    copy_data: \"1\\n\"\n  - sql: SELECT 1\n    protocol: extended\n  - sql: SELECT 2\n";
        let w = load_workload(dir.path(), original);
        let run = ReferenceRun {
            not_tested: None,
            original: Recording { setup: vec![], steps: vec![Outcome::default(); 4] },
            ..Default::default()
        };
        let saved = dir.path().join("expected");
        write(&saved, &w, "15", &run).unwrap();
        let text = std::fs::read_to_string(path_for(&saved, &w)).unwrap();
        assert_eq!(text.matches("\"sent\"").count(), 3, "a plain step's entry is as before: {text}");
        assert!(load(&saved, &w).is_ok());
        for (changed, step) in [
            (original.replace("[41]", "[42]"), 1),
            (original.replace("\"1\\n\"", "\"2\\n\""), 2),
            (original.replace("protocol: extended", "protocol: simple"), 3),
        ] {
            let edited = load_workload(dir.path(), &changed);
            let err = load(&saved, &edited).expect_err("stale").to_string();
            assert!(err.contains(&format!("is stale: step {step} changed")), "{err}");
        }
    }
}
