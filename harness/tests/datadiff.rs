//! `pgparity data-diff` on real engines: seed 002's round trip (SQLite → PostgreSQL → SQLite,
//! `examples/roundtrip/`) equal at every step when clean, each planted lossy mapping found and
//! named; the idempotent re-run proved by a snapshot; every hint on planted differences; bad
//! input and unreachable targets.

mod common;

use std::process::Command;

use common::*;

fn data_diff(args: &[&str]) -> (i32, serde_json::Value, std::process::Output, tempfile::TempDir) {
    with_results("data-diff", args)
}

fn table<'a>(results: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    results["data"]["tables"].as_array().expect("tables").iter().find(|t| t["table"] == name).expect("the table")
}

fn column<'a>(t: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    t["columns"].as_array().expect("columns").iter().find(|c| c["column"] == name).unwrap_or_else(|| panic!("{t:#}"))
}

fn roundtrip(args: &[&str]) {
    let out = Command::new(repo_root().join("examples/roundtrip/roundtrip.sh")).args(args).output().unwrap();
    assert!(out.status.success(), "roundtrip.sh {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn psql(url: &str, sql: &str) {
    let out = Command::new(pg_bindir().join("psql")).args(["-X", "-q", url, "-c", sql]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_clean_round_trip_is_equal_at_every_step_and_each_lossy_mapping_is_named() {
    let cluster = ManualCluster::start("trust", "unused");
    let url = format!("postgres://postgres@127.0.0.1:{}/postgres", cluster.port);
    let work = scratch();
    let dir = work.path().to_str().unwrap();
    let (source, fin) = (format!("sqlite:{dir}/source.db"), format!("sqlite:{dir}/final.db"));
    roundtrip(&["seed", dir]);
    roundtrip(&["forward", &url, dir]);
    let (code, results, out, _d) = data_diff(&["--reference", &source, "--candidate", &url]);
    assert_eq!(code, 0, "{}", stderr(&out));
    assert_eq!(table(&results, "memories")["rows"], serde_json::json!({"reference": 1000, "candidate": 1000}));
    assert_eq!(table(&results, "links")["pairing"], "primary_key");
    // The idempotent re-run changes nothing, proved against a snapshot of the first.
    let snapshot = format!("{dir}/after-first.json");
    let (code, _, out, _d) = data_diff(&["--reference", &url, "--snapshot", &snapshot]);
    assert_eq!(code, 0, "{}", stderr(&out));
    roundtrip(&["forward", &url, dir]);
    let (code, results, out, _d) = data_diff(&["--candidate", &url, "--snapshot", &snapshot]);
    assert_eq!(code, 0, "{}", stderr(&out));
    assert!(results["data"]["tables"].as_array().unwrap().iter().all(|t| t["ranges"].is_null()), "{results:#}");
    // A change after the snapshot is found in its key range.
    psql(&url, "UPDATE memories SET note = 'edited' WHERE id = 500");
    let (code, results, _, _d) = data_diff(&["--candidate", &url, "--snapshot", &snapshot]);
    assert_eq!(code, 1);
    let ranges = table(&results, "memories")["ranges"].to_string();
    assert!(ranges.contains("contents differ"), "{ranges}");
    psql(&url, "UPDATE memories SET note = NULL WHERE id = 500");
    roundtrip(&["back", &url, dir]);
    for (reference, candidate) in [(&source, &fin), (&url, &fin)] {
        let (code, _, out, _d) = data_diff(&["--reference", reference, "--candidate", candidate]);
        assert_eq!(code, 0, "{reference} vs {candidate}: {}", stdout(&out));
    }
    // Each lossy mapping keeps the counts, and is found and named.
    for (mapping, col, rows, hint) in [
        ("truncate", "title", 899, "truncated: one value is a prefix of the other"),
        ("boolean", "pinned", 250, "a boolean mapped the other way ('1' became 'f')"),
        ("timezone", "created_at", 1000, "time-zone shift of +"),
    ] {
        psql(&url, "DROP TABLE links, memories");
        roundtrip(&["forward", &url, dir, mapping]);
        let (code, results, out, _d) = data_diff(&["--reference", &source, "--candidate", &url]);
        assert_eq!(code, 1, "{mapping}: {}", stdout(&out));
        let t = table(&results, "memories");
        assert_eq!(
            (t["missing"].as_u64(), t["extra"].as_u64(), t["changed"].as_u64()),
            (Some(0), Some(0), Some(rows)),
            "{mapping}: {t:#}"
        );
        let c = column(t, col);
        assert_eq!(c["rows"], rows, "{mapping}");
        assert!(c["hint"].as_str().unwrap_or("").starts_with(hint), "{mapping}: {c:#}");
        assert_eq!(t["columns"].as_array().unwrap().len(), 1, "{mapping}: only {col} differs: {t:#}");
    }
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Differences planted one per column, PostgreSQL against SQLite: each is found with both
/// values and named; rows missing and extra; a keyless table compared as a multiset; tables
/// and columns on one side only.
#[test]
fn every_hint_on_planted_differences() {
    let cluster = ManualCluster::start("trust", "unused");
    let url = format!("postgres://postgres@127.0.0.1:{}/postgres", cluster.port);
    psql(
        &url,
        "CREATE TABLE items (id int PRIMARY KEY, price numeric(12,6), name text, label text, seen timestamptz, extra int);
         INSERT INTO items VALUES (1, 1.234567, 'café', 'x', '2024-05-01 12:00:00.123456+00', 1),
           (2, 2.5, 'plain', '', '2024-05-01 12:00:00+00', 1), (3, 3, 'gone', 'y', NULL, 1);
         CREATE TABLE bag (a text, b int); INSERT INTO bag VALUES ('x', 1), ('x', 1), ('y', NULL);
         CREATE TABLE only_here (a int);",
    );
    let work = scratch();
    let db = work.path().join("copy.db");
    let lite = rusqlite::Connection::open(&db).unwrap();
    lite.execute_batch(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, price REAL, name TEXT, label TEXT, seen TEXT);
         INSERT INTO items VALUES (1, 1.23, 'cafÃ©', 'x', '2024-05-01 12:00:00'),
           (2, 2.5, 'plain', NULL, '2024-05-01 12:00:00'), (4, 4, 'new', 'z', NULL);
         CREATE TABLE bag (a TEXT, b INTEGER); INSERT INTO bag VALUES ('x', 1), ('y', NULL), ('z', 2);",
    )
    .unwrap();
    drop(lite);
    let (code, results, out, _d) =
        data_diff(&["--reference", &url, "--candidate", &format!("sqlite:{}", db.display()), "--examples", "3"]);
    assert_eq!(code, 1, "{}", stderr(&out));
    let items = table(&results, "items");
    assert_eq!(
        (items["missing"].as_u64(), items["extra"].as_u64(), items["changed"].as_u64()),
        (Some(1), Some(1), Some(2))
    );
    assert_eq!(items["missing_examples"], serde_json::json!(["('3')"]));
    assert_eq!(items["extra_examples"], serde_json::json!(["('4')"]));
    assert_eq!(items["only_reference_columns"], serde_json::json!(["extra"]));
    let hint = |c: &str| column(items, c)["hint"].as_str().unwrap_or("").to_string();
    assert_eq!(hint("price"), "precision lost (rounded)");
    assert_eq!(hint("name"), "encoding changed: UTF-8 bytes read as Latin-1");
    assert_eq!(hint("label"), "'' became NULL");
    assert_eq!(hint("seen"), "fractional seconds lost");
    assert_eq!(
        column(items, "name")["examples"][0],
        serde_json::json!({"key": "('1')", "reference": "café", "candidate": "cafÃ©"})
    );
    let bag = table(&results, "bag");
    assert_eq!(bag["pairing"], "whole_row");
    assert_eq!((bag["missing"].as_u64(), bag["extra"].as_u64()), (Some(1), Some(1)), "{bag:#}");
    assert_eq!(results["data"]["only_reference"], serde_json::json!(["only_here"]));
    let scorecard = std::fs::read_to_string(_d.path().join("scorecard.md")).unwrap();
    assert!(
        scorecard.contains("## Data") && scorecard.contains("*encoding changed: UTF-8 bytes read as Latin-1*"),
        "{scorecard}"
    );
}

#[test]
fn bad_input_and_unreachable_targets() {
    let (code, _, out, _d) = data_diff(&["--reference", "sqlite", "--candidate", "sqlite"]);
    assert_eq!(code, 2);
    assert!(
        stderr(&out).contains("data-diff reads an existing database: name its file, sqlite:PATH"),
        "{}",
        stderr(&out)
    );
    let (code, _, out, _d) = data_diff(&["--reference", "sqlite:/nonexistent.db"]);
    assert_eq!(code, 2);
    assert!(stderr(&out).contains("data-diff takes --reference and --candidate"), "{}", stderr(&out));
    let work = scratch();
    let bad = work.path().join("snap.json");
    std::fs::write(&bad, "{\n  \"format\": 1,\n  oops\n}").unwrap();
    let db = work.path().join("x.db");
    rusqlite::Connection::open(&db).unwrap().execute_batch("CREATE TABLE t (a INTEGER)").unwrap();
    let (code, _, out, _d) =
        data_diff(&["--candidate", &format!("sqlite:{}", db.display()), "--snapshot", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr(&out).contains(&format!("{}:3:3: not a data-diff snapshot", bad.display())), "{}", stderr(&out));
    let (code, _, out, _d) = data_diff(&[
        "--reference",
        &format!("sqlite:{}", db.display()),
        "--candidate",
        "postgres://u:s3cret@127.0.0.1:1/db",
    ]);
    assert_eq!(code, 3, "{}", stderr(&out));
    assert!(!stderr(&out).contains("s3cret") && !stdout(&out).contains("s3cret"));
}
