//! Reducing mismatches on the live targets: each trial replays a subset of a workload's
//! statements, the mismatching one last, on a fresh database on both sides, and keeps the
//! subset when the last statement still shows the same signature. The repro written is
//! replayed once more from the file before it counts.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::record::{record, Limits, Script};
use crate::compare::compare;
use crate::engine::Engine;
use crate::model::error::{Location, Result};
use crate::model::slate_name;
use crate::model::{Event, Observer};
use crate::model::{MismatchKind, WorkloadResult};
use crate::model::{Outcome, Pair};
use crate::model::{Step, Workload};
use crate::reduce::ddmin::{ddmin, first_accepted, Budget, Oracle};
use crate::reduce::lists::{self, List};
use crate::reduce::repro::{clusters, Cluster, Repro};
use crate::reduce::signature::{Shape, Signature};
use crate::reduce::tree;

/// How much reduction a run does, and where repros go.
#[derive(Debug, Clone)]
pub struct ReduceOptions {
    pub budget: Budget,
    pub dir: PathBuf,
    /// `pgparity reduce --step N`: only the mismatch at step N (1-based) of the first workload.
    pub only_step: Option<usize>,
    /// For the whole run: distinct mismatches left when it is spent are reported, not reduced.
    pub total: Duration,
    /// Trials run at once (each on its own pair of databases); 1 where a target takes one
    /// connection at a time or the signature is a crash or a hang.
    pub jobs: usize,
    /// The run's protocol, written into repros so they replay the same way.
    pub protocol: crate::model::Protocol,
    /// `dir` as the reports link it (below the output folder): `repros`.
    pub link: String,
    /// How to replay a repro, where `pgparity run` is not the way (`compat`).
    pub replay: Option<String>,
}

/// A target as trials use it: the run's own (which can restart a crashed server) or an extra
/// lane to the same server.
enum Side<'a, E> {
    Run(&'a mut E),
    Extra(Box<E>),
}

impl<E> std::ops::Deref for Side<'_, E> {
    type Target = E;
    fn deref(&self) -> &E {
        match self {
            Side::Run(l) => l,
            Side::Extra(l) => l,
        }
    }
}

impl<E> std::ops::DerefMut for Side<'_, E> {
    fn deref_mut(&mut self) -> &mut E {
        match self {
            Side::Run(l) => l,
            Side::Extra(l) => l,
        }
    }
}

/// A pair of connections trials run on, one database per side, alternating between two names
/// so the next trial's database is created while this one runs.
struct Lane<'a, E> {
    sides: Pair<Side<'a, E>>,
    names: [String; 2],
    turn: usize,
}

impl<'a, E: Engine> Lane<'a, E> {
    /// A lane on extra connections of its own.
    fn extra(reference: E, candidate: E, names: [String; 2]) -> Lane<'a, E> {
        Lane { sides: Pair::new(Side::Extra(Box::new(reference)), Side::Extra(Box::new(candidate))), names, turn: 0 }
    }

    /// Run `statements` on fresh databases; the outcomes of the one at `target` (its location).
    async fn replay(
        &mut self,
        statements: &[Step],
        sessions: &[String],
        limits: Limits,
        target: &Location,
    ) -> Option<Pair<Outcome>> {
        let (name, next) = (&self.names[self.turn], &self.names[1 - self.turn]);
        self.turn = 1 - self.turn;
        let Pair { reference, candidate } = &mut self.sides;
        let script = Script { setup: &[], steps: statements, sessions };
        let (r, c) = tokio::join!(
            record(&mut **reference, name, Some(next), script, limits),
            record(&mut **candidate, name, Some(next), script, limits),
        );
        let (r, c) = (r.ok()?, c.ok()?);
        let at = target_index(statements, target);
        Some(Pair::new(r.steps.get(at)?.clone(), c.steps.get(at)?.clone()))
    }

    async fn stop(self) {
        let Pair { reference, candidate } = self.sides;
        for side in [reference, candidate] {
            if let Side::Extra(engine) = side {
                (*engine).stop().await;
            }
        }
    }
}

/// A trial's statement timeout. Trials drop statements, and in a schedule dropping the step
/// that releases a lock leaves the waiting session stuck until its next step times out: so
/// trials stop a statement after 5 s (or the run's timeout, when shorter), unless the mismatch
/// itself is a timeout.
fn trial_timeout(run: Duration, signature: &Signature) -> Duration {
    if signature.kinds.contains(&MismatchKind::Timeout) {
        run
    } else {
        run.min(Duration::from_secs(5))
    }
}

/// Where the mismatching statement is in a candidate list: found by its location (passes
/// replace its text, never its location); the last when it is not there.
fn target_index(statements: &[Step], target: &Location) -> usize {
    statements.iter().position(|s| &s.location == target).unwrap_or(statements.len().saturating_sub(1))
}

/// Replays candidate statement lists (holding the mismatching statement) on the lanes,
/// concurrently, and tells which still show the signature.
struct Trials<'a, E> {
    lanes: Vec<Lane<'a, E>>,
    sessions: Vec<String>,
    ordered: bool,
    signature: Signature,
    limits: Limits,
    /// The mismatching statement's location.
    target: Location,
    /// While a statement is simplified through its syntax tree: the original outcomes, whose
    /// differing rows a trial's may not stray from (see `Signature::drifted`).
    guard: Option<Pair<Outcome>>,
}

impl<'a, E: Engine> Trials<'a, E> {
    /// Trials for a cluster's first occurrence, in workload `w`.
    fn new(lanes: Vec<Lane<'a, E>>, w: &Workload, cluster: &Cluster, limits: Limits) -> Self {
        let failing = w.setup.iter().chain(&w.steps).nth(cluster.occurrences[0].statement);
        Trials {
            lanes,
            sessions: w.sessions.clone(),
            ordered: failing.is_some_and(|s| s.ordered()),
            signature: cluster.signature.clone(),
            limits: Limits { timeout: trial_timeout(limits.timeout, &cluster.signature), ..limits },
            target: failing.map(|s| s.location.clone()).unwrap_or_else(|| Location {
                file: PathBuf::new(),
                line: 0,
                column: 0,
            }),
            guard: None,
        }
    }

    /// For each candidate: does its mismatching statement show the signature, with what outcomes.
    async fn keep_all(&mut self, candidates: &[Vec<Step>]) -> Vec<(bool, Option<Pair<Outcome>>)> {
        let mut out = Vec::with_capacity(candidates.len());
        for batch in candidates.chunks(self.lanes.len()) {
            let (sessions, limits, target) = (&self.sessions, self.limits, &self.target);
            let replays = self
                .lanes
                .iter_mut()
                .zip(batch)
                .map(|(lane, statements)| lane.replay(statements, sessions, limits, target));
            for outcomes in futures_util::future::join_all(replays).await {
                let same = outcomes.as_ref().is_some_and(|o| {
                    let verdict = compare(&o.reference, &o.candidate, self.ordered);
                    Signature::of(o.as_ref(), &verdict).as_ref() == Some(&self.signature)
                        && !self.guard.as_ref().is_some_and(|g| Signature::drifted(g.as_ref(), o.as_ref()))
                });
                out.push((same, outcomes));
            }
        }
        out
    }

    async fn keeps(&mut self, statements: Vec<Step>) -> (bool, Option<Pair<Outcome>>) {
        self.keep_all(&[statements]).await.remove(0)
    }

    async fn stop(self) {
        for lane in self.lanes {
            lane.stop().await;
        }
    }
}

/// Which of the other statements (before the mismatching one, and after it when later steps
/// release or decide it) are needed; the mismatching one stays where it is among them.
struct StatementsPass<'t, 'a, E> {
    trials: &'t mut Trials<'a, E>,
    others: Vec<Step>,
    /// How many of `others` come before the mismatching statement.
    split: usize,
    failing: &'t Step,
}

impl<E> StatementsPass<'_, '_, E> {
    fn with(&self, subset: &[usize]) -> Vec<Step> {
        let pick = |keep: fn(usize, usize) -> bool| {
            subset.iter().filter(move |&&i| keep(i, self.split)).map(|&i| self.others[i].clone())
        };
        pick(|i, split| i < split)
            .chain(std::iter::once(self.failing.clone()))
            .chain(pick(|i, split| i >= split))
            .collect()
    }
}

impl<E: Engine> Oracle for StatementsPass<'_, '_, E> {
    async fn test_all(&mut self, subsets: &[Vec<usize>]) -> Vec<bool> {
        let candidates: Vec<Vec<Step>> = subsets.iter().map(|s| self.with(s)).collect();
        self.trials.keep_all(&candidates).await.into_iter().map(|(same, _)| same).collect()
    }
    fn width(&self) -> usize {
        self.trials.lanes.len()
    }
}

/// Which of the variants (`None`: could not be made) keep the signature.
async fn keep_variants<E: Engine>(trials: &mut Trials<'_, E>, variants: Vec<Option<Vec<Step>>>) -> Vec<bool> {
    let runnable: Vec<Vec<Step>> = variants.iter().flatten().cloned().collect();
    let mut answers = trials.keep_all(&runnable).await.into_iter();
    variants.iter().map(|v| v.is_some() && answers.next().is_some_and(|(same, _)| same)).collect()
}

/// Candidate statement lists, each one statement different from the current ones; subset
/// `[i]` asks about variant i (the syntax-tree pass).
struct Variants<'t, 'a, E> {
    trials: &'t mut Trials<'a, E>,
    variants: Vec<Vec<Step>>,
}

impl<E: Engine> Oracle for Variants<'_, '_, E> {
    async fn test_all(&mut self, subsets: &[Vec<usize>]) -> Vec<bool> {
        let picked = subsets.iter().map(|s| s.first().and_then(|&i| self.variants.get(i)).cloned()).collect();
        keep_variants(self.trials, picked).await
    }
    fn width(&self) -> usize {
        self.trials.lanes.len()
    }
}

/// `statements` with the one at `position` replaced by `sql`, and with it every step that reuses
/// its named statement on the same session: a reused statement is only bound, so an edit of one
/// use alone would never be sent (and the repro would not load: one name, two SQLs).
fn replaced(statements: &[Step], position: usize, sql: String) -> Vec<Step> {
    let name = |s: &Step| s.bind.as_ref().and_then(|b| b.statement.clone()).map(|n| (s.session.clone(), n));
    let shared = name(&statements[position]);
    statements
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if i == position || (shared.is_some() && name(s) == shared) {
                crate::workload::edited(s, sql.clone())
            } else {
                s.clone()
            }
        })
        .collect()
}

/// What a cluster's reduction has used and reached so far.
struct Progress {
    trials: usize,
    minimal: bool,
    budget: Budget,
    started: Instant,
}

impl Progress {
    fn left(&self) -> Budget {
        Budget {
            trials: self.budget.trials.saturating_sub(self.trials),
            time: self.budget.time.saturating_sub(self.started.elapsed()),
        }
    }

    fn spent(&self) -> bool {
        let left = self.left();
        left.trials == 0 || left.time.is_zero()
    }
}

/// ddmin over the statements other than the mismatching one; the kept statements, in order.
async fn statements_pass<E: Engine>(
    trials: &mut Trials<'_, E>,
    statements: &[Step],
    progress: &mut Progress,
) -> Vec<Step> {
    let at = target_index(statements, &trials.target);
    let failing = &statements[at];
    let others: Vec<Step> = statements[..at].iter().chain(&statements[at + 1..]).cloned().collect();
    let mut pass = StatementsPass { trials, split: at, others, failing };
    let reduced = ddmin(pass.others.len(), &mut pass, progress.left()).await;
    progress.trials += reduced.trials;
    progress.minimal &= reduced.minimal;
    pass.with(&reduced.kept)
}

/// ddmin over the items of one list (INSERT rows, SELECT columns) of the statement at `position`.
async fn list_pass<E: Engine>(
    trials: &mut Trials<'_, E>,
    statements: Vec<Step>,
    position: usize,
    list: List,
    progress: &mut Progress,
) -> Vec<Step> {
    let sql = &statements[position].sql;
    let Some(n) = lists::len(sql, list).filter(|n| *n > 1) else { return statements };
    let mut pass = ListOracle { trials, statements: &statements, position, list };
    let reduced = ddmin(n, &mut pass, progress.left()).await;
    progress.trials += reduced.trials;
    progress.minimal &= reduced.minimal;
    match lists::keep(sql, list, &reduced.kept).filter(|_| reduced.kept.len() < n) {
        Some(fewer) => replaced(&statements, position, fewer),
        None => statements,
    }
}

/// Subsets are the items of one list to keep.
struct ListOracle<'t, 'a, E> {
    trials: &'t mut Trials<'a, E>,
    statements: &'t [Step],
    position: usize,
    list: List,
}

impl<E: Engine> Oracle for ListOracle<'_, '_, E> {
    async fn test_all(&mut self, subsets: &[Vec<usize>]) -> Vec<bool> {
        let sql = &self.statements[self.position].sql;
        let variants = subsets
            .iter()
            .map(|s| lists::keep(sql, self.list, s).map(|fewer| replaced(self.statements, self.position, fewer)))
            .collect();
        keep_variants(self.trials, variants).await
    }
    fn width(&self) -> usize {
        self.trials.lanes.len()
    }
}

/// Greedy syntax-tree simplification of the statement at `position`: take the first (shortest)
/// one-edit simplification that keeps the signature, again and again, until none does.
async fn tree_pass<E: Engine>(
    trials: &mut Trials<'_, E>,
    statements: Vec<Step>,
    position: usize,
    progress: &mut Progress,
) -> Vec<Step> {
    let original = statements;
    let mut current = original.clone();
    let sql = &current[position].sql;
    // The deparser's spelling must keep the signature (`0x1F` deparses as `31`): else skip.
    let Some(deparsed) = tree::deparse(sql) else { return current };
    if deparsed != *sql {
        if progress.spent() {
            progress.minimal = false;
            return current;
        }
        let variant = replaced(&current, position, deparsed.clone());
        progress.trials += 1;
        if !trials.keeps(variant.clone()).await.0 {
            return current;
        }
        current = variant;
    }
    // Nothing simpler: the statement as the user wrote it, not as the deparser spells it.
    let done = |current: Vec<Step>| if current[position].sql == deparsed { original.clone() } else { current };
    loop {
        let candidates = tree::simplifications(&current[position].sql);
        if candidates.is_empty() {
            return done(current);
        }
        let variants: Vec<Vec<Step>> = candidates.into_iter().map(|sql| replaced(&current, position, sql)).collect();
        let n = variants.len();
        let mut oracle = Variants { trials: &mut *trials, variants };
        let first = first_accepted(n, &mut oracle, progress.left()).await;
        progress.trials += first.trials;
        match first.found {
            Some(i) => current = oracle.variants.swap_remove(i),
            None => {
                progress.minimal &= first.complete;
                return done(current);
            }
        }
    }
}

/// Every pass, in order, within the cluster's budget: statements, INSERT rows, SELECT columns
/// and the syntax tree of the mismatching statement, the syntax trees of the others, and the
/// statements once more when anything changed (so the result stays 1-minimal).
async fn reduce_statements<E: Engine>(
    trials: &mut Trials<'_, E>,
    all: Vec<Step>,
    original: &Pair<Outcome>,
    progress: &mut Progress,
) -> Vec<Step> {
    let mut statements = statements_pass(trials, &all, progress).await;
    // A crash, a hang or a lost connection: every trial that keeps it costs the target a
    // restart (PGlite: seconds each), so the statements pass is all.
    if is_fault(&trials.signature) {
        return statements;
    }
    let after_statements = statements.clone();
    for position in 0..statements.len() {
        statements = list_pass(trials, statements, position, List::InsertRows, progress).await;
    }
    let at = target_index(&statements, &trials.target);
    statements = list_pass(trials, statements, at, List::SelectColumns, progress).await;
    if trials.signature.kinds.contains(&MismatchKind::Rows) {
        trials.guard = Some(original.clone());
    }
    statements = tree_pass(trials, statements, at, progress).await;
    for position in (0..statements.len()).filter(|p| *p != at) {
        statements = tree_pass(trials, statements, position, progress).await;
    }
    trials.guard = None;
    let changed = statements.iter().map(|s| &s.sql).ne(after_statements.iter().map(|s| &s.sql));
    if changed && statements.len() > 1 {
        statements = statements_pass(trials, &statements, progress).await;
    }
    statements
}

/// The lanes a cluster's trials run on: the run's own targets first, then extra lanes up to
/// `jobs` when both targets allow them and the signature is not a crash or a hang (those need
/// the run's own targets, which can restart the server).
fn lanes<'a, E: Engine>(
    reference: &'a mut E,
    candidate: &'a mut E,
    workload: &str,
    jobs: usize,
    signature: &Signature,
) -> Vec<Lane<'a, E>> {
    let mut extra = Vec::new();
    if !is_fault(signature) {
        for k in 1..jobs {
            match (reference.extra_lane(), candidate.extra_lane()) {
                (Some(r), Some(c)) => extra.push(Lane::extra(r, c, lane_names(workload, k))),
                _ => break,
            }
        }
    }
    let first =
        Lane { sides: Pair::new(Side::Run(reference), Side::Run(candidate)), names: lane_names(workload, 0), turn: 0 };
    std::iter::once(first).chain(extra).collect()
}

/// One cluster's budget, within what is left of the run's reduction time (from `started`);
/// `None` when that is spent.
fn budget_left(options: &ReduceOptions, started: Instant) -> Option<Budget> {
    let left = options.total.checked_sub(started.elapsed()).filter(|l| !l.is_zero())?;
    Some(Budget { time: options.budget.time.min(left), ..options.budget })
}

/// The two database names lane `k` alternates between.
fn lane_names(workload: &str, k: usize) -> [String; 2] {
    [slate_name(&format!("{workload}~{k}a")), slate_name(&format!("{workload}~{k}b"))]
}

/// Reduce one cluster's first occurrence on `trials`: the repro, validated (written and replayed
/// from the file), with every occurrence known so far.
async fn reduce_cluster<E: Engine>(
    trials: &mut Trials<'_, E>,
    w: &Workload,
    cluster: &Cluster,
    earlier: usize,
    options: &ReduceOptions,
    budget: Budget,
) -> Result<Repro> {
    let first = &cluster.occurrences[0];
    // A statement that waited is released or decided by later steps of other sessions: they
    // are candidates too (ddmin drops the ones that do not matter).
    let waited = cluster.outcomes.reference.wait.is_some() || cluster.outcomes.candidate.wait.is_some();
    let upto = if waited && w.sessions.len() > 1 { w.setup.len() + w.steps.len() } else { first.statement + 1 };
    // psql commands that send nothing have no part in a mismatch (and no place in a repro),
    // but for `\c` in a repro psql runs (a new session may be what shows it).
    let sent = w.setup.iter().chain(&w.steps).take(upto).filter(|s| !s.psql_only);
    let psql_file = options.protocol == crate::model::Protocol::Simple && !Repro::needs_yaml(sent);
    let kept = |s: &&Step| !s.psql_only || (psql_file && s.runtime.as_ref().is_some_and(|r| r.reconnect));
    let mut all: Vec<Step> = w.setup.iter().chain(&w.steps).take(upto).filter(kept).cloned().collect();
    let mut progress = Progress { trials: 0, minimal: true, budget, started: Instant::now() };
    // A test of a suite: on its own when that shows the mismatch (what earlier tests made plays
    // no part), else with them when that does, else on its own (it is then not reducible).
    // Not reducible, the repro holds the test's own statements, not thousands of others.
    let from_earlier = w.setup.iter().chain(&w.steps).take(earlier).filter(kept).count();
    let mut fallback = None;
    if from_earlier > 0 {
        let own = all[from_earlier..].to_vec();
        progress.trials += 1;
        if trials.keeps(own.clone()).await.0 || {
            progress.trials += 1;
            !trials.keeps(all.clone()).await.0
        } {
            all = own;
        } else {
            fallback = Some(own);
        }
    }
    let mut statements = reduce_statements(trials, all.clone(), &cluster.outcomes, &mut progress).await;
    // The run's protocol, written into the repro so it replays the same way.
    let protocol = options.protocol;
    let pinned = |mut steps: Vec<Step>| {
        if protocol != crate::model::Protocol::Simple {
            for s in steps.iter_mut().filter(|s| s.protocol.is_none()) {
                s.protocol = Some(protocol);
            }
        }
        steps
    };
    statements = pinned(statements);
    let all = pinned(all);
    let versions = |l: &E| format!("{} ({})", l.report().version, l.report().target);
    let sides = &trials.lanes[0].sides;
    let mut repro = Repro {
        id: Repro::id_for(first),
        target: target_index(&statements, &trials.target),
        statements,
        signature: cluster.signature.clone(),
        reference: versions(&sides.reference),
        candidate: versions(&sides.candidate),
        outcomes: cluster.outcomes.clone(),
        occurrences: cluster.occurrences.clone(),
        original_statements: all.len(),
        trials: progress.trials,
        minimal: progress.minimal,
        not_reducible: false,
        beside_run: false,
        unconfirmed: false,
        path: String::new(),
        replay: options.replay.clone(),
    };
    // Validation: replay the written file; if it does not show the signature, keep the
    // original statements instead.
    match validate(trials, &repro, options).await? {
        Some(outcomes) => repro.outcomes = outcomes,
        None => {
            let kept = fallback.unwrap_or(all);
            repro.target = target_index(&kept, &trials.target);
            repro.statements = kept;
            repro.not_reducible = true;
            match validate(trials, &repro, options).await? {
                Some(outcomes) => repro.outcomes = outcomes,
                None => {
                    repro.unconfirmed = true;
                    // The header changed: the file again.
                    crate::store::write_repro_file(&options.dir, &repro)?;
                }
            }
        }
    }
    repro.path = format!("{}/{}", options.link, repro.file_name());
    Ok(repro)
}

/// A cluster's identity: its signature and statement fingerprint.
type Key = (Signature, String);

/// What reduction starts from: a workload's statements, or for a test of a suite, the
/// statements of the tests of the groups before it first (it ran on what they made), each test
/// on a new connection as it ran (`\c`), then its own. The cluster's first occurrence is moved
/// to its place there; and how many steps came before the test's own. Tests of its own group
/// ran beside it and are left out.
fn starting_point(workloads: &[Workload], w: &Workload, cluster: &Cluster) -> Start {
    let earlier: Vec<&Workload> = match &w.suite {
        Some(place) => workloads
            .iter()
            .filter(|t| t.unsupported.is_none())
            .filter(|t| t.suite.as_ref().is_some_and(|p| p.suite == place.suite && p.group < place.group))
            .collect(),
        None => Vec::new(),
    };
    if earlier.is_empty() {
        return (w.clone(), cluster.clone(), 0);
    }
    let mut steps = Vec::new();
    for t in earlier {
        steps.extend(t.setup.iter().chain(&t.steps).cloned());
        let end = Location { file: t.path.clone(), line: 0, column: 0 };
        let runtime = crate::model::Runtime { reconnect: true, ..Default::default() };
        let reconnect = crate::workload::step("\\c".into(), crate::model::Order::Auto, end);
        steps.push(Step { psql_only: true, runtime: Some(Box::new(runtime)), ..reconnect });
    }
    let (mut cluster, before) = (cluster.clone(), steps.len());
    cluster.occurrences[0].statement += before;
    steps.extend(w.setup.iter().chain(&w.steps).cloned());
    (Workload { setup: Vec::new(), steps, ..w.clone() }, cluster, before)
}

/// A cluster to reduce: from what workload (`starting_point`), where, and how many of its
/// steps came from earlier tests of its suite.
type Start = (Workload, Cluster, usize);

fn key(cluster: &Cluster) -> Key {
    (cluster.signature.clone(), cluster.fingerprint.clone())
}

/// Reduction beside the rest of the run: a task with its own lanes to both targets takes each
/// new root cause as soon as a workload shows it, while the next workloads run.
pub struct Background {
    tx: mpsc::UnboundedSender<Start>,
    task: tokio::task::JoinHandle<Vec<(Key, Result<Repro>, Duration)>>,
    seen: HashSet<Key>,
}

impl Background {
    /// Only when there is room for it: `jobs` ≥ 2 (one for the run, the rest for reduction)
    /// and both targets take extra connections to fresh databases.
    /// Nor when any workload of the run touches what all databases of a server share (roles,
    /// pg_database, pg_locks…): trials beside the run would show through there.
    pub fn start<E: Engine + 'static>(
        reference: &E,
        candidate: &E,
        workloads: &[Workload],
        options: &ReduceOptions,
        limits: Limits,
    ) -> Option<Self> {
        if options.jobs < 2 || options.only_step.is_some() {
            return None;
        }
        if workloads.iter().any(crate::workload::shared::workload_shared) {
            return None;
        }
        let mut lanes = Vec::new();
        for k in 1..options.jobs {
            let (r, c) = (reference.extra_lane()?, candidate.extra_lane()?);
            lanes.push((k, r, c));
        }
        let (tx, mut rx) = mpsc::unbounded_channel::<Start>();
        let options = options.clone();
        let task = tokio::spawn(async move {
            let started = Instant::now();
            let mut done = Vec::new();
            let mut lanes: Vec<Lane<'static, E>> =
                lanes.into_iter().map(|(k, r, c)| Lane::extra(r, c, lane_names("background", k))).collect();
            while let Some((w, cluster, earlier)) = rx.recv().await {
                let Some(budget) = budget_left(&options, started) else { continue };
                let mut trials = Trials::new(std::mem::take(&mut lanes), &w, &cluster, limits);
                let clock = Instant::now();
                let repro = reduce_cluster(&mut trials, &w, &cluster, earlier, &options, budget).await;
                let repro = repro.map(|r| Repro { beside_run: true, ..r });
                done.push((key(&cluster), repro, clock.elapsed()));
                lanes = trials.lanes;
            }
            for lane in lanes {
                lane.stop().await;
            }
            done
        });
        Some(Background { tx, task, seen: HashSet::new() })
    }

    /// Hand over the root causes a finished workload shows that no earlier one did (crashes and
    /// hangs stay for the run's own targets, after the run).
    pub fn offer(&mut self, workloads: &[Workload], w: &Workload, result: &WorkloadResult) {
        for cluster in clusters(std::slice::from_ref(w), std::slice::from_ref(result)) {
            if is_fault(&cluster.signature) || !self.seen.insert(key(&cluster)) {
                continue;
            }
            let _ = self.tx.send(starting_point(workloads, w, &cluster));
        }
    }

    async fn finish(self) -> Vec<(Key, Result<Repro>, Duration)> {
        drop(self.tx);
        self.task.await.unwrap_or_default()
    }
}

fn is_fault(signature: &Signature) -> bool {
    matches!(signature.reference, Shape::Fault { .. }) || matches!(signature.candidate, Shape::Fault { .. })
}

/// Reduce every distinct mismatch (one per root cause) not reduced in the background yet,
/// write every repro with all the places it occurs, and link it from those workloads' results.
pub async fn reduce_all<E: Engine>(
    sides: Pair<&mut E>,
    background: Option<Background>,
    workloads: &[Workload],
    results: &mut [WorkloadResult],
    options: &ReduceOptions,
    limits: Limits,
    observer: &mut dyn Observer,
) -> Result<Vec<Repro>> {
    let Pair { reference, candidate } = sides;
    let run_start = Instant::now();
    let mut done = match background {
        Some(b) => b.finish().await,
        None => Vec::new(),
    };
    let mut repros = Vec::new();
    let mut skipped = 0;
    for cluster in clusters(workloads, results) {
        let first = &cluster.occurrences[0];
        let Some(w) = workloads.iter().find(|w| w.id == first.workload) else { continue };
        if options.only_step.is_some_and(|n| first.statement + 1 != w.setup.len() + n) {
            continue;
        }
        let (repro, elapsed) = match done.iter().position(|(k, _, _)| *k == key(&cluster)) {
            Some(i) => {
                let (_, repro, elapsed) = done.swap_remove(i);
                (repro, elapsed)
            }
            None => {
                let Some(budget) = budget_left(options, run_start) else {
                    skipped += 1;
                    continue;
                };
                let clock = Instant::now();
                let (w, start, earlier) = starting_point(workloads, w, &cluster);
                // Trials of a workload that touches shared state would collide with each other.
                let jobs = if crate::workload::shared::workload_shared(&w) { 1 } else { options.jobs };
                let lanes = lanes(&mut *reference, &mut *candidate, &w.id, jobs, &start.signature);
                let mut trials = Trials::new(lanes, &w, &start, limits);
                let repro = reduce_cluster(&mut trials, &w, &start, earlier, options, budget).await;
                trials.stop().await;
                (repro, clock.elapsed())
            }
        };
        // Every occurrence, now that the run is over. A failure costs this repro only.
        let written = repro.and_then(|repro| {
            let repro = Repro { occurrences: cluster.occurrences.clone(), ..repro };
            crate::store::write_repro(&options.dir, &repro).map(|()| repro)
        });
        let repro = match written {
            Ok(repro) => repro,
            Err(e) => {
                let occurrence = format!("{} {}", first.workload, first.label);
                observer.on(Event::ReductionFailed { occurrence: &occurrence, error: &e.to_string() })?;
                continue;
            }
        };
        for occurrence in &repro.occurrences {
            if let Some(r) = results.iter_mut().find(|r| r.id == occurrence.workload) {
                if !r.repros.contains(&repro.path) {
                    r.repros.push(repro.path.clone());
                }
            }
        }
        observer.on(Event::Reduced { repro: &repro.summary(), elapsed })?;
        repros.push(repro);
    }
    if skipped > 0 {
        observer.on(Event::ReductionSkipped { count: skipped })?;
    }
    Ok(repros)
}

/// Write the repro, load it back as a workload, replay it: the outcomes when the signature
/// shows, `None` when it does not.
async fn validate<E: Engine>(
    trials: &mut Trials<'_, E>,
    repro: &Repro,
    options: &ReduceOptions,
) -> Result<Option<Pair<Outcome>>> {
    let path = crate::store::write_repro_file(&options.dir, repro)?;
    // A file that does not load does not show the signature: the caller keeps the original
    // statements (never an abort of the run).
    let Ok(mut loaded) = crate::workload::load_all(std::slice::from_ref(&path)) else { return Ok(None) };
    let loaded = loaded.remove(0);
    let statements: Vec<Step> = loaded.setup.iter().chain(&loaded.steps).cloned().collect();
    let Some(target) = statements.get(repro.target).map(|s| s.location.clone()) else { return Ok(None) };
    let (sessions, original_target) = (
        std::mem::replace(&mut trials.sessions, loaded.sessions.clone()),
        std::mem::replace(&mut trials.target, target),
    );
    let (same, outcomes) = trials.keeps(statements).await;
    (trials.sessions, trials.target) = (sessions, original_target);
    Ok(outcomes.filter(|_| same))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::error::Location;
    use crate::model::{Bind, Order};

    fn named(sql: &str, name: Option<&str>, session: Option<&str>) -> Step {
        let mut s =
            crate::workload::step(sql.into(), Order::Auto, Location { file: "w.yaml".into(), line: 1, column: 1 });
        s.bind = name.map(|n| Bind { params: Vec::new(), statement: Some(n.into()), fetch: None });
        s.session = session.map(str::to_string);
        s
    }

    #[test]
    fn an_edit_of_a_reused_named_statement_is_an_edit_of_every_use() {
        let sql = "SELECT $1::int AS v, 'pad' AS p";
        let steps = vec![
            named(sql, Some("s"), None),
            named(sql, Some("s"), None),
            named(sql, Some("s"), Some("other")),
            named(sql, Some("t"), None),
            named(sql, None, None),
        ];
        let edited = replaced(&steps, 1, "SELECT $1::int AS v".into());
        let texts: Vec<&str> = edited.iter().map(|s| s.sql.as_str()).collect();
        assert_eq!(texts, vec!["SELECT $1::int AS v", "SELECT $1::int AS v", sql, sql, sql]);
        // The edited steps still load as one workload: one name, one SQL.
        let unnamed = replaced(&steps, 4, "SELECT 1".into());
        assert_eq!(unnamed.iter().filter(|s| s.sql == "SELECT 1").count(), 1);
    }
}
