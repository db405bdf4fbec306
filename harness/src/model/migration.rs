//! What `pgparity migrate` found: per version, whether the two schemas are still the same,
//! each drift with both sides' value, failures, and the invariants of the whole history.

use serde::{Deserialize, Serialize};

use super::outcome::Pair;

/// The engine a schema was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dialect {
    Postgres,
    Sqlite,
}

impl std::fmt::Display for Dialect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Dialect::Postgres => "PostgreSQL",
            Dialect::Sqlite => "SQLite",
        })
    }
}

/// One difference between the two schemas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    /// `table`, `table.column`, a view or a trigger.
    pub object: String,
    pub kind: DriftKind,
    /// Each side's value, as it reads (`(none)` where a side has nothing).
    pub reference: String,
    pub candidate: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftKind {
    Table,
    Column,
    ColumnType,
    Nullability,
    Default,
    PrimaryKey,
    Unique,
    ForeignKey,
    Check,
    Index,
    View,
    Trigger,
    /// An enum type and its labels.
    Enum,
    /// Declared alike, enforced differently: a probe one side rejects and the other accepts.
    Enforcement,
}

impl std::fmt::Display for DriftKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DriftKind::Table => "table",
            DriftKind::Column => "column",
            DriftKind::ColumnType => "column type",
            DriftKind::Nullability => "nullability",
            DriftKind::Default => "default",
            DriftKind::PrimaryKey => "primary key",
            DriftKind::Unique => "unique",
            DriftKind::ForeignKey => "foreign key",
            DriftKind::Check => "check",
            DriftKind::Index => "index",
            DriftKind::View => "view",
            DriftKind::Trigger => "trigger",
            DriftKind::Enum => "enum",
            DriftKind::Enforcement => "enforcement",
        })
    }
}

/// A version's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MigrationStatus {
    /// Both applied it, and the schemas are the same.
    Equivalent,
    /// Both applied it, and the schemas differ (new drifts at this version, or carried ones).
    Drift,
    /// It failed on one side or both.
    Failed,
    /// Only one tree has this version.
    OneSide,
}

impl std::fmt::Display for MigrationStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MigrationStatus::Equivalent => "equivalent",
            MigrationStatus::Drift => "drift",
            MigrationStatus::Failed => "failed",
            MigrationStatus::OneSide => "one side only",
        })
    }
}

/// One version of the history, on both sides.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MigrationResult {
    pub version: String,
    /// Each side's file (`None`: that tree has no such version).
    pub files: Pair<Option<String>>,
    pub status: MigrationStatus,
    /// Drifts that appear at this version (the first version where each shows).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drifts: Vec<Drift>,
    /// Drifts of earlier versions still there.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub carried: usize,
    /// Each side's failure: the statement's location and the error.
    #[serde(default)]
    pub errors: Pair<Option<String>>,
    /// What the invariants say of this version (a failure that left a partial change).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// A repro folder per drift that appears here (below the output folder).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repros: Vec<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// A property of the whole history, checked on each side.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Invariant {
    /// `re-run changes nothing`, `baseline equals the upgraded schema`.
    pub name: String,
    /// Per side: holds, does not, or was not checked there.
    pub holds: Pair<Option<bool>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
}

impl Invariant {
    /// How a side's verdict reads.
    pub fn verdict(holds: Option<bool>) -> &'static str {
        match holds {
            Some(true) => "holds",
            Some(false) => "does not hold",
            None => "not checked",
        }
    }
}

/// One tree as read.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TreeInfo {
    pub root: String,
    pub convention: String,
    pub migrations: usize,
    /// Down migrations recognised and left out.
    pub down: usize,
}

/// Everything `migrate` reports.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MigrationReport {
    pub trees: Pair<TreeInfo>,
    pub versions: Vec<MigrationResult>,
    #[serde(default)]
    pub invariants: Vec<Invariant>,
}

impl MigrationReport {
    /// Any version drifted or failed, or any invariant does not hold: exit 1.
    pub fn differs(&self) -> bool {
        self.versions.iter().any(|v| matches!(v.status, MigrationStatus::Drift | MigrationStatus::Failed))
            || self.invariants.iter().any(|i| i.holds.reference == Some(false) || i.holds.candidate == Some(false))
    }
}
