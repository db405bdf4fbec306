//! A workload as data: one feature's evidence, its steps and how each is sent and compared.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::expect;
use super::Location;

/// One feature's evidence: setup, steps, and an optional rewrite.
#[derive(Debug, Clone)]
pub struct Workload {
    /// The file it came from.
    pub path: PathBuf,
    /// Stable identity: the path below the suite root without extension (`dml/returning`).
    pub id: String,
    pub feature: String,
    pub area: String,
    pub description: Option<String>,
    pub requires: Vec<Requirement>,
    /// Named sessions, each its own connection on each side; empty for a single session.
    /// Setup runs on the first.
    pub sessions: Vec<String>,
    pub setup: Vec<Step>,
    pub steps: Vec<Step>,
    pub rewrite: Option<Rewrite>,
    /// Outcome sets: other acceptable outcomes of the steps (YAML only).
    pub alternatives: Vec<expect::Alternative>,
    /// The isolation anomaly this schedule tests for (YAML only).
    pub isolation: Option<expect::Isolation>,
    /// A test of a suite run as its schedule says (pg_regress): where it runs.
    pub suite: Option<SuitePlace>,
    /// Why this test of a suite cannot run yet (what its file uses that is not supported, at
    /// its position): reported as not tested, and the suite goes on.
    pub unsupported: Option<String>,
    /// What the file itself says each step gives (sqllogictest), one per step: `check` judges
    /// by it when no reference outcome was recorded.
    pub file_expected: Vec<expect::FileExpect>,
}

impl Workload {
    /// A workload with its identity and nothing else yet: no steps, sessions, requirements or
    /// options.
    pub fn new(path: &std::path::Path, id: &str, feature: String, area: String) -> Workload {
        Workload {
            path: path.to_path_buf(),
            id: id.to_string(),
            feature,
            area,
            description: None,
            requires: Vec::new(),
            sessions: Vec::new(),
            setup: Vec::new(),
            steps: Vec::new(),
            rewrite: None,
            alternatives: Vec::new(),
            isolation: None,
            suite: None,
            unsupported: None,
            file_expected: Vec::new(),
        }
    }
}

/// A suite's tests share one database per side; the tests of a group run at once, each on its
/// own connection, and groups run in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuitePlace {
    /// The suite's name (its folder's): its database is `slate_name(suite)`.
    pub suite: String,
    /// The group's number in the schedule (from 1).
    pub group: usize,
}

/// The same intent, written differently: "Works with rewrite" when it matches.
#[derive(Debug, Clone)]
pub struct Rewrite {
    pub setup: Vec<Step>,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone)]
pub struct Step {
    pub sql: String,
    pub order: Order,
    /// The session (connection) it runs on, in a multi-session workload; `None`: the first.
    pub session: Option<String>,
    /// Read from the parse tree: the statement's top level has ORDER BY.
    pub has_order_by: bool,
    /// Data sent when the statement is `COPY … FROM STDIN` (psql's text: one row per line).
    pub copy_data: Option<String>,
    /// The protocol this step must use (`None`: the run's, or extended when `bind` is set).
    pub protocol: Option<Protocol>,
    /// Extended-protocol parameters, named statement and row limit (YAML only).
    pub bind: Option<Bind>,
    /// A psql command that sends nothing (`\pset`, `\d t`, `\echo`): `sql` is its line, and it
    /// is recorded in its place with an empty outcome on both sides.
    pub psql_only: bool,
    /// What psql decides only as the script runs, from values `\gset` takes from the server.
    pub runtime: Option<Box<Runtime>>,
    pub location: Location,
}

/// A step of a psql script that depends on the server's answers to earlier ones: variables a
/// `\gset` set, interpolated; the `\gset` that sets them; the `\if` blocks on them (and a `\q`
/// inside one). Each side runs it with its own values, as psql would.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Runtime {
    /// Interpolations, by byte range of `sql` (which holds the reference as written).
    pub holes: Vec<Hole>,
    /// `\gset [prefix]`: the one row of this step's result sets variables `prefix` + column name
    /// (a NULL unsets one).
    pub gset: Option<String>,
    /// Sent only when every guard holds.
    pub guards: Vec<Guard>,
    /// psql's `\\c` (same database, same user): the session is replaced by a new connection.
    pub reconnect: bool,
    /// `\\gexec`: each value of this step's result is then sent as a statement of its own.
    pub gexec: bool,
}

/// A variable interpolated when the step runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hole {
    pub start: usize,
    pub end: usize,
    pub var: String,
    pub style: HoleStyle,
    /// Its value when the script was read (before any `\gset` changed it), if it had one.
    pub fallback: Option<String>,
}

/// How psql writes a variable into SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoleStyle {
    /// `:name`: the value as it is.
    Plain,
    /// `:'name'`: a literal.
    Literal,
    /// `:"name"`: an identifier.
    Identifier,
    /// `:{?name}`: TRUE or FALSE, whether it is set.
    Defined,
}

/// A condition decided as the script runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Guard {
    /// `\if :name` (`want` false in its `\else`): the variable read as psql reads a boolean.
    Var { name: String, want: bool, fallback: Option<String> },
    /// `\\if :{?name}`: whether the variable is set.
    Defined { name: String, want: bool, fallback: bool },
    /// After a `\q` inside such blocks: not all of them held (else psql had stopped).
    NotAll(Vec<Guard>),
}

impl Step {
    /// A step whose statement the front-end has read (`has_order_by`: see the field).
    pub fn new(sql: String, order: Order, has_order_by: bool, location: Location) -> Self {
        Step {
            sql,
            order,
            session: None,
            has_order_by,
            copy_data: None,
            protocol: None,
            bind: None,
            psql_only: false,
            runtime: None,
            location,
        }
    }

    /// The protocol it runs with, when the run's default is `default`.
    pub fn protocol(&self, default: Protocol) -> Protocol {
        self.protocol.unwrap_or(if self.bind.is_some() { Protocol::Extended } else { default })
    }

    /// Is row order part of this step's result?
    pub fn ordered(&self) -> bool {
        match self.order {
            Order::Strict => true,
            Order::Any => false,
            Order::Auto => self.has_order_by,
        }
    }
}

/// The wire protocol a statement is sent with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// One Query message (psql, most admin tools).
    #[default]
    Simple,
    /// Parse/Describe/Bind/Execute/Sync (libpq's PQexecParams, JDBC, most drivers).
    Extended,
}

/// What an extended-protocol step binds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bind {
    pub params: Vec<Param>,
    /// A named prepared statement: parsed by the first step of a session that names it, and
    /// reused (Bind/Execute only) by that session's later steps naming it.
    pub statement: Option<String>,
    /// Execute's row limit: rows come in batches of this many (PortalSuspended between).
    pub fetch: Option<u32>,
}

/// One parameter: its text value (`None`: NULL) and, when typed, the type named in Parse.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub value: Option<String>,
    pub type_name: Option<String>,
}

/// How rows compare: `auto` reads ORDER BY from the statement.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    #[default]
    Auto,
    Strict,
    Any,
}

/// A precondition checked on the reference; unmet means Not tested, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    /// `extension:NAME`: available on the reference (`pg_available_extensions`).
    Extension(String),
    /// `version:N`: the reference's major version is at least N.
    MinVersion(u32),
}

impl std::fmt::Display for Requirement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Requirement::Extension(e) => write!(f, "extension:{e}"),
            Requirement::MinVersion(v) => write!(f, "version:{v}"),
        }
    }
}

impl Requirement {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.split_once(':') {
            Some(("extension", name)) if !name.trim().is_empty() => Ok(Requirement::Extension(name.trim().to_string())),
            Some(("version", v)) => v
                .trim()
                .parse()
                .map(Requirement::MinVersion)
                .map_err(|_| format!("`{text}`: the version must be a major version number, e.g. version:16")),
            _ => Err(format!("unknown requirement `{text}`; expected extension:NAME or version:N")),
        }
    }
}

/// The database (or schema) name of a workload: deterministic, so both sides and every run
/// see the same `current_database()`.
pub fn slate_name(id: &str) -> String {
    let mut name: String = format!("pgparity_{}", id)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
        .collect();
    if name.len() > 63 {
        let hash = id.bytes().fold(0xcbf29ce484222325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3));
        name.truncate(46);
        name.push_str(&format!("_{:016x}", hash));
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slate_names_are_deterministic_identifiers() {
        assert_eq!(slate_name("dml/Insert-returning"), "pgparity_dml_insert_returning");
        let long = slate_name(&"x".repeat(100));
        assert_eq!(long.len(), 63);
        assert_ne!(long, slate_name(&"x".repeat(101)));
    }
}
