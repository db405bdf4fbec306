//! Outcomes → verdicts (pure, sync): per-statement comparison with named normalisers, and the
//! per-workload judgement (Works / Works with rewrite / Blocked / Not tested).

pub mod isolation;
mod rows;
pub mod sets;

use serde::{Deserialize, Serialize};

use crate::outcome::{Outcome, Pair, ServerMessage};
use crate::workload::{Step, Workload};

/// A difference that does not fail a step, always named in the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Normaliser {
    /// Same rows in a different order, for a statement with no top-level ORDER BY.
    MultisetOrder,
    /// `real` / `double precision` values equal within a relative 1e-12.
    FloatTolerance,
    /// Same SQLSTATE and severity, different message, detail, hint, context or position.
    MessageText,
    /// Notices or warnings differ (soft by default).
    Notices,
    /// Differs from the reference as one of the workload's declared alternatives says.
    OutcomeSet,
}

impl std::fmt::Display for Normaliser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Normaliser::MultisetOrder => "multiset order",
            Normaliser::FloatTolerance => "float tolerance 1e-12",
            Normaliser::MessageText => "error message text",
            Normaliser::Notices => "notices",
            Normaliser::OutcomeSet => "declared alternative",
        })
    }
}

/// What kind of mismatch a step shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MismatchKind {
    /// No answer within the timeout on one side (or only on one side).
    Timeout,
    ConnectionLost,
    ServerCrashed,
    /// A message this client could not follow.
    ProtocolError,
    /// Not run: an earlier fault ended the session on one side.
    NotRun,
    /// A session's connection was refused on one side.
    ConnectionRefused,
    ErrorVsSuccess,
    Sqlstate,
    /// The candidate reported an error without a SQLSTATE.
    NoSqlstate,
    Columns,
    ColumnTypes,
    CommandTag,
    /// The candidate completed the statement without a command tag.
    NoCommandTag,
    Rows,
    RowOrder,
    TransactionStatus,
    /// Extended protocol: the parameter types the server inferred (ParameterDescription) differ.
    ParameterTypes,
    /// Extended protocol with a row limit: the rows came in a different number of batches.
    RowBatches,
    /// It waited (was blocked) on one side and not the other, or stopped waiting differently.
    Blocking,
}

impl std::fmt::Display for MismatchKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MismatchKind::Timeout => "timeout",
            MismatchKind::ConnectionLost => "connection lost",
            MismatchKind::ServerCrashed => "server crashed",
            MismatchKind::ProtocolError => "protocol error",
            MismatchKind::NotRun => "not run",
            MismatchKind::ConnectionRefused => "connection refused",
            MismatchKind::ErrorVsSuccess => "error vs success",
            MismatchKind::Sqlstate => "SQLSTATE",
            MismatchKind::NoSqlstate => "no SQLSTATE",
            MismatchKind::Columns => "columns",
            MismatchKind::ColumnTypes => "column types",
            MismatchKind::CommandTag => "command tag",
            MismatchKind::NoCommandTag => "no command tag",
            MismatchKind::Rows => "rows",
            MismatchKind::RowOrder => "row order",
            MismatchKind::TransactionStatus => "transaction status",
            MismatchKind::ParameterTypes => "parameter types",
            MismatchKind::RowBatches => "row batches",
            MismatchKind::Blocking => "blocking",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "verdict")]
pub enum Verdict {
    Match,
    MatchAfter { normalisers: Vec<Normaliser> },
    Mismatch { kinds: Vec<MismatchKind>, normalisers: Vec<Normaliser> },
}

impl Verdict {
    pub fn is_match(&self) -> bool {
        !matches!(self, Verdict::Mismatch { .. })
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let join = |v: &[String]| v.join(", ");
        match self {
            Verdict::Match => f.write_str("match"),
            Verdict::MatchAfter { normalisers } => {
                write!(f, "match after {}", join(&normalisers.iter().map(|n| n.to_string()).collect::<Vec<_>>()))
            }
            Verdict::Mismatch { kinds, .. } => {
                write!(f, "mismatch: {}", join(&kinds.iter().map(|k| k.to_string()).collect::<Vec<_>>()))
            }
        }
    }
}

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
    compare_notices(&reference.notices, &candidate.notices, &mut soft);
    verdict(kinds, soft)
}

fn fault_kind(fault: &crate::outcome::Fault) -> MismatchKind {
    use crate::outcome::Fault;
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
            let names = |cols: &[crate::outcome::Column]| cols.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
            if names(rc) != names(cc) {
                kinds.push(MismatchKind::Columns);
            }
            if rc.len() == cc.len() {
                let types_differ = rc.iter().zip(cc).any(|(a, b)| a.type_name != b.type_name || a.typmod != b.typmod);
                if types_differ {
                    kinds.push(MismatchKind::ColumnTypes);
                }
                let float_cols: Vec<bool> = rc.iter().map(|c| rows::is_float_type(&c.type_name)).collect();
                let result = rows::compare_rows(&reference.rows, &candidate.rows, ordered, &float_cols);
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

/// Which part of a workload a statement belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Setup,
    Step,
    RewriteSetup,
    RewriteStep,
}

impl StepResult {
    /// `step 3`, or `step 3 (session b)` in a multi-session workload.
    pub fn label(&self) -> String {
        match &self.session {
            Some(s) => format!("{} {} (session {s})", self.phase, self.index),
            None => format!("{} {}", self.phase, self.index),
        }
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Phase::Setup => "setup",
            Phase::Step => "step",
            Phase::RewriteSetup => "rewrite setup",
            Phase::RewriteStep => "rewrite step",
        })
    }
}

/// One statement's verdict, with both outcomes when they differ.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepResult {
    pub phase: Phase,
    /// 1-based within its phase.
    pub index: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    pub location: String,
    pub sql: String,
    #[serde(flatten)]
    pub verdict: Verdict,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcomes: Option<Pair<Outcome>>,
}

/// Compare two recordings of the same statements, one verdict per statement.
pub fn judge_statements(phase: Phase, statements: &[Step], outcomes: Pair<&[Outcome]>) -> Vec<StepResult> {
    statements
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let missing = Outcome::faulted(crate::outcome::Fault::NotRun);
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

/// The scorecard verdict of a workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Works,
    WorksWithRewrite,
    Blocked,
    NotTested,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Status::Works => "Works",
            Status::WorksWithRewrite => "Works with rewrite",
            Status::Blocked => "Blocked",
            Status::NotTested => "Not tested",
        })
    }
}

/// A workload's result: everything the reporters need.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkloadResult {
    pub id: String,
    pub path: String,
    pub feature: String,
    pub area: String,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Statements (setup + steps) that matched, out of `total`.
    pub matched: usize,
    pub total: usize,
    pub statements: Vec<StepResult>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rewrite: Vec<StepResult>,
    /// Repro files (under the output folder) for this workload's mismatches.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repros: Vec<String>,
    /// The declared alternative the candidate's steps matched, where they differ from the
    /// reference's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternative: Option<String>,
    /// The anomaly this schedule tests for, and what each side showed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isolation: Option<isolation::IsolationResult>,
}

impl WorkloadResult {
    pub fn not_tested(w: &Workload, reason: String) -> Self {
        WorkloadResult {
            id: w.id.clone(),
            path: w.path.display().to_string(),
            feature: w.feature.clone(),
            area: w.area.clone(),
            status: Status::NotTested,
            reason: Some(reason),
            matched: 0,
            total: w.setup.len() + w.steps.len(),
            statements: Vec::new(),
            rewrite: Vec::new(),
            repros: Vec::new(),
            alternative: None,
            isolation: None,
        }
    }

    pub fn mismatches(&self) -> impl Iterator<Item = &StepResult> {
        self.statements.iter().filter(|s| !s.verdict.is_match())
    }
}

/// Recorded outcomes of one run of a workload's statements on one side.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Recording {
    pub setup: Vec<Outcome>,
    pub steps: Vec<Outcome>,
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
    let alternative = accepted_alternative(w, &mut statements, original);
    let matched = statements.iter().filter(|s| s.verdict.is_match()).count();
    let total = statements.len();
    let isolation = w.isolation.as_ref().map(|spec| isolation::IsolationResult {
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
    let missing = Outcome::faulted(crate::outcome::Fault::NotRun);
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
