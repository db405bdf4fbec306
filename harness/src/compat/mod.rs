//! `pgparity compat`: may an older build run on a newer schema? For each migration after the
//! old build's last, the old build's traffic runs on the database migrated to the version
//! before it and to its own, on the same engine, and is compared exactly as `run` compares.
//!
//! Work is shared: the database migrated to the old build's version is built once, and each
//! later version is a copy of the one before with one migration applied (`Engine::keep`,
//! `Engine::open_copy`); every traffic run starts from a copy too (`engine::based`). The traffic
//! is recorded once per version, on two lanes at once, and each migration's verdict compares
//! the recordings either side of it. An engine that cannot copy a database rebuilds each
//! version from zero instead, and the report says so.

mod classify;
mod evidence;

use std::sync::Arc;

use crate::compare::judge;
use crate::engine::any::AnyEngine;
use crate::engine::based::{Base, Based};
use crate::engine::target::TargetSpec;
use crate::engine::Engine;
use crate::migrate::tree::{Migration, Tree};
use crate::migrate::Side;
use crate::model::error::{Error, Location, Result};
use crate::model::{
    slate_name, CompatReport, CompatResult, Event, Normaliser, Observer, Order, Pair, Protocol, Recording, Status,
    Step, TargetReport, TreeInfo, Verdict, Workload, WorkloadResult,
};
use crate::run::{original, record, Limits, ReduceOptions};
use crate::schema::types::Equivalence;
use crate::schema::Schema;

/// A validated `compat`.
pub struct Plan {
    pub target: TargetSpec,
    pub tree: Tree,
    /// Indexes into the tree: the old build's last migration, and the newest to judge.
    pub from: usize,
    pub to: usize,
    /// What the old build sends.
    pub traffic: Vec<Workload>,
    /// What the new build sends, to run on the old schema (the reverse question).
    pub new_traffic: Vec<Workload>,
    pub equivalence: Equivalence,
    pub limits: Limits,
    pub protocol: Protocol,
    /// Reduce each breaking migration's statements to a repro (`None`: no reduction).
    pub reduce: Option<ReduceOptions>,
}

/// Everything a compat run found, and the target's report.
pub struct Outcomes {
    pub report: CompatReport,
    pub target: TargetReport,
    /// The target itself failed during the run (a crash, a dropped connection): exit 3.
    pub target_failed: bool,
}

pub async fn execute(plan: &Plan) -> Result<Outcomes> {
    let mut engine = AnyEngine::start(&plan.target, plan.protocol).await?;
    let result = judge_all(plan, &mut engine).await;
    let (target, target_failed) = (engine.report().clone(), engine.failed());
    engine.stop().await;
    result.map(|report| Outcomes { report, target, target_failed })
}

/// The database of one version, built.
struct Built {
    /// Index into the tree.
    index: usize,
    base: Base,
    schema: Schema,
}

/// The versions from the old build's to the newest judged, each built on the one before.
struct Chain {
    built: Vec<Built>,
    /// A migration that failed on the target (its index and error): the chain stops there.
    failed: Option<(usize, String)>,
    /// Versions are copies of the one before (else rebuilt from zero).
    copies: bool,
    /// Kept databases, to discard.
    kept: Vec<String>,
}

fn template_name(version: &str) -> String {
    slate_name(&format!("compat v{version}"))
}

/// A migration's statements as steps (for rebuilding a version from zero).
fn steps(dialect: crate::model::Dialect, m: &Migration) -> Result<Vec<Step>> {
    Ok(crate::migrate::statements(dialect, m)?
        .into_iter()
        .map(|((line, column), sql)| {
            let mut step = crate::workload::step(sql, Order::Auto, Location { file: m.path.clone(), line, column });
            step.protocol = Some(Protocol::Simple);
            step
        })
        .collect())
}

async fn build<E: Engine>(plan: &Plan, engine: &mut E) -> Result<Chain> {
    let timeout = plan.limits.timeout;
    let migrations = &plan.tree.migrations;
    let first = template_name(&migrations[plan.from].version);
    let mut side = Side::open(&mut *engine, &first).await.map_err(|e| Error::target(&plan.target, e))?;
    for m in &migrations[..=plan.from] {
        let applied = side.apply(m, timeout).await?;
        if let Some(e) = applied.error {
            side.close().await;
            return Err(Error::Usage(format!(
                "the old build's database cannot be built on {}: migration {} fails: {e}",
                plan.target, m.version
            )));
        }
    }
    let schema = side.snapshot(timeout).await.map_err(Error::Usage)?;
    let copies = side.keep().await.is_ok();
    let dialect = engine.dialect();
    let mut replay: Vec<Step> = Vec::new();
    if !copies {
        for m in &migrations[..=plan.from] {
            replay.extend(steps(dialect, m)?);
        }
    }
    let base = |name: &str, replay: &[Step]| {
        if copies {
            Base::Copy(name.to_string())
        } else {
            Base::Replay(Arc::new(replay.to_vec()))
        }
    };
    let mut chain = Chain {
        built: vec![Built { index: plan.from, base: base(&first, &replay), schema }],
        failed: None,
        copies,
        kept: if copies { vec![first.clone()] } else { Vec::new() },
    };
    let mut previous = first;
    for (k, m) in migrations.iter().enumerate().take(plan.to + 1).skip(plan.from + 1) {
        let name = template_name(&m.version);
        let mut side = if copies {
            let conn = engine.open_copy(&name, &previous).await.map_err(|e| Error::target(&plan.target, e))?;
            Side::on(&mut *engine, conn)
        } else {
            let mut side = Side::open(&mut *engine, &name).await.map_err(|e| Error::target(&plan.target, e))?;
            for earlier in &migrations[..k] {
                side.apply(earlier, timeout).await?;
            }
            side
        };
        let applied = side.apply(m, timeout).await?;
        if let Some(e) = applied.error {
            side.close().await;
            chain.failed = Some((k, e));
            break;
        }
        let schema = side.snapshot(timeout).await.map_err(Error::Usage)?;
        if copies {
            side.keep().await.map_err(|e| Error::target(&plan.target, e))?;
            chain.kept.push(name.clone());
        } else {
            side.close().await;
            replay.extend(steps(dialect, m)?);
        }
        chain.built.push(Built { index: k, base: base(&name, &replay), schema });
        previous = name;
    }
    Ok(chain)
}

/// One version's recordings of the traffic, in traffic order.
type Recordings = Vec<std::result::Result<Recording, String>>;

/// Record `traffic` on each of `versions` (copies of their databases), one after another.
async fn record_versions<E: Engine>(
    lane: &mut E,
    tag: &str,
    versions: Vec<(usize, &Built, String)>,
    plan: &Plan,
    traffic: &[Workload],
) -> Vec<(usize, Recordings)> {
    let mut out = Vec::new();
    for (position, built, label) in versions {
        let mut on = Based::new(&mut *lane, built.base.clone(), tag, &label);
        let mut recordings = Vec::new();
        for w in traffic {
            recordings.push(record(&mut on, &slate_name(&w.id), None, original(w), plan.limits).await);
        }
        out.push((position, recordings));
    }
    out
}

fn label(plan: &Plan, index: usize) -> String {
    format!("migrated to {}", plan.tree.migrations[index].version)
}

/// The traffic on every built version, and once more on the old build's own (last in the
/// list, to tell what differs from run to run): on the engine and, where it has one, an extra
/// lane at the same time.
async fn record_all<E: Engine>(plan: &Plan, engine: &mut E, chain: &Chain) -> Vec<Recordings> {
    let mut extra = engine.extra_lane();
    let again = (chain.built.len(), &chain.built[0], label(plan, chain.built[0].index));
    let all: Vec<(usize, &Built, String)> = chain
        .built
        .iter()
        .enumerate()
        .map(|(p, b)| (p, b, label(plan, b.index)))
        .chain(std::iter::once(again))
        .collect();
    let (mine, theirs): (Vec<_>, Vec<_>) = match extra {
        Some(_) => all.into_iter().partition(|(p, _, _)| p % 2 == 0),
        None => (all, Vec::new()),
    };
    let mut recorded = match extra.as_mut() {
        Some(lane) => {
            let (a, b) = tokio::join!(
                record_versions(&mut *engine, "_a", mine, plan, &plan.traffic),
                record_versions(lane, "_b", theirs, plan, &plan.traffic)
            );
            a.into_iter().chain(b).collect::<Vec<_>>()
        }
        None => record_versions(&mut *engine, "_a", mine, plan, &plan.traffic).await,
    };
    if let Some(lane) = extra {
        lane.stop().await;
    }
    recorded.sort_by_key(|(p, _)| *p);
    recorded.into_iter().map(|(_, r)| r).collect()
}

/// Statements (by workload, and position among its judged statements) whose outcome differs
/// between two runs on the same database.
type Volatile = std::collections::BTreeSet<(usize, usize)>;

/// Judge the traffic's recordings on two versions; Err where one could not run. A volatile
/// statement matches when it fails the same way (or not at all) and returns the same columns.
fn compare(
    traffic: &[Workload],
    before: &Recordings,
    after: &Recordings,
    volatile: &Volatile,
) -> std::result::Result<Vec<WorkloadResult>, String> {
    let mut results = Vec::new();
    for (i, (w, pair)) in traffic.iter().zip(before.iter().zip(after)).enumerate() {
        let mut r = match pair {
            (Ok(b), Ok(a)) => judge(w, Pair::new(b, a), None),
            (Err(e), _) | (_, Err(e)) => return Err(format!("{}: the traffic could not run: {e}", w.id)),
        };
        for (position, s) in r.statements.iter_mut().enumerate() {
            let Some(o) = s.outcomes.as_ref().filter(|_| volatile.contains(&(i, position))) else { continue };
            let shape = |o: &crate::model::Outcome| {
                let code = o.error.as_ref().map(|e| e.code.clone());
                let columns = o.columns.as_ref().map(|c| c.iter().map(|c| c.name.clone()).collect::<Vec<_>>());
                (code, columns, o.fault.is_some())
            };
            if shape(&o.reference) == shape(&o.candidate) {
                s.verdict = Verdict::MatchAfter { normalisers: vec![Normaliser::Volatile] };
                s.outcomes = None;
            }
        }
        r.matched = r.statements.iter().filter(|s| s.verdict.is_match()).count();
        r.status = if r.matched == r.total { Status::Works } else { Status::Blocked };
        results.push(r);
    }
    Ok(results)
}

/// What differs between two runs of `traffic` on the same version.
fn volatile(traffic: &[Workload], first: &Recordings, again: &Recordings) -> Volatile {
    let mut out = Volatile::new();
    if let Ok(results) = compare(traffic, first, again, &Volatile::new()) {
        for (i, r) in results.iter().enumerate() {
            for (position, s) in r.statements.iter().enumerate() {
                if !s.verdict.is_match() {
                    out.insert((i, position));
                }
            }
        }
    }
    out
}

async fn judge_all<E: Engine>(plan: &Plan, engine: &mut E) -> Result<CompatReport> {
    let chain = build(plan, engine).await?;
    let mut recordings = record_all(plan, engine, &chain).await;
    let again = recordings.pop().expect("the old build's version, twice");
    let volatile = volatile(&plan.traffic, &recordings[0], &again);
    let dialect = engine.dialect();
    let mut notes = Vec::new();
    if !volatile.is_empty() {
        notes.push(format!(
            "{} traffic statement(s) differ between two runs on the same version (a time, a random value): only \
             their errors and result columns are compared",
            volatile.len()
        ));
    }
    let failing_on_from: usize = recordings[0]
        .iter()
        .flatten()
        .map(|r| r.setup.iter().chain(&r.steps).filter(|o| o.error.is_some() || o.fault.is_some()).count())
        .sum();
    if failing_on_from > 0 {
        notes.push(format!(
            "{failing_on_from} traffic statement(s) already fail on the old build's own version ({}); \
             they count only where they fail differently later",
            plan.tree.migrations[plan.from].version
        ));
    }
    // Each version against the old build's own, once: statements that differ there (`None`:
    // the traffic could not run).
    let from_own: Vec<Option<usize>> = recordings
        .iter()
        .map(|r| {
            compare(&plan.traffic, &recordings[0], r, &volatile)
                .ok()
                .map(|results| results.iter().map(|w| w.mismatches().count()).sum())
        })
        .collect();
    let mut migrations = Vec::new();
    let mut judged: Vec<(usize, Vec<WorkloadResult>)> = Vec::new();
    for p in 1..chain.built.len() {
        let m = &plan.tree.migrations[chain.built[p].index];
        let changes = classify::changes(&chain.built[p - 1].schema, &chain.built[p].schema, dialect, &plan.equivalence);
        let mut result = CompatResult {
            version: m.version.clone(),
            file: m.path.display().to_string(),
            backward_compatible: None,
            old_build_runs: None,
            static_class: classify::class(&changes),
            changes,
            evidence: Vec::new(),
            later_differences: 0,
            masked: 0,
            declared: m.backward_compatible,
            contradicts: false,
            notes: Vec::new(),
            repros: Vec::new(),
            error: None,
        };
        match compare(&plan.traffic, &recordings[p - 1], &recordings[p], &volatile) {
            Ok(results) => {
                let works = results.iter().all(|r| r.status == Status::Works);
                result.backward_compatible = Some(works);
                let (evidence, later) = evidence::collect(&results);
                result.evidence = evidence;
                result.later_differences = later;
                if !works {
                    judged.push((migrations.len(), primary(results, &result.evidence)));
                }
            }
            Err(e) => result.notes.push(e),
        }
        result.old_build_runs = from_own[p].map(|differ| differ == 0);
        result.masked = from_own[p - 1].unwrap_or(0);
        explain(&mut result);
        migrations.push(result);
    }
    if let Some((k, error)) = &chain.failed {
        let m = &plan.tree.migrations[*k];
        migrations.push(CompatResult {
            version: m.version.clone(),
            file: m.path.display().to_string(),
            backward_compatible: None,
            old_build_runs: None,
            static_class: crate::model::StaticClass::NoSchemaChange,
            changes: Vec::new(),
            evidence: Vec::new(),
            later_differences: 0,
            masked: 0,
            declared: m.backward_compatible,
            contradicts: false,
            notes: vec![format!("it fails on {}: later migrations are not judged", plan.target)],
            repros: Vec::new(),
            error: Some(error.clone()),
        });
    }
    if let Some(options) = &plan.reduce {
        for (position, mut results) in judged {
            let p = position + 1;
            let repros = reduce(plan, engine, &chain, p, &mut results, options).await?;
            migrations[position].repros = repros;
        }
    }
    let reverse = match plan.new_traffic.is_empty() {
        true => None,
        false => Some(reverse(plan, engine, &chain).await),
    };
    for name in &chain.kept {
        engine.discard(name).await;
    }
    let last = chain.built.last().map(|b| b.index).unwrap_or(plan.from);
    Ok(CompatReport {
        tree: TreeInfo {
            root: plan.tree.root.display().to_string(),
            convention: plan.tree.convention.to_string(),
            migrations: plan.tree.migrations.len(),
            down: plan.tree.down,
        },
        from: plan.tree.migrations[plan.from].version.clone(),
        to: plan.tree.migrations[plan.to.max(last)].version.clone(),
        traffic: plan.traffic.iter().map(|w| w.id.clone()).collect(),
        statements: plan.traffic.iter().map(|w| w.setup.len() + w.steps.len()).sum(),
        databases: if chain.copies {
            "each version a copy of the one before, with one migration applied; each traffic run on a copy".into()
        } else {
            "rebuilt from zero for each version and traffic run (the target cannot copy a database)".into()
        },
        notes,
        migrations,
        reverse,
    })
}

/// The new build's traffic on the newest version and on the old build's: what it does on the
/// old schema, statement by statement.
async fn reverse<E: Engine>(plan: &Plan, engine: &mut E, chain: &Chain) -> crate::model::Reverse {
    let (old, new) = (&chain.built[0], chain.built.last().expect("built"));
    // The newest twice, to tell what differs from run to run.
    let versions =
        vec![(0, new, label(plan, new.index)), (1, old, label(plan, old.index)), (2, new, label(plan, new.index))];
    let mut recorded = record_versions(&mut *engine, "_n", versions, plan, &plan.new_traffic).await;
    let again = recorded.pop().map(|(_, r)| r).unwrap_or_default();
    let on_old = recorded.pop().map(|(_, r)| r).unwrap_or_default();
    let on_new = recorded.pop().map(|(_, r)| r).unwrap_or_default();
    let volatile = volatile(&plan.new_traffic, &on_new, &again);
    let mut out = crate::model::Reverse {
        traffic: plan.new_traffic.iter().map(|w| w.id.clone()).collect(),
        statements: plan.new_traffic.iter().map(|w| w.setup.len() + w.steps.len()).sum(),
        ..Default::default()
    };
    let judged = compare(&plan.new_traffic, &on_new, &on_old, &volatile).unwrap_or_else(|e| {
        out.error = Some(e);
        Vec::new()
    });
    for (w, judged) in plan.new_traffic.iter().zip(&judged) {
        for s in &judged.statements {
            let Some(outcomes) = s.outcomes.as_ref().filter(|_| !s.verdict.is_match()) else {
                out.same += 1;
                continue;
            };
            let step = crate::model::ReverseStep {
                workload: w.id.clone(),
                location: s.location.clone(),
                statement: s.sql.trim().to_string(),
                on_new: crate::render::short(&outcomes.reference),
                on_old: crate::render::short(&outcomes.candidate),
            };
            let failed = |o: &crate::model::Outcome| o.error.is_some() || o.fault.is_some();
            if failed(&outcomes.candidate) {
                out.loud.push(step);
            } else {
                out.silent.push(step);
            }
        }
    }
    out
}

/// The results with only the breaks listed as evidence left as mismatches: what is reduced
/// (the rest mostly follows from them).
fn primary(mut results: Vec<WorkloadResult>, evidence: &[crate::model::Evidence]) -> Vec<WorkloadResult> {
    for r in &mut results {
        let id = r.id.clone();
        for s in r.statements.iter_mut().filter(|s| !s.verdict.is_match()) {
            if !evidence.iter().any(|e| e.workload == id && e.location == s.location) {
                s.verdict = crate::model::Verdict::Match;
                s.outcomes = None;
            }
        }
    }
    results
}

/// The declaration against the evidence, and the static class against the evidence.
fn explain(r: &mut CompatResult) {
    use crate::model::StaticClass;
    let Some(compatible) = r.backward_compatible else { return };
    if compatible && r.masked > 0 {
        r.notes.push(format!(
            "compatible as far as the traffic still reaches: {} statement(s) already broken by earlier migrations \
             cannot show this one's effect",
            r.masked
        ));
    }
    if let Some(declared) = r.declared {
        r.contradicts = declared != compatible;
        if r.contradicts {
            r.notes.push(if declared {
                "declared backward-compatible, but the old traffic breaks".into()
            } else {
                "declared not backward-compatible, but the old traffic runs the same: mark it compatible if the \
                 traffic covers the old build"
                    .into()
            });
        }
    }
    match (r.static_class, compatible) {
        (StaticClass::PotentiallyBreaking, true) => r.notes.push(
            "potentially breaking by its schema change, but the old traffic never touches what it changes: \
             compatible for this build"
                .into(),
        ),
        (StaticClass::Additive | StaticClass::NoSchemaChange, false) => {
            let how = r.evidence.first().map(|e| e.how.clone()).unwrap_or_default();
            r.notes.push(format!("{} by its schema change, yet the old traffic breaks: {how}", r.static_class));
        }
        _ => {}
    }
}

/// Reduce the traffic that breaks on version `p` (against `p - 1`) to repros.
async fn reduce<E: Engine>(
    plan: &Plan,
    engine: &mut E,
    chain: &Chain,
    p: usize,
    results: &mut [WorkloadResult],
    options: &ReduceOptions,
) -> Result<Vec<String>> {
    let (before, after) = (&chain.built[p - 1], &chain.built[p]);
    let version = &plan.tree.migrations[after.index].version;
    let Some(mut candidate) = Based::lane(&*engine, after.base.clone(), "_c", &label(plan, after.index)) else {
        return Ok(Vec::new());
    };
    let mut reference = Based::new(&mut *engine, before.base.clone(), "_r", &label(plan, before.index));
    let dir_name = format!("compat-{}", version.replace(['/', '\\'], "_"));
    let link = format!("{}/{dir_name}", options.link);
    let replay = format!(
        "pgparity compat --migrations {} --from {} --to {version} --target {} {link}/{{file}}",
        plan.tree.root.display(),
        plan.tree.migrations[before.index].version,
        plan.target
    );
    let options =
        ReduceOptions { dir: options.dir.join(&dir_name), link, jobs: 1, replay: Some(replay), ..options.clone() };
    std::fs::create_dir_all(&options.dir).map_err(|e| Error::io(&options.dir, e))?;
    let reduced = crate::run::reduce_all(
        Pair::new(&mut reference, &mut candidate),
        None,
        &plan.traffic,
        results,
        &options,
        plan.limits,
        &mut Quiet,
    )
    .await;
    candidate.stop().await;
    let repros = reduced?;
    let versions = Pair::new(&plan.tree.migrations[before.index], &plan.tree.migrations[after.index]);
    let readme = repro_readme(plan, versions, &repros, &options);
    crate::store::write_atomically(&options.dir.join("README.md"), &readme)?;
    Ok(repros.into_iter().map(|r| r.path).collect())
}

/// What a breaking migration's repro folder holds: the migration, and the minimal old
/// statements that behave differently after it, each with both outcomes.
fn repro_readme(
    plan: &Plan,
    versions: Pair<&Migration>,
    repros: &[crate::reduce::repro::Repro],
    options: &ReduceOptions,
) -> String {
    let Pair { reference: before, candidate: m } = versions;
    let mut out = format!(
        "# Migration {} breaks the old build\n\nThe migration (`{}`):\n\n```sql\n{}\n```\n\n\
         The old build's statements below give one outcome on a database migrated to {} and another on one \
         migrated to {} ({}):\n\n",
        m.version,
        m.path.display(),
        m.sql.trim_end(),
        before.version,
        m.version,
        plan.target
    );
    for r in repros {
        let first = r.statements.get(r.target).and_then(|s| s.sql.lines().next()).unwrap_or("");
        out.push_str(&format!(
            "- [`{}`]({}) ({} statement(s)): `{first}`: before {}, after {}\n",
            r.file_name(),
            r.file_name(),
            r.statements.len(),
            crate::render::short(&r.outcomes.reference),
            crate::render::short(&r.outcomes.candidate),
        ));
    }
    if let Some(replay) = &options.replay {
        out.push_str(&format!("\nReplay one: `{}`\n", replay.replace("{file}", "FILE")));
    }
    out
}

/// Reduction's progress events go nowhere: compat reports per migration at the end.
struct Quiet;

impl Observer for Quiet {
    fn on(&mut self, _event: Event<'_>) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests;
