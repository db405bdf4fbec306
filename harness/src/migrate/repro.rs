//! A repro per drift: the migrations it needs — delta debugging over the versions before the
//! one where it appears (that one always stays), each trial on fresh databases on both sides —
//! and the catalog queries (or the probe) that show it, written as one script per side that its
//! engine's own shell replays (`psql -f`, `sqlite3 db < file`), with a bug-report body.

use std::path::Path;
use std::time::{Duration, Instant};

use super::tree::Migration;
use super::{compare_probes, open_both, probe, tree, Plan, Side};
use crate::engine::Engine;
use crate::model::error::Result;
use crate::model::{Dialect, Drift, DriftKind, MigrationResult, Pair};
use crate::reduce::ddmin::{ddmin, Budget, Oracle};
use crate::schema::diff::{diff, Read};

/// Each drift's reduction: at most this many trials and this long.
const BUDGET: Budget = Budget { trials: 200, time: Duration::from_secs(60) };
/// All of them together: what is left is reported unreduced.
const TOTAL: Duration = Duration::from_secs(300);

type Version<'a> = (String, Option<&'a Migration>, Option<&'a Migration>);

/// Reduce every drift that appears at a version, write its repro under `dir`, and link it from
/// that version's result.
pub(super) async fn reduce_all<R: Engine, C: Engine>(
    plan: &Plan,
    r: &mut R,
    c: &mut C,
    results: &mut [MigrationResult],
    dir: &Path,
) -> Result<()> {
    let all: Vec<Version<'_>> = tree::pair(&plan.trees.reference, &plan.trees.candidate);
    let started = Instant::now();
    for (k, result) in results.iter_mut().enumerate() {
        let mut done: Vec<(DriftKind, String)> = Vec::new();
        for drift in result.drifts.clone() {
            // Reduction keeps a drift's kind and object: one repro serves drifts that share them.
            if done.contains(&(drift.kind, drift.object.clone())) {
                continue;
            }
            done.push((drift.kind, drift.object.clone()));
            if started.elapsed() > TOTAL {
                return Ok(());
            }
            let mut trials =
                Trials { plan, r: &mut *r, c: &mut *c, earlier: &all[..k], at: &all[k], drift: &drift, turn: 0 };
            let reduced = ddmin(k, &mut trials, BUDGET).await;
            let kept: Vec<&Version<'_>> =
                reduced.kept.iter().map(|&i| &all[i]).chain(std::iter::once(&all[k])).collect();
            let path = write(plan, dir, &result.version, &drift, &kept, (r.dialect(), c.dialect()), reduced.minimal)?;
            result.repros.push(path);
        }
    }
    Ok(())
}

/// Replays a subset of the earlier versions, then the drift's own, and tells whether the drift
/// (its kind and object) is still there.
struct Trials<'a, 'v, R: Engine, C: Engine> {
    plan: &'a Plan,
    r: &'a mut R,
    c: &'a mut C,
    earlier: &'a [Version<'v>],
    at: &'a Version<'v>,
    drift: &'a Drift,
    turn: usize,
}

impl<R: Engine, C: Engine> Trials<'_, '_, R, C> {
    async fn shows(&mut self, subset: &[usize]) -> bool {
        self.turn += 1;
        let slate = format!("pgparity_migrate_trial_{}", self.turn % 2);
        let Ok((mut rs, mut cs)) = open_both(self.plan, &mut *self.r, &mut *self.c, &slate).await else { return false };
        let versions = subset.iter().map(|&i| &self.earlier[i]).chain(std::iter::once(self.at));
        for (_, rm, cm) in versions {
            if let Some(m) = rm {
                let _ = rs.apply(m, self.plan.timeout).await;
            }
            if let Some(m) = cm {
                let _ = cs.apply(m, self.plan.timeout).await;
            }
        }
        let found = found(self.plan, &mut rs, &mut cs, self.drift).await;
        tokio::join!(rs.close(), cs.close());
        found
    }
}

/// Is `drift` (its kind and object) there on these two databases?
async fn found<R: Engine, C: Engine>(plan: &Plan, rs: &mut Side<'_, R>, cs: &mut Side<'_, C>, drift: &Drift) -> bool {
    let (Ok(a), Ok(b)) = (rs.snapshot(plan.timeout).await, cs.snapshot(plan.timeout).await) else { return false };
    let same = |d: &Drift| d.kind == drift.kind && d.object == drift.object;
    if drift.kind != DriftKind::Enforcement {
        let drifts =
            diff(Read { schema: &a, dialect: rs.dialect }, Read { schema: &b, dialect: cs.dialect }, &plan.equivalence);
        return drifts.iter().any(same);
    }
    let tables = a.tables.keys().cloned().collect();
    let probes = probe::probes(&a, rs.dialect, &tables);
    let (rseen, cseen) = tokio::join!(rs.probe(&probes, plan.timeout), cs.probe(&probes, plan.timeout));
    compare_probes(&probes, &rseen, &cseen).iter().flat_map(|(_, d)| d).any(same)
}

impl<R: Engine, C: Engine> Oracle for Trials<'_, '_, R, C> {
    async fn test_all(&mut self, subsets: &[Vec<usize>]) -> Vec<bool> {
        let mut out = Vec::with_capacity(subsets.len());
        for s in subsets {
            out.push(self.shows(s).await);
        }
        out
    }
}

/// The table a drift is about (`table.column` → `table`; a probe's description names it second
/// or after `of`).
fn table_of(drift: &Drift) -> String {
    let object = drift.object.as_str();
    if drift.kind != DriftKind::Enforcement {
        return object.split('.').next().unwrap_or(object).to_string();
    }
    let words: Vec<&str> = object.split_whitespace().collect();
    let name = match words.as_slice() {
        ["a", "valid", "row", "of", t, ..] => t,
        ["NOT", "NULL", t, ..] | ["ON", "DELETE", "CASCADE", t, ..] => t,
        ["primary", "key", t, ..] | ["foreign", "key", t, ..] => t,
        [_, t, ..] => t,
        _ => &object,
    };
    name.trim_end_matches(':').split('.').next().unwrap_or(name).to_string()
}

/// The catalog queries that show a drift's object on `dialect`.
fn introspection(dialect: Dialect, drift: &Drift) -> Vec<String> {
    let t = table_of(drift);
    match (dialect, drift.kind) {
        (Dialect::Postgres, DriftKind::View) => vec!["SELECT viewname, definition FROM pg_views WHERE schemaname = current_schema();".into()],
        (Dialect::Postgres, DriftKind::Trigger) => vec!["SELECT tgrelid::regclass, tgname FROM pg_trigger WHERE NOT tgisinternal;".into()],
        (Dialect::Postgres, DriftKind::Index) => vec![format!("SELECT indexdef FROM pg_indexes WHERE tablename = '{t}' ORDER BY indexname;")],
        (Dialect::Postgres, DriftKind::PrimaryKey | DriftKind::Unique | DriftKind::ForeignKey | DriftKind::Check) => {
            vec![format!("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = '{t}'::regclass ORDER BY conname;")]
        }
        (Dialect::Postgres, _) => vec![format!(
            "SELECT column_name, data_type, character_maximum_length, is_nullable, column_default FROM information_schema.columns WHERE table_name = '{t}' ORDER BY ordinal_position;"
        )],
        (Dialect::Sqlite, DriftKind::View | DriftKind::Trigger) => {
            vec!["SELECT type, name, sql FROM sqlite_schema WHERE type IN ('view', 'trigger');".into()]
        }
        (Dialect::Sqlite, DriftKind::Index) => vec![format!("SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = '{t}';")],
        (Dialect::Sqlite, DriftKind::ForeignKey) => vec![format!("SELECT * FROM pragma_foreign_key_list('{t}');")],
        (Dialect::Sqlite, _) => vec![
            format!("SELECT sql FROM sqlite_schema WHERE name = '{t}';"),
            format!("SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info('{t}');"),
        ],
    }
}

/// What an enforcement drift's probe ran: its setup and statement, from the drift's evidence.
fn probe_statement(drift: &Drift) -> Option<String> {
    let statement = drift.reference.rsplit_once(": ").map(|(s, _)| s)?;
    Some(format!("{statement};"))
}

fn slug(text: &str) -> String {
    let s: String =
        text.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    let mut out = String::new();
    for part in s.split('-').filter(|p| !p.is_empty()) {
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(part);
    }
    out.chars().take(60).collect()
}

/// The repro: a folder with each side's script and a bug-report body; its path, below the
/// output folder.
fn write(
    plan: &Plan,
    dir: &Path,
    version: &str,
    drift: &Drift,
    kept: &[&Version<'_>],
    dialects: (Dialect, Dialect),
    minimal: bool,
) -> Result<String> {
    let id = format!("migrate-v{}-{}-{}", slug(version), slug(&drift.kind.to_string()), slug(&drift.object));
    let folder = dir.join(&id);
    let sides = Pair::new(("reference", dialects.0, &plan.reference), ("candidate", dialects.1, &plan.candidate));
    for ((label, dialect, target), pick) in [(sides.reference, 0usize), (sides.candidate, 1)] {
        let mut script = format!(
            "-- pgparity migrate repro: {} {} first appears at version {version}\n-- {label}: {target} ({dialect})\n-- replay: {}\n",
            drift.kind,
            drift.object,
            match dialect {
                Dialect::Postgres => format!("psql -X -f {label}.sql (in a fresh database)"),
                Dialect::Sqlite => format!("sqlite3 fresh.db < {label}.sql"),
            }
        );
        for (v, rm, cm) in kept {
            let m = if pick == 0 { rm } else { cm };
            match m {
                Some(m) => script.push_str(&format!("\n-- version {v}: {}\n{}\n", m.path.display(), m.sql.trim_end())),
                None => script.push_str(&format!("\n-- version {v}: (none in this tree)\n")),
            }
        }
        script.push_str("\n-- what shows it:\n");
        match (drift.kind, probe_statement(drift)) {
            (DriftKind::Enforcement, Some(statement)) => {
                script.push_str(&format!(
                    "-- the reference's result: {}\n",
                    drift.reference.rsplit_once(": ").map_or("", |(_, r)| r)
                ));
                script.push_str(&format!("-- the candidate's result: {}\n{statement}\n", drift.candidate));
            }
            _ => {
                for q in introspection(dialect, drift) {
                    script.push_str(&q);
                    script.push('\n');
                }
            }
        }
        crate::store::write_atomically(&folder.join(format!("{label}.sql")), &script)?;
    }
    let versions: Vec<&str> = kept.iter().map(|(v, _, _)| v.as_str()).collect();
    let md = format!(
        "# {} drift on `{}` at version {version}\n\nReference: {} · Candidate: {}\n\n| | value |\n|---|---|\n| reference | {} |\n| candidate | {} |\n\nThe versions it needs: {}{}.\n\nReplay: `reference.sql` and `candidate.sql` beside this file, each in a fresh database of its engine.\n",
        drift.kind,
        drift.object,
        plan.reference,
        plan.candidate,
        crate::export::markdown::cell(&drift.reference),
        crate::export::markdown::cell(&drift.candidate),
        versions.join(", "),
        if minimal { " (1-minimal)" } else { " (the reduction's budget ran out first)" }
    );
    crate::store::write_atomically(&folder.join("README.md"), &md)?;
    Ok(format!("repros/{id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drift(kind: DriftKind, object: &str) -> Drift {
        Drift { object: object.into(), kind, reference: "x".into(), candidate: "y".into() }
    }

    #[test]
    fn a_drift_names_its_table() {
        assert_eq!(table_of(&drift(DriftKind::Nullability, "users.email")), "users");
        assert_eq!(table_of(&drift(DriftKind::Check, "budgets")), "budgets");
        assert_eq!(table_of(&drift(DriftKind::Enforcement, "length routes.name ≤ 64")), "routes");
        assert_eq!(table_of(&drift(DriftKind::Enforcement, "foreign key notebooks (owner_id) → users")), "notebooks");
        assert_eq!(table_of(&drift(DriftKind::Enforcement, "check orders: qty > 0")), "orders");
        assert_eq!(table_of(&drift(DriftKind::Enforcement, "a valid row of orders")), "orders");
        assert_eq!(slug("length routes.name ≤ 64"), "length-routes-name-64");
    }
}
