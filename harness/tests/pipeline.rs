//! The whole pipeline on real servers: ephemeral PostgreSQL 15 clusters, PostgreSQL 18 from its
//! npm package, hangs, crashes and unreachable targets.

mod common;

use common::*;

/// PostgreSQL against itself over the shipped suite: zero mismatches, and two runs give
/// byte-identical scorecard.md and expected/.
#[test]
fn postgres_15_against_itself_is_clean_and_reproducible() {
    let a = scratch();
    let b = scratch();
    for dir in [&a, &b] {
        let out = pgparity(&["run", "--out", dir.path().to_str().unwrap()]);
        assert_eq!(code(&out), 0, "PG15 vs PG15 must have zero mismatches");
    }
    let results = results(a.path());
    let summary = &results["summary"];
    assert_eq!(summary["blocked"], 0);
    assert_eq!(summary["not_tested"], 0);
    assert!(summary["works"].as_u64().unwrap() >= 30, "the starter suite has at least 30 workloads");
    assert_eq!(summary["statements_matched"], summary["statements_total"]);
    let scorecard_a = std::fs::read(a.path().join("scorecard.md")).unwrap();
    let scorecard_b = std::fs::read(b.path().join("scorecard.md")).unwrap();
    assert_eq!(scorecard_a, scorecard_b, "scorecard.md differs between two runs");
    let (ta, tb) = (tree(&a.path().join("expected")), tree(&b.path().join("expected")));
    assert_eq!(ta.len(), summary["works"].as_u64().unwrap() as usize);
    assert!(ta == tb, "expected/ differs between two runs");
}

/// The committed expected/ is what PostgreSQL 15 produces now: `check` against a fresh local
/// cluster matches it, without a reference server.
#[test]
fn check_against_committed_expected_matches() {
    let out_dir = scratch();
    let expected = repo_root().join("expected");
    let out = pgparity(&["check", "--expected", expected.to_str().unwrap(), "--out", out_dir.path().to_str().unwrap()]);
    assert_eq!(code(&out), 0);
    assert_eq!(results(out_dir.path())["summary"]["blocked"], 0);
}

/// Record, then check; a workload edited after recording is refused as stale (exit 2).
#[test]
fn record_then_check_and_stale_expected() {
    let dir = scratch();
    let w = workload(dir.path(), "t/one.yaml", "feature: One\narea: T\nsteps:\n  - sql: SELECT 1 AS one\n");
    let out_arg = dir.path().to_str().unwrap();
    let out = pgparity(&["record", "--out", out_arg, w.to_str().unwrap()]);
    assert_eq!(code(&out), 0);
    let saved = std::fs::read_to_string(dir.path().join("expected/t/one.json")).unwrap();
    assert!(saved.contains("\"tag\": \"SELECT 1\""), "{saved}");
    let junit = dir.path().join("junit.xml");
    let out = pgparity(&["check", "--out", out_arg, "--junit", junit.to_str().unwrap(), w.to_str().unwrap()]);
    assert_eq!(code(&out), 0);
    assert_eq!(workload_result(&results(dir.path()), "t/one")["status"], "works");
    assert_eq!(junit_matches_results(&junit, dir.path()), (1, 0, 0));
    // A saved outcome that differs from the candidate's: one failing test case.
    let edited = saved.replace("\"1\"", "\"2\"");
    assert_ne!(edited, saved);
    std::fs::write(dir.path().join("expected/t/one.json"), &edited).unwrap();
    let out = pgparity(&["check", "--out", out_arg, "--junit", junit.to_str().unwrap(), w.to_str().unwrap()]);
    assert_eq!(code(&out), 1);
    assert_eq!(junit_matches_results(&junit, dir.path()), (1, 1, 0));
    std::fs::write(dir.path().join("expected/t/one.json"), &saved).unwrap();
    workload(dir.path(), "t/one.yaml", "feature: One\narea: T\nsteps:\n  - sql: SELECT 2 AS one\n");
    let out = pgparity(&["check", "--out", out_arg, w.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("is stale: step 1 changed"), "{}", stderr(&out));
}

/// Against PostgreSQL 18 the suite finds real version differences and classifies them.
#[test]
fn postgres_18_differences_are_found_and_classified() {
    let bindir = pg18_bindir();
    let dir = scratch();
    let candidate = format!("local:{bindir}");
    let out = pgparity(&[
        "run",
        "--candidate",
        &candidate,
        "--out",
        dir.path().to_str().unwrap(),
        "--junit",
        dir.path().join("junit.xml").to_str().unwrap(),
        "workloads/syntax",
        "workloads/constraints",
        "workloads/dml",
        "workloads/catalog/settings.sql",
    ]);
    assert_eq!(code(&out), 1, "mismatches exit with 1");
    let (tests, failures, _) = junit_matches_results(&dir.path().join("junit.xml"), dir.path());
    assert!(tests > 50 && failures > 0, "{tests} tests, {failures} failures");
    let results = results(dir.path());
    assert!(results["candidate"]["version"].as_str().unwrap().starts_with("18"));
    let syntax = workload_result(&results, "syntax/version_syntax");
    assert_eq!(syntax["status"], "blocked");
    let first = &syntax["statements"][0];
    assert_eq!(first["sql"], "SELECT 0x1F");
    assert_eq!(first["verdict"], "mismatch");
    assert_eq!(first["kinds"], serde_json::json!(["error_vs_success"]));
    assert_eq!(first["outcomes"]["reference"]["error"]["code"], "42601");
    assert_eq!(first["outcomes"]["candidate"]["rows"], serde_json::json!([["31"]]));
    // The plain decimal literals are the same on both.
    assert_eq!(syntax["statements"][3]["verdict"], "match");
    // PostgreSQL 18 reports search_path to drivers (ParameterStatus) when it changes; 15 does
    // not. application_name, reported by both, matches.
    let settings = workload_result(&results, "catalog/settings");
    let statement = |sql: &str| {
        settings["statements"].as_array().unwrap().iter().find(|s| s["sql"] == sql).unwrap_or_else(|| panic!("{sql}"))
    };
    let set = statement("SET search_path TO public");
    assert_eq!(set["kinds"], serde_json::json!(["parameter_status"]), "{set}");
    assert_eq!(
        set["outcomes"]["candidate"]["parameters"],
        serde_json::json!([{"name": "search_path", "value": "public"}])
    );
    assert!(set["outcomes"]["reference"].get("parameters").is_none(), "{set}");
    assert_eq!(statement("SELECT set_config('application_name', 'probe', false)")["verdict"], "match");
    // PostgreSQL 18 records NOT NULL constraints in pg_constraint; the workload's rewrite
    // filters them out and gives the original's answer on both sides.
    let checks = workload_result(&results, "constraints/check_violation");
    assert_eq!(checks["status"], "works_with_rewrite");
    assert!(checks["rewrite"].as_array().unwrap().iter().all(|s| s["verdict"] != "mismatch"));
    let catalog_step = checks["statements"].as_array().unwrap().iter().find(|s| s["verdict"] == "mismatch").unwrap();
    assert!(catalog_step["sql"].as_str().unwrap().contains("pg_constraint"));
    assert!(catalog_step["kinds"].as_array().unwrap().contains(&serde_json::json!("rows")));
    // Same behaviour across versions stays a match.
    assert_eq!(workload_result(&results, "dml/returning")["status"], "works");
    assert_eq!(workload_result(&results, "constraints/unique_violation")["status"], "works");
}

/// A hanging statement is cancelled after the timeout, recorded, and the steps after it run.
#[test]
fn a_hanging_statement_is_cancelled_and_the_run_goes_on() {
    let dir = scratch();
    let w = workload(
        dir.path(),
        "hang/sleep.yaml",
        "feature: Sleep\narea: Hang\nsteps:\n  - sql: SELECT pg_sleep(600)\n  - sql: SELECT 'after' AS next\n",
    );
    workload(dir.path(), "hang/z_next.sql", "SELECT 2 AS two;\n");
    let out = pgparity(&["run", "--timeout", "1", "--out", dir.path().to_str().unwrap(), w.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "a timeout on both sides is the same outcome");
    let saved = std::fs::read_to_string(dir.path().join("expected/hang/sleep.json")).unwrap();
    let saved: serde_json::Value = serde_json::from_str(&saved).unwrap();
    assert_eq!(saved["steps"][0]["fault"]["kind"], "timeout");
    assert_eq!(saved["steps"][0]["status"], "idle", "the cancelled session stays usable");
    assert_eq!(saved["steps"][1]["rows"], serde_json::json!([["after"]]));
    let results = results(dir.path());
    assert_eq!(workload_result(&results, "hang/z_next")["status"], "works");
}

/// A server killed mid-workload is recorded as a crash, restarted, and the next workload runs.
#[test]
fn a_crashed_server_is_recorded_and_the_next_workload_runs() {
    let dir = scratch();
    // COPY TO PROGRAM runs in the data directory: stop the postmaster in immediate mode.
    let w = workload(
        dir.path(),
        "crash/a_kill.yaml",
        "feature: Kill\narea: Crash\nsteps:\n  - sql: SELECT 1\n  - sql: COPY (SELECT 1) TO PROGRAM 'kill -QUIT $(head -1 postmaster.pid); sleep 10'\n  - sql: SELECT 'never'\n",
    );
    workload(dir.path(), "crash/b_next.sql", "CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);\nSELECT a FROM t;\n");
    let out = pgparity(&["run", "--out", dir.path().to_str().unwrap(), w.to_str().unwrap()]);
    assert_eq!(code(&out), 3, "a crashed target exits with 3");
    let results = results(dir.path());
    let killed = workload_result(&results, "crash/a_kill");
    assert_eq!(killed["statements"][0]["verdict"], "match");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("expected/crash/a_kill.json")).unwrap()).unwrap();
    assert_eq!(saved["steps"][1]["fault"]["kind"], "server_crashed", "{}\n{}", saved["steps"][1], results["reference"]);
    assert_eq!(saved["steps"][2]["fault"]["kind"], "not_run");
    assert_eq!(workload_result(&results, "crash/b_next")["status"], "works", "the next workload ran after a restart");
    let events = results["candidate"]["events"].as_array().unwrap();
    assert!(events.iter().any(|e| e.as_str().unwrap().contains("restarted")), "{events:?}");
}

/// An unreachable candidate is a target failure (exit 3), with no password in the output.
#[test]
fn an_unreachable_candidate_exits_3_without_leaking_the_password() {
    let dir = scratch();
    let w = workload(dir.path(), "u/one.sql", "SELECT 1;\n");
    let out = pgparity(&[
        "run",
        "--candidate",
        "postgres://someone:s3cret@127.0.0.1:1/db",
        "--out",
        dir.path().to_str().unwrap(),
        w.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 3);
    let err = stderr(&out);
    assert!(err.contains("postgres://someone:***@127.0.0.1:1/db"), "{err}");
    assert!(!err.contains("s3cret") && !String::from_utf8_lossy(&out.stdout).contains("s3cret"));
}

/// A malformed target is a usage error (exit 2) found before anything starts — it was exit 3
/// after the other side's cluster had started — and its message never carries the password.
#[test]
fn a_malformed_target_exits_2_before_any_server_starts() {
    let dir = scratch();
    let w = workload(dir.path(), "u/one.sql", "SELECT 1;\n");
    let out = pgparity(&["run", "--candidate", "postgres://someone:s3cret@127.0.0.1:notaport/db", w.to_str().unwrap()]);
    // Nothing ran: a started target prints its version first.
    assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("postgres://someone:***@127.0.0.1:notaport/db") && err.contains("port"), "{err}");
    assert!(!err.contains("s3cret") && !String::from_utf8_lossy(&out.stdout).contains("s3cret"), "{err}");
    let out = pgparity(&["check", "--candidate", "docker:postgres?port=x", w.to_str().unwrap()]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("`x` is not a port"), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
}

/// A duration too large for any clock (`1e30` panicked with exit 101) is a usage error.
#[test]
fn absurd_durations_are_usage_errors_not_panics() {
    for flag in ["--timeout", "--wait-bound", "--reduce-seconds", "--reduce-total-seconds"] {
        let out = pgparity(&["run", flag, "1e30", "workloads/dml"]);
        assert_eq!(code(&out), 2, "{flag}: {}", stderr(&out));
        assert!(stderr(&out).contains("at most"), "{flag}: {}", stderr(&out));
        assert!(out.stdout.is_empty());
    }
}

/// Bad workloads are refused before any connection, with file:line:column and exit code 2.
#[test]
fn bad_workloads_exit_2_with_locations_before_connecting() {
    let dir = scratch();
    let root =
        workload(dir.path(), "bad/typo.yaml", "feature: F\narea: A\nsteps:\n  - sql: SELECT 1\n    ordre: strict\n");
    workload(dir.path(), "bad/open.sql", "SELECT 1;\nSELECT 'unterminated;\n");
    // An unreachable candidate proves nothing was connected: the exit code would be 3.
    let out = pgparity(&["run", "--candidate", "postgres://127.0.0.1:1/x", root.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("typo.yaml:5:5: steps[0]: unknown field `ordre`"), "{err}");
    assert!(err.contains("did you mean `order`?"), "{err}");
    assert!(err.contains("open.sql:2:8: unterminated quoted string"), "{err}");
}

/// Results too large to hold are summarised as they stream (count, digests, a sample) and
/// compared by digest; when they differ the differing rows are found in the spills; expected/
/// keeps the summary, so `check` works without a reference; a server that floods rows is a
/// timeout, never an abort.
#[test]
fn large_results_are_compared_by_digest_and_a_flood_is_a_timeout() {
    let dir = scratch();
    let same = "SELECT g, repeat('x', 100) FROM generate_series(1, 50000) g;\n\
                SELECT g, md5(g::text) FROM generate_series(1, 30000) g ORDER BY g;\n";
    let root = workload(dir.path(), "big/same.sql", same);
    let only_same = workload(&dir.path().join("again"), "big/same.sql", same);
    workload(
        dir.path(),
        "big/differs.sql",
        "SELECT g, CASE WHEN g = 30000 THEN current_setting('port') ELSE 'x' END FROM generate_series(1, 50000) g ORDER BY g;\n",
    );
    workload(dir.path(), "big/flood.sql", "SELECT g FROM generate_series(1, 2000000000) g;\nSELECT 1;\n");
    let out = dir.path().join("out");
    let run =
        pgparity(&["run", "--no-reduce", "--timeout", "3", "--out", out.to_str().unwrap(), root.to_str().unwrap()]);
    assert_eq!(code(&run), 1, "differs.sql is Blocked");
    let results = results(&out);
    let same = workload_result(&results, "big/same");
    assert_eq!(same["status"], "works", "{same}");
    // expected/ holds the summary and the sample; check compares by digest without a reference.
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("expected/big/same.json")).unwrap()).unwrap();
    let first = &saved["steps"][0];
    assert_eq!((first["large"]["rows"].as_u64(), first["rows"].as_array().map(Vec::len)), (Some(50000), Some(100)));
    assert!(first["large"]["multiset"].is_string() && saved.to_string().len() < 100_000);
    let differs = workload_result(&results, "big/differs");
    let statement = &differs["statements"][0];
    assert_eq!(statement["kinds"], serde_json::json!(["rows"]), "{statement}");
    for side in ["reference", "candidate"] {
        let only = &statement["outcomes"][side]["large"]["only_here"];
        assert_eq!(only.as_array().map(Vec::len), Some(1), "{side}: {only}");
        assert_eq!(only[0][0], "30000");
    }
    assert_ne!(
        statement["outcomes"]["reference"]["large"]["only_here"][0][1],
        statement["outcomes"]["candidate"]["large"]["only_here"][0][1]
    );
    // The flood: cancelled after the timeout on both sides, and the next statement still runs.
    assert_eq!(workload_result(&results, "big/flood")["status"], "works");
    let flood: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("expected/big/flood.json")).unwrap()).unwrap();
    assert_eq!(flood["steps"][0]["fault"]["kind"], "timeout", "{flood}");
    assert_eq!(flood["steps"][1]["tag"], "SELECT 1", "{flood}");
    let check_out = dir.path().join("check");
    let check = pgparity(&[
        "check",
        "--expected",
        out.join("expected").to_str().unwrap(),
        "--out",
        check_out.to_str().unwrap(),
        only_same.to_str().unwrap(),
    ]);
    assert_eq!(code(&check), 0);
}

/// A `.sql` file with psql's meta-commands runs as psql runs it: variables from the script and
/// the environment interpolated, the `\if` branch that does not run left out, display and
/// describe commands recorded as steps that send nothing; `\gset` values, `\if` on them with a
/// `\quit`, `\copy` through psql's input and output, `\c -` and `\gexec` as the script runs on
/// each side; a file using what is not supported yet (`\gdesc`) is not tested, with its place,
/// and the others run.
#[test]
fn a_psql_script_runs_as_psql_runs_it() {
    let dir = scratch();
    let root = workload(
        dir.path(),
        "psql/vars.sql",
        "\\getenv dir PGPARITY_TEST_DIR\n\\set tbl items\nCREATE TABLE :\"tbl\" (id int, path text);\n\
         INSERT INTO :tbl VALUES (1, :'dir');\n\\pset null '(null)'\n\\d :tbl\n\\if :{?dir}\nSELECT path FROM items\n\\g\n\
         \\else\nSELECT 'not sent';\n\\endif\nSELECT count(*) FROM :\"tbl\";\n",
    );
    let out = dir.path().join("out");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_pgparity"))
        .args(["run", "--out", out.to_str().unwrap(), root.to_str().unwrap()])
        .env("PGPARITY_TEST_DIR", "/data/it's here")
        .output()
        .unwrap();
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("expected/psql/vars.json")).unwrap()).unwrap();
    let sql: Vec<&str> = saved["steps"].as_array().unwrap().iter().map(|s| s["sql"].as_str().unwrap()).collect();
    assert_eq!(
        sql,
        vec![
            "CREATE TABLE \"items\" (id int, path text)",
            "INSERT INTO items VALUES (1, '/data/it''s here')",
            "\\pset null '(null)'",
            "\\d :tbl",
            "SELECT path FROM items",
            "SELECT count(*) FROM \"items\"",
        ]
    );
    assert_eq!(saved["steps"][4]["rows"], serde_json::json!([["/data/it's here"]]));
    assert!(saved["steps"][2].get("tag").is_none(), "sends nothing: {}", saved["steps"][2]);

    // `\gset` takes each side's own values (a backend's pid differs between the servers); an
    // `\if` on one with a `\quit` inside guards the rest.
    let gset = workload(
        &dir.path().join("g"),
        "psql/gset.sql",
        "SELECT pg_backend_pid() AS pid, false AS skip_test \\gset\nSELECT :pid = pg_backend_pid();\n\
         \\if :skip_test\n\\quit\n\\endif\nSELECT 'after';\n\
         CREATE TEMP TABLE tt (a int);\n\\copy tt from stdin\n1\n2\n\\.\n\\copy (SELECT sum(a) FROM tt) to stdout\n\\c -\n\
         SELECT :pid = pg_backend_pid();\nSELECT * FROM tt;\n\
         SELECT format('CREATE TABLE g%s (a int)', i) FROM generate_series(1, 2) i \\gexec\n\
         SELECT 'SELECT relname FROM pg_class WHERE relname IN (''g1'', ''g2'')' \\gexec\n\
         SELECT true AS skip_test \\gset\n\\if :skip_test\n\\quit\n\\endif\nSELECT 'not sent';\n",
    );
    let (code, results, _, out) = with_results("record", &[gset.to_str().unwrap()]);
    assert_eq!(code, 0);
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("expected/psql/gset.json")).unwrap()).unwrap();
    let rows: Vec<&serde_json::Value> = saved["steps"].as_array().unwrap().iter().map(|s| &s["rows"]).collect();
    assert_eq!(saved["steps"][1]["sql"], "SELECT :pid = pg_backend_pid()");
    assert_eq!(*rows[1], serde_json::json!([["t"]]), "the hole took this side's value");
    assert_eq!(*rows[2], serde_json::json!([["after"]]));
    assert_eq!(saved["steps"][4]["sql"], "COPY tt from stdin", "\\copy from psql's input");
    assert_eq!(saved["steps"][4]["tag"], "COPY 2");
    assert_eq!(*rows[5], serde_json::json!([["3"]]), "\\copy to psql's output");
    assert_eq!(*rows[7], serde_json::json!([["f"]]), "\\c - is a new session: another backend…");
    assert_eq!(saved["steps"][8]["error"]["code"], "42P01", "… without the temp table");
    let generated = |k: usize| -> Vec<String> {
        saved["steps"][k]["rows"].as_array().unwrap().iter().map(|r| r[1].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(generated(9), ["tag: CREATE TABLE\nstatus: idle\n"; 2], "\\gexec sent each value");
    assert!(generated(10)[0].contains("row: \"g1\"\nrow: \"g2\""), "{:?}", generated(10));
    assert!(saved["steps"][12].get("tag").is_none(), "not sent after the \\quit: {}", saved["steps"][12]);
    drop(results);
    let (code, results, _, _out) = with_results("run", &[gset.to_str().unwrap()]);
    assert_eq!((code, with_status(&results, "works")), (0, vec!["psql/gset".to_string()]));

    workload(dir.path(), "psql/gdesc.sql", "SELECT 'SELECT 1'\n\\gdesc\n");
    let (code, results, _, _out) = with_results("run", &[root.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(with_status(&results, "not_tested"), ["psql/gdesc"]);
    assert_eq!(with_status(&results, "works"), ["psql/vars"], "the others run");
    let why = common::workload_result(&results, "psql/gdesc")["reason"].as_str().unwrap();
    assert!(why.contains("psql/gdesc.sql:2:1: psql meta-command `\\gdesc` is not supported yet"), "{why}");
}

/// A pg_regress suite of our own, in its layout: the schedule's groups in order, a group's
/// tests at once, one database for the whole suite (a later test sees what earlier groups made),
/// pg_regress's variables (a server-side COPY from the suite's `data/`), a verdict per test. A
/// test using a command not supported yet is not tested, with its position, and the suite goes
/// on. 15 against 15 is clean; against 18 the tests that differ are blocked, and only they, and
/// a test whose difference needs what an earlier group made reduces to a repro that makes it;
/// record then check (no reference server) agrees.
#[test]
fn a_pg_regress_suite_runs_as_its_schedule_says() {
    let dir = scratch();
    let suite = dir.path().join("mysuite");
    for sub in ["sql", "data"] {
        std::fs::create_dir_all(suite.join(sub)).unwrap();
    }
    let files = [
        (
            "parallel_schedule",
            "# mine\ntest: setup\ntest: reader_a reader_b newer\nignore: later\ntest: later\ntest: final constraints\n",
        ),
        ("data/items.data", "1\tone\n2\ttwo\n"),
        (
            "sql/setup.sql",
            "CREATE TABLE items (id int NOT NULL, name text);\n\\getenv abs_srcdir PG_ABS_SRCDIR\n\
             \\set filename :abs_srcdir '/data/items.data'\nCOPY items FROM :'filename';\nSELECT count(*) FROM items;\n",
        ),
        (
            "sql/reader_a.sql",
            "SELECT name FROM items WHERE id = 1;\nSELECT current_database();\n\
             SELECT pg_backend_pid() AS pid \\gset\nSELECT :pid = pg_backend_pid();\n",
        ),
        ("sql/reader_b.sql", "SELECT sum(id) FROM items;\nCREATE TABLE b_own (x int);\nINSERT INTO b_own VALUES (1);\n"),
        ("sql/newer.sql", "SELECT 0x1F;\nSELECT 1;\n"),
        ("sql/later.sql", "SELECT count(*) FROM b_own;\n\\set x 1\nSELECT 2 \\gdesc\n"),
        ("sql/final.sql", "SELECT count(*) FROM b_own;\n\\d items\n"),
        // PostgreSQL 18 lists NOT NULL constraints in pg_constraint; alone, both sides fail alike.
        ("sql/constraints.sql", "SELECT 1;\nSELECT conname FROM pg_constraint WHERE conrelid = 'items'::regclass;\n"),
        ("sql/unscheduled.sql", "SELECT 'not in the schedule';\n"),
    ];
    for (path, text) in files {
        std::fs::write(suite.join(path), text).unwrap();
    }
    // The servers (the postgres OS user) read the data file.
    for p in [dir.path(), &suite, &suite.join("data")] {
        std::fs::set_permissions(p, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    }
    let path = suite.to_str().unwrap();
    let ids = |results: &serde_json::Value, status: &str| -> Vec<String> { with_status(results, status) };

    let (code, results, _, _out) = with_results("run", &[path]);
    assert_eq!(code, 0);
    assert_eq!(
        ids(&results, "works"),
        [
            "mysuite/setup",
            "mysuite/reader_a",
            "mysuite/reader_b",
            "mysuite/newer",
            "mysuite/final",
            "mysuite/constraints"
        ]
    );
    let later = workload_result(&results, "mysuite/later");
    assert_eq!(later["status"], "not_tested");
    let reason = later["reason"].as_str().unwrap();
    assert!(reason.contains("later.sql:3:10") && reason.contains("\\gdesc"), "{reason}");
    assert!(results["workloads"].as_array().unwrap().iter().all(|w| w["id"] != "mysuite/unscheduled"));

    let candidate = format!("local:{}", pg18_bindir());
    let (code, results, _, out) = with_results("run", &["--candidate", &candidate, path]);
    assert_eq!(code, 1);
    assert_eq!(ids(&results, "blocked"), ["mysuite/newer", "mysuite/constraints"]);
    assert_eq!(ids(&results, "works").len(), 4);
    let repro = |id: &str| {
        let link = workload_result(&results, id)["repros"][0].as_str().unwrap().to_string();
        std::fs::read_to_string(out.path().join(link)).unwrap()
    };
    let newer = repro("mysuite/newer");
    assert!(newer.contains("SELECT 0x1F;") && !newer.contains("items"), "{newer}");
    // Made from the setup test's table, without what played no part (its COPY, other tests).
    let constraints = repro("mysuite/constraints");
    let sent: Vec<&str> = constraints.lines().filter(|l| !l.starts_with("--")).collect();
    assert_eq!(sent.len(), 2, "{constraints}");
    assert!(sent[0].starts_with("CREATE TABLE items (id int NOT NULL"), "{constraints}");
    assert!(sent[1].contains("pg_constraint"), "{constraints}");
    assert!(!constraints.contains("not reducible"), "{constraints}");

    let (code, _, _, out) = with_results("record", &[path]);
    assert_eq!(code, 0);
    let rows = |id: &str, step: usize| -> serde_json::Value {
        let text = std::fs::read_to_string(out.path().join("expected").join(format!("{id}.json"))).unwrap();
        serde_json::from_str::<serde_json::Value>(&text).unwrap()["steps"][step]["rows"].clone()
    };
    assert_eq!(rows("mysuite/setup", 2), serde_json::json!([["2"]]), "COPY read the suite's data/");
    assert_eq!(rows("mysuite/reader_a", 1), serde_json::json!([["pgparity_mysuite"]]));
    assert_eq!(rows("mysuite/final", 0), serde_json::json!([["1"]]), "a later group sees an earlier one's table");
    let check = pgparity(&["check", "--out", out.path().to_str().unwrap(), path]);
    assert_eq!(common::code(&check), 0);
}

/// A server that crashes during a suite's group is started again before the next group, as
/// pg_regress goes on once the server is back: the suite's database is still there, and the
/// next group's test reads what the first group wrote.
#[test]
fn a_suite_goes_on_after_a_crash_in_a_group() {
    let dir = scratch();
    let suite = dir.path().join("crashing");
    std::fs::create_dir_all(suite.join("sql")).unwrap();
    let files = [
        ("parallel_schedule", "test: first\ntest: killer\ntest: after\n"),
        ("sql/first.sql", "CREATE TABLE kept (a int);\nINSERT INTO kept VALUES (1);\n"),
        // COPY TO PROGRAM runs in the data directory: stop the postmaster in immediate mode,
        // once what the first group committed is on disk (the clusters commit asynchronously).
        (
            "sql/killer.sql",
            "CHECKPOINT;\nCOPY (SELECT 1) TO PROGRAM 'kill -QUIT $(head -1 postmaster.pid); sleep 10';\nSELECT 'never';\n",
        ),
        ("sql/after.sql", "SELECT a FROM kept;\n"),
    ];
    for (path, text) in files {
        std::fs::write(suite.join(path), text).unwrap();
    }
    let (code, results, _, out) = with_results("run", &[suite.to_str().unwrap()]);
    assert_eq!(code, 3, "a crashed target exits with 3: {results}");
    assert_eq!(with_status(&results, "works"), ["crashing/first", "crashing/killer", "crashing/after"], "{results}");
    let saved = |id: &str| -> serde_json::Value {
        let text = std::fs::read_to_string(out.path().join("expected").join(format!("{id}.json"))).unwrap();
        serde_json::from_str(&text).unwrap()
    };
    assert_eq!(saved("crashing/killer")["steps"][1]["fault"]["kind"], "server_crashed");
    assert_eq!(
        saved("crashing/after")["steps"][0]["rows"],
        serde_json::json!([["1"]]),
        "the suite's database survived"
    );
    for side in ["reference", "candidate"] {
        let events: Vec<&str> =
            results[side]["events"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect();
        assert!(events.iter().any(|e| e.contains("restarted")), "{side}: {events:?}");
        assert!(!events.iter().any(|e| e.contains("left behind")), "the suite's database was dropped: {events:?}");
    }
}

/// `--jobs 3` gives the reports of `--jobs 1`: results, expected/, the scorecard and the exit
/// code — with plain workloads beside each other, a timeout and a lost connection (run again
/// alone), and a workload of two sessions and one that creates a role (never beside others).
#[test]
fn workloads_at_once_report_what_one_at_a_time_reports() {
    let dir = scratch();
    let mut root = dir.path().to_path_buf();
    for k in 1..=6 {
        let text = format!(
            "CREATE TABLE t (a int);\nINSERT INTO t SELECT g FROM generate_series(1, {k}) g;\nSELECT sum(a), pg_sleep(0.2) FROM t;\n"
        );
        root = workload(dir.path(), &format!("plain/w{k}.sql"), &text);
    }
    workload(dir.path(), "faults/timeout.sql", "SELECT 1;\nSELECT pg_sleep(5);\nSELECT 2;\n");
    workload(dir.path(), "faults/lost.sql", "SELECT 1;\nSELECT pg_terminate_backend(pg_backend_pid());\nSELECT 2;\n");
    let role = "CREATE ROLE pgparity_jobs_role;\nSELECT rolname FROM pg_roles WHERE rolname LIKE 'pgparity_jobs%';\n";
    workload(dir.path(), "alone/role.sql", role);
    let two = "feature: two\narea: alone\nsessions: [a, b]\nsetup: CREATE TABLE t (id int PRIMARY KEY)\nsteps:\n  - {session: a, sql: BEGIN}\n  - {session: a, sql: INSERT INTO t VALUES (1)}\n  - {session: b, sql: INSERT INTO t VALUES (1)}\n  - {session: a, sql: COMMIT}\n";
    workload(dir.path(), "alone/two.yaml", two);
    let root = root.to_str().unwrap();
    let run = |jobs: &str| with_results("run", &["--jobs", jobs, "--timeout", "1", "--no-reduce", root]);
    let (code_one, one, _, out_one) = run("1");
    let (code_three, three, _, out_three) = run("3");
    assert_eq!((code_one, code_three), (3, 3), "a lost connection is a target failure");
    assert_eq!(one["workloads"], three["workloads"]);
    assert_eq!(with_status(&three, "works").len(), 10, "{three}");
    let lost = workload_result(&three, "faults/lost");
    assert_eq!(lost["statements"][2]["verdict"], "match", "{lost}");
    let scorecard = |d: &std::path::Path| {
        let text = std::fs::read_to_string(d.join("scorecard.md")).unwrap();
        text.lines().filter(|l| !l.contains("Date")).map(str::to_string).collect::<Vec<_>>()
    };
    assert_eq!(scorecard(out_one.path()), scorecard(out_three.path()));
    let expected = |d: &std::path::Path| {
        let mut files: Vec<(String, String)> = Vec::new();
        for area in ["plain", "faults", "alone"] {
            for e in std::fs::read_dir(d.join("expected").join(area)).unwrap() {
                let p = e.unwrap().path();
                files.push((
                    p.display().to_string().replace(&d.display().to_string(), ""),
                    std::fs::read_to_string(&p).unwrap(),
                ));
            }
        }
        files.sort();
        files
    };
    assert_eq!(expected(out_one.path()).len(), 10);
    assert_eq!(expected(out_one.path()), expected(out_three.path()));
}

/// sqllogictest files of our own, through the crate's parser: statements and queries with their
/// sort modes, `skipif`/`onlyif`, `connection`, `include` and `halt`; PostgreSQL 15 against 15
/// all works, 18 is blocked on exactly the differing query, and record then check agree.
#[test]
fn sqllogictest_files_run_on_both_sides() {
    let dir = scratch();
    workload(dir.path(), "slt/common/items.inc", "statement ok\nCREATE TABLE items (id int, name text)\n\nstatement ok\nINSERT INTO items VALUES (1, 'one'), (2, 'two'), (3, 'three')\n");
    let main = "include common/items.inc\n\n\
                query IT rowsort\nSELECT id, name FROM items\n----\n1 one\n2 two\n3 three\n\n\
                onlyif mysql\nstatement ok\nSET sql_mode = ''\n\n\
                skipif postgres\nstatement ok\nTHIS IS NOT SQL\n\n\
                statement error\nSELECT * FROM missing\n\n\
                connection writer\nstatement ok\nBEGIN\n\n\
                connection writer\nstatement ok\nUPDATE items SET name = 'uno' WHERE id = 1\n\n\
                query T\nSELECT name FROM items WHERE id = 1\n----\none\n\n\
                connection writer\nstatement ok\nCOMMIT\n\n\
                query T\nSELECT name FROM items WHERE id = 1\n----\nuno\n\n\
                halt\n\nstatement ok\nDROP TABLE items\n";
    let root = workload(dir.path(), "slt/main.slt", main);
    workload(dir.path(), "slt/newer.slt", "query I\nSELECT 0x1F\n----\n31\n\nquery I\nSELECT 1\n----\n1\n");
    workload(dir.path(), "slt/system.slt", "statement ok\nSELECT 1\n\nsystem ok\necho hi\n");
    let path = root.to_str().unwrap();

    let (code, results, _, _out) = with_results("run", &["--no-reduce", path]);
    assert_eq!(code, 0, "{results}");
    assert_eq!(with_status(&results, "works"), ["slt/main", "slt/newer"]);
    let main = workload_result(&results, "slt/main");
    let sqls: Vec<&str> = main["statements"].as_array().unwrap().iter().map(|s| s["sql"].as_str().unwrap()).collect();
    assert_eq!(sqls.len(), 9, "skipped and halted records are not sent: {sqls:?}");
    assert!(sqls[0].starts_with("CREATE TABLE items") && sqls[8] == "SELECT name FROM items WHERE id = 1", "{sqls:?}");
    assert!(main["statements"][0]["location"].as_str().unwrap().ends_with("items.inc:1:1"), "{main}");
    let why = workload_result(&results, "slt/system")["reason"].as_str().unwrap().to_string();
    assert!(why.contains("system.slt:4:1") && why.contains("`system`"), "{why}");

    let candidate = format!("local:{}", pg18_bindir());
    let (code, results, _, _out) = with_results("run", &["--candidate", &candidate, "--no-reduce", path]);
    assert_eq!(code, 1);
    assert_eq!(with_status(&results, "blocked"), ["slt/newer"]);
    let newer = workload_result(&results, "slt/newer");
    assert_eq!((newer["matched"].as_u64(), newer["total"].as_u64()), (Some(1), Some(2)));

    let (code, _, _, out) = with_results("record", &[path]);
    assert_eq!(code, 0);
    let check = pgparity(&["check", "--out", out.path().to_str().unwrap(), path]);
    assert_eq!(common::code(&check), 0, "{}", String::from_utf8_lossy(&check.stdout));

    // Nothing recorded: `check` judges by what the files themselves say. `SELECT 0x1F` is 31
    // from PostgreSQL 16 on, as the file says; 15 refuses it.
    let (code, results, _, _out) = with_results("check", &[path]);
    assert_eq!(code, 1, "{results}");
    assert_eq!(results["reference"]["version"], "the files' own expected results");
    assert_eq!(with_status(&results, "works"), ["slt/main"]);
    assert_eq!(with_status(&results, "not_tested"), ["slt/system"]);
    let first = &workload_result(&results, "slt/newer")["statements"][0];
    assert_eq!(first["kinds"], serde_json::json!(["error_vs_success"]), "{first}");
    assert_eq!(first["outcomes"]["reference"]["rows"], serde_json::json!([["31"]]));
    let (code, results, _, _out) = with_results("check", &["--candidate", &candidate, path]);
    assert_eq!(code, 0, "{results}");
    assert_eq!(with_status(&results, "works"), ["slt/main", "slt/newer"]);
    // A file whose expected results are wrong is told so, step by step: a row, a count, an error.
    let wrong = workload(
        dir.path(),
        "wrong/wrong.slt",
        "statement ok\nCREATE TABLE t (a int)\n\nstatement count 3\nINSERT INTO t VALUES (1), (2)\n\n\
         query I rowsort\nSELECT a FROM t\n----\n1\n3\n\nstatement error\nSELECT a FROM t\n\n\
         query I valuesort\nSELECT a FROM t\n----\n1\n2\n",
    );
    let wrong = wrong.join("wrong/wrong.slt");
    let (code, results, _, _out) = with_results("check", &[wrong.to_str().unwrap()]);
    assert_eq!(code, 1, "{results}");
    let w = workload_result(&results, "wrong/wrong");
    let kinds: Vec<serde_json::Value> =
        w["statements"].as_array().unwrap().iter().map(|s| s["kinds"].clone()).collect();
    let none = serde_json::Value::Null;
    let want = [
        none.clone(),
        serde_json::json!(["command_tag"]),
        serde_json::json!(["rows"]),
        serde_json::json!(["error_vs_success"]),
        none,
    ];
    assert_eq!(kinds, want, "{w}");
}
