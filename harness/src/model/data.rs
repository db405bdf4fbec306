//! What `data-diff` finds: per table, rows on each side, rows missing, extra or changed, and per
//! column the values that differ, with examples and a hint where the pattern is recognisable.

use serde::{Deserialize, Serialize};

use super::outcome::Pair;

/// How a table's rows are paired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pairing {
    PrimaryKey,
    /// A unique constraint or index whose columns are all NOT NULL.
    UniqueKey,
    /// No key: the whole row, as a multiset.
    WholeRow,
}

impl std::fmt::Display for Pairing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Pairing::PrimaryKey => "primary key",
            Pairing::UniqueKey => "unique key",
            Pairing::WholeRow => "whole row (multiset)",
        })
    }
}

/// One value that differs, on both sides (`None`: NULL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueExample {
    /// The row's key, as `(1)` or `(1, 'a')`.
    pub key: String,
    pub reference: Option<String>,
    pub candidate: Option<String>,
}

/// A column whose values differ in some rows paired by key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnDiff {
    pub column: String,
    /// Rows where it differs.
    pub rows: u64,
    pub examples: Vec<ValueExample>,
    /// What the examples look like (`truncated: …`, `time-zone shift of 2 h`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// One table, on both sides.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TableDiff {
    pub table: String,
    /// `None` while it could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pairing: Option<Pairing>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key: Vec<String>,
    pub rows: Pair<u64>,
    /// On the reference, not on the candidate.
    pub missing: u64,
    /// On the candidate, not on the reference.
    pub extra: u64,
    /// Paired by key, with a value that differs.
    pub changed: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<ColumnDiff>,
    /// The first missing and extra rows' keys (whole rows for a multiset).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_examples: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_examples: Vec<String>,
    /// Columns only one side has (not compared).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub only_reference_columns: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub only_candidate_columns: Vec<String>,
    /// Against a snapshot: the key ranges whose digests differ (`keys 1 … 65536: 65536 rows
    /// then, 65535 now`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<String>,
    /// It could not be read or compared on a side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl TableDiff {
    pub fn equal(&self) -> bool {
        self.error.is_none()
            && self.missing == 0
            && self.extra == 0
            && self.changed == 0
            && self.ranges.is_empty()
            && self.only_reference_columns.is_empty()
            && self.only_candidate_columns.is_empty()
    }
}

/// Everything `data-diff` reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DataReport {
    /// What each side is: a target, or a snapshot file.
    pub reference: String,
    pub candidate: String,
    pub tables: Vec<TableDiff>,
    /// Tables only one side has.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub only_reference: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub only_candidate: Vec<String>,
    /// The relative tolerance floats are compared within.
    pub float_tolerance: f64,
    /// A snapshot written by this run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_written: Option<String>,
}

impl DataReport {
    /// Exit 1.
    pub fn differs(&self) -> bool {
        !self.only_reference.is_empty() || !self.only_candidate.is_empty() || self.tables.iter().any(|t| !t.equal())
    }
}
