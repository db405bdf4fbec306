//! The extended query protocol, as libpq's PQexecParams and JDBC send it: Parse (unless a named
//! statement is reused), Describe the statement (its parameter types as the server inferred
//! them, and its row description), Bind the text parameters, Execute (with a row limit: again
//! after each PortalSuspended, like a fetch size), Sync. Replies are folded by `simple.rs`'s
//! `record`, which also sends the next Execute and the Sync.

use std::time::Duration;

use postgres_protocol::message::frontend;
use postgres_protocol::IsNull;

use super::simple::Response;
use super::Session;
use crate::model::{Fault, Outcome};

/// One statement to run with the extended protocol.
#[derive(Debug, Clone, Default)]
pub struct Extended {
    /// The prepared statement's name (`""`: the unnamed statement).
    pub name: String,
    /// Send Parse (false: reuse the named statement parsed by an earlier step).
    pub parse: bool,
    /// Parameter type OIDs for Parse (0: let the server infer), one per typed or untyped value.
    pub param_types: Vec<u32>,
    /// Parameter values in text format; `None` is NULL.
    pub values: Vec<Option<String>>,
    /// Execute's row limit (0: all rows).
    pub max_rows: u32,
}

/// Where an extended query stands, while its replies are read.
#[derive(Debug, Default)]
pub(super) struct Pending {
    pub max_rows: u32,
    /// Sync has been sent (after the last Execute's completion, or an error).
    pub synced: bool,
}

impl Session {
    /// Run one statement with the extended protocol. Never fails (see `simple_query`).
    pub async fn extended_query(
        &mut self,
        sql: &str,
        ext: &Extended,
        copy_data: Option<&str>,
        timeout: Duration,
    ) -> Response {
        if self.broken {
            return Response { outcome: Outcome::faulted(Fault::NotRun), ..Response::default() };
        }
        if let Err(e) = self.write_extended(sql, ext) {
            self.wbuf.clear();
            return Response { outcome: Outcome::faulted(Fault::Protocol(e.to_string())), ..Response::default() };
        }
        self.pending = Some(Pending { max_rows: ext.max_rows, synced: ext.max_rows == 0 });
        self.copy_data = copy_data.map(|d| d.as_bytes().to_vec());
        let mut resp = self.exchange(timeout).await;
        self.copy_data = None;
        self.pending = None;
        if ext.max_rows > 0 && resp.outcome.fault.is_none() {
            resp.outcome.fetches = Some(resp.fetches + 1);
        }
        resp
    }

    fn write_extended(&mut self, sql: &str, ext: &Extended) -> std::io::Result<()> {
        let buf = &mut self.wbuf;
        if ext.parse {
            frontend::parse(&ext.name, sql, ext.param_types.iter().copied(), buf)?;
        }
        frontend::describe(b'S', &ext.name, buf)?;
        let bound = frontend::bind(
            "",
            &ext.name,
            std::iter::empty(),
            ext.values.iter(),
            |v, buf| match v {
                Some(text) => {
                    buf.extend_from_slice(text.as_bytes());
                    Ok(IsNull::No)
                }
                None => Ok(IsNull::Yes),
            },
            std::iter::empty(),
            buf,
        );
        bound.map_err(|e| match e {
            frontend::BindError::Conversion(e) => std::io::Error::other(e.to_string()),
            frontend::BindError::Serialization(e) => e,
        })?;
        frontend::execute("", ext.max_rows as i32, buf)?;
        // With a row limit the portal must outlive each Execute: Flush, and Sync at the end.
        if ext.max_rows == 0 {
            frontend::sync(buf);
        } else {
            frontend::flush(buf);
        }
        Ok(())
    }
}
