//! A step as the wire sends it: the simple protocol, or the extended one with typed parameters
//! resolved to the target's own OIDs and named statements parsed once per connection.

use std::time::Duration;

use super::wire::{Extended, Response, Session};
use super::PgEngine;
use crate::model::{Fault, Outcome};
use crate::model::{Protocol, Step};

pub enum Request {
    Simple {
        sql: String,
        copy: Option<String>,
    },
    Extended {
        sql: String,
        ext: Extended,
        copy: Option<String>,
    },
    /// Not sent: why (a parameter type this target does not have).
    Refused(String),
}

impl Request {
    /// Send it on `session`; the response, faults included.
    pub async fn send(&self, session: &mut Session, timeout: Duration) -> Response {
        match self {
            Request::Simple { sql, copy } => session.query_with_copy(sql, copy.as_deref(), timeout).await,
            Request::Extended { sql, ext, copy } => {
                let named = !ext.name.is_empty();
                let ext = Extended { parse: !named || !session.prepared.contains(&ext.name), ..ext.clone() };
                let resp = session.extended_query(sql, &ext, copy.as_deref(), timeout).await;
                // Described: the statement exists on this connection from now on.
                if named && ext.parse && resp.param_oids.is_some() {
                    session.prepared.insert(ext.name.clone());
                }
                resp
            }
            Request::Refused(why) => {
                Response { outcome: Outcome::faulted(Fault::Protocol(why.clone())), ..Response::default() }
            }
        }
    }
}

/// `format_type`'s name for a type's common short name (`int4` → `integer`).
fn canonical(name: &str) -> &str {
    match name.trim().to_ascii_lowercase().as_str() {
        "int" | "int4" => "integer",
        "int2" => "smallint",
        "int8" => "bigint",
        "float4" => "real",
        "float8" | "float" => "double precision",
        "bool" => "boolean",
        "varchar" => "character varying",
        "char" => "character",
        "decimal" => "numeric",
        "timestamptz" => "timestamp with time zone",
        "timestamp" => "timestamp without time zone",
        "timetz" => "time with time zone",
        "time" => "time without time zone",
        _ => name.trim(),
    }
}

impl PgEngine {
    /// How `step` goes on the wire on this target.
    pub(super) async fn prepare_request(&mut self, step: &Step) -> Request {
        let (sql, copy) = (step.sql.clone(), step.copy_data.clone());
        if step.protocol(self.protocol) == Protocol::Simple {
            return Request::Simple { sql, copy };
        }
        let bind = step.bind.clone().unwrap_or_default();
        let mut param_types = Vec::with_capacity(bind.params.len());
        for p in &bind.params {
            let oid = match &p.type_name {
                None => 0,
                Some(name) => match self.type_oid(name).await {
                    Some(oid) => oid,
                    None => return Request::Refused(format!("parameter type `{name}` is not a built-in type here")),
                },
            };
            param_types.push(oid);
        }
        let ext = Extended {
            name: bind.statement.unwrap_or_default(),
            parse: true,
            param_types,
            values: bind.params.into_iter().map(|p| p.value).collect(),
            max_rows: bind.fetch.unwrap_or(0),
        };
        Request::Extended { sql, ext, copy }
    }

    /// A built-in type's OID on this target, by `format_type` name or common short name.
    async fn type_oid(&mut self, name: &str) -> Option<u32> {
        let wanted = canonical(name).to_string();
        self.builtin_types().await.iter().filter(|(_, n)| **n == wanted).map(|(oid, _)| *oid).min()
    }
}

#[cfg(test)]
mod tests {
    use super::canonical;

    #[test]
    fn short_type_names_become_format_type_names() {
        assert_eq!(canonical("int4"), "integer");
        assert_eq!(canonical("TIMESTAMPTZ"), "timestamp with time zone");
        assert_eq!(canonical("text"), "text");
        assert_eq!(canonical(" jsonb "), "jsonb");
    }
}
