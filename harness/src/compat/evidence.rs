//! How an old statement broke: its two outcomes (on the database before a migration and after
//! it) read as the break a person recognises — an INSERT that omits a new NOT NULL column, a
//! read of a renamed or dropped column, `SELECT *` with an extra column, a new constraint that
//! rejects what the old build writes, a retype that changes a value's text. Pure.

use crate::model::{Evidence, MismatchKind, Outcome, StepResult, Verdict, WorkloadResult};

/// Listed per migration at most; the rest are counted.
const LISTED: usize = 10;

/// The statements of `results` that broke: the first in each workload, and every later one
/// that breaks in a way of its own (a new error, a changed result shape); the count of the
/// other differences (most follow from the first).
pub fn collect(results: &[WorkloadResult]) -> (Vec<Evidence>, usize) {
    let mut listed = Vec::new();
    let mut later = 0;
    for r in results {
        let mut first = true;
        for s in r.mismatches() {
            let Some(outcomes) = &s.outcomes else { continue };
            let (before, after) = (&outcomes.reference, &outcomes.candidate);
            let primary = first || (own_break(before, after) && !consequence(after));
            first = false;
            if !primary || listed.len() >= LISTED {
                later += 1;
                continue;
            }
            listed.push(Evidence {
                workload: r.id.clone(),
                location: s.location.clone(),
                statement: s.sql.trim().to_string(),
                how: how(s, before, after),
                before: crate::render::short(before),
                after: crate::render::short(after),
            });
        }
    }
    (listed, later)
}

/// A break of its own: a new error, or a result of another shape.
fn own_break(before: &Outcome, after: &Outcome) -> bool {
    let code = |o: &Outcome| o.error.as_ref().map(|e| e.code.clone());
    (after.error.is_some() && code(before) != code(after))
        || before.columns.as_ref().map(|c| c.iter().map(|c| &c.name).collect::<Vec<_>>())
            != after.columns.as_ref().map(|c| c.iter().map(|c| &c.name).collect::<Vec<_>>())
}

/// An error that only follows from an earlier one (the transaction was already aborted).
fn consequence(after: &Outcome) -> bool {
    after.error.as_ref().is_some_and(|e| e.code == "25P02")
}

fn kinds(s: &StepResult) -> &[MismatchKind] {
    match &s.verdict {
        Verdict::Mismatch { kinds, .. } => kinds,
        _ => &[],
    }
}

/// The break in words.
pub fn how(s: &StepResult, before: &Outcome, after: &Outcome) -> String {
    let verb = s.sql.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
    match (&before.error, &after.error) {
        (None, Some(e)) => {
            let why = match e.code.as_str() {
                "23502" if verb == "INSERT" => "the INSERT omits a new NOT NULL column without a default",
                "23502" => "a NOT NULL column it does not fill",
                "42703" => "a column it names is gone (renamed or dropped)",
                "42P01" => "a table it names is gone (renamed or dropped)",
                "23505" => "a new unique constraint or index rejects what it writes",
                "23514" => "a new CHECK rejects what it writes",
                "23503" => "a new foreign key rejects what it writes",
                "22001" => "a narrower type rejects its value (too long)",
                "22003" => "a narrower type rejects its value (out of range)",
                "22P02" if e.message.contains("enum") => "an enum value it uses was removed",
                "22P02" | "42804" => "the column's new type rejects its value",
                "42883" => "an operator or function no longer fits the column's new type",
                "25P02" => "an earlier statement already aborted its transaction",
                _ => "it fails now",
            };
            format!("{why}: {} {}", e.code, e.message.lines().next().unwrap_or(""))
        }
        (Some(e), None) => format!("it failed before ({}) and succeeds now", e.code),
        (Some(b), Some(a)) if b.code != a.code => format!("it fails differently: {} → {}", b.code, a.code),
        _ => shape(s, before, after),
    }
}

/// A difference in what a statement that succeeds on both returned.
fn shape(s: &StepResult, before: &Outcome, after: &Outcome) -> String {
    let names = |o: &Outcome| o.columns.as_ref().map(|c| c.iter().map(|c| c.name.clone()).collect::<Vec<_>>());
    let k = kinds(s);
    if k.contains(&MismatchKind::Columns) {
        let (b, a) = (names(before).unwrap_or_default(), names(after).unwrap_or_default());
        let extra: Vec<&String> = a.iter().filter(|c| !b.contains(c)).collect();
        let gone: Vec<&String> = b.iter().filter(|c| !a.contains(c)).collect();
        let list = |v: &[&String]| v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
        return match (extra.is_empty(), gone.is_empty()) {
            (false, true) => format!("its result has extra column(s) {} (SELECT * picks up new columns)", list(&extra)),
            (true, false) => format!("its result lost column(s) {}", list(&gone)),
            (false, false) => format!("its result's columns changed: {} → {}", list(&gone), list(&extra)),
            (true, true) => "its result's columns are in another order".into(),
        };
    }
    if k.contains(&MismatchKind::ColumnTypes) {
        let types = |o: &Outcome| {
            o.columns.as_ref().map(|c| c.iter().map(|c| format!("{} {}", c.name, c.type_name)).collect::<Vec<_>>())
        };
        let (b, a) = (types(before).unwrap_or_default(), types(after).unwrap_or_default());
        let changed: Vec<String> =
            b.iter().zip(&a).filter(|(x, y)| x != y).map(|(x, y)| format!("{x} → {y}")).collect();
        return format!("a result column's type changed: {}", changed.join(", "));
    }
    if k.contains(&MismatchKind::Rows) {
        let first = before.rows.iter().zip(&after.rows).find(|(x, y)| x != y);
        return match first {
            Some((x, y)) => format!("its values changed: {} → {}", row(x), row(y)),
            None => format!("it returns {} row(s) instead of {}", after.rows.len(), before.rows.len()),
        };
    }
    if k.contains(&MismatchKind::ParameterTypes) {
        let (b, a) = (before.param_types.clone().unwrap_or_default(), after.param_types.clone().unwrap_or_default());
        let changed: Vec<String> = b
            .iter()
            .zip(&a)
            .enumerate()
            .filter(|(_, (x, y))| x != y)
            .map(|(i, (x, y))| format!("${} {x} → {y}", i + 1))
            .collect();
        return format!("the server infers other types for its parameters: {}", changed.join(", "));
    }
    if k.contains(&MismatchKind::CommandTag) {
        let tag = |o: &Outcome| o.tag.clone().unwrap_or_default();
        return format!("it affects other rows: {} → {}", tag(before), tag(after));
    }
    if k.contains(&MismatchKind::Timeout) || k.contains(&MismatchKind::Blocking) {
        return "it waits or times out now".into();
    }
    s.verdict.to_string()
}

fn row(r: &[Option<String>]) -> String {
    let cells: Vec<String> =
        r.iter().map(|v| v.as_deref().map(|v| format!("'{v}'")).unwrap_or("NULL".into())).collect();
    format!("({})", cells.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Column, Pair, Phase, ServerMessage, TxStatus};

    fn ok(columns: &[(&str, &str)], rows: Vec<Vec<&str>>) -> Outcome {
        Outcome {
            columns: Some(
                columns
                    .iter()
                    .map(|(n, t)| Column { name: n.to_string(), type_name: t.to_string(), typmod: -1 })
                    .collect(),
            ),
            rows: rows.into_iter().map(|r| r.into_iter().map(|v| Some(v.to_string())).collect()).collect(),
            tag: Some("SELECT 1".into()),
            status: TxStatus::Idle,
            ..Outcome::default()
        }
    }

    fn err(code: &str, message: &str) -> Outcome {
        Outcome {
            error: Some(ServerMessage { code: code.into(), message: message.into(), ..Default::default() }),
            ..Outcome::default()
        }
    }

    fn step(sql: &str, kinds: Vec<MismatchKind>, before: Outcome, after: Outcome) -> StepResult {
        StepResult {
            phase: Phase::Step,
            index: 1,
            session: None,
            location: "t.yaml:3:5".into(),
            sql: sql.into(),
            verdict: Verdict::Mismatch { kinds, normalisers: vec![] },
            outcomes: Some(Pair::new(before, after)),
        }
    }

    fn how_of(s: &StepResult) -> String {
        let o = s.outcomes.clone().unwrap();
        how(s, &o.reference, &o.candidate)
    }

    #[test]
    fn errors_are_named_by_what_broke() {
        let insert = step(
            "insert into users (name) values ($1)",
            vec![MismatchKind::ErrorVsSuccess],
            Outcome { tag: Some("INSERT 0 1".into()), ..Outcome::default() },
            err("23502", "null value in column \"email\" of relation \"users\" violates not-null constraint"),
        );
        assert!(how_of(&insert).starts_with("the INSERT omits a new NOT NULL column without a default: 23502"));
        let read = step(
            "select name from users",
            vec![MismatchKind::ErrorVsSuccess],
            ok(&[("name", "text")], vec![vec!["a"]]),
            err("42703", "column \"name\" does not exist"),
        );
        assert!(how_of(&read).starts_with("a column it names is gone"), "{}", how_of(&read));
    }

    #[test]
    fn shapes_and_values_are_named() {
        let star = step(
            "select * from users",
            vec![MismatchKind::Columns],
            ok(&[("id", "int4")], vec![vec!["1"]]),
            ok(&[("id", "int4"), ("note", "text")], vec![vec!["1", ""]]),
        );
        assert_eq!(how_of(&star), "its result has extra column(s) note (SELECT * picks up new columns)");
        let retyped = step(
            "select price from items",
            vec![MismatchKind::ColumnTypes, MismatchKind::Rows],
            ok(&[("price", "numeric")], vec![vec!["9.50"]]),
            ok(&[("price", "int4")], vec![vec!["10"]]),
        );
        assert_eq!(how_of(&retyped), "a result column's type changed: price numeric → price int4");
        let values = step(
            "select price from items",
            vec![MismatchKind::Rows],
            ok(&[("price", "text")], vec![vec!["9.50"]]),
            ok(&[("price", "text")], vec![vec!["9.5"]]),
        );
        assert_eq!(how_of(&values), "its values changed: ('9.50') → ('9.5')");
    }

    #[test]
    fn the_first_break_is_listed_and_its_consequences_counted() {
        let w = |statements: Vec<StepResult>| WorkloadResult::of("traffic", crate::model::Status::Blocked, statements);
        let insert = step(
            "insert into users (name) values ('a')",
            vec![MismatchKind::ErrorVsSuccess],
            Outcome { tag: Some("INSERT 0 1".into()), ..Outcome::default() },
            err("23502", "null value"),
        );
        let fewer = step(
            "select count(*) from users",
            vec![MismatchKind::Rows],
            ok(&[("count", "int8")], vec![vec!["1"]]),
            ok(&[("count", "int8")], vec![vec!["0"]]),
        );
        let aborted = step("select 1", vec![MismatchKind::ErrorVsSuccess], ok(&[], vec![]), err("25P02", "aborted"));
        let gone = step(
            "select name from users",
            vec![MismatchKind::ErrorVsSuccess],
            ok(&[("name", "text")], vec![]),
            err("42703", "column does not exist"),
        );
        let (listed, later) = collect(&[w(vec![insert, fewer, aborted, gone])]);
        let statements: Vec<&str> = listed.iter().map(|e| e.statement.as_str()).collect();
        assert_eq!(statements, vec!["insert into users (name) values ('a')", "select name from users"]);
        assert_eq!(later, 2);
    }
}
