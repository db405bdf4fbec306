//! `pgparity migrate`: a migration history applied on two engines (one tree on both, or one
//! tree per backend, paired by version), each version atomically, and after every version both
//! schemas read back from the engines themselves and diffed through the type-equivalence table.
//! Then the history's invariants: re-running it on the up-to-date database changes nothing,
//! and a baseline (squashed) schema, when given, equals the upgraded one.

pub mod probe;
mod repro;
pub mod tree;

use std::path::PathBuf;
use std::time::Duration;

use crate::engine::any::AnyEngine;
use crate::engine::target::TargetSpec;
use crate::engine::{Connection, Engine};
use crate::model::error::{Error, Location, Result};
use crate::model::{
    Dialect, Drift, Invariant, MigrationReport, MigrationResult, MigrationStatus, Order, Outcome, Pair, Protocol,
    TargetReport, TreeInfo,
};
use crate::schema::diff::{diff, Read};
use crate::schema::types::Equivalence;
use crate::schema::{introspect, Schema};
use tree::{Migration, Tree};

/// A validated `migrate`.
pub struct Plan {
    pub reference: TargetSpec,
    pub candidate: TargetSpec,
    /// The reference's tree and the candidate's (the same tree twice when one is given).
    pub trees: Pair<Tree>,
    pub equivalence: Equivalence,
    pub timeout: Duration,
    /// A table the migration tool records applied versions in: a re-run must add no row.
    pub history_table: Option<String>,
    /// Baseline (squashed) schema files: a fresh install from them must equal the upgraded schema.
    pub baseline: Pair<Option<PathBuf>>,
    /// Where a repro per drift is written (`None`: no reduction).
    pub repros: Option<PathBuf>,
}

/// The slate a history is applied on (and the re-run, on the same database).
const SLATE: &str = "pgparity_migrate";
const BASELINE_SLATE: &str = "pgparity_migrate_baseline";

/// One side: its engine and the connection a history is applied on.
pub(crate) struct Side<'e, E: Engine> {
    engine: &'e mut E,
    conn: E::Conn,
    pub dialect: Dialect,
}

/// What applying one migration did on one side.
pub(crate) struct Applied {
    /// The failing statement's location and error.
    pub error: Option<String>,
    /// It ran inside a transaction of ours (a failure rolled everything back).
    pub atomic: bool,
}

impl<'e, E: Engine> Side<'e, E> {
    /// A slate already open on `engine`, and its connection.
    pub(crate) fn on(engine: &'e mut E, conn: E::Conn) -> Side<'e, E> {
        let dialect = engine.dialect();
        Side { engine, conn, dialect }
    }

    /// Keep the slate as a template (`Engine::keep`).
    pub(crate) async fn keep(self) -> std::result::Result<(), String> {
        self.engine.keep(self.conn).await
    }

    /// A fresh slate named `slate` on `engine`.
    pub(crate) async fn open(engine: &'e mut E, slate: &str) -> std::result::Result<Side<'e, E>, String> {
        let conn = engine.open(slate, crate::engine::Beside::Next(None)).await?;
        let dialect = engine.dialect();
        Ok(Side { engine, conn, dialect })
    }

    async fn exec(&mut self, sql: &str, location: Location, timeout: Duration) -> Outcome {
        let mut step = crate::workload::step(sql.to_string(), Order::Auto, location);
        step.protocol = Some(Protocol::Simple);
        let request = self.engine.request(&step).await;
        let raw = self.conn.send(&request, timeout).await;
        self.engine.settle(&step, raw, &mut self.conn).await
    }

    /// The schema as the engine's own catalog describes it.
    pub(crate) async fn snapshot(&mut self, timeout: Duration) -> std::result::Result<Schema, String> {
        let mut results = Vec::new();
        for sql in introspect::queries(self.dialect) {
            let here = Location { file: PathBuf::from("(introspection)"), line: 1, column: 1 };
            let o = self.exec(sql, here, timeout).await;
            if let Some(e) = &o.error {
                return Err(format!("reading the schema: {} {}", e.code, e.message));
            }
            if let Some(f) = &o.fault {
                return Err(format!("reading the schema: {f}"));
            }
            results.push(o.rows);
        }
        Ok(introspect::build(self.dialect, &results))
    }

    /// A migration's statements, in one transaction of ours unless the file manages its own
    /// or holds a statement that cannot run inside one.
    pub(crate) async fn apply(&mut self, m: &Migration, timeout: Duration) -> Result<Applied> {
        let statements = statements(self.dialect, m)?;
        let atomic = !statements.iter().any(|(_, sql)| controls_transactions(sql));
        let at = |line: usize, column: usize| Location { file: m.path.clone(), line, column };
        if atomic {
            self.exec("BEGIN", at(m.first_line, 1), timeout).await;
        }
        for ((line, column), sql) in &statements {
            let o = self.exec(sql, at(*line, *column), timeout).await;
            let failure = match (&o.error, &o.fault) {
                (Some(e), _) => Some(format!("{}:{line}:{column}: {} {}", m.path.display(), e.code, e.message)),
                (None, Some(f)) => Some(format!("{}:{line}:{column}: {f}", m.path.display())),
                _ => None,
            };
            if let Some(error) = failure {
                if atomic {
                    self.exec("ROLLBACK", at(m.first_line, 1), timeout).await;
                }
                return Ok(Applied { error: Some(error), atomic });
            }
        }
        if atomic {
            let o = self.exec("COMMIT", at(m.first_line, 1), timeout).await;
            if let Some(e) = o.error {
                let error = format!("{}: COMMIT: {} {}", m.path.display(), e.code, e.message);
                return Ok(Applied { error: Some(error), atomic });
            }
        }
        Ok(Applied { error: None, atomic })
    }

    /// Apply the whole tree again on the up-to-date database: what changed against `upgraded`.
    async fn rerun(&mut self, tree: &Tree, upgraded: &Schema, plan: &Plan) -> Result<Vec<Drift>> {
        for m in &tree.migrations {
            self.apply(m, plan.timeout).await?;
        }
        let now = self.snapshot(plan.timeout).await.map_err(Error::Usage)?;
        let dialect = self.dialect;
        Ok(diff(Read { schema: upgraded, dialect }, Read { schema: &now, dialect }, &plan.equivalence))
    }

    /// Run each probe in a savepoint of one transaction that is rolled back: what it did.
    async fn probe(&mut self, probes: &[probe::Probe], timeout: Duration) -> Vec<Seen> {
        let here = || Location { file: PathBuf::from("(probe)"), line: 1, column: 1 };
        if probes.is_empty() {
            return Vec::new();
        }
        self.exec("BEGIN", here(), timeout).await;
        let mut seen = Vec::with_capacity(probes.len());
        for p in probes {
            self.exec("SAVEPOINT pgparity_probe", here(), timeout).await;
            let mut result = None;
            for s in &p.setup {
                let o = self.exec(s, here(), timeout).await;
                if o.error.is_some() || o.fault.is_some() {
                    result = Some(Seen::SetupFailed(o.summary()));
                    break;
                }
            }
            if result.is_none() {
                let o = self.exec(&p.statement, here(), timeout).await;
                result = Some(match (&o.error, &o.fault, &p.count) {
                    (Some(e), _, _) => Seen::Rejected(e.code.clone()),
                    (None, Some(f), _) => Seen::SetupFailed(f.to_string()),
                    (None, None, Some(count)) => {
                        let c = self.exec(count, here(), timeout).await;
                        Seen::Left(c.rows.first().and_then(|r| r.first().cloned().flatten()).unwrap_or_default())
                    }
                    (None, None, None) => Seen::Accepted,
                });
            }
            self.exec("ROLLBACK TO SAVEPOINT pgparity_probe", here(), timeout).await;
            seen.push(result.expect("set"));
        }
        self.exec("ROLLBACK", here(), timeout).await;
        seen
    }

    async fn rows(&mut self, sql: &str, timeout: Duration) -> Option<usize> {
        let here = Location { file: PathBuf::from("(history table)"), line: 1, column: 1 };
        let o = self.exec(sql, here, timeout).await;
        o.error.is_none().then(|| o.rows.first().and_then(|r| r.first().cloned().flatten())?.parse().ok())?
    }

    /// Drop the slate.
    pub(crate) async fn close(self) {
        self.engine.close(self.conn).await;
    }
}

/// What a probe did on one side.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Accepted,
    /// Refused, with its SQLSTATE (empty when there is none).
    Rejected(String),
    /// For a cascade probe: the rows left.
    Left(String),
    /// The probe could not be set up here (a parent row refused, a fault).
    SetupFailed(String),
}

impl std::fmt::Display for Seen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Seen::Accepted => f.write_str("accepted"),
            Seen::Rejected(code) if code.is_empty() => f.write_str("rejected"),
            Seen::Rejected(code) => write!(f, "rejected ({code})"),
            Seen::Left(n) => write!(f, "{n} row(s) left"),
            Seen::SetupFailed(why) => write!(f, "could not be set up: {why}"),
        }
    }
}

/// The tables whose definition changed between two snapshots, on either side (or that are new).
fn changed_tables(before: &Pair<Schema>, after: &Pair<Schema>) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    for (b, a) in [(&before.reference, &after.reference), (&before.candidate, &after.candidate)] {
        for (name, t) in &a.tables {
            if b.tables.get(name) != Some(t) {
                out.insert(name.clone());
            }
        }
    }
    out
}

/// Where the two sides' probes disagree, as enforcement drifts by table. A table whose valid
/// row one side refuses says so once; its other probes mean nothing there.
fn compare_probes(probes: &[probe::Probe], r: &[Seen], c: &[Seen]) -> Vec<(String, Vec<Drift>)> {
    let mut out: Vec<(String, Vec<Drift>)> = Vec::new();
    let mut broken: std::collections::BTreeSet<&str> = Default::default();
    for ((p, r), c) in probes.iter().zip(r).zip(c) {
        if broken.contains(p.table.as_str()) {
            continue;
        }
        let agree = match p.expect {
            probe::Expect::Accepted => {
                if *r != Seen::Accepted || *c != Seen::Accepted {
                    broken.insert(&p.table);
                }
                (*r == Seen::Accepted) == (*c == Seen::Accepted)
            }
            // Refused on both (whatever the SQLSTATE), accepted on both, or not set up on either.
            probe::Expect::Rejected => std::mem::discriminant(r) == std::mem::discriminant(c),
            probe::Expect::NoneLeft => r == c,
        };
        if agree {
            continue;
        }
        let drift = Drift {
            object: p.constraint.clone(),
            kind: crate::model::DriftKind::Enforcement,
            reference: format!("{}: {r}", p.statement),
            candidate: c.to_string(),
        };
        match out.iter_mut().find(|(t, _)| *t == p.table) {
            Some((_, list)) => list.push(drift),
            None => out.push((p.table.clone(), vec![drift])),
        }
    }
    out
}

/// Statements that begin or end transactions, or cannot run inside one.
fn controls_transactions(sql: &str) -> bool {
    let words: Vec<String> =
        sql.split_whitespace().take(4).map(|w| w.trim_end_matches(';').to_ascii_uppercase()).collect();
    let w = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
    matches!(w(0), "BEGIN" | "COMMIT" | "ROLLBACK" | "END" | "START" | "VACUUM")
        || (w(0) == "CREATE" && (w(1) == "INDEX" || w(2) == "INDEX") && words.iter().any(|x| x == "CONCURRENTLY"))
        || (w(0) == "DROP" && w(1) == "INDEX" && w(2) == "CONCURRENTLY")
}

/// A migration's statements with their `(line, column)`, split the way its engine's own tools
/// split them; an error names the file, line and column.
pub fn statements(dialect: Dialect, m: &Migration) -> Result<Vec<((usize, usize), String)>> {
    let shift = |(line, column): (usize, usize)| (line + m.first_line - 1, column);
    match dialect {
        Dialect::Postgres => {
            let pieces = crate::workload::sql::split(&m.sql).map_err(|e| Error::Workload {
                location: {
                    let (line, column) = shift(crate::workload::sql::line_col(&m.sql, e.offset));
                    Location { file: m.path.clone(), line, column }
                },
                message: e.message,
            })?;
            Ok(pieces.into_iter().map(|p| (shift(crate::workload::sql::line_col(&m.sql, p.offset)), p.text)).collect())
        }
        Dialect::Sqlite => Ok(crate::engine::sqlite::split(&m.sql)
            .into_iter()
            .map(|(offset, text)| (shift(crate::workload::sql::line_col(&m.sql, offset)), text))
            .collect()),
    }
}

/// Everything a migrate run found, and both targets' reports.
pub struct Outcomes {
    pub report: MigrationReport,
    pub targets: Pair<TargetReport>,
}

/// Apply the history on both sides, version by version, and check its invariants.
pub async fn execute(plan: &Plan) -> Result<Outcomes> {
    let (r, c) = tokio::join!(
        AnyEngine::start(&plan.reference, Protocol::Simple),
        AnyEngine::start(&plan.candidate, Protocol::Simple)
    );
    let (r, c) = match (r, c) {
        (Ok(r), Ok(c)) => (r, c),
        (r, c) => {
            let mut first = None;
            for side in [r, c] {
                match side {
                    Ok(e) => e.stop().await,
                    Err(e) => {
                        first.get_or_insert(e);
                    }
                }
            }
            return Err(first.expect("one side failed"));
        }
    };
    if r.same_server(&c) {
        r.stop().await;
        c.stop().await;
        return Err(Error::Usage("the reference and the candidate are the same server".into()));
    }
    let (mut r, mut c) = (r, c);
    let result = history(plan, &mut r, &mut c).await;
    // What the run learned about each target (its slate strategy, restarts) is in its report now.
    let targets = Pair::new(r.report().clone(), c.report().clone());
    r.stop().await;
    c.stop().await;
    result.map(|report| Outcomes { report, targets })
}

async fn history(plan: &Plan, r: &mut AnyEngine, c: &mut AnyEngine) -> Result<MigrationReport> {
    let (mut rs, mut cs) = open_both(plan, &mut *r, &mut *c, SLATE).await?;
    let timeout = plan.timeout;
    let mut versions = Vec::new();
    let mut before = Pair::new(Schema::default(), Schema::default());
    let mut earlier: Vec<Drift> = Vec::new();
    let mut enforcement: std::collections::BTreeMap<String, Vec<Drift>> = Default::default();
    for (version, rm, cm) in tree::pair(&plan.trees.reference, &plan.trees.candidate) {
        let (ra, ca) = tokio::join!(apply_one(&mut rs, rm, timeout), apply_one(&mut cs, cm, timeout));
        let (mut ra, mut ca) = (ra?, ca?);
        let after = Pair::new(std::mem::take(&mut ra.schema), std::mem::take(&mut ca.schema));
        let mut notes = Vec::new();
        for (side, applied, was, now, dialect) in [
            ("reference", &ra, &before.reference, &after.reference, rs.dialect),
            ("candidate", &ca, &before.candidate, &after.candidate, cs.dialect),
        ] {
            if applied.error.is_some() && was != now {
                let changed = diff(Read { schema: was, dialect }, Read { schema: now, dialect }, &plan.equivalence);
                let what: Vec<String> = changed.iter().map(|d| format!("{} {}", d.kind, d.object)).collect();
                let how = if applied.atomic { "" } else { " (the file manages its own transaction)" };
                notes.push(format!("{side}: failed and left a partial change{how}: {}", what.join(", ")));
            }
        }
        let mut drifts = diff(
            Read { schema: &after.reference, dialect: rs.dialect },
            Read { schema: &after.candidate, dialect: cs.dialect },
            &plan.equivalence,
        );
        // Behaviour: the constraints of every table this version changed, probed on both sides;
        // what earlier probes found for the other tables stands.
        let changed = changed_tables(&before, &after);
        enforcement.retain(|table, _| !changed.contains(table) && after.reference.tables.contains_key(table));
        let probes = probe::probes(&after.reference, rs.dialect, &changed);
        let (rseen, cseen) = tokio::join!(rs.probe(&probes, timeout), cs.probe(&probes, timeout));
        for (table, found) in compare_probes(&probes, &rseen, &cseen) {
            enforcement.entry(table).or_default().extend(found);
        }
        drifts.extend(enforcement.values().flatten().cloned());
        let (new, carried): (Vec<Drift>, Vec<Drift>) = drifts.into_iter().partition(|d| !earlier.contains(d));
        let errors = Pair::new(ra.error.clone(), ca.error.clone());
        let status = if rm.is_none() || cm.is_none() {
            MigrationStatus::OneSide
        } else if errors.reference.is_some() || errors.candidate.is_some() {
            MigrationStatus::Failed
        } else if new.is_empty() && carried.is_empty() {
            MigrationStatus::Equivalent
        } else {
            MigrationStatus::Drift
        };
        earlier = new.iter().chain(&carried).cloned().collect();
        versions.push(MigrationResult {
            version,
            files: Pair::new(rm.map(|m| m.path.display().to_string()), cm.map(|m| m.path.display().to_string())),
            status,
            drifts: new,
            carried: carried.len(),
            errors,
            notes,
            repros: Vec::new(),
        });
        before = after;
    }
    let mut invariants = vec![rerun(plan, &mut rs, &mut cs, &before).await?];
    tokio::join!(rs.close(), cs.close());
    if plan.baseline.reference.is_some() || plan.baseline.candidate.is_some() {
        invariants.push(baseline(plan, &mut *r, &mut *c, &before).await?);
    }
    if let Some(dir) = &plan.repros {
        repro::reduce_all(plan, &mut *r, &mut *c, &mut versions, dir).await?;
    }
    let info = |t: &Tree| TreeInfo {
        root: t.root.display().to_string(),
        convention: t.convention.to_string(),
        migrations: t.migrations.len(),
        down: t.down,
    };
    Ok(MigrationReport {
        trees: Pair::new(info(&plan.trees.reference), info(&plan.trees.candidate)),
        versions,
        invariants,
    })
}

/// A fresh slate named `slate` on each side.
async fn open_both<'a, R: Engine, C: Engine>(
    plan: &Plan,
    r: &'a mut R,
    c: &'a mut C,
    slate: &str,
) -> Result<(Side<'a, R>, Side<'a, C>)> {
    let (rs, cs) = tokio::join!(Side::open(r, slate), Side::open(c, slate));
    match (rs, cs) {
        (Ok(r), Ok(c)) => Ok((r, c)),
        (Ok(r), Err(e)) => {
            r.close().await;
            Err(Error::target(&plan.candidate, e))
        }
        (Err(e), Ok(c)) => {
            c.close().await;
            Err(Error::target(&plan.reference, e))
        }
        (Err(e), Err(_)) => Err(Error::target(&plan.reference, e)),
    }
}

/// One side's migration of a version (none: the tree has no such version), and its schema after.
struct Step {
    error: Option<String>,
    atomic: bool,
    schema: Schema,
}

async fn apply_one<E: Engine>(side: &mut Side<'_, E>, m: Option<&Migration>, timeout: Duration) -> Result<Step> {
    let applied = match m {
        Some(m) => side.apply(m, timeout).await?,
        None => Applied { error: None, atomic: true },
    };
    let schema = side.snapshot(timeout).await.map_err(Error::Usage)?;
    Ok(Step { error: applied.error, atomic: applied.atomic, schema })
}

/// Re-running the whole history on the up-to-date database changes nothing: each migration
/// fails (and rolls back) or leaves the schema as it was; the history table gains no row.
async fn rerun<R: Engine, C: Engine>(
    plan: &Plan,
    rs: &mut Side<'_, R>,
    cs: &mut Side<'_, C>,
    upgraded: &Pair<Schema>,
) -> Result<Invariant> {
    let count = |t: &str| format!("SELECT count(*) FROM {t}");
    let history = plan.history_table.as_deref();
    let rows_before = match history {
        Some(t) => (rs.rows(&count(t), plan.timeout).await, cs.rows(&count(t), plan.timeout).await),
        None => (None, None),
    };
    let mut evidence = Vec::new();
    let mut holds = Pair::new(Some(true), Some(true));
    let (r, c) = tokio::join!(
        rs.rerun(&plan.trees.reference, &upgraded.reference, plan),
        cs.rerun(&plan.trees.candidate, &upgraded.candidate, plan)
    );
    for (label, side_holds, changed) in
        [("reference", &mut holds.reference, r?), ("candidate", &mut holds.candidate, c?)]
    {
        if !changed.is_empty() {
            *side_holds = Some(false);
            for d in changed {
                evidence.push(format!(
                    "{label}: the re-run changed {} {}: {} → {}",
                    d.kind, d.object, d.reference, d.candidate
                ));
            }
        }
    }
    if let Some(t) = history {
        let after = (rs.rows(&count(t), plan.timeout).await, cs.rows(&count(t), plan.timeout).await);
        for (label, b, a, side_holds) in [
            ("reference", rows_before.0, after.0, &mut holds.reference),
            ("candidate", rows_before.1, after.1, &mut holds.candidate),
        ] {
            match (b, a) {
                (Some(b), Some(a)) if a != b => {
                    *side_holds = Some(false);
                    evidence.push(format!("{label}: the re-run added {} row(s) to {t}", a.saturating_sub(b)));
                }
                (None, _) | (_, None) => evidence.push(format!("{label}: {t} could not be counted")),
                _ => {}
            }
        }
    }
    Ok(Invariant { name: "re-running the history changes nothing".into(), holds, evidence })
}

/// A fresh install from the baseline file equals the upgraded schema, on each side.
async fn baseline(plan: &Plan, r: &mut AnyEngine, c: &mut AnyEngine, upgraded: &Pair<Schema>) -> Result<Invariant> {
    let mut holds = Pair::new(None, None);
    let mut evidence = Vec::new();
    for (label, engine, file, upgraded, spec, slot) in [
        ("reference", r, &plan.baseline.reference, &upgraded.reference, &plan.reference, &mut holds.reference),
        ("candidate", c, &plan.baseline.candidate, &upgraded.candidate, &plan.candidate, &mut holds.candidate),
    ] {
        let Some(file) = file else { continue };
        let sql = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
        let mut side = Side::open(engine, BASELINE_SLATE).await.map_err(|e| Error::target(spec, e))?;
        let m = Migration {
            version: "baseline".into(),
            key: vec![],
            name: "baseline".into(),
            path: file.clone(),
            sql,
            first_line: 1,
            backward_compatible: None,
        };
        let applied = side.apply(&m, plan.timeout).await;
        let fresh = side.snapshot(plan.timeout).await;
        let dialect = side.dialect;
        side.close().await;
        let (applied, fresh) = (applied?, fresh.map_err(Error::Usage)?);
        if let Some(e) = applied.error {
            *slot = Some(false);
            evidence.push(format!("{label}: the baseline failed: {e}"));
            continue;
        }
        let d = diff(Read { schema: upgraded, dialect }, Read { schema: &fresh, dialect }, &plan.equivalence);
        *slot = Some(d.is_empty());
        for d in d {
            evidence
                .push(format!("{label}: {} {}: upgraded {}, baseline {}", d.kind, d.object, d.reference, d.candidate));
        }
    }
    Ok(Invariant { name: "a fresh install from the baseline equals the upgraded schema".into(), holds, evidence })
}
