//! The simple query protocol: one Query message, everything until ReadyForQuery recorded.

use std::time::Duration;

use fallible_iterator::FallibleIterator;
use postgres_protocol::message::backend::Message;
use postgres_protocol::message::frontend;
use tokio::time::Instant;

use super::{server_message, Session};
use crate::model::{Column, Fault, Notification, Outcome, Parameter, TxStatus};

/// How long to wait for the server to answer a CancelRequest before giving the session up.
const CANCEL_GRACE: Duration = Duration::from_secs(5);

/// An outcome plus the type OIDs of its columns, which the caller resolves to names from the
/// target's own catalog.
#[derive(Debug, Clone, Default)]
pub struct Response {
    pub outcome: Outcome,
    pub column_oids: Vec<u32>,
    /// From ParameterDescription (extended protocol): the parameter types the server inferred.
    pub param_oids: Option<Vec<u32>>,
    /// Executes sent for an extended query with a row limit.
    pub fetches: usize,
}

impl Session {
    /// Run one statement with the simple protocol. Never fails: a broken connection, a timeout
    /// or a protocol violation becomes the outcome's `fault` (and marks the session broken when
    /// it cannot be used again).
    pub async fn simple_query(&mut self, sql: &str, timeout: Duration) -> Response {
        self.query_with_copy(sql, None, timeout).await
    }

    /// Like `simple_query`; when the server asks for `COPY … FROM STDIN` data, `copy_data` is
    /// sent (without it, the COPY is ended at once, as psql ends it at the end of its input).
    pub async fn query_with_copy(&mut self, sql: &str, copy_data: Option<&str>, timeout: Duration) -> Response {
        self.copy_data = copy_data.map(|d| d.as_bytes().to_vec());
        let resp = self.query_inner(sql, timeout).await;
        self.copy_data = None;
        resp
    }

    async fn query_inner(&mut self, sql: &str, timeout: Duration) -> Response {
        if self.broken {
            return Response { outcome: Outcome::faulted(Fault::NotRun), ..Response::default() };
        }
        if let Err(e) = frontend::query(sql, &mut self.wbuf) {
            self.wbuf.clear();
            return Response { outcome: Outcome::faulted(Fault::Protocol(e.to_string())), ..Response::default() };
        }
        self.exchange(timeout).await
    }

    /// Send what is in `wbuf`, then read and record replies until ReadyForQuery (cancelling
    /// after `timeout`); the rows as they arrived (held whole, or a large result's summary).
    pub(super) async fn exchange(&mut self, timeout: Duration) -> Response {
        let mut resp = self.exchange_messages(timeout).await;
        let (rows, large) = self.rows.finish();
        resp.outcome.rows = rows;
        resp.outcome.large = large;
        resp
    }

    async fn exchange_messages(&mut self, timeout: Duration) -> Response {
        let mut resp = Response::default();
        if self.flush().await.is_err() {
            return self.lost(resp);
        }
        let mut deadline = Instant::now() + timeout;
        let mut cancelled = false;
        loop {
            // A server that floods rows always has the next message ready: the deadline is
            // checked before each read, not only while waiting for one.
            let read = if Instant::now() >= deadline {
                Err(())
            } else {
                tokio::time::timeout_at(deadline, self.read_message()).await.map_err(|_| ())
            };
            let msg = match read {
                Ok(Ok(msg)) => msg,
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::InvalidInput => {
                    self.broken = true;
                    resp.outcome.fault = Some(Fault::Protocol(e.to_string()));
                    resp.outcome.status = TxStatus::Unknown;
                    return resp;
                }
                Ok(Err(_)) => return self.lost(resp),
                Err(_) if !cancelled => {
                    cancelled = true;
                    let _ = self.cancel().await;
                    deadline = Instant::now() + CANCEL_GRACE;
                    continue;
                }
                Err(_) => {
                    // The server ignored the cancel: this connection is wedged.
                    self.broken = true;
                    self.rows.discard();
                    resp.outcome = Outcome::faulted(Fault::Timeout);
                    return resp;
                }
            };
            if let Err(e) = self.record(msg, &mut resp) {
                self.broken = true;
                resp.outcome.fault = Some(Fault::Protocol(e.to_string()));
                return resp;
            }
            if !self.wbuf.is_empty() && self.flush().await.is_err() {
                return self.lost(resp);
            }
            if let Some(status) = resp.outcome.status.known() {
                self.status = status;
                if cancelled {
                    // What the server did after our cancel is not the statement's outcome.
                    self.rows.discard();
                    resp.outcome = Outcome { status, fault: Some(Fault::Timeout), ..Outcome::default() };
                    resp.column_oids.clear();
                }
                return resp;
            }
        }
    }

    fn lost(&mut self, mut resp: Response) -> Response {
        self.broken = true;
        resp.outcome.fault = Some(Fault::ConnectionLost);
        resp.outcome.status = TxStatus::Unknown;
        resp
    }

    /// An extended query's Sync, once its last Execute completed or failed.
    fn sync_once(&mut self) {
        if let Some(p) = self.pending.as_mut().filter(|p| !p.synced) {
            p.synced = true;
            frontend::sync(&mut self.wbuf);
        }
    }

    /// Fold one message into the response; ReadyForQuery sets a known status.
    fn record(&mut self, msg: Message, resp: &mut Response) -> std::io::Result<()> {
        let out = &mut resp.outcome;
        match msg {
            Message::RowDescription(body) => {
                let mut columns = Vec::new();
                resp.column_oids.clear();
                let mut fields = body.fields();
                while let Some(f) = fields.next()? {
                    columns.push(Column {
                        name: f.name().to_string(),
                        type_name: String::new(),
                        typmod: f.type_modifier(),
                    });
                    resp.column_oids.push(f.type_oid());
                }
                out.columns = Some(columns);
                self.rows.columns(&resp.column_oids);
            }
            Message::DataRow(body) => {
                let buf = body.buffer();
                let row =
                    body.ranges().map(|r| Ok(r.map(|r| String::from_utf8_lossy(&buf[r]).into_owned()))).collect()?;
                self.rows.push(row);
            }
            Message::CommandComplete(body) => {
                out.tag = Some(body.tag()?.to_string());
                self.sync_once();
            }
            Message::EmptyQueryResponse => {
                out.tag = None;
                self.sync_once();
            }
            Message::ErrorResponse(body) => {
                out.error = Some(server_message(body.fields())?);
                self.sync_once();
            }
            Message::ParameterDescription(body) => {
                resp.param_oids = Some(body.parameters().collect()?);
            }
            // The portal has rows left: fetch the next batch.
            Message::PortalSuspended => {
                resp.fetches += 1;
                let max_rows = self.pending.as_ref().map_or(0, |p| p.max_rows);
                frontend::execute("", max_rows as i32, &mut self.wbuf)?;
                frontend::flush(&mut self.wbuf);
            }
            Message::NoticeResponse(body) => out.notices.push(server_message(body.fields())?),
            // A setting reported changed. One that repeats the value this session already
            // knows changes nothing for a driver (PGlite repeats some after statements that
            // do not change them): not recorded.
            Message::ParameterStatus(body) => {
                let (name, value) = (body.name()?.to_string(), body.value()?.to_string());
                if self.server_params.get(&name) != Some(&value) {
                    out.parameters.push(Parameter { name: name.clone(), value: value.clone() });
                    self.server_params.insert(name, value);
                }
            }
            Message::NotificationResponse(body) => out
                .notifications
                .push(Notification { channel: body.channel()?.to_string(), payload: body.message()?.to_string() }),
            Message::CopyInResponse(_) => match self.copy_data.take() {
                // The step's data, then CopyDone. (The caller flushes `wbuf`.)
                Some(data) => {
                    if !data.is_empty() {
                        frontend::CopyData::new(&data[..])?.write(&mut self.wbuf);
                    }
                    frontend::copy_done(&mut self.wbuf);
                }
                // No data given: ended as psql ends one at the end of its input (no rows).
                None => frontend::copy_done(&mut self.wbuf),
            },
            Message::CopyOutResponse(_) => out.columns = Some(Vec::new()),
            Message::CopyData(body) => {
                let line = String::from_utf8_lossy(body.data()).trim_end_matches('\n').to_string();
                self.rows.push(vec![Some(line)]);
            }
            Message::ReadyForQuery(body) => out.status = TxStatus::from_byte(body.status()),
            // Asynchronous or irrelevant here.
            _ => {}
        }
        Ok(())
    }
}

impl TxStatus {
    fn known(self) -> Option<TxStatus> {
        (self != TxStatus::Unknown).then_some(self)
    }
}
