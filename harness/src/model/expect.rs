//! What a workload may declare about outcomes beyond "the same as the reference": outcome sets
//! (acceptable alternatives, PRODUCT §6) and the isolation anomaly a schedule tests for.

use std::collections::BTreeMap;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

/// A row as the wire sends it in text format: `None` is SQL NULL.
pub type Row = Vec<Option<String>>;

/// Another acceptable outcome of some steps, taken as a whole: a candidate whose steps differ
/// from the reference is still right when every step that differs is named here, and every
/// step named here is as described.
#[derive(Debug, Clone, PartialEq)]
pub struct Alternative {
    /// Why this is acceptable (shown in the verdict): "b is the deadlock victim instead of a".
    pub why: String,
    /// 1-based step number → what that step does in this alternative.
    pub steps: BTreeMap<usize, Expect>,
}

/// What one step does in an alternative. It overrides the aspects it names and nothing else;
/// naming the result (`ok` or `error`) also frees what follows from it (command tag, columns,
/// rows, transaction status) unless those are named too.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// `true`: the step succeeds.
    #[serde(default)]
    pub ok: Option<bool>,
    /// The step fails with this SQLSTATE.
    #[serde(default)]
    pub error: Option<String>,
    /// The full command tag (`ROLLBACK`, `UPDATE 1`).
    #[serde(default)]
    pub tag: Option<String>,
    /// The rows, compared like rows (a multiset unless the step orders them).
    #[serde(default, deserialize_with = "rows_opt")]
    pub rows: Option<Vec<Row>>,
    #[serde(default)]
    pub wait: Option<WaitExpect>,
}

/// Whether the step may wait on a lock in this alternative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitExpect {
    /// It may or may not wait, and end its wait any way.
    Any,
    /// It does not wait.
    None,
    /// It waits, and the wait ends any way.
    Waits,
}

/// The Hermitage-style anomaly a multi-session workload tests for, at one isolation level.
#[derive(Debug, Clone, PartialEq)]
pub struct Isolation {
    /// `G0`, `G1a`, … `G2` (any name; the Hermitage ones sort first in the table).
    pub anomaly: String,
    pub level: Level,
    /// The anomaly shows when any of these holds; each is a set of steps that must all have
    /// completed with the given rows or command tag.
    pub anomaly_if: Vec<BTreeMap<usize, Observation>>,
}

/// What one step returned, as a witness of the anomaly.
#[derive(Debug, Clone, PartialEq)]
pub enum Observation {
    Tag(String),
    Rows(Vec<Row>),
}

impl<'de> Deserialize<'de> for Observation {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Tag(String),
            Rows(Vec<Vec<Option<Scalar>>>),
        }
        match Raw::deserialize(d).map_err(|_| {
            de::Error::custom("an observation is a command tag (`COMMIT`) or rows (`[[1, 10], [2, 20]]`)")
        })? {
            Raw::Tag(t) => Ok(Observation::Tag(t)),
            Raw::Rows(rows) => Ok(Observation::Rows(texts(rows))),
        }
    }
}

/// The isolation levels, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, Deserialize)]
pub enum Level {
    #[serde(rename = "read uncommitted")]
    ReadUncommitted,
    #[serde(rename = "read committed")]
    ReadCommitted,
    #[serde(rename = "repeatable read")]
    RepeatableRead,
    #[serde(rename = "serializable")]
    Serializable,
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Level::ReadUncommitted => "read uncommitted",
            Level::ReadCommitted => "read committed",
            Level::RepeatableRead => "repeatable read",
            Level::Serializable => "serializable",
        })
    }
}

/// A YAML scalar as PostgreSQL's text format would send it: `true` → `t`, `1` → `1`.
pub struct Scalar(pub String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a scalar value (text, number, true/false or null)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(if v { "t" } else { "f" }.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

fn texts(rows: Vec<Vec<Option<Scalar>>>) -> Vec<Row> {
    rows.into_iter().map(|r| r.into_iter().map(|c| c.map(|s| s.0)).collect()).collect()
}

fn rows_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Row>>, D::Error> {
    Ok(Some(texts(Vec::<Vec<Option<Scalar>>>::deserialize(d)?)))
}

/// What a file in a format of its own says a step gives (a sqllogictest record's expected
/// result): a saved reference that needs no reference server (`check`).
#[derive(Debug, Clone, PartialEq)]
pub enum FileExpect {
    /// `statement ok`: it succeeds.
    Ok,
    /// `statement count N`: it succeeds and affects N rows.
    Count(u64),
    /// `statement error`, `query error`: it fails.
    Error(ExpectedFailure),
    /// `query … ----`: it succeeds with these result lines.
    Rows(ExpectedRows),
}

/// How an expected failure is described.
#[derive(Debug, Clone, PartialEq)]
pub enum ExpectedFailure {
    /// Any error.
    Any,
    /// A regular expression the error message matches.
    Pattern(String),
    /// The error message, exactly.
    Message(String),
    /// The SQLSTATE.
    Sqlstate(String),
}

/// A query's expected result lines: each a row's values joined by spaces (one value a line when
/// `valuewise`, or when sorted by value), NULL written `NULL` and the empty string `(empty)`,
/// whitespace collapsed; or one line `N values hashing to H` (an MD5 over the values).
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedRows {
    pub lines: Vec<String>,
    pub sort: ResultSort,
    pub valuewise: bool,
}

/// How a query's result is sorted before it is compared with its expected lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultSort {
    /// As received.
    None,
    /// Rows sorted.
    Rows,
    /// Every value on its own, sorted.
    Values,
}
