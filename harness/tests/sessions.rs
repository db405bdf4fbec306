//! Multi-session schedules with blocking detection, on real servers: PostgreSQL 15 against
//! itself, run after run.

mod common;

use common::*;

/// Every multi-session workload shipped, PostgreSQL 15 against PostgreSQL 15, five runs in a row:
/// zero mismatches each time (blocking detection must not be flaky on a loaded machine), and
/// the waits recorded in expected/ are the same every time.
#[test]
fn multi_session_workloads_match_five_runs_in_a_row() {
    let dir = scratch();
    let sessions = repo_root().join("workloads/sessions");
    let mut recorded = Vec::new();
    for run in 1..=5 {
        let out_dir = dir.path().join(format!("run{run}"));
        let out = pgparity(&["run", "--out", out_dir.to_str().unwrap(), sessions.to_str().unwrap()]);
        assert_eq!(code(&out), 0, "run {run}: {}", String::from_utf8_lossy(&out.stdout));
        let results = results(&out_dir);
        assert_eq!(results["summary"]["blocked"], 0, "run {run}");
        let expected =
            |id: &str| std::fs::read_to_string(out_dir.join(format!("expected/sessions/{id}.json"))).unwrap();
        recorded.push((expected("row_lock_wait"), expected("deadlock")));
    }
    assert!(recorded.windows(2).all(|w| w[0] == w[1]), "expected/ is byte-identical across runs");
    let (row_lock, deadlock) = &recorded[0];
    // b's UPDATE waited and was released by a's COMMIT (step 6).
    assert!(row_lock.contains(r#""wait": {"until": "released", "by": 6}"#), "{row_lock}");
    // Exactly one session got 40P01: a's UPDATE (step 7), which ended its wait on its own;
    // b's UPDATE was released by it.
    assert_eq!(deadlock.matches("40P01").count(), 1, "{deadlock}");
    assert!(deadlock.contains(r#""wait": {"until": "finished"}"#), "{deadlock}");
    assert!(deadlock.contains(r#""wait": {"until": "released", "by": 7}"#), "{deadlock}");
    assert!(deadlock.contains("Process N waits for ShareLock on transaction N"), "PIDs masked: {deadlock}");
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
