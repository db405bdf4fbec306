//! What all databases of a server share, around a workload that touches it
//! (`workload::shared`): a snapshot before it, and after it everything new removed — never
//! what was there. In order: prepared transactions, subscriptions (disabled and detached from
//! their slot first, or their database could not be dropped), databases (the workload's own
//! too), replication slots, tablespaces, then roles (what they own or were granted dropped
//! first, in each database that records it). What cannot be removed is reported.

use std::collections::BTreeSet;

use super::admin::admin_result;
use super::wire::{quote_ident, quote_literal, Session};
use super::{PgEngine, ADMIN_TIMEOUT, CONNECT_PATIENCE};
use crate::model::TargetEvent;

/// Kinds of shared object, in the order they are removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Prepared,
    Subscription,
    Database,
    Slot,
    Tablespace,
    Role,
}

const KINDS: [(Kind, &str); 6] = [
    (Kind::Prepared, "SELECT gid, database FROM pg_prepared_xacts"),
    (Kind::Subscription, "SELECT s.subname, d.datname FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid"),
    (Kind::Database, "SELECT datname, '' FROM pg_database"),
    (Kind::Slot, "SELECT slot_name, coalesce(database, '') FROM pg_replication_slots"),
    (Kind::Tablespace, "SELECT spcname, '' FROM pg_tablespace"),
    (Kind::Role, "SELECT rolname, '' FROM pg_roles"),
];

/// One shared object: its name and, for what lives in a database, that database.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Item {
    kind: Kind,
    name: String,
    database: String,
}

impl std::fmt::Display for Item {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.kind {
            Kind::Prepared => "prepared transaction",
            Kind::Subscription => "subscription",
            Kind::Database => "database",
            Kind::Slot => "replication slot",
            Kind::Tablespace => "tablespace",
            Kind::Role => "role",
        };
        write!(f, "{kind} {}", self.name)?;
        if !self.database.is_empty() && matches!(self.kind, Kind::Prepared | Kind::Subscription) {
            write!(f, " (in database {})", self.database)?;
        }
        Ok(())
    }
}

/// The shared objects a server had, for the kinds its catalog could tell.
#[derive(Debug, Clone, Default)]
pub struct Shared {
    known: Vec<Kind>,
    items: BTreeSet<Item>,
}

impl Shared {
    /// What is in `self` (after) and was not in `before`, for kinds both could tell, in the
    /// order of removal.
    fn new_since(&self, before: &Shared) -> Vec<Item> {
        self.items
            .iter()
            .filter(|i| before.known.contains(&i.kind) && self.known.contains(&i.kind) && !before.items.contains(i))
            .cloned()
            .collect()
    }
}

impl PgEngine {
    /// The shared objects now (a kind whose catalog cannot be read is left unknown).
    pub(super) async fn shared_snapshot(&mut self) -> Shared {
        let mut shared = Shared::default();
        for (kind, sql) in KINDS {
            let Ok(out) = self.admin_exec(sql).await else { continue };
            shared.known.push(kind);
            for row in out.rows {
                let mut values = row.into_iter().map(Option::unwrap_or_default);
                let (name, database) = (values.next().unwrap_or_default(), values.next().unwrap_or_default());
                shared.items.insert(Item { kind, name, database });
            }
        }
        shared
    }

    /// After a workload that ran alone: remove what it left that all databases share, and the
    /// workload's own database (`own`, when it had one); report what could not be removed.
    pub(super) async fn remove_new_shared(&mut self, workload: &str, own: Option<&str>, before: &Shared) {
        let after = self.shared_snapshot().await;
        let mut new = after.new_since(before);
        if let Some(own) = own {
            let item = Item { kind: Kind::Database, name: own.to_string(), database: String::new() };
            if !new.contains(&item) {
                new.push(item);
            }
        }
        new.sort();
        let mut left = Vec::new();
        for item in new {
            if let Err(e) = self.remove(&item).await {
                left.push((item, e));
            }
        }
        // A role may hold what another was granted: once more for roles that stayed.
        let mut again = Vec::new();
        for (item, e) in left {
            match item.kind {
                Kind::Role => match self.remove(&item).await {
                    Ok(()) => {}
                    Err(e) => again.push((item, e)),
                },
                _ => again.push((item, e)),
            }
        }
        for (item, why) in again {
            let what = format!("{item}: {why}");
            self.report.events.push(TargetEvent::Leftover { workload: workload.to_string(), what });
        }
    }

    async fn remove(&mut self, item: &Item) -> Result<(), String> {
        let (name, lit) = (quote_ident(&item.name), quote_literal(&item.name));
        match item.kind {
            Kind::Prepared => self.in_database(&item.database, &[format!("ROLLBACK PREPARED {lit}")]).await,
            Kind::Subscription => {
                let detach = [
                    format!("ALTER SUBSCRIPTION {name} DISABLE"),
                    format!("ALTER SUBSCRIPTION {name} SET (slot_name = NONE)"),
                    format!("DROP SUBSCRIPTION {name}"),
                ];
                self.in_database(&item.database, &detach).await
            }
            Kind::Database => {
                let result = if self.is_single() {
                    self.admin_exec(&format!("DROP DATABASE IF EXISTS {name}")).await
                } else {
                    self.admin.drop_database(&item.name).await
                };
                result.map(|_| ()).map_err(|e| e.to_string())
            }
            Kind::Slot => self.exec(&format!("SELECT pg_drop_replication_slot({lit})")).await,
            Kind::Tablespace => self.exec(&format!("DROP TABLESPACE IF EXISTS {name}")).await,
            Kind::Role => {
                let drop = format!("DROP ROLE IF EXISTS {name}");
                if self.exec(&drop).await.is_ok() {
                    return Ok(());
                }
                // What it owns or was granted, in each database that records it, then here
                // (shared objects).
                let databases = format!(
                    "SELECT DISTINCT d.datname FROM pg_shdepend s JOIN pg_database d ON d.oid = s.dbid \
                     JOIN pg_roles r ON r.oid = s.refobjid WHERE s.refclassid = 'pg_authid'::regclass \
                     AND r.rolname = {lit} AND d.datallowconn"
                );
                let found = self.admin_exec(&databases).await.map(|o| o.rows).unwrap_or_default();
                for database in found.into_iter().filter_map(|r| r.into_iter().next().flatten()) {
                    let _ = self.in_database(&database, &[format!("DROP OWNED BY {name}")]).await;
                }
                let _ = self.exec(&format!("DROP OWNED BY {name}")).await;
                self.exec(&drop).await
            }
        }
    }

    async fn exec(&mut self, sql: &str) -> Result<(), String> {
        self.admin_exec(sql).await.map(|_| ()).map_err(|e| e.to_string())
    }

    /// Statements on a connection to `database` (each one's error ignored but the last's).
    async fn in_database(&mut self, database: &str, statements: &[String]) -> Result<(), String> {
        if self.is_single() {
            return Err("the target takes one connection at a time".into());
        }
        let params = self.target.params.with_dbname(database);
        let mut session = Session::connect_patiently(&params, CONNECT_PATIENCE).await.map_err(|e| e.to_string())?;
        let mut last = Ok(());
        for sql in statements {
            last = admin_result(session.simple_query(sql, ADMIN_TIMEOUT).await.outcome)
                .map(|_| ())
                .map_err(|e| e.to_string());
        }
        session.close().await;
        last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(kind: Kind, name: &str) -> Item {
        Item { kind, name: name.into(), database: String::new() }
    }

    #[test]
    fn only_what_is_new_and_known_on_both_sides_goes_in_order() {
        let before = Shared {
            known: vec![Kind::Role, Kind::Database],
            items: [item(Kind::Role, "postgres"), item(Kind::Database, "app")].into(),
        };
        let after = Shared {
            known: vec![Kind::Role, Kind::Database, Kind::Slot],
            items: [
                item(Kind::Role, "postgres"),
                item(Kind::Role, "regress_a"),
                item(Kind::Database, "app"),
                item(Kind::Database, "made"),
                item(Kind::Slot, "unknown_before"),
            ]
            .into(),
        };
        let mut new = after.new_since(&before);
        new.sort();
        assert_eq!(new, [item(Kind::Database, "made"), item(Kind::Role, "regress_a")]);
    }
}
