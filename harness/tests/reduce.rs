//! Reduction on real servers (PostgreSQL 15 reference, PostgreSQL 18 candidate): a difference
//! buried in a long workload reduces to a 1-minimal repro, mismatches with one root cause
//! share one repro, and the written repro replays through psql and through pgparity.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

/// 64 statements: unrelated tables, rows and queries around the one thing that differs
/// (PostgreSQL 18 lists a NOT NULL constraint in pg_constraint; 15 does not).
fn buried_workload() -> String {
    let mut sql = String::from("-- feature: Buried difference\n-- area: Reduce\n");
    for i in 0..20 {
        sql.push_str(&format!("CREATE TABLE noise_{i} (id int PRIMARY KEY, v text);\n"));
        sql.push_str(&format!("INSERT INTO noise_{i} VALUES ({i}, 'row {i}'), ({}, NULL);\n", i + 100));
        if i == 9 {
            sql.push_str("CREATE TABLE target (id int, name text NOT NULL);\n");
        }
        sql.push_str(&format!("SELECT count(*) FROM noise_{i};\n"));
    }
    sql.push_str("SELECT n.nspname FROM pg_namespace n WHERE n.nspname = 'public';\n");
    sql.push_str("SELECT count(*) FROM pg_constraint WHERE conrelid = 'target'::regclass;\n");
    sql.push_str("SELECT 1;\n");
    sql
}

fn run(args: &[&str]) -> (i32, std::process::Output) {
    let out = pgparity(args);
    (code(&out), out)
}

fn repro_files(out_dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(out_dir.join("repros"))
        .map(|d| d.map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "sql")).collect())
        .unwrap_or_default();
    files.sort();
    files
}

/// The last step of a `pgparity run` over one repro file: its verdict and kinds.
fn last_step(results: &Value) -> (String, Value) {
    let statements = results["workloads"][0]["statements"].as_array().unwrap();
    let last = statements.last().unwrap();
    (last["verdict"].as_str().unwrap().to_string(), last["kinds"].clone())
}

#[test]
fn a_buried_difference_reduces_to_a_one_minimal_repro() {
    let candidate = format!("local:{}", pg18_bindir());
    let dir = scratch();
    let root = workload(dir.path(), "reduce/buried.sql", &buried_workload());
    let out_dir = dir.path().join("out");
    let (code, _) =
        run(&["run", "--candidate", &candidate, "--out", out_dir.to_str().unwrap(), root.to_str().unwrap()]);
    assert_eq!(code, 1);
    let first_run = results(&out_dir);
    let w = &first_run["workloads"][0];
    assert!(w["total"].as_u64().unwrap() >= 60, "a workload of at least 60 statements");
    let files = repro_files(&out_dir);
    assert_eq!(files.len(), 1, "one difference, one repro: {files:?}");
    assert_eq!(w["repros"], serde_json::json!([format!("repros/{}", files[0].file_name().unwrap().to_string_lossy())]));
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(text.contains("(1-minimal)"), "{text}");
    let statements = pgparity::workload::sql::split(&text).unwrap();
    let sqls: Vec<&str> = statements.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(
        sqls,
        vec![
            "CREATE TABLE target (name text NOT NULL)",
            "SELECT count(*) FROM pg_constraint WHERE conrelid = 'target'::regclass"
        ]
    );
    // The repro itself reproduces: same kinds on its last step.
    let replay = dir.path().join("replay");
    let (code, _) = run(&[
        "run",
        "--no-reduce",
        "--candidate",
        &candidate,
        "--out",
        replay.to_str().unwrap(),
        files[0].to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    let (verdict, kinds) = last_step(&results(&replay));
    assert_eq!((verdict.as_str(), kinds.clone()), ("mismatch", serde_json::json!(["rows"])));
    // 1-minimal: removing any one statement before the last loses the mismatch.
    for skip in 0..sqls.len() - 1 {
        let kept: Vec<&str> = sqls.iter().enumerate().filter(|(i, _)| *i != skip).map(|(_, s)| *s).collect();
        let smaller = dir.path().join(format!("smaller{skip}/w.sql"));
        std::fs::create_dir_all(smaller.parent().unwrap()).unwrap();
        std::fs::write(&smaller, kept.iter().map(|s| format!("{s};\n")).collect::<String>()).unwrap();
        let out = dir.path().join(format!("smaller{skip}/out"));
        run(&[
            "run",
            "--no-reduce",
            "--candidate",
            &candidate,
            "--out",
            out.to_str().unwrap(),
            smaller.to_str().unwrap(),
        ]);
        let (verdict, k) = last_step(&results(&out));
        assert!(verdict != "mismatch" || k != kinds, "removing statement {skip} keeps the mismatch: not 1-minimal");
    }
}

/// Two workloads hitting the same root cause (same signature, same statement fingerprint):
/// one repro that lists both, linked from both.
#[test]
fn one_root_cause_in_two_workloads_gives_one_repro() {
    let candidate = format!("local:{}", pg18_bindir());
    let dir = scratch();
    let root = workload(dir.path(), "hex/a.sql", "SELECT 1;\nSELECT 0x10;\n");
    workload(dir.path(), "hex/b.sql", "CREATE TABLE t (a int);\nSELECT 0xFF;\n");
    let out_dir = dir.path().join("out");
    let (code, _) =
        run(&["run", "--candidate", &candidate, "--out", out_dir.to_str().unwrap(), root.to_str().unwrap()]);
    assert_eq!(code, 1);
    let files = repro_files(&out_dir);
    assert_eq!(files.len(), 1, "{files:?}");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(text.contains("occurs at:") && text.contains("hex/a step 2") && text.contains("hex/b step 2"), "{text}");
    let results = results(&out_dir);
    let link = format!("repros/{}", files[0].file_name().unwrap().to_string_lossy());
    for id in ["hex/a", "hex/b"] {
        assert_eq!(workload_result(&results, id)["repros"], serde_json::json!([link.clone()]));
    }
    let scorecard = std::fs::read_to_string(out_dir.join("scorecard.md")).unwrap();
    assert!(scorecard.contains(&format!("repro: {link}")), "the scorecard links Blocked features to their repro");
    let md = std::fs::read_to_string(files[0].with_extension("md")).unwrap();
    assert!(md.contains("## Expected (reference)") && md.contains("error: ERROR 42601"), "{md}");
}

/// The written .sql runs as-is under psql: an error on 15, a row on 18.
#[test]
fn a_repro_replays_through_psql() {
    let candidate_bin = pg18_bindir();
    let dir = scratch();
    let root = workload(dir.path(), "hex/c.sql", "CREATE TABLE t (a int);\nSELECT 0x1F AS v;\n");
    let out_dir = dir.path().join("out");
    run(&[
        "run",
        "--candidate",
        &format!("local:{candidate_bin}"),
        "--out",
        out_dir.to_str().unwrap(),
        root.to_str().unwrap(),
    ]);
    let files = repro_files(&out_dir);
    assert_eq!(files.len(), 1);
    let cluster = ManualCluster::start("trust", "unused");
    let psql = std::process::Command::new("psql")
        .args(["-X", "-h", "127.0.0.1", "-p", &cluster.port.to_string(), "-U", "postgres", "-d", "postgres", "-f"])
        .arg(&files[0])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&psql.stderr);
    assert!(stderr.contains("trailing junk after numeric literal"), "PostgreSQL 15 shows the expected error: {stderr}");
}

/// `pgparity reduce FILE --step N` reduces only that step's mismatch; a step that does not
/// exist is a usage error.
#[test]
fn the_reduce_subcommand_reduces_one_step_on_demand() {
    let candidate = format!("local:{}", pg18_bindir());
    let dir = scratch();
    let root = workload(dir.path(), "two/both.sql", "CREATE TABLE t (a int NOT NULL);\nSELECT 0x1F;\nSELECT count(*) FROM pg_constraint WHERE conrelid = 't'::regclass;\n");
    let file = root.join("two/both.sql");
    let out_dir = dir.path().join("out");
    let (code, _) = run(&[
        "reduce",
        "--candidate",
        &candidate,
        "--step",
        "3",
        "--out",
        out_dir.to_str().unwrap(),
        "--junit",
        out_dir.join("junit.xml").to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    let (_, failures, _) = junit_matches_results(&out_dir.join("junit.xml"), &out_dir);
    assert!(failures >= 1);
    let files = repro_files(&out_dir);
    assert_eq!(files.len(), 1, "only step 3's mismatch: {files:?}");
    assert!(files[0].ends_with("two-both-step3.sql"), "{files:?}");
    assert!(!out_dir.join("expected").exists(), "reduce writes no expected/");
    let (code, out) = run(&["reduce", "--step", "7", file.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr(&out).contains("has no step 7"), "{}", stderr(&out));
}

/// After the statements, the rows of multi-row INSERTs are reduced: of 29 rows only the one
/// PostgreSQL 18 reads differently ('0x1F'::int) stays.
#[test]
fn rows_of_a_multi_row_insert_are_reduced_too() {
    let candidate = format!("local:{}", pg18_bindir());
    let dir = scratch();
    let rows: Vec<String> =
        (1..30).map(|i| if i == 17 { "('0x1F')".to_string() } else { format!("('{i}')") }).collect();
    let text = format!(
        "CREATE TABLE t (v text);\nINSERT INTO t VALUES {};\nCREATE TABLE other (x int);\nSELECT sum(v::int) FROM t;\n",
        rows.join(", ")
    );
    let root = workload(dir.path(), "rows/sum.sql", &text);
    let out_dir = dir.path().join("out");
    let (code, _) =
        run(&["run", "--candidate", &candidate, "--out", out_dir.to_str().unwrap(), root.to_str().unwrap()]);
    assert_eq!(code, 1);
    let files = repro_files(&out_dir);
    assert_eq!(files.len(), 1);
    let repro = std::fs::read_to_string(&files[0]).unwrap();
    let sqls: Vec<String> = pgparity::workload::sql::split(&repro).unwrap().into_iter().map(|p| p.text).collect();
    assert_eq!(sqls, vec!["CREATE TABLE t (v text)", "INSERT INTO t VALUES ('0x1F')", "SELECT v::int FROM t"]);
    assert!(repro.contains("(1-minimal)"), "{repro}");
}

/// The mismatching statement itself gets smaller: SELECT-list columns that agree go, then
/// clauses through its syntax tree (ORDER BY, LIMIT, a needless AND arm), while the WHERE that
/// singles out the table stays — dropping it would show a different difference (every catalog
/// NOT NULL constraint), which the drift guard refuses.
#[test]
fn the_mismatching_statement_is_simplified_through_its_syntax_tree() {
    let candidate = format!("local:{}", pg18_bindir());
    let dir = scratch();
    let query = "SELECT c.relname, con.contype, length(c.relname) AS len, con.conname \
                 FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid \
                 WHERE c.relname = 'target' AND c.relkind = 'r' ORDER BY con.conname LIMIT 50";
    let text = format!(
        "CREATE TABLE other (x int);\nCREATE TABLE target (id int PRIMARY KEY, name text NOT NULL);\n{query};\n"
    );
    let root = workload(dir.path(), "tree/catalog.sql", &text);
    let out_dir = dir.path().join("out");
    let (code, out) =
        run(&["run", "--candidate", &candidate, "--out", out_dir.to_str().unwrap(), root.to_str().unwrap()]);
    assert_eq!(code, 1, "{}", String::from_utf8_lossy(&out.stderr));
    let files = repro_files(&out_dir);
    assert_eq!(files.len(), 1);
    let repro = std::fs::read_to_string(&files[0]).unwrap();
    let sqls: Vec<String> = pgparity::workload::sql::split(&repro).unwrap().into_iter().map(|p| p.text).collect();
    let last = sqls.last().unwrap();
    assert!(last.len() * 3 < query.len() * 2, "much shorter: {last}");
    let statements = sqls.join(";\n");
    for gone in ["ORDER BY", "LIMIT", "relkind", "length(", "other"] {
        assert!(!statements.contains(gone), "{gone} is not needed: {statements}");
    }
    assert!(
        last.contains("'target'") && last.contains("WHERE"),
        "the WHERE that keeps the same difference stays: {last}"
    );
    assert!(repro.contains("(1-minimal)"), "{repro}");
    // The repro replays with the same signature through `pgparity run`.
    let again = dir.path().join("again");
    let (code, _) =
        run(&["run", "--candidate", &candidate, "--out", again.to_str().unwrap(), files[0].to_str().unwrap()]);
    assert_eq!(code, 1);
    let results: Value = serde_json::from_str(&std::fs::read_to_string(again.join("results.json")).unwrap()).unwrap();
    assert_eq!(last_step(&results), ("mismatch".to_string(), serde_json::json!(["command_tag", "rows"])));
}

/// With `--reduce-jobs 3`, root causes are reduced beside the run on extra connections (two
/// trials at a time) as soon as a workload shows them, and give the same repros as one trial
/// at a time after the run. A run whose workloads read what all databases share (pg_database)
/// keeps reduction after the run.
#[test]
fn reduction_beside_the_run_gives_the_same_repros() {
    let candidate = format!("local:{}", pg18_bindir());
    let dir = scratch();
    let root = workload(dir.path(), "beside/a.sql", &buried_workload());
    workload(
        dir.path(),
        "beside/b.sql",
        "CREATE TABLE t (v text);\nINSERT INTO t VALUES ('1'), ('0x1F'), ('2');\nSELECT v::int FROM t;\n",
    );
    for i in 0..4 {
        workload(dir.path(), &format!("beside/later{i}.sql"), "CREATE TABLE x (a int);\nSELECT count(*) FROM x;\n");
    }
    let repros = |jobs: &str| {
        let out_dir = dir.path().join(format!("out{jobs}"));
        let args = ["run", "--reduce-jobs", jobs, "--candidate", &candidate, "--out", out_dir.to_str().unwrap()];
        let (code, out) = run(&[&args[..], &[root.to_str().unwrap()]].concat());
        assert_eq!(code, 1, "{}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let texts: Vec<String> = repro_files(&out_dir)
            .iter()
            .map(|f| pgparity::workload::sql::split(&std::fs::read_to_string(f).unwrap()).unwrap())
            .map(|parts| parts.into_iter().map(|p| p.text).collect::<Vec<_>>().join(";\n"))
            .collect();
        (texts, stdout)
    };
    let (after, stdout) = repros("1");
    assert_eq!(after.len(), 2, "{after:?}");
    assert!(!stdout.contains("beside the run"), "{stdout}");
    let (beside, stdout) = repros("3");
    assert_eq!(stdout.matches("beside the run").count(), 2, "{stdout}");
    assert_eq!(stdout.matches("1-minimal").count(), 2, "{stdout}");
    assert_eq!(beside, after);
    // Reading pg_database: trials beside the run would show there, so they wait for its end.
    workload(dir.path(), "beside/shared.sql", "SELECT count(*) > 0 FROM pg_database;\n");
    let (_, stdout) = repros("3");
    assert!(!stdout.contains("beside the run") && stdout.matches("1-minimal").count() == 2, "{stdout}");
}

/// Two root causes in one workload: their reductions use the same trial database names one
/// after the other, and the second must not lose its database to the first's clean-up (it did:
/// a prefetched database was queued for dropping after being queued for creation again).
#[test]
fn two_root_causes_in_one_workload_reduce_one_after_the_other() {
    let candidate = format!("local:{}", pg18_bindir());
    let dir = scratch();
    let text = "CREATE TABLE target (id int, name text NOT NULL);\nSELECT 0x1F;\nSELECT 2;\n\
                SELECT count(*) FROM pg_constraint WHERE conrelid = 'target'::regclass;\n";
    let root = workload(dir.path(), "two/causes.sql", text);
    let out_dir = dir.path().join("out");
    let (code, out) =
        run(&["run", "--candidate", &candidate, "--out", out_dir.to_str().unwrap(), root.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(code, 1, "no target failure: {stdout}");
    assert_eq!(repro_files(&out_dir).len(), 2, "{stdout}");
    assert_eq!(stdout.matches("1-minimal").count(), 2, "{stdout}");
    assert!(!stdout.contains("unreachable") && !stdout.contains("restarted"), "{stdout}");
}
