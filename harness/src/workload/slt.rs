//! sqllogictest files (`.slt`), read by the `sqllogictest` crate's parser: each file is one
//! workload whose steps are its `statement` and `query` records, in order, on the connections
//! its `connection` records name. Both sides run every statement and the run compares what they
//! answered; a query's sort mode says how its rows compare (`rowsort`, `valuesort`: in any order;
//! `nosort`: as the statement says). The file's own expected results are kept with each step
//! (`Workload::file_expected`): `check` judges by them when no reference outcome was recorded.
//!
//! - `skipif LABEL` / `onlyif LABEL` are decided for the labels `postgres` and `postgresql`;
//! - `halt` ends the file's steps; `include` (a path or a glob, beside the including file) reads
//!   the files it names in place, each with the loader's checks, and an include loop is an error;
//! - `control resultmode valuewise` reads the expected results one value a line; a result
//!   written `N values hashing to H` (`hash-threshold`) is compared by its MD5;
//! - `sleep` and `subtest` change nothing compared;
//! - `system`, `let` and `control substitution on` are not supported yet: the file is Not
//!   tested, with where and why.

use std::path::{Path, PathBuf};

use sqllogictest::{
    Condition, Connection, Control, DefaultColumnType, ExpectedError, QueryExpect, Record, ResultMode, SortMode,
    StatementExpect,
};

use super::{read_text, step};
use crate::model::error::{Error, Location};
use crate::model::expect::{ExpectedFailure, ExpectedRows, FileExpect, ResultSort};
use crate::model::{Order, Step, Workload};

/// The labels `skipif` and `onlyif` are decided for.
pub const LABELS: [&str; 2] = ["postgres", "postgresql"];

/// How deep includes may nest.
const MAX_INCLUDE_DEPTH: usize = 16;

/// The workload of a `.slt` file read from `file` (`text`: its contents).
pub fn load(file: &Path, id: &str, text: &str) -> Result<Workload, Error> {
    let (feature, area) = super::sql_names(file, id);
    let mut reader = Reader {
        steps: Vec::new(),
        expected: Vec::new(),
        sessions: Vec::new(),
        sort: SortMode::NoSort,
        valuewise: false,
        halted: false,
    };
    let mut unsupported = None;
    match reader.read(file, text, &mut vec![file.to_path_buf()]) {
        Ok(()) => {}
        Err(Read::Unsupported(why)) => unsupported = Some(why),
        Err(Read::Invalid(e)) => return Err(e),
    }
    if unsupported.is_none() && reader.steps.is_empty() {
        return Err(Error::Workload {
            location: at(file, 1),
            message: "no statement or query records in this file".into(),
        });
    }
    // One connection: a plain workload; more: a session per connection, in order of appearance.
    let sessions = if reader.sessions.len() > 1 { reader.sessions } else { Vec::new() };
    let mut steps = reader.steps;
    if sessions.is_empty() {
        steps.iter_mut().for_each(|s| s.session = None);
    }
    let file_expected = if unsupported.is_none() { reader.expected } else { Vec::new() };
    Ok(Workload { sessions, steps, unsupported, file_expected, ..Workload::new(file, id, feature, area) })
}

/// Why reading stopped: the file cannot be used, or uses what is not supported yet.
enum Read {
    Invalid(Error),
    Unsupported(String),
}

struct Reader {
    steps: Vec<Step>,
    /// What the file says each step gives.
    expected: Vec<FileExpect>,
    /// Connection names in order of first use (`default` for the unnamed one).
    sessions: Vec<String>,
    /// The sort mode of a query that names none (`control sortmode`).
    sort: SortMode,
    /// `control resultmode valuewise`: expected results one value a line.
    valuewise: bool,
    halted: bool,
}

fn at(file: &Path, line: u32) -> Location {
    Location { file: file.to_path_buf(), line: line.max(1) as usize, column: 1 }
}

/// Are the records under these conditions run here?
fn runs_here(conditions: &[Condition]) -> bool {
    conditions.iter().all(|c| match c {
        Condition::OnlyIf { label } => LABELS.contains(&label.as_str()),
        Condition::SkipIf { label } => !LABELS.contains(&label.as_str()),
    })
}

impl Reader {
    /// The records of `text` (read from `file`; `stack`: the files including it, itself last).
    fn read(&mut self, file: &Path, text: &str, stack: &mut Vec<PathBuf>) -> Result<(), Read> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let name = file.display().to_string();
        let parsed = std::panic::catch_unwind(|| sqllogictest::parse_with_name::<DefaultColumnType>(text, name));
        let records = match parsed {
            Ok(Ok(records)) => records,
            Ok(Err(e)) => {
                let message = format!("sqllogictest: {}", e.kind());
                return Err(Read::Invalid(Error::Workload { location: at(file, e.location().line()), message }));
            }
            Err(_) => {
                let message = "the sqllogictest parser failed on this file".to_string();
                return Err(Read::Invalid(Error::Workload { location: at(file, 1), message }));
            }
        };
        for record in records {
            if self.halted {
                break;
            }
            match record {
                Record::Statement { loc, conditions, connection, sql, expected, .. } if runs_here(&conditions) => {
                    let expect = match expected {
                        StatementExpect::Ok => FileExpect::Ok,
                        StatementExpect::Count(n) => FileExpect::Count(n),
                        StatementExpect::Error(e) => FileExpect::Error(failure(e)),
                    };
                    self.push(file, loc.line(), connection, sql, Order::Auto, expect);
                }
                Record::Query { loc, conditions, connection, sql, expected, .. } if runs_here(&conditions) => {
                    let (sort, expect) = match expected {
                        QueryExpect::Results { sort_mode, result_mode, results, .. } => {
                            let sort = sort_mode.unwrap_or(self.sort);
                            let valuewise = match result_mode {
                                Some(mode) => mode == ResultMode::ValueWise,
                                None => self.valuewise,
                            };
                            let sort_by = match sort {
                                SortMode::NoSort => ResultSort::None,
                                SortMode::RowSort => ResultSort::Rows,
                                SortMode::ValueSort => ResultSort::Values,
                            };
                            (sort, FileExpect::Rows(ExpectedRows { lines: results, sort: sort_by, valuewise }))
                        }
                        QueryExpect::Error(e) => (SortMode::NoSort, FileExpect::Error(failure(e))),
                    };
                    let order = match sort {
                        SortMode::NoSort => Order::Auto,
                        SortMode::RowSort | SortMode::ValueSort => Order::Any,
                    };
                    self.push(file, loc.line(), connection, sql, order, expect);
                }
                Record::Control(Control::SortMode(mode)) => self.sort = mode,
                Record::Control(Control::ResultMode(mode)) => self.valuewise = mode == ResultMode::ValueWise,
                Record::Control(Control::Substitution(true)) => {
                    return Err(unsupported(file, None, "`control substitution on`"));
                }
                Record::Halt { .. } => self.halted = true,
                Record::Include { loc, filename } => self.include(file, loc.line(), &filename, stack)?,
                Record::System { loc, conditions, .. } if runs_here(&conditions) => {
                    return Err(unsupported(file, Some(loc.line()), "`system`"));
                }
                Record::Let { loc, conditions, .. } if runs_here(&conditions) => {
                    return Err(unsupported(file, Some(loc.line()), "`let`"));
                }
                // Nothing compared changes: records skipped here, sleep, subtest, hash-threshold,
                // result mode, comments, and the conditions and connections already folded into
                // records.
                _ => {}
            }
        }
        Ok(())
    }

    fn push(&mut self, file: &Path, line: u32, connection: Connection, sql: String, order: Order, expect: FileExpect) {
        let session = match connection {
            Connection::Default => "default".to_string(),
            Connection::Named(name) => name,
        };
        if !self.sessions.contains(&session) {
            self.sessions.push(session.clone());
        }
        let mut s = step(sql, order, at(file, line));
        s.session = Some(session);
        self.steps.push(s);
        self.expected.push(expect);
    }

    /// The files `pattern` names beside `file`, read in place, in sorted order.
    fn include(&mut self, file: &Path, line: u32, pattern: &str, stack: &mut Vec<PathBuf>) -> Result<(), Read> {
        let invalid = |message: String| Read::Invalid(Error::Workload { location: at(file, line), message });
        let dir = file.parent().unwrap_or(Path::new("."));
        let full = dir.join(pattern);
        let mut found: Vec<PathBuf> = match glob::glob(&full.to_string_lossy()) {
            Ok(paths) => paths.filter_map(Result::ok).collect(),
            Err(e) => return Err(invalid(format!("include `{pattern}`: {e}"))),
        };
        found.sort();
        if found.is_empty() {
            return Err(invalid(format!("include `{pattern}`: no such file")));
        }
        if stack.len() > MAX_INCLUDE_DEPTH {
            return Err(invalid(format!("include `{pattern}`: includes nested more than {MAX_INCLUDE_DEPTH} deep")));
        }
        for path in found {
            let same = |other: &PathBuf| std::fs::canonicalize(other).ok() == std::fs::canonicalize(&path).ok();
            if stack.iter().any(same) {
                return Err(invalid(format!("include `{pattern}`: {} includes itself", path.display())));
            }
            let text = read_text(&path).map_err(Read::Invalid)?;
            stack.push(path.clone());
            let read = self.read(&path, &text, stack);
            stack.pop();
            read?;
            if self.halted {
                break;
            }
        }
        Ok(())
    }
}

/// An expected error as the file describes it.
fn failure(e: ExpectedError) -> ExpectedFailure {
    match e {
        ExpectedError::Empty => ExpectedFailure::Any,
        ExpectedError::Inline(regex) => ExpectedFailure::Pattern(regex.to_string()),
        ExpectedError::Multiline(message) => ExpectedFailure::Message(message),
        ExpectedError::SqlState(code) => ExpectedFailure::Sqlstate(code),
    }
}

fn unsupported(file: &Path, line: Option<u32>, what: &str) -> Read {
    let location = at(file, line.unwrap_or(1));
    Read::Unsupported(format!("{location}: sqllogictest {what} {}", super::psql::NOT_SUPPORTED))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn sqls(w: &Workload) -> Vec<(&str, Option<&str>, Order)> {
        w.steps.iter().map(|s| (s.sql.as_str(), s.session.as_deref(), s.order)).collect()
    }

    #[test]
    fn records_become_steps_with_their_sort_modes_labels_and_halt() {
        let dir = tempfile::tempdir().unwrap();
        let text = "statement ok\nCREATE TABLE t (a int)\n\nstatement ok\nINSERT INTO t VALUES (1), (2)\n\n\
                    query I rowsort\nSELECT a FROM t\n----\n1\n2\n\n\
                    onlyif mysql\nstatement ok\nSET sql_mode = ''\n\n\
                    skipif postgresql\nquery I\nSELECT 1\n----\n1\n\n\
                    onlyif postgres\nquery T nosort\nSELECT 'x'\n----\nx\n\n\
                    statement error relation .* does not exist\nSELECT * FROM missing\n\n\
                    halt\n\nstatement ok\nDROP TABLE t\n";
        let file = write(dir.path(), "basic.slt", text);
        let w = load(&file, "slt/basic", text).unwrap();
        assert_eq!(
            sqls(&w),
            [
                ("CREATE TABLE t (a int)", None, Order::Auto),
                ("INSERT INTO t VALUES (1), (2)", None, Order::Auto),
                ("SELECT a FROM t", None, Order::Any),
                ("SELECT 'x'", None, Order::Auto),
                ("SELECT * FROM missing", None, Order::Auto),
            ]
        );
        assert!(w.sessions.is_empty());
        assert_eq!((w.steps[2].location.line, w.feature.as_str(), w.area.as_str()), (7, "basic", "slt"));
    }

    #[test]
    fn connections_are_sessions_and_includes_are_read_in_place() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "setup.inc", "statement ok\nCREATE TABLE t (a int)\n");
        let text = "control sortmode rowsort\n\ninclude setup.inc\n\nconnection a\nstatement ok\nBEGIN\n\n\
                    connection b\nquery I\nSELECT count(*) FROM t\n----\n0\n";
        let file = write(dir.path(), "two.slt", text);
        let w = load(&file, "two", text).unwrap();
        assert_eq!(w.sessions, ["default", "a", "b"]);
        assert_eq!(
            sqls(&w),
            [
                ("CREATE TABLE t (a int)", Some("default"), Order::Auto),
                ("BEGIN", Some("a"), Order::Auto),
                ("SELECT count(*) FROM t", Some("b"), Order::Any),
            ]
        );
        assert!(w.steps[0].location.file.ends_with("setup.inc"));
    }

    #[test]
    fn errors_and_what_is_not_supported_say_where() {
        let dir = tempfile::tempdir().unwrap();
        let bad = "statement ok\nSELECT 1\n\nstatement perhaps\nSELECT 1\n";
        let file = write(dir.path(), "bad.slt", bad);
        let e = load(&file, "bad", bad).unwrap_err().to_string();
        assert!(e.contains("bad.slt:4:1") && e.contains("sqllogictest"), "{e}");

        let looped = "include looped.slt\n";
        let file = write(dir.path(), "looped.slt", looped);
        let e = load(&file, "looped", looped).unwrap_err().to_string();
        assert!(e.contains("looped.slt:1:1") && e.contains("includes itself"), "{e}");

        let system = "statement ok\nSELECT 1\n\nsystem ok\necho hi\n";
        let file = write(dir.path(), "system.slt", system);
        let w = load(&file, "system", system).unwrap();
        let why = w.unsupported.unwrap();
        assert!(why.contains("system.slt:4:1") && why.contains("`system`"), "{why}");
    }
}
