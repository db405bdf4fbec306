//! Reducing mismatches on the live targets: each trial replays a subset of a workload's
//! statements, the mismatching one last, on a fresh database on both sides, and keeps the
//! subset when the last statement still shows the same signature. The repro written is
//! replayed once more from the file before it counts.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::{Event, Live, Observer};
use crate::compare::{compare, WorkloadResult};
use crate::error::{Error, Result};
use crate::outcome::{Outcome, Pair};
use crate::reduce::ddmin::{ddmin, Budget, Oracle};
use crate::reduce::repro::{clusters, Repro};
use crate::reduce::signature::Signature;
use crate::workload::{Step, Workload};

/// How much reduction a run does, and where repros go.
#[derive(Debug, Clone)]
pub struct ReduceOptions {
    pub budget: Budget,
    pub dir: PathBuf,
    /// `pgparity reduce --step N`: only the mismatch at step N (1-based) of the first workload.
    pub only_step: Option<usize>,
    /// For the whole run: distinct mismatches left when it is spent are reported, not reduced.
    pub total: Duration,
}

struct Trial<'a> {
    reference: &'a mut Live,
    candidate: &'a mut Live,
    name: String,
    before: &'a [Step],
    failing: &'a Step,
    sessions: &'a [String],
    signature: &'a Signature,
    timeout: Duration,
}

impl Trial<'_> {
    /// Replay `statements` on both sides; the last statement's outcomes.
    async fn replay(&mut self, statements: &[Step], sessions: &[String]) -> Option<Pair<Outcome>> {
        let (r, c) = tokio::join!(
            self.reference.record(&self.name, None, &[], statements, sessions, self.timeout),
            self.candidate.record(&self.name, None, &[], statements, sessions, self.timeout),
        );
        let (r, c) = (r.ok()?, c.ok()?);
        Some(Pair::new(r.steps.last()?.clone(), c.steps.last()?.clone()))
    }

    /// Does the last statement still show the signature? With the outcomes it showed.
    async fn keeps(&mut self, statements: &[Step], sessions: &[String]) -> (bool, Option<Pair<Outcome>>) {
        let Some(outcomes) = self.replay(statements, sessions).await else { return (false, None) };
        let verdict = compare(&outcomes.reference, &outcomes.candidate, self.failing.ordered());
        let same = Signature::of(outcomes.as_ref(), &verdict).as_ref() == Some(self.signature);
        (same, Some(outcomes))
    }

    fn with(&self, subset: &[usize]) -> Vec<Step> {
        subset.iter().map(|&i| self.before[i].clone()).chain(std::iter::once(self.failing.clone())).collect()
    }
}

/// The rows pass: which rows of the multi-row INSERT at `position` are needed.
struct RowsPass<'t, 'a> {
    trial: &'t mut Trial<'a>,
    statements: Vec<Step>,
    position: usize,
}

impl RowsPass<'_, '_> {
    fn with(&self, rows: &[usize]) -> Option<Vec<Step>> {
        let old = &self.statements[self.position];
        let sql = crate::reduce::rows::with_rows(&old.sql, rows)?;
        let mut step = Step::new(sql, old.order, old.location.clone());
        step.session = old.session.clone();
        let mut statements = self.statements.clone();
        statements[self.position] = step;
        Some(statements)
    }
}

impl Oracle for RowsPass<'_, '_> {
    async fn test(&mut self, subset: &[usize]) -> bool {
        let Some(statements) = self.with(subset) else { return false };
        let sessions = self.trial.sessions;
        self.trial.keeps(&statements, sessions).await.0
    }
}

impl Oracle for Trial<'_> {
    async fn test(&mut self, subset: &[usize]) -> bool {
        let statements = self.with(subset);
        let sessions = self.sessions;
        self.keeps(&statements, sessions).await.0
    }
}

/// Reduce every distinct mismatch (one per root cause), write its repro, and link it from the
/// results of every workload where it occurs.
pub async fn reduce_all(
    reference: &mut Live,
    candidate: &mut Live,
    workloads: &[Workload],
    results: &mut [WorkloadResult],
    options: &ReduceOptions,
    timeout: Duration,
    observer: &mut dyn Observer,
) -> Result<Vec<Repro>> {
    let mut repros = Vec::new();
    let run_start = Instant::now();
    let mut skipped = 0;
    for cluster in clusters(workloads, results) {
        let Some(left) = options.total.checked_sub(run_start.elapsed()).filter(|l| !l.is_zero()) else {
            skipped += 1;
            continue;
        };
        let budget = Budget { time: options.budget.time.min(left), ..options.budget };
        let first = &cluster.occurrences[0];
        let Some(w) = workloads.iter().find(|w| w.id == first.workload) else { continue };
        if options.only_step.is_some_and(|n| first.statement + 1 != w.setup.len() + n) {
            continue;
        }
        let all: Vec<Step> = w.setup.iter().chain(&w.steps).cloned().collect();
        let (before, failing) = (&all[..first.statement], &all[first.statement]);
        let started = Instant::now();
        let mut trial = Trial {
            reference: &mut *reference,
            candidate: &mut *candidate,
            name: super::slate_name(&w.id),
            before,
            failing,
            sessions: &w.sessions,
            signature: &cluster.signature,
            timeout,
        };
        let reduced = ddmin(before.len(), &mut trial, budget).await;
        let (mut statements, mut trials, mut minimal) = (trial.with(&reduced.kept), reduced.trials, reduced.minimal);
        // Then the rows of each multi-row INSERT that is left.
        for position in 0..statements.len() {
            let Some(n) = crate::reduce::rows::insert_rows(&statements[position].sql).filter(|n| *n > 1) else {
                continue;
            };
            let mut pass = RowsPass { trial: &mut trial, statements: statements.clone(), position };
            let rows = ddmin(n, &mut pass, budget).await;
            trials += rows.trials;
            minimal &= rows.minimal;
            if let Some(fewer) = pass.with(&rows.kept).filter(|_| rows.kept.len() < n) {
                statements = fewer;
            }
        }
        let mut repro = Repro {
            id: Repro::id_for(first),
            statements,
            signature: cluster.signature.clone(),
            reference: format!("{} ({})", trial.reference.report.version, trial.reference.report.target),
            candidate: format!("{} ({})", trial.candidate.report.version, trial.candidate.report.target),
            outcomes: cluster.outcomes.clone(),
            occurrences: cluster.occurrences.clone(),
            original_statements: before.len() + 1,
            trials,
            minimal,
            not_reducible: false,
            path: String::new(),
        };
        // Validation: replay the written file; if it does not show the signature, keep the
        // original statements instead.
        match validate(&mut trial, &repro, options).await? {
            Some(outcomes) => repro.outcomes = outcomes,
            None => {
                repro.statements = trial.with(&(0..before.len()).collect::<Vec<_>>());
                repro.not_reducible = true;
                if let Some(outcomes) = validate(&mut trial, &repro, options).await? {
                    repro.outcomes = outcomes;
                }
            }
        }
        let elapsed = started.elapsed();
        repro.path = format!("repros/{}", repro.file_name());
        write(&options.dir.join(format!("{}.md", repro.id)), &repro.render_markdown())?;
        for occurrence in &repro.occurrences {
            if let Some(r) = results.iter_mut().find(|r| r.id == occurrence.workload) {
                if !r.repros.contains(&repro.path) {
                    r.repros.push(repro.path.clone());
                }
            }
        }
        observer.on(Event::Reduced { repro: &repro, elapsed })?;
        repros.push(repro);
    }
    if skipped > 0 {
        observer.on(Event::ReductionSkipped { count: skipped })?;
    }
    Ok(repros)
}

/// Write the repro, load it back as a workload, replay it: the outcomes when the signature
/// shows, `None` when it does not.
async fn validate(trial: &mut Trial<'_>, repro: &Repro, options: &ReduceOptions) -> Result<Option<Pair<Outcome>>> {
    let path = options.dir.join(repro.file_name());
    write(&path, &repro.render())?;
    let loaded =
        crate::workload::load_all(std::slice::from_ref(&path)).map_err(|mut errors| errors.remove(0))?.remove(0);
    let statements: Vec<Step> = loaded.setup.iter().chain(&loaded.steps).cloned().collect();
    let (same, outcomes) = trial.keeps(&statements, &loaded.sessions).await;
    Ok(outcomes.filter(|_| same))
}

fn write(path: &std::path::Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    crate::report::write_atomically(path, text)
}
