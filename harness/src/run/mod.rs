//! The scheduler: each workload on the reference and the candidate concurrently, in a fresh
//! database per side, then judged. It emits events and never prints; reporters render them.

mod jobs;
mod record;
mod reduce;
mod schedule;
mod suite;

use std::time::Duration;

use crate::compare::judge;
use crate::engine::any::AnyEngine;
use crate::engine::target::TargetSpec;
use crate::engine::Engine;
use crate::model::error::{Error, Result};
use crate::model::slate_name;
use crate::model::{
    Connections, Event, Mode, Observer, Pair, Recording, ReferenceRun, RuleUse, Status, TargetReport, Workload,
    WorkloadResult,
};

use jobs::Ran;
pub use record::{record, Limits, Script, WAIT_BOUND};
pub use reduce::{reduce_all, ReduceOptions};

/// A validated plan: everything parsed before any connection opens.
pub struct Plan {
    pub mode: Mode,
    pub reference: TargetSpec,
    pub candidate: TargetSpec,
    pub workloads: Vec<Workload>,
    /// For `check`: the saved reference outcome of each workload, in order.
    pub expected: Vec<ReferenceRun>,
    /// The reference version recorded in expected/ (for `check`).
    pub expected_version: Option<String>,
    pub timeout: Duration,
    /// In a multi-session workload, a statement still running after this long is waiting.
    pub wait_bound: Duration,
    /// The protocol steps are sent with unless they say otherwise.
    pub protocol: crate::model::Protocol,
    /// Reduce every distinct mismatch to a repro (`run` only: it needs both sides live).
    pub reduce: Option<ReduceOptions>,
    /// Known differences, accepted under their rules.
    pub rules: Option<crate::rules::Rules>,
    /// Workloads run at once on each side (`jobs.rs`); the reports are those of one at a time.
    pub jobs: usize,
}

/// The result of a run, for the exit code.
pub struct Summary {
    pub results: Vec<WorkloadResult>,
    /// Rules that matched nothing.
    pub stale_rules: Vec<String>,
    /// A target crashed, dropped connections or was unreachable during the run.
    pub target_failed: bool,
}

pub async fn execute(plan: Plan, observer: &mut dyn Observer) -> Result<Summary> {
    let need_reference = plan.mode != Mode::Check;
    let need_candidate = plan.mode != Mode::Record;
    let (reference, candidate) = tokio::join!(
        start(&plan.reference, need_reference, plan.protocol),
        start(&plan.candidate, need_candidate, plan.protocol)
    );
    let (mut reference, mut candidate) = match (reference.transpose(), candidate.transpose()) {
        (Ok(r), Ok(c)) => (r, c),
        (r, c) => {
            let mut first_error = None;
            for side in [r, c] {
                match side {
                    Ok(Some(t)) => t.stop().await,
                    Ok(None) => {}
                    Err(e) => {
                        first_error.get_or_insert(e);
                    }
                }
            }
            return Err(first_error.expect("one side failed"));
        }
    };
    if let (Some(r), Some(c)) = (&reference, &candidate) {
        if r.same_server(c) {
            let message = "the reference and the candidate are the same server; their workload databases would collide";
            let err = Error::Usage(message.into());
            if let Some(r) = reference.take() {
                r.stop().await;
            }
            if let Some(c) = candidate.take() {
                c.stop().await;
            }
            return Err(err);
        }
    }
    let result = schedule(&plan, reference.as_mut(), candidate.as_mut(), observer).await;
    let target_failed =
        reference.as_ref().is_some_and(|r| r.failed()) || candidate.as_ref().is_some_and(|c| c.failed());
    for live in [reference, candidate].into_iter().flatten() {
        live.stop().await;
    }
    result.map(|(results, rules)| Summary {
        results,
        target_failed,
        stale_rules: rules.iter().filter(|r| r.stale()).map(|r| r.id.clone()).collect(),
    })
}

async fn schedule<E: Engine + 'static>(
    plan: &Plan,
    mut reference: Option<&mut E>,
    mut candidate: Option<&mut E>,
    observer: &mut dyn Observer,
) -> Result<(Vec<WorkloadResult>, Vec<RuleUse>)> {
    let mut accepted = vec![0; plan.rules.as_ref().map_or(0, |r| r.rules.len())];
    let uses = |counts: &[usize]| plan.rules.as_ref().map(|r| r.uses(counts)).unwrap_or_default();
    observer.on(Event::TargetsReady {
        reference: reference.as_deref().map(|l| l.report()),
        candidate: candidate.as_deref().map(|l| l.report()),
    })?;
    let total = plan.workloads.len();
    let limits = Limits { timeout: plan.timeout, wait_bound: plan.wait_bound };
    let mut results = Vec::new();
    // `check` has no live reference: its report is made from expected/.
    let saved_reference = TargetReport {
        target: "expected/".into(),
        version: plan.expected_version.clone().unwrap_or_default(),
        connections: Connections::Many,
        strategy: None,
        strategy_reason: None,
        refused_settings: Default::default(),
        events: Vec::new(),
    };
    let (mut background, mut background_tried) = (None, false);
    // The suite whose database is open on each side (pg_regress schedules).
    let mut suites: Pair<Option<suite::OpenSuite<E::Conn>>> = Pair::new(None, None);
    let mut pool = jobs::Pool::new(plan, limits);
    let mut i = 0;
    while i < plan.workloads.len() {
        // A unit: one workload, or the tests of one group of a suite.
        let first = &plan.workloads[i];
        let unit = match &first.suite {
            Some(place) => plan.workloads[i..].iter().take_while(|w| w.suite.as_ref() == Some(place)).count(),
            None => 1,
        };
        let group: Vec<&Workload> = plan.workloads[i..i + unit].iter().collect();
        observer.on(Event::Started { index: i + 1, total, workload: first })?;
        let runs: Vec<Ran> = if first.suite.is_some() {
            let sides = Pair::new(reference.as_deref_mut(), candidate.as_deref_mut());
            let recorded = record_suite_group(plan, i, &group, sides, &mut suites, limits).await;
            let mut runs = Vec::with_capacity(recorded.len());
            for (w, (reference_run, candidate_run)) in group.iter().zip(recorded) {
                runs.push(judged(w, reference_run, candidate_run, candidate.as_deref_mut(), limits).await);
            }
            runs
        } else {
            match pool.take(i, reference.as_deref_mut(), candidate.as_deref_mut()).await {
                Some(ran) => vec![ran],
                None => {
                    // On the run's own engines.
                    let prepare = pool.prepare_ahead(i);
                    let (r, c) = (reference.as_deref_mut(), candidate.as_deref_mut());
                    let (reference_run, candidate_run) = record_workload(plan, i, first, prepare, r, c, limits).await;
                    let mut ran = judged(first, reference_run, candidate_run, candidate.as_deref_mut(), limits).await;
                    if timing_doubt(first, &ran) {
                        let (r, c) = (reference.as_deref_mut(), candidate.as_deref_mut());
                        let (reference_run, candidate_run) = record_workload(plan, i, first, false, r, c, limits).await;
                        let again = judged(first, reference_run, candidate_run, candidate.as_deref_mut(), limits).await;
                        let stands = !timing_doubt(first, &again);
                        if stands {
                            ran = again;
                        }
                        if let Some(result) = ran.result.as_mut() {
                            result.second_run = Some(if stands {
                                "the first run showed a blocking difference, the second none: the second stands".into()
                            } else {
                                "a blocking difference in both runs".into()
                            });
                        }
                    }
                    vec![ran]
                }
            }
        };
        for (k, (w, ran)) in group.iter().copied().zip(runs).enumerate() {
            let index = i + k + 1;
            if k > 0 {
                observer.on(Event::Started { index, total, workload: w })?;
            }
            if let Some(r) = reference.as_deref() {
                observer.on(Event::Recorded {
                    index,
                    total,
                    workload: w,
                    run: &ran.reference,
                    version: &r.report().version,
                })?;
            }
            let (Some(c), Some(mut result)) = (candidate.as_deref_mut(), ran.result) else {
                continue;
            };
            if let Some(rules) = &plan.rules {
                rules.apply(&mut result, &c.report().version, &mut accepted);
            }
            let reference_report = reference.as_deref().map(|r| r.report()).unwrap_or(&saved_reference);
            observer.on(Event::Finished {
                index,
                total,
                result: &result,
                reference: reference_report,
                candidate: c.report(),
                rules: &uses(&accepted),
            })?;
            // Root causes go to reduction beside the run as soon as they show, where there is room.
            if let (Some(options), Some(r), true) =
                (&plan.reduce, reference.as_deref(), result.mismatches().next().is_some())
            {
                if !background_tried {
                    background_tried = true;
                    background = reduce::Background::start(r, c, &plan.workloads, options, limits);
                }
                if let Some(b) = background.as_mut() {
                    b.offer(&plan.workloads, w, &result);
                }
            }
            results.push(result);
        }
        i += unit;
    }
    pool.finish(reference.as_deref_mut(), candidate.as_deref_mut()).await;
    if let (Some(options), Some(r), Some(c)) = (&plan.reduce, reference.as_deref_mut(), candidate.as_deref_mut()) {
        let b = background.take();
        reduce::reduce_all(Pair::new(r, c), b, &plan.workloads, &mut results, options, limits, observer).await?;
    }
    // Drops still queued: done, so that the report says what could not be removed.
    for side in [reference.as_deref_mut(), candidate.as_deref_mut()].into_iter().flatten() {
        side.flush().await;
    }
    if let Some(c) = candidate.as_deref() {
        let reference_report = reference.as_deref().map(|r| r.report()).unwrap_or(&saved_reference);
        let rules = uses(&accepted);
        observer.on(Event::Done {
            results: &results,
            reference: reference_report,
            candidate: c.report(),
            rules: &rules,
        })?;
    }
    Ok((results, uses(&accepted)))
}

/// One workload on the sides this mode runs: the reference's run, and the candidate's recording
/// (`None`: not run there). With `prepare`, each side may prepare the next workload's database
/// meanwhile.
async fn record_workload<E: Engine>(
    plan: &Plan,
    i: usize,
    w: &Workload,
    prepare: bool,
    reference: Option<&mut E>,
    candidate: Option<&mut E>,
    limits: Limits,
) -> (ReferenceRun, Option<std::result::Result<Recording, String>>) {
    if let Some(why) = &w.unsupported {
        return (ReferenceRun { not_tested: Some(why.clone()), ..Default::default() }, None);
    }
    let name = slate_name(&w.id);
    let next_name = plan.workloads.get(i + 1).filter(|_| prepare).map(|n| slate_name(&n.id));
    let next = next_name.as_deref();
    match (plan.mode, reference, candidate) {
        (Mode::Record, Some(r), _) => (reference_run(r, w, &name, next, limits).await, None),
        (Mode::Run | Mode::Reduce, Some(r), Some(c)) => match r.unmet(&w.requires).await {
            Some(reason) => (ReferenceRun { not_tested: Some(reason), ..Default::default() }, None),
            None => {
                let (rr, cr) =
                    tokio::join!(reference_run(r, w, &name, next, limits), record(c, &name, next, original(w), limits));
                (rr, Some(cr))
            }
        },
        (Mode::Check, _, Some(c)) => {
            let saved = plan.expected[i].clone();
            let cr =
                if saved.not_tested.is_none() { Some(record(c, &name, next, original(w), limits).await) } else { None };
            (saved, cr)
        }
        _ => unreachable!("execute starts the targets each mode needs"),
    }
}

/// The tests of one group of a suite (the workloads from `i`), on the sides this mode runs:
/// the suite's database opened on each side before its first group and dropped after its last.
async fn record_suite_group<E: Engine>(
    plan: &Plan,
    i: usize,
    group: &[&Workload],
    sides: Pair<Option<&mut E>>,
    suites: &mut Pair<Option<suite::OpenSuite<E::Conn>>>,
    limits: Limits,
) -> Vec<(ReferenceRun, Option<std::result::Result<Recording, String>>)> {
    let place = group[0].suite.clone().expect("a suite's group");
    let tests_of_suite = || plan.workloads.iter().filter(|w| w.suite.as_ref().is_some_and(|p| p.suite == place.suite));
    let alone = tests_of_suite().any(crate::workload::shared::workload_shared);
    let last =
        plan.workloads.get(i + group.len()).is_none_or(|w| w.suite.as_ref().is_none_or(|p| p.suite != place.suite));
    let Pair { reference, candidate } = sides;
    let mut reference = reference;
    // Why each test does not run (on the reference: unsupported, unmet, or not tested when saved).
    let mut skip: Vec<Option<String>> = Vec::with_capacity(group.len());
    for (k, w) in group.iter().enumerate() {
        let why = match (plan.mode, reference.as_deref_mut()) {
            _ if w.unsupported.is_some() => w.unsupported.clone(),
            (Mode::Check, _) => plan.expected[i + k].not_tested.clone(),
            (_, Some(r)) => r.unmet(&w.requires).await,
            (_, None) => None,
        };
        skip.push(why);
    }
    let runnable: Vec<&Workload> = group.iter().zip(&skip).filter(|(_, s)| s.is_none()).map(|(w, _)| *w).collect();
    let Pair { reference: open_r, candidate: open_c } = suites;
    let group_on = |engine, open| suite::group_on(engine, open, &place.suite, alone, last, &runnable, limits);
    let (r, c) = tokio::join!(group_on(reference, open_r), group_on(candidate, open_c));
    let (mut r, mut c) = (r.map(Vec::into_iter), c.map(Vec::into_iter));
    let mut runs = Vec::with_capacity(group.len());
    for (k, why) in skip.into_iter().enumerate() {
        if let Some(why) = why {
            let saved = (plan.mode == Mode::Check).then(|| plan.expected[i + k].clone());
            runs.push((saved.unwrap_or(ReferenceRun { not_tested: Some(why), ..Default::default() }), None));
            continue;
        }
        let reference_run = match (plan.mode, r.as_mut().and_then(Iterator::next)) {
            (Mode::Check, _) => plan.expected[i + k].clone(),
            (_, Some(Ok(original))) => ReferenceRun { original, ..Default::default() },
            (_, Some(Err(e))) => {
                ReferenceRun { not_tested: Some(format!("reference unreachable: {e}")), ..Default::default() }
            }
            (_, None) => ReferenceRun::default(),
        };
        runs.push((reference_run, c.as_mut().and_then(Iterator::next)));
    }
    runs
}

/// Start (or reach) a target and take it into use, when this mode needs it.
async fn start(spec: &TargetSpec, needed: bool, protocol: crate::model::Protocol) -> Option<Result<AnyEngine>> {
    if !needed {
        return None;
    }
    Some(AnyEngine::start(spec, protocol).await)
}

/// The reference's outcome of a workload: the original statements, then the rewrite if any.
async fn reference_run<E: Engine>(
    r: &mut E,
    w: &Workload,
    name: &str,
    next: Option<&str>,
    limits: Limits,
) -> ReferenceRun {
    if let Some(reason) = r.unmet(&w.requires).await {
        return ReferenceRun { not_tested: Some(reason), ..Default::default() };
    }
    let original = match record(r, name, next, original(w), limits).await {
        Ok(rec) => rec,
        Err(e) => {
            return ReferenceRun { not_tested: Some(format!("reference unreachable: {e}")), ..Default::default() }
        }
    };
    let rewrite = match &w.rewrite {
        Some(rw) => record(r, name, None, rewrite(w, rw), limits).await.ok(),
        None => None,
    };
    ReferenceRun { original, rewrite, ..Default::default() }
}

/// Does a multi-session workload's verdict rest on how long a step took? A statement still
/// running after the wait bound is waiting, and on a loaded machine a statement nothing blocks
/// can take that long: a `blocking` difference is confirmed by running the workload once more,
/// and the second run stands when it shows none.
fn timing_doubt(w: &Workload, ran: &Ran) -> bool {
    let blocking = |s: &crate::model::StepResult| matches!(&s.verdict, crate::model::Verdict::Mismatch { kinds, .. } if kinds.contains(&crate::model::MismatchKind::Blocking));
    w.sessions.len() > 1 && ran.result.as_ref().is_some_and(|r| r.mismatches().any(blocking))
}

/// A workload's runs, judged when there is a candidate.
async fn judged<E: Engine>(
    w: &Workload,
    reference: ReferenceRun,
    candidate_run: Option<std::result::Result<Recording, String>>,
    candidate: Option<&mut E>,
    limits: Limits,
) -> Ran {
    let result = match candidate {
        Some(c) => Some(evaluate(w, &slate_name(&w.id), &reference, candidate_run, c, limits).await),
        None => None,
    };
    Ran { reference, result }
}

/// Judge a workload; try the rewrite on the candidate when the original is blocked.
async fn evaluate<E: Engine>(
    w: &Workload,
    name: &str,
    reference: &ReferenceRun,
    candidate: Option<std::result::Result<Recording, String>>,
    c: &mut E,
    limits: Limits,
) -> WorkloadResult {
    if let Some(reason) = &reference.not_tested {
        return WorkloadResult::not_tested(w, reason.clone());
    }
    let failed_setup =
        reference.original.setup.iter().zip(&w.setup).find(|(o, _)| o.error.is_some() || o.fault.is_some());
    if let Some((outcome, step)) = failed_setup {
        return WorkloadResult::not_tested(
            w,
            format!("setup fails on the reference at {}: {}", step.location, outcome.summary()),
        );
    }
    let candidate = match candidate {
        Some(Ok(rec)) => rec,
        Some(Err(e)) => return WorkloadResult::not_tested(w, format!("candidate unreachable: {e}")),
        None => return WorkloadResult::not_tested(w, "not run".into()),
    };
    // A file that says what each step gives: each step judged by that.
    let by_file;
    let original = if reference.from_file {
        by_file = crate::compare::file::reference_for(w, &candidate);
        &by_file
    } else {
        &reference.original
    };
    let mut result = judge(w, Pair::new(original, &candidate), None);
    if result.status == Status::Blocked {
        if let (Some(spec), Some(ref_rw)) = (&w.rewrite, &reference.rewrite) {
            if let Ok(cand_rw) = record(c, name, None, rewrite(w, spec), limits).await {
                result = judge(w, Pair::new(original, &candidate), Some(Pair::new(ref_rw, &cand_rw)));
            }
        }
    }
    explain_large(&mut result).await;
    result
}

/// Large results whose digests differ: the rows each side has that the other has not, read back
/// from their spills (off the async workers, one piece at a time); then every spill is let go,
/// and only the digests and samples stay.
async fn explain_large(result: &mut WorkloadResult) {
    for step in &mut result.statements {
        let Some(outcomes) = step.outcomes.as_mut() else { continue };
        let (Some(r), Some(c)) = (outcomes.reference.large.as_mut(), outcomes.candidate.large.as_mut()) else {
            continue;
        };
        if r.rows == c.rows && r.multiset == c.multiset {
            continue;
        }
        if let (Some(rs), Some(cs)) = (r.spill.clone(), c.spill.clone()) {
            let found =
                tokio::task::spawn_blocking(move || crate::engine::rows::differing_rows(rs.as_ref(), cs.as_ref()))
                    .await;
            if let Ok(Ok((only_reference, only_candidate))) = found {
                r.only_here = only_reference;
                c.only_here = only_candidate;
            }
        }
    }
    for outcome in result.statements.iter_mut().filter_map(|s| s.outcomes.as_mut()) {
        for side in [&mut outcome.reference, &mut outcome.candidate] {
            if let Some(large) = side.large.as_mut() {
                large.spill = None;
            }
        }
    }
}

/// A workload's original statements, as a script.
pub fn original(w: &Workload) -> Script<'_> {
    Script { setup: &w.setup, steps: &w.steps, sessions: &w.sessions }
}

/// A workload's rewrite, as a script on the workload's sessions.
fn rewrite<'a>(w: &'a Workload, rw: &'a crate::model::Rewrite) -> Script<'a> {
    Script { setup: &rw.setup, steps: &rw.steps, sessions: &w.sessions }
}

#[cfg(test)]
mod tests;
