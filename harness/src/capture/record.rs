//! What an application sent on one connection, folded from its frontend messages into steps
//! (pure): simple queries (split into statements), extended-protocol executions with their
//! parameters and named statements, fetch sizes and COPY data; then written as a workload.

use std::collections::HashMap;

use crate::model::error::Location;
use crate::model::{Bind, Order, Param, Protocol, Step};
use crate::workload::{sql, step_yaml};

/// One statement as the application ran it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Captured {
    pub sql: String,
    /// Sent with Parse/Bind/Execute.
    pub extended: bool,
    /// Text parameter values (`None`: NULL) and the type OIDs Parse named (0: inferred).
    pub params: Vec<Option<String>>,
    pub param_oids: Vec<u32>,
    /// The named statement executed (renamed `name~N` when the application re-prepared the
    /// name with other SQL after closing it).
    pub statement: Option<String>,
    pub fetch: Option<u32>,
    pub copy_data: Option<String>,
}

/// A prepared statement the application parsed.
#[derive(Debug, Clone)]
struct Prepared {
    sql: String,
    oids: Vec<u32>,
    /// The name it is written under.
    alias: String,
}

#[derive(Debug, Clone)]
struct Portal {
    statement: String,
    values: Vec<Option<String>>,
    /// A parameter was sent in binary format: not captured.
    binary: bool,
    /// Executed already: a later Execute fetches more rows of the same step.
    executed: bool,
}

/// One client connection's capture.
#[derive(Debug, Default)]
pub struct Capture {
    pub user: String,
    pub database: String,
    pub steps: Vec<Captured>,
    /// Executions not captured, and why.
    pub skipped: Vec<String>,
    statements: HashMap<String, Prepared>,
    /// How many times each name was prepared with new SQL (for aliases).
    generations: HashMap<String, usize>,
    portals: HashMap<String, Portal>,
    /// The step whose COPY … FROM STDIN data is arriving.
    copying: Option<usize>,
}

/// A NUL-terminated string at the start of `body`, and the rest.
fn cstr(body: &[u8]) -> Option<(String, &[u8])> {
    let end = body.iter().position(|b| *b == 0)?;
    Some((String::from_utf8_lossy(&body[..end]).into_owned(), &body[end + 1..]))
}

fn i16_at(body: &[u8], at: usize) -> Option<i16> {
    Some(i16::from_be_bytes(body.get(at..at + 2)?.try_into().ok()?))
}

fn i32_at(body: &[u8], at: usize) -> Option<i32> {
    Some(i32::from_be_bytes(body.get(at..at + 4)?.try_into().ok()?))
}

impl Capture {
    /// A whole client stream as the proxy reads it — startup packets (encryption requests
    /// skipped) and then messages, each length checked as the proxy checks it — folded into a
    /// capture, up to the first byte the proxy would refuse. The fuzz target drives it.
    pub fn from_stream(mut bytes: &[u8]) -> Capture {
        let mut capture = Capture::default();
        let take = |n: usize, bytes: &mut &[u8]| -> Option<Vec<u8>> {
            let (head, rest) = (bytes.get(..n)?, bytes.get(n..)?);
            *bytes = rest;
            Some(head.to_vec())
        };
        loop {
            let Some(head) = take(4, &mut bytes) else { return capture };
            let Ok(len) = super::length(&head, super::MAX_STARTUP) else { return capture };
            let Some(payload) = take(len - 4, &mut bytes) else { return capture };
            match payload.get(..4).map(|c| i32::from_be_bytes(c.try_into().unwrap_or_default())) {
                Some(super::SSL_REQUEST | super::GSSENC_REQUEST) => continue,
                Some(_) => {
                    capture.startup(&payload);
                    break;
                }
                None => return capture,
            }
        }
        while let Some(head) = take(5, &mut bytes) {
            let Ok(len) = super::length(&head[1..], super::MAX_MESSAGE) else { break };
            let Some(body) = take(len - 4, &mut bytes) else { break };
            capture.feed(head[0], &body);
        }
        capture
    }

    /// The startup packet's payload (after the length): protocol version, then name/value pairs.
    pub fn startup(&mut self, payload: &[u8]) {
        let mut rest = payload.get(4..).unwrap_or_default();
        while let Some((name, after)) = cstr(rest) {
            if name.is_empty() {
                break;
            }
            let Some((value, after)) = cstr(after) else { break };
            match name.as_str() {
                "user" => self.user = value,
                "database" => self.database = value,
                _ => {}
            }
            rest = after;
        }
        if self.database.is_empty() {
            self.database = self.user.clone();
        }
    }

    /// Fold one frontend message (type byte and body, without the length).
    pub fn feed(&mut self, tag: u8, body: &[u8]) {
        let _ = self.try_feed(tag, body);
    }

    fn try_feed(&mut self, tag: u8, body: &[u8]) -> Option<()> {
        match tag {
            b'Q' => {
                let (text, _) = cstr(body)?;
                self.copying = None;
                let pieces = sql::split(&text).ok().filter(|p| !p.is_empty());
                let statements: Vec<String> = match pieces {
                    Some(p) => p.into_iter().map(|p| p.text).collect(),
                    None if text.trim().is_empty() => Vec::new(),
                    // Not splittable here (a COPY FROM STDIN's data comes in CopyData, not
                    // after it): the statement as sent, without its terminator.
                    None => vec![text.trim().trim_end_matches(';').trim_end().to_string()],
                };
                for sql in statements {
                    let copy_in = is_copy_from_stdin(&sql);
                    self.steps.push(Captured { sql, ..Captured::default() });
                    if copy_in {
                        self.copying = Some(self.steps.len() - 1);
                    }
                }
            }
            b'P' => {
                let (name, rest) = cstr(body)?;
                let (sql, rest) = cstr(rest)?;
                let n = i16_at(rest, 0)?.max(0) as usize;
                let oids = (0..n).map(|i| i32_at(rest, 2 + 4 * i).map(|o| o as u32)).collect::<Option<Vec<_>>>()?;
                let alias = if name.is_empty() {
                    String::new()
                } else {
                    let generation = self.generations.entry(name.clone()).or_insert(0);
                    *generation += 1;
                    if *generation == 1 {
                        name.clone()
                    } else {
                        format!("{name}~{generation}")
                    }
                };
                self.statements.insert(name, Prepared { sql, oids, alias });
            }
            b'B' => {
                let (portal, rest) = cstr(body)?;
                let (statement, rest) = cstr(rest)?;
                let nformats = i16_at(rest, 0)?.max(0) as usize;
                let formats: Vec<i16> = (0..nformats).map(|i| i16_at(rest, 2 + 2 * i)).collect::<Option<_>>()?;
                let mut at = 2 + 2 * nformats;
                let nvalues = i16_at(rest, at)?.max(0) as usize;
                at += 2;
                let mut values = Vec::with_capacity(nvalues);
                let mut raw: HashMap<usize, Vec<u8>> = HashMap::new();
                for i in 0..nvalues {
                    let format = match formats.len() {
                        0 => 0,
                        1 => formats[0],
                        _ => *formats.get(i)?,
                    };
                    let len = i32_at(rest, at)?;
                    at += 4;
                    if len < 0 {
                        values.push(None);
                        continue;
                    }
                    let bytes = rest.get(at..at + len as usize)?;
                    at += len as usize;
                    if format != 0 {
                        raw.insert(i, bytes.to_vec());
                        values.push(None);
                    } else {
                        values.push(Some(String::from_utf8_lossy(bytes).into_owned()));
                    }
                }
                // Binary values in text form, by the types Parse named; one it cannot read
                // leaves the execution out.
                let oids = self.statements.get(&statement).map(|p| p.oids.clone()).unwrap_or_default();
                let mut binary = false;
                for (i, bytes) in raw {
                    match oids.get(i).and_then(|oid| binary_as_text(*oid, &bytes)) {
                        Some(text) => values[i] = Some(text),
                        None => binary = true,
                    }
                }
                self.portals.insert(portal, Portal { statement, values, binary, executed: false });
            }
            b'E' => {
                let (portal_name, rest) = cstr(body)?;
                let max_rows = i32_at(rest, 0)?;
                let portal = self.portals.get_mut(&portal_name)?;
                if portal.executed {
                    // A further Execute of a suspended portal: the same step, fetching more.
                    return Some(());
                }
                let prepared = self.statements.get(&portal.statement)?;
                if portal.binary {
                    self.skipped.push(format!("a binary parameter of a type not read: {}", first_line(&prepared.sql)));
                    return Some(());
                }
                portal.executed = true;
                let n = portal.values.len().max(prepared.oids.len());
                let step = Captured {
                    sql: prepared.sql.clone(),
                    extended: true,
                    params: portal.values.clone(),
                    param_oids: (0..n).map(|i| prepared.oids.get(i).copied().unwrap_or(0)).collect(),
                    statement: (!prepared.alias.is_empty()).then(|| prepared.alias.clone()),
                    fetch: (max_rows > 0).then_some(max_rows as u32),
                    copy_data: None,
                };
                self.copying = is_copy_from_stdin(&step.sql).then_some(self.steps.len());
                self.steps.push(step);
            }
            b'C' => {
                let (name, _) = cstr(body.get(1..)?)?;
                match body.first()? {
                    b'S' => {
                        self.statements.remove(&name);
                    }
                    _ => {
                        self.portals.remove(&name);
                    }
                }
            }
            b'd' => {
                let step = self.steps.get_mut(self.copying?)?;
                step.copy_data.get_or_insert_with(String::new).push_str(&String::from_utf8_lossy(body));
            }
            b'c' | b'f' => {
                if let Some(step) = self.copying.take().and_then(|i| self.steps.get_mut(i)) {
                    step.copy_data.get_or_insert_with(String::new);
                }
            }
            // Sync closes unnamed portals at the end of an implicit transaction; names live on.
            b'S' => {
                self.portals.retain(|name, _| !name.is_empty());
            }
            _ => {}
        }
        Some(())
    }
}

/// A parameter sent in binary format, in PostgreSQL's text form: the scalar types drivers send
/// in binary (integers, floats, bool, text-like, bytea, uuid) and one-dimensional arrays of
/// them. `None` for anything else.
pub fn binary_as_text(oid: u32, bytes: &[u8]) -> Option<String> {
    use postgres_protocol::types as t;
    Some(match oid {
        16 => if t::bool_from_sql(bytes).ok()? { "t" } else { "f" }.to_string(),
        17 => format!("\\x{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()),
        18 => (t::char_from_sql(bytes).ok()? as u8 as char).to_string(),
        19 | 25 | 1042 | 1043 | 114 | 705 => t::text_from_sql(bytes).ok()?.to_string(),
        3802 => t::text_from_sql(bytes.strip_prefix(&[1u8])?).ok()?.to_string(),
        20 => t::int8_from_sql(bytes).ok()?.to_string(),
        21 => t::int2_from_sql(bytes).ok()?.to_string(),
        23 => t::int4_from_sql(bytes).ok()?.to_string(),
        26 => t::oid_from_sql(bytes).ok()?.to_string(),
        700 => float_text(t::float4_from_sql(bytes).ok()? as f64),
        701 => float_text(t::float8_from_sql(bytes).ok()?),
        2950 => {
            let u = t::uuid_from_sql(bytes).ok()?;
            let hex: String = u.iter().map(|b| format!("{b:02x}")).collect();
            format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
        }
        1000 | 1002 | 1003 | 1005 | 1007 | 1009 | 1014 | 1015 | 1016 | 1021 | 1022 | 1028 | 2951 | 3807 => {
            array_text(bytes)?
        }
        _ => return None,
    })
}

fn float_text(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else {
        v.to_string()
    }
}

/// A one-dimensional binary array as an array literal (`{a,"b c",NULL}`).
fn array_text(bytes: &[u8]) -> Option<String> {
    use fallible_iterator::FallibleIterator;
    let array = postgres_protocol::types::array_from_sql(bytes).ok()?;
    let dims: Vec<_> = array.dimensions().collect().ok()?;
    if dims.len() > 1 {
        return None;
    }
    let element = array.element_type();
    let values: Vec<Option<&[u8]>> = array.values().collect().ok()?;
    let mut items = Vec::with_capacity(values.len());
    for v in values {
        items.push(match v {
            None => "NULL".to_string(),
            Some(b) => quote_element(&binary_as_text(element, b)?),
        });
    }
    Some(format!("{{{}}}", items.join(",")))
}

fn quote_element(text: &str) -> String {
    let plain = !text.is_empty()
        && !text.eq_ignore_ascii_case("NULL")
        && !text.chars().any(|c| matches!(c, '{' | '}' | ',' | '"' | '\\') || c.is_whitespace());
    if plain {
        return text.to_string();
    }
    let escaped: String =
        text.chars().flat_map(|c| if matches!(c, '"' | '\\') { vec!['\\', c] } else { vec![c] }).collect();
    format!("\"{escaped}\"")
}

fn is_copy_from_stdin(sql: &str) -> bool {
    let upper = sql.to_ascii_uppercase();
    upper.trim_start().starts_with("COPY") && upper.contains("FROM STDIN")
}

fn first_line(sql: &str) -> String {
    sql.lines().next().unwrap_or("").chars().take(80).collect()
}

impl Captured {
    /// As a workload step; `type_name` names the parameter type OIDs Parse gave.
    fn step(&self, type_name: &dyn Fn(u32) -> Option<String>) -> Step {
        let location = Location { file: Default::default(), line: 0, column: 0 };
        let mut step = crate::workload::step(self.sql.clone(), Order::Auto, location);
        step.copy_data = self.copy_data.clone();
        if self.extended {
            step.protocol = Some(Protocol::Extended);
            let params = self
                .params
                .iter()
                .enumerate()
                .map(|(i, value)| Param {
                    value: value.clone(),
                    type_name: self.param_oids.get(i).copied().filter(|o| *o != 0).and_then(type_name),
                })
                .collect();
            step.bind = Some(Bind { params, statement: self.statement.clone(), fetch: self.fetch });
        }
        step
    }
}

/// The capture as a YAML workload. `type_name` names a parameter type OID on the upstream.
pub fn render(capture: &Capture, id: u64, origin: &str, type_name: &dyn Fn(u32) -> Option<String>) -> String {
    let mut out = format!(
        "# Captured by pgparity capture from {origin}: connection {id} ({}@{}), {} statement(s).\n",
        capture.user,
        capture.database,
        capture.steps.len()
    );
    for why in &capture.skipped {
        out.push_str(&format!("# not captured: {why}\n"));
    }
    let feature = format!("Captured connection {id} ({}@{})", capture.user, capture.database);
    out.push_str(&format!("feature: {}\narea: Captured\nsteps:\n", serde_json::Value::String(feature)));
    for s in &capture.steps {
        out.push_str(&step_yaml(&s.step(type_name), None));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use postgres_protocol::message::frontend;

    /// Frontend messages as a client writes them → (tag, body) pairs.
    fn messages(buf: &[u8]) -> Vec<(u8, Vec<u8>)> {
        let mut out = Vec::new();
        let mut at = 0;
        while at < buf.len() {
            let len = i32::from_be_bytes(buf[at + 1..at + 5].try_into().unwrap()) as usize;
            out.push((buf[at], buf[at + 5..at + 1 + len].to_vec()));
            at += 1 + len;
        }
        out
    }

    fn feed(c: &mut Capture, buf: &BytesMut) {
        for (tag, body) in messages(buf) {
            c.feed(tag, &body);
        }
    }

    fn bind(buf: &mut BytesMut, portal: &str, statement: &str, values: &[Option<&str>], format: i16) {
        frontend::bind(
            portal,
            statement,
            [format],
            values.iter(),
            |v, buf| match v {
                Some(s) => {
                    buf.extend_from_slice(s.as_bytes());
                    Ok(postgres_protocol::IsNull::No)
                }
                None => Ok(postgres_protocol::IsNull::Yes),
            },
            std::iter::empty(),
            buf,
        )
        .map_err(|_| ())
        .unwrap();
    }

    #[test]
    fn simple_queries_split_and_copy_data_follows() {
        let mut c = Capture::default();
        let mut buf = BytesMut::new();
        frontend::query("CREATE TABLE t (a int); COPY t FROM STDIN", &mut buf).unwrap();
        frontend::CopyData::new(&b"1\n2\n"[..]).unwrap().write(&mut buf);
        frontend::copy_done(&mut buf);
        frontend::query("SELECT count(*) FROM t", &mut buf).unwrap();
        feed(&mut c, &buf);
        let sqls: Vec<&str> = c.steps.iter().map(|s| s.sql.as_str()).collect();
        assert_eq!(sqls, ["CREATE TABLE t (a int)", "COPY t FROM STDIN", "SELECT count(*) FROM t"]);
        assert_eq!(c.steps[1].copy_data.as_deref(), Some("1\n2\n"));
        assert!(c.steps.iter().all(|s| !s.extended));
    }

    #[test]
    fn extended_executions_keep_parameters_names_and_fetch_sizes() {
        let mut c = Capture::default();
        let mut buf = BytesMut::new();
        frontend::parse("s1", "SELECT $1::int + $2", [23, 0], &mut buf).unwrap();
        frontend::describe(b'S', "s1", &mut buf).unwrap();
        frontend::sync(&mut buf);
        bind(&mut buf, "", "s1", &[Some("1"), None], 0);
        frontend::execute("", 0, &mut buf).unwrap();
        frontend::sync(&mut buf);
        bind(&mut buf, "p", "s1", &[Some("2"), Some("3")], 0);
        frontend::execute("p", 10, &mut buf).unwrap();
        frontend::execute("p", 10, &mut buf).unwrap();
        frontend::sync(&mut buf);
        frontend::close(b'S', "s1", &mut buf).unwrap();
        frontend::parse("s1", "SELECT 2", [], &mut buf).unwrap();
        bind(&mut buf, "", "s1", &[], 0);
        frontend::execute("", 0, &mut buf).unwrap();
        frontend::parse("", "SELECT $1", [], &mut buf).unwrap();
        bind(&mut buf, "", "", &[Some("\u{1}\u{0}")], 1);
        frontend::execute("", 0, &mut buf).unwrap();
        frontend::sync(&mut buf);
        feed(&mut c, &buf);
        assert_eq!(c.steps.len(), 3, "{:?}", c.steps);
        assert_eq!(c.steps[0].params, vec![Some("1".to_string()), None]);
        assert_eq!(c.steps[0].param_oids, vec![23, 0]);
        assert_eq!(c.steps[0].statement.as_deref(), Some("s1"));
        assert_eq!((c.steps[1].fetch, c.steps[1].statement.as_deref()), (Some(10), Some("s1")), "one step per portal");
        assert_eq!((c.steps[2].sql.as_str(), c.steps[2].statement.as_deref()), ("SELECT 2", Some("s1~2")));
        assert_eq!(c.skipped, vec!["a binary parameter of a type not read: SELECT $1".to_string()]);
        let text = render(&c, 7, "127.0.0.1:5432", &|oid| (oid == 23).then(|| "integer".to_string()));
        assert!(text.contains("    params: [{\"type\":\"integer\",\"value\":\"1\"},null]\n"), "{text}");
        assert!(text.contains("    statement: \"s1~2\"\n"), "{text}");
        assert!(text.contains("# not captured: a binary parameter of a type not read: SELECT $1\n"), "{text}");
    }

    #[test]
    fn binary_parameters_become_text() {
        use postgres_protocol::types as t;
        let mut b = BytesMut::new();
        t::int8_to_sql(-42, &mut b);
        assert_eq!(binary_as_text(20, &b).as_deref(), Some("-42"));
        let mut b = BytesMut::new();
        t::bool_to_sql(true, &mut b);
        assert_eq!(binary_as_text(16, &b).as_deref(), Some("t"));
        let mut b = BytesMut::new();
        let items = ["authors", "two words", "NULL", "q\"t"];
        t::array_to_sql(
            [t::ArrayDimension { len: 5, lower_bound: 1 }],
            25,
            items.iter().map(Some).chain([None]),
            |v, buf| match v {
                Some(s) => {
                    t::text_to_sql(s, buf);
                    Ok(postgres_protocol::IsNull::No)
                }
                None => Ok(postgres_protocol::IsNull::Yes),
            },
            &mut b,
        )
        .map_err(|_| ())
        .unwrap();
        assert_eq!(binary_as_text(1009, &b).as_deref(), Some(r#"{authors,"two words","NULL","q\"t",NULL}"#));
        assert_eq!(binary_as_text(1700, &b), None, "numeric is not read: the execution is left out");
    }

    #[test]
    fn startup_names_user_and_database() {
        let mut c = Capture::default();
        let mut buf = BytesMut::new();
        frontend::startup_message([("user", "app"), ("database", "shop")], &mut buf).unwrap();
        c.startup(&buf[4..]);
        assert_eq!((c.user.as_str(), c.database.as_str()), ("app", "shop"));
    }
}
