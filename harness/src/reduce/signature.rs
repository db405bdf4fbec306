//! The mismatch signature: what must stay true while a mismatch is reduced, so that reduction
//! cannot drift to a different bug. Row values and counts may change (removing an INSERT
//! changes them); the kinds of mismatch and the shape of each side's outcome may not.

use serde::Serialize;

use crate::model::{MismatchKind, Verdict};
use crate::model::{Outcome, Pair};

/// One side's outcome, coarsely: which error, which fault, or which command with which columns.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "shape")]
pub enum Shape {
    /// An error with its SQLSTATE (empty when the server sent none).
    Error {
        sqlstate: String,
    },
    Fault {
        fault: String,
    },
    /// Success: the command (first word of its tag, or none), and the result columns
    /// (`name type`) that differ from the other side's when the mismatch is about columns
    /// (so the columns that agree may be reduced away).
    Ok {
        command: String,
        columns: Vec<String>,
    },
}

impl Shape {
    fn of(o: &Outcome, other: &Outcome, with_columns: bool) -> Shape {
        if let Some(f) = &o.fault {
            let kind = serde_json::to_value(f).ok().and_then(|v| v["kind"].as_str().map(str::to_string));
            return Shape::Fault { fault: kind.unwrap_or_default() };
        }
        if let Some(e) = &o.error {
            return Shape::Error { sqlstate: e.code.clone() };
        }
        let command = o.tag.as_deref().and_then(|t| t.split_whitespace().next()).unwrap_or("").to_string();
        let columns = match (&o.columns, with_columns) {
            (Some(cols), true) => {
                let theirs = other.columns.as_deref().unwrap_or_default();
                let differs = |i: usize, c: &crate::model::Column| {
                    theirs.get(i).is_none_or(|t| t.name != c.name || t.type_name != c.type_name)
                };
                let differing = cols.iter().enumerate().filter(|(i, c)| differs(*i, c));
                differing.map(|(_, c)| format!("{} {}", c.name, c.type_name)).collect()
            }
            _ => Vec::new(),
        };
        Shape::Ok { command, columns }
    }
}

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Shape::Error { sqlstate } if sqlstate.is_empty() => f.write_str("error without SQLSTATE"),
            Shape::Error { sqlstate } => write!(f, "error {sqlstate}"),
            Shape::Fault { fault } => f.write_str(&fault.replace('_', " ")),
            Shape::Ok { command, columns } if columns.is_empty() => write!(f, "{}", or_none(command)),
            Shape::Ok { command, columns } => write!(f, "{} ({})", or_none(command), columns.join(", ")),
        }
    }
}

fn or_none(command: &str) -> &str {
    if command.is_empty() {
        "no command tag"
    } else {
        command
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Signature {
    pub kinds: Vec<MismatchKind>,
    pub reference: Shape,
    pub candidate: Shape,
    /// How each side's statement waited, when it did (in a multi-session schedule): `released`,
    /// `finished` or `cancelled`, without the step numbers (reduction renumbers steps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_wait: Option<&'static str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate_wait: Option<&'static str>,
}

/// A wait, coarsely.
fn wait_kind(o: &Outcome) -> Option<&'static str> {
    o.wait.map(|w| match w {
        crate::model::Wait::Released { .. } => "released",
        crate::model::Wait::Finished => "finished",
        crate::model::Wait::Cancelled => "cancelled",
    })
}

impl Signature {
    /// The signature of a mismatching statement; `None` for a match.
    pub fn of(outcomes: Pair<&Outcome>, verdict: &Verdict) -> Option<Signature> {
        let Verdict::Mismatch { kinds, .. } = verdict else { return None };
        let with_columns = kinds.iter().any(|k| matches!(k, MismatchKind::Columns | MismatchKind::ColumnTypes));
        Some(Signature {
            kinds: kinds.clone(),
            reference: Shape::of(outcomes.reference, outcomes.candidate, with_columns),
            candidate: Shape::of(outcomes.candidate, outcomes.reference, with_columns),
            reference_wait: wait_kind(outcomes.reference),
            candidate_wait: wait_kind(outcomes.candidate),
        })
    }
}

/// The cells of the rows one side returned and the other did not (as multisets).
fn differing_cells(outcomes: Pair<&Outcome>) -> Vec<Option<&str>> {
    let (mut r, mut c): (Vec<_>, Vec<_>) =
        (outcomes.reference.rows.iter().collect(), outcomes.candidate.rows.iter().collect());
    r.sort();
    c.sort();
    let (mut only, mut i, mut j) = (Vec::new(), 0, 0);
    while i < r.len() || j < c.len() {
        match (r.get(i), c.get(j)) {
            (Some(a), Some(b)) if a == b => {
                i += 1;
                j += 1;
            }
            (Some(a), b) if b.is_none_or(|b| a < b) => {
                only.push(*a);
                i += 1;
            }
            (_, Some(b)) => {
                only.push(*b);
                j += 1;
            }
            (_, None) => break,
        }
    }
    only.into_iter().flatten().map(|cell| cell.as_deref()).collect()
}

impl Signature {
    /// Has a simplified statement drifted to another difference in the rows? Any difference in
    /// the rows keeps a `rows` signature, so a statement simplified through its syntax tree
    /// (a WHERE clause removed from a catalog query, say) could show an unrelated one. Guard:
    /// every cell of the rows that now differ must be part of (a substring of) a cell that
    /// differed originally.
    pub fn drifted(original: Pair<&Outcome>, trial: Pair<&Outcome>) -> bool {
        let before = differing_cells(original);
        differing_cells(trial).iter().any(|cell| {
            !before.iter().any(|b| match (cell, b) {
                (None, None) => true,
                (Some(cell), Some(b)) => b.contains(cell),
                _ => false,
            })
        })
    }
}

impl std::fmt::Display for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kinds: Vec<String> = self.kinds.iter().map(|k| k.to_string()).collect();
        let waited = |w: Option<&str>| w.map(|w| format!(" (waited, {w})")).unwrap_or_default();
        write!(
            f,
            "{}: reference {}{}, candidate {}{}",
            kinds.join(", "),
            self.reference,
            waited(self.reference_wait),
            self.candidate,
            waited(self.candidate_wait)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::compare;
    use crate::model::{Column, Fault, ServerMessage, TxStatus};

    fn ok(tag: &str, rows: usize, ty: &str) -> Outcome {
        Outcome {
            columns: Some(vec![Column { name: "a".into(), type_name: ty.into(), typmod: -1 }]),
            rows: (0..rows).map(|i| vec![Some(i.to_string())]).collect(),
            tag: Some(tag.into()),
            status: TxStatus::Idle,
            ..Outcome::default()
        }
    }

    fn err(code: &str) -> Outcome {
        Outcome {
            error: Some(ServerMessage { severity: "ERROR".into(), code: code.into(), ..Default::default() }),
            status: TxStatus::Idle,
            ..Outcome::default()
        }
    }

    fn sig(r: &Outcome, c: &Outcome) -> Option<Signature> {
        Signature::of(Pair::new(r, c), &compare(r, c, false))
    }

    #[test]
    fn a_match_has_no_signature() {
        assert_eq!(sig(&err("42601"), &err("42601")), None);
    }

    #[test]
    fn row_counts_may_change_but_not_the_kind_or_shapes() {
        let a = sig(&ok("SELECT 3", 3, "integer"), &ok("SELECT 4", 4, "integer")).unwrap();
        let b = sig(&ok("SELECT 1", 1, "integer"), &ok("SELECT 2", 2, "integer")).unwrap();
        assert_eq!(a, b, "fewer rows on both sides is the same bug");
        assert_eq!(a.to_string(), "command tag, rows: reference SELECT, candidate SELECT");
        let c = sig(&ok("SELECT 1", 1, "integer"), &err("42601")).unwrap();
        assert_ne!(a, c);
    }

    #[test]
    fn sqlstates_are_part_of_it() {
        let a = sig(&err("42601"), &ok("SELECT 1", 1, "integer")).unwrap();
        let b = sig(&err("42P01"), &ok("SELECT 1", 1, "integer")).unwrap();
        assert_ne!(a, b, "another error on the reference is another bug");
        assert_eq!(a.to_string(), "error vs success: reference error 42601, candidate SELECT");
        let none = sig(&err("42601"), &err("")).unwrap();
        assert_eq!(none.to_string(), "no SQLSTATE: reference error 42601, candidate error without SQLSTATE");
    }

    #[test]
    fn column_types_are_kept_for_type_mismatches() {
        let a = sig(&ok("SELECT 1", 1, "integer"), &ok("SELECT 1", 1, "bigint")).unwrap();
        let b = sig(&ok("SELECT 1", 1, "integer"), &ok("SELECT 1", 1, "numeric")).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.to_string(), "column types: reference SELECT (a integer), candidate SELECT (a bigint)");
    }

    #[test]
    fn columns_that_agree_are_not_part_of_it() {
        let two = |ty: &str| Outcome {
            columns: Some(vec![
                Column { name: "same".into(), type_name: "text".into(), typmod: -1 },
                Column { name: "a".into(), type_name: ty.into(), typmod: -1 },
            ]),
            ..ok("SELECT 1", 1, ty)
        };
        let a = sig(&two("integer"), &two("bigint")).unwrap();
        let b = sig(&ok("SELECT 1", 1, "integer"), &ok("SELECT 1", 1, "bigint")).unwrap();
        assert_eq!(a, b, "dropping the column both sides agree on keeps the signature");
    }

    #[test]
    fn rows_that_differ_must_come_from_the_original_difference() {
        let rows = |cells: &[&str]| Outcome {
            rows: cells.iter().map(|c| vec![Some(c.to_string()), None]).collect(),
            ..ok("SELECT 1", 0, "text")
        };
        let original = Pair::new(rows(&["a", "ÉTÉ", "b"]), rows(&["a", "été", "b"]));
        let narrower = Pair::new(rows(&["ÉT"]), rows(&["ét"]));
        assert!(
            !Signature::drifted(original.as_ref(), narrower.as_ref()),
            "fewer and shorter values: the same difference"
        );
        let same = Pair::new(rows(&["x"]), rows(&["x"]));
        assert!(!Signature::drifted(original.as_ref(), same.as_ref()));
        let other = Pair::new(rows(&["37"]), rows(&["137"]));
        assert!(Signature::drifted(original.as_ref(), other.as_ref()), "another difference altogether");
        let count = Pair::new(rows(&["0"]), rows(&["1"]));
        let wider = Pair::new(rows(&["109"]), rows(&["204"]));
        assert!(Signature::drifted(count.as_ref(), wider.as_ref()), "a count over a whole catalog is not the bug");
    }

    #[test]
    fn faults_are_shapes() {
        let a = sig(&ok("SELECT 1", 1, "integer"), &Outcome::faulted(Fault::ConnectionLost)).unwrap();
        assert_eq!(a.to_string(), "connection lost: reference SELECT, candidate connection lost");
    }
}
