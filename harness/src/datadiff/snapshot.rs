//! `--snapshot FILE`: per-table digests of one side — of every row, and of each range of
//! `RANGE` rows in key order — so that comparing a side with the file later proves nothing
//! changed, or names the key ranges that did, without a second copy of the data.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{canon, selected, Layout, Source};
use crate::engine::target::TargetSpec;
use crate::model::error::{Error, Result};
use crate::model::{DataReport, Dialect, Pair, Pairing, TableDiff};
use crate::schema::Table;

/// Rows per digested range.
const RANGE: u64 = 4096;
const FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct File {
    format: u32,
    /// The side it was taken of.
    target: String,
    dialect: String,
    tables: Vec<SnapTable>,
}

#[derive(Serialize, Deserialize)]
struct SnapTable {
    table: String,
    pairing: Pairing,
    key: Vec<String>,
    /// Compared columns (the key's first) and their declared types.
    columns: Vec<String>,
    declared: Vec<String>,
    rows: u64,
    digest: String,
    ranges: Vec<SnapRange>,
}

#[derive(Serialize, Deserialize)]
struct SnapRange {
    /// The range's last key, as text.
    last: Vec<Option<String>>,
    rows: u64,
    digest: String,
}

fn hex(h: Sha256) -> String {
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn dialect_name(d: Dialect) -> &'static str {
    match d {
        Dialect::Postgres => "postgres",
        Dialect::Sqlite => "sqlite",
    }
}

/// Take the reference's snapshot into `file`.
pub async fn write(plan: &super::Plan, spec: &TargetSpec, file: &Path) -> Result<DataReport> {
    let mut side = Source::open(spec).await?;
    let result = write_from(plan, spec, &mut side, file).await;
    side.stop().await;
    result
}

async fn write_from(plan: &super::Plan, spec: &TargetSpec, side: &mut Source, file: &Path) -> Result<DataReport> {
    let schema = side.schema().await.map_err(|e| Error::target(spec, e))?;
    let dialect = side.dialect();
    let mut report = DataReport {
        reference: side.describe(spec),
        candidate: format!("snapshot {}", file.display()),
        float_tolerance: plan.float_tolerance,
        snapshot_written: Some(file.display().to_string()),
        ..Default::default()
    };
    let mut tables = Vec::new();
    for name in selected(plan, &schema, &schema)? {
        let Some(t) = schema.tables.get(&name) else {
            report.only_candidate.push(name);
            continue;
        };
        let layout = Layout::of(&name, Pair::new(t, t), Pair::new(dialect, dialect));
        let mut rows = side.rows(&name, &layout.columns, &layout.order());
        let digested = digest(&layout, &mut rows).await;
        side.done(rows).await;
        let mut diff = layout.empty();
        match digested {
            Ok(snap) => {
                diff.rows = Pair::new(snap.rows, snap.rows);
                tables.push(SnapTable { declared: declared(&layout, t), ..snap });
            }
            Err(e) => diff.error = Some(e),
        }
        report.tables.push(diff);
    }
    let content = File { format: FORMAT, target: spec.to_string(), dialect: dialect_name(dialect).into(), tables };
    crate::store::write_atomically(file, &crate::store::json::to_string(&content))?;
    Ok(report)
}

fn declared(layout: &Layout, t: &Table) -> Vec<String> {
    layout.columns.iter().map(|c| t.column(c).map(|col| col.declared.clone()).unwrap_or_default()).collect()
}

/// Digest a side's rows: the whole table, and each range of `RANGE` rows.
async fn digest(layout: &Layout, rows: &mut super::Rows) -> std::result::Result<SnapTable, String> {
    let (mut all, mut range) = (Sha256::new(), Sha256::new());
    let (mut count, mut in_range) = (0u64, 0u64);
    let mut ranges = Vec::new();
    let mut bytes = Vec::new();
    let mut last: Option<super::Row> = None;
    let key = |row: &Option<super::Row>| row.as_ref().map(|r| r.texts()[..layout.key_len].to_vec()).unwrap_or_default();
    while let Some(row) = rows.next().await {
        let row = row?;
        bytes.clear();
        for v in layout.canon(&row) {
            canon::digest_bytes(&v, &mut bytes);
        }
        all.update(&bytes);
        range.update(&bytes);
        count += 1;
        in_range += 1;
        last = Some(row);
        if in_range == RANGE {
            let done = std::mem::replace(&mut range, Sha256::new());
            ranges.push(SnapRange { last: key(&last), rows: in_range, digest: hex(done) });
            in_range = 0;
        }
    }
    if in_range > 0 {
        ranges.push(SnapRange { last: key(&last), rows: in_range, digest: hex(range) });
    }
    Ok(SnapTable {
        table: layout.table.clone(),
        pairing: layout.pairing,
        key: layout.columns[..layout.key_len].to_vec(),
        columns: layout.columns.clone(),
        declared: Vec::new(),
        rows: count,
        digest: hex(all),
        ranges,
    })
}

/// Compare the candidate with a snapshot.
pub async fn compare(plan: &super::Plan, spec: &TargetSpec, file: &Path) -> Result<DataReport> {
    let text = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
    let snap: File = serde_json::from_str(&text).map_err(|e| Error::Workload {
        location: crate::model::Location { file: file.to_path_buf(), line: e.line(), column: e.column() },
        message: format!("not a data-diff snapshot: {e}"),
    })?;
    if snap.format != FORMAT {
        return Err(Error::Usage(format!(
            "{}: snapshot format {} (this pgparity reads {FORMAT})",
            file.display(),
            snap.format
        )));
    }
    let mut side = Source::open(spec).await?;
    let result = compare_with(plan, spec, &mut side, &snap, file).await;
    side.stop().await;
    result
}

async fn compare_with(
    plan: &super::Plan,
    spec: &TargetSpec,
    side: &mut Source,
    snap: &File,
    file: &Path,
) -> Result<DataReport> {
    let schema = side.schema().await.map_err(|e| Error::target(spec, e))?;
    let dialect = side.dialect();
    let then = if snap.dialect == "sqlite" { Dialect::Sqlite } else { Dialect::Postgres };
    let mut report = DataReport {
        reference: format!("snapshot {} (of {})", file.display(), snap.target),
        candidate: side.describe(spec),
        float_tolerance: plan.float_tolerance,
        ..Default::default()
    };
    let wanted = |t: &str| plan.tables.is_empty() || plan.tables.iter().any(|w| w.to_lowercase() == t);
    for s in snap.tables.iter().filter(|s| wanted(&s.table)) {
        let Some(t) = schema.tables.get(&s.table) else {
            report.only_reference.push(s.table.clone());
            continue;
        };
        let mut diff =
            TableDiff { table: s.table.clone(), pairing: Some(s.pairing), key: s.key.clone(), ..Default::default() };
        diff.only_reference_columns = s.columns.iter().filter(|c| t.column(c).is_none()).cloned().collect();
        if !diff.only_reference_columns.is_empty() {
            report.tables.push(diff);
            continue;
        }
        let logical = s
            .columns
            .iter()
            .zip(&s.declared)
            .map(|(c, d)| {
                let now = t.column(c).map(|col| col.declared.clone()).unwrap_or_default();
                canon::pick(&crate::schema::types::logical(then, d), &crate::schema::types::logical(dialect, &now))
            })
            .collect();
        let layout = Layout {
            table: s.table.clone(),
            pairing: s.pairing,
            columns: s.columns.clone(),
            key_len: s.key.len(),
            logical,
            only: Pair::default(),
        };
        let mut rows = side.rows(&s.table, &layout.columns, &layout.order());
        let now = digest_against(&layout, &mut rows, s).await;
        side.done(rows).await;
        match now {
            Ok((count, ranges)) => {
                diff.rows = Pair::new(s.rows, count);
                diff.ranges = ranges;
            }
            Err(e) => diff.error = Some(e),
        }
        report.tables.push(diff);
    }
    Ok(report)
}

/// The side's rows digested in the snapshot's ranges (by their last keys): the ranges whose
/// digest or row count differs, described.
async fn digest_against(
    layout: &Layout,
    rows: &mut super::Rows,
    s: &SnapTable,
) -> std::result::Result<(u64, Vec<String>), String> {
    let n = layout.key_len;
    let bounds: Vec<Vec<canon::Value>> = s
        .ranges
        .iter()
        .map(|r| r.last.iter().zip(&layout.logical).map(|(v, l)| canon::canon(l, v.as_deref())).collect())
        .collect();
    let show = |k: &[Option<String>]| {
        let cells: Vec<String> =
            k.iter().map(|v| v.as_deref().map(|v| format!("'{v}'")).unwrap_or("NULL".into())).collect();
        format!("({})", cells.join(", "))
    };
    let mut out = Vec::new();
    let (mut i, mut count, mut in_range) = (0usize, 0u64, 0u64);
    let mut range = Sha256::new();
    let mut bytes = Vec::new();
    let close = |i: usize, h: Sha256, rows: u64, out: &mut Vec<String>| {
        let Some(r) = s.ranges.get(i) else {
            out.push(format!("after the last key of the snapshot: {rows} row(s) now"));
            return;
        };
        let digest = hex(h);
        if digest != r.digest || rows != r.rows {
            let from =
                if i == 0 { "the first key".to_string() } else { format!("after {}", show(&s.ranges[i - 1].last)) };
            out.push(format!("{from} up to {}: {} row(s) then, {rows} now, contents differ", show(&r.last), r.rows));
        }
    };
    while let Some(row) = rows.next().await {
        let row = row?;
        let values = layout.canon(&row);
        while i < bounds.len() && canon::order_rows(&values[..n], &bounds[i]).is_gt() {
            close(i, std::mem::replace(&mut range, Sha256::new()), in_range, &mut out);
            i += 1;
            in_range = 0;
        }
        bytes.clear();
        for v in &values {
            canon::digest_bytes(v, &mut bytes);
        }
        range.update(&bytes);
        count += 1;
        in_range += 1;
    }
    if in_range > 0 || i < bounds.len() {
        close(i, range, in_range, &mut out);
        i += 1;
    }
    while i < bounds.len() {
        close(i, Sha256::new(), 0, &mut out);
        i += 1;
    }
    Ok((count, out))
}
