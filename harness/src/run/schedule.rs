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
            None => match s.engine.open_extra().await {
                Ok(c) => c,
                Err(e) => {
                    s.outcomes[index] = Some(Outcome::faulted(Fault::Refused(e)));
                    continue;
                }
            },
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
