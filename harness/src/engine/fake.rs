//! A deterministic engine for unit tests of pure logic — the schedule, the reduction passes,
//! the judgement — with no server: a script says what each statement does, given what has run
//! before it on the same slate. Never a stand-in for a real database in integration tests.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{watch, Notify};

use super::{Beside, Cancel, Connection, Engine};
use crate::model::{Connections, Fault, Outcome, Requirement, ServerMessage, Step, Strategy, TargetReport, TxStatus};

/// What a statement does on the fake engine.
#[derive(Debug, Clone)]
pub enum Act {
    /// Completes at once with this outcome.
    Reply(Outcome),
    /// Waits until a statement with this exact SQL has completed on the same slate (on any
    /// session), then completes with `then`: a lock held until that statement.
    WaitFor { sql: String, then: Outcome },
    /// Completes with `then` after running this long (a deadlock detector firing, say).
    Slow { after: Duration, then: Outcome },
    /// Never completes on its own: a cancel ends it with SQLSTATE 57014.
    Hang,
}

/// The script: what statement `sql` does, given the statements completed before it on the same
/// slate (in order of completion).
pub type Script = Arc<dyn Fn(&str, &[String]) -> Act + Send + Sync>;

/// What every lane of one fake engine shares.
struct Shared {
    script: Script,
    /// Statements completed per slate, in order.
    history: Mutex<HashMap<String, Vec<String>>>,
    /// Bumped at every completion, so statements waiting for another one look again.
    completed: watch::Sender<u64>,
    /// Every statement sent, as `slate: sql`, in the order sent (for assertions on trials).
    sent: Mutex<Vec<String>>,
}

pub struct FakeEngine {
    shared: Arc<Shared>,
    report: TargetReport,
    /// The open workload's slate.
    slate: Option<String>,
    /// Refuse sessions beyond the first (as a one-connection server would).
    pub refuse_extra: bool,
    /// Allow extra lanes for trials beside the run.
    pub lanes: bool,
    /// Times the server is found stopped and started again (at `revive`).
    pub restarts: usize,
}

impl FakeEngine {
    /// An engine that runs `script`, reporting `version`.
    pub fn new(version: &str, script: impl Fn(&str, &[String]) -> Act + Send + Sync + 'static) -> Self {
        let report = TargetReport {
            target: "fake".into(),
            version: version.into(),
            connections: Connections::Many,
            strategy: Some(Strategy::FreshDatabase),
            strategy_reason: None,
            refused_settings: BTreeSet::new(),
            events: Vec::new(),
        };
        let shared = Shared {
            script: Arc::new(script),
            history: Mutex::new(HashMap::new()),
            completed: watch::channel(0).0,
            sent: Mutex::new(Vec::new()),
        };
        FakeEngine { shared: Arc::new(shared), report, slate: None, refuse_extra: false, lanes: true, restarts: 0 }
    }

    /// A fake that takes one connection at a time.
    pub fn one_connection(mut self) -> Self {
        self.report.connections = Connections::One;
        self
    }

    /// Its report, to add what a real engine would have learned (events, refused settings).
    pub fn report_mut(&mut self) -> &mut TargetReport {
        &mut self.report
    }

    /// Every statement sent so far, as `slate: sql`.
    pub fn sent(&self) -> Vec<String> {
        self.shared.sent.lock().expect("not poisoned").clone()
    }

    fn connection(&self) -> Result<FakeConn, String> {
        let slate = self.slate.clone().ok_or("no workload is open")?;
        Ok(FakeConn { shared: self.shared.clone(), slate, cancel: Arc::new(Notify::new()) })
    }
}

/// An outcome of a statement that succeeded with `tag` and no rows.
pub fn ok(tag: &str) -> Outcome {
    Outcome { tag: Some(tag.into()), status: TxStatus::Idle, ..Outcome::default() }
}

/// An outcome of a query that returned `rows` of one text column `v`.
pub fn rows(values: &[&str]) -> Outcome {
    Outcome {
        columns: Some(vec![crate::model::Column { name: "v".into(), type_name: "text".into(), typmod: -1 }]),
        rows: values.iter().map(|v| vec![Some(v.to_string())]).collect(),
        tag: Some(format!("SELECT {}", values.len())),
        status: TxStatus::Idle,
        ..Outcome::default()
    }
}

/// An outcome of a statement that failed with SQLSTATE `code`.
pub fn error(code: &str, message: &str) -> Outcome {
    let e =
        ServerMessage { severity: "ERROR".into(), code: code.into(), message: message.into(), ..Default::default() };
    Outcome { error: Some(e), status: TxStatus::Idle, ..Outcome::default() }
}

/// One session on a slate of the fake engine.
pub struct FakeConn {
    shared: Arc<Shared>,
    slate: String,
    cancel: Arc<Notify>,
}

pub struct FakeCancel(Arc<Notify>);

impl Cancel for FakeCancel {
    async fn cancel(&self) {
        self.0.notify_one();
    }
}

impl FakeConn {
    fn completed(&self, sql: &str) -> bool {
        let history = self.shared.history.lock().expect("not poisoned");
        history.get(&self.slate).is_some_and(|h| h.iter().any(|s| s == sql))
    }

    async fn act(&self, act: Act) -> Outcome {
        let cancelled = || error("57014", "canceling statement due to user request");
        match act {
            Act::Reply(o) => o,
            Act::Slow { after, then } => tokio::select! {
                _ = tokio::time::sleep(after) => then,
                _ = self.cancel.notified() => cancelled(),
            },
            Act::Hang => {
                self.cancel.notified().await;
                cancelled()
            }
            Act::WaitFor { sql, then } => {
                let mut rx = self.shared.completed.subscribe();
                loop {
                    if self.completed(&sql) {
                        return then;
                    }
                    tokio::select! {
                        _ = rx.changed() => {}
                        _ = self.cancel.notified() => return cancelled(),
                    }
                }
            }
        }
    }
}

impl Connection for FakeConn {
    type Request = String;
    type Raw = Outcome;
    type Cancel = FakeCancel;

    fn canceller(&self) -> FakeCancel {
        FakeCancel(self.cancel.clone())
    }

    async fn send(&mut self, sql: &String, timeout: Duration) -> Outcome {
        self.shared.sent.lock().expect("not poisoned").push(format!("{}: {sql}", self.slate));
        let before = self.shared.history.lock().expect("not poisoned").get(&self.slate).cloned().unwrap_or_default();
        let act = (self.shared.script)(sql, &before);
        let outcome = match tokio::time::timeout(timeout, self.act(act)).await {
            Ok(o) => o,
            Err(_) => Outcome::faulted(Fault::Timeout),
        };
        self.shared.history.lock().expect("not poisoned").entry(self.slate.clone()).or_default().push(sql.clone());
        self.shared.completed.send_modify(|n| *n += 1);
        outcome
    }

    async fn close(self) {}
}

impl Engine for FakeEngine {
    type Conn = FakeConn;

    fn report(&self) -> &TargetReport {
        &self.report
    }
    fn dialect(&self) -> crate::model::Dialect {
        crate::model::Dialect::Postgres
    }
    fn failed(&self) -> bool {
        false
    }
    fn single(&self) -> bool {
        self.report.connections == Connections::One
    }
    async fn unmet(&mut self, _requires: &[Requirement]) -> Option<String> {
        None
    }
    async fn open(&mut self, name: &str, _beside: Beside<'_>) -> Result<FakeConn, String> {
        self.shared.history.lock().expect("not poisoned").insert(name.to_string(), Vec::new());
        self.slate = Some(name.to_string());
        self.connection()
    }
    async fn open_extra(&mut self) -> Result<FakeConn, String> {
        if self.refuse_extra {
            return Err("server refused the connection: 53300 sorry, too many clients already".into());
        }
        self.connection()
    }
    async fn request(&mut self, step: &Step) -> String {
        step.sql.clone()
    }
    async fn settle(&mut self, _step: &Step, raw: Outcome, _conn: &mut FakeConn) -> Outcome {
        raw
    }
    async fn close(&mut self, _conn: FakeConn) {
        self.slate = None;
    }
    /// A kept slate keeps its history: a copy starts with the statements it was built with.
    async fn keep(&mut self, _conn: FakeConn) -> Result<(), String> {
        self.slate = None;
        Ok(())
    }
    async fn open_copy(&mut self, name: &str, template: &str) -> Result<FakeConn, String> {
        let mut history = self.shared.history.lock().expect("not poisoned");
        let copied = history.get(template).cloned().ok_or_else(|| format!("no kept slate {template}"))?;
        history.insert(name.to_string(), copied);
        drop(history);
        self.slate = Some(name.to_string());
        self.connection()
    }
    async fn discard(&mut self, template: &str) {
        self.shared.history.lock().expect("not poisoned").remove(template);
    }
    fn extra_lane(&self) -> Option<Self> {
        let lane = FakeEngine {
            shared: self.shared.clone(),
            report: self.report.clone(),
            slate: None,
            refuse_extra: self.refuse_extra,
            lanes: self.lanes,
            restarts: 0,
        };
        self.lanes.then_some(lane)
    }
    async fn revive(&mut self) -> bool {
        let restarted = self.restarts > 0;
        self.restarts = self.restarts.saturating_sub(1);
        restarted
    }
    async fn stop(self) {}
}
