//! Recording a workload's statements on any engine: setup, then the steps — on one session, or
//! as a multi-session schedule (`schedule.rs`) — each settled into an outcome.

use std::time::Duration;

use super::schedule::record_schedule;
use crate::engine::{Beside, Connection, Engine};
use crate::model::{Recording, Step};

/// The default wait bound: short, but far above what an unblocked statement of a schedule
/// takes on a loaded 2-core machine.
pub const WAIT_BOUND: Duration = Duration::from_millis(500);

/// What one recording runs: setup on the first session, then the steps on their sessions.
#[derive(Clone, Copy)]
pub struct Script<'a> {
    pub setup: &'a [Step],
    pub steps: &'a [Step],
    /// Named sessions; empty (or one) for a single session.
    pub sessions: &'a [String],
}

/// How long a statement may run, and how long before it counts as waiting.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub timeout: Duration,
    /// In a multi-session workload, a statement still running after this long is waiting.
    pub wait_bound: Duration,
}

/// Run `script` on a clean slate named `name` (`next`: the slate the following workload will
/// use). Err: the engine could not give this workload a slate or a connection.
pub async fn record<E: Engine>(
    engine: &mut E,
    name: &str,
    next: Option<&str>,
    script: Script<'_>,
    limits: Limits,
) -> Result<Recording, String> {
    // A script that touches what all databases share runs alone on the server.
    let shared = crate::workload::shared::any_shared(script.setup.iter().chain(script.steps));
    let beside = if shared { Beside::Alone } else { Beside::Next(next) };
    let mut session = engine.open(name, beside).await?;
    let mut rec = Recording::default();
    // The steps run as a schedule when several sessions make one (a one-connection engine has
    // one session for all of them, as it really does).
    let schedule = script.sessions.len() > 1 && !engine.single();
    for step in script.setup {
        rec.setup.push(run_one(engine, &mut session, step, limits.timeout).await);
    }
    if schedule {
        session = record_schedule(engine, session, script, limits, &mut rec.steps).await;
    } else {
        for step in script.steps {
            rec.steps.push(run_one(engine, &mut session, step, limits.timeout).await);
        }
    }
    engine.close(session).await;
    Ok(rec)
}

/// One statement on `session`, settled.
pub(super) async fn run_one<E: Engine>(
    engine: &mut E,
    session: &mut E::Conn,
    step: &Step,
    timeout: Duration,
) -> crate::model::Outcome {
    if step.psql_only {
        // Sends nothing: the same empty outcome on every side.
        return crate::model::Outcome::default();
    }
    let request = engine.request(step).await;
    let raw = session.send(&request, timeout).await;
    engine.settle(step, raw, session).await
}
