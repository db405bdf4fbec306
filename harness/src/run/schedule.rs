//! The steps of a multi-session workload as a schedule with blocking detection that works on
//! any candidate: each step runs as a task on its session's connection; a step still running
//! after the wait bound is *waiting*, and the schedule goes on with the other sessions. When a
//! later step completes, a waiting step that completes right after it (within the bound) was
//! released by it. A step whose session is due again is waited for; a step still waiting when
//! the steps run out is cancelled. Nothing here asks the server about locks: the verdict rests
//! on what a client sees.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::record::{Limits, Script};
use crate::engine::{Cancel, Connection, Engine, Raw, Request};
use crate::model::{Fault, Outcome, Step, Wait};

/// A session between steps, or running one that has waited past the bound.
enum Slot<E: Engine> {
    Idle(E::Conn),
    Waiting { index: usize, handle: JoinHandle<(E::Conn, Raw<E>)>, cancel: <E::Conn as Connection>::Cancel },
}

/// Run one statement on its own task, so the schedule can go on while it waits.
fn spawn<E: Engine>(mut session: E::Conn, request: Request<E>, timeout: Duration) -> JoinHandle<(E::Conn, Raw<E>)> {
    tokio::spawn(async move {
        let raw = session.send(&request, timeout).await;
        (session, raw)
    })
}

/// The schedule of one workload on one engine: the sessions, and each step's outcome so far.
struct Schedule<'e, 's, E: Engine> {
    engine: &'e mut E,
    steps: &'s [Step],
    bound: Duration,
    slots: BTreeMap<String, Slot<E>>,
    outcomes: Vec<Option<Outcome>>,
}

/// Run the script's steps on their sessions (`first` is the first session's connection,
/// already on the slate); push one outcome per step to `out`, in step order. Returns the first
/// session.
pub(super) async fn record_schedule<E: Engine>(
    engine: &mut E,
    first: E::Conn,
    script: Script<'_>,
    limits: Limits,
    out: &mut Vec<Outcome>,
) -> E::Conn {
    let (steps, sessions) = (script.steps, script.sessions);
    let mut s =
        Schedule { engine, steps, bound: limits.wait_bound, slots: BTreeMap::new(), outcomes: vec![None; steps.len()] };
    s.slots.insert(sessions[0].clone(), Slot::Idle(first));
    // Every client connects before the first step, as PostgreSQL's isolationtester connects
    // them: on a target where a connection waits while another client's transaction is open
    // (PGlite sharing one session), what waits is then a step. A client turned away says so
    // at its first step.
    let mut refused: BTreeMap<String, String> = BTreeMap::new();
    for who in sessions.iter().skip(1).filter(|who| steps.iter().any(|st| st.session.as_ref() == Some(*who))) {
        match s.engine.open_extra().await {
            Ok(c) => {
                s.slots.insert(who.clone(), Slot::Idle(c));
            }
            Err(e) => {
                refused.insert(who.clone(), e);
            }
        }
    }
    for (index, step) in steps.iter().enumerate() {
        let who = step.session.clone().unwrap_or_else(|| sessions[0].clone());
        let session = match s.slots.remove(&who) {
            Some(Slot::Idle(c)) => c,
            // Its session still runs an earlier step: that one finishes first (or times out).
            Some(Slot::Waiting { index: earlier, handle, .. }) => {
                let joined = handle.await.expect("a statement task does not panic");
                let c = s.complete(earlier, joined, Wait::Finished).await;
                s.release(earlier).await;
                c
            }
            None => {
                let opened = match refused.remove(&who) {
                    Some(e) => Err(e),
                    None => s.engine.open_extra().await,
                };
                match opened {
                    Ok(c) => c,
                    Err(e) => {
                        s.outcomes[index] = Some(Outcome::faulted(Fault::Refused(e)));
                        continue;
                    }
                }
            }
        };
        let cancel = session.canceller();
        let request = s.engine.request(step).await;
        let mut handle = spawn::<E>(session, request, limits.timeout);
        match tokio::time::timeout(s.bound, &mut handle).await {
            Ok(joined) => {
                let (mut c, raw) = joined.expect("a statement task does not panic");
                s.outcomes[index] = Some(s.engine.settle(step, raw, &mut c).await);
                s.slots.insert(who, Slot::Idle(c));
                s.release(index).await;
            }
            Err(_) => {
                s.slots.insert(who, Slot::Waiting { index, handle, cancel });
            }
        }
    }
    // Steps still waiting: a last chance within the bound, then cancelled.
    let waiting: Vec<String> =
        s.slots.iter().filter(|(_, slot)| matches!(slot, Slot::Waiting { .. })).map(|(k, _)| k.clone()).collect();
    for who in waiting {
        // An earlier completion may have released it meanwhile: then it stays as it is.
        let Some(Slot::Waiting { index, mut handle, cancel }) = s.take_waiting(&who) else { continue };
        let (joined, how) = match tokio::time::timeout(s.bound, &mut handle).await {
            Ok(joined) => (joined, Wait::Finished),
            Err(_) => {
                cancel.cancel().await;
                (handle.await, Wait::Cancelled)
            }
        };
        let joined = joined.expect("a statement task does not panic");
        let c = s.complete(index, joined, how).await;
        s.slots.insert(who, Slot::Idle(c));
        s.release(index).await;
    }
    out.extend(s.outcomes.into_iter().map(|o| o.unwrap_or_else(|| Outcome::faulted(Fault::NotRun))));
    let mut first = None;
    for (who, slot) in s.slots {
        if let Slot::Idle(c) = slot {
            if who == sessions[0] {
                first = Some(c);
            } else {
                c.close().await;
            }
        }
    }
    first.expect("the first session is idle at the end")
}

impl<E: Engine> Schedule<'_, '_, E> {
    /// The slot of `who` if it is still waiting (taken out), else `None` (left as it is).
    fn take_waiting(&mut self, who: &str) -> Option<Slot<E>> {
        if matches!(self.slots.get(who), Some(Slot::Waiting { .. })) {
            self.slots.remove(who)
        } else {
            None
        }
    }

    /// Record a step that waited, now that its task has ended, and how its wait ended.
    async fn complete(&mut self, index: usize, (mut c, raw): (E::Conn, Raw<E>), how: Wait) -> E::Conn {
        let mut outcome = self.engine.settle(&self.steps[index], raw, &mut c).await;
        outcome.wait = Some(how);
        self.outcomes[index] = Some(outcome);
        c
    }

    /// Step `done` just completed: every waiting step that now completes within the bound was
    /// released by it — and may release others in turn.
    async fn release(&mut self, done: usize) {
        let mut completed = vec![done];
        while let Some(by) = completed.pop() {
            let mut waiting: Vec<(usize, String)> = self
                .slots
                .iter()
                .filter_map(|(k, s)| match s {
                    Slot::Waiting { index, .. } => Some((*index, k.clone())),
                    Slot::Idle(_) => None,
                })
                .collect();
            waiting.sort();
            for (_, who) in waiting {
                let Some(Slot::Waiting { index, mut handle, cancel }) = self.take_waiting(&who) else { continue };
                match tokio::time::timeout(self.bound, &mut handle).await {
                    Ok(joined) => {
                        let joined = joined.expect("a statement task does not panic");
                        let c = self.complete(index, joined, Wait::Released { by: by + 1 }).await;
                        self.slots.insert(who, Slot::Idle(c));
                        completed.push(index);
                    }
                    Err(_) => {
                        self.slots.insert(who, Slot::Waiting { index, handle, cancel });
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::engine::fake::{error, ok, Act, FakeEngine};
    use crate::model::{Fault, Location, Order, Outcome, Step, Wait};
    use crate::run::{record, Limits, Script};

    const LIMITS: Limits = Limits { timeout: Duration::from_secs(30), wait_bound: Duration::from_millis(500) };

    /// `(session, sql)` steps.
    fn steps(list: &[(&str, &str)]) -> Vec<Step> {
        list.iter()
            .enumerate()
            .map(|(i, (session, sql))| {
                let location = Location { file: "w.yaml".into(), line: i + 1, column: 1 };
                Step {
                    session: Some(session.to_string()),
                    ..crate::workload::step(sql.to_string(), Order::Auto, location)
                }
            })
            .collect()
    }

    async fn run(engine: &mut FakeEngine, list: &[(&str, &str)]) -> Vec<Outcome> {
        let steps = steps(list);
        let sessions = vec!["a".to_string(), "b".to_string()];
        let script = Script { setup: &[], steps: &steps, sessions: &sessions };
        record(engine, "w", None, script, LIMITS).await.expect("a slate").steps
    }

    /// Locks as the fake's script: `LOCK x` by one session makes another's `WAIT x` wait for
    /// `COMMIT`; `SLOW` runs 1.2 s; `HANG` never ends on its own.
    fn locks() -> FakeEngine {
        FakeEngine::new("fake 1", |sql, _| match sql {
            s if s.starts_with("WAIT") => Act::WaitFor { sql: "COMMIT".into(), then: ok("UPDATE 1") },
            "SLOW" => Act::Slow { after: Duration::from_millis(1200), then: error("40P01", "deadlock detected") },
            "HANG" => Act::Hang,
            s => Act::Reply(ok(s)),
        })
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiting_step_is_released_by_the_step_it_waited_for() {
        let out = run(&mut locks(), &[("a", "BEGIN"), ("a", "LOCK x"), ("b", "WAIT x"), ("a", "COMMIT")]).await;
        assert_eq!(out[2].wait, Some(Wait::Released { by: 4 }));
        assert_eq!(out[2].tag.as_deref(), Some("UPDATE 1"));
        assert_eq!(out[3].wait, None, "the releasing step did not wait");
        assert!(out[..2].iter().all(|o| o.wait.is_none()));
    }

    #[tokio::test(start_paused = true)]
    async fn a_step_that_ends_on_its_own_finished_and_releases_the_next() {
        // a's SLOW waits past the bound, then ends (a deadlock victim); b's wait ends with it.
        let mut engine = FakeEngine::new("fake 1", |sql, _| match sql {
            "SLOW" => Act::Slow { after: Duration::from_millis(1200), then: error("40P01", "deadlock detected") },
            "WAIT" => Act::WaitFor { sql: "SLOW".into(), then: ok("UPDATE 1") },
            s => Act::Reply(ok(s)),
        });
        let out = run(&mut engine, &[("a", "BEGIN"), ("a", "SLOW"), ("b", "WAIT")]).await;
        assert_eq!(out[1].wait, Some(Wait::Finished));
        assert_eq!(out[1].error.as_ref().map(|e| e.code.as_str()), Some("40P01"));
        assert_eq!(out[2].wait, Some(Wait::Released { by: 2 }));
    }

    #[tokio::test(start_paused = true)]
    async fn a_session_due_again_waits_for_its_running_step() {
        let out = run(&mut locks(), &[("a", "SLOW"), ("b", "SELECT 1"), ("a", "SELECT 2")]).await;
        assert_eq!(out[0].wait, Some(Wait::Finished));
        assert_eq!(out[1].wait, None);
        assert_eq!(out[2].tag.as_deref(), Some("SELECT 2"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_step_still_waiting_at_the_end_is_cancelled() {
        let out = run(&mut locks(), &[("a", "BEGIN"), ("b", "HANG"), ("a", "SELECT 1")]).await;
        assert_eq!(out[1].wait, Some(Wait::Cancelled));
        assert_eq!(out[1].error.as_ref().map(|e| e.code.as_str()), Some("57014"));
        assert_eq!(out[2].wait, None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_session_that_cannot_connect_is_a_refused_fault_and_the_rest_runs() {
        let mut engine = locks();
        engine.refuse_extra = true;
        let out = run(&mut engine, &[("a", "BEGIN"), ("b", "SELECT 1"), ("a", "COMMIT")]).await;
        assert!(matches!(out[1].fault, Some(Fault::Refused(_))), "{:?}", out[1]);
        assert_eq!(out[2].tag.as_deref(), Some("COMMIT"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_one_connection_engine_runs_every_session_on_one_in_order() {
        let mut engine = locks().one_connection();
        let out = run(&mut engine, &[("a", "BEGIN"), ("b", "SELECT 1"), ("a", "COMMIT")]).await;
        assert!(out.iter().all(|o| o.wait.is_none() && o.fault.is_none()));
        let sent: Vec<String> = engine.sent();
        assert_eq!(sent, ["w: BEGIN", "w: SELECT 1", "w: COMMIT"]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_statement_past_the_timeout_is_a_timeout_fault() {
        let steps = steps(&[("a", "HANG")]);
        let script = Script { setup: &[], steps: &steps, sessions: &[] };
        let limits = Limits { timeout: Duration::from_secs(2), ..LIMITS };
        let out = record(&mut locks(), "w", None, script, limits).await.expect("a slate").steps;
        assert_eq!(out[0].fault, Some(Fault::Timeout));
    }
}
