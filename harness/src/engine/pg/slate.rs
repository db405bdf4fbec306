//! How each workload gets a clean slate on a target: a fresh database (the default), a fresh
//! schema when databases are not usable, or — on a one-connection server the harness owns —
//! the one session reset between workloads.

use super::server::cleanup::{self, Leftover};
use super::wire::{quote_ident, ConnectParams, Session};
use super::{PgEngine, ADMIN_TIMEOUT, CONNECT_PATIENCE, PINNED_SETTINGS};
use crate::model::Strategy;

/// How long a second client of a one-connection target waits to be let in.
const SECOND_CLIENT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The clean slate a workload runs in.
pub struct Slate {
    pub name: String,
    pub strategy: Strategy,
    /// A fresh schema in a database the harness does not own: the schemas there before it, so
    /// that what the workload creates is dropped with it (and what was there never is).
    pub leftover: Option<Leftover>,
    /// The workload runs alone: what all databases shared before it (what it adds is removed
    /// after it, its database with it).
    pub shared: Option<super::shared::Shared>,
}

/// Schemas that are not the system's.
const USER_SCHEMAS: &str =
    "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' ORDER BY 1";

async fn user_schemas(session: &mut Session) -> Vec<String> {
    let out = session.simple_query(USER_SCHEMAS, ADMIN_TIMEOUT).await.outcome;
    out.rows.into_iter().filter_map(|r| r.into_iter().next().flatten()).collect()
}

/// Drop the workload's schema `name` and every schema that was not in `before`.
pub async fn drop_new_schemas(session: &mut Session, name: &str, before: &[String]) {
    if session.status != crate::model::TxStatus::Idle {
        session.simple_query("ROLLBACK", ADMIN_TIMEOUT).await;
    }
    let mut doomed: Vec<String> = user_schemas(session).await.into_iter().filter(|s| !before.contains(s)).collect();
    if !doomed.iter().any(|s| s == name) {
        doomed.push(name.to_string());
    }
    for schema in doomed {
        session.simple_query(&format!("DROP SCHEMA IF EXISTS {} CASCADE", quote_ident(&schema)), ADMIN_TIMEOUT).await;
    }
}

/// Drop every schema a workload may have made, and make `public` again as initdb does.
const RESET_SCHEMAS: &[&str] = &[
    "DO $pgparity$ DECLARE s text; BEGIN \
       FOR s IN SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' \
       LOOP EXECUTE format('DROP SCHEMA %I CASCADE', s); END LOOP; \
       CREATE SCHEMA public; END $pgparity$",
    "ALTER SCHEMA public OWNER TO pg_database_owner",
    "GRANT USAGE ON SCHEMA public TO PUBLIC",
];

impl PgEngine {
    pub(super) async fn open_slate(&mut self, name: &str) -> Result<(Session, Slate), String> {
        if self.is_single() {
            return self.open_one(name).await;
        }
        if self.report.strategy != Some(Strategy::FreshSchema) {
            match self.open_database(name).await {
                Ok(session) => {
                    self.report.strategy = Some(Strategy::FreshDatabase);
                    let slate = Slate {
                        name: name.to_string(),
                        strategy: Strategy::FreshDatabase,
                        leftover: None,
                        shared: None,
                    };
                    return Ok((session, slate));
                }
                Err(reason) if self.report.strategy.is_none() => {
                    self.report.strategy = Some(Strategy::FreshSchema);
                    self.report.strategy_reason = Some(reason);
                }
                Err(reason) => return Err(reason),
            }
        }
        let params = self.target.params.clone();
        let mut session = self.connect_pinned(&params).await?;
        let leftover = self.create_schema(&mut session, name).await?;
        Ok((session, Slate { name: name.to_string(), strategy: Strategy::FreshSchema, leftover, shared: None }))
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
        created.map_err(|e| format!("CREATE DATABASE failed: {e}"))?;
        let params = self.target.params.with_dbname(name);
        let mut session = match self.connect_pinned(&params).await {
            Ok(s) => s,
            Err(e) => {
                let _ = self.admin.drop_database(name).await;
                return Err(format!("cannot connect to a new database: {e}"));
            }
        };
        if self.report.strategy.is_none() {
            // Some servers accept CREATE DATABASE but ignore the database named at connect.
            let out = session.simple_query("SELECT current_database()", ADMIN_TIMEOUT).await.outcome;
            let current = out.rows.first().and_then(|r| r.first().cloned().flatten()).unwrap_or_default();
            if current != name {
                session.close().await;
                let _ = self.admin.drop_database(name).await;
                return Err(format!("the database named at connect is ignored (current_database() is '{current}')"));
            }
        }
        Ok(session)
    }

    /// A fresh schema for a workload; on a server the harness does not own, remembered (with the
    /// schemas already there) until it is dropped.
    async fn create_schema(&mut self, session: &mut Session, name: &str) -> Result<Option<Leftover>, String> {
        let ident = quote_ident(name);
        let _ = session.simple_query(&format!("DROP SCHEMA IF EXISTS {ident} CASCADE"), ADMIN_TIMEOUT).await;
        let leftover = if self.target.owned() {
            None
        } else {
            let before = user_schemas(session).await;
            let l = Leftover::Schema { params: self.target.params.clone(), name: name.to_string(), before };
            cleanup::remember(l.clone());
            Some(l)
        };
        let out = session.simple_query(&format!("CREATE SCHEMA {ident}"), ADMIN_TIMEOUT).await.outcome;
        if let Some(e) = out.error {
            return Err(format!(
                "cannot create a fresh database or schema: CREATE SCHEMA failed: {} {}",
                e.code, e.message
            ));
        }
        session.simple_query(&format!("SET search_path TO {ident}"), ADMIN_TIMEOUT).await;
        Ok(leftover)
    }

    /// One-connection targets: the one session, with a fresh schema (a server the harness
    /// does not own) or reset after each workload (one it owns, where dropping schemas is safe).
    async fn open_one(&mut self, name: &str) -> Result<(Session, Slate), String> {
        if self.report.strategy.is_none() {
            let owned = self.target.owned();
            self.report.strategy = Some(if owned { Strategy::ResetSession } else { Strategy::FreshSchema });
            self.report.strategy_reason = Some("the target takes one connection at a time".into());
        }
        let strategy = self.report.strategy.expect("set");
        self.one_session().await?;
        let mut session = self.one.take().expect("connected");
        self.apply_pinned(&mut session).await?;
        if self.types.is_none() {
            let loaded = session.simple_query(super::types::BUILTIN_TYPES, ADMIN_TIMEOUT).await.outcome;
            self.types = Some(super::types::type_map(loaded.rows));
        }
        let leftover =
            if strategy == Strategy::FreshSchema { self.create_schema(&mut session, name).await? } else { None };
        Ok((session, Slate { name: name.to_string(), strategy, leftover, shared: None }))
    }

    /// Another session of a multi-session workload, on the same slate. On a target that takes
    /// one connection at a time, it is a second client while the first is connected: tried
    /// once, as a second client of that target would be (refused, most likely), never waited
    /// for.
    pub(super) async fn open_session(&mut self, slate: &Slate) -> Result<Session, String> {
        let params = match slate.strategy {
            Strategy::FreshDatabase => self.target.params.with_dbname(&slate.name),
            _ => self.target.params.clone(),
        };
        let mut session = if self.is_single() {
            let mut session = Session::connect(&params, SECOND_CLIENT_TIMEOUT)
                .await
                .map_err(|e| format!("a second client of this one-connection target: {e}"))?;
            self.apply_pinned(&mut session).await?;
            session
        } else {
            self.connect_pinned(&params).await?
        };
        if slate.strategy == Strategy::FreshSchema {
            session.simple_query(&format!("SET search_path TO {}", quote_ident(&slate.name)), ADMIN_TIMEOUT).await;
        }
        Ok(session)
    }

    /// Connect (patiently: a one-at-a-time server may still be closing the last connection)
    /// and apply the pinned settings.
    pub(super) async fn connect_pinned(&mut self, params: &ConnectParams) -> Result<Session, String> {
        let mut session = Session::connect_patiently(params, CONNECT_PATIENCE).await.map_err(|e| e.to_string())?;
        self.apply_pinned(&mut session).await?;
        Ok(session)
    }

    /// The pinned settings in one round trip; when that fails, one by one, so that each
    /// refused setting is reported (not fatal).
    async fn apply_pinned(&mut self, session: &mut Session) -> Result<(), String> {
        let all: Vec<String> = PINNED_SETTINGS.iter().map(|(n, v)| format!("SET {n} = {v}")).collect();
        let out = session.simple_query(&all.join("; "), ADMIN_TIMEOUT).await.outcome;
        if let Some(f) = out.fault {
            return Err(format!("pinned settings: {f}"));
        }
        if out.error.is_none() {
            return Ok(());
        }
        for (name, value) in PINNED_SETTINGS {
            let out = session.simple_query(&format!("SET {name} = {value}"), ADMIN_TIMEOUT).await.outcome;
            if let Some(e) = out.error {
                self.report.refused_settings.insert(format!("{name} ({} {})", e.code, e.message));
            } else if let Some(f) = out.fault {
                return Err(format!("SET {name}: {f}"));
            }
        }
        Ok(())
    }

    /// After a workload: drop what it made (in the background where possible).
    pub(super) async fn close_slate(&mut self, mut session: Session, slate: &Slate) {
        let ident = quote_ident(&slate.name);
        if let Some(Leftover::Schema { name, before, .. }) = &slate.leftover {
            // What the workload created beside its schema goes too; on its own session unless
            // the workload broke it.
            if session.broken {
                if let Ok(mut other) = Session::connect(&self.target.params, ADMIN_TIMEOUT).await {
                    drop_new_schemas(&mut other, name, before).await;
                    other.close().await;
                }
            } else {
                drop_new_schemas(&mut session, name, before).await;
            }
            cleanup::forget(slate.leftover.as_ref().expect("matched"));
        }
        if !self.is_single() {
            session.close().await;
            match slate.strategy {
                // A workload that ran alone has its database dropped with what it shared.
                Strategy::FreshDatabase if slate.shared.is_some() => {}
                Strategy::FreshDatabase => self.admin.drop_database_later(&slate.name),
                _ if slate.leftover.is_some() => {}
                _ => {
                    let _ = self.admin_exec(&format!("DROP SCHEMA IF EXISTS {ident} CASCADE")).await;
                }
            }
            return;
        }
        if session.broken {
            return;
        }
        if session.status != crate::model::TxStatus::Idle {
            session.simple_query("ROLLBACK", ADMIN_TIMEOUT).await;
        }
        session.simple_query("DISCARD ALL", ADMIN_TIMEOUT).await;
        session.prepared.clear();
        match slate.strategy {
            Strategy::ResetSession => {
                for sql in RESET_SCHEMAS {
                    session.simple_query(sql, ADMIN_TIMEOUT).await;
                }
            }
            _ => {
                session.simple_query(&format!("DROP SCHEMA IF EXISTS {ident} CASCADE"), ADMIN_TIMEOUT).await;
            }
        }
        if !session.broken {
            self.one = Some(session);
        }
    }
}
