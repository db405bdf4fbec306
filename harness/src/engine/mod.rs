//! The engine seam: what the runner needs of a database, and nothing of how it is reached.
//! An engine gives each workload a clean slate, opens sessions on it, turns a step into what
//! its connections send, settles a raw response into an `Outcome` (faults included: SQL errors
//! and lost connections are data), cancels a waiting statement, and reports what it is.
//!
//! Implementations: `pg` (the PostgreSQL wire protocol: local clusters, URLs, `exec:` and
//! `docker:` servers), `sqlite` (SQLite compiled in) and `fake` (deterministic, scripted, for
//! unit tests of the schedule, the reduction passes and the judgement); `any` is whichever a
//! target string names. The run (`run::record`) drives any of them.

pub mod any;
pub mod based;
pub mod fake;
pub mod pg;
pub mod rows;
pub mod sqlite;
pub mod target;

use std::future::Future;
use std::time::Duration;

use crate::model::{Dialect, Outcome, Requirement, Step, TargetEvent, TargetReport};

/// Stops a session's running statement from elsewhere (a protocol cancel request, say).
pub trait Cancel: Send + Sync + 'static {
    fn cancel(&self) -> impl Future<Output = ()> + Send;
}

/// One session (connection) on a workload's slate. It runs on a task of its own while the
/// schedule goes on, so it owns everything it needs to send a request.
pub trait Connection: Send + 'static {
    /// A step as this engine sends it (prepared by `Engine::request`).
    type Request: Send + Sync + 'static;
    /// What came back, before `Engine::settle` makes it an outcome.
    type Raw: Send + 'static;
    type Cancel: Cancel;

    fn canceller(&self) -> Self::Cancel;
    /// Send a request; a statement still running after `timeout` is cancelled (a fault).
    fn send(&mut self, request: &Self::Request, timeout: Duration) -> impl Future<Output = Self::Raw> + Send;
    /// End the session politely.
    fn close(self) -> impl Future<Output = ()> + Send;
}

/// The raw response type of an engine's connections.
pub type Raw<E> = <<E as Engine>::Conn as Connection>::Raw;
/// The request type of an engine's connections.
pub type Request<E> = <<E as Engine>::Conn as Connection>::Request;

/// What an engine learned for its report while it ran some workloads (`Engine::take_news`).
#[derive(Debug, Default)]
pub struct News {
    pub events: Vec<TargetEvent>,
    /// The target itself failed (crash, dropped connection, unreachable).
    pub failed: bool,
}

/// What else of the harness may be on a server while a slate is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Beside<'a> {
    /// Other work may go on; `Some(name)`: the slate the following workload will use, which
    /// the engine may prepare meanwhile.
    Next(Option<&'a str>),
    /// The workload reads or changes what all databases of the server share
    /// (`workload::shared`): nothing else of the harness is there while it runs, and what it
    /// made there is removed after it.
    Alone,
}

/// A database in use by a run, one workload at a time.
pub trait Engine: Send + Sized {
    type Conn: Connection;

    /// What it is and what the run learned about it (version, adaptations, events).
    fn report(&self) -> &TargetReport;
    /// Whose SQL it speaks, and whose catalog describes its schema.
    fn dialect(&self) -> Dialect;
    /// The target itself failed during the run (crash, dropped connection, unreachable): exit 3.
    fn failed(&self) -> bool;
    /// It takes one connection at a time: a workload's sessions all run on one.
    fn single(&self) -> bool;

    /// Why a workload cannot run here, if a requirement is unmet.
    fn unmet(&mut self, requires: &[Requirement]) -> impl Future<Output = Option<String>> + Send;
    /// A clean slate named `name` and its first session, with what may go on `beside` it.
    /// Err: no slate or connection.
    fn open(&mut self, name: &str, beside: Beside<'_>) -> impl Future<Output = Result<Self::Conn, String>> + Send;
    /// Another session on the open slate.
    fn open_extra(&mut self) -> impl Future<Output = Result<Self::Conn, String>> + Send;
    /// How `step` goes to this engine's connections.
    fn request(&mut self, step: &Step) -> impl Future<Output = Request<Self>> + Send;
    /// A response as its outcome: what the engine must resolve (type names), check (a crash
    /// behind a lost connection) or remember (events for the report).
    fn settle(&mut self, step: &Step, raw: Raw<Self>, conn: &mut Self::Conn) -> impl Future<Output = Outcome> + Send;
    /// After the workload: the first session back, and the slate dropped.
    fn close(&mut self, conn: Self::Conn) -> impl Future<Output = ()> + Send;
    /// After building a template: the first session back, and the slate kept under its name
    /// for `open_copy` until `discard` (or `stop`). Err: this engine cannot copy a slate here
    /// (the slate is dropped instead).
    fn keep(&mut self, conn: Self::Conn) -> impl Future<Output = Result<(), String>> + Send;
    /// A slate named `name` that starts as a copy of the kept slate `template`, and its first
    /// session.
    fn open_copy(&mut self, name: &str, template: &str) -> impl Future<Output = Result<Self::Conn, String>> + Send;
    /// Drop a kept slate.
    fn discard(&mut self, template: &str) -> impl Future<Output = ()> + Send;
    /// Another way into the same database, for trials beside the run's own work; `None`
    /// where that is not possible.
    fn extra_lane(&self) -> Option<Self>;
    /// What a lane (`extra_lane`) learned since it was made or last asked: the events for the
    /// report, and whether the target failed. The run hands a kept workload's news to the
    /// engine it reports (`absorb`), in input order, and drops the news of a discarded attempt.
    fn take_news(&mut self) -> News {
        News::default()
    }
    /// A lane's news, as if it had happened here.
    fn absorb(&mut self, news: News) {
        let _ = news;
    }
    /// Finish queued work (slates being dropped), so that the report says what it left.
    fn flush(&mut self) -> impl Future<Output = ()> + Send {
        async {}
    }
    /// Between the groups of a suite, whose database lives on: if the server the harness owns
    /// stopped (crashed, or was left wedged by a statement it would not cancel), start it again.
    /// `true` when it did: the suite's connections are gone, its database is still there.
    fn revive(&mut self) -> impl Future<Output = bool> + Send {
        async { false }
    }
    /// Finish queued work and stop what the harness started.
    fn stop(self) -> impl Future<Output = ()> + Send;
}
