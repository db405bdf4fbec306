//! Any engine a target string can name, as one type: a run's two sides may be different
//! engines (PostgreSQL against SQLite), and everything downstream stays generic over one.

use std::time::Duration;

use super::pg::server::Target;
use super::pg::wire::{Canceller, Response, Session};
use super::pg::{PgEngine, PgRequest};
use super::sqlite::{SqliteCancel, SqliteConn, SqliteEngine, SqliteRequest};
use super::target::TargetSpec;
use super::{Beside, Cancel, Connection, Engine, News};
use crate::model::error::{Error, Result};
use crate::model::{Fault, Outcome, Protocol, Requirement, Step, TargetReport};

pub enum AnyEngine {
    Pg(Box<PgEngine>),
    Sqlite(SqliteEngine),
}

/// A session is a few hundred bytes, and a run holds a handful: not worth a box per connection.
#[allow(clippy::large_enum_variant)]
pub enum AnyConn {
    Pg(Session),
    Sqlite(SqliteConn),
}

pub enum AnyRequest {
    Pg(PgRequest),
    Sqlite(SqliteRequest),
}

pub enum AnyRaw {
    Pg(Response),
    Sqlite(Outcome),
}

pub enum AnyCancel {
    Pg(Canceller),
    Sqlite(SqliteCancel),
}

impl AnyEngine {
    /// Start (or reach) the target and take it into use; steps go with `protocol` unless
    /// they say otherwise.
    pub async fn start(spec: &TargetSpec, protocol: Protocol) -> Result<AnyEngine> {
        match spec {
            TargetSpec::Sqlite(s) => {
                SqliteEngine::start(s, &spec.to_string()).map(AnyEngine::Sqlite).map_err(|m| Error::target(spec, m))
            }
            _ => Ok(AnyEngine::Pg(Box::new(PgEngine::start(Target::start(spec).await?, protocol).await))),
        }
    }

    /// Are both the same server? Their workload databases would collide.
    pub fn same_server(&self, other: &AnyEngine) -> bool {
        match (self, other) {
            (AnyEngine::Pg(a), AnyEngine::Pg(b)) => a.same_server(b),
            _ => false,
        }
    }
}

impl Cancel for AnyCancel {
    async fn cancel(&self) {
        match self {
            AnyCancel::Pg(c) => Cancel::cancel(c).await,
            AnyCancel::Sqlite(c) => c.cancel().await,
        }
    }
}

impl Connection for AnyConn {
    type Request = AnyRequest;
    type Raw = AnyRaw;
    type Cancel = AnyCancel;

    fn canceller(&self) -> AnyCancel {
        match self {
            AnyConn::Pg(s) => AnyCancel::Pg(Connection::canceller(s)),
            AnyConn::Sqlite(c) => AnyCancel::Sqlite(c.canceller()),
        }
    }

    async fn send(&mut self, request: &AnyRequest, timeout: Duration) -> AnyRaw {
        match (self, request) {
            (AnyConn::Pg(s), AnyRequest::Pg(r)) => AnyRaw::Pg(Connection::send(s, r, timeout).await),
            (AnyConn::Sqlite(c), AnyRequest::Sqlite(r)) => AnyRaw::Sqlite(c.send(r, timeout).await),
            _ => AnyRaw::Sqlite(Outcome::faulted(Fault::Protocol("a request for another engine".into()))),
        }
    }

    async fn close(self) {
        match self {
            AnyConn::Pg(s) => Connection::close(s).await,
            AnyConn::Sqlite(c) => c.close().await,
        }
    }
}

impl Engine for AnyEngine {
    type Conn = AnyConn;

    fn report(&self) -> &TargetReport {
        match self {
            AnyEngine::Pg(e) => e.report(),
            AnyEngine::Sqlite(e) => e.report(),
        }
    }
    fn dialect(&self) -> crate::model::Dialect {
        match self {
            AnyEngine::Pg(e) => e.dialect(),
            AnyEngine::Sqlite(e) => e.dialect(),
        }
    }
    fn failed(&self) -> bool {
        match self {
            AnyEngine::Pg(e) => e.failed(),
            AnyEngine::Sqlite(e) => e.failed(),
        }
    }
    fn single(&self) -> bool {
        match self {
            AnyEngine::Pg(e) => e.single(),
            AnyEngine::Sqlite(e) => e.single(),
        }
    }
    async fn unmet(&mut self, requires: &[Requirement]) -> Option<String> {
        match self {
            AnyEngine::Pg(e) => e.unmet(requires).await,
            AnyEngine::Sqlite(e) => e.unmet(requires).await,
        }
    }
    async fn open(&mut self, name: &str, beside: Beside<'_>) -> std::result::Result<AnyConn, String> {
        match self {
            AnyEngine::Pg(e) => e.open(name, beside).await.map(AnyConn::Pg),
            AnyEngine::Sqlite(e) => e.open(name, beside).await.map(AnyConn::Sqlite),
        }
    }
    async fn flush(&mut self) {
        match self {
            AnyEngine::Pg(e) => e.flush().await,
            AnyEngine::Sqlite(e) => e.flush().await,
        }
    }
    async fn open_extra(&mut self) -> std::result::Result<AnyConn, String> {
        match self {
            AnyEngine::Pg(e) => e.open_extra().await.map(AnyConn::Pg),
            AnyEngine::Sqlite(e) => e.open_extra().await.map(AnyConn::Sqlite),
        }
    }
    async fn request(&mut self, step: &Step) -> AnyRequest {
        match self {
            AnyEngine::Pg(e) => AnyRequest::Pg(e.request(step).await),
            AnyEngine::Sqlite(e) => AnyRequest::Sqlite(e.request(step).await),
        }
    }
    async fn settle(&mut self, step: &Step, raw: AnyRaw, conn: &mut AnyConn) -> Outcome {
        match (self, raw, conn) {
            (AnyEngine::Pg(e), AnyRaw::Pg(r), AnyConn::Pg(c)) => e.settle(step, r, c).await,
            (AnyEngine::Sqlite(e), AnyRaw::Sqlite(r), AnyConn::Sqlite(c)) => e.settle(step, r, c).await,
            (_, AnyRaw::Sqlite(o), _) => o,
            (_, AnyRaw::Pg(r), _) => r.outcome,
        }
    }
    async fn close(&mut self, conn: AnyConn) {
        match (self, conn) {
            (AnyEngine::Pg(e), AnyConn::Pg(c)) => e.close(c).await,
            (AnyEngine::Sqlite(e), AnyConn::Sqlite(c)) => e.close(c).await,
            (_, c) => c.close().await,
        }
    }
    async fn keep(&mut self, conn: AnyConn) -> std::result::Result<(), String> {
        match (self, conn) {
            (AnyEngine::Pg(e), AnyConn::Pg(c)) => e.keep(c).await,
            (AnyEngine::Sqlite(e), AnyConn::Sqlite(c)) => e.keep(c).await,
            (_, c) => {
                c.close().await;
                Err("a connection of another engine".into())
            }
        }
    }
    async fn open_copy(&mut self, name: &str, template: &str) -> std::result::Result<AnyConn, String> {
        match self {
            AnyEngine::Pg(e) => e.open_copy(name, template).await.map(AnyConn::Pg),
            AnyEngine::Sqlite(e) => e.open_copy(name, template).await.map(AnyConn::Sqlite),
        }
    }
    async fn discard(&mut self, template: &str) {
        match self {
            AnyEngine::Pg(e) => e.discard(template).await,
            AnyEngine::Sqlite(e) => e.discard(template).await,
        }
    }
    fn extra_lane(&self) -> Option<Self> {
        match self {
            AnyEngine::Pg(e) => e.extra_lane().map(|l| AnyEngine::Pg(Box::new(l))),
            AnyEngine::Sqlite(e) => e.extra_lane().map(AnyEngine::Sqlite),
        }
    }
    async fn revive(&mut self) -> bool {
        match self {
            AnyEngine::Pg(e) => e.revive().await,
            AnyEngine::Sqlite(e) => e.revive().await,
        }
    }
    fn take_news(&mut self) -> News {
        match self {
            AnyEngine::Pg(e) => e.take_news(),
            AnyEngine::Sqlite(e) => e.take_news(),
        }
    }
    fn absorb(&mut self, news: News) {
        match self {
            AnyEngine::Pg(e) => e.absorb(news),
            AnyEngine::Sqlite(e) => e.absorb(news),
        }
    }
    async fn stop(self) {
        match self {
            AnyEngine::Pg(e) => e.stop().await,
            AnyEngine::Sqlite(e) => e.stop().await,
        }
    }
}
