//! Column type names from each target's own catalog (OIDs differ across engines): built-in
//! types once per target, others looked up in the workload's database as they appear.

use std::collections::HashMap;

use super::slate::Slate;
use super::wire::{quote_ident, Response, Session};
use super::{PgEngine, ADMIN_TIMEOUT};
use crate::model::Strategy;
use crate::model::{Outcome, TxStatus};

pub const BUILTIN_TYPES: &str = "SELECT oid::int8::text, format_type(oid, NULL) FROM pg_type WHERE oid < 16384";

/// An OID the target's catalog does not name (or not yet: a type created in an open
/// transaction is invisible to the lookup connection).
pub const UNRESOLVED_TYPE: &str = "(unresolved type)";

/// The names `session`'s catalog gives the `oids` (`format_type`), one query.
pub async fn type_names(session: &mut Session, oids: &[String]) -> HashMap<u32, String> {
    if oids.is_empty() {
        return HashMap::new();
    }
    let sql = format!("SELECT oid::int8::text, format_type(oid, NULL) FROM pg_type WHERE oid IN ({})", oids.join(", "));
    type_map(session.simple_query(&sql, ADMIN_TIMEOUT).await.outcome.rows)
}

/// `oid, name` rows → a map.
pub fn type_map(rows: Vec<Vec<Option<String>>>) -> HashMap<u32, String> {
    rows.into_iter().filter_map(|r| Some((r.first()?.as_ref()?.parse().ok()?, r.get(1)?.clone()?))).collect()
}

impl PgEngine {
    /// Fill in the column type names of `resp`. Unknown OIDs are looked up through a side
    /// connection to the workload's slate (`meta`), or on the workload's own session when the
    /// target takes one connection at a time (unless its transaction has failed).
    pub(super) async fn resolve_types(&mut self, resp: Response, session: &mut Session) -> Outcome {
        let Response { mut outcome, column_oids, param_oids, .. } = resp;
        if column_oids.is_empty() && param_oids.as_ref().is_none_or(Vec::is_empty) {
            outcome.param_types = param_oids.map(|_| Vec::new());
            return outcome;
        }
        let known = self.builtin_types().await;
        let all = || column_oids.iter().chain(param_oids.iter().flatten());
        let mut unknown: Vec<String> = all().filter(|o| !known.contains_key(o)).map(|o| o.to_string()).collect();
        unknown.sort();
        unknown.dedup();
        let mut extra = HashMap::new();
        if !unknown.is_empty() {
            let lookup = if self.is_single() {
                (!session.broken && session.status != TxStatus::Failed).then_some(session)
            } else {
                if self.meta.is_none() {
                    self.meta = match &self.slate {
                        Some(slate) => self.lookup_session(slate).await,
                        None => None,
                    };
                }
                self.meta.as_mut()
            };
            if let Some(s) = lookup {
                extra = type_names(s, &unknown).await;
            }
        }
        let known = self.types.as_ref().expect("loaded");
        let name = |oid: &u32| {
            known.get(oid).or_else(|| extra.get(oid)).cloned().unwrap_or_else(|| UNRESOLVED_TYPE.to_string())
        };
        if let Some(columns) = outcome.columns.as_mut() {
            for (col, oid) in columns.iter_mut().zip(&column_oids) {
                col.type_name = name(oid);
            }
        }
        outcome.param_types = param_oids.map(|oids| oids.iter().map(name).collect());
        outcome
    }

    /// The built-in types (OID → name), loaded once.
    pub(super) async fn builtin_types(&mut self) -> &HashMap<u32, String> {
        if self.types.is_none() {
            let loaded = match self.types_loading.take() {
                Some(p) => p.wait().await,
                None => self.admin_exec(BUILTIN_TYPES).await,
            };
            self.types = Some(loaded.map(|out| type_map(out.rows)).unwrap_or_default());
        }
        self.types.as_ref().expect("loaded")
    }

    /// A side connection that sees what the workload's session sees (same database and
    /// search_path), so `format_type` names types the same way.
    async fn lookup_session(&self, slate: &Slate) -> Option<Session> {
        let params = match slate.strategy {
            Strategy::FreshDatabase => self.target.params.with_dbname(&slate.name),
            _ => self.target.params.clone(),
        };
        let mut m = Session::connect(&params, super::CONNECT_PATIENCE).await.ok()?;
        if slate.strategy == Strategy::FreshSchema {
            m.simple_query(&format!("SET search_path TO {}", quote_ident(&slate.name)), ADMIN_TIMEOUT).await;
        }
        Some(m)
    }
}
