//! Multi-session schedules with blocking detection, on real servers: PostgreSQL 15 against
//! itself, run after run.

mod common;

use common::*;

/// Every multi-session workload shipped (sessions/ and the isolation suite), PostgreSQL 15
/// against PostgreSQL 15, five runs in a row: zero mismatches each time (blocking detection must
/// not be flaky on a loaded machine), and expected/ byte-identical every time, waits included.
#[test]
fn multi_session_workloads_match_five_runs_in_a_row() {
    let dir = scratch();
    let folders = [repo_root().join("workloads/sessions"), repo_root().join("workloads/isolation")];
    let mut recorded = Vec::new();
    let mut last = None;
    for run in 1..=5 {
        let out_dir = dir.path().join(format!("run{run}"));
        let mut args = vec!["run", "--out", out_dir.to_str().unwrap()];
        args.extend(folders.iter().map(|f| f.to_str().unwrap()));
        let out = pgparity(&args);
        assert_eq!(code(&out), 0, "run {run}: {}", String::from_utf8_lossy(&out.stdout));
        let results = results(&out_dir);
        assert_eq!(results["summary"]["blocked"], 0, "run {run}");
        assert!(results["summary"]["works"].as_u64().unwrap() >= 34, "run {run}");
        recorded.push(tree(&out_dir.join("expected")));
        last = Some(out_dir);
    }
    assert!(recorded.windows(2).all(|w| w[0] == w[1]), "expected/ is byte-identical across runs");
    let expected =
        |id: &str| std::fs::read_to_string(last.as_ref().unwrap().join(format!("expected/{id}.json"))).unwrap();
    let (row_lock, deadlock) = (expected("sessions/row_lock_wait"), expected("sessions/deadlock"));
    // b's UPDATE waited and was released by a's COMMIT (step 6).
    assert!(row_lock.contains(r#""wait": {"until": "released", "by": 6}"#), "{row_lock}");
    // Exactly one session got 40P01: a's UPDATE (step 7), which ended its wait on its own;
    // b's UPDATE was released by it.
    assert_eq!(deadlock.matches("40P01").count(), 1, "{deadlock}");
    assert!(deadlock.contains(r#""wait": {"until": "finished"}"#), "{deadlock}");
    assert!(deadlock.contains(r#""wait": {"until": "released", "by": 7}"#), "{deadlock}");
    assert!(deadlock.contains("Process N waits for ShareLock on transaction N"), "PIDs masked: {deadlock}");
    // Each notification is recorded on the session that receives it, with the statement it
    // arrives with: a's own at once, b's with a's next statement, one sent during a's
    // transaction at a's COMMIT, a payload sent twice in one transaction once, none after
    // UNLISTEN.
    let notify: serde_json::Value = serde_json::from_str(&expected("sessions/listen_notify")).unwrap();
    let received: Vec<(usize, String)> = notify["steps"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .flat_map(|(i, step)| {
            let notes = step["notifications"].as_array().cloned().unwrap_or_default();
            notes.into_iter().map(move |n| {
                assert_eq!(n["channel"], "jobs");
                (i + 1, n["payload"].as_str().unwrap().to_string())
            })
        })
        .collect();
    let want = [(2, "to myself"), (4, "from b"), (8, "while a is in a transaction"), (14, "twice")];
    assert_eq!(received, want.map(|(i, p)| (i, p.to_string())));
}

/// The anomaly × level table of PostgreSQL 15 is Hermitage's row for PostgreSQL: READ COMMITTED
/// prevents G0, G1a, G1b, G1c and OTV; REPEATABLE READ also PMP, P4 and G-single (G2-item and
/// G2 stay possible: snapshot isolation allows write skew); SERIALIZABLE prevents all.
#[test]
fn postgres_anomaly_table_is_hermitages() {
    let dir = scratch();
    let suite = repo_root().join("workloads/isolation");
    let out = pgparity(&["run", "--out", dir.path().to_str().unwrap(), suite.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("isolation anomalies: 30 cells, 0 differ"), "{stdout}");
    let results = results(dir.path());
    let mut table = std::collections::BTreeMap::new();
    for w in results["workloads"].as_array().unwrap() {
        let iso = &w["isolation"];
        let (r, c) = (&iso["cells"]["reference"], &iso["cells"]["candidate"]);
        assert_eq!(r, c, "{}", w["id"]);
        table.insert(
            (iso["anomaly"].as_str().unwrap().to_string(), iso["level"].as_str().unwrap().to_string()),
            r["cell"].clone(),
        );
    }
    assert_eq!(table.len(), 30);
    let possible = |anomaly: &str, level: &str| {
        let cell = &table[&(anomaly.to_string(), level.to_string())];
        assert!(cell == "possible" || cell == "prevented", "{anomaly} at {level}: {cell}");
        cell == "possible"
    };
    for a in ["G0", "G1a", "G1b", "G1c", "OTV", "PMP", "P4", "G-single", "G2-item", "G2"] {
        let rc = !["G0", "G1a", "G1b", "G1c", "OTV"].contains(&a);
        assert_eq!(possible(a, "read committed"), rc, "{a} at read committed");
        assert_eq!(possible(a, "repeatable read"), ["G2-item", "G2"].contains(&a), "{a} at repeatable read");
        assert!(!possible(a, "serializable"), "{a} at serializable");
    }
    // How: G0 by a row lock; P4 at REPEATABLE READ by a lock, then 40001; write skew at
    // SERIALIZABLE by 40001 at COMMIT.
    let cell = |id: &str| workload_result(&results, id)["isolation"]["cells"]["reference"].clone();
    assert_eq!(cell("isolation/g0-read-committed"), serde_json::json!({"cell": "prevented", "blocked": true}));
    assert_eq!(
        cell("isolation/p4-repeatable-read"),
        serde_json::json!({"cell": "prevented", "blocked": true, "aborted": ["40001"]})
    );
    assert_eq!(
        cell("isolation/g2-item-serializable"),
        serde_json::json!({"cell": "prevented", "blocked": false, "aborted": ["40001"]})
    );
    let scorecard = std::fs::read_to_string(dir.path().join("scorecard.md")).unwrap();
    assert!(scorecard.contains("| G2-item | possible | possible | prevented (aborted 40001) |"), "{scorecard}");
    assert!(scorecard.contains("None: the candidate's table is the reference's."), "{scorecard}");
}

/// A candidate whose lock waits fail at once (lock_timeout = 100ms): the waits show up as
/// `blocking` mismatches, the anomaly table names the other way each anomaly was prevented, and
/// a blocking mismatch among unrelated steps of three sessions reduces to a 1-minimal schedule
/// that keeps the step which released the wait after it.
#[test]
fn a_candidate_that_does_not_wait_is_told_apart_and_reduced_across_sessions() {
    let dir = scratch();
    let nowait = "exec:candidates/pg-nowait.sh {port} {datadir}";
    let suite = repo_root().join("workloads/isolation");
    let (g0, p4) = (suite.join("g0-read-committed.yaml"), suite.join("p4-repeatable-read.yaml"));
    // A workload that declares the no-wait outcome acceptable: it works, through the alternative.
    let declared = "feature: Second writer\narea: Sessions\nsessions: [a, b]\nsetup: |\n  CREATE TABLE t (id int PRIMARY KEY, v int);\n  INSERT INTO t VALUES (1, 0);\nsteps:\n  - session: a\n    sql: BEGIN\n  - session: a\n    sql: UPDATE t SET v = 1 WHERE id = 1\n  - session: b\n    sql: UPDATE t SET v = 2 WHERE id = 1\n  - session: a\n    sql: COMMIT\n  - session: a\n    sql: SELECT v FROM t\nalternatives:\n  - why: the second writer waits, then fails\n    steps:\n      3: {error: 40001, wait: waits}\n  - why: the second writer fails at once (no-wait locking)\n    steps:\n      3: {error: 55P03, wait: none}\n      5: {rows: [[1]]}\n";
    let declared = workload(dir.path(), "declared/second_writer.yaml", declared);
    let out_dir = dir.path().join("iso");
    let files = [g0.to_str().unwrap(), p4.to_str().unwrap(), declared.to_str().unwrap()];
    let out = run_against(nowait, &out_dir, &[&["--no-reduce"][..], &files].concat());
    assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stdout));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("isolation anomalies: 2 cells, 2 differ"), "{stdout}");
    assert!(
        stdout.contains("G0 at read committed: reference prevented (blocked), candidate prevented (aborted 55P03)"),
        "{stdout}"
    );
    let iso = results(&out_dir);
    let g0 = workload_result(&iso, "isolation/g0-read-committed");
    let waited =
        &g0["statements"].as_array().unwrap().iter().find(|s| s["index"] == 4 && s["phase"] == "step").unwrap();
    assert_eq!(waited["kinds"], serde_json::json!(["error_vs_success", "transaction_status", "blocking"]), "{waited}");
    assert_eq!(waited["outcomes"]["candidate"]["error"]["code"], "55P03");
    let second = workload_result(&iso, "declared/second_writer");
    assert_eq!(second["status"], "works", "{second}");
    assert_eq!(second["reason"], "declared alternative: the second writer fails at once (no-wait locking)");
    let accepted: Vec<_> =
        second["statements"].as_array().unwrap().iter().filter(|s| s["verdict"] == "match_after").collect();
    assert_eq!(accepted.len(), 2, "steps 3 and 5: {second}");
    assert!(accepted.iter().all(|s| s["normalisers"].as_array().unwrap().contains(&serde_json::json!("outcome_set"))));

    let text = "feature: A row lock wait among unrelated steps\narea: Sessions\nsessions: [a, b, c]\nsetup: |\n  CREATE TABLE t (id int PRIMARY KEY, v int);\n  CREATE TABLE other (x int);\n  INSERT INTO t VALUES (1, 0), (2, 0);\n  INSERT INTO other VALUES (1), (2), (3);\nsteps:\n  - session: a\n    sql: BEGIN\n  - session: c\n    sql: SELECT count(*) FROM other\n  - session: a\n    sql: UPDATE t SET v = 1 WHERE id = 1\n  - session: c\n    sql: UPDATE other SET x = x + 1\n  - session: b\n    sql: UPDATE t SET v = 2 WHERE id = 1\n  - session: c\n    sql: SELECT sum(x) FROM other\n  - session: a\n    sql: SELECT v FROM t WHERE id = 2\n  - session: a\n    sql: COMMIT\n  - session: c\n    sql: DELETE FROM other WHERE x = 2\n";
    let root = workload(dir.path(), "locks/noisy_wait.yaml", text);
    let out_dir = dir.path().join("reduce");
    let out = run_against(nowait, &out_dir, &[root.to_str().unwrap()]);
    assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stdout));
    let repros: Vec<_> = std::fs::read_dir(out_dir.join("repros"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    assert_eq!(repros.len(), 1, "{repros:?}");
    let repro = std::fs::read_to_string(&repros[0]).unwrap();
    assert!(repro.contains("(1-minimal)") && !repro.contains("not reducible"), "{repro}");
    assert!(repro.contains("reference UPDATE (waited, released), candidate error 55P03"), "{repro}");
    let steps: Vec<&str> = repro.lines().filter(|l| l.starts_with("  - session: ")).collect();
    assert_eq!(
        steps,
        ["  - session: a", "  - session: a", "  - session: a", "  - session: a", "  - session: b", "  - session: a"],
        "{repro}"
    );
    assert!(repro.contains("the mismatch is at statement 5 of 6"), "{repro}");
    assert!(repro.trim_end().ends_with("COMMIT"), "the releasing COMMIT stays after the wait: {repro}");
    assert!(!repro.contains("other"), "session c's steps and table are gone: {repro}");
    // Replayed from the file, against the same candidate, it shows the same mismatch.
    let replay = dir.path().join("replay");
    let out = run_against(nowait, &replay, &["--no-reduce", repros[0].to_str().unwrap()]);
    assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stdout));
    let replayed = results(&replay);
    let kinds: Vec<_> = replayed["workloads"][0]["statements"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["verdict"] == "mismatch")
        .map(|s| s["kinds"].clone())
        .collect();
    assert_eq!(kinds, [serde_json::json!(["error_vs_success", "blocking"])], "b's UPDATE runs outside a transaction");
}

/// A step still waiting when the steps run out is cancelled (57014), recorded as such on both
/// sides, and the run goes on without waiting for the statement timeout.
#[test]
fn a_step_still_waiting_at_the_end_is_cancelled_and_the_run_goes_on() {
    let dir = scratch();
    let text = "feature: Left waiting\narea: Sessions\nsessions: [a, b]\nsetup: |\n  CREATE TABLE t (id int PRIMARY KEY);\n  INSERT INTO t VALUES (1);\nsteps:\n  - session: a\n    sql: BEGIN\n  - session: a\n    sql: SELECT * FROM t FOR UPDATE\n  - session: b\n    sql: SELECT * FROM t FOR UPDATE\n";
    let root = workload(dir.path(), "wait/left.yaml", text);
    workload(dir.path(), "wait/later.sql", "SELECT 1;\n");
    let out_dir = dir.path().join("out");
    let started = std::time::Instant::now();
    let out = pgparity(&["run", "--out", out_dir.to_str().unwrap(), root.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
    assert!(started.elapsed().as_secs() < 20, "no waiting for the statement timeout");
    let expected = std::fs::read_to_string(out_dir.join("expected/wait/left.json")).unwrap();
    assert!(expected.contains(r#""wait": {"until": "cancelled"}"#) && expected.contains("57014"), "{expected}");
    assert_eq!(results(&out_dir)["summary"]["works"], 2, "the next workload ran");
}

/// An isolation spec (isolationtester's format) is read as it is: a workload per permutation,
/// every interleaving when none is listed, the main setup on a control session, each session's
/// setup first; blocking is the harness's own detection (a marker changes nothing). 15 against
/// 15 is clean, and the UPDATE that waits for the other session's lock is released by its
/// COMMIT.
#[test]
fn an_isolation_spec_runs_one_workload_per_permutation() {
    let dir = scratch();
    let root = workload(
        dir.path(),
        "specs/row-lock.spec",
        "# two sessions update one row\nsetup\n{\n  CREATE TABLE t (id int PRIMARY KEY, v int);\n  INSERT INTO t VALUES (1, 0);\n}\n\
         teardown { DROP TABLE t; }\n\nsession a\nsetup { BEGIN; }\nstep a_upd { UPDATE t SET v = 1 WHERE id = 1; }\n\
         step a_commit { COMMIT; }\n\nsession b\nstep b_upd { UPDATE t SET v = 2 WHERE id = 1; }\nstep b_read { SELECT v FROM t; }\n\n\
         permutation a_upd b_upd a_commit b_read\npermutation a_upd(*) a_commit b_upd b_read\n",
    );
    workload(
        dir.path(),
        "specs/all.spec",
        "setup { CREATE TABLE c (n int); }\nsession x\nstep x1 { INSERT INTO c VALUES (1); }\nstep x2 { SELECT count(*) FROM c; }\n\
         session y\nstep y1 { INSERT INTO c VALUES (2); }\n",
    );
    let (code, _, _, out) = with_results("record", &[root.to_str().unwrap()]);
    assert_eq!(code, 0);
    let saved = |id: &str| std::fs::read_to_string(out.path().join("expected").join(format!("{id}.json"))).unwrap();
    let all: Vec<String> = (1..=3).map(|k| saved(&format!("specs/all/{k}"))).collect();
    assert!(all[0].contains("INSERT INTO c VALUES (2)") && !out.path().join("expected/specs/all/4.json").exists());
    // Steps: a's BEGIN (1), a_upd (2), b_upd (3), a_commit (4), b_read (5), DROP (6).
    let first = saved("specs/row-lock/1");
    assert!(first.contains(r#""wait": {"until": "released", "by": 4}"#), "{first}");
    assert!(!saved("specs/row-lock/2").contains(r#""wait""#), "nothing waits in the second permutation");
    let (code, results, _, _out) = with_results("run", &[root.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(with_status(&results, "works").len(), 5, "{results:#}");
}
