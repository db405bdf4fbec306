//! The extended query protocol on real servers: PostgreSQL 15 against itself, a parameter type
//! inference difference on DuckDB, and a reduced repro that keeps its parameters.

mod common;

use common::*;

/// PostgreSQL 15 against PostgreSQL 15: the extended-protocol workload matches (parameter
/// types, fetch batches and named statements recorded), and so does the whole suite replayed
/// in extended mode.
#[test]
fn extended_protocol_matches_postgres_against_itself() {
    let dir = scratch();
    let out_dir = dir.path().join("protocol");
    let suite = repo_root().join("workloads/protocol");
    let out = pgparity(&["run", "--out", out_dir.to_str().unwrap(), suite.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("expected/protocol/extended.json")).unwrap()).unwrap();
    let steps = expected["steps"].as_array().unwrap();
    assert_eq!(steps[1]["param_types"], serde_json::json!(["integer", "integer"]), "$2 inferred from $1::int +");
    assert_eq!(steps[2]["param_types"], serde_json::json!(["numeric", "text"]));
    assert_eq!(steps[5]["error"]["code"], "22P02", "a bad parameter fails at Bind");
    assert_eq!(steps[9]["error"]["code"], "23505", "the reused statement runs again");
    assert_eq!(steps[10]["fetches"], 3, "7 rows in batches of 3");
    assert_eq!(steps[10]["rows"].as_array().unwrap().len(), 7);
    assert!(steps[17].get("param_types").is_none(), "`protocol: simple` step");

    let all = dir.path().join("all");
    let out = pgparity(&["run", "--no-reduce", "--protocol", "extended", "--out", all.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
    let results = results(&all);
    assert_eq!(results["summary"]["blocked"], 0);
    assert_eq!(results["workloads"].as_array().unwrap().len(), suite_size());
    let pg_catalog: serde_json::Value =
        serde_json::from_slice(&std::fs::read(all.join("expected/catalog/pg_catalog.json")).unwrap()).unwrap();
    assert!(pg_catalog["steps"][0].get("param_types").is_some(), "every step went extended");
}

/// DuckDB (behind buenavista) infers other parameter types than PostgreSQL: `$1::int + $2`
/// makes its $2 a timestamp, and the parameter types it reports are not PostgreSQL's.
#[test]
fn a_parameter_type_inference_difference_is_detected() {
    let dir = scratch();
    let suite = repo_root().join("workloads/protocol");
    let duckdb = "exec:candidates/duckdb.sh {port}";
    let out = run_against(duckdb, dir.path(), &["--no-reduce", "--timeout", "10", suite.to_str().unwrap()]);
    assert_ne!(code(&out), 0);
    let results = results(dir.path());
    let w = workload_result(&results, "protocol/extended");
    let step = |n: u64| {
        w["statements"].as_array().unwrap().iter().find(|s| s["phase"] == "step" && s["index"] == n).unwrap().clone()
    };
    assert!(step(1)["kinds"].as_array().unwrap().contains(&serde_json::json!("parameter_types")), "{}", step(1));
    let second = step(2);
    assert_eq!(second["kinds"], serde_json::json!(["error_vs_success"]), "{second}");
    let message = second["outcomes"]["candidate"]["error"]["message"].as_str().unwrap();
    assert!(message.contains("TIMESTAMP"), "$2 inferred as a timestamp: {message}");
}

/// A mismatch in a step with parameters reduces to a YAML repro that keeps them (and the
/// named statement), and the repro replays the mismatch.
#[test]
fn an_extended_protocol_repro_keeps_its_parameters() {
    let dir = scratch();
    let text = "feature: Hex literal with a parameter\narea: Protocol\nsetup: |\n  CREATE TABLE t (a int);\n  INSERT INTO t VALUES (1), (2);\nsteps:\n  - sql: SELECT count(*) FROM t WHERE a > $1\n    params: [0]\n  - sql: SELECT $1::int + 0x1F AS n\n    params: [{type: int4, value: 11}]\n    statement: hex\n";
    let root = workload(dir.path(), "ext/hex.yaml", text);
    let candidate = format!("local:{}", pg18_bindir());
    let out_dir = dir.path().join("out");
    let out = run_against(&candidate, &out_dir, &[root.to_str().unwrap()]);
    assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stdout));
    let repro_path = out_dir.join("repros/ext-hex-step2.yaml");
    let repro = std::fs::read_to_string(&repro_path).unwrap();
    assert!(repro.contains("params: [{\"type\":\"int4\",\"value\":\"11\"}]"), "{repro}");
    assert!(repro.contains("statement: \"hex\""), "{repro}");
    assert!(!repro.contains("CREATE TABLE"), "the table is not needed: {repro}");
    let replay = dir.path().join("replay");
    let out = run_against(&candidate, &replay, &["--no-reduce", repro_path.to_str().unwrap()]);
    assert_eq!(code(&out), 1, "the repro reproduces: {}", String::from_utf8_lossy(&out.stdout));
    let replayed = results(&replay);
    let statements = replayed["workloads"][0]["statements"].as_array().unwrap();
    let last = statements.last().unwrap();
    assert_eq!(last["kinds"], serde_json::json!(["error_vs_success"]), "{last}");
    assert_eq!(last["outcomes"]["candidate"]["param_types"], serde_json::json!(["integer"]));
}
