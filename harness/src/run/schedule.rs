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

use super::live::Live;
use super::request::Request;
use super::slate::Slate;
use crate::model::Step;
use crate::model::{Fault, Outcome, Wait};
use crate::wire::{Canceller, Response, Session};

/// A session between steps, or running one that has waited past the bound.
enum Slot {
    Idle(Session),
    Waiting { index: usize, handle: JoinHandle<(Session, Response)>, cancel: Canceller },
}

/// Run one statement on its own task, so the schedule can go on while it waits.
fn spawn(mut session: Session, request: Request, timeout: Duration) -> JoinHandle<(Session, Response)> {
    tokio::spawn(async move {
        let resp = request.send(&mut session, timeout).await;
        (session, resp)
    })
}

impl Live {
    /// Run `steps` on their sessions (`first` is the first session's connection, already on the
    /// slate); push one outcome per step to `out`, in step order. Returns the first session.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn record_schedule(
        &mut self,
        name: &str,
        first: Session,
        slate: &Slate,
        steps: &[Step],
        sessions: &[String],
        timeout: Duration,
        meta: &mut Option<Session>,
        out: &mut Vec<Outcome>,
    ) -> Session {
        let bound = self.wait_bound;
        let mut slots: BTreeMap<String, Slot> = BTreeMap::new();
        slots.insert(sessions[0].clone(), Slot::Idle(first));
        let mut outcomes: Vec<Option<Outcome>> = vec![None; steps.len()];
        for (index, step) in steps.iter().enumerate() {
            let who = step.session.clone().unwrap_or_else(|| sessions[0].clone());
            let session = match slots.remove(&who) {
                Some(Slot::Idle(s)) => s,
                // Its session still runs an earlier step: that one finishes first (or times out).
                Some(Slot::Waiting { index: earlier, handle, .. }) => {
                    let joined = handle.await.expect("a statement task does not panic");
                    let how = Wait::Finished;
                    let s = self.complete(name, steps, slate, meta, earlier, joined, how, &mut outcomes).await;
                    self.release(name, steps, slate, meta, earlier, &mut slots, &mut outcomes).await;
                    s
                }
                None => match self.open_extra(slate).await {
                    Ok(s) => s,
                    Err(e) => {
                        outcomes[index] = Some(Outcome::faulted(Fault::Refused(e)));
                        continue;
                    }
                },
            };
            let cancel = session.canceller();
            let request = self.request(step).await;
            let mut handle = spawn(session, request, timeout);
            match tokio::time::timeout(bound, &mut handle).await {
                Ok(joined) => {
                    let (mut s, resp) = joined.expect("a statement task does not panic");
                    outcomes[index] = Some(self.settle(name, step, resp, &mut s, slate, meta).await);
                    slots.insert(who, Slot::Idle(s));
                    self.release(name, steps, slate, meta, index, &mut slots, &mut outcomes).await;
                }
                Err(_) => {
                    slots.insert(who, Slot::Waiting { index, handle, cancel });
                }
            }
        }
        // Steps still waiting: a last chance within the bound, then cancelled.
        let waiting: Vec<String> =
            slots.iter().filter(|(_, s)| matches!(s, Slot::Waiting { .. })).map(|(k, _)| k.clone()).collect();
        for who in waiting {
            // An earlier completion may have released it meanwhile: then it stays as it is.
            if !matches!(slots.get(&who), Some(Slot::Waiting { .. })) {
                continue;
            }
            let Some(Slot::Waiting { index, mut handle, cancel }) = slots.remove(&who) else { continue };
            let (joined, how) = match tokio::time::timeout(bound, &mut handle).await {
                Ok(joined) => (joined, Wait::Finished),
                Err(_) => {
                    let _ = cancel.cancel().await;
                    (handle.await, Wait::Cancelled)
                }
            };
            let joined = joined.expect("a statement task does not panic");
            let s = self.complete(name, steps, slate, meta, index, joined, how, &mut outcomes).await;
            slots.insert(who, Slot::Idle(s));
            self.release(name, steps, slate, meta, index, &mut slots, &mut outcomes).await;
        }
        out.extend(outcomes.into_iter().map(|o| o.unwrap_or_else(|| Outcome::faulted(Fault::NotRun))));
        let mut first = None;
        for (who, slot) in slots {
            if let Slot::Idle(s) = slot {
                if who == sessions[0] {
                    first = Some(s);
                } else {
                    s.close().await;
                }
            }
        }
        first.expect("the first session is idle at the end")
    }

    /// Record a step that waited, now that its task has ended, and how its wait ended.
    #[allow(clippy::too_many_arguments)]
    async fn complete(
        &mut self,
        name: &str,
        steps: &[Step],
        slate: &Slate,
        meta: &mut Option<Session>,
        index: usize,
        (mut s, resp): (Session, Response),
        how: Wait,
        outcomes: &mut [Option<Outcome>],
    ) -> Session {
        let mut outcome = self.settle(name, &steps[index], resp, &mut s, slate, meta).await;
        outcome.wait = Some(how);
        outcomes[index] = Some(outcome);
        s
    }

    /// Step `done` just completed: every waiting step that now completes within the bound was
    /// released by it — and may release others in turn.
    #[allow(clippy::too_many_arguments)]
    async fn release(
        &mut self,
        name: &str,
        steps: &[Step],
        slate: &Slate,
        meta: &mut Option<Session>,
        done: usize,
        slots: &mut BTreeMap<String, Slot>,
        outcomes: &mut [Option<Outcome>],
    ) {
        let mut completed = vec![done];
        while let Some(by) = completed.pop() {
            let mut waiting: Vec<(usize, String)> = slots
                .iter()
                .filter_map(|(k, s)| match s {
                    Slot::Waiting { index, .. } => Some((*index, k.clone())),
                    Slot::Idle(_) => None,
                })
                .collect();
            waiting.sort();
            for (_, who) in waiting {
                // An earlier completion may have released it meanwhile: then it stays as it is.
                if !matches!(slots.get(&who), Some(Slot::Waiting { .. })) {
                    continue;
                }
                let Some(Slot::Waiting { index, mut handle, cancel }) = slots.remove(&who) else { continue };
                match tokio::time::timeout(self.wait_bound, &mut handle).await {
                    Ok(joined) => {
                        let joined = joined.expect("a statement task does not panic");
                        let how = Wait::Released { by: by + 1 };
                        let s = self.complete(name, steps, slate, meta, index, joined, how, outcomes).await;
                        slots.insert(who, Slot::Idle(s));
                        completed.push(index);
                    }
                    Err(_) => {
                        slots.insert(who, Slot::Waiting { index, handle, cancel });
                    }
                }
            }
        }
    }
}
