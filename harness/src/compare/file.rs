//! A workload whose file says what each step gives (sqllogictest's expected results), judged by
//! that instead of a recorded reference (pure). Each step's reference is the candidate's own
//! outcome when it does what the file says, and otherwise a stand-in: the candidate's outcome
//! changed only where the file says otherwise, so the comparison names what differs (error vs
//! success, command tag, rows, SQLSTATE). An error whose message does not match the file's
//! pattern is a match after `error message text`, as a message is against a live reference.

use md5::{Digest, Md5};

use crate::model::expect::{ExpectedFailure, ExpectedRows, FileExpect, ResultSort};
use crate::model::{Outcome, Recording, ReferenceRun, ServerMessage, Workload};

/// The reference of a workload judged by its file: nothing until the candidate has run
/// (`reference_for` makes it then).
pub fn reference() -> ReferenceRun {
    ReferenceRun { from_file: true, ..Default::default() }
}

/// The reference to judge `candidate` with: per step, the candidate's outcome where it does what
/// the file says (or the file says nothing), else the stand-in.
pub fn reference_for(w: &Workload, candidate: &Recording) -> Recording {
    let missing = Outcome::default();
    let steps = (0..w.steps.len())
        .map(|i| {
            let c = candidate.steps.get(i).unwrap_or(&missing);
            match w.file_expected.get(i) {
                Some(e) if !satisfies(e, c) => stand_in(e, c),
                _ => c.clone(),
            }
        })
        .collect();
    Recording { setup: candidate.setup.clone(), steps }
}

/// Does `o` do what the file says?
pub fn satisfies(e: &FileExpect, o: &Outcome) -> bool {
    if o.fault.is_some() {
        return false;
    }
    match e {
        FileExpect::Ok => o.error.is_none(),
        FileExpect::Count(n) => o.error.is_none() && count(o) == Some(*n),
        FileExpect::Error(f) => o.error.as_ref().is_some_and(|err| fails_as(f, err)),
        FileExpect::Rows(rows) => o.error.is_none() && lines_match(rows, o),
    }
}

/// The rows a command tag counts (`INSERT 0 2` → 2).
fn count(o: &Outcome) -> Option<u64> {
    o.tag.as_deref()?.rsplit(' ').next()?.parse().ok()
}

fn fails_as(f: &ExpectedFailure, err: &ServerMessage) -> bool {
    match f {
        ExpectedFailure::Any => true,
        ExpectedFailure::Sqlstate(code) => &err.code == code,
        ExpectedFailure::Pattern(p) => message_matches(p, err),
        ExpectedFailure::Message(m) => m.trim() == err.message.trim(),
    }
}

/// A pattern matches the message, or the message as a PostgreSQL client prints it
/// (`ERROR:  …`, `db error: ERROR: …`).
fn message_matches(pattern: &str, err: &ServerMessage) -> bool {
    let Ok(re) = regex::Regex::new(pattern) else { return false };
    [
        err.message.clone(),
        format!("{}: {}", err.severity, err.message),
        format!("db error: {}: {}", err.severity, err.message),
    ]
    .iter()
    .any(|m| re.is_match(m))
}

/// A value as sqllogictest writes it.
fn written(v: &Option<String>) -> String {
    match v.as_deref() {
        None => "NULL".into(),
        Some("") => "(empty)".into(),
        Some(s) => s.to_string(),
    }
}

/// Whitespace collapsed, as sqllogictest's default normaliser does.
fn normal(s: &str) -> String {
    s.split_ascii_whitespace().collect::<Vec<_>>().join(" ")
}

/// The outcome's rows written as the file writes values, sorted as it says (by row, or every
/// value on its own).
fn sorted(rows: &ExpectedRows, o: &Outcome) -> Vec<Vec<String>> {
    let mut values: Vec<Vec<String>> = o.rows.iter().map(|r| r.iter().map(written).collect()).collect();
    match rows.sort {
        ResultSort::None => {}
        ResultSort::Rows => values.sort_unstable(),
        ResultSort::Values => {
            values = values.into_iter().flatten().map(|v| vec![v]).collect();
            values.sort_unstable();
        }
    }
    values
}

/// The outcome's rows as the file's lines would be: sorted as it says, one value a line when it
/// says so, whitespace collapsed.
fn lines_of(rows: &ExpectedRows, o: &Outcome) -> Vec<String> {
    let mut values = sorted(rows, o);
    if rows.valuewise {
        values = values.into_iter().flatten().map(|v| vec![v]).collect();
    }
    values.iter().map(|r| r.iter().map(|v| normal(v)).collect::<Vec<_>>().join(" ")).collect()
}

fn lines_match(rows: &ExpectedRows, o: &Outcome) -> bool {
    if o.large.is_some() {
        // Only a sample is held: a result that large is not compared by its lines.
        return false;
    }
    if let [only] = rows.lines.as_slice() {
        if let Some((n, hash)) = hashed(only) {
            return hash_of(rows, o) == (n, hash.to_string());
        }
    }
    let expected: Vec<String> = rows.lines.iter().map(|l| normal(l)).collect();
    lines_of(rows, o) == expected
}

/// `N values hashing to H`.
fn hashed(line: &str) -> Option<(usize, &str)> {
    let (n, rest) = line.trim().split_once(" values hashing to ")?;
    Some((n.parse().ok()?, rest.trim()))
}

/// How many values, and the MD5 of each followed by a newline, in the file's order.
fn hash_of(rows: &ExpectedRows, o: &Outcome) -> (usize, String) {
    let values = sorted(rows, o);
    let mut md5 = Md5::new();
    let mut n = 0;
    for v in values.iter().flatten() {
        md5.update(v.as_bytes());
        md5.update(b"\n");
        n += 1;
    }
    (n, format!("{:x}", md5.finalize()))
}

/// What the file says, as an outcome beside `c` (the candidate's): `c` changed only where the
/// file says otherwise.
fn stand_in(e: &FileExpect, c: &Outcome) -> Outcome {
    let succeeded = |tag: Option<String>| Outcome {
        columns: c.columns.clone().filter(|_| c.error.is_none()),
        rows: if c.error.is_none() { c.rows.clone() } else { Vec::new() },
        tag: tag.or_else(|| c.tag.clone().filter(|_| c.error.is_none())),
        status: c.status,
        ..Outcome::default()
    };
    match e {
        FileExpect::Ok => succeeded(Some(c.tag.clone().filter(|_| c.error.is_none()).unwrap_or("statement ok".into()))),
        FileExpect::Count(n) => {
            let verb = c
                .tag
                .as_deref()
                .filter(|_| c.error.is_none())
                .map(|t| t.trim_end_matches(|ch: char| ch.is_ascii_digit()).trim_end().to_string());
            succeeded(Some(format!("{} {n}", verb.unwrap_or_else(|| "statement count".into()))))
        }
        FileExpect::Error(f) => {
            let mut error = c
                .error
                .clone()
                .unwrap_or_else(|| ServerMessage { severity: "ERROR".into(), ..ServerMessage::default() });
            match f {
                ExpectedFailure::Any => {}
                ExpectedFailure::Sqlstate(code) => error.code = code.clone(),
                ExpectedFailure::Pattern(p) => error.message = format!("(an error matching /{p}/)"),
                ExpectedFailure::Message(m) => error.message = m.clone(),
            }
            if c.error.is_none() && error.message.is_empty() {
                error.message = "(an error)".into();
            }
            Outcome { error: Some(error), status: c.status, notices: c.notices.clone(), ..Outcome::default() }
        }
        FileExpect::Rows(rows) => {
            let lines = rows.lines.iter().map(|l| vec![Some(l.clone())]).collect();
            Outcome { rows: lines, large: None, ..succeeded(None) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::compare;
    use crate::compare::tests::kinds;
    use crate::model::{Column, MismatchKind, TxStatus, Verdict};

    fn select(rows: &[&[Option<&str>]]) -> Outcome {
        let width = rows.first().map_or(1, |r| r.len());
        Outcome {
            columns: Some(
                (0..width).map(|i| Column { name: format!("c{i}"), type_name: "text".into(), typmod: -1 }).collect(),
            ),
            rows: rows.iter().map(|r| r.iter().map(|v| v.map(str::to_string)).collect()).collect(),
            tag: Some(format!("SELECT {}", rows.len())),
            status: TxStatus::Idle,
            ..Outcome::default()
        }
    }

    fn failed(code: &str, message: &str) -> Outcome {
        let error = ServerMessage {
            severity: "ERROR".into(),
            code: code.into(),
            message: message.into(),
            ..ServerMessage::default()
        };
        Outcome { error: Some(error), status: TxStatus::Idle, ..Outcome::default() }
    }

    fn expect_rows(lines: &[&str], sort: ResultSort, valuewise: bool) -> FileExpect {
        FileExpect::Rows(ExpectedRows { lines: lines.iter().map(|l| l.to_string()).collect(), sort, valuewise })
    }

    /// The verdict of `o` judged by `e` the way `check` judges it.
    fn judged(e: &FileExpect, o: &Outcome) -> Verdict {
        let reference = if satisfies(e, o) { o.clone() } else { stand_in(e, o) };
        compare(&reference, o, false)
    }

    #[test]
    fn rows_are_written_and_sorted_as_sqllogictest_writes_them() {
        let o = select(&[&[Some("2"), Some("")], &[Some("1"), None], &[Some("10"), Some("a  b")]]);
        assert!(satisfies(&expect_rows(&["2 (empty)", "1 NULL", "10 a b"], ResultSort::None, false), &o));
        assert!(!satisfies(&expect_rows(&["1 NULL", "10 a b", "2 (empty)"], ResultSort::None, false), &o));
        assert!(satisfies(&expect_rows(&["1 NULL", "10 a b", "2 (empty)"], ResultSort::Rows, false), &o));
        let values = ["(empty)", "1", "10", "2", "NULL", "a b"];
        assert!(satisfies(&expect_rows(&values, ResultSort::Values, false), &o));
        assert!(satisfies(&expect_rows(&["2", "(empty)", "1", "NULL", "10", "a b"], ResultSort::None, true), &o));
        // The same six values, hashed: md5 of "(empty)\n1\n10\n2\nNULL\na  b\n".
        let mut md5 = Md5::new();
        md5.update(b"(empty)\n1\n10\n2\nNULL\na  b\n");
        let line = format!("6 values hashing to {:x}", md5.finalize());
        assert!(satisfies(&expect_rows(&[&line], ResultSort::Values, false), &o));
        assert!(!satisfies(&expect_rows(&["6 values hashing to 0123"], ResultSort::Values, false), &o));
        // sqllogictest-rs's own example (examples/basic): Alice, Bob and Eve under `hash-threshold 1`.
        let names = select(&[&[Some("Alice")], &[Some("Bob")], &[Some("Eve")]]);
        let theirs = expect_rows(&["3 values hashing to b5b44edac84d34d6af3be2a88bfae352"], ResultSort::None, false);
        assert!(satisfies(&theirs, &names));
        assert!(!satisfies(&expect_rows(&["1"], ResultSort::None, false), &failed("42P01", "no")));
    }

    #[test]
    fn statements_are_judged_by_what_the_file_says() {
        let inserted = Outcome { tag: Some("INSERT 0 2".into()), status: TxStatus::Idle, ..Outcome::default() };
        assert_eq!(judged(&FileExpect::Ok, &inserted), Verdict::Match);
        assert_eq!(judged(&FileExpect::Count(2), &inserted), Verdict::Match);
        assert_eq!(kinds(judged(&FileExpect::Count(3), &inserted)), [MismatchKind::CommandTag]);
        let missing = failed("42P01", "relation \"missing\" does not exist");
        assert_eq!(kinds(judged(&FileExpect::Ok, &missing)), [MismatchKind::ErrorVsSuccess]);
        assert_eq!(kinds(judged(&FileExpect::Error(ExpectedFailure::Any), &inserted)), [MismatchKind::ErrorVsSuccess]);
        assert_eq!(judged(&FileExpect::Error(ExpectedFailure::Any), &missing), Verdict::Match);
        let pattern = FileExpect::Error(ExpectedFailure::Pattern("relation .* does not exist".into()));
        assert_eq!(judged(&pattern, &missing), Verdict::Match);
        // Another message with an error is soft, as against a live reference.
        let other = FileExpect::Error(ExpectedFailure::Pattern("^no such table".into()));
        assert!(matches!(judged(&other, &missing), Verdict::MatchAfter { .. }));
        let code = FileExpect::Error(ExpectedFailure::Sqlstate("42703".into()));
        assert_eq!(kinds(judged(&code, &missing)), [MismatchKind::Sqlstate]);
        let rows = expect_rows(&["31"], ResultSort::None, false);
        assert_eq!(kinds(judged(&rows, &failed("42601", "trailing junk"))), [MismatchKind::ErrorVsSuccess]);
        assert_eq!(kinds(judged(&rows, &select(&[&[Some("32")]]))), [MismatchKind::Rows]);
        assert_eq!(judged(&rows, &select(&[&[Some("31")]])), Verdict::Match);
    }
}
