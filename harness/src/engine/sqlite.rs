//! SQLite, compiled into the harness (rusqlite with SQLite bundled), as an engine: a fresh
//! database file per workload (empty, or a copy of the user's file — never the file itself),
//! the target's pragmas on every connection, statements run off the async workers, and each
//! statement's result recorded as a PostgreSQL driver would see it: columns with their declared
//! types, values in text form (NULL distinct from ''), a command tag worded as PostgreSQL words
//! it, errors with SQLite's extended result code and a SQLSTATE where the mapping is
//! unambiguous, and the transaction status.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{ffi, Connection as Db, InterruptHandle, OpenFlags};

use super::target::SqliteSpec;
use super::{Beside, Cancel, Connection, Engine};
use crate::model::{
    Column, Connections, Fault, Outcome, Requirement, ServerMessage, Step, Strategy, TargetReport, TxStatus,
};

/// The bundled SQLite's version (`3.46.1`).
pub fn version() -> &'static str {
    rusqlite::version()
}

pub struct SqliteEngine {
    spec: SqliteSpec,
    /// Where the slates (one database file per workload) live; removed at the end.
    dir: Arc<tempfile::TempDir>,
    report: TargetReport,
    /// The open workload's database file.
    slate: Option<PathBuf>,
}

impl SqliteEngine {
    /// `shown`: the target as the user named it.
    pub fn start(spec: &SqliteSpec, shown: &str) -> Result<SqliteEngine, String> {
        let dir = tempfile::Builder::new()
            .prefix("pgparity-sqlite-")
            .tempdir_in(crate::engine::pg::server::local::scratch_base())
            .map_err(|e| format!("cannot create a temp dir: {e}"))?;
        let report = TargetReport {
            target: shown.to_string(),
            version: version().to_string(),
            connections: Connections::Many,
            strategy: Some(Strategy::FreshDatabase),
            strategy_reason: None,
            refused_settings: Default::default(),
            events: Vec::new(),
        };
        Ok(SqliteEngine { spec: spec.clone(), dir: Arc::new(dir), report, slate: None })
    }

    fn slate_path(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("{name}.db"))
    }

    /// A connection to `path` with the target's pragmas set; a refused pragma is reported.
    fn connect(&mut self, path: &Path) -> Result<SqliteConn, String> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let db = Db::open_with_flags(path, flags).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        // Stock SQLite's default, as applications meet it (the bundled build turns foreign keys
        // on at compile time); the target's pragmas come after.
        db.execute_batch("PRAGMA foreign_keys = off").map_err(|e| format!("cannot set foreign_keys: {e}"))?;
        for (name, value) in &self.spec.pragmas {
            // Names and values were checked to be identifiers when the target was parsed.
            if let Err(e) = db.execute_batch(&format!("PRAGMA {name} = {value}")) {
                self.report.refused_settings.insert(format!("PRAGMA {name} = {value} ({e})"));
            }
        }
        let interrupt = Arc::new(db.get_interrupt_handle());
        Ok(SqliteConn { db: Some(db), interrupt })
    }
}

/// A step as SQLite runs it: the SQL and its parameters' text values (bound in order).
#[derive(Debug, Clone)]
pub struct SqliteRequest {
    sql: String,
    params: Vec<Option<String>>,
}

/// One connection to a workload's database file.
pub struct SqliteConn {
    /// Away on a blocking thread while a statement runs.
    db: Option<Db>,
    interrupt: Arc<InterruptHandle>,
}

pub struct SqliteCancel(Arc<InterruptHandle>);

impl Cancel for SqliteCancel {
    async fn cancel(&self) {
        self.0.interrupt();
    }
}

impl Connection for SqliteConn {
    type Request = SqliteRequest;
    type Raw = Outcome;
    type Cancel = SqliteCancel;

    fn canceller(&self) -> SqliteCancel {
        SqliteCancel(self.interrupt.clone())
    }

    async fn send(&mut self, request: &SqliteRequest, timeout: Duration) -> Outcome {
        let Some(db) = self.db.take() else { return Outcome::faulted(Fault::ConnectionLost) };
        let request = request.clone();
        let mut task = tokio::task::spawn_blocking(move || {
            // A lock held by another connection is waited for, as PostgreSQL waits: a little
            // longer than the statement timeout, so the timeout (and its interrupt) comes first.
            let _ = db.busy_timeout(timeout + Duration::from_secs(1));
            let outcome = execute(&db, &request);
            (db, outcome)
        });
        let (db, outcome) = match tokio::time::timeout(timeout, &mut task).await {
            Ok(joined) => match joined {
                Ok(done) => done,
                Err(e) => return Outcome::faulted(Fault::Protocol(format!("the SQLite call failed: {e}"))),
            },
            Err(_) => {
                self.interrupt.interrupt();
                match task.await {
                    Ok((db, _)) => (db, Outcome::faulted(Fault::Timeout)),
                    Err(e) => return Outcome::faulted(Fault::Protocol(format!("the SQLite call failed: {e}"))),
                }
            }
        };
        self.db = Some(db);
        outcome
    }

    async fn close(mut self) {
        if let Some(db) = self.db.take() {
            let _ = tokio::task::spawn_blocking(move || drop(db)).await;
        }
    }
}

/// Run one statement: the outcome a PostgreSQL driver would have recorded.
fn execute(db: &Db, request: &SqliteRequest) -> Outcome {
    let mut outcome = Outcome { status: TxStatus::Idle, ..Outcome::default() };
    if let Err(e) = run_statement(db, request, &mut outcome) {
        outcome.columns = None;
        outcome.rows.clear();
        outcome.large = None;
        outcome.tag = None;
        outcome.error = Some(server_message(&e));
    }
    outcome.status = if db.is_autocommit() { TxStatus::Idle } else { TxStatus::InTransaction };
    outcome
}

fn run_statement(db: &Db, request: &SqliteRequest, outcome: &mut Outcome) -> rusqlite::Result<()> {
    let mut stmt = db.prepare(&request.sql)?;
    for (i, value) in request.params.iter().enumerate() {
        stmt.raw_bind_parameter(i + 1, value)?;
    }
    let declared: Vec<(String, Option<String>)> =
        stmt.columns().map(|c| (c.name().to_string(), c.decl_type().map(str::to_string))).collect();
    let returns_rows = !declared.is_empty();
    // The storage class of each column's first non-NULL value, for columns with no declared type.
    let mut classes: Vec<Option<&'static str>> = vec![None; declared.len()];
    // Rows as they come: a result of any size in bounded memory, as on the wire.
    let mut sink = super::rows::RowSink::default();
    let mut count = 0;
    {
        let mut rows = stmt.raw_query();
        while let Some(row) = rows.next()? {
            let mut values = Vec::with_capacity(declared.len());
            for (i, class) in classes.iter_mut().enumerate() {
                let value = row.get_ref(i)?;
                if class.is_none() {
                    *class = storage_class(value);
                }
                values.push(text(value));
            }
            sink.push(values);
            count += 1;
        }
    }
    (outcome.rows, outcome.large) = sink.finish();
    if returns_rows {
        let columns = declared
            .into_iter()
            .zip(&classes)
            .map(|((name, decl), class)| Column {
                name,
                type_name: decl.unwrap_or_else(|| class.unwrap_or("null").to_string()),
                typmod: -1,
            })
            .collect();
        outcome.columns = Some(columns);
    }
    outcome.tag = Some(command_tag(&request.sql, returns_rows, count, db.changes()));
    Ok(())
}

fn storage_class(value: ValueRef<'_>) -> Option<&'static str> {
    match value {
        ValueRef::Null => None,
        ValueRef::Integer(_) => Some("integer"),
        ValueRef::Real(_) => Some("real"),
        ValueRef::Text(_) => Some("text"),
        ValueRef::Blob(_) => Some("blob"),
    }
}

/// A query's rows in text form (small results: catalog queries).
pub fn query_text(db: &Db, sql: &str) -> Result<Vec<Vec<Option<String>>>, String> {
    let mut stmt = db.prepare(sql).map_err(|e| e.to_string())?;
    let n = stmt.column_count();
    let mut rows = stmt.query([]).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(|e| e.to_string())? {
        out.push((0..n).map(|i| row.get_ref(i).ok().and_then(text)).collect());
    }
    Ok(out)
}

/// A value in PostgreSQL's text form: integers and reals as `int8` and `float8` print them,
/// blobs as `bytea` in hex, NULL as `None`.
pub fn text(value: ValueRef<'_>) -> Option<String> {
    match value {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(f) => Some(float8(f)),
        ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Some(format!("\\x{}", b.iter().map(|x| format!("{x:02x}")).collect::<String>())),
    }
}

/// `float8` output with `extra_float_digits = 1`: the shortest text that reads back exactly,
/// in exponent form below 1e-4 and from 1e15 (`1e+20`, `1.5e-05`).
fn float8(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    let magnitude = f.abs();
    if magnitude != 0.0 && !(1e-4..1e15).contains(&magnitude) {
        let s = format!("{f:e}");
        let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
        let (sign, digits) = match exponent.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', exponent),
        };
        return format!("{mantissa}e{sign}{digits:0>2}");
    }
    format!("{f}")
}

/// The command tag PostgreSQL would send for this statement.
fn command_tag(sql: &str, returns_rows: bool, rows: usize, changes: u64) -> String {
    let words: Vec<String> = keywords(sql, 4);
    let word = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
    match word(0) {
        "INSERT" | "REPLACE" => format!("INSERT 0 {changes}"),
        "UPDATE" => format!("UPDATE {changes}"),
        "DELETE" => format!("DELETE {changes}"),
        "SELECT" | "VALUES" | "WITH" => format!("SELECT {rows}"),
        "CREATE" | "DROP" => {
            let object = words[1..]
                .iter()
                .find(|w| !matches!(w.as_str(), "TEMP" | "TEMPORARY" | "UNIQUE" | "VIRTUAL" | "OR"))
                .map(String::as_str)
                .unwrap_or("");
            format!("{} {object}", word(0)).trim_end().to_string()
        }
        "ALTER" => format!("ALTER {}", word(1)).trim_end().to_string(),
        "END" => "COMMIT".into(),
        "ROLLBACK" => "ROLLBACK".into(),
        "BEGIN" | "COMMIT" | "SAVEPOINT" | "RELEASE" | "PRAGMA" | "VACUUM" | "ANALYZE" | "REINDEX" => word(0).into(),
        _ if returns_rows => format!("SELECT {rows}"),
        other => other.to_string(),
    }
}

/// The first `n` words of a statement, uppercased, after comments and white space.
fn keywords(sql: &str, n: usize) -> Vec<String> {
    let mut rest = sql;
    loop {
        rest = rest.trim_start();
        if let Some(line) = rest.strip_prefix("--") {
            rest = line.split_once('\n').map_or("", |(_, r)| r);
        } else if let Some(block) = rest.strip_prefix("/*") {
            rest = block.split_once("*/").map_or("", |(_, r)| r);
        } else {
            break;
        }
    }
    rest.split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty())
        .take(n)
        .map(|w| w.to_ascii_uppercase())
        .collect()
}

/// An SQLite error as an ErrorResponse: SQLite's extended result code (`detail` names it),
/// and a SQLSTATE where the mapping is unambiguous (`hint` says it was mapped); otherwise no
/// SQLSTATE.
fn server_message(e: &rusqlite::Error) -> ServerMessage {
    let (extended, message, position) = match e {
        rusqlite::Error::SqliteFailure(f, message) => {
            (Some(f.extended_code), message.clone().unwrap_or_else(|| f.to_string()), None)
        }
        // A prepare error with where in the statement it is: PostgreSQL's 1-based character position.
        rusqlite::Error::SqlInputError { error, msg, sql, offset } => {
            let at = usize::try_from(*offset).ok().filter(|o| *o <= sql.len() && sql.is_char_boundary(*o));
            let position = at.map(|o| (sql[..o].chars().count() + 1).to_string());
            (Some(error.extended_code), msg.clone(), position)
        }
        other => (None, other.to_string(), None),
    };
    let code = extended.and_then(|c| sqlstate(c, &message)).unwrap_or_default();
    let detail = extended.map(|c| format!("SQLite result code {} ({c})", result_code_name(c)));
    let hint = (!code.is_empty()).then(|| format!("SQLSTATE {code} mapped from SQLite's result code by pgparity"));
    ServerMessage { severity: "ERROR".into(), code, message, detail, hint, position, ..ServerMessage::default() }
}

/// The SQLSTATE a PostgreSQL server gives for the same failure, where there is exactly one.
fn sqlstate(extended: i32, message: &str) -> Option<String> {
    let code = match extended {
        ffi::SQLITE_CONSTRAINT_NOTNULL => "23502",
        ffi::SQLITE_CONSTRAINT_FOREIGNKEY => "23503",
        ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => "23505",
        ffi::SQLITE_CONSTRAINT_CHECK => "23514",
        ffi::SQLITE_INTERRUPT => "57014",
        ffi::SQLITE_ERROR if message.contains("syntax error") || message.starts_with("incomplete input") => "42601",
        ffi::SQLITE_ERROR if message.starts_with("no such table") => "42P01",
        ffi::SQLITE_ERROR if message.starts_with("no such column") => "42703",
        ffi::SQLITE_ERROR if message.starts_with("no such function") => "42883",
        ffi::SQLITE_ERROR if message.contains("already exists") && message.starts_with("table") => "42P07",
        _ => return None,
    };
    Some(code.to_string())
}

fn result_code_name(extended: i32) -> &'static str {
    match extended {
        ffi::SQLITE_CONSTRAINT_NOTNULL => "SQLITE_CONSTRAINT_NOTNULL",
        ffi::SQLITE_CONSTRAINT_FOREIGNKEY => "SQLITE_CONSTRAINT_FOREIGNKEY",
        ffi::SQLITE_CONSTRAINT_UNIQUE => "SQLITE_CONSTRAINT_UNIQUE",
        ffi::SQLITE_CONSTRAINT_PRIMARYKEY => "SQLITE_CONSTRAINT_PRIMARYKEY",
        ffi::SQLITE_CONSTRAINT_CHECK => "SQLITE_CONSTRAINT_CHECK",
        ffi::SQLITE_CONSTRAINT_TRIGGER => "SQLITE_CONSTRAINT_TRIGGER",
        ffi::SQLITE_CONSTRAINT_DATATYPE => "SQLITE_CONSTRAINT_DATATYPE",
        ffi::SQLITE_CONSTRAINT => "SQLITE_CONSTRAINT",
        ffi::SQLITE_INTERRUPT => "SQLITE_INTERRUPT",
        ffi::SQLITE_BUSY => "SQLITE_BUSY",
        ffi::SQLITE_LOCKED => "SQLITE_LOCKED",
        ffi::SQLITE_READONLY => "SQLITE_READONLY",
        ffi::SQLITE_MISMATCH => "SQLITE_MISMATCH",
        ffi::SQLITE_RANGE => "SQLITE_RANGE",
        ffi::SQLITE_TOOBIG => "SQLITE_TOOBIG",
        ffi::SQLITE_ERROR => "SQLITE_ERROR",
        _ => "SQLITE_OTHER",
    }
}

/// A script split into statements as SQLite's own shell splits it (`sqlite3_complete`: a `;`
/// ends a statement unless it is inside a string, a comment or a trigger's BEGIN … END); each
/// with its byte offset. Pieces holding only comments are left out; an unterminated last
/// statement is kept (SQLite's error will be its outcome).
pub fn split(script: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut start = 0;
    let push = |out: &mut Vec<(usize, String)>, from: usize, piece: &str| {
        let text = piece.trim().trim_end_matches(';').trim_end();
        if !keywords(text, 1).is_empty() {
            let lead = piece.len() - piece.trim_start().len();
            out.push((from + lead, text.to_string()));
        }
    };
    for (i, _) in script.match_indices(';') {
        if i < start {
            continue;
        }
        let piece = &script[start..=i];
        if complete(piece) {
            push(&mut out, start, piece);
            start = i + 1;
        }
    }
    push(&mut out, start, &script[start..]);
    out
}

/// Does `sql` end with a complete statement (SQLite's `sqlite3_complete`)?
fn complete(sql: &str) -> bool {
    let Ok(c) = std::ffi::CString::new(sql) else { return false };
    // SAFETY: `c` is a valid NUL-terminated string that outlives the call; sqlite3_complete
    // only reads it and needs no open database.
    unsafe { ffi::sqlite3_complete(c.as_ptr()) != 0 }
}

/// Remove a database file and what SQLite keeps beside it.
fn remove_database(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

impl Engine for SqliteEngine {
    type Conn = SqliteConn;

    fn report(&self) -> &TargetReport {
        &self.report
    }
    fn dialect(&self) -> crate::model::Dialect {
        crate::model::Dialect::Sqlite
    }
    fn failed(&self) -> bool {
        false
    }
    fn single(&self) -> bool {
        false
    }
    async fn unmet(&mut self, requires: &[Requirement]) -> Option<String> {
        // Both name PostgreSQL: an extension, or a PostgreSQL major version.
        requires.first().map(|req| match req {
            Requirement::Extension(_) => format!("requires {req}: SQLite has no PostgreSQL extensions"),
            Requirement::MinVersion(_) => format!("requires {req}: the reference is SQLite {}", version()),
        })
    }
    async fn open(&mut self, name: &str, _beside: Beside<'_>) -> Result<SqliteConn, String> {
        let path = self.slate_path(name);
        remove_database(&path);
        if let Some(source) = &self.spec.path {
            // A copy: the user's file is never opened for writing.
            std::fs::copy(source, &path).map_err(|e| format!("cannot copy {}: {e}", source.display()))?;
        }
        let conn = self.connect(&path)?;
        self.slate = Some(path);
        Ok(conn)
    }
    async fn open_extra(&mut self) -> Result<SqliteConn, String> {
        let path = self.slate.clone().ok_or("no workload is open")?;
        self.connect(&path)
    }
    async fn request(&mut self, step: &Step) -> SqliteRequest {
        let params = step.bind.as_ref().map(|b| b.params.iter().map(|p| p.value.clone()).collect()).unwrap_or_default();
        SqliteRequest { sql: step.sql.clone(), params }
    }
    async fn settle(&mut self, _step: &Step, raw: Outcome, _conn: &mut SqliteConn) -> Outcome {
        raw
    }
    async fn close(&mut self, conn: SqliteConn) {
        conn.close().await;
        if let Some(path) = self.slate.take() {
            remove_database(&path);
        }
    }
    async fn keep(&mut self, conn: SqliteConn) -> Result<(), String> {
        conn.close().await;
        self.slate = None;
        Ok(())
    }
    async fn open_copy(&mut self, name: &str, template: &str) -> Result<SqliteConn, String> {
        let path = self.slate_path(name);
        remove_database(&path);
        let source = self.slate_path(template);
        std::fs::copy(&source, &path).map_err(|e| format!("cannot copy {}: {e}", source.display()))?;
        let conn = self.connect(&path)?;
        self.slate = Some(path);
        Ok(conn)
    }
    async fn discard(&mut self, template: &str) {
        remove_database(&self.slate_path(template));
    }
    fn extra_lane(&self) -> Option<Self> {
        Some(SqliteEngine { spec: self.spec.clone(), dir: self.dir.clone(), report: self.report.clone(), slate: None })
    }
    async fn stop(self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_worded_as_postgresql_words_them() {
        assert_eq!(command_tag("insert into t values (1), (2)", false, 0, 2), "INSERT 0 2");
        assert_eq!(command_tag("INSERT INTO t VALUES (1) RETURNING id", true, 1, 1), "INSERT 0 1");
        assert_eq!(command_tag("-- a comment\nUPDATE t SET a = 1", false, 0, 3), "UPDATE 3");
        assert_eq!(command_tag("/* x */ select 1", true, 1, 0), "SELECT 1");
        assert_eq!(command_tag("CREATE UNIQUE INDEX i ON t (a)", false, 0, 0), "CREATE INDEX");
        assert_eq!(command_tag("create temp table x (a)", false, 0, 0), "CREATE TABLE");
        assert_eq!(command_tag("DROP TABLE IF EXISTS t", false, 0, 0), "DROP TABLE");
        assert_eq!(command_tag("ALTER TABLE t ADD COLUMN b", false, 0, 0), "ALTER TABLE");
        assert_eq!(command_tag("END", false, 0, 0), "COMMIT");
        assert_eq!(command_tag("ROLLBACK TO SAVEPOINT s", false, 0, 0), "ROLLBACK");
    }

    #[test]
    fn scripts_split_as_sqlite_splits_them() {
        let script = "-- users\nCREATE TABLE t (a TEXT DEFAULT ';');\nCREATE TRIGGER g AFTER INSERT ON t BEGIN\n  UPDATE t SET a = 'x;y';\n  DELETE FROM t WHERE a = '';\nEND;\n-- done\n;\nSELECT 1";
        let pieces = split(script);
        let texts: Vec<&str> = pieces.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(texts.len(), 3, "{texts:?}");
        assert!(texts[0].ends_with("DEFAULT ';')"), "{texts:?}");
        assert!(texts[1].starts_with("CREATE TRIGGER") && texts[1].ends_with("END"), "{texts:?}");
        assert_eq!(texts[2], "SELECT 1");
        assert_eq!(&script[pieces[1].0..pieces[1].0 + 14], "CREATE TRIGGER");
    }

    #[test]
    fn values_are_in_postgresql_text_form() {
        assert_eq!(text(ValueRef::Null), None);
        assert_eq!(text(ValueRef::Text(b"")), Some(String::new()));
        assert_eq!(text(ValueRef::Integer(-42)), Some("-42".into()));
        assert_eq!(text(ValueRef::Blob(&[0xde, 0xad, 0x01])), Some("\\xdead01".into()));
        for (f, s) in
            [(1.5, "1.5"), (1.0, "1"), (0.1, "0.1"), (1e20, "1e+20"), (1.5e-5, "1.5e-05"), (-2.5e300, "-2.5e+300")]
        {
            assert_eq!(float8(f), s);
        }
        assert_eq!(float8(f64::NAN), "NaN");
        assert_eq!(float8(f64::NEG_INFINITY), "-Infinity");
    }

    fn run(db: &Db, sql: &str) -> Outcome {
        execute(db, &SqliteRequest { sql: sql.into(), params: vec![] })
    }

    #[test]
    fn constraint_errors_map_to_their_sqlstates_and_say_so() {
        let db = Db::open_in_memory().unwrap();
        db.execute_batch("PRAGMA foreign_keys = on; CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, n INT CHECK (n > 0), p INT REFERENCES p (id));").unwrap();
        let code = |sql: &str| run(&db, sql).error.map(|e| e.code).unwrap_or_default();
        assert_eq!(code("INSERT INTO t (id, name) VALUES (1, NULL)"), "23502");
        assert_eq!(code("INSERT INTO t (id, name, n) VALUES (1, 'a', 0)"), "23514");
        assert_eq!(code("INSERT INTO t (id, name, p) VALUES (1, 'a', 7)"), "23503");
        assert_eq!(run(&db, "INSERT INTO t (id, name) VALUES (1, 'a')").tag.as_deref(), Some("INSERT 0 1"));
        assert_eq!(code("INSERT INTO t (id, name) VALUES (1, 'b')"), "23505");
        assert_eq!(code("INSERT INTO t (id, name) VALUES (2, 'a')"), "23505");
        assert_eq!(code("SELEC 1"), "42601");
        assert_eq!(
            run(&db, "SELECT 1 2").error.unwrap().position.as_deref(),
            Some("10"),
            "1-based, as PostgreSQL counts"
        );
        assert_eq!(code("SELECT * FROM nowhere"), "42P01");
        let e = run(&db, "INSERT INTO t (id, name) VALUES (3, NULL)").error.unwrap();
        assert_eq!(e.detail.as_deref(), Some("SQLite result code SQLITE_CONSTRAINT_NOTNULL (1299)"));
        assert!(e.hint.unwrap().contains("mapped"));
        // No unambiguous SQLSTATE: none is claimed.
        let e = run(&db, "SELECT abs(-9223372036854775807 - 1)").error.unwrap();
        assert_eq!(e.code, "");
    }

    #[test]
    fn rows_columns_and_the_transaction_status() {
        let db = Db::open_in_memory().unwrap();
        db.execute_batch("CREATE TABLE t (id INTEGER, name VARCHAR(20), b BLOB)").unwrap();
        run(&db, "INSERT INTO t VALUES (1, '', x'00ff'), (2, NULL, NULL)");
        let o = run(&db, "SELECT id, name, b, 1.5 AS r FROM t ORDER BY id");
        let cols: Vec<(String, String)> = o.columns.unwrap().into_iter().map(|c| (c.name, c.type_name)).collect();
        assert_eq!(
            cols,
            [
                ("id".into(), "INTEGER".into()),
                ("name".into(), "VARCHAR(20)".into()),
                ("b".into(), "BLOB".into()),
                ("r".into(), "real".into())
            ]
        );
        assert_eq!(
            o.rows,
            vec![
                vec![Some("1".into()), Some("".into()), Some("\\x00ff".into()), Some("1.5".into())],
                vec![Some("2".into()), None, None, Some("1.5".into())]
            ]
        );
        assert_eq!(o.tag.as_deref(), Some("SELECT 2"));
        assert_eq!(run(&db, "BEGIN").status, TxStatus::InTransaction);
        assert_eq!(run(&db, "DELETE FROM t").tag.as_deref(), Some("DELETE 2"));
        assert_eq!(run(&db, "COMMIT").status, TxStatus::Idle);
        let o = execute(
            &db,
            &SqliteRequest { sql: "SELECT $1 AS a, $2 AS b".into(), params: vec![Some("x".into()), None] },
        );
        assert_eq!(o.rows, vec![vec![Some("x".into()), None]]);
    }
}
