//! Outcomes → verdicts (pure, sync): per-statement comparison with named normalisers, and the
//! per-workload judgement (Works / Works with rewrite / Blocked / Not tested).

pub mod file;
pub mod isolation;
mod rows;
pub mod sets;

use crate::model::Step;
use crate::model::{
    Fault, IsolationResult, MismatchKind, Normaliser, Outcome, Pair, Phase, Recording, ServerMessage, Status,
    StepResult, Verdict, Workload, WorkloadResult,
};

/// Compare one statement's outcomes. `ordered`: row order is part of the result.
pub fn compare(reference: &Outcome, candidate: &Outcome, ordered: bool) -> Verdict {
    let mut kinds = Vec::new();
    let mut soft = Vec::new();
    if reference.wait != candidate.wait {
        kinds.push(MismatchKind::Blocking);
    }
    if reference.fault.is_some() || candidate.fault.is_some() {
        if reference.fault != candidate.fault {
            // Name the candidate's fault; the reference's when only it faulted.
            let fault = candidate.fault.as_ref().or(reference.fault.as_ref()).expect("one side faulted");
            kinds.push(fault_kind(fault));
        }
        return verdict(kinds, soft);
    }
    match (&reference.error, &candidate.error) {
        (Some(r), Some(c)) => {
            if c.code.is_empty() && !r.code.is_empty() {
                kinds.push(MismatchKind::NoSqlstate);
            } else if r.code != c.code || r.severity != c.severity {
                kinds.push(MismatchKind::Sqlstate);
            } else if r != c {
                soft.push(Normaliser::MessageText);
            }
        }
        (None, None) => {}
        _ => kinds.push(MismatchKind::ErrorVsSuccess),
    }
    if !kinds.contains(&MismatchKind::ErrorVsSuccess) {
        let missing = |t: &Option<String>| t.as_deref().is_none_or(str::is_empty);
        if missing(&candidate.tag) && !missing(&reference.tag) {
            kinds.push(MismatchKind::NoCommandTag);
        } else if reference.tag != candidate.tag {
            kinds.push(MismatchKind::CommandTag);
        }
        compare_result_set(reference, candidate, ordered, &mut kinds, &mut soft);
        if reference.param_types != candidate.param_types {
            kinds.push(MismatchKind::ParameterTypes);
        }
        if reference.fetches != candidate.fetches {
            kinds.push(MismatchKind::RowBatches);
        }
    }
    if reference.status != candidate.status {
        kinds.push(MismatchKind::TransactionStatus);
    }
    if reference.parameters != candidate.parameters {
        kinds.push(MismatchKind::ParameterStatus);
    }
    if reference.notifications != candidate.notifications {
        kinds.push(MismatchKind::Notifications);
    }
    compare_notices(&reference.notices, &candidate.notices, &mut soft);
    verdict(kinds, soft)
}

fn fault_kind(fault: &Fault) -> MismatchKind {
    match fault {
        Fault::Timeout => MismatchKind::Timeout,
        Fault::ConnectionLost => MismatchKind::ConnectionLost,
        Fault::ServerCrashed => MismatchKind::ServerCrashed,
        Fault::Protocol(_) => MismatchKind::ProtocolError,
        Fault::NotRun => MismatchKind::NotRun,
        Fault::Refused(_) => MismatchKind::ConnectionRefused,
    }
}

fn verdict(mut kinds: Vec<MismatchKind>, mut soft: Vec<Normaliser>) -> Verdict {
    kinds.sort();
    kinds.dedup();
    soft.sort();
    soft.dedup();
    match (kinds.is_empty(), soft.is_empty()) {
        (true, true) => Verdict::Match,
        (true, false) => Verdict::MatchAfter { normalisers: soft },
        (false, _) => Verdict::Mismatch { kinds, normalisers: soft },
    }
}

fn compare_result_set(
    reference: &Outcome,
    candidate: &Outcome,
    ordered: bool,
    kinds: &mut Vec<MismatchKind>,
    soft: &mut Vec<Normaliser>,
) {
    match (&reference.columns, &candidate.columns) {
        (Some(rc), Some(cc)) => {
            let names = |cols: &[crate::model::Column]| cols.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
            if names(rc) != names(cc) {
                kinds.push(MismatchKind::Columns);
            }
            if rc.len() == cc.len() {
                let types_differ = rc.iter().zip(cc).any(|(a, b)| a.type_name != b.type_name || a.typmod != b.typmod);
                if types_differ {
                    kinds.push(MismatchKind::ColumnTypes);
                }
                let float_cols: Vec<bool> = rc.iter().map(|c| rows::is_float_type(&c.type_name)).collect();
                let result = match (&reference.large, &candidate.large) {
                    (None, None) => rows::compare_rows(&reference.rows, &candidate.rows, ordered, &float_cols),
                    (r, c) => rows::compare_large(r.as_ref(), c.as_ref(), ordered),
                };
                match result {
                    rows::RowComparison::Equal(normalisers) => soft.extend(normalisers),
                    rows::RowComparison::OrderDiffers => kinds.push(MismatchKind::RowOrder),
                    rows::RowComparison::Differ => kinds.push(MismatchKind::Rows),
                }
            } else if reference.rows.len() != candidate.rows.len() {
                kinds.push(MismatchKind::Rows);
            }
        }
        (None, None) => {}
        _ => kinds.push(MismatchKind::Columns),
    }
}

fn compare_notices(reference: &[ServerMessage], candidate: &[ServerMessage], soft: &mut Vec<Normaliser>) {
    let key = |n: &ServerMessage| (n.severity.clone(), n.code.clone());
    let same_kinds =
        reference.len() == candidate.len() && reference.iter().zip(candidate).all(|(a, b)| key(a) == key(b));
    if !same_kinds {
        soft.push(Normaliser::Notices);
    } else if reference != candidate {
        soft.push(Normaliser::MessageText);
    }
}

/// Compare two recordings of the same statements, one verdict per statement.
pub fn judge_statements(phase: Phase, statements: &[Step], outcomes: Pair<&[Outcome]>) -> Vec<StepResult> {
    statements
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let missing = Outcome::faulted(Fault::NotRun);
            let r = outcomes.reference.get(i).unwrap_or(&missing);
            let c = outcomes.candidate.get(i).unwrap_or(&missing);
            let verdict = compare(r, c, step.ordered());
            let outcomes = (!verdict.is_match()).then(|| Pair::new(r.clone(), c.clone()));
            StepResult {
                phase,
                index: i + 1,
                session: step.session.clone(),
                location: step.location.to_string(),
                sql: step.sql.clone(),
                verdict,
                outcomes,
            }
        })
        .collect()
}

/// A suite's test: a mismatch only in the row count of the same command tag is soft
/// (`Normaliser::TagCount`).
fn soften_tag_counts(statements: &mut [StepResult]) {
    let verb = |tag: &Option<String>| -> Option<String> {
        let tag = tag.as_deref()?;
        Some(tag.trim_end_matches(|c: char| c.is_ascii_digit() || c == ' ').to_string())
    };
    for s in statements.iter_mut() {
        let (Verdict::Mismatch { kinds, normalisers }, Some(o)) = (&s.verdict, &s.outcomes) else { continue };
        if kinds.as_slice() == [MismatchKind::CommandTag] && verb(&o.reference.tag) == verb(&o.candidate.tag) {
            let mut normalisers = normalisers.clone();
            normalisers.push(Normaliser::TagCount);
            normalisers.sort();
            s.verdict = Verdict::MatchAfter { normalisers };
            s.outcomes = None;
        }
    }
}

/// Judge a workload. `rewrite` holds the reference's and the candidate's runs of the rewrite,
/// when the original mismatched and the workload has one.
///
/// "Works with rewrite" needs both: every rewrite statement on the candidate matches the same
/// statement on the reference, and the rewrite's last step on the reference matches the
/// original's last step on the reference (the rewrite really has the same result).
pub fn judge(w: &Workload, original: Pair<&Recording>, rewrite: Option<Pair<&Recording>>) -> WorkloadResult {
    let mut statements =
        judge_statements(Phase::Setup, &w.setup, Pair::new(&original.reference.setup, &original.candidate.setup));
    statements.extend(judge_statements(
        Phase::Step,
        &w.steps,
        Pair::new(&original.reference.steps, &original.candidate.steps),
    ));
    if w.suite.is_some() {
        soften_tag_counts(&mut statements);
    }
    let alternative = accepted_alternative(w, &mut statements, original);
    let matched = statements.iter().filter(|s| s.verdict.is_match()).count();
    let total = statements.len();
    let isolation = w.isolation.as_ref().map(|spec| IsolationResult {
        anomaly: spec.anomaly.clone(),
        level: spec.level,
        cells: Pair::new(
            isolation::classify(spec, &w.steps, &original.reference.steps),
            isolation::classify(spec, &w.steps, &original.candidate.steps),
        ),
    });
    let mut result = WorkloadResult {
        id: w.id.clone(),
        path: w.path.display().to_string(),
        feature: w.feature.clone(),
        area: w.area.clone(),
        status: if matched == total { Status::Works } else { Status::Blocked },
        matched,
        total,
        statements,
        rewrite: Vec::new(),
        repros: Vec::new(),
        reason: alternative.as_ref().map(|why| format!("declared alternative: {why}")),
        alternative,
        isolation,
        second_run: None,
    };
    if result.status == Status::Works {
        return result;
    }
    let kinds: Vec<String> = {
        let mut k: Vec<MismatchKind> = result
            .mismatches()
            .flat_map(|s| match &s.verdict {
                Verdict::Mismatch { kinds, .. } => kinds.clone(),
                _ => Vec::new(),
            })
            .collect();
        k.sort();
        k.dedup();
        k.iter().map(|k| k.to_string()).collect()
    };
    result.reason = Some(format!("{} mismatched ({})", total - matched, kinds.join(", ")));
    if let (Some(rw), Some(spec)) = (rewrite, &w.rewrite) {
        let mut rewritten =
            judge_statements(Phase::RewriteSetup, &spec.setup, Pair::new(&rw.reference.setup, &rw.candidate.setup));
        rewritten.extend(judge_statements(
            Phase::RewriteStep,
            &spec.steps,
            Pair::new(&rw.reference.steps, &rw.candidate.steps),
        ));
        let sides_agree = rewritten.iter().all(|s| s.verdict.is_match());
        let same_result = match (rw.reference.steps.last(), original.reference.steps.last(), spec.steps.last()) {
            (Some(a), Some(b), Some(step)) => compare(b, a, step.ordered()).is_match(),
            _ => false,
        };
        result.rewrite = rewritten;
        if sides_agree && same_result {
            result.status = Status::WorksWithRewrite;
        } else if !same_result {
            let note = "; the rewrite's result differs from the original's on the reference";
            result.reason = result.reason.map(|r| r + note);
        } else {
            result.reason = result.reason.map(|r| r + "; the rewrite mismatches too");
        }
    }
    result
}

/// Where the steps mismatch, the first declared alternative the candidate's steps match as a
/// whole (every differing step named in it, every step named in it as described): those steps'
/// verdicts become matches after `OutcomeSet`. Setup must match the reference as it is.
fn accepted_alternative(w: &Workload, statements: &mut [StepResult], original: Pair<&Recording>) -> Option<String> {
    if w.alternatives.is_empty() || statements.iter().all(|s| s.verdict.is_match()) {
        return None;
    }
    if statements.iter().any(|s| s.phase == Phase::Setup && !s.verdict.is_match()) {
        return None;
    }
    let missing = Outcome::faulted(Fault::NotRun);
    let (reference, candidate) = (&original.reference.steps, &original.candidate.steps);
    let alt = w.alternatives.iter().find(|alt| {
        statements.iter().filter(|s| s.phase == Phase::Step).all(|s| match alt.steps.get(&s.index) {
            Some(expect) => {
                let i = s.index - 1;
                let (r, c) = (reference.get(i).unwrap_or(&missing), candidate.get(i).unwrap_or(&missing));
                sets::accepts(expect, r, c, w.steps[i].ordered())
            }
            None => s.verdict.is_match(),
        })
    })?;
    for s in statements.iter_mut().filter(|s| s.phase == Phase::Step && alt.steps.contains_key(&s.index)) {
        if let Verdict::Mismatch { normalisers, .. } = &s.verdict {
            let mut normalisers = normalisers.clone();
            normalisers.push(Normaliser::OutcomeSet);
            s.verdict = Verdict::MatchAfter { normalisers };
        }
    }
    Some(alt.why.clone())
}

#[cfg(test)]
mod tests;
