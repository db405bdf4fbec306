//! `pgparity compat` on real engines, with the example shipped under workloads/compat/tasks:
//! the tasks app's migrations (one tree for PostgreSQL, one for SQLite) and the traffic of its
//! release 1.3, captured through the proxy from node-postgres (extended protocol). Every
//! migration's verdict is asserted, on both engines; a repro replays; real driver traffic that
//! a history never touches is judged compatible throughout.

mod common;

use common::*;

const TRAFFIC: &str = "workloads/compat/tasks/traffic";
const NEW_TRAFFIC: &str = "workloads/compat/tasks/new-traffic";

/// The new build's traffic on the old schema: what the old one lacks fails loudly; a user
/// without an email, refused since 006, is taken silently.
fn assert_reverse(results: &serde_json::Value) {
    let r = &results["compat_run"]["reverse"];
    let statements = |key: &str| -> Vec<String> {
        r[key].as_array().unwrap().iter().map(|s| s["statement"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!((r["statements"].as_u64(), r["same"].as_u64()), (Some(6), Some(1)), "{r:#}");
    assert_eq!(statements("loud").len(), 3, "{r:#}");
    assert_eq!(
        statements("silent"),
        vec!["INSERT INTO users (name) VALUES ('Dee')", "SELECT name, email FROM users ORDER BY id"],
        "{r:#}"
    );
}

fn compat(args: &[&str]) -> (i32, serde_json::Value, std::process::Output, tempfile::TempDir) {
    with_results("compat", args)
}

fn migration<'a>(results: &'a serde_json::Value, v: &str) -> &'a serde_json::Value {
    results["compat"].as_array().expect("compat").iter().find(|m| m["version"] == v).unwrap_or_else(|| panic!("no {v}"))
}

/// Does any evidence of migration `v` say `how` (its beginning)?
fn broke_by(results: &serde_json::Value, v: &str, how: &str) -> bool {
    migration(results, v)["evidence"]
        .as_array()
        .is_some_and(|e| e.iter().any(|e| e["how"].as_str().unwrap_or("").starts_with(how)))
}

/// The verdict of each migration after the old build's 3: (version, backward-compatible,
/// static class, declared, contradicted).
const VERDICTS: &[(&str, bool, &str, Option<bool>, bool)] = &[
    ("4", false, "additive", Some(true), true),
    ("5", true, "additive", Some(true), false),
    ("6", true, "potentially_breaking", None, false),
    ("7", false, "potentially_breaking", Some(true), true),
    ("8", false, "potentially_breaking", None, false),
    ("9", false, "potentially_breaking", None, false),
    ("10", false, "potentially_breaking", None, false),
    ("11", false, "potentially_breaking", Some(false), false),
    ("12", false, "potentially_breaking", None, false),
    ("13", false, "potentially_breaking", None, false),
    ("14", true, "additive", Some(true), false),
];

fn assert_verdicts(results: &serde_json::Value, static_overrides: &[(&str, &str)]) {
    for (v, compatible, class, declared, contradicts) in VERDICTS {
        let m = migration(results, v);
        let class = static_overrides.iter().find(|(o, _)| o == v).map(|(_, c)| *c).unwrap_or(class);
        assert_eq!(m["backward_compatible"], *compatible, "migration {v}: {m:#}");
        assert_eq!(m["static"], class, "migration {v}: {m:#}");
        assert_eq!(m["declared"].as_bool(), *declared, "migration {v}: {m:#}");
        assert_eq!(m["contradicts"], *contradicts, "migration {v}: {m:#}");
        // Each break has evidence and a reduced repro (the migration, the minimal statements).
        if !compatible {
            assert!(m["evidence"].as_array().is_some_and(|e| !e.is_empty()), "migration {v}: {m:#}");
            assert!(m["repros"].as_array().is_some_and(|r| !r.is_empty()), "migration {v}: {m:#}");
        }
    }
    assert_eq!(results["compat"].as_array().unwrap().len(), VERDICTS.len());
    assert!(broke_by(results, "4", "its result has extra column(s) due (SELECT * picks up new columns)"));
    assert!(broke_by(results, "8", "a new CHECK rejects what it writes: 23514"));
    assert!(broke_by(results, "10", "a new unique constraint or index rejects what it writes: 23505"));
    assert!(broke_by(results, "11", "the INSERT omits a new NOT NULL column without a default: 23502"));
    assert!(broke_by(results, "12", "a column it names is gone (renamed or dropped): 42703"));
    assert!(broke_by(results, "13", "a table it names is gone (renamed or dropped): 42P01"));
}

#[test]
fn every_migration_of_the_example_gets_its_verdict_on_postgresql() {
    let junit = scratch();
    let junit = junit.path().join("junit.xml");
    let (code, results, out, dir) = compat(&[
        "--migrations",
        "workloads/compat/tasks/migrations/postgres",
        "--from",
        "3",
        "--junit",
        junit.to_str().unwrap(),
        "--new-traffic",
        NEW_TRAFFIC,
        TRAFFIC,
    ]);
    // Two declarations the evidence contradicts, five breaks nobody declared.
    assert_eq!(code, 1, "{}", stderr(&out));
    assert_verdicts(&results, &[]);
    assert!(broke_by(&results, "7", "the server infers other types for its parameters"));
    assert!(broke_by(&results, "9", "an enum value it uses was removed: 22P02"));
    assert_reverse(&results);
    let changes = migration(&results, "9")["changes"].to_string();
    assert!(changes.contains("value(s) low removed from enum priority"), "{changes}");
    assert_eq!(results["compat_run"]["from"], "3");
    assert!(results["compat_run"]["databases"].as_str().unwrap().starts_with("each version a copy"));
    // The repro folder of a break holds the migration and the minimal old statements.
    let readme = std::fs::read_to_string(dir.path().join("repros/compat-9/README.md")).unwrap();
    assert!(readme.contains("CREATE TYPE priority AS ENUM ('normal', 'high', 'urgent')"), "{readme}");
    let scorecard = std::fs::read_to_string(dir.path().join("scorecard.md")).unwrap();
    assert!(scorecard.contains("## Backward compatibility"), "{scorecard}");
    assert!(scorecard.contains("| 11 | `workloads/compat/tasks/migrations/postgres/011_task_creator.sql` | potentially breaking | **no** |"), "{scorecard}");
    let report = quick_junit::Report::deserialize_from_str(&std::fs::read_to_string(&junit).unwrap()).unwrap();
    let suite = report.test_suites.iter().find(|s| s.name.as_str() == "compat").expect("a compat suite");
    assert_eq!((suite.tests, suite.failures), (11, 7));
}

#[test]
fn every_migration_of_the_example_gets_its_verdict_on_sqlite() {
    let (code, results, out, _dir) = compat(&[
        "--target",
        "sqlite",
        "--migrations",
        "workloads/compat/tasks/migrations/sqlite",
        "--from",
        "3",
        "--new-traffic",
        NEW_TRAFFIC,
        TRAFFIC,
    ]);
    assert_eq!(code, 1, "{}", stderr(&out));
    assert_reverse(&results);
    // SQLite widens its priority list by rebuilding the table: read as values allowed.
    assert_verdicts(&results, &[]);
    let widened = migration(&results, "5")["changes"].to_string();
    assert!(widened.contains("value(s) urgent now allowed in tasks.priority"), "{widened}");
    assert!(broke_by(&results, "7", "a result column's type changed: estimate NUMERIC → estimate INTEGER"));
    assert!(broke_by(&results, "9", "a new CHECK rejects what it writes: 23514"));
}

/// A breaking migration's repro, run as the traffic of that one migration, breaks it again.
#[test]
fn a_repro_replays_as_the_traffic_of_its_migration() {
    let migrations = "workloads/compat/tasks/migrations/postgres";
    let (_, first, _, dir) = compat(&["--migrations", migrations, "--from", "8", "--to", "9", TRAFFIC]);
    let repro = migration(&first, "9")["repros"][0].as_str().expect("a repro").to_string();
    let path = dir.path().join(&repro);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("# replay: pgparity compat --migrations"), "{text}");
    let (code, again, out, _d) =
        compat(&["--migrations", migrations, "--from", "8", "--to", "9", "--no-reduce", path.to_str().unwrap()]);
    assert_eq!(code, 1, "{}", stderr(&out));
    assert!(broke_by(&again, "9", "an enum value it uses was removed: 22P02"), "{again:#}");
    assert_eq!(again["compat_run"]["statements"].as_u64().unwrap() as usize, text.matches("- sql:").count());
}

/// Real driver traffic (knex on node-postgres) that keeps to its own tables, on a 16-version
/// history it never touches: every migration compatible, on PostgreSQL and on SQLite, exit 0.
#[test]
fn traffic_a_history_never_touches_is_compatible_throughout() {
    for (target, tree) in [("local", "postgres"), ("sqlite", "sqlite")] {
        let migrations = format!("workloads/migrations/shop/{tree}");
        let (code, results, out, _d) =
            compat(&["--target", target, "--migrations", &migrations, "--from", "1", "workloads/orm/knex"]);
        assert_eq!(code, 0, "{target}: {}", stderr(&out));
        let all = results["compat"].as_array().unwrap();
        assert_eq!(all.len(), 15);
        assert!(all.iter().all(|m| m["backward_compatible"] == true && m["evidence"].is_null()), "{target}: {all:#?}");
    }
}

#[test]
fn versions_that_are_not_in_the_tree_are_usage_errors() {
    let migrations = "workloads/compat/tasks/migrations/postgres";
    let (code, _, out, _d) = compat(&["--migrations", migrations, "--from", "99", TRAFFIC]);
    assert_eq!(code, 2);
    assert!(
        stderr(&out).contains(
            "--from 99: workloads/compat/tasks/migrations/postgres has no such migration (its versions: 1, 2, 3"
        ),
        "{}",
        stderr(&out)
    );
    let (code, _, out, _d) = compat(&["--migrations", migrations, "--from", "5", "--to", "004", TRAFFIC]);
    assert_eq!(code, 2);
    assert!(stderr(&out).contains("--to 4 is not after --from 5"), "{}", stderr(&out));
}
