//! What one statement did on one target, as a driver saw it: the plain data every layer shares.

use serde::{Deserialize, Serialize};

/// The two sides of every comparison, kept symmetric from run to report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Pair<T> {
    pub reference: T,
    pub candidate: T,
}

impl<T> Pair<T> {
    pub fn new(reference: T, candidate: T) -> Self {
        Pair { reference, candidate }
    }
    pub fn as_ref(&self) -> Pair<&T> {
        Pair::new(&self.reference, &self.candidate)
    }
}

/// The outcome of one statement: everything the wire reported, nothing flattened.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// Result columns (absent when the statement returned no row description).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<Column>>,
    /// Rows exactly as sent in text format; `None` is SQL NULL, distinct from `""`. For a
    /// result too large to hold (`large`), its first `SAMPLE_ROWS` rows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<Vec<Option<String>>>,
    /// A result of more than `KEPT_ROWS` rows or `KEPT_BYTES` bytes: every row counted and
    /// digested as it arrived, never held whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub large: Option<LargeResult>,
    /// The full command tag (`INSERT 0 2`), absent when the server sent none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ServerMessage>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<ServerMessage>,
    /// Extended protocol: the parameter types the server inferred (ParameterDescription).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub param_types: Option<Vec<String>>,
    /// Extended protocol with a row limit (`fetch: N`): the Executes it took (one more than
    /// the PortalSuspended messages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetches: Option<usize>,
    /// Settings a driver tracks that the server reported changed while the statement ran
    /// (ParameterStatus: `search_path`, `TimeZone`, `DateStyle`…), in the order sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<Parameter>,
    /// Notifications (LISTEN/NOTIFY) that reached this session while the statement ran, in the
    /// order sent: its own after a commit, another session's that came while it was idle.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notifications: Vec<Notification>,
    /// Transaction status from ReadyForQuery after the statement.
    pub status: TxStatus,
    /// Set when the statement did not complete normally on the wire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<Fault>,
    /// In a multi-session workload: the statement did not complete within the wait bound
    /// (it waited, on a lock most likely), and how the wait ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<Wait>,
}

/// A result holds every row up to this many rows…
pub const KEPT_ROWS: usize = 10_000;
/// …and this many bytes of values; past either, it is summarised (`LargeResult`).
pub const KEPT_BYTES: usize = 16 << 20;
/// How many of a large result's first rows are kept, for the diff a person reads.
pub const SAMPLE_ROWS: usize = 100;

/// A large result, summarised as it streamed: comparable by digest in bounded memory (and saved
/// so in expected/), with its rows spilled to disk meanwhile to find the differing ones.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LargeResult {
    /// Every row, counted.
    pub rows: u64,
    /// SHA-256 over the rows' digests in order (hex): equal when the rows are, in order.
    pub ordered: String,
    /// The sum modulo 2^128 of the rows' digests (hex): equal when the rows are as a multiset.
    pub multiset: String,
    /// After the two sides' digests differed: rows this side has that the other has not
    /// (their first `SAMPLE_ROWS`), read back from the spill.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub only_here: Vec<Vec<Option<String>>>,
    /// Where every row waits until the workload is judged (never saved).
    #[serde(skip)]
    pub spill: Option<std::sync::Arc<dyn Spilled>>,
}

impl PartialEq for LargeResult {
    fn eq(&self, other: &Self) -> bool {
        (self.rows, &self.ordered, &self.multiset, &self.only_here)
            == (other.rows, &other.ordered, &other.multiset, &other.only_here)
    }
}

/// A large result's rows outside memory, read back one bounded piece at a time.
pub trait Spilled: Send + Sync + std::fmt::Debug {
    /// How many pieces: every row is in exactly one, chosen by its digest, so equal rows of
    /// two results are in pieces of the same number.
    fn pieces(&self) -> usize;
    /// One piece's rows.
    fn piece(&self, i: usize) -> std::io::Result<Vec<Vec<Option<String>>>>;
}

/// How a statement that waited stopped waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "until")]
pub enum Wait {
    /// It completed as soon as step `by` (1-based, among the workload's steps) completed.
    Released { by: usize },
    /// It completed on its own while the schedule waited for it (its session's next step was
    /// due, or the workload ended): a deadlock detected, say.
    Finished,
    /// Still waiting when the workload ended: cancelled.
    Cancelled,
}

impl std::fmt::Display for Wait {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Wait::Released { by } => write!(f, "waited until step {by}"),
            Wait::Finished => f.write_str("waited, then finished on its own"),
            Wait::Cancelled => f.write_str("still waiting at the end: cancelled"),
        }
    }
}

impl Outcome {
    /// An outcome for a statement that never reached the server.
    pub fn faulted(fault: Fault) -> Self {
        Outcome { status: TxStatus::Unknown, fault: Some(fault), ..Outcome::default() }
    }

    /// What changes from run to run on the same server is masked, so expected/ stays
    /// byte-stable: a deadlock's DETAIL names backend PIDs and transaction ids
    /// (`Process N waits for ShareLock on transaction N`), and `oid` columns name user objects
    /// by numbers each server (and each run) assigns its own way (`(object oid)`, for 16384 —
    /// FirstNormalObjectId — and up; the system's own OIDs stay); a type in a temporary schema
    /// is named `pg_temp.x`, whichever `pg_temp_N` the session got.
    pub fn mask_volatile(&mut self) {
        // A temporary schema is named after the session's server slot (`pg_temp_3`), which
        // depends on how many other sessions the server has.
        for name in
            self.columns.iter_mut().flatten().map(|c| &mut c.type_name).chain(self.param_types.iter_mut().flatten())
        {
            if let Some(rest) = name.strip_prefix("pg_temp_") {
                let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
                if digits > 0 && rest[digits..].starts_with('.') {
                    *name = format!("pg_temp{}", &rest[digits..]);
                }
            }
        }
        let oid_cols: Vec<bool> = self.columns.iter().flatten().map(|c| c.type_name == "oid").collect();
        if oid_cols.contains(&true) {
            for row in &mut self.rows {
                for (cell, _) in row.iter_mut().zip(&oid_cols).filter(|(_, is_oid)| **is_oid) {
                    if cell.as_deref().and_then(|v| v.parse::<u64>().ok()).is_some_and(|n| n >= 16384) {
                        *cell = Some("(object oid)".to_string());
                    }
                }
            }
        }
        if let Some(e) = self.error.as_mut().filter(|e| e.code == "40P01") {
            if let Some(detail) = e.detail.as_mut() {
                let mut masked = String::with_capacity(detail.len());
                let mut in_number = false;
                for ch in detail.chars() {
                    if ch.is_ascii_digit() {
                        if !in_number {
                            masked.push('N');
                        }
                        in_number = true;
                    } else {
                        masked.push(ch);
                        in_number = false;
                    }
                }
                *detail = masked;
            }
        }
    }

    /// A one-line description: `SELECT 3`, `ERROR 42601`, `timeout`.
    pub fn summary(&self) -> String {
        if let Some(fault) = &self.fault {
            return fault.to_string();
        }
        match (&self.error, &self.tag) {
            (Some(e), _) => format!("{} {}: {}", e.severity, e.code, e.message),
            (None, Some(tag)) => tag.clone(),
            (None, None) => "(no command tag)".to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    /// Type name resolved from the target's own catalog (`integer`, `text`, `numeric`).
    #[serde(rename = "type")]
    pub type_name: String,
    /// Type modifier as sent (-1 when none), e.g. the length of `varchar(20)`.
    #[serde(default = "no_typmod", skip_serializing_if = "is_no_typmod")]
    pub typmod: i32,
}

fn no_typmod() -> i32 {
    -1
}
fn is_no_typmod(v: &i32) -> bool {
    *v == -1
}

/// An ErrorResponse or NoticeResponse. The server's source file, line and routine fields are
/// deliberately not kept: they change between builds and are never compared.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerMessage {
    /// Non-localized severity (`V`), falling back to `S`.
    pub severity: String,
    /// SQLSTATE; empty when the server sent none.
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datatype: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint: Option<String>,
}

/// A ParameterStatus message: a setting the server reports to drivers, and its new value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parameter {
    pub name: String,
    pub value: String,
}

/// A NotificationResponse. The notifying backend's process id is not kept: it differs on every
/// server and every run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub channel: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub payload: String,
}

/// ReadyForQuery's transaction status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TxStatus {
    Idle,
    InTransaction,
    Failed,
    /// No ReadyForQuery was seen (the statement faulted).
    #[default]
    Unknown,
}

impl TxStatus {
    pub fn from_byte(b: u8) -> Self {
        match b {
            b'I' => TxStatus::Idle,
            b'T' => TxStatus::InTransaction,
            b'E' => TxStatus::Failed,
            _ => TxStatus::Unknown,
        }
    }
}

impl std::fmt::Display for TxStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TxStatus::Idle => "idle",
            TxStatus::InTransaction => "in transaction",
            TxStatus::Failed => "failed transaction",
            TxStatus::Unknown => "unknown",
        })
    }
}

/// A statement that did not complete normally: these are outcomes too, never a harness crash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "detail")]
pub enum Fault {
    /// No answer within the per-statement timeout; a CancelRequest was sent.
    Timeout,
    /// The connection closed or broke while the statement ran.
    ConnectionLost,
    /// The server process the harness started is gone.
    ServerCrashed,
    /// The server sent something this client cannot follow.
    Protocol(String),
    /// Not run because an earlier fault in the same workload ended its session.
    NotRun,
    /// The step's session could not connect (e.g. a second connection was refused).
    Refused(String),
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fault::Timeout => f.write_str("timeout (cancelled)"),
            Fault::ConnectionLost => f.write_str("connection lost"),
            Fault::ServerCrashed => f.write_str("server crashed"),
            Fault::Protocol(m) => write!(f, "protocol error: {m}"),
            Fault::NotRun => f.write_str("not run (session ended by an earlier fault)"),
            Fault::Refused(m) => write!(f, "session could not connect: {m}"),
        }
    }
}
