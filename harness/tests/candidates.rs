//! Real candidate databases that differ from PostgreSQL 15, installed by `candidates/*.sh`:
//! PostgreSQL 16 (PyPI pgserver), pgbouncer in transaction mode, PGlite (one connection, WASM),
//! DuckDB behind buenavista (no SQLSTATEs, no tags, dropped connections).

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::Value;

fn run_candidate(candidate: &str, extra: &[&str]) -> (i32, Value) {
    let dir = scratch();
    let out = run_against(candidate, dir.path(), extra);
    (code(&out), results(dir.path()))
}

/// Every mismatch kind seen on any statement.
fn kinds(results: &Value) -> BTreeSet<String> {
    results["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| w["statements"].as_array().unwrap().iter())
        .flat_map(|s| s["kinds"].as_array().cloned().unwrap_or_default())
        .map(|k| k.as_str().unwrap().to_string())
        .collect()
}

/// PostgreSQL 16: mismatches only where 15 and 16 really differ.
#[test]
fn postgres_16_differs_only_where_the_versions_do() {
    let out = std::process::Command::new(repo_root().join("candidates/pg16.sh")).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bindir = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let (code, results) = run_candidate(&format!("local:{bindir}"), &[]);
    assert_eq!(code, 1);
    assert!(results["candidate"]["version"].as_str().unwrap().starts_with("16."));
    let expected: BTreeSet<String> = ["syntax/version_syntax", "views/views"].iter().map(|s| s.to_string()).collect();
    let blocked: BTreeSet<String> = with_status(&results, "blocked").into_iter().collect();
    let (orm, rest): (BTreeSet<String>, BTreeSet<String>) = blocked.into_iter().partition(|id| id.starts_with("orm/"));
    assert_eq!(rest, expected, "only real 15 → 16 differences");
    // The captured ORM pack differs only where a driver sees the server's version: version()
    // at connect, and psql 15's catalog queries on 16's catalog.
    for id in &orm {
        let w = workload_result(&results, id);
        for s in w["statements"].as_array().unwrap().iter().filter(|s| s["verdict"] == "mismatch") {
            let sql = s["sql"].as_str().unwrap();
            assert!(sql.contains("version()") || sql.contains("pg_catalog."), "{id}: {sql}");
        }
    }
    let syntax = workload_result(&results, "syntax/version_syntax");
    assert_eq!(syntax["statements"][0]["kinds"], serde_json::json!(["error_vs_success"]));
    let views = workload_result(&results, "views/views");
    let step = views["statements"].as_array().unwrap().iter().find(|s| s["verdict"] == "mismatch").unwrap();
    assert!(step["sql"].as_str().unwrap().contains("pg_get_viewdef"), "{step}");
}

/// The isolation workloads whose cells (reference, candidate) satisfy `pick`.
fn isolation_cells(results: &Value, pick: impl Fn(&Value, &Value) -> bool) -> Vec<String> {
    let workloads = results["workloads"].as_array().unwrap();
    let with: Vec<&Value> = workloads.iter().filter(|w| w["isolation"].is_object()).collect();
    assert_eq!(with.len(), 30, "the isolation suite ran");
    with.iter()
        .filter(|w| pick(&w["isolation"]["cells"]["reference"], &w["isolation"]["cells"]["candidate"]))
        .map(|w| w["id"].as_str().unwrap().to_string())
        .collect()
}

/// The session-state leaks a transaction-mode pooler (or a server whose clients share one
/// session) shows to a second client: `a`'s SET, prepared statement and temp table reach `b`.
fn assert_state_leaks_between_clients(results: &Value) {
    let w = workload_result(results, "sessions/state_per_client");
    assert_eq!(w["status"], "blocked");
    let kinds_of = |i: usize| w["statements"][i]["kinds"].clone();
    assert_eq!(w["statements"][1]["session"], "b");
    assert_eq!(kinds_of(1), serde_json::json!(["rows"]), "b sees a's work_mem");
    assert_eq!(w["statements"][1]["outcomes"]["candidate"]["rows"], serde_json::json!([["1234kB"]]));
    assert_eq!(kinds_of(3), serde_json::json!(["error_vs_success"]), "b runs a's prepared statement");
    assert_eq!(kinds_of(5), serde_json::json!(["error_vs_success"]), "b sees a's temp table");
}

/// pgbouncer in transaction pooling mode: with one client at a time every workload matches,
/// fresh databases included (passed through by `* =`, dropped WITH (FORCE)); with two clients,
/// session state leaks from one to the other, and a notification reaches the client that did
/// not listen.
#[test]
fn pgbouncer_transaction_mode_matches_with_one_client_and_leaks_between_two() {
    let (code, results) = run_candidate("exec:candidates/pgbouncer.sh {port} {datadir}", &[]);
    assert_eq!(code, 1);
    assert_eq!(
        with_status(&results, "blocked"),
        vec!["sessions/listen_notify", "sessions/state_per_client"],
        "every single-client workload matches"
    );
    // a's LISTEN stays on the server connection its statement ran on; b's NOTIFY runs there
    // next, and b — which never listened — gets the notification meant for a, which never sees
    // it.
    let notify = workload_result(&results, "sessions/listen_notify");
    let step = |i: usize| &notify["statements"][i];
    assert_eq!(
        (step(2)["session"].as_str(), step(2)["kinds"].clone()),
        (Some("b"), serde_json::json!(["notifications"]))
    );
    assert_eq!(
        step(2)["outcomes"]["candidate"]["notifications"],
        serde_json::json!([{"channel": "jobs", "payload": "from b"}])
    );
    assert_eq!(step(3)["kinds"], serde_json::json!(["notifications"]));
    assert!(step(3)["outcomes"]["candidate"].get("notifications").is_none(), "{notify}");
    assert_eq!(results["summary"]["not_tested"], 0);
    assert_state_leaks_between_clients(&results);
    // A transaction keeps its server connection: the isolation table is PostgreSQL's.
    assert_eq!(isolation_cells(&results, |r, c| r != c), Vec::<String>::new());
    assert_eq!(results["candidate"]["strategy"], "fresh_database");
    assert_eq!(results["candidate"]["connections"], "many");
}

/// PGlite, as its socket server starts by default, takes one client at a time and ignores the
/// database named at connect: the suite still completes, on one session reset between
/// workloads, and finds real differences. A workload's second session is a second client, and
/// is turned away, as a second client of a PGlite server is.
#[test]
fn pglite_suite_completes_on_one_session() {
    // Reduction works here too (one trial at a time on the one session), within a minute.
    let (code, results) =
        run_candidate("exec:candidates/pglite.sh {port}", &["--timeout", "10", "--reduce-total-seconds", "60"]);
    let candidate = &results["candidate"];
    // COPY FROM STDIN with data drops PGlite's connection (its socket server does not take
    // CopyData): a target failure, so exit 3 — and the only connection it loses.
    assert_eq!(code, 3, "{candidate}");
    let events: Vec<&str> = candidate["events"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect();
    assert!(
        events[0].starts_with("pgparity_copy_copy_stdin: connection lost at workloads/copy/copy_stdin.sql:5:1"),
        "{events:?}"
    );
    assert!(events.iter().filter(|e| e.contains("connection lost")).all(|e| e.contains("copy")), "{events:?}");
    assert_eq!(
        workload_result(&results, "copy/copy_stdin")["statements"][1]["kinds"],
        serde_json::json!(["connection_lost"])
    );
    assert!(candidate["version"].as_str().unwrap().starts_with("18."), "{candidate}");
    assert_eq!(candidate["connections"], "one");
    assert_eq!(candidate["strategy"], "reset_session");
    assert_eq!(results["workloads"].as_array().unwrap().len(), suite_size(), "every workload has a result");
    assert_eq!(results["summary"]["not_tested"], 0);
    assert_eq!(
        workload_result(&results, "syntax/version_syntax")["statements"][0]["kinds"],
        serde_json::json!(["error_vs_success"])
    );
    assert_eq!(workload_result(&results, "constraints/check_violation")["status"], "works_with_rewrite");
    // A second client is refused: every step of b is, and a's steps still run.
    let state = workload_result(&results, "sessions/state_per_client");
    for step in state["statements"].as_array().unwrap() {
        let refused = step["session"] == "b";
        assert_eq!(step["verdict"] == "mismatch", refused, "{step}");
        if refused {
            assert_eq!(step["kinds"], serde_json::json!(["connection_refused"]), "{step}");
            let why = step["outcomes"]["candidate"]["fault"]["detail"].as_str().unwrap();
            assert!(why.starts_with("a second client of this one-connection target"), "{why}");
        }
    }
    // So no anomaly is decided there: every cell is inconclusive, for that reason, and no
    // workload hangs.
    let decided = isolation_cells(&results, |_, c| {
        !(c["cell"] == "inconclusive" && c["why"].as_str().unwrap().contains("a second client"))
    });
    assert_eq!(decided, Vec::<String>::new());
    // What b would have sent never reaches a: its notifications are a's own only.
    let notify = workload_result(&results, "sessions/listen_notify");
    assert_eq!(notify["statements"][3]["kinds"], serde_json::json!(["notifications"]), "{notify}");
    // …but state must not leak from one workload to the next through it.
    assert_eq!(workload_result(&results, "catalog/settings")["status"], "works");
    assert_eq!(workload_result(&results, "catalog/pg_catalog")["status"], "works");
}

/// PGlite's socket server started to take several clients (`--max-connections`): they share
/// its one session, so state leaks from one to the other, and a client's statement waits while
/// another's transaction is open — the reference's does not. Every client connects before the
/// first step (as isolationtester's do), so no client is kept out by an open transaction.
#[test]
fn pglite_clients_share_one_session_and_wait_for_each_others_transactions() {
    let dir = scratch();
    let out = pgparity(&[
        "run",
        "--candidate",
        "exec:candidates/pglite.sh {port} 4",
        "--timeout",
        "10",
        "--no-reduce",
        "--out",
        dir.path().to_str().unwrap(),
        repo_root().join("workloads/sessions").to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let results = results(dir.path());
    assert_eq!(results["candidate"]["connections"], "many");
    assert_state_leaks_between_clients(&results);
    // b's NOTIFY, sent while a's transaction is open, waits on PGlite until a commits.
    let notify = workload_result(&results, "sessions/listen_notify");
    let step = &notify["statements"][5];
    assert_eq!(step["session"], "b");
    assert!(step["kinds"].as_array().unwrap().contains(&serde_json::json!("blocking")), "{step}");
    assert_eq!(step["outcomes"]["candidate"]["wait"]["until"], "released", "{step}");
    for w in results["workloads"].as_array().unwrap() {
        for s in w["statements"].as_array().unwrap() {
            assert_ne!(s["outcomes"]["candidate"]["fault"]["kind"], "refused", "{}: {s}", w["id"]);
        }
    }
}

/// COPY FROM STDIN breaks PGlite's connection and wedges it: recorded as a fault, and after a
/// restart the next workload runs.
#[test]
fn pglite_wedged_by_copy_is_restarted_and_the_next_workload_runs() {
    let dir = scratch();
    let root = workload(
        dir.path(),
        "copy/a_copy_in.yaml",
        "feature: COPY FROM STDIN\narea: COPY\nsetup: |\n  CREATE TABLE t (a int);\nsteps:\n  - sql: COPY t FROM STDIN\n  - sql: SELECT count(*) FROM t\n",
    );
    workload(
        dir.path(),
        "copy/b_next.sql",
        "CREATE TABLE u (a int);\nINSERT INTO u VALUES (1), (2);\nSELECT a FROM u;\n",
    );
    let out_dir = dir.path().join("out");
    let out = pgparity(&[
        "run",
        "--timeout",
        "3",
        "--no-reduce",
        "--candidate",
        "exec:candidates/pglite.sh {port}",
        "--out",
        out_dir.to_str().unwrap(),
        root.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 3, "a wedged candidate is a target failure");
    let results = results(&out_dir);
    let copy = workload_result(&results, "copy/a_copy_in");
    let copy_step = &copy["statements"][1];
    let fault = copy_step["outcomes"]["candidate"]["fault"]["kind"].as_str().unwrap();
    assert!(["connection_lost", "timeout"].contains(&fault), "{copy_step}");
    assert_eq!(workload_result(&results, "copy/b_next")["status"], "works");
    let events = results["candidate"]["events"].as_array().unwrap();
    assert!(events.iter().any(|e| e.as_str().unwrap().contains("restarted")), "{events:?}");
}

/// DuckDB behind buenavista: errors without SQLSTATE, statements without command tags and
/// dropped connections are their own kinds; CREATE DATABASE is a syntax error there, so each
/// workload gets a fresh schema; no workload's result is lost.
#[test]
fn duckdb_suite_completes_with_its_own_mismatch_kinds() {
    // Hundreds of distinct mismatches: reduction is tested elsewhere, on PostgreSQL 18.
    let (code, results) = run_candidate("exec:candidates/duckdb.sh {port}", &["--timeout", "10", "--no-reduce"]);
    assert_eq!(code, 3, "dropped connections are a target failure");
    let candidate = &results["candidate"];
    assert_eq!(candidate["strategy"], "fresh_schema");
    assert!(candidate["strategy_reason"].as_str().unwrap().contains("CREATE DATABASE failed"), "{candidate}");
    let suite = suite_size();
    assert_eq!(results["workloads"].as_array().unwrap().len(), suite, "every workload has a result");
    let seen = kinds(&results);
    for kind in ["no_sqlstate", "no_command_tag", "connection_lost", "error_vs_success"] {
        assert!(seen.contains(kind), "{kind} not among {seen:?}");
    }
}
