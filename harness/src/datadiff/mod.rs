//! `pgparity data-diff`: the contents of tables on two targets of any engines, compared as
//! typed, canonical values (`canon`), in bounded memory.
//!
//! Tables pair by name, rows by primary key (else a unique key whose columns are all NOT NULL,
//! else the whole row as a multiset). Both sides stream their rows ordered by that key at once
//! (`source`) and are merged in lock-step, so memory holds a few batches per side, whatever the
//! size. There is no hash function both engines compute alike, so ranges cannot be compared
//! by digest on the servers: every row is read once, which is also the least a content
//! comparison can read. Digests serve the snapshot (`snapshot`): per table and per key range,
//! so that a later comparison against it names the ranges that changed, with no second copy
//! of the data.

pub mod canon;
mod snapshot;
pub mod source;

use std::path::PathBuf;

use crate::engine::target::TargetSpec;
use crate::model::error::{Error, Result};
use crate::model::{ColumnDiff, DataReport, Dialect, Pair, Pairing, TableDiff, ValueExample};
use crate::schema::types::{logical, Logical};
use crate::schema::{Schema, Table};
use canon::Value;
pub use source::Row;
use source::{Rows, Source};

/// A validated `data-diff`: two targets, or one target and a snapshot (written from the
/// reference, or compared with the candidate).
pub struct Plan {
    pub reference: Option<TargetSpec>,
    pub candidate: Option<TargetSpec>,
    pub snapshot: Option<PathBuf>,
    /// Only these tables (all user tables when empty).
    pub tables: Vec<String>,
    pub float_tolerance: f64,
    /// Examples kept per column, and missing and extra keys per table.
    pub examples: usize,
}

pub async fn execute(plan: &Plan) -> Result<DataReport> {
    match (&plan.reference, &plan.candidate, &plan.snapshot) {
        (Some(r), Some(c), None) => two_targets(plan, r, c).await,
        (Some(r), None, Some(file)) => snapshot::write(plan, r, file).await,
        (None, Some(c), Some(file)) => snapshot::compare(plan, c, file).await,
        _ => Err(Error::Usage(
            "data-diff takes --reference and --candidate; or --reference and --snapshot FILE (to write it); or \
             --candidate and --snapshot FILE (to compare with it)"
                .into(),
        )),
    }
}

async fn two_targets(plan: &Plan, r: &TargetSpec, c: &TargetSpec) -> Result<DataReport> {
    let (rs, cs) = tokio::join!(Source::open(r), Source::open(c));
    let (mut rs, mut cs) = match (rs, cs) {
        (Ok(a), Ok(b)) => (a, b),
        (a, b) => {
            let mut first = None;
            for side in [a, b] {
                match side {
                    Ok(s) => s.stop().await,
                    Err(e) => {
                        first.get_or_insert(e);
                    }
                }
            }
            return Err(first.expect("one side failed"));
        }
    };
    let result = compare_sources(plan, Pair::new(&mut rs, &mut cs), Pair::new(r, c)).await;
    tokio::join!(rs.stop(), cs.stop());
    result
}

async fn compare_sources(plan: &Plan, sides: Pair<&mut Source>, specs: Pair<&TargetSpec>) -> Result<DataReport> {
    let Pair { reference: rs, candidate: cs } = sides;
    let (rschema, cschema) = tokio::join!(rs.schema(), cs.schema());
    let rschema = rschema.map_err(|e| Error::target(specs.reference, e))?;
    let cschema = cschema.map_err(|e| Error::target(specs.candidate, e))?;
    let mut report = DataReport {
        reference: rs.describe(specs.reference),
        candidate: cs.describe(specs.candidate),
        float_tolerance: plan.float_tolerance,
        ..Default::default()
    };
    let names = selected(plan, &rschema, &cschema)?;
    report.only_reference = names.iter().filter(|n| !cschema.tables.contains_key(*n)).cloned().collect();
    report.only_candidate = if plan.tables.is_empty() {
        cschema.tables.keys().filter(|n| !rschema.tables.contains_key(*n)).cloned().collect()
    } else {
        names.iter().filter(|n| !rschema.tables.contains_key(*n)).cloned().collect()
    };
    let dialects = Pair::new(rs.dialect(), cs.dialect());
    for name in names.iter().filter(|n| rschema.tables.contains_key(*n) && cschema.tables.contains_key(*n)) {
        let tables = Pair::new(&rschema.tables[name], &cschema.tables[name]);
        let layout = Layout::of(name, tables, dialects);
        let mut diff = layout.empty();
        let mut rows =
            Pair::new(rs.rows(name, &layout.columns, &layout.order()), cs.rows(name, &layout.columns, &layout.order()));
        if let Err(e) = merge(plan, &layout, &mut rows, &mut diff).await {
            diff.error = Some(e);
        }
        rs.done(rows.reference).await;
        cs.done(rows.candidate).await;
        report.tables.push(diff);
    }
    Ok(report)
}

/// The tables to compare: the user's (each must exist on a side), or every user table of the
/// reference's.
fn selected(plan: &Plan, r: &Schema, c: &Schema) -> Result<Vec<String>> {
    if plan.tables.is_empty() {
        return Ok(r.tables.keys().cloned().collect());
    }
    let mut out = Vec::new();
    for t in &plan.tables {
        let name = t.to_lowercase();
        if !r.tables.contains_key(&name) && !c.tables.contains_key(&name) {
            return Err(Error::Usage(format!("--table {t}: no such table on either side")));
        }
        out.push(name);
    }
    Ok(out)
}

/// How one table is read and compared: its columns (key first), their logical types, its key.
pub struct Layout {
    pub table: String,
    pub pairing: Pairing,
    /// Compared columns, the key's first.
    pub columns: Vec<String>,
    pub key_len: usize,
    pub logical: Vec<Logical>,
    only: Pair<Vec<String>>,
}

impl Layout {
    fn of(name: &str, tables: Pair<&Table>, dialects: Pair<Dialect>) -> Layout {
        let (r, c) = (tables.reference, tables.candidate);
        let common: Vec<&str> =
            r.columns.iter().map(|col| col.name.as_str()).filter(|n| c.column(n).is_some()).collect();
        let only = Pair::new(
            r.columns.iter().filter(|x| c.column(&x.name).is_none()).map(|x| x.name.clone()).collect(),
            c.columns.iter().filter(|x| r.column(&x.name).is_none()).map(|x| x.name.clone()).collect(),
        );
        let usable = |key: &[String]| !key.is_empty() && key.iter().all(|k| common.contains(&k.as_str()));
        let not_null = |key: &Vec<String>| key.iter().all(|k| r.column(k).is_some_and(|col| col.not_null));
        let (pairing, key) = if usable(&r.primary_key) {
            (Pairing::PrimaryKey, r.primary_key.clone())
        } else if let Some(u) = r.uniques.iter().find(|u| usable(u) && not_null(u)) {
            (Pairing::UniqueKey, u.clone())
        } else {
            (Pairing::WholeRow, common.iter().map(|s| s.to_string()).collect())
        };
        let mut columns = key.clone();
        columns.extend(common.iter().map(|s| s.to_string()).filter(|n| !key.contains(n)));
        let logical = columns
            .iter()
            .map(|n| {
                let declared = |t: &Table| t.column(n).map(|col| col.declared.clone()).unwrap_or_default();
                canon::pick(&logical(dialects.reference, &declared(r)), &logical(dialects.candidate, &declared(c)))
            })
            .collect();
        Layout { table: name.to_string(), pairing, key_len: key.len(), columns, logical, only }
    }

    /// The ORDER BY: each key column, whether it sorts as text (by its bytes), and whether it
    /// may hold NULLs (only a multiset's; a key's columns are NOT NULL, so the key's index serves).
    fn order(&self) -> Vec<source::OrderBy> {
        self.columns[..self.key_len]
            .iter()
            .zip(&self.logical)
            .map(|(c, l)| source::OrderBy {
                column: c.clone(),
                text: matches!(l, Logical::Text | Logical::Uuid | Logical::Other(_)),
                nullable: self.pairing == Pairing::WholeRow,
            })
            .collect()
    }

    fn empty(&self) -> TableDiff {
        TableDiff {
            table: self.table.clone(),
            pairing: Some(self.pairing),
            key: self.columns[..self.key_len].to_vec(),
            only_reference_columns: self.only.reference.clone(),
            only_candidate_columns: self.only.candidate.clone(),
            ..Default::default()
        }
    }

    /// A text row as canonical values.
    pub fn canon(&self, row: &Row) -> Vec<Value> {
        self.logical.iter().enumerate().map(|(i, l)| canon::canon(l, row.text(i).as_deref())).collect()
    }

    /// Its key's canonical values (the whole row's, for a multiset).
    fn canon_key(&self, row: &Row) -> Vec<Value> {
        self.logical
            .iter()
            .take(self.key_len)
            .enumerate()
            .map(|(i, l)| canon::canon(l, row.text(i).as_deref()))
            .collect()
    }

    /// Column `i` of two rows, equal as values (the same text always is).
    fn same(&self, i: usize, a: &Row, b: &Row, tolerance: f64) -> bool {
        a.same_raw(b, i)
            || canon::equal(
                &canon::canon(&self.logical[i], a.text(i).as_deref()),
                &canon::canon(&self.logical[i], b.text(i).as_deref()),
                tolerance,
            )
    }
}

/// `(1, 'a')`.
fn show_key(row: &Row, n: usize) -> String {
    let cells: Vec<String> =
        (0..n.min(row.len())).map(|i| row.text(i).map(|v| format!("'{v}'")).unwrap_or("NULL".into())).collect();
    format!("({})", cells.join(", "))
}

/// One side's next row, canonical, checked to come in key order.
struct Cursor<'a> {
    rows: &'a mut Rows,
    side: &'static str,
    last: Option<Vec<Value>>,
    count: u64,
}

impl Cursor<'_> {
    /// The next row; its key's canonical values are then `self.last`.
    async fn next(&mut self, layout: &Layout) -> std::result::Result<Option<Row>, String> {
        let Some(row) = self.rows.next().await else { return Ok(None) };
        let row = row.map_err(|e| format!("{}: {e}", self.side))?;
        if row.len() != layout.columns.len() {
            return Err(format!("{}: a row of {} values for {} columns", self.side, row.len(), layout.columns.len()));
        }
        let values = layout.canon_key(&row);
        let key = &values[..];
        if let Some(last) = &self.last {
            let ord = canon::order_rows(last, key);
            let in_order = ord.is_lt() || (ord.is_eq() && layout.pairing == Pairing::WholeRow);
            if !in_order {
                return Err(format!(
                    "{}: rows came out of key order at {} (a collation or type this comparison does not order alike)",
                    self.side,
                    show_key(&row, layout.key_len)
                ));
            }
        }
        self.last = Some(values);
        self.count += 1;
        Ok(Some(row))
    }
}

/// Merge both sides' ordered rows into `diff`.
async fn merge(
    plan: &Plan,
    layout: &Layout,
    rows: &mut Pair<Rows>,
    diff: &mut TableDiff,
) -> std::result::Result<(), String> {
    let Pair { reference, candidate } = rows;
    let mut r = Cursor { rows: reference, side: "reference", last: None, count: 0 };
    let mut c = Cursor { rows: candidate, side: "candidate", last: None, count: 0 };
    let (mut a, mut b) = (r.next(layout).await?, c.next(layout).await?);
    let n = layout.key_len;
    let tol = plan.float_tolerance;
    let mut columns: Vec<Option<ColumnDiff>> = vec![None; layout.columns.len()];
    loop {
        let step = match (&a, &b) {
            (None, None) => break,
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(p), Some(q)) => {
                let same_row = layout.pairing == Pairing::WholeRow && (0..n).all(|i| layout.same(i, p, q, tol));
                match (&r.last, &c.last) {
                    _ if same_row => std::cmp::Ordering::Equal,
                    (Some(x), Some(y)) => canon::order_rows(x, y),
                    _ => std::cmp::Ordering::Equal,
                }
            }
        };
        match step {
            std::cmp::Ordering::Less => {
                let row = a.take().expect("some");
                diff.missing += 1;
                if diff.missing_examples.len() < plan.examples {
                    diff.missing_examples.push(show_key(&row, n));
                }
                a = r.next(layout).await?;
            }
            std::cmp::Ordering::Greater => {
                let row = b.take().expect("some");
                diff.extra += 1;
                if diff.extra_examples.len() < plan.examples {
                    diff.extra_examples.push(show_key(&row, n));
                }
                b = c.next(layout).await?;
            }
            std::cmp::Ordering::Equal => {
                let (rrow, crow) = (a.take().expect("some"), b.take().expect("some"));
                let mut changed = false;
                for i in n..layout.columns.len() {
                    if layout.same(i, &rrow, &crow, tol) {
                        continue;
                    }
                    changed = true;
                    let col = columns[i].get_or_insert_with(|| ColumnDiff {
                        column: layout.columns[i].clone(),
                        rows: 0,
                        examples: Vec::new(),
                        hint: None,
                    });
                    col.rows += 1;
                    let (rv, cv) = (rrow.text(i), crow.text(i));
                    if col.hint.is_none() {
                        col.hint = canon::hint(&layout.logical[i], rv.as_deref(), cv.as_deref());
                    }
                    if col.examples.len() < plan.examples {
                        col.examples.push(ValueExample {
                            key: show_key(&rrow, n),
                            reference: rv.map(|v| v.into_owned()),
                            candidate: cv.map(|v| v.into_owned()),
                        });
                    }
                }
                diff.changed += u64::from(changed);
                a = r.next(layout).await?;
                b = c.next(layout).await?;
            }
        }
    }
    diff.rows = Pair::new(r.count, c.count);
    diff.columns = columns.into_iter().flatten().collect();
    Ok(())
}
