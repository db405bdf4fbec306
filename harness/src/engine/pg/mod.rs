//! PostgreSQL over the wire, as an engine: a server in use (`server/`: local clusters, URLs,
//! `exec:` and `docker:` servers), how many connections it takes, its admin connection
//! (`admin.rs`), the clean slate per workload (`slate.rs`), what all its databases share around
//! a workload that touches it (`shared.rs`), type names from its catalog
//! (`types.rs`), steps as the wire sends them (`request.rs`), and recovery after a crash or a
//! wedge. Sessions are `wire::Session`s on `postgres-protocol`'s codec.

mod admin;
mod request;
pub mod server;
mod shared;
mod slate;
mod types;
pub mod wire;

pub use request::Request as PgRequest;
pub use types::type_names;

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use admin::{admin_result, Admin, AdminError, AdminResult, Pending};
use request::Request;
use server::Target;
use slate::Slate;
use wire::{quote_literal, Canceller, Response, Session};

use crate::engine::{Beside, Cancel, Connection, Engine, News};
use crate::model::{
    Connections, Fault, Outcome, Protocol, Requirement, RestartCause, Step, Strategy, TargetEvent, TargetReport,
};

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

const CONNECT_PATIENCE: Duration = Duration::from_secs(10);
const ADMIN_TIMEOUT: Duration = Duration::from_secs(60);

pub struct PgEngine {
    target: Target,
    admin: Admin,
    /// With `Connections::One`: the session everything runs on, between workloads.
    one: Option<Session>,
    /// The next workload's database, being created while the current one runs.
    pending: Option<Pending>,
    /// Built-in type names, loading in the background from the start.
    types_loading: Option<Pending>,
    types: Option<HashMap<u32, String>>,
    report: TargetReport,
    /// A fault that means the target itself failed (crash, dropped connection, unreachable):
    /// exit code 3.
    failed: bool,
    /// A statement timed out and the server ignored the cancel: restart before going on.
    wedged: bool,
    /// The protocol steps are sent with unless they say otherwise.
    protocol: Protocol,
    /// The open workload's slate, and its side connection for type lookups.
    slate: Option<Slate>,
    meta: Option<Session>,
    /// Databases kept as templates (`Engine::keep`), dropped at the end.
    kept: Vec<String>,
}

impl PgEngine {
    /// Take a started target into use: find out how many connections it takes. Steps go with
    /// `protocol` unless they say otherwise.
    pub async fn start(target: Target, protocol: Protocol) -> Self {
        let connections = if accepts_a_second_connection(&target).await { Connections::Many } else { Connections::One };
        let report = TargetReport {
            target: target.spec.to_string(),
            version: target.version.clone(),
            connections,
            strategy: None,
            strategy_reason: None,
            refused_settings: BTreeSet::new(),
            events: Vec::new(),
        };
        let admin = Admin::spawn(target.params.clone(), !target.owned());
        let types_loading = (connections == Connections::Many).then(|| admin.exec_later(types::BUILTIN_TYPES));
        PgEngine {
            target,
            admin,
            one: None,
            pending: None,
            types_loading,
            types: None,
            report,
            failed: false,
            wedged: false,
            protocol,
            slate: None,
            meta: None,
            kept: Vec::new(),
        }
    }

    /// Another way into the same target, with its own admin connection, for trials that run
    /// beside this one's work; `None` where that is not possible (one connection at a time, or
    /// no fresh database per workload).
    fn lane(&self) -> Option<PgEngine> {
        if self.single() || self.report.strategy != Some(Strategy::FreshDatabase) {
            return None;
        }
        let target = self.target.attach();
        Some(PgEngine {
            admin: Admin::spawn(target.params.clone(), !target.owned()),
            target,
            one: None,
            pending: None,
            types_loading: None,
            types: self.types.clone(),
            // Its events are its own, handed back by `take_news`.
            report: TargetReport { events: Vec::new(), ..self.report.clone() },
            failed: false,
            wedged: false,
            protocol: self.protocol,
            slate: None,
            meta: None,
            kept: Vec::new(),
        })
    }

    fn is_single(&self) -> bool {
        self.report.connections == Connections::One
    }

    /// Is `other` the same server (same address)? Their workload databases would collide.
    pub fn same_server(&self, other: &PgEngine) -> bool {
        self.target.params.host == other.target.params.host && self.target.params.port == other.target.params.port
    }

    /// Finish queued admin work (drops), then stop what the harness started.
    async fn shutdown(mut self) {
        if let Some(p) = self.pending.take() {
            self.admin.drop_database_later(&p.name);
        }
        for name in std::mem::take(&mut self.kept) {
            self.admin.drop_database_later(&name);
        }
        if let Some(s) = self.one.take() {
            s.close().await;
        }
        self.admin.shutdown().await;
        self.target.stop().await;
    }

    /// The one session of a one-connection target, connected when needed.
    async fn one_session(&mut self) -> Result<&mut Session, String> {
        if self.one.as_ref().is_none_or(|s| s.broken) {
            let s =
                Session::connect_patiently(&self.target.params, CONNECT_PATIENCE).await.map_err(|e| e.to_string())?;
            self.one = Some(s);
        }
        Ok(self.one.as_mut().expect("connected"))
    }

    /// An admin statement: on the admin connection, or on the one session.
    async fn admin_exec(&mut self, sql: &str) -> AdminResult {
        if !self.single() {
            return self.admin.exec(sql).await;
        }
        let session = self.one_session().await.map_err(AdminError::other)?;
        admin_result(session.simple_query(sql, ADMIN_TIMEOUT).await.outcome)
    }

    /// The open slate's name, for events.
    fn slate_label(&self) -> String {
        self.slate.as_ref().map(|s| s.name.clone()).unwrap_or_default()
    }

    /// Before a workload: restart a server the harness owns if it crashed or wedged.
    async fn recover(&mut self) {
        let crashed = self.target.crashed();
        if !crashed && !self.wedged {
            return;
        }
        let cause = if crashed { RestartCause::Crashed } else { RestartCause::Wedged };
        self.wedged = false;
        self.one = None;
        if crashed {
            self.failed = true;
        }
        match self.target.restart().await {
            Ok(true) => self.report.events.push(TargetEvent::Restarted { cause, result: Ok(()) }),
            Ok(false) => {}
            Err(e) => {
                self.failed = true;
                self.report.events.push(TargetEvent::Restarted { cause, result: Err(e) });
            }
        }
    }

    /// After a lost connection: did the server the harness owns exit? An exiting server may
    /// take a while on a loaded machine, so wait up to 10 s — but a server that still accepts
    /// a connection is alive, and that ends the wait at once.
    async fn server_died(&mut self) -> bool {
        if !self.target.owned() {
            return false;
        }
        let start = std::time::Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if self.target.crashed() {
                return true;
            }
            if let Ok(s) = Session::connect(&self.target.params, Duration::from_secs(1)).await {
                s.close().await;
                return self.target.crashed();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.target.crashed()
    }

    /// Why a workload cannot run here, if a requirement is unmet.
    async fn unmet_requirement(&mut self, requires: &[Requirement]) -> Option<String> {
        for req in requires {
            match req {
                Requirement::Extension(name) => {
                    let sql = format!("SELECT 1 FROM pg_available_extensions WHERE name = {}", quote_literal(name));
                    match self.admin_exec(&sql).await {
                        Ok(out) if !out.rows.is_empty() => {}
                        Ok(_) => return Some(format!("requires {req}: not available on the reference")),
                        Err(e) => return Some(format!("requires {req}: cannot check ({})", e.message)),
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

    /// A clean slate named `name` and its first session, after recovering a server that
    /// crashed or wedged; the next workload's database is prepared meanwhile, unless this one
    /// runs alone: then the harness's earlier work here is finished first, and what all
    /// databases share is taken note of.
    async fn open_workload(&mut self, name: &str, beside: Beside<'_>) -> Result<Session, String> {
        self.recover().await;
        let before = match beside {
            Beside::Alone => Some(self.clear_the_way(name).await),
            Beside::Next(_) => None,
        };
        let (session, mut slate) = match self.open_slate(name).await {
            // A server the harness owns that stopped answering (wedged after a lost
            // connection): restart it and try once more.
            Err(e) if self.target.owned() => {
                self.failed = true;
                self.one = None;
                let result = self.target.restart().await.map(|_| ());
                let cause = RestartCause::Unreachable { workload: name.to_string(), why: e };
                self.report.events.push(TargetEvent::Restarted { cause, result });
                self.open_slate(name).await?
            }
            other => other.inspect_err(|_| self.failed = true)?,
        };
        slate.shared = before;
        if let (Beside::Next(Some(next)), Strategy::FreshDatabase) = (beside, slate.strategy) {
            match self.pending.take() {
                // Already being prepared: dropping it after queueing it again would drop the
                // new one.
                Some(p) if p.name == next => self.pending = Some(p),
                stale => {
                    if let Some(stale) = stale {
                        self.admin.drop_database_later(&stale.name);
                    }
                    self.pending = Some(self.admin.prepare_database(next));
                }
            }
        }
        self.slate = Some(slate);
        Ok(session)
    }

    /// Before a workload that runs alone: no other database of the harness on the server (a
    /// database prepared for another workload dropped, queued drops done); what all databases
    /// share, as it is now.
    async fn clear_the_way(&mut self, name: &str) -> shared::Shared {
        if !self.is_single() {
            match self.pending.take() {
                Some(p) if p.name == name => self.pending = Some(p),
                Some(p) => {
                    let _ = self.admin.drop_database(&p.name).await;
                }
                None => {}
            }
            self.admin.barrier().await;
        }
        self.note_failures();
        self.shared_snapshot().await
    }

    /// Drops queued earlier that failed: reported.
    fn note_failures(&mut self) {
        for what in self.admin.failures() {
            self.report.events.push(TargetEvent::Leftover { workload: String::new(), what });
        }
    }

    /// After building a template: its sessions closed, the database kept. Only a database per
    /// workload can be copied.
    async fn keep_workload(&mut self, session: Session) -> Result<(), String> {
        let copyable = self.slate.as_ref().is_some_and(|s| s.strategy == Strategy::FreshDatabase);
        if !copyable {
            self.close_workload(session).await;
            return Err("only a database per workload can be copied".into());
        }
        if let Some(m) = self.meta.take() {
            m.close().await;
        }
        session.close().await;
        let slate = self.slate.take().expect("checked");
        self.kept.push(slate.name);
        self.recover().await;
        Ok(())
    }

    /// A database that starts as a copy of a kept one, and its first session.
    async fn open_workload_copy(&mut self, name: &str, template: &str) -> Result<Session, String> {
        self.recover().await;
        self.admin.copy_database(name, template).await.map_err(|e| {
            self.failed |= e.code.is_empty();
            format!("CREATE DATABASE … TEMPLATE failed: {e}")
        })?;
        let params = self.target.params.with_dbname(name);
        let session = match self.connect_pinned(&params).await {
            Ok(s) => s,
            Err(e) => {
                let _ = self.admin.drop_database(name).await;
                return Err(format!("cannot connect to a copied database: {e}"));
            }
        };
        self.slate =
            Some(Slate { name: name.to_string(), strategy: Strategy::FreshDatabase, leftover: None, shared: None });
        Ok(session)
    }

    /// After a workload: its side connection closed, a crash recovered, the slate dropped.
    async fn close_workload(&mut self, session: Session) {
        if let Some(m) = self.meta.take() {
            m.close().await;
        }
        self.recover().await;
        if let Some(slate) = self.slate.take() {
            self.close_slate(session, &slate).await;
            if let Some(before) = &slate.shared {
                let own = (slate.strategy == Strategy::FreshDatabase).then_some(slate.name.as_str());
                self.remove_new_shared(&slate.name, own, before).await;
            }
        }
        self.note_failures();
    }
}

impl PgEngine {
    /// A statement's response as its outcome: type names resolved, a lost connection checked
    /// for a crash, and what the target's report must say.
    async fn settle_response(&mut self, step: &Step, resp: Response, session: &mut Session) -> Outcome {
        let broken = session.broken;
        let mut outcome = self.resolve_types(resp, session).await;
        outcome.mask_volatile();
        if matches!(outcome.fault, Some(Fault::ConnectionLost | Fault::Protocol(_))) && self.server_died().await {
            outcome.fault = Some(Fault::ServerCrashed);
        }
        match &outcome.fault {
            Some(Fault::ConnectionLost | Fault::ServerCrashed) => {
                self.failed = true;
                let (workload, location) = (self.slate_label(), step.location.to_string());
                let fault = outcome.fault.clone().expect("set");
                self.report.events.push(TargetEvent::Fault { workload, fault, location });
            }
            Some(Fault::Timeout) if broken => {
                self.wedged = true;
                let (workload, location) = (self.slate_label(), step.location.to_string());
                self.report.events.push(TargetEvent::CancelIgnored { workload, location });
            }
            _ => {}
        }
        outcome
    }
}

impl Cancel for Canceller {
    async fn cancel(&self) {
        let _ = Canceller::cancel(self).await;
    }
}

impl Connection for Session {
    type Request = Request;
    type Raw = Response;
    type Cancel = Canceller;

    fn canceller(&self) -> Canceller {
        Session::canceller(self)
    }
    async fn send(&mut self, request: &Request, timeout: Duration) -> Response {
        request.send(self, timeout).await
    }
    async fn close(self) {
        Session::close(self).await
    }
}

impl Engine for PgEngine {
    type Conn = Session;

    fn report(&self) -> &TargetReport {
        &self.report
    }
    fn dialect(&self) -> crate::model::Dialect {
        crate::model::Dialect::Postgres
    }
    fn failed(&self) -> bool {
        self.failed
    }
    fn single(&self) -> bool {
        self.is_single()
    }
    async fn unmet(&mut self, requires: &[Requirement]) -> Option<String> {
        self.unmet_requirement(requires).await
    }
    async fn open(&mut self, name: &str, beside: Beside<'_>) -> Result<Session, String> {
        self.open_workload(name, beside).await
    }
    async fn open_extra(&mut self) -> Result<Session, String> {
        let Some(slate) = self.slate.take() else { return Err("no workload is open".into()) };
        let session = self.open_session(&slate).await;
        self.slate = Some(slate);
        session
    }
    async fn request(&mut self, step: &Step) -> Request {
        self.prepare_request(step).await
    }
    async fn settle(&mut self, step: &Step, raw: Response, conn: &mut Session) -> Outcome {
        self.settle_response(step, raw, conn).await
    }
    async fn close(&mut self, conn: Session) {
        self.close_workload(conn).await
    }
    async fn keep(&mut self, conn: Session) -> Result<(), String> {
        self.keep_workload(conn).await
    }
    async fn open_copy(&mut self, name: &str, template: &str) -> Result<Session, String> {
        self.open_workload_copy(name, template).await
    }
    async fn discard(&mut self, template: &str) {
        self.kept.retain(|k| k != template);
        self.admin.drop_database_later(template);
    }
    fn extra_lane(&self) -> Option<Self> {
        self.lane()
    }
    fn take_news(&mut self) -> News {
        self.note_failures();
        News { events: std::mem::take(&mut self.report.events), failed: std::mem::take(&mut self.failed) }
    }
    fn absorb(&mut self, news: News) {
        self.report.events.extend(news.events);
        self.failed |= news.failed;
    }
    async fn flush(&mut self) {
        if !self.is_single() {
            self.admin.barrier().await;
        }
        self.note_failures();
    }
    async fn revive(&mut self) -> bool {
        let before = self.report.events.len();
        self.recover().await;
        let restarted =
            self.report.events[before..].iter().any(|e| matches!(e, TargetEvent::Restarted { result: Ok(()), .. }));
        if restarted {
            // Its connections went with the server.
            self.meta = None;
        }
        restarted
    }
    async fn stop(self) {
        self.shutdown().await
    }
}

/// Does the target take a second connection while one is open? (PGlite's socket server takes
/// one at a time and resets the rest.)
async fn accepts_a_second_connection(target: &Target) -> bool {
    let Ok(first) = Session::connect_patiently(&target.params, CONNECT_PATIENCE).await else {
        return true;
    };
    let second = Session::connect(&target.params, Duration::from_secs(5)).await;
    let many = second.is_ok();
    if let Ok(s) = second {
        s.close().await;
    }
    first.close().await;
    many
}

/// The major version in `server_version` (`15.18 (Debian …)` → 15, `18beta1` → 18).
/// On a signal: drop the databases and schemas the harness made on servers it does not own and
/// has not dropped yet (each given ten seconds).
pub async fn drop_leftovers() {
    server::cleanup::quiesce(Duration::from_secs(10)).await;
    for leftover in server::cleanup::take_leftovers() {
        let _ = tokio::time::timeout(Duration::from_secs(10), drop_leftover(leftover)).await;
    }
}

async fn drop_leftover(leftover: server::cleanup::Leftover) {
    use server::cleanup::Leftover;
    match leftover {
        Leftover::Database { params, name } => {
            if let Ok(mut session) = Session::connect(&params, Duration::from_secs(5)).await {
                let _ = admin::drop_database(&mut session, &name).await;
                session.close().await;
            }
        }
        Leftover::Schema { params, name, before } => {
            if let Ok(mut session) = Session::connect(&params, Duration::from_secs(5)).await {
                slate::drop_new_schemas(&mut session, &name, &before).await;
                session.close().await;
            }
        }
    }
}

pub fn major_version(version: &str) -> u32 {
    let digits: String = version.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(major_version("15.18 (Debian 15.18-0+deb12u1)"), 15);
        assert_eq!(major_version("18beta1"), 18);
        assert_eq!(major_version("9.3.duckdb"), 9);
    }
}
