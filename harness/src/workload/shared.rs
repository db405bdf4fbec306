//! Statements that read or change what all databases of a server share: roles, databases,
//! tablespaces, subscriptions, replication slots, prepared transactions, server settings,
//! sessions and locks. A workload with one runs alone on each server (nothing else of the
//! harness there meanwhile), and what it made there is removed after it; trials of its
//! reduction never run beside anything.

/// Statement kinds (pg_query's names) that create or change shared objects.
const SHARED_STATEMENTS: &[&str] = &[
    "CreateRoleStmt",
    "AlterRoleStmt",
    "AlterRoleSetStmt",
    "DropRoleStmt",
    "GrantRoleStmt",
    "DropOwnedStmt",
    "ReassignOwnedStmt",
    "CreateTableSpaceStmt",
    "DropTableSpaceStmt",
    "AlterTableSpaceOptionsStmt",
    "AlterSystemStmt",
    "CreatedbStmt",
    "DropdbStmt",
    "AlterDatabaseStmt",
    "AlterDatabaseSetStmt",
    "AlterDatabaseRefreshCollStmt",
    "CreateSubscriptionStmt",
    "AlterSubscriptionStmt",
    "DropSubscriptionStmt",
    "LoadStmt",
];

/// Catalogs and views of shared objects, sessions and locks.
const SHARED_RELATIONS: &[&str] = &[
    "pg_database",
    "pg_roles",
    "pg_authid",
    "pg_user",
    "pg_shadow",
    "pg_group",
    "pg_auth_members",
    "pg_tablespace",
    "pg_stat_activity",
    "pg_stat_database",
    "pg_locks",
    "pg_prepared_xacts",
    "pg_replication_slots",
    "pg_replication_origin",
    "pg_replication_origin_status",
    "pg_subscription",
    "pg_stat_subscription",
    "pg_stat_replication",
    "pg_shdepend",
    "pg_shdescription",
    "pg_shseclabel",
    "pg_db_role_setting",
];

/// Functions that read or change shared state (a prefix is enough: `pg_create_…_slot`).
const SHARED_FUNCTIONS: &[&str] = &[
    "pg_lock_status",
    "pg_stat_get_activity",
    "pg_create_logical_replication_slot",
    "pg_create_physical_replication_slot",
    "pg_drop_replication_slot",
    "pg_copy_logical_replication_slot",
    "pg_copy_physical_replication_slot",
    "pg_replication_origin_create",
    "pg_replication_origin_drop",
    "pg_terminate_backend",
    "pg_cancel_backend",
    "pg_prepared_xact",
];

/// Words that name shared state in text the parser does not look into (a DO block, a function
/// body, a statement it cannot parse).
const SHARED_WORDS: &[&str] = &[
    "role",
    "user ",
    "tablespace",
    "database",
    "subscription",
    "replication_slot",
    "alter system",
    "prepare transaction",
    "commit prepared",
    "rollback prepared",
];

/// Does any of these steps touch what all databases of a server share? (psql commands that
/// send nothing do not.)
pub fn any_shared<'a>(steps: impl IntoIterator<Item = &'a crate::model::Step>) -> bool {
    steps.into_iter().any(|s| !s.psql_only && touches_shared_state(&s.sql))
}

/// Does a workload touch what all databases of a server share, in its statements or its rewrite?
pub fn workload_shared(w: &crate::model::Workload) -> bool {
    let rewrite = w.rewrite.iter().flat_map(|r| r.setup.iter().chain(&r.steps));
    any_shared(w.setup.iter().chain(&w.steps).chain(rewrite))
}

/// Does the statement create, change or read what all databases of a server share?
pub fn touches_shared_state(sql: &str) -> bool {
    let words = || {
        let lower = sql.to_lowercase();
        SHARED_RELATIONS.iter().chain(SHARED_FUNCTIONS).chain(SHARED_WORDS).any(|w| lower.contains(w))
    };
    match pg_query::parse(sql, 0) {
        Ok(parsed) => {
            let kinds = parsed.statement_types();
            kinds.iter().any(|t| SHARED_STATEMENTS.contains(t))
                || parsed.tables().iter().any(|t| SHARED_RELATIONS.contains(&t.trim_start_matches("pg_catalog.")))
                || parsed.functions().iter().any(|f| {
                    let f = f.trim_start_matches("pg_catalog.");
                    SHARED_FUNCTIONS.iter().any(|s| f.starts_with(s))
                })
                // PREPARE TRANSACTION leaves a transaction that outlives the session.
                || (kinds.contains(&"TransactionStmt") && sql.to_lowercase().contains("prepare"))
                // Bodies are text to the parser.
                || (kinds.iter().any(|t| matches!(*t, "DoStmt" | "CreateFunctionStmt")) && words())
        }
        Err(_) => words(),
    }
}

#[cfg(test)]
mod tests {
    use super::touches_shared_state;

    #[test]
    fn statements_that_touch_what_databases_share() {
        for shared in [
            "CREATE ROLE app LOGIN",
            "GRANT app TO postgres",
            "ALTER SYSTEM SET work_mem = '8MB'",
            "SELECT datname FROM pg_database",
            "SELECT count(*) FROM pg_catalog.pg_locks WHERE granted",
            "SELECT * FROM pg_stat_activity a JOIN t ON true",
            "ALTER DATABASE current SET search_path = x",
            "CREATE TABLESPACE t LOCATION '/tmp'",
            "SELEC * FROM pg_roles",
            "CREATE SUBSCRIPTION s CONNECTION 'dbname=x' PUBLICATION p WITH (connect = false)",
            "SELECT * FROM pg_create_logical_replication_slot('s', 'test_decoding')",
            "PREPARE TRANSACTION 'x'",
            "DROP OWNED BY app",
            "DO $$ BEGIN EXECUTE format('CREATE ROLE %I', 'x'); END $$",
            "SELECT pg_terminate_backend(pid) FROM t",
        ] {
            assert!(touches_shared_state(shared), "{shared}");
        }
        for local in [
            "SELECT 1",
            "CREATE TABLE t (a int)",
            "GRANT SELECT ON t TO PUBLIC",
            "SELECT * FROM pg_class",
            "PREPARE q AS SELECT 1",
            "BEGIN",
            "DO $$ BEGIN PERFORM 1; END $$",
        ] {
            assert!(!touches_shared_state(local), "{local}");
        }
    }
}
