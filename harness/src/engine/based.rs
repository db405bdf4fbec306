//! An engine whose every slate starts from a base instead of empty: a copy of a kept slate
//! (`Engine::open_copy`), or, where the engine cannot copy, a fresh slate with statements
//! replayed on it first. `compat` runs an old build's traffic on databases migrated to each
//! version this way, and the run's own machinery (recording, judging, reduction) stays as is.

use std::sync::Arc;

use super::{Beside, Connection, Engine, Request};
use crate::model::{Dialect, Outcome, Requirement, Step, TargetReport};

/// What a slate starts from.
#[derive(Debug, Clone)]
pub enum Base {
    /// A copy of this kept slate.
    Copy(String),
    /// A fresh slate with these statements run on it first (each must succeed).
    Replay(Arc<Vec<Step>>),
}

/// The engine itself (the run's own) or an extra lane to it.
enum Inner<'a, E> {
    Borrowed(&'a mut E),
    Owned(Box<E>),
}

impl<E> std::ops::Deref for Inner<'_, E> {
    type Target = E;
    fn deref(&self) -> &E {
        match self {
            Inner::Borrowed(e) => e,
            Inner::Owned(e) => e,
        }
    }
}

impl<E> std::ops::DerefMut for Inner<'_, E> {
    fn deref_mut(&mut self) -> &mut E {
        match self {
            Inner::Borrowed(e) => e,
            Inner::Owned(e) => e,
        }
    }
}

pub struct Based<'a, E> {
    inner: Inner<'a, E>,
    base: Base,
    /// Appended to every slate name, so two of these on one server never collide.
    tag: String,
    /// The inner engine's report, with the target labelled (`local, migrated to 3`).
    report: TargetReport,
}

/// How long a replayed statement (a migration's, on an engine that cannot copy) may run.
const REPLAY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// PostgreSQL's identifier limit, which slate names keep to.
const NAME_LIMIT: usize = 63;

impl<'a, E: Engine> Based<'a, E> {
    /// `label` is appended to the target's name in reports (`migrated to 3`).
    pub fn new(inner: &'a mut E, base: Base, tag: &str, label: &str) -> Based<'a, E> {
        let report = labelled(inner.report(), label);
        Based { inner: Inner::Borrowed(inner), base, tag: tag.to_string(), report }
    }

    /// On an extra lane of `engine` (None where it has none).
    pub fn lane(engine: &E, base: Base, tag: &str, label: &str) -> Option<Based<'a, E>> {
        let lane = engine.extra_lane()?;
        let report = labelled(lane.report(), label);
        Some(Based { inner: Inner::Owned(Box::new(lane)), base, tag: tag.to_string(), report })
    }

    fn slate(&self, name: &str) -> String {
        let mut slate: String = name.chars().take(NAME_LIMIT.saturating_sub(self.tag.len())).collect();
        slate.push_str(&self.tag);
        slate
    }
}

fn labelled(report: &TargetReport, label: &str) -> TargetReport {
    let mut report = report.clone();
    report.target = format!("{}, {label}", report.target);
    report
}

impl<E: Engine> Engine for Based<'_, E> {
    type Conn = E::Conn;

    fn report(&self) -> &TargetReport {
        &self.report
    }
    fn dialect(&self) -> Dialect {
        self.inner.dialect()
    }
    fn failed(&self) -> bool {
        self.inner.failed()
    }
    fn single(&self) -> bool {
        self.inner.single()
    }
    async fn unmet(&mut self, requires: &[Requirement]) -> Option<String> {
        self.inner.unmet(requires).await
    }
    async fn open(&mut self, name: &str, beside: Beside<'_>) -> Result<E::Conn, String> {
        let slate = self.slate(name);
        match &self.base {
            Base::Copy(template) => self.inner.open_copy(&slate, template).await,
            Base::Replay(steps) => {
                let steps = steps.clone();
                let beside = if beside == Beside::Alone { Beside::Alone } else { Beside::Next(None) };
                let mut conn = self.inner.open(&slate, beside).await?;
                for step in steps.iter() {
                    let request = self.inner.request(step).await;
                    let raw = conn.send(&request, REPLAY_TIMEOUT).await;
                    let o = self.inner.settle(step, raw, &mut conn).await;
                    if o.error.is_some() || o.fault.is_some() {
                        self.inner.close(conn).await;
                        return Err(format!("replaying {} on a fresh slate: {}", step.location, o.summary()));
                    }
                }
                Ok(conn)
            }
        }
    }
    async fn open_extra(&mut self) -> Result<E::Conn, String> {
        self.inner.open_extra().await
    }
    async fn request(&mut self, step: &Step) -> Request<E> {
        self.inner.request(step).await
    }
    async fn settle(&mut self, step: &Step, raw: super::Raw<E>, conn: &mut E::Conn) -> Outcome {
        self.inner.settle(step, raw, conn).await
    }
    async fn close(&mut self, conn: E::Conn) {
        self.inner.close(conn).await
    }
    async fn keep(&mut self, conn: E::Conn) -> Result<(), String> {
        self.inner.keep(conn).await
    }
    async fn open_copy(&mut self, name: &str, template: &str) -> Result<E::Conn, String> {
        self.inner.open_copy(name, template).await
    }
    async fn discard(&mut self, template: &str) {
        self.inner.discard(template).await
    }
    fn extra_lane(&self) -> Option<Self> {
        let lane = self.inner.extra_lane()?;
        Some(Based {
            inner: Inner::Owned(Box::new(lane)),
            base: self.base.clone(),
            tag: self.tag.clone(),
            report: self.report.clone(),
        })
    }
    async fn flush(&mut self) {
        self.inner.flush().await
    }
    async fn revive(&mut self) -> bool {
        self.inner.revive().await
    }
    async fn stop(self) {
        if let Inner::Owned(e) = self.inner {
            e.stop().await;
        }
    }
}
