//! The compat judgement on the fake engine: each version built as a copy of the one before
//! (a copy keeps the statements its slate was built with, which the script reads), the
//! traffic recorded once per version, and each migration judged against the one before it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;
use crate::engine::fake::{error, ok, rows, Act, FakeEngine};
use crate::migrate::tree::Convention;
use crate::reduce::ddmin::Budget;

fn migration(version: u64, sql: &str) -> Migration {
    Migration {
        version: version.to_string(),
        key: vec![version],
        name: format!("m{version}"),
        path: PathBuf::from(format!("{version:03}_m{version}.sql")),
        sql: sql.to_string(),
        first_line: 1,
        backward_compatible: crate::migrate::tree::declared_compatibility(sql),
    }
}

fn plan(dir: &Path, traffic: &str, reduce: bool) -> Plan {
    let file = dir.join("traffic.sql");
    std::fs::write(&file, traffic).unwrap();
    let tree = Tree {
        root: PathBuf::from("migrations"),
        convention: Convention::Numbered,
        migrations: vec![
            migration(1, "CREATE TABLE t (a int, b int)"),
            migration(2, "-- backward-compatible: true\nCREATE INDEX i ON t (a)"),
            migration(3, "-- backward-compatible: true\nALTER TABLE t ALTER COLUMN b SET NOT NULL"),
            migration(4, "CREATE INDEX j ON t (b)"),
        ],
        down: 0,
    };
    Plan {
        target: TargetSpec::Local(None),
        tree,
        from: 0,
        to: 3,
        traffic: crate::workload::load_all(&[file]).unwrap(),
        new_traffic: Vec::new(),
        equivalence: Equivalence::default(),
        limits: Limits { timeout: Duration::from_secs(5), wait_bound: Duration::from_millis(500) },
        protocol: Protocol::Simple,
        reduce: reduce.then(|| ReduceOptions {
            budget: Budget { trials: 100, time: Duration::from_secs(60) },
            dir: dir.join("repros"),
            only_step: None,
            total: Duration::from_secs(600),
            jobs: 1,
            protocol: Protocol::Simple,
            link: "repros".into(),
            replay: None,
        }),
    }
}

/// A table whose column b becomes NOT NULL in migration 3: an INSERT that leaves b out fails
/// from then on.
fn engine() -> FakeEngine {
    FakeEngine::new("fake 1", |sql, before| {
        let applied = |s: &str| before.iter().any(|h| h.contains(s));
        if sql.starts_with("INSERT INTO t") && applied("SET NOT NULL") {
            Act::Reply(error("23502", "null value in column \"b\" violates not-null constraint"))
        } else if sql.starts_with("SELECT count(*)") {
            let inserted = before.iter().filter(|h| h.starts_with("INSERT INTO t")).count();
            let n = if applied("SET NOT NULL") { 0 } else { inserted };
            Act::Reply(rows(&[&n.to_string()]))
        } else {
            Act::Reply(ok("OK"))
        }
    })
}

#[tokio::test(start_paused = true)]
async fn each_migration_is_judged_by_the_traffic_either_side_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan(dir.path(), "INSERT INTO t (a) VALUES (1);\nSELECT count(*) FROM t;\n", false);
    let mut fake = engine();
    let report = judge_all(&plan, &mut fake).await.unwrap();
    let verdicts: Vec<(&str, Option<bool>, Option<bool>, bool)> = report
        .migrations
        .iter()
        .map(|m| (m.version.as_str(), m.backward_compatible, m.old_build_runs, m.contradicts))
        .collect();
    assert_eq!(
        verdicts,
        vec![
            ("2", Some(true), Some(true), false),
            ("3", Some(false), Some(false), true),
            ("4", Some(true), Some(false), false)
        ]
    );
    let broke = &report.migrations[1];
    assert_eq!(broke.evidence.len(), 1, "{:?}", broke.evidence);
    assert!(broke.evidence[0].how.starts_with("the INSERT omits a new NOT NULL column"), "{}", broke.evidence[0].how);
    assert_eq!(broke.later_differences, 1, "the count that follows from it");
    // Migration 4 is judged on its own effect; the statements 3 broke cannot show it.
    assert_eq!(report.migrations[2].masked, 2);
    assert!(report.needs_attention());
    // Work is shared: the old build's database is built once, each later version is a copy of
    // the one before, and each version's traffic runs on a copy of it, once (the old build's
    // own twice, to tell what differs from run to run).
    let sent = fake.sent();
    assert_eq!(sent.iter().filter(|s| s.contains("CREATE TABLE t")).count(), 1, "{sent:#?}");
    assert_eq!(sent.iter().filter(|s| s.contains("INSERT INTO t")).count(), 5, "{sent:#?}");
    assert!(report.databases.starts_with("each version a copy"));
}

#[tokio::test(start_paused = true)]
async fn a_breaking_migration_gets_a_reduced_repro_with_the_migration() {
    let dir = tempfile::tempdir().unwrap();
    let traffic = "SELECT 1;\nINSERT INTO t (a) VALUES (1);\nSELECT 2;\nSELECT count(*) FROM t;\n";
    let plan = plan(dir.path(), traffic, true);
    let mut fake = engine();
    let report = judge_all(&plan, &mut fake).await.unwrap();
    let broke = &report.migrations[1];
    assert_eq!(broke.repros.len(), 1, "one repro for the first break: {:?}", broke.repros);
    let repro = std::fs::read_to_string(dir.path().join(&broke.repros[0])).unwrap();
    assert!(repro.contains("INSERT INTO t (a) VALUES (1)") && !repro.contains("SELECT 1"), "{repro}");
    let readme = std::fs::read_to_string(dir.path().join("repros/compat-3/README.md")).unwrap();
    assert!(readme.contains("ALTER TABLE t ALTER COLUMN b SET NOT NULL"), "{readme}");
    assert!(report.migrations.iter().filter(|m| m.version != "3").all(|m| m.repros.is_empty()));
}

#[tokio::test(start_paused = true)]
async fn what_differs_from_run_to_run_is_not_taken_for_a_break() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan(dir.path(), "SELECT now();\nSELECT missing FROM t;\n", false);
    let clock = std::sync::atomic::AtomicUsize::new(0);
    let mut fake = FakeEngine::new("fake 1", move |sql, before| {
        let applied = |s: &str| before.iter().any(|h| h.contains(s));
        if sql.starts_with("SELECT now()") {
            let t = clock.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Act::Reply(rows(&[&format!("12:00:{t:02}")]))
        } else if sql.starts_with("SELECT missing") && applied("SET NOT NULL") {
            Act::Reply(error("42703", "column \"missing\" does not exist"))
        } else if sql.starts_with("SELECT missing") {
            Act::Reply(rows(&["x"]))
        } else {
            Act::Reply(ok("OK"))
        }
    });
    let report = judge_all(&plan, &mut fake).await.unwrap();
    let verdicts: Vec<Option<bool>> = report.migrations.iter().map(|m| m.backward_compatible).collect();
    assert_eq!(verdicts, vec![Some(true), Some(false), Some(true)], "{:#?}", report.migrations);
    assert!(
        report.notes.iter().any(|n| n.starts_with("1 traffic statement(s) differ between two runs")),
        "{:?}",
        report.notes
    );
    assert_eq!(report.migrations[1].evidence.len(), 1);
    assert!(report.migrations[1].evidence[0].statement.starts_with("SELECT missing"));
}
