//! Verdicts and results: what comparison and judgement produce, and what reports show.

use serde::{Deserialize, Serialize};

use super::expect::Level;
use super::outcome::{Outcome, Pair};
use super::workload::Workload;

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
    /// Differs between two runs on the same database (a time, a random value): only the error
    /// and the result's columns are compared (`compat`).
    Volatile,
    /// In a pg_regress suite, the same command tag with another row count: tests of a group run
    /// at once, so a statement that reads what they share (the catalog) may count other tests'
    /// rows, and pg_regress (psql -q) shows no command tag.
    TagCount,
}

impl std::fmt::Display for Normaliser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Normaliser::MultisetOrder => "multiset order",
            Normaliser::FloatTolerance => "float tolerance 1e-12",
            Normaliser::MessageText => "error message text",
            Normaliser::Notices => "notices",
            Normaliser::OutcomeSet => "declared alternative",
            Normaliser::Volatile => "volatile (differs run to run)",
            Normaliser::TagCount => "command tag count (suite: tags are not shown by pg_regress)",
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
    /// The settings the server reported changed (ParameterStatus) differ.
    ParameterStatus,
    /// The notifications (LISTEN/NOTIFY) that reached the session differ.
    Notifications,
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
            MismatchKind::ParameterStatus => "parameter status",
            MismatchKind::Notifications => "notifications",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "verdict")]
pub enum Verdict {
    Match,
    MatchAfter {
        normalisers: Vec<Normaliser>,
    },
    Mismatch {
        kinds: Vec<MismatchKind>,
        normalisers: Vec<Normaliser>,
    },
    /// A mismatch a known-difference rule accepts (`--rules`): counted with the matches, shown
    /// apart from them.
    Accepted {
        rule: String,
        kinds: Vec<MismatchKind>,
        normalisers: Vec<Normaliser>,
    },
}

impl Verdict {
    pub fn is_match(&self) -> bool {
        !matches!(self, Verdict::Mismatch { .. })
    }

    /// The rule that accepted it, if one did.
    pub fn rule(&self) -> Option<&str> {
        match self {
            Verdict::Accepted { rule, .. } => Some(rule),
            _ => None,
        }
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
            Verdict::Accepted { rule, kinds, .. } => write!(
                f,
                "accepted under rule {rule}: {}",
                join(&kinds.iter().map(|k| k.to_string()).collect::<Vec<_>>())
            ),
        }
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

/// The scorecard verdict of a workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Works,
    WorksWithRewrite,
    /// Every difference it has is accepted by a known-difference rule.
    Accepted,
    Blocked,
    NotTested,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Status::Works => "Works",
            Status::WorksWithRewrite => "Works with rewrite",
            Status::Accepted => "Works, known differences",
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
    pub isolation: Option<IsolationResult>,
    /// Why the workload ran twice on both sides, and which run stands (a `blocking` difference
    /// is confirmed by a second run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_run: Option<String>,
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
            second_run: None,
        }
    }

    /// A workload's result made of judged `statements` alone (`id` as its path and feature):
    /// for results built outside a run, and tests.
    pub fn of(id: &str, status: Status, statements: Vec<StepResult>) -> Self {
        WorkloadResult {
            id: id.into(),
            path: id.into(),
            feature: id.into(),
            area: String::new(),
            status,
            reason: None,
            matched: statements.iter().filter(|s| s.verdict.is_match()).count(),
            total: statements.len(),
            statements,
            rewrite: Vec::new(),
            repros: Vec::new(),
            alternative: None,
            isolation: None,
            second_run: None,
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

/// One cell of the table, on one side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "cell")]
pub enum Cell {
    /// A witness of the anomaly was observed.
    Possible,
    /// No witness: how the schedule went instead — a step waited on a lock, a transaction was
    /// aborted (a serialization failure or deadlock, class 40, or a lock not granted, 55P03), or
    /// neither (reads kept to a snapshot).
    Prevented {
        blocked: bool,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        aborted: Vec<String>,
    },
    /// The schedule did not run as written (another error, a fault): no conclusion.
    Inconclusive { why: String },
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cell::Possible => f.write_str("possible"),
            Cell::Prevented { blocked, aborted } => {
                let mut how: Vec<String> = Vec::new();
                if *blocked {
                    how.push("blocked".into());
                }
                how.extend(aborted.iter().map(|c| format!("aborted {c}")));
                if how.is_empty() {
                    f.write_str("prevented")
                } else {
                    write!(f, "prevented ({})", how.join(", "))
                }
            }
            Cell::Inconclusive { why } => write!(f, "inconclusive: {why}"),
        }
    }
}

/// A workload's anomaly and level, and the cell on each side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IsolationResult {
    pub anomaly: String,
    pub level: Level,
    pub cells: Pair<Cell>,
}

/// What the reference did for one workload: exactly what `expected/` stores.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReferenceRun {
    /// Set when the workload cannot be tested (unmet requirement, reference unreachable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_tested: Option<String>,
    pub original: Recording,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rewrite: Option<Recording>,
    /// Not recorded: the workload's file says what each step gives (`Workload::file_expected`),
    /// and each step is judged by that (`compare::file`).
    #[serde(skip)]
    pub from_file: bool,
}

/// What a known-difference rule did in a run, for the reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleUse {
    pub id: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Differences it accepted.
    pub accepted: usize,
}

impl RuleUse {
    /// It matched nothing: the difference it names is gone (or the rule is wrong).
    pub fn stale(&self) -> bool {
        self.accepted == 0
    }
}
