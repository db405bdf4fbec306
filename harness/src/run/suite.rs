//! A pg_regress suite on one engine, as pg_regress runs it: one database for the whole suite
//! (opened before its first group, dropped after its last), and the tests of a group at once,
//! each on a connection of its own; groups in order. A group's statements go out as soon as
//! their test's previous one is settled, whichever test that is.

use tokio::task::JoinSet;

use super::record::{after_run, as_run, gexec, reconnects, run_one, Limits};
use crate::engine::{Beside, Connection, Engine};
use crate::model::{slate_name, Outcome, Recording, Step, Workload};
use crate::workload::psql::Vars;

/// A suite's database on one engine, and the connection that holds it open between groups.
pub(super) struct OpenSuite<C> {
    pub suite: String,
    pub anchor: C,
}

/// Open suite `suite`'s database: alone on the server when any of its tests touches what all
/// databases share (cleaned up after the suite, as after a workload).
pub(super) async fn open<E: Engine>(engine: &mut E, suite: &str, alone: bool) -> Result<OpenSuite<E::Conn>, String> {
    let beside = if alone { Beside::Alone } else { Beside::Next(None) };
    let anchor = engine.open(&slate_name(suite), beside).await?;
    Ok(OpenSuite { suite: suite.to_string(), anchor })
}

/// Record one group's tests at once on the open suite (each its own connection; on a
/// one-connection engine, one after the other on the suite's). Err for a test: no connection.
pub(super) async fn record_group<E: Engine>(
    engine: &mut E,
    open: &mut OpenSuite<E::Conn>,
    tests: &[&Workload],
    limits: Limits,
) -> Vec<Result<Recording, String>> {
    let steps: Vec<Vec<&Step>> = tests.iter().map(|w| w.setup.iter().chain(&w.steps).collect()).collect();
    let setup: Vec<usize> = tests.iter().map(|w| w.setup.len()).collect();
    let mut results: Vec<Result<Recording, String>> = Vec::with_capacity(tests.len());
    if engine.single() {
        for (t, list) in steps.iter().enumerate() {
            let (mut rec, mut vars) = (Recording::default(), Vars::new());
            for (k, step) in list.iter().enumerate() {
                let outcome = run_one(engine, &mut open.anchor, step, limits.timeout, &mut vars).await;
                push(&mut rec, k < setup[t], outcome);
            }
            results.push(Ok(rec));
        }
        return results;
    }
    let mut idle: Vec<Option<E::Conn>> = Vec::with_capacity(tests.len());
    for _ in tests {
        match engine.open_extra().await {
            Ok(c) => {
                idle.push(Some(c));
                results.push(Ok(Recording::default()));
            }
            Err(e) => {
                idle.push(None);
                results.push(Err(e));
            }
        }
    }
    let mut next = vec![0usize; tests.len()];
    let mut vars = vec![Vars::new(); tests.len()];
    let mut running = JoinSet::new();
    loop {
        for t in 0..tests.len() {
            while let Some(conn) = idle[t].take() {
                let Some(step) = steps[t].get(next[t]) else {
                    idle[t] = Some(conn);
                    break;
                };
                if reconnects(step, &vars[t]) {
                    let outcome = match engine.open_extra().await {
                        Ok(new) => {
                            conn.close().await;
                            idle[t] = Some(new);
                            Outcome::default()
                        }
                        Err(e) => {
                            idle[t] = Some(conn);
                            Outcome::faulted(crate::model::Fault::Refused(e))
                        }
                    };
                    if let Ok(rec) = &mut results[t] {
                        push(rec, next[t] < setup[t], outcome);
                    }
                    next[t] += 1;
                    continue;
                }
                let Some(step) = as_run(step, &vars[t]) else {
                    // Sends nothing: the same empty outcome on every side.
                    if let Ok(rec) = &mut results[t] {
                        push(rec, next[t] < setup[t], Outcome::default());
                    }
                    next[t] += 1;
                    idle[t] = Some(conn);
                    continue;
                };
                let request = engine.request(&step).await;
                let timeout = limits.timeout;
                let mut conn = conn;
                running.spawn(async move {
                    let raw = conn.send(&request, timeout).await;
                    (t, conn, raw)
                });
            }
        }
        let Some(joined) = running.join_next().await else { break };
        let (t, mut conn, raw) = joined.expect("a statement task does not panic");
        let step = as_run(steps[t][next[t]], &vars[t]).expect("it was sent");
        let mut outcome = engine.settle(&step, raw, &mut conn).await;
        if step.runtime.as_ref().is_some_and(|r| r.gexec) {
            outcome = gexec(engine, &mut conn, &step, outcome, limits.timeout).await;
        }
        after_run(&step, &mut outcome, &mut vars[t]);
        if let Ok(rec) = &mut results[t] {
            push(rec, next[t] < setup[t], outcome);
        }
        next[t] += 1;
        idle[t] = Some(conn);
    }
    for conn in idle.into_iter().flatten() {
        conn.close().await;
    }
    results
}

fn push(rec: &mut Recording, setup: bool, outcome: Outcome) {
    if setup {
        rec.setup.push(outcome);
    } else {
        rec.steps.push(outcome);
    }
}

/// A group on one side (`None`: this mode does not run that side): the suite's database opened
/// first if it is not (another suite's closed), and dropped after the suite's `last` group.
pub(super) async fn group_on<E: Engine>(
    engine: Option<&mut E>,
    open: &mut Option<OpenSuite<E::Conn>>,
    suite: &str,
    alone: bool,
    last: bool,
    tests: &[&Workload],
    limits: Limits,
) -> Option<Vec<Result<Recording, String>>> {
    let engine = engine?;
    if open.as_ref().is_some_and(|o| o.suite != suite) {
        close(engine, open.take().expect("checked")).await;
    }
    let mut current = match open.take() {
        // A server that stopped during an earlier group is started again first, as pg_regress
        // goes on after a crash once the server is back; the suite's database is still there.
        // If it cannot be reached now, this group's tests say why, and the suite stays open for
        // the next group to try again (and to be dropped after the last).
        Some(o) if engine.revive().await => match engine.open_extra().await {
            Ok(anchor) => OpenSuite { anchor, ..o },
            Err(e) => {
                if last {
                    close(engine, o).await;
                } else {
                    *open = Some(o);
                }
                return Some(tests.iter().map(|_| Err(e.clone())).collect());
            }
        },
        Some(o) => o,
        None => match self::open(engine, suite, alone).await {
            Ok(o) => o,
            Err(e) => return Some(tests.iter().map(|_| Err(e.clone())).collect()),
        },
    };
    let recs = record_group(engine, &mut current, tests, limits).await;
    if last {
        close(engine, current).await;
    } else {
        *open = Some(current);
    }
    Some(recs)
}

/// After a suite's last group: its database dropped (and, when it ran alone, what it made that
/// all databases share).
pub(super) async fn close<E: Engine>(engine: &mut E, open: OpenSuite<E::Conn>) {
    engine.close(open.anchor).await;
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::engine::fake::{ok, Act, FakeEngine};
    use crate::model::{Location, Order, SuitePlace};

    fn test(id: &str, statements: &[&str]) -> Workload {
        let steps = statements
            .iter()
            .enumerate()
            .map(|(i, sql)| {
                let location = Location { file: format!("{id}.sql").into(), line: i + 1, column: 1 };
                crate::workload::step(sql.to_string(), Order::Auto, location)
            })
            .collect();
        let place = Some(SuitePlace { suite: "s".into(), group: 1 });
        let path = std::path::PathBuf::from(format!("{id}.sql"));
        Workload { steps, suite: place, ..Workload::new(&path, id, id.into(), "s".into()) }
    }

    #[tokio::test(start_paused = true)]
    async fn the_tests_of_a_group_run_at_once_each_on_its_connection() {
        // `SLOW` takes a second: two tests of three statements each, one slow, end in about a
        // second when they run at once.
        let mut engine = FakeEngine::new("fake 1", |sql, _| match sql {
            "SLOW" => Act::Slow { after: Duration::from_secs(1), then: ok("SELECT 1") },
            s => Act::Reply(ok(s)),
        });
        let limits = Limits { timeout: Duration::from_secs(30), wait_bound: Duration::from_millis(500) };
        let (a, b) = (test("s/a", &["SLOW", "A2", "A3"]), test("s/b", &["SLOW", "B2", "B3"]));
        let mut open = open(&mut engine, "s", false).await.unwrap();
        let started = tokio::time::Instant::now();
        let recs = record_group(&mut engine, &mut open, &[&a, &b], limits).await;
        assert!(started.elapsed() < Duration::from_millis(1500), "{:?}", started.elapsed());
        let tags = |r: &Result<Recording, String>| -> Vec<String> {
            r.as_ref().unwrap().steps.iter().map(|o| o.tag.clone().unwrap_or_default()).collect()
        };
        assert_eq!(tags(&recs[0]), ["SELECT 1", "A2", "A3"]);
        assert_eq!(tags(&recs[1]), ["SELECT 1", "B2", "B3"]);
        close(&mut engine, open).await;
    }

    /// The server restarted between groups and the suite's database cannot be reached yet: that
    /// group's tests say why, and the next group goes on in the same database (it sees what the
    /// first made), not a new one.
    #[tokio::test(start_paused = true)]
    async fn a_suite_unreachable_after_a_restart_goes_on_in_its_own_database() {
        // Each statement answers with how many the suite's database has run before it.
        let mut engine =
            FakeEngine::new("fake 1", |sql, before| Act::Reply(ok(&format!("{sql} after {}", before.len()))));
        let limits = Limits { timeout: Duration::from_secs(30), wait_bound: Duration::from_millis(500) };
        let (one, two, three) = (test("s/one", &["A"]), test("s/two", &["B"]), test("s/three", &["C"]));
        let mut open = None;
        let mut group = async |engine: &mut FakeEngine, w: &Workload, last: bool| {
            group_on(Some(engine), &mut open, "s", false, last, &[w], limits).await.expect("this side runs")
        };
        let tag = |r: &Result<Recording, String>| r.clone().map(|r| r.steps[0].tag.clone().unwrap_or_default());
        assert_eq!(tag(&group(&mut engine, &one, false).await[0]), Ok("A after 0".into()));
        engine.restarts = 1;
        engine.refuse_extra = true;
        let refused = group(&mut engine, &two, false).await;
        assert!(refused[0].as_ref().is_err_and(|e| e.contains("too many clients")), "{refused:?}");
        engine.refuse_extra = false;
        assert_eq!(tag(&group(&mut engine, &three, true).await[0]), Ok("C after 1".into()));
        assert!(open.is_none(), "closed after the last group");
    }
}
