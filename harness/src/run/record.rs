//! Recording a workload's statements on any engine: setup, then the steps — on one session, or
//! as a multi-session schedule (`schedule.rs`) — each settled into an outcome.

use std::time::Duration;

use super::schedule::record_schedule;
use crate::engine::{Beside, Connection, Engine};
use std::borrow::Cow;

use crate::model::{Outcome, Recording, Step};
use crate::workload::psql::{self, Vars};

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
    // The steps run as a schedule when several sessions make one, each session a client of its
    // own — on a one-connection target too: what a second client sees there (refused, or kept
    // waiting) is what its users' second client sees.
    let schedule = script.sessions.len() > 1;
    let mut vars = Vars::new();
    for step in script.setup {
        rec.setup.push(run_one(engine, &mut session, step, limits.timeout, &mut vars).await);
    }
    if schedule {
        session = record_schedule(engine, session, script, limits, &mut rec.steps).await;
    } else {
        for step in script.steps {
            rec.steps.push(run_one(engine, &mut session, step, limits.timeout, &mut vars).await);
        }
    }
    engine.close(session).await;
    Ok(rec)
}

/// One statement on `session`, settled; `vars`: what `\gset` set so far in this script on this
/// side.
pub(super) async fn run_one<E: Engine>(
    engine: &mut E,
    session: &mut E::Conn,
    step: &Step,
    timeout: Duration,
    vars: &mut Vars,
) -> Outcome {
    if reconnects(step, vars) {
        return match engine.open_extra().await {
            Ok(new) => {
                std::mem::replace(session, new).close().await;
                Outcome::default()
            }
            Err(e) => Outcome::faulted(crate::model::Fault::Refused(e)),
        };
    }
    let Some(step) = as_run(step, vars) else {
        // Sends nothing: the same empty outcome on every side.
        return Outcome::default();
    };
    let request = engine.request(&step).await;
    let raw = session.send(&request, timeout).await;
    let mut outcome = engine.settle(&step, raw, session).await;
    if step.runtime.as_ref().is_some_and(|r| r.gexec) {
        outcome = gexec(engine, session, &step, outcome, timeout).await;
    }
    after_run(&step, &mut outcome, vars);
    outcome
}

/// psql's `\\gexec` after `step` gave `outcome`: each non-null value of the result, row by row
/// and left to right, sent as a statement of its own. The step's outcome lists each with its
/// own outcome, as psql prints them (the rows of one without ORDER BY sorted: a multiset).
pub(super) async fn gexec<E: Engine>(
    engine: &mut E,
    session: &mut E::Conn,
    step: &Step,
    mut outcome: Outcome,
    timeout: Duration,
) -> Outcome {
    if outcome.error.is_some() || outcome.fault.is_some() {
        return outcome;
    }
    let statements: Vec<String> = outcome.rows.iter().flatten().flatten().cloned().collect();
    let mut rows = Vec::with_capacity(statements.len());
    for sql in statements {
        let mut sub = crate::workload::edited(step, sql.clone());
        sub.runtime = None;
        let request = engine.request(&sub).await;
        let raw = session.send(&request, timeout).await;
        let mut done = engine.settle(&sub, raw, session).await;
        if !sub.ordered() {
            done.rows.sort();
        }
        outcome.status = done.status;
        rows.push(vec![Some(sql), Some(crate::render::outcome(&done))]);
    }
    let text = |name: &str| crate::model::Column { name: name.into(), type_name: "text".into(), typmod: -1 };
    outcome.columns = Some(vec![text("statement"), text("outcome")]);
    outcome.rows = rows;
    outcome
}

/// Is this psql's `\\c` (and does it run here)? The session is then replaced by a new
/// connection to the same slate.
pub(super) fn reconnects(step: &Step, vars: &Vars) -> bool {
    step.runtime.as_ref().is_some_and(|r| r.reconnect && psql::holds(&r.guards, vars))
}

/// The step as it is sent now: its holes filled from `vars`; `None` when nothing is sent (a
/// psql command, or a statement whose `\if` does not hold on this side).
pub(super) fn as_run<'s>(step: &'s Step, vars: &Vars) -> Option<Cow<'s, Step>> {
    if step.psql_only {
        return None;
    }
    let Some(runtime) = &step.runtime else { return Some(Cow::Borrowed(step)) };
    if !psql::holds(&runtime.guards, vars) {
        return None;
    }
    if runtime.holes.is_empty() {
        return Some(Cow::Borrowed(step));
    }
    Some(Cow::Owned(crate::workload::edited(step, psql::instantiate(&step.sql, &runtime.holes, vars))))
}

/// After a step ran: the variables its `\gset` sets. psql prints none of its values (they go
/// into the variables, and show in the statements that use them): each becomes the name of the
/// variable it set (`:prefixcolumn`; a NULL, which unsets it, stays NULL).
pub(super) fn after_run(step: &Step, outcome: &mut Outcome, vars: &mut Vars) {
    if let Some(prefix) = step.runtime.as_ref().and_then(|r| r.gset.as_ref()) {
        let columns: Vec<String> = outcome.columns.iter().flatten().map(|c| c.name.clone()).collect();
        psql::gset(prefix, &columns, &outcome.rows, vars);
        for row in &mut outcome.rows {
            for (value, name) in row.iter_mut().zip(&columns) {
                if value.is_some() {
                    *value = Some(format!(":{prefix}{name}"));
                }
            }
        }
    }
}
