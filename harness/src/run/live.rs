//! A target in use: its admin connection, the fresh database (or schema) of each workload, the
//! pinned session settings, type names from its own catalog, and recovery after a crash.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use serde::Serialize;

use super::admin::{Admin, AdminResult, Pending};
use crate::compare::Recording;
use crate::outcome::{Fault, Outcome};
use crate::target::Target;
use crate::wire::{quote_ident, quote_literal, ConnectParams, Response, Session};
use crate::workload::{Requirement, Step};

/// Session settings pinned identically on both sides (PRODUCT §4).
pub const PINNED_SETTINGS: &[(&str, &str)] = &[
    ("client_encoding", "'UTF8'"),
    ("TimeZone", "'UTC'"),
    ("DateStyle", "'ISO, MDY'"),
    ("IntervalStyle", "'postgres'"),
    ("extra_float_digits", "1"),
    ("bytea_output", "'hex'"),
    ("lc_messages", "'C'"),
    ("client_min_messages", "'notice'"),
];

const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
const BUILTIN_TYPES: &str = "SELECT oid::int8::text, format_type(oid, NULL) FROM pg_type WHERE oid < 16384";
const ADMIN_TIMEOUT: Duration = Duration::from_secs(60);

/// How each workload gets a clean slate on a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// `CREATE DATABASE` per workload, dropped after it.
    FreshDatabase,
    /// `CREATE SCHEMA` per workload (first on the search_path), when databases are not usable.
    FreshSchema,
}

impl std::fmt::Display for Strategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Strategy::FreshDatabase => "fresh database per workload",
            Strategy::FreshSchema => "fresh schema per workload",
        })
    }
}

/// What a run learned about a target, shown in every report.
#[derive(Debug, Clone, Serialize)]
pub struct TargetReport {
    /// The target as named, password redacted.
    pub target: String,
    pub version: String,
    pub strategy: Option<Strategy>,
    /// Why the strategy was chosen, when it is not the default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strategy_reason: Option<String>,
    /// Pinned settings the target refused, with its error.
    pub refused_settings: BTreeSet<String>,
    /// Crashes, restarts and other events, in order.
    pub events: Vec<String>,
}

pub struct Live {
    pub target: Target,
    admin: Admin,
    /// The next workload's database, being created while the current one runs.
    pending: Option<Pending>,
    /// Built-in type names, loading in the background from the start.
    types_loading: Option<Pending>,
    types: Option<HashMap<u32, String>>,
    pub report: TargetReport,
    /// A fault that means the target itself failed (crash, unreachable): exit code 3.
    pub failed: bool,
}

/// The clean slate a workload runs in.
struct Slate {
    name: String,
    strategy: Strategy,
}

impl Live {
    pub fn new(target: Target) -> Self {
        let report = TargetReport {
            target: target.spec.to_string(),
            version: target.version.clone(),
            strategy: None,
            strategy_reason: None,
            refused_settings: BTreeSet::new(),
            events: Vec::new(),
        };
        let admin = Admin::spawn(target.params.clone());
        let types_loading = Some(admin.exec_later(BUILTIN_TYPES));
        Live { target, admin, pending: None, types_loading, types: None, report, failed: false }
    }

    /// Finish queued admin work (drops), then stop what the harness started.
    pub async fn stop(mut self) {
        if let Some(p) = self.pending.take() {
            self.admin.drop_database_later(&p.name);
        }
        self.admin.shutdown().await;
        self.target.stop().await;
    }

    async fn admin_exec(&mut self, sql: &str) -> AdminResult {
        self.admin.exec(sql).await
    }

    /// Restart a crashed server the harness owns before the next workload.
    async fn recover(&mut self) {
        if self.target.crashed() {
            self.failed = true;
            match self.target.restart().await {
                Ok(true) => self.report.events.push("server crashed; restarted".into()),
                Ok(false) => {}
                Err(e) => self.report.events.push(format!("server crashed; restart failed: {e}")),
            }
        }
    }

    /// After a lost connection: did the server the harness owns exit? (It may take a moment.)
    async fn server_died(&mut self) -> bool {
        for _ in 0..30 {
            if self.target.crashed() {
                return true;
            }
            if !self.target.owned() {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    /// Why a workload cannot run here, if a requirement is unmet.
    pub async fn unmet(&mut self, requires: &[Requirement]) -> Option<String> {
        for req in requires {
            match req {
                Requirement::Extension(name) => {
                    let sql = format!("SELECT 1 FROM pg_available_extensions WHERE name = {}", quote_literal(name));
                    match self.admin_exec(&sql).await {
                        Ok(out) if !out.rows.is_empty() => {}
                        Ok(_) => return Some(format!("requires {req}: not available on the reference")),
                        Err((_, e)) => return Some(format!("requires {req}: cannot check ({e})")),
                    }
                }
                Requirement::MinVersion(min) => {
                    let major = major_version(&self.target.version);
                    if major < *min {
                        return Some(format!("requires {req}: the reference is {}", self.target.version));
                    }
                }
            }
        }
        None
    }

    /// Run `groups` of statements (setup, then steps) in a fresh database named `name`.
    /// Err: the target could not give this workload a database or a connection.
    pub async fn record(
        &mut self,
        name: &str,
        next: Option<&str>,
        setup: &[Step],
        steps: &[Step],
        timeout: Duration,
    ) -> Result<Recording, String> {
        self.recover().await;
        let (mut session, slate) = self.open(name).await.inspect_err(|_| self.failed = true)?;
        if let (Some(next), Strategy::FreshDatabase) = (next, slate.strategy) {
            if let Some(stale) = self.pending.replace(self.admin.prepare_database(next)) {
                self.admin.drop_database_later(&stale.name);
            }
        }
        let mut meta: Option<Session> = None;
        let mut rec = Recording::default();
        for (group, out) in [(setup, &mut rec.setup), (steps, &mut rec.steps)] {
            for step in group {
                let resp = session.simple_query(&step.sql, timeout).await;
                let mut outcome = self.resolve_types(resp, &slate, &mut meta).await;
                if matches!(outcome.fault, Some(Fault::ConnectionLost | Fault::Protocol(_))) && self.server_died().await
                {
                    outcome.fault = Some(Fault::ServerCrashed);
                }
                if matches!(outcome.fault, Some(Fault::ConnectionLost | Fault::ServerCrashed)) {
                    self.failed = true;
                    self.report.events.push(format!(
                        "{}: {} at {}",
                        name,
                        outcome.fault.as_ref().expect("set"),
                        step.location
                    ));
                }
                out.push(outcome);
            }
        }
        if let Some(m) = meta {
            m.close().await;
        }
        session.close().await;
        self.recover().await;
        self.close(&slate).await;
        Ok(rec)
    }

    async fn open(&mut self, name: &str) -> Result<(Session, Slate), String> {
        if self.report.strategy != Some(Strategy::FreshSchema) {
            match self.open_database(name).await {
                Ok(session) => {
                    self.report.strategy = Some(Strategy::FreshDatabase);
                    return Ok((session, Slate { name: name.to_string(), strategy: Strategy::FreshDatabase }));
                }
                Err(reason) if self.report.strategy.is_none() => {
                    self.report.strategy = Some(Strategy::FreshSchema);
                    self.report.strategy_reason = Some(reason);
                }
                Err(reason) => return Err(reason),
            }
        }
        let session = self.open_schema(name).await?;
        Ok((session, Slate { name: name.to_string(), strategy: Strategy::FreshSchema }))
    }

    async fn open_database(&mut self, name: &str) -> Result<Session, String> {
        let created = match self.pending.take() {
            Some(p) if p.name == name => match p.wait().await {
                Ok(out) => Ok(out),
                // E.g. the server crashed and restarted meanwhile: try once more.
                Err(_) => self.admin.create_database(name).await,
            },
            other => {
                self.pending = other;
                self.admin.create_database(name).await
            }
        };
        created.map_err(|(code, msg)| format!("CREATE DATABASE failed: {code} {msg}"))?;
        let params = self.target.params.with_dbname(name);
        match self.connect_pinned(&params).await {
            Ok(s) => Ok(s),
            Err(e) => {
                let _ = self.admin.drop_database(name).await;
                Err(format!("cannot connect to a new database: {e}"))
            }
        }
    }

    async fn open_schema(&mut self, name: &str) -> Result<Session, String> {
        let _ = self.admin_exec(&format!("DROP SCHEMA IF EXISTS {} CASCADE", quote_ident(name))).await;
        self.admin_exec(&format!("CREATE SCHEMA {}", quote_ident(name)))
            .await
            .map_err(|(c, m)| format!("cannot create a fresh database or schema: CREATE SCHEMA failed: {c} {m}"))?;
        let params = self.target.params.clone();
        let mut session = self.connect_pinned(&params).await?;
        let set = format!("SET search_path TO {}", quote_ident(name));
        session.simple_query(&set, ADMIN_TIMEOUT).await;
        Ok(session)
    }

    /// Connect and apply the pinned settings in one round trip; when that fails, one by one, so
    /// that each refused setting is reported (not fatal).
    async fn connect_pinned(&mut self, params: &ConnectParams) -> Result<Session, String> {
        let mut session = Session::connect(params, CONNECT_TIMEOUT).await.map_err(|e| e.to_string())?;
        let all: Vec<String> = PINNED_SETTINGS.iter().map(|(n, v)| format!("SET {n} = {v}")).collect();
        let out = session.simple_query(&all.join("; "), ADMIN_TIMEOUT).await.outcome;
        if let Some(f) = out.fault {
            return Err(format!("pinned settings: {f}"));
        }
        if out.error.is_none() {
            return Ok(session);
        }
        for (name, value) in PINNED_SETTINGS {
            let out = session.simple_query(&format!("SET {name} = {value}"), ADMIN_TIMEOUT).await.outcome;
            if let Some(e) = out.error {
                self.report.refused_settings.insert(format!("{name} ({} {})", e.code, e.message));
            } else if let Some(f) = out.fault {
                return Err(format!("SET {name}: {f}"));
            }
        }
        Ok(session)
    }

    async fn close(&mut self, slate: &Slate) {
        match slate.strategy {
            Strategy::FreshDatabase => self.admin.drop_database_later(&slate.name),
            Strategy::FreshSchema => {
                let _ = self.admin_exec(&format!("DROP SCHEMA IF EXISTS {} CASCADE", quote_ident(&slate.name))).await;
            }
        }
    }

    /// Fill in column type names from this target's catalog: built-in types once per target,
    /// others through a side connection to the workload's database.
    async fn resolve_types(&mut self, resp: Response, slate: &Slate, meta: &mut Option<Session>) -> Outcome {
        let Response { mut outcome, column_oids } = resp;
        if column_oids.is_empty() {
            return outcome;
        }
        if self.types.is_none() {
            let loaded = match self.types_loading.take() {
                Some(p) => p.wait().await,
                None => self.admin_exec(BUILTIN_TYPES).await,
            };
            let map = match loaded {
                Ok(out) => out
                    .rows
                    .into_iter()
                    .filter_map(|r| Some((r.first()?.as_ref()?.parse().ok()?, r.get(1)?.clone()?)))
                    .collect(),
                Err(_) => HashMap::new(),
            };
            self.types = Some(map);
        }
        let known = self.types.as_ref().expect("loaded");
        let unknown: Vec<u32> = column_oids.iter().copied().filter(|o| !known.contains_key(o)).collect();
        let mut extra: HashMap<u32, String> = HashMap::new();
        if !unknown.is_empty() {
            if meta.is_none() {
                let params = match slate.strategy {
                    Strategy::FreshDatabase => self.target.params.with_dbname(&slate.name),
                    Strategy::FreshSchema => self.target.params.clone(),
                };
                if let Ok(mut m) = Session::connect(&params, CONNECT_TIMEOUT).await {
                    if slate.strategy == Strategy::FreshSchema {
                        m.simple_query(&format!("SET search_path TO {}", quote_ident(&slate.name)), ADMIN_TIMEOUT)
                            .await;
                    }
                    *meta = Some(m);
                }
            }
            if let Some(m) = meta.as_mut() {
                let list: Vec<String> = unknown.iter().map(|o| o.to_string()).collect();
                let sql = format!(
                    "SELECT oid::int8::text, format_type(oid, NULL) FROM pg_type WHERE oid IN ({})",
                    list.join(", ")
                );
                for r in m.simple_query(&sql, ADMIN_TIMEOUT).await.outcome.rows {
                    if let (Some(Some(oid)), Some(Some(name))) = (r.first(), r.get(1)) {
                        if let Ok(oid) = oid.parse() {
                            extra.insert(oid, name.clone());
                        }
                    }
                }
            }
        }
        if let Some(columns) = outcome.columns.as_mut() {
            for (col, oid) in columns.iter_mut().zip(&column_oids) {
                col.type_name = known
                    .get(oid)
                    .or_else(|| extra.get(oid))
                    .cloned()
                    // Not visible to another session yet (created in an open transaction).
                    .unwrap_or_else(|| "(type not visible outside the transaction)".to_string());
            }
        }
        outcome
    }
}

/// The major version in `server_version` (`15.18 (Debian …)` → 15, `18beta1` → 18).
pub fn major_version(version: &str) -> u32 {
    let digits: String = version.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().unwrap_or(0)
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
    fn versions_and_names() {
        assert_eq!(major_version("15.18 (Debian 15.18-0+deb12u1)"), 15);
        assert_eq!(major_version("18beta1"), 18);
        assert_eq!(slate_name("dml/Insert-returning"), "pgparity_dml_insert_returning");
        let long = slate_name(&"x".repeat(100));
        assert_eq!(long.len(), 63);
        assert_ne!(long, slate_name(&"x".repeat(101)));
    }
}
