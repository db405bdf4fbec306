//! SQLite as an engine: an application's own queries diffed PostgreSQL-vs-SQLite statement by
//! statement, pragmas that change behaviour, a user's database file used by copy and never
//! modified, and SQLite as the saved reference of `check`.

mod common;

use common::*;

const APP: &str = "\
-- feature: users table
-- area: App
CREATE TABLE users (id integer PRIMARY KEY, name text NOT NULL UNIQUE, age integer CHECK (age >= 0));
INSERT INTO users (id, name, age) VALUES (1, 'Ada', 36), (2, 'Grace', 45);
INSERT INTO users (id, name, age) VALUES (3, 'Ada', 1);
INSERT INTO users (id, name) VALUES (4, NULL);
INSERT INTO users (id, name, age) VALUES (5, 'Eve', -1);
UPDATE users SET age = age + 1 WHERE id = 1;
SELECT id, name, age FROM users ORDER BY id;
SELECT count(*) AS n FROM users;
DELETE FROM users WHERE id = 2;
";

fn statement(result: &serde_json::Value, index: usize) -> &serde_json::Value {
    &result["statements"][index - 1]
}

/// PostgreSQL against SQLite: same tags, same SQLSTATEs (mapped, and said to be), same rows;
/// what differs is what really differs (declared type names, count's type).
#[test]
fn an_application_s_queries_diffed_postgresql_against_sqlite() {
    let dir = scratch();
    let root = workload(dir.path(), "app/users.sql", APP);
    let out = run_against("sqlite", dir.path(), &[root.to_str().unwrap()]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let results = results(dir.path());
    assert!(results["candidate"]["version"].as_str().unwrap().starts_with('3'), "{}", results["candidate"]);
    let users = workload_result(&results, "app/users");
    let verdict = |i: usize| statement(users, i)["verdict"].as_str().unwrap().to_string();
    // CREATE TABLE, the INSERT, the UPDATE and the DELETE: the same tags.
    for i in [1, 2, 6, 9] {
        assert_eq!(verdict(i), "match", "{}", statement(users, i));
    }
    // Unique, NOT NULL and CHECK violations: the same SQLSTATEs, other messages.
    for i in [3, 4, 5] {
        assert_eq!(verdict(i), "match_after", "{}", statement(users, i));
        assert_eq!(statement(users, i)["normalisers"], serde_json::json!(["message_text"]));
    }
    // The rows are the same; the column types are declared ones (`integer` vs `INTEGER`…).
    let select = statement(users, 7);
    assert_eq!(select["kinds"], serde_json::json!(["column_types"]), "{select}");
    assert_eq!(select["outcomes"]["reference"]["rows"], select["outcomes"]["candidate"]["rows"]);
    let count = statement(users, 8);
    assert_eq!(count["outcomes"]["reference"]["columns"][0]["type"], "bigint");
    assert_eq!(count["outcomes"]["candidate"]["columns"][0]["type"], "integer");
    // The scorecard says where a SQLSTATE was mapped.
    let md = std::fs::read_to_string(dir.path().join("scorecard.md")).unwrap();
    assert!(md.contains("| Candidate | 3."), "{md}");
    let unique = &statement(users, 3)["outcomes"];
    assert!(unique.is_null(), "a match keeps no outcomes: {unique}");
}

/// Pragmas are part of the target: foreign keys are enforced with `foreign_keys=on` only. The
/// user's database file is copied for every workload and never changes.
#[test]
fn pragmas_change_behaviour_and_the_user_s_file_is_never_modified() {
    let dir = scratch();
    let db = dir.path().join("app.db");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT);
             CREATE TABLE members (id INTEGER PRIMARY KEY, team INTEGER REFERENCES teams (id));
             INSERT INTO teams VALUES (1, 'core');",
        )
        .unwrap();
    }
    let before = std::fs::read(&db).unwrap();
    let root = workload(
        dir.path(),
        "app/members.sql",
        "INSERT INTO members VALUES (1, 1);\nINSERT INTO members VALUES (2, 99);\nSELECT count(*) FROM members;\n",
    );
    let reference = format!("sqlite:{}?foreign_keys=on", db.display());
    let candidate = format!("sqlite:{}", db.display());
    let out = pgparity(&[
        "run",
        "--reference",
        &reference,
        "--candidate",
        &candidate,
        "--out",
        dir.path().to_str().unwrap(),
        root.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let results = results(dir.path());
    let members = workload_result(&results, "app/members");
    assert_eq!(statement(members, 1)["verdict"], "match", "the copy has the user's table and row");
    let dangling = statement(members, 2);
    assert_eq!(dangling["kinds"], serde_json::json!(["error_vs_success"]));
    assert_eq!(dangling["outcomes"]["reference"]["error"]["code"], "23503");
    assert_eq!(results["reference"]["target"], reference);
    assert_eq!(std::fs::read(&db).unwrap(), before, "the user's file is unchanged");
}

/// SQLite as the reference that `record` saves and `check` compares against.
#[test]
fn sqlite_records_expected_and_checks_against_it() {
    let dir = scratch();
    let root = workload(dir.path(), "app/users.sql", APP);
    let out_arg = dir.path().to_str().unwrap();
    let out = pgparity(&["record", "--reference", "sqlite", "--out", out_arg, root.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let saved = std::fs::read_to_string(dir.path().join("expected/app/users.json")).unwrap();
    assert!(saved.contains("SQLITE_CONSTRAINT_UNIQUE"), "{saved}");
    let out = pgparity(&["check", "--candidate", "sqlite", "--out", out_arg, root.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(workload_result(&results(dir.path()), "app/users")["status"], "works");
}

/// Several connections to one database file: a write waits for another connection's open
/// write transaction (SQLite's lock), and the schedule sees it released by the COMMIT — the
/// same on both sides, run after run.
#[test]
fn a_lock_held_by_another_connection_makes_a_step_wait_until_released() {
    let dir = scratch();
    let root = workload(
        dir.path(),
        "app/lock.yaml",
        "feature: write lock\narea: App\nsessions: [a, b]\nsetup: CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)\nsteps:\n  - {session: a, sql: BEGIN}\n  - {session: a, sql: 'INSERT INTO t VALUES (1, 1)'}\n  - {session: b, sql: 'INSERT INTO t VALUES (2, 2)'}\n  - {session: a, sql: COMMIT}\n  - {session: b, sql: SELECT count(*) FROM t}\n",
    );
    let out = pgparity(&[
        "run",
        "--reference",
        "sqlite",
        "--candidate",
        "sqlite",
        "--out",
        dir.path().to_str().unwrap(),
        root.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let saved = std::fs::read_to_string(dir.path().join("expected/app/lock.json")).unwrap();
    assert!(saved.contains(r#""wait": {"until": "released", "by": 4}"#), "{saved}");
    assert!(saved.contains(r#"["2"]"#), "both rows are there at the end: {saved}");
}
