//! `pgparity migrate` on real engines, with the histories shipped under workloads/migrations/:
//! a clean two-backend history (PostgreSQL 15 against SQLite, and PostgreSQL 15 against 18),
//! drifts planted on purpose found at their version, a failing migration that leaves nothing
//! behind, and the re-run invariant.

mod common;

use common::*;

fn migrate(args: &[&str]) -> (i32, serde_json::Value, std::process::Output, tempfile::TempDir) {
    with_results("migrate", args)
}

fn version<'a>(results: &'a serde_json::Value, v: &str) -> &'a serde_json::Value {
    results["migrations"]["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .find(|x| x["version"] == v)
        .unwrap_or_else(|| panic!("no version {v}"))
}

fn statuses(results: &serde_json::Value) -> Vec<(String, String)> {
    results["migrations"]["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .map(|v| (v["version"].as_str().unwrap().to_string(), v["status"].as_str().unwrap().to_string()))
        .collect()
}

/// The drifts first seen at version `v`, as `(kind, object)`.
fn drifts(results: &serde_json::Value, v: &str) -> Vec<(String, String)> {
    version(results, v)["drifts"]
        .as_array()
        .map(|d| d.iter().map(|d| (d["kind"].as_str().unwrap().into(), d["object"].as_str().unwrap().into())).collect())
        .unwrap_or_default()
}

/// The shop history, kept as two trees, is the same schema on PostgreSQL 15 and SQLite (with
/// foreign keys on, as the application opens it) after every one of its 16 versions — in its
/// catalog and in what its constraints accept and refuse — and re-running it changes nothing.
#[test]
fn a_clean_two_backend_history_is_equivalent_at_every_version() {
    let (code, results, out, dir) = migrate(&[
        "--candidate",
        "sqlite?foreign_keys=on",
        "workloads/migrations/shop/postgres",
        "workloads/migrations/shop/sqlite",
    ]);
    assert_eq!(code, 0, "{}", stderr(&out));
    let all = statuses(&results);
    assert_eq!(all.len(), 16);
    assert!(all.iter().all(|(_, s)| s == "equivalent"), "{all:?}");
    assert_eq!(results["migrations"]["trees"]["reference"]["convention"], "Flyway (V<version>__<name>.sql)");
    let invariant = &results["migrations"]["invariants"][0];
    assert_eq!(
        (invariant["holds"]["reference"].as_bool(), invariant["holds"]["candidate"].as_bool()),
        (Some(true), Some(true))
    );
    let md = std::fs::read_to_string(dir.path().join("scorecard.md")).unwrap();
    assert!(md.contains("**16 versions: 16 equivalent, 0 drift, 0 failed, 0 one side only**"), "{md}");
}

/// JUnit for a migrate run: a `migrations` suite, a test case per version, a failure per
/// version that drifted or failed.
#[test]
fn junit_has_a_test_case_per_version() {
    let dir = scratch();
    let junit = dir.path().join("junit.xml");
    let (code, results, out, _d) = migrate(&[
        "--candidate",
        "sqlite?foreign_keys=on",
        "--junit",
        junit.to_str().unwrap(),
        "--no-reduce",
        "workloads/migrations/gateway/postgres",
        "workloads/migrations/gateway/sqlite",
    ]);
    assert_eq!(code, 1, "{}", stderr(&out));
    let report = quick_junit::Report::deserialize_from_str(&std::fs::read_to_string(&junit).unwrap()).unwrap();
    let suite = &report.test_suites[0];
    assert_eq!(suite.name.as_str(), "migrations");
    let failing = statuses(&results).iter().filter(|(_, s)| s == "drift" || s == "failed").count();
    assert_eq!((suite.tests, suite.failures), (17, failing));
}

/// One tree on PostgreSQL 15 and 18: the same schema (18's NOT NULL constraints in
/// pg_constraint are not a drift).
#[test]
fn the_same_tree_on_postgresql_15_and_18_is_equivalent() {
    let candidate = format!("local:{}", pg18_bindir());
    let (code, results, out, _dir) = migrate(&["--candidate", &candidate, "workloads/migrations/shop/postgres"]);
    assert_eq!(code, 0, "{}", stderr(&out));
    assert!(results["candidate"]["version"].as_str().unwrap().starts_with("18"));
    assert!(statuses(&results).iter().all(|(_, s)| s == "equivalent"), "{:?}", statuses(&results));
}

/// Every drift planted in the gateway history is found at its version, with its kind.
#[test]
fn planted_drifts_are_found_at_their_version() {
    let (code, results, out, dir) = migrate(&[
        "--candidate",
        "sqlite?foreign_keys=on",
        "workloads/migrations/gateway/postgres",
        "workloads/migrations/gateway/sqlite",
    ]);
    assert_eq!(code, 1, "{}", stderr(&out));
    let expect = |v: &str, kind: &str, object: &str| {
        let found = drifts(&results, v);
        assert!(found.contains(&(kind.to_string(), object.to_string())), "version {v}: {found:?}");
    };
    for v in ["1", "2"] {
        assert_eq!(version(&results, v)["status"], "equivalent", "version {v}: {}", version(&results, v));
    }
    // Declared alike, enforced on one side: a probe finds it.
    expect("3", "enforcement", "length routes.name ≤ 64");
    let length = &version(&results, "3")["drifts"][0];
    assert!(length["reference"].as_str().unwrap().ends_with("rejected (22001)"), "{length}");
    assert_eq!(length["candidate"], "accepted");
    // A drift is carried from the version it appears at: versions 6 and 7 add none.
    for v in ["6", "7"] {
        assert_eq!((version(&results, v)["status"].as_str(), drifts(&results, v).len()), (Some("drift"), 0), "{v}");
        assert_eq!(version(&results, v)["carried"], 2);
    }
    expect("5", "column", "routes.weight");
    expect("8", "nullability", "request_log.tokens");
    expect("10", "check", "budgets");
    expect("12", "foreign_key", "route_profiles");
    expect("14", "index", "api_keys");
    expect("15", "default", "providers.tier");
    expect("16", "unique", "model_aliases");
    expect("17", "column_type", "routes.streaming");
    // A drift is reported where it first appears, then carried.
    assert_eq!(version(&results, "9")["status"], "drift");
    assert!(drifts(&results, "9").is_empty());
    assert_eq!(version(&results, "9")["carried"], 3);
    // Each drift has a repro: the versions it needs, replayable by each engine's own shell.
    let repro = version(&results, "12")["repros"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_string())
        .find(|r| r.ends_with("foreign-key-route-profiles"))
        .expect("a repro of the foreign key drift");
    let folder = dir.path().join(&repro);
    let candidate_sql = std::fs::read_to_string(folder.join("candidate.sql")).unwrap();
    let versions: Vec<&str> = candidate_sql.lines().filter_map(|l| l.strip_prefix("-- version ")).collect();
    assert_eq!(versions.len(), 5, "routes (1, 2, 3), profiles (11) and the drift's own (12): {versions:?}");
    let db = rusqlite::Connection::open_in_memory().unwrap();
    db.execute_batch(&candidate_sql).expect("the candidate's script replays");
    let on_delete: String = db
        .query_row(
            "SELECT on_delete FROM pragma_foreign_key_list('route_profiles') WHERE \"table\" = 'routes'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(on_delete, "NO ACTION");
    let cluster = ManualCluster::start("trust", "unused");
    let psql = std::process::Command::new("psql")
        .args([
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-p",
            &cluster.port.to_string(),
            "-U",
            "postgres",
            "-f",
        ])
        .arg(folder.join("reference.sql"))
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&psql.stdout);
    assert!(psql.status.success(), "{}", String::from_utf8_lossy(&psql.stderr));
    assert!(shown.contains("ON DELETE CASCADE"), "{shown}");
    let check = version(&results, "10")["drifts"].as_array().unwrap();
    let values: Vec<(&str, &str)> =
        check.iter().map(|d| (d["reference"].as_str().unwrap(), d["candidate"].as_str().unwrap())).collect();
    assert!(values.contains(&("monthly_limit_cents > 0", "(none)")), "{values:?}");
    assert!(values.contains(&("(none)", "monthly_limit_cents >= 0")), "{values:?}");
}

/// A migration that fails on one side is reported with its location and leaves nothing behind
/// (its earlier statements are rolled back); objects on one side only are drifts; foreign keys
/// SQLite declares but, without the pragma, does not enforce are found by the probes;
/// re-running a history whose first migration records itself again adds rows to the history
/// table.
#[test]
fn failures_one_sided_objects_and_the_rerun_invariant() {
    let (code, results, out, _dir) = migrate(&[
        "--candidate",
        "sqlite",
        "--history-table",
        "schema_migrations",
        "--no-reduce",
        "workloads/migrations/notes/postgres",
        "workloads/migrations/notes/sqlite",
    ]);
    assert_eq!(code, 1, "{}", stderr(&out));
    assert_eq!(results["migrations"]["trees"]["reference"]["down"], 17);
    let fk = drifts(&results, "3");
    assert!(fk.contains(&("enforcement".into(), "foreign key notebooks (owner_id) → users".into())), "{fk:?}");
    assert!(fk.contains(&("enforcement".into(), "ON DELETE CASCADE notebooks (owner_id) → users".into())), "{fk:?}");
    assert!(drifts(&results, "6").is_empty(), "a trigger on both sides: {}", version(&results, "6"));
    let v7 = version(&results, "7");
    assert_eq!(v7["status"], "failed");
    let error = v7["errors"]["candidate"].as_str().unwrap();
    assert!(error.contains("000007_titles_default.up.sql:3:1"), "{error}");
    assert!(v7["notes"].as_array().is_none_or(|n| n.is_empty()), "nothing left behind: {v7}");
    assert!(drifts(&results, "7").contains(&("index".into(), "notes".into())), "the rolled-back index: {v7}");
    assert!(drifts(&results, "7").contains(&("default".into(), "notes.title".into())), "{v7}");
    assert!(drifts(&results, "10").contains(&("view".into(), "recent_notes".into())));
    assert!(drifts(&results, "13").contains(&("trigger".into(), "note_tags.note_tags_count".into())));
    assert!(drifts(&results, "16").contains(&("table".into(), "reminders".into())));
    assert!(drifts(&results, "17").contains(&("primary_key".into(), "note_versions".into())));
    let rerun = &results["migrations"]["invariants"][0];
    assert_eq!(rerun["holds"]["reference"], false);
    assert_eq!(rerun["holds"]["candidate"], false);
    let evidence = rerun["evidence"].to_string();
    // Version 1 records itself again on both sides; SQLite's versions 10 and 16 hold nothing but
    // their record.
    assert!(evidence.contains("reference: the re-run added 1 row(s) to schema_migrations"), "{evidence}");
    assert!(evidence.contains("candidate: the re-run added 3 row(s) to schema_migrations"), "{evidence}");
}

/// A baseline (squashed) schema equals the upgraded one; one that lacks a column does not.
#[test]
fn a_baseline_is_compared_with_the_upgraded_schema() {
    let dir = scratch();
    let good = dir.path().join("baseline.sql");
    let tree = repo_root().join("workloads/migrations/shop/postgres");
    let mut all = String::new();
    let mut files: Vec<_> = std::fs::read_dir(&tree).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort_by_key(|p| {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        name[1..name.find("__").unwrap()].parse::<u32>().unwrap()
    });
    for f in files {
        all.push_str(&std::fs::read_to_string(f).unwrap());
    }
    std::fs::write(&good, &all).unwrap();
    let (code, results, out, _d) =
        migrate(&["--baseline", good.to_str().unwrap(), "workloads/migrations/shop/postgres"]);
    assert_eq!(code, 0, "{}", stderr(&out));
    assert_eq!(results["migrations"]["invariants"][1]["holds"]["reference"], true);
    let bad = dir.path().join("bad.sql");
    std::fs::write(&bad, all.replace("ALTER TABLE customers ADD COLUMN phone varchar(32);", "")).unwrap();
    let (code, results, _out, _d) =
        migrate(&["--baseline", bad.to_str().unwrap(), "workloads/migrations/shop/postgres"]);
    assert_eq!(code, 1);
    let evidence = results["migrations"]["invariants"][1]["evidence"].to_string();
    assert!(evidence.contains("column customers.phone"), "{evidence}");
}

/// Bad input: a tree whose file names follow no convention is refused with the file, exit 2.
#[test]
fn a_file_that_is_no_migration_is_refused_before_anything_starts() {
    let dir = scratch();
    let tree = dir.path().join("m");
    std::fs::create_dir(&tree).unwrap();
    std::fs::write(tree.join("001_init.sql"), "CREATE TABLE a (id int);").unwrap();
    std::fs::write(tree.join("cleanup.sql"), "DROP TABLE a;").unwrap();
    let out = pgparity(&["migrate", "--candidate", "sqlite", tree.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("cleanup.sql:1:1"), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    // A file PostgreSQL's scanner cannot split: its line and column, before anything starts.
    std::fs::remove_file(tree.join("cleanup.sql")).unwrap();
    std::fs::write(tree.join("002_more.sql"), "SELECT 1;\nINSERT INTO a VALUES ('open);\n").unwrap();
    let out = pgparity(&["migrate", tree.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("002_more.sql:2:23"), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
}
