//! Where a side's rows come from: a PostgreSQL database (any server the wire reaches) read with
//! `COPY (SELECT … ORDER BY key) TO STDOUT`, or an SQLite file opened read-only. Rows stream in
//! batches over a bounded channel from a task of their own, so both sides are read at once and
//! neither holds more than a few batches.

use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::engine::pg::server::Target;
use crate::engine::pg::wire::{quote_ident, Session};
use crate::engine::target::TargetSpec;
use crate::model::error::{Error, Result};
use crate::model::Dialect;
use crate::schema::{introspect, Schema};

type Batch = std::result::Result<Vec<Row>, String>;

/// A row as it came: a COPY line kept whole (its fields found, not copied, and unescaped only
/// when read), or SQLite's values as text.
#[derive(Debug, Clone)]
pub enum Row {
    Copy { line: bytes::Bytes, spans: Vec<Option<(u32, u32)>> },
    Text(Vec<Option<String>>),
}

impl Row {
    pub fn len(&self) -> usize {
        match self {
            Row::Copy { spans, .. } => spans.len(),
            Row::Text(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Field `i` as sent: the same bytes from the same kind of row are the same value.
    fn raw(&self, i: usize) -> Option<&[u8]> {
        match self {
            Row::Copy { line, spans } => spans[i].map(|(a, b)| &line[a as usize..b as usize]),
            Row::Text(v) => v[i].as_deref().map(str::as_bytes),
        }
    }

    /// Do fields `i` of both rows hold the same text, to be sure without reading it?
    pub fn same_raw(&self, other: &Row, i: usize) -> bool {
        matches!((self, other), (Row::Copy { .. }, Row::Copy { .. }) | (Row::Text(_), Row::Text(_)))
            && self.raw(i) == other.raw(i)
    }

    /// Field `i`'s text (`None`: NULL).
    pub fn text(&self, i: usize) -> Option<std::borrow::Cow<'_, str>> {
        match self {
            Row::Text(v) => v[i].as_deref().map(std::borrow::Cow::Borrowed),
            Row::Copy { .. } => {
                let raw = self.raw(i)?;
                Some(if raw.contains(&b'\\') {
                    std::borrow::Cow::Owned(String::from_utf8_lossy(&unescape(raw)).into_owned())
                } else {
                    String::from_utf8_lossy(raw)
                })
            }
        }
    }

    /// Every field's text.
    pub fn texts(&self) -> Vec<Option<String>> {
        (0..self.len()).map(|i| self.text(i).map(|t| t.into_owned())).collect()
    }
}

/// Rows per batch, and batches in flight per side: what bounds memory.
const BATCH: usize = 4096;
const IN_FLIGHT: usize = 4;
const QUERY_TIMEOUT: Duration = Duration::from_secs(300);

/// One column of the ORDER BY.
pub struct OrderBy {
    pub column: String,
    /// Sorted by its bytes (`collation`: the engine's name for that).
    pub text: bool,
    /// NULLs first, as both engines can be told to.
    pub nullable: bool,
}

impl OrderBy {
    fn sql(&self, collation: &str) -> String {
        let mut s = quote_ident(&self.column);
        if self.text {
            s.push_str(" COLLATE ");
            s.push_str(collation);
        }
        if self.nullable {
            s.push_str(" NULLS FIRST");
        }
        s
    }
}

/// One side, open.
pub enum Source {
    Pg(Box<PgSide>),
    Sqlite { path: PathBuf },
}

/// A PostgreSQL side: the server, and the session that reads it (away while a table streams).
pub struct PgSide {
    target: Target,
    session: Option<Session>,
}

impl Source {
    /// Reach the target (a PostgreSQL server, or an SQLite file opened read-only).
    pub async fn open(spec: &TargetSpec) -> Result<Source> {
        if let TargetSpec::Sqlite(s) = spec {
            let path = s.path.clone().ok_or_else(|| {
                Error::Usage(format!("{spec}: data-diff reads an existing database: name its file, sqlite:PATH"))
            })?;
            rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .map_err(|e| Error::target(spec, format!("cannot open {}: {e}", path.display())))?;
            return Ok(Source::Sqlite { path });
        }
        let target = Target::start(spec).await?;
        let session = match connect(&target).await {
            Ok(s) => s,
            Err(e) => {
                target.stop().await;
                return Err(Error::target(spec, e));
            }
        };
        Ok(Source::Pg(Box::new(PgSide { target, session: Some(session) })))
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Source::Pg(_) => Dialect::Postgres,
            Source::Sqlite { .. } => Dialect::Sqlite,
        }
    }

    /// What the side is, for the report (`PostgreSQL 15.18 (postgres://u:***@h/db)`).
    pub fn describe(&self, spec: &TargetSpec) -> String {
        match self {
            Source::Pg(pg) => format!("{spec} (PostgreSQL {})", pg.target.version),
            Source::Sqlite { .. } => format!("{spec} (SQLite {})", crate::engine::sqlite::version()),
        }
    }

    /// Its schema, from its own catalog.
    pub async fn schema(&mut self) -> std::result::Result<Schema, String> {
        let mut results = Vec::new();
        match self {
            Source::Pg(pg) => {
                let s = pg.session.as_mut().ok_or("the connection was lost")?;
                for sql in introspect::queries(Dialect::Postgres) {
                    let o = s.simple_query(sql, QUERY_TIMEOUT).await.outcome;
                    if let Some(e) = o.error {
                        return Err(format!("reading the schema: {} {}", e.code, e.message));
                    }
                    if let Some(f) = o.fault {
                        return Err(format!("reading the schema: {f}"));
                    }
                    results.push(o.rows);
                }
            }
            Source::Sqlite { path } => {
                let db = open_read_only(path)?;
                for sql in introspect::queries(Dialect::Sqlite) {
                    results.push(crate::engine::sqlite::query_text(&db, sql)?);
                }
            }
        }
        Ok(introspect::build(self.dialect(), &results))
    }

    /// Stream `columns` of `table` ordered by its first `key` columns (text ones by their
    /// bytes, NULLs first, as both engines can be told to).
    pub fn rows(&mut self, table: &str, columns: &[String], order: &[OrderBy]) -> Rows {
        let list: Vec<String> = columns.iter().map(|c| quote_ident(c)).collect();
        let (tx, rx) = mpsc::channel(IN_FLIGHT);
        let task = match self {
            Source::Pg(pg) => {
                let by: Vec<String> = order.iter().map(|o| o.sql("\"C\"")).collect();
                let sql = format!(
                    "COPY (SELECT {} FROM {} ORDER BY {}) TO STDOUT",
                    list.join(", "),
                    quote_ident(table),
                    by.join(", ")
                );
                match pg.session.take() {
                    Some(s) => Some(tokio::spawn(pg_rows(s, sql, tx))),
                    None => {
                        let _ = tx.try_send(Err("the connection was lost".into()));
                        None
                    }
                }
            }
            Source::Sqlite { path } => {
                let by: Vec<String> = order.iter().map(|o| o.sql("BINARY")).collect();
                let sql = format!("SELECT {} FROM {} ORDER BY {}", list.join(", "), quote_ident(table), by.join(", "));
                let path = path.clone();
                tokio::task::spawn_blocking(move || sqlite_rows(&path, &sql, tx));
                None
            }
        };
        Rows { rx, batch: Vec::new().into_iter(), task }
    }

    /// After a table: the session back from its reader.
    pub async fn done(&mut self, rows: Rows) {
        drop(rows.rx);
        if let (Source::Pg(pg), Some(task)) = (self, rows.task) {
            if let Ok(s) = task.await {
                if !s.broken {
                    pg.session = Some(s);
                }
            }
        }
    }

    pub async fn stop(self) {
        if let Source::Pg(pg) = self {
            if let Some(s) = pg.session {
                s.close().await;
            }
            pg.target.stop().await;
        }
    }
}

async fn connect(target: &Target) -> std::result::Result<Session, String> {
    let mut s = Session::connect_patiently(&target.params, Duration::from_secs(10)).await.map_err(|e| e.to_string())?;
    let settings: Vec<String> =
        crate::engine::pg::PINNED_SETTINGS.iter().map(|(n, v)| format!("SET {n} = {v}")).collect();
    let o = s.simple_query(&settings.join("; "), QUERY_TIMEOUT).await.outcome;
    match (o.error, o.fault) {
        (Some(e), _) => Err(format!("pinned settings: {} {}", e.code, e.message)),
        (None, Some(f)) => Err(format!("pinned settings: {f}")),
        _ => Ok(s),
    }
}

fn open_read_only(path: &std::path::Path) -> std::result::Result<rusqlite::Connection, String> {
    rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))
}

/// A side's rows as they come.
pub struct Rows {
    rx: mpsc::Receiver<Batch>,
    batch: std::vec::IntoIter<Row>,
    task: Option<JoinHandle<Session>>,
}

impl Rows {
    pub async fn next(&mut self) -> Option<std::result::Result<Row, String>> {
        loop {
            if let Some(row) = self.batch.next() {
                return Some(Ok(row));
            }
            match self.rx.recv().await? {
                Ok(batch) => self.batch = batch.into_iter(),
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

async fn pg_rows(mut s: Session, sql: String, tx: mpsc::Sender<Batch>) -> Session {
    if let Err(e) = s.copy_out_start(&sql).await {
        let _ = tx.send(Err(e)).await;
        return s;
    }
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        match s.copy_out_next().await {
            Ok(Some(line)) => match copy_row(line) {
                Ok(row) => {
                    batch.push(row);
                    if batch.len() == BATCH
                        && tx.send(Ok(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))).await.is_err()
                    {
                        // The reader stopped early: the connection is mid-COPY and cannot be used again.
                        s.broken = true;
                        return s;
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    s.broken = true;
                    return s;
                }
            },
            Ok(None) => {
                if !batch.is_empty() {
                    let _ = tx.send(Ok(batch)).await;
                }
                return s;
            }
            Err(e) => {
                let _ = tx.send(Err(e)).await;
                return s;
            }
        }
    }
}

fn sqlite_rows(path: &std::path::Path, sql: &str, tx: mpsc::Sender<Batch>) {
    let run = || -> std::result::Result<(), String> {
        let db = open_read_only(path)?;
        let mut stmt = db.prepare(sql).map_err(|e| e.to_string())?;
        let n = stmt.column_count();
        let mut rows = stmt.query([]).map_err(|e| e.to_string())?;
        let mut batch = Vec::with_capacity(BATCH);
        while let Some(row) = rows.next().map_err(|e| e.to_string())? {
            batch.push(Row::Text((0..n).map(|i| row.get_ref(i).ok().and_then(crate::engine::sqlite::text)).collect()));
            if batch.len() == BATCH
                && tx.blocking_send(Ok(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))).is_err()
            {
                return Ok(());
            }
        }
        if !batch.is_empty() {
            let _ = tx.blocking_send(Ok(batch));
        }
        Ok(())
    };
    if let Err(e) = run() {
        let _ = tx.blocking_send(Err(e));
    }
}

/// One line of COPY's text format: fields split on tabs, `\N` for NULL (values are UTF-8, the
/// client encoding the session pins).
pub fn copy_row(line: bytes::Bytes) -> std::result::Result<Row, String> {
    let end = line.strip_suffix(b"\n").unwrap_or(&line).len();
    if u32::try_from(end).is_err() {
        return Err("a row of more than 4 GiB".into());
    }
    let mut spans = Vec::with_capacity(8);
    let mut start = 0;
    for (i, b) in line[..end].iter().enumerate().chain(std::iter::once((end, &b'\t'))) {
        if *b == b'\t' {
            let field = &line[start..i];
            spans.push((field != b"\\N").then_some((start as u32, i as u32)));
            start = i + 1;
        }
    }
    Ok(Row::Copy { line, spans })
}

/// A COPY field's backslash escapes undone.
fn unescape(field: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        let b = field[i];
        if b != b'\\' || i + 1 == field.len() {
            bytes.push(b);
            i += 1;
            continue;
        }
        let next = field[i + 1];
        i += 2;
        match next {
            b'b' => bytes.push(8),
            b'f' => bytes.push(12),
            b'n' => bytes.push(b'\n'),
            b'r' => bytes.push(b'\r'),
            b't' => bytes.push(b'\t'),
            b'v' => bytes.push(11),
            b'0'..=b'7' => {
                let mut v = u32::from(next - b'0');
                for _ in 0..2 {
                    match field.get(i) {
                        Some(d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                bytes.push(v as u8);
            }
            b'x' => {
                let mut v = 0u32;
                let mut n = 0;
                while n < 2 {
                    match field.get(i).and_then(|d| (*d as char).to_digit(16)) {
                        Some(d) => {
                            v = v * 16 + d;
                            i += 1;
                            n += 1;
                        }
                        None => break,
                    }
                }
                bytes.push(v as u8);
            }
            other => bytes.push(other),
        }
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_lines_are_read_as_psql_writes_them() {
        let row = copy_row(bytes::Bytes::from_static(b"1\t\\N\ta\\tb\\\\c\\nd\t\t\\101\\x42\n")).unwrap();
        assert_eq!(
            row.texts(),
            vec![Some("1".into()), None, Some("a\tb\\c\nd".into()), Some(String::new()), Some("AB".into())]
        );
        let text = Row::Text(vec![Some("a\\tb".into())]);
        let copy = copy_row(bytes::Bytes::from_static(b"a\\tb\n")).unwrap();
        assert!(!copy.same_raw(&text, 0), "an escaped tab is not a backslash and a t");
    }
}
