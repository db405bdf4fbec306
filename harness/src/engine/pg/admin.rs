//! A target's admin connection as a worker task. Jobs run in the order they were queued, so the
//! next workload's database can be created, and the last one dropped, while a workload runs.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::wire::{quote_ident, ConnectParams, Session};
use crate::model::{Fault, Outcome};

use super::server::cleanup::{self, Leftover};
use super::ADMIN_TIMEOUT;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// An admin statement's result.
pub type AdminResult = Result<Outcome, AdminError>;

/// Why an admin statement failed: the server's error (its SQLSTATE and message), or a fault of
/// the connection (no SQLSTATE).
#[derive(Debug, Clone, PartialEq)]
pub struct AdminError {
    pub code: String,
    pub message: String,
    pub fault: Option<Fault>,
}

impl AdminError {
    /// A failure outside any statement (connecting, the worker gone): no SQLSTATE, no fault.
    pub fn other(message: impl Into<String>) -> AdminError {
        AdminError { code: String::new(), message: message.into(), fault: None }
    }

    /// Did the connection turn out to be gone? (It is connected again at its next use.)
    fn lost(&self) -> bool {
        self.fault == Some(Fault::ConnectionLost)
    }
}

impl std::fmt::Display for AdminError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.code.as_str() {
            "" => f.write_str(&self.message),
            code => write!(f, "{code} {}", self.message),
        }
    }
}

/// An admin statement's outcome as a result: its error or fault is the Err.
pub fn admin_result(out: Outcome) -> AdminResult {
    match (&out.error, &out.fault) {
        (Some(e), fault) => Err(AdminError { code: e.code.clone(), message: e.message.clone(), fault: fault.clone() }),
        (None, Some(f)) => Err(AdminError { code: String::new(), message: f.to_string(), fault: Some(f.clone()) }),
        (None, None) => Ok(out),
    }
}

enum Job {
    Exec(String),
    /// `CREATE DATABASE`; one left over from an interrupted run (it carries our prefix) is
    /// dropped and created again.
    CreateDatabase(String),
    /// `CREATE DATABASE … TEMPLATE …`: a copy of a kept database (`name`, `template`).
    CopyDatabase(String, String),
    /// `DROP DATABASE IF EXISTS … WITH (FORCE)`, without FORCE before PostgreSQL 13.
    DropDatabase(String),
    /// Nothing: done when every job queued before it is.
    Barrier,
}

pub struct Admin {
    tx: mpsc::UnboundedSender<(Job, Option<oneshot::Sender<AdminResult>>)>,
    worker: JoinHandle<()>,
    /// Queued drops nobody waited for that failed: what and why.
    failures: Arc<Mutex<Vec<String>>>,
}

impl Admin {
    /// `track`: remember the databases it creates until they are dropped (a server the harness
    /// does not own, where an interrupted run must not leave them).
    pub fn spawn(params: ConnectParams, track: bool) -> Admin {
        let (tx, mut rx) = mpsc::unbounded_channel::<(Job, Option<oneshot::Sender<AdminResult>>)>();
        let failures = Arc::new(Mutex::new(Vec::new()));
        let failed = failures.clone();
        let worker = tokio::spawn(async move {
            let mut worker = Worker { params, session: None, track, file_copy: !track };
            while let Some((job, reply)) = rx.recv().await {
                let dropping = match &job {
                    Job::DropDatabase(name) => Some(name.clone()),
                    _ => None,
                };
                let result = worker.run(job).await;
                match (reply, dropping, result) {
                    (Some(reply), _, result) => {
                        let _ = reply.send(result);
                    }
                    (None, Some(name), Err(e)) if !cleanup::stopping() => {
                        failed.lock().expect("not poisoned").push(format!("database {name}: {e}"));
                    }
                    _ => {}
                }
            }
            if let Some(s) = worker.session.take() {
                s.close().await;
            }
        });
        Admin { tx, worker, failures }
    }

    /// Wait until every job queued so far is done.
    pub async fn barrier(&self) {
        let _ = Self::wait(self.submit(Job::Barrier)).await;
    }

    /// Queued drops that failed since the last call.
    pub fn failures(&self) -> Vec<String> {
        std::mem::take(&mut *self.failures.lock().expect("not poisoned"))
    }

    fn submit(&self, job: Job) -> oneshot::Receiver<AdminResult> {
        let (reply, rx) = oneshot::channel();
        // A send error means the worker is gone; the receiver then reports it.
        let _ = self.tx.send((job, Some(reply)));
        rx
    }

    async fn wait(rx: oneshot::Receiver<AdminResult>) -> AdminResult {
        rx.await.unwrap_or_else(|_| Err(AdminError::other("the admin connection task ended")))
    }

    pub async fn exec(&self, sql: &str) -> AdminResult {
        Self::wait(self.submit(Job::Exec(sql.to_string()))).await
    }

    pub async fn create_database(&self, name: &str) -> AdminResult {
        Self::wait(self.submit(Job::CreateDatabase(name.to_string()))).await
    }

    pub async fn copy_database(&self, name: &str, template: &str) -> AdminResult {
        Self::wait(self.submit(Job::CopyDatabase(name.to_string(), template.to_string()))).await
    }

    /// Queue a database creation and return a handle to await later.
    pub fn prepare_database(&self, name: &str) -> Pending {
        Pending { name: name.to_string(), rx: self.submit(Job::CreateDatabase(name.to_string())) }
    }

    /// Queue a statement and return a handle to await later.
    pub fn exec_later(&self, sql: &str) -> Pending {
        Pending { name: sql.to_string(), rx: self.submit(Job::Exec(sql.to_string())) }
    }

    pub async fn drop_database(&self, name: &str) -> AdminResult {
        Self::wait(self.submit(Job::DropDatabase(name.to_string()))).await
    }

    /// Queue a drop without waiting for it.
    pub fn drop_database_later(&self, name: &str) {
        let _ = self.tx.send((Job::DropDatabase(name.to_string()), None));
    }

    /// Finish every queued job, then close the connection.
    pub async fn shutdown(self) {
        drop(self.tx);
        let _ = self.worker.await;
    }
}

/// A queued job to await later: a database being created ahead of its workload (`name` is the
/// database), or a statement (`name` is its text).
pub struct Pending {
    pub name: String,
    rx: oneshot::Receiver<AdminResult>,
}

impl Pending {
    pub async fn wait(self) -> AdminResult {
        Admin::wait(self.rx).await
    }
}

struct Worker {
    params: ConnectParams,
    session: Option<Session>,
    track: bool,
    /// On a server the harness owns (fsync off), `CREATE DATABASE … STRATEGY = FILE_COPY`:
    /// cheaper there than writing the template to WAL, and databases are made for every
    /// workload. Off once refused (before PostgreSQL 15, or not PostgreSQL).
    file_copy: bool,
}

impl Worker {
    /// The admin session, connected again if it broke.
    async fn session(&mut self) -> Result<&mut Session, AdminError> {
        if self.session.as_ref().is_none_or(|s| s.broken) {
            let s =
                Session::connect(&self.params, CONNECT_TIMEOUT).await.map_err(|e| AdminError::other(e.to_string()))?;
            self.session = Some(s);
        }
        Ok(self.session.as_mut().expect("connected"))
    }

    async fn exec(&mut self, sql: &str) -> AdminResult {
        let result = admin_result(self.session().await?.simple_query(sql, ADMIN_TIMEOUT).await.outcome);
        if !lost(&result) {
            return result;
        }
        // Idle, it was closed meanwhile (the server restarted): once more, on a new one.
        admin_result(self.session().await?.simple_query(sql, ADMIN_TIMEOUT).await.outcome)
    }

    fn leftover(&self, name: &str) -> Leftover {
        Leftover::Database { params: self.params.clone(), name: name.to_string() }
    }

    async fn run(&mut self, job: Job) -> AdminResult {
        if cleanup::stopping() {
            return Err(AdminError::other("the harness is stopping"));
        }
        let _busy = cleanup::Busy::start();
        // Remembered before it is made: an interrupt may come while CREATE DATABASE runs.
        if let (true, Job::CreateDatabase(name) | Job::CopyDatabase(name, _)) = (self.track, &job) {
            cleanup::remember(self.leftover(name));
        }
        match job {
            Job::Exec(sql) => self.exec(&sql).await,
            Job::CreateDatabase(name) => {
                let plain = format!("CREATE DATABASE {}", quote_ident(&name));
                let mut create = if self.file_copy { format!("{plain} STRATEGY = FILE_COPY") } else { plain.clone() };
                let mut result = self.exec(&create).await;
                if self.file_copy && result.as_ref().is_err_and(|e| e.code == "42601") {
                    self.file_copy = false;
                    create = plain;
                    result = self.exec(&create).await;
                }
                match result {
                    Err(e) if e.code == "42P04" => {
                        self.drop(&name).await?;
                        self.exec(&create).await
                    }
                    other => other,
                }
            }
            Job::CopyDatabase(name, template) => {
                self.drop(&name).await?;
                self.exec(&format!("CREATE DATABASE {} TEMPLATE {}", quote_ident(&name), quote_ident(&template))).await
            }
            Job::DropDatabase(name) => self.drop(&name).await,
            Job::Barrier => Ok(Outcome::default()),
        }
    }

    async fn drop(&mut self, name: &str) -> AdminResult {
        let mut result = drop_database(self.session().await?, name).await;
        if lost(&result) {
            result = drop_database(self.session().await?, name).await;
        }
        if self.track && result.is_ok() {
            cleanup::forget(&self.leftover(name));
        }
        result
    }
}

fn lost(result: &AdminResult) -> bool {
    result.as_ref().is_err_and(AdminError::lost)
}

/// `DROP DATABASE IF EXISTS … WITH (FORCE)`, without FORCE before PostgreSQL 13.
pub async fn drop_database(session: &mut Session, name: &str) -> AdminResult {
    let sql = format!("DROP DATABASE IF EXISTS {}", quote_ident(name));
    match admin_result(session.simple_query(&format!("{sql} WITH (FORCE)"), ADMIN_TIMEOUT).await.outcome) {
        Err(e) if e.code == "42601" => admin_result(session.simple_query(&sql, ADMIN_TIMEOUT).await.outcome),
        other => other,
    }
}
