//! A target in use: how many connections it takes, its admin connection, recording a
//! workload's statements, and recovery after a crash or a wedge. How each workload gets a clean
//! slate is in `slate.rs`; type names in `types.rs`.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use super::admin::{admin_result, Admin, AdminResult, Pending};
use crate::model::{Connections, Recording, Strategy, TargetReport};
use crate::model::{Fault, Outcome};
use crate::model::{Protocol, Requirement, Step};
use crate::target::Target;
use crate::wire::{quote_literal, Session};

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

pub(super) const CONNECT_PATIENCE: Duration = Duration::from_secs(10);
pub(super) const ADMIN_TIMEOUT: Duration = Duration::from_secs(60);

pub struct Live {
    pub target: Target,
    pub(super) admin: Admin,
    /// With `Connections::One`: the session everything runs on, between workloads.
    pub(super) one: Option<Session>,
    /// The next workload's database, being created while the current one runs.
    pub(super) pending: Option<Pending>,
    /// Built-in type names, loading in the background from the start.
    pub(super) types_loading: Option<Pending>,
    pub(super) types: Option<HashMap<u32, String>>,
    pub report: TargetReport,
    /// A fault that means the target itself failed (crash, dropped connection, unreachable):
    /// exit code 3.
    pub failed: bool,
    /// A statement timed out and the server ignored the cancel: restart before going on.
    wedged: bool,
    /// In a multi-session workload, a statement still running after this long is waiting.
    pub wait_bound: Duration,
    /// The protocol steps are sent with unless they say otherwise.
    pub protocol: Protocol,
}

/// The default `wait_bound`: short, but far above what an unblocked statement of a schedule
/// takes on a loaded 2-core machine.
pub const WAIT_BOUND: Duration = Duration::from_millis(500);

impl Live {
    /// Take a started target into use: find out how many connections it takes.
    pub async fn start(target: Target) -> Self {
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
        let admin = Admin::spawn(target.params.clone());
        let types_loading = (connections == Connections::Many).then(|| admin.exec_later(super::types::BUILTIN_TYPES));
        Live {
            target,
            admin,
            one: None,
            pending: None,
            types_loading,
            types: None,
            report,
            failed: false,
            wedged: false,
            wait_bound: WAIT_BOUND,
            protocol: Protocol::Simple,
        }
    }

    /// Another way into the same target, with its own admin connection, for trials that run
    /// beside this one's work; `None` where that is not possible (one connection at a time, or
    /// no fresh database per workload).
    pub fn extra_lane(&self) -> Option<Live> {
        if self.single() || self.report.strategy != Some(Strategy::FreshDatabase) {
            return None;
        }
        let target = self.target.attach();
        Some(Live {
            admin: Admin::spawn(target.params.clone()),
            target,
            one: None,
            pending: None,
            types_loading: None,
            types: self.types.clone(),
            report: self.report.clone(),
            failed: false,
            wedged: false,
            wait_bound: self.wait_bound,
            protocol: self.protocol,
        })
    }

    pub fn single(&self) -> bool {
        self.report.connections == Connections::One
    }

    /// Finish queued admin work (drops), then stop what the harness started.
    pub async fn stop(mut self) {
        if let Some(p) = self.pending.take() {
            self.admin.drop_database_later(&p.name);
        }
        if let Some(s) = self.one.take() {
            s.close().await;
        }
        self.admin.shutdown().await;
        self.target.stop().await;
    }

    /// The one session of a one-connection target, connected when needed.
    pub(super) async fn one_session(&mut self) -> Result<&mut Session, String> {
        if self.one.as_ref().is_none_or(|s| s.broken) {
            let s =
                Session::connect_patiently(&self.target.params, CONNECT_PATIENCE).await.map_err(|e| e.to_string())?;
            self.one = Some(s);
        }
        Ok(self.one.as_mut().expect("connected"))
    }

    /// An admin statement: on the admin connection, or on the one session.
    pub(super) async fn admin_exec(&mut self, sql: &str) -> AdminResult {
        if !self.single() {
            return self.admin.exec(sql).await;
        }
        let session = self.one_session().await.map_err(|e| (String::new(), e))?;
        admin_result(session.simple_query(sql, ADMIN_TIMEOUT).await.outcome)
    }

    /// Before a workload: restart a server the harness owns if it crashed or wedged.
    async fn recover(&mut self) {
        let crashed = self.target.crashed();
        if !crashed && !self.wedged {
            return;
        }
        let why = if crashed { "server crashed" } else { "a statement timed out and the server ignored the cancel" };
        self.wedged = false;
        self.one = None;
        if crashed {
            self.failed = true;
        }
        match self.target.restart().await {
            Ok(true) => self.report.events.push(format!("{why}; restarted")),
            Ok(false) => {}
            Err(e) => {
                self.failed = true;
                self.report.events.push(format!("{why}; restart failed: {e}"));
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

    /// Run setup, then steps, on a clean slate named `name`; `next` names the slate the
    /// following workload will use, prepared meanwhile where the strategy allows. Err: the
    /// target could not give this workload a slate or a connection.
    pub async fn record(
        &mut self,
        name: &str,
        next: Option<&str>,
        setup: &[Step],
        steps: &[Step],
        sessions: &[String],
        timeout: Duration,
    ) -> Result<Recording, String> {
        self.recover().await;
        let (mut session, slate) = match self.open(name).await {
            // A server the harness owns that stopped answering (wedged after a lost
            // connection): restart it and try once more.
            Err(e) if self.target.owned() => {
                self.failed = true;
                self.one = None;
                match self.target.restart().await {
                    Ok(_) => self.report.events.push(format!("{name}: unreachable ({e}); restarted")),
                    Err(r) => self.report.events.push(format!("{name}: unreachable ({e}); restart failed: {r}")),
                }
                self.open(name).await?
            }
            other => other.inspect_err(|_| self.failed = true)?,
        };
        if let (Some(next), Strategy::FreshDatabase) = (next, slate.strategy) {
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
        let mut meta: Option<Session> = None;
        let mut rec = Recording::default();
        // Setup on the first session; the steps too, unless several sessions make a schedule
        // (a one-connection target has one session for all of them, as it really does).
        let schedule = sessions.len() > 1 && !self.single();
        for step in setup.iter().chain(if schedule { &[][..] } else { steps }) {
            let request = self.request(step).await;
            let resp = request.send(&mut session, timeout).await;
            let outcome = self.settle(name, step, resp, &mut session, &slate, &mut meta).await;
            if rec.setup.len() < setup.len() {
                rec.setup.push(outcome);
            } else {
                rec.steps.push(outcome);
            }
        }
        if schedule {
            session =
                self.record_schedule(name, session, &slate, steps, sessions, timeout, &mut meta, &mut rec.steps).await;
        }
        if let Some(m) = meta {
            m.close().await;
        }
        self.recover().await;
        self.close(session, &slate).await;
        Ok(rec)
    }
}

impl Live {
    /// A statement's response as its outcome: type names resolved, a lost connection checked
    /// for a crash, and what the target's report must say.
    pub(super) async fn settle(
        &mut self,
        name: &str,
        step: &Step,
        resp: crate::wire::Response,
        session: &mut Session,
        slate: &super::slate::Slate,
        meta: &mut Option<Session>,
    ) -> Outcome {
        let broken = session.broken;
        let mut outcome = self.resolve_types(resp, slate, session, meta).await;
        outcome.mask_volatile();
        if matches!(outcome.fault, Some(Fault::ConnectionLost | Fault::Protocol(_))) && self.server_died().await {
            outcome.fault = Some(Fault::ServerCrashed);
        }
        match &outcome.fault {
            Some(Fault::ConnectionLost | Fault::ServerCrashed) => {
                self.failed = true;
                let fault = outcome.fault.as_ref().expect("set");
                self.report.events.push(format!("{name}: {fault} at {}", step.location));
            }
            Some(Fault::Timeout) if broken => {
                self.wedged = true;
                self.report.events.push(format!("{name}: cancel ignored at {}", step.location));
            }
            _ => {}
        }
        outcome
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
