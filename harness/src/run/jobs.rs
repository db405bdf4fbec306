//! `--jobs N`: independent workloads run N at a time, each on a lane of its own (its own
//! connections and admin connection to each side, its own database there), while the run
//! reports them one by one in input order. What could have been disturbed by running beside
//! others — a fault of any kind (a crash, a lost connection, a timeout), a side unreachable —
//! is thrown away and run again alone on the run's own engines, as `--jobs 1` runs it. What
//! is timing-sensitive (several sessions, judged by how long a step waits) or touches what all
//! databases share never goes on a lane. So the reports are those of `--jobs 1`.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use futures_util::stream::{FuturesUnordered, StreamExt};

use super::record::Limits;
use super::{judged, record_workload, Plan};
use crate::engine::{Engine, News};
use crate::model::{Mode, Pair, Recording, ReferenceRun, Workload, WorkloadResult};

/// A workload's runs on the sides the mode runs, and its judgement (before rules) when there
/// is a candidate.
pub(super) struct Ran {
    pub reference: ReferenceRun,
    pub result: Option<WorkloadResult>,
}

/// What came back from a lane: the runs, and what each side's lane learned meanwhile.
struct Done {
    ran: Ran,
    news: Pair<News>,
    /// Something went wrong that running beside others could have caused.
    suspect: bool,
}

/// A lane: one extra engine per side the mode runs.
type Lane<E> = Pair<Option<E>>;
type Running<'p, E> = Pin<Box<dyn Future<Output = (usize, Lane<E>, Done)> + Send + 'p>>;

/// Can this workload run beside others? Not a suite's test (the suite runs as its schedule
/// says), nor one that touches what all databases share, nor one of several sessions (its
/// verdict rests on how long steps take), nor one that reads what the server counts for all
/// its databases at once (`counts_across_databases`).
pub(super) fn may_share(w: &Workload) -> bool {
    w.suite.is_none()
        && w.sessions.len() <= 1
        && !crate::workload::shared::workload_shared(w)
        && !w.setup.iter().chain(&w.steps).any(|s| counts_across_databases(&s.sql))
}

/// Does this SQL read a value the server hands out to all its databases from one counter —
/// object OIDs, transaction ids, WAL positions? Two identical servers doing the same work one
/// workload at a time hand out the same values; beside other workloads, each side's would
/// depend on what ran beside it there. Read by word, generously: such a workload runs alone.
fn counts_across_databases(sql: &str) -> bool {
    sql.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).any(|word| {
        let w = word.to_ascii_lowercase();
        matches!(w.as_str(), "oid" | "oids" | "xmin" | "xmax" | "xid" | "xid8" | "relfilenode" | "age" | "mxid_age")
            || w.starts_with("txid_")
            || w.starts_with("pg_current_")
            || w.contains("xact_id")
            || w.contains("lsn")
            || w.contains("filenode")
    })
}

/// The lanes, the workloads running on them, and the results that came back ahead of their
/// turn.
pub(super) struct Pool<'p, E: Engine> {
    plan: &'p Plan,
    limits: Limits,
    /// Lanes made, or none to be made: one job, fewer than two workloads that may share, or
    /// an engine that knows how it gives a slate and can give no lane.
    settled: bool,
    /// Which workloads may share (`may_share`), read once.
    shares: Vec<bool>,
    idle: Vec<Lane<E>>,
    running: FuturesUnordered<Running<'p, E>>,
    ahead: BTreeMap<usize, Done>,
    /// The next workload to start on a lane.
    next: usize,
}

impl<'p, E: Engine + 'static> Pool<'p, E> {
    /// A pool of `plan.jobs` lanes, made once the run's engines can make them.
    pub fn new(plan: &'p Plan, limits: Limits) -> Self {
        let shares: Vec<bool> = plan.workloads.iter().map(may_share).collect();
        let settled = plan.jobs < 2 || shares.iter().filter(|s| **s).nth(1).is_none();
        Pool {
            plan,
            limits,
            settled,
            shares,
            idle: Vec::new(),
            running: FuturesUnordered::new(),
            ahead: BTreeMap::new(),
            next: 0,
        }
    }

    /// May the run's own engines prepare the next workload's database while workload `i` runs
    /// there? Only when the next one will run there too: a lane may be making its database.
    pub fn prepare_ahead(&self, i: usize) -> bool {
        self.plan.jobs < 2 || self.shares.get(i + 1).is_none_or(|next| !next)
    }

    /// Make the lanes, if both sides can now: an engine may only know how it gives each
    /// workload a slate once it gave one (a PostgreSQL target that allows no database per
    /// workload, or takes one connection at a time, makes none: everything then runs on the
    /// run's own engines). Once both know it, a failure is final.
    async fn make(&mut self, reference: Option<&E>, candidate: Option<&E>) {
        for _ in 0..self.plan.jobs {
            let side = |e: Option<&E>| e.map(|e| e.extra_lane().ok_or(())).transpose();
            match (side(reference), side(candidate)) {
                (Ok(r), Ok(c)) => self.idle.push(Pair::new(r, c)),
                (r, c) => {
                    for lane in [r, c].into_iter().flatten().flatten() {
                        lane.stop().await;
                    }
                    break;
                }
            }
        }
        let known = |e: Option<&E>| e.is_none_or(|e| e.report().strategy.is_some());
        if self.idle.len() >= 2 {
            self.settled = true;
        } else {
            self.settled = known(reference) && known(candidate);
            for lane in std::mem::take(&mut self.idle) {
                for side in [lane.reference, lane.candidate].into_iter().flatten() {
                    side.stop().await;
                }
            }
        }
    }

    /// Start what may start from workload `from` on: workloads that may share, in order, up to
    /// the first that may not, while lanes are idle and not too far ahead of the report.
    fn fill(&mut self, from: usize) {
        self.next = self.next.max(from);
        let window = from + 4 * (self.idle.len() + self.running.len()).max(1);
        while self.next < self.plan.workloads.len() && self.next < window && self.shares[self.next] {
            let Some(lane) = self.idle.pop() else { break };
            let (plan, limits, i) = (self.plan, self.limits, self.next);
            self.running.push(Box::pin(run_on_lane(plan, i, lane, limits)));
            self.next += 1;
        }
    }

    /// Workload `i`'s runs, if it went on a lane and nothing went wrong there (its lanes' news
    /// then goes to the run's engines); `None`: run it on the run's own engines, alone — every
    /// lane is idle by then.
    pub async fn take(&mut self, i: usize, reference: Option<&mut E>, candidate: Option<&mut E>) -> Option<Ran> {
        if !self.settled && self.shares[i] {
            self.make(reference.as_deref(), candidate.as_deref()).await;
        }
        if self.idle.is_empty() && self.running.is_empty() {
            return None;
        }
        self.fill(i);
        while !self.ahead.contains_key(&i) && i < self.next {
            let Some((k, lane, done)) = self.running.next().await else { break };
            self.idle.push(lane);
            self.ahead.insert(k, done);
            self.fill(i);
        }
        let done = match self.ahead.remove(&i) {
            Some(done) if !done.suspect => done,
            // Not started on a lane (it may not share), or disturbed: alone, once the lanes
            // are done with what they run.
            _ => {
                self.drain().await;
                return None;
            }
        };
        if let Some(r) = reference {
            r.absorb(done.news.reference);
        }
        if let Some(c) = candidate {
            c.absorb(done.news.candidate);
        }
        Some(done.ran)
    }

    /// Wait for every running workload (their results kept for their turn).
    async fn drain(&mut self) {
        while let Some((k, lane, done)) = self.running.next().await {
            self.idle.push(lane);
            self.ahead.insert(k, done);
        }
    }

    /// After the last workload: each lane's queued drops done, what they learned reported,
    /// the lanes closed.
    pub async fn finish(mut self, mut reference: Option<&mut E>, mut candidate: Option<&mut E>) {
        self.drain().await;
        for lane in self.idle {
            for (side, run) in [(lane.reference, reference.as_deref_mut()), (lane.candidate, candidate.as_deref_mut())]
            {
                if let Some(mut side) = side {
                    side.flush().await;
                    let news = side.take_news();
                    if let Some(run) = run {
                        run.absorb(news);
                    }
                    side.stop().await;
                }
            }
        }
    }
}

/// Workload `i` on a lane: recorded on each side, judged.
async fn run_on_lane<E: Engine>(plan: &Plan, i: usize, mut lane: Lane<E>, limits: Limits) -> (usize, Lane<E>, Done) {
    let w = &plan.workloads[i];
    let (reference, candidate) =
        record_workload(plan, i, w, false, lane.reference.as_mut(), lane.candidate.as_mut(), limits).await;
    let faulted = |r: &Recording| r.setup.iter().chain(&r.steps).any(|o| o.fault.is_some());
    // (`check`'s reference is the saved one, not run here.)
    let live = plan.mode != Mode::Check;
    let mut suspect = reference.not_tested.as_deref().is_some_and(|why| why.starts_with("reference unreachable"))
        || (live && (faulted(&reference.original) || reference.rewrite.as_ref().is_some_and(faulted)))
        || candidate.as_ref().is_some_and(|c| c.as_ref().map_or(true, faulted));
    let ran = judged(w, reference, candidate, lane.candidate.as_mut(), limits).await;
    let take = |side: Option<&mut E>| side.map(|e| e.take_news()).unwrap_or_default();
    let news = Pair::new(take(lane.reference.as_mut()), take(lane.candidate.as_mut()));
    suspect |= news.reference.failed || news.candidate.failed;
    (i, lane, Done { ran, news, suspect })
}

#[cfg(test)]
mod tests {
    use super::counts_across_databases;

    #[test]
    fn values_counted_for_all_databases_are_found_by_word() {
        for sql in [
            "SELECT oid FROM pg_class WHERE relname = 't'",
            "SELECT 't'::regclass::oid::int",
            "SELECT xmin, * FROM t",
            "SELECT txid_current()",
            "SELECT pg_current_xact_id()",
            "SELECT pg_current_wal_lsn()",
            "SELECT pg_relation_filenode('t')",
            "select AGE(datfrozenxid) from x",
        ] {
            assert!(counts_across_databases(sql), "{sql}");
        }
        for sql in ["SELECT void_fn()", "CREATE TABLE avoid (a int)", "SELECT page FROM t", "SELECT 1"] {
            assert!(!counts_across_databases(sql), "{sql}");
        }
    }
}
