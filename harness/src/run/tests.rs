//! The run on the fake engine: judgement of whole workloads (Works, Works with rewrite,
//! Blocked, Not tested) and each reduction pass, with scripted outcomes and no server.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;
use crate::engine::fake::{error, ok, rows, Act, FakeEngine};
use crate::engine::target::TargetSpec;
use crate::model::{ReproSummary, Status};
use crate::reduce::ddmin::Budget;

/// What the run emitted, kept.
#[derive(Default)]
struct Events {
    results: Vec<WorkloadResult>,
    repros: Vec<ReproSummary>,
    skipped: usize,
}

impl Observer for Events {
    fn on(&mut self, event: Event<'_>) -> Result<()> {
        match event {
            Event::Finished { result, .. } => self.results.push(result.clone()),
            // The final results carry the repro links.
            Event::Done { results, .. } => self.results = results.to_vec(),
            Event::Reduced { repro, .. } => self.repros.push(repro.clone()),
            Event::ReductionSkipped { count } => self.skipped += count,
            _ => {}
        }
        Ok(())
    }
}

/// Workload files written under a fresh folder, loaded by the real front-end.
fn workloads(dir: &Path, files: &[(&str, &str)]) -> Vec<Workload> {
    let root = dir.join("workloads");
    for (name, text) in files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    crate::workload::load_all(&[root]).expect("valid workloads")
}

fn plan(workloads: Vec<Workload>, reduce_dir: Option<PathBuf>) -> Plan {
    let reduce = reduce_dir.map(|dir| ReduceOptions {
        budget: Budget { trials: 400, time: Duration::from_secs(60) },
        dir,
        only_step: None,
        total: Duration::from_secs(600),
        jobs: 1,
        protocol: crate::model::Protocol::Simple,
        link: "repros".into(),
        replay: None,
    });
    Plan {
        mode: Mode::Run,
        reference: TargetSpec::Local(None),
        candidate: TargetSpec::Local(None),
        workloads,
        expected: Vec::new(),
        expected_version: None,
        timeout: Duration::from_secs(5),
        wait_bound: Duration::from_millis(500),
        protocol: crate::model::Protocol::Simple,
        reduce,
        rules: None,
        jobs: 1,
    }
}

/// PostgreSQL-like enough for these workloads: `SELECT n` gives `n`; a table exists once
/// `CREATE TABLE` ran on the slate.
fn reference() -> FakeEngine {
    FakeEngine::new("15.0 (fake)", respond)
}

fn respond(sql: &str, before: &[String]) -> Act {
    let created = before.iter().any(|s| s.starts_with("CREATE TABLE t"));
    Act::Reply(match sql {
        s if s.starts_with("CREATE") => ok("CREATE TABLE"),
        s if (s.starts_with("INSERT INTO t") || s.contains("FROM t")) && !created => {
            error("42P01", "relation \"t\" does not exist")
        }
        s if s.starts_with("INSERT") => ok("INSERT 0 1"),
        s if s.contains("FROM t") => rows(&["1"]),
        s if s.starts_with("SELECT ") => {
            rows(&[s.trim_start_matches("SELECT ").split(',').next().unwrap_or("").trim()])
        }
        s => ok(s),
    })
}

async fn run(reference: &mut FakeEngine, candidate: &mut FakeEngine, plan: &Plan) -> Events {
    let mut events = Events::default();
    schedule(plan, Some(reference), Some(candidate), &mut events).await.expect("the run");
    events
}

#[tokio::test(start_paused = true)]
async fn every_verdict_of_the_scorecard_comes_from_the_judgement() {
    let dir = tempfile::tempdir().unwrap();
    let ws = workloads(
        dir.path(),
        &[
            ("a/same.sql", "SELECT 1;\nSELECT 2;\n"),
            (
                "a/hex.yaml",
                "feature: hex\narea: a\nsteps:\n  - sql: SELECT 0x1F\nrewrite:\n  steps:\n    - sql: SELECT 31\n",
            ),
            ("a/other.sql", "SELECT 0x1F;\n"),
            ("a/setup.yaml", "feature: setup\narea: a\nsetup: BROKEN\nsteps:\n  - sql: SELECT 1\n"),
        ],
    );
    let mut candidate = FakeEngine::new("18.0 (fake)", |sql, before| match sql {
        // The candidate reads hex literals; the reference does not.
        "SELECT 0x1F" => Act::Reply(rows(&["31"])),
        s => respond(s, before),
    });
    let mut reference = FakeEngine::new("15.0 (fake)", |sql, before| match sql {
        "SELECT 0x1F" => Act::Reply(error("42601", "trailing junk after numeric literal")),
        "BROKEN" => Act::Reply(error("42601", "syntax error")),
        s => respond(s, before),
    });
    let events = run(&mut reference, &mut candidate, &plan(ws, None)).await;
    let status: Vec<(&str, Status)> = events.results.iter().map(|r| (r.id.as_str(), r.status)).collect();
    assert_eq!(
        status,
        [
            ("a/hex", Status::Blocked),
            ("a/other", Status::Blocked),
            ("a/same", Status::Works),
            ("a/setup", Status::NotTested)
        ]
    );
    let hex = &events.results[0];
    assert!(hex.reason.as_deref().unwrap().contains("error vs success"), "{:?}", hex.reason);
    // The rewrite gives 31 on the candidate, but the reference's original failed: not the same result.
    assert!(hex.reason.as_deref().unwrap().contains("the rewrite's result differs"), "{:?}", hex.reason);
    assert!(events.results[3].reason.as_deref().unwrap().starts_with("setup fails on the reference"));
}

#[tokio::test(start_paused = true)]
async fn a_working_rewrite_is_tried_on_the_candidate_only_when_the_original_is_blocked() {
    let dir = tempfile::tempdir().unwrap();
    let yaml =
        "feature: f\narea: a\nsteps:\n  - sql: SELECT 7 FROM ONLY_REF\nrewrite:\n  steps:\n    - sql: SELECT 7\n";
    let ws = workloads(dir.path(), &[("a/rw.yaml", yaml)]);
    let mut reference = FakeEngine::new("15.0 (fake)", |sql, before| match sql {
        "SELECT 7 FROM ONLY_REF" => Act::Reply(rows(&["7"])),
        s => respond(s, before),
    });
    let mut candidate = reference_like_but(|sql| sql.contains("ONLY_REF"), error("0A000", "not supported"));
    let events = run(&mut reference, &mut candidate, &plan(ws, None)).await;
    assert_eq!(events.results[0].status, Status::WorksWithRewrite);
    assert_eq!(events.results[0].rewrite.len(), 1);
    assert!(candidate.sent().iter().any(|s| s.ends_with(": SELECT 7")), "the rewrite ran on the candidate");
}

/// The reference's behaviour, except `outcome` for the statements `differs` picks.
fn reference_like_but(differs: fn(&str) -> bool, outcome: crate::model::Outcome) -> FakeEngine {
    FakeEngine::new(
        "18.0 (fake)",
        move |sql, before| if differs(sql) { Act::Reply(outcome.clone()) } else { respond(sql, before) },
    )
}

/// Run one workload with reduction into `dir/repros`; the repro's statements as written.
async fn reduce_one(dir: &Path, file: &str, text: &str, differs: fn(&str, &[String]) -> bool) -> (Events, Vec<String>) {
    let ws = workloads(dir, &[(file, text)]);
    let repros = dir.join("repros");
    let mut reference = reference();
    let mut candidate = FakeEngine::new("18.0 (fake)", move |sql, before| {
        if differs(sql, before) {
            Act::Reply(error("XX000", "candidate bug"))
        } else {
            respond(sql, before)
        }
    });
    let events = run(&mut reference, &mut candidate, &plan(ws, Some(repros.clone()))).await;
    assert_eq!(events.repros.len(), 1, "one root cause, one repro");
    let path = dir.join(&events.repros[0].path);
    let replayed = crate::workload::load_all(&[path]).expect("the repro loads as a workload").remove(0);
    (events, replayed.steps.iter().map(|s| s.sql.clone()).collect())
}

#[tokio::test(start_paused = true)]
async fn the_statements_pass_keeps_only_what_the_mismatch_needs() {
    let dir = tempfile::tempdir().unwrap();
    // The candidate fails the last SELECT only once the table exists and a row was inserted.
    let sql = "SELECT 1;\nCREATE TABLE t (a int);\nSELECT 2;\nSELECT 3;\nINSERT INTO t VALUES (1);\nSELECT 4;\nSELECT a FROM t;\n";
    let (events, kept) = reduce_one(dir.path(), "a/chain.sql", sql, |sql, before| {
        sql == "SELECT a FROM t" && before.iter().any(|s| s.starts_with("INSERT"))
    })
    .await;
    // The syntax-tree pass may simplify the CREATE TABLE too: the fake needs only its name.
    assert_eq!(kept.len(), 3, "{kept:?}");
    assert!(kept[0].starts_with("CREATE TABLE t"), "{kept:?}");
    assert_eq!(kept[1..], ["INSERT INTO t VALUES (1)", "SELECT a FROM t"]);
    let repro = &events.repros[0];
    assert_eq!((repro.statements, repro.original_statements), (3, 7));
    assert!(repro.minimal && !repro.not_reducible);
    assert_eq!(events.results[0].repros, std::slice::from_ref(&repro.path));
}

#[tokio::test(start_paused = true)]
async fn the_rows_pass_keeps_the_one_row_that_matters() {
    let dir = tempfile::tempdir().unwrap();
    let sql = "CREATE TABLE t (a int);\nINSERT INTO t VALUES (1), (2), (7), (4), (5);\n";
    let (_, kept) =
        reduce_one(dir.path(), "a/rows.sql", sql, |sql, _| sql.starts_with("INSERT") && sql.contains('7')).await;
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert!(kept[0].starts_with("CREATE TABLE t"), "{kept:?}");
    assert_eq!(kept[1], "INSERT INTO t VALUES (7)");
}

#[tokio::test(start_paused = true)]
async fn the_columns_and_syntax_tree_passes_simplify_the_failing_statement() {
    let dir = tempfile::tempdir().unwrap();
    let sql = "SELECT 1, 2, lower('ABC') AS x, 4 WHERE true;\n";
    let (_, kept) = reduce_one(dir.path(), "a/tree.sql", sql, |sql, _| sql.contains("lower")).await;
    assert_eq!(kept.len(), 1);
    let reduced = &kept[0];
    assert!(reduced.contains("lower"), "{reduced}");
    assert!(reduced.len() < sql.trim_end_matches(";\n").len(), "simplified: {reduced}");
    assert!(!reduced.contains(", 2") && !reduced.contains("4"), "other columns dropped: {reduced}");
}

#[tokio::test(start_paused = true)]
async fn a_run_out_of_reduction_time_counts_what_it_left() {
    let dir = tempfile::tempdir().unwrap();
    let ws = workloads(dir.path(), &[("a/one.sql", "SELECT 5;\n"), ("a/two.sql", "SELECT 6;\n")]);
    let mut reference = reference();
    let mut candidate = reference_like_but(|sql| sql.starts_with("SELECT"), error("XX000", "candidate bug"));
    let mut plan = plan(ws, Some(dir.path().join("repros")));
    plan.reduce.as_mut().unwrap().total = Duration::ZERO;
    let events = run(&mut reference, &mut candidate, &plan).await;
    assert_eq!((events.repros.len(), events.skipped), (0, 1), "one root cause (same fingerprint), not reduced");
}

/// Durations (`0.3 s`) as `[duration]`: the one thing that changes from run to run.
fn redact_durations(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(" s") {
        let (head, tail) = rest.split_at(i);
        let number = head.rsplit(|c: char| !(c.is_ascii_digit() || c == '.')).next().unwrap_or("");
        if number.contains('.') && number.parse::<f64>().is_ok() {
            out.push_str(&head[..head.len() - number.len()]);
            out.push_str("[duration]");
        } else {
            out.push_str(head);
            out.push_str(" s");
        }
        rest = &tail[2..];
    }
    out.push_str(rest);
    out
}

#[tokio::test(start_paused = true)]
async fn a_whole_run_on_the_console() {
    let dir = tempfile::tempdir().unwrap();
    let ws = workloads(
        dir.path(),
        &[
            ("a/same.sql", "SELECT 1;\nSELECT 2;\n"),
            ("a/chain.sql", "CREATE TABLE t (a int);\nSELECT 3;\nINSERT INTO t VALUES (1);\nSELECT a FROM t;\n"),
            ("b/setup.yaml", "feature: setup\narea: b\nsetup: BROKEN\nsteps:\n  - sql: SELECT 1\n"),
        ],
    );
    let mut reference = FakeEngine::new("15.0 (fake)", |sql, before| match sql {
        "BROKEN" => Act::Reply(error("42601", "syntax error at or near \"BROKEN\"")),
        s => respond(s, before),
    });
    let mut candidate = reference_like_but(|sql| sql == "SELECT a FROM t", rows(&["1", "1"]));
    candidate.report_mut().events.push(crate::model::TargetEvent::CancelIgnored {
        workload: "pgparity_a_chain".into(),
        location: "workloads/a/chain.sql:2:1".into(),
    });
    // Locations relative to the folder, so the snapshot does not depend on where it is.
    let ws = ws
        .into_iter()
        .map(|mut w| {
            for s in w.setup.iter_mut().chain(w.steps.iter_mut()) {
                s.location.file = s.location.file.strip_prefix(dir.path()).unwrap().to_path_buf();
            }
            w
        })
        .collect();
    let mut console = crate::console::Console::to(Vec::new(), false);
    let plan = plan(ws, Some(dir.path().join("repros")));
    schedule(&plan, Some(&mut reference), Some(&mut candidate), &mut console).await.expect("the run");
    let text = String::from_utf8(console.into_inner()).unwrap();
    insta::assert_snapshot!(redact_durations(&text));
}

/// Workloads that take a while (`SLOW n` takes n seconds), one that hangs past the timeout, one
/// that differs, and one of two sessions.
fn jobs_workloads(dir: &Path) -> Vec<Workload> {
    let mut files: Vec<(String, String)> =
        (1..=12).map(|k| (format!("a/slow{k:02}.sql"), format!("SLOW {};\nSELECT {k};\n", 13 - k))).collect();
    files.push(("b/hang.sql".into(), "SELECT 1;\nHANG;\nSELECT 2;\n".into()));
    files.push(("b/differs.sql".into(), "SLOW 2;\nSELECT 0x1F;\n".into()));
    let two = "feature: two\narea: b\nsessions: [s1, s2]\nsteps:\n  - {session: s1, sql: SELECT 1}\n  - {session: s2, sql: SELECT 2}\n";
    files.push(("b/two.yaml".into(), two.into()));
    let refs: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    workloads(dir, &refs)
}

fn jobs_engine(version: &str, hex: crate::model::Outcome) -> FakeEngine {
    FakeEngine::new(version, move |sql, before| match sql {
        s if s.starts_with("SLOW ") => {
            let seconds = s[5..].parse().unwrap();
            Act::Slow { after: Duration::from_secs(seconds), then: ok("SELECT 1") }
        }
        "HANG" => Act::Hang,
        "SELECT 0x1F" => Act::Reply(hex.clone()),
        s => respond(s, before),
    })
}

/// A run with `jobs`: its results, the statements each side was sent, and how long it took.
async fn run_with_jobs(dir: &Path, jobs: usize) -> (Vec<WorkloadResult>, Vec<String>, Duration) {
    let mut plan = plan(jobs_workloads(dir), None);
    plan.jobs = jobs;
    plan.timeout = Duration::from_secs(15);
    let mut reference = jobs_engine("15.0 (fake)", rows(&["31"]));
    let mut candidate = jobs_engine("18.0 (fake)", error("42601", "trailing junk after numeric literal"));
    let start = tokio::time::Instant::now();
    let events = run(&mut reference, &mut candidate, &plan).await;
    let mut sent = candidate.sent();
    sent.sort();
    (events.results, sent, start.elapsed())
}

#[tokio::test(start_paused = true)]
async fn workloads_run_at_once_report_what_one_at_a_time_reports() {
    let dir = tempfile::tempdir().unwrap();
    let (one, sent_one, took_one) = run_with_jobs(dir.path(), 1).await;
    let (four, sent_four, took_four) = run_with_jobs(dir.path(), 4).await;
    let ids: Vec<&str> = four.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids[..3], ["a/slow01", "a/slow02", "a/slow03"], "input order kept");
    assert_eq!(format!("{one:?}"), format!("{four:?}"), "the same results, in the same order");
    let status = |id: &str| four.iter().find(|r| r.id == id).unwrap().status;
    assert_eq!(status("b/differs"), Status::Blocked);
    assert_eq!(status("a/slow01"), Status::Works);
    // The hanging workload timed out beside others, so it ran again alone: its statements were
    // sent twice with jobs, once without.
    let hangs = |sent: &[String]| sent.iter().filter(|s| s.ends_with(": HANG")).count();
    assert_eq!((hangs(&sent_one), hangs(&sent_four)), (1, 2));
    assert_eq!(sent_four.iter().filter(|s| s.ends_with(": SLOW 12")).count(), 1, "what went well ran once");
    // One after the other: 78 s of SLOW, 2 s, and the 15 s timeout. Four lanes overlap the
    // SLOWs (about 21 s) but the hang runs twice (about 49 s in all).
    assert!(took_one >= Duration::from_secs(95), "{took_one:?}");
    assert!(took_four < took_one * 2 / 3, "{took_four:?} vs {took_one:?}");
}

/// On a loaded machine a statement nothing blocks can outlast the wait bound once: a blocking
/// difference is confirmed by a second run, which stands when it shows none. One that shows
/// every time is reported.
#[tokio::test(start_paused = true)]
async fn a_blocking_difference_is_confirmed_by_a_second_run() {
    let dir = tempfile::tempdir().unwrap();
    let two = "feature: two\narea: b\nsessions: [s1, s2]\nsteps:\n  - {session: s1, sql: SELECT 1}\n  - {session: s2, sql: SLOWLY 2}\n  - {session: s1, sql: SELECT 3}\n";
    let ws = workloads(dir.path(), &[("t/two.yaml", two)]);
    // results.json says why it ran twice, and which run stands.
    let once = Some("the first run showed a blocking difference, the second none: the second stands".to_string());
    let every = Some("a blocking difference in both runs".to_string());
    assert_eq!(slow_on_candidate(&ws, 0).await, (Status::Works, 1, None), "nothing to confirm");
    assert_eq!(slow_on_candidate(&ws, 1).await, (Status::Works, 2, once), "once: not confirmed");
    assert_eq!(slow_on_candidate(&ws, 2).await, (Status::Blocked, 2, every), "every time: reported");
}

/// `ws` run where the candidate's first `slow_times` runs of `SLOWLY 2` outlast the wait bound:
/// the verdict, and how many times it was sent there.
async fn slow_on_candidate(ws: &[Workload], slow_times: usize) -> (Status, usize, Option<String>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let seen = std::sync::Arc::new(AtomicUsize::new(0));
    let mut reference = FakeEngine::new("15.0 (fake)", |sql, before| match sql {
        "SLOWLY 2" => Act::Reply(rows(&["2"])),
        s => respond(s, before),
    });
    let mut candidate = FakeEngine::new("15.0 (fake)", move |sql, before| match sql {
        "SLOWLY 2" if seen.fetch_add(1, Ordering::SeqCst) < slow_times => {
            Act::Slow { after: Duration::from_millis(900), then: rows(&["2"]) }
        }
        "SLOWLY 2" => Act::Reply(rows(&["2"])),
        s => respond(s, before),
    });
    let events = run(&mut reference, &mut candidate, &plan(ws.to_vec(), None)).await;
    let sent = candidate.sent().iter().filter(|s| s.ends_with(": SLOWLY 2")).count();
    let result = &events.results[0];
    (result.status, sent, result.second_run.clone())
}
