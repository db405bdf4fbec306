//! The mismatch signature: what must stay true while a mismatch is reduced, so that reduction
//! cannot drift to a different bug. Row values and counts may change (removing an INSERT
//! changes them); the kinds of mismatch and the shape of each side's outcome may not.

use serde::Serialize;

use crate::compare::{MismatchKind, Verdict};
use crate::outcome::{Outcome, Pair};

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
    /// (`name type`) when the mismatch is about columns.
    Ok {
        command: String,
        columns: Vec<String>,
    },
}

impl Shape {
    fn of(o: &Outcome, with_columns: bool) -> Shape {
        if let Some(f) = &o.fault {
            let kind = serde_json::to_value(f).ok().and_then(|v| v["kind"].as_str().map(str::to_string));
            return Shape::Fault { fault: kind.unwrap_or_default() };
        }
        if let Some(e) = &o.error {
            return Shape::Error { sqlstate: e.code.clone() };
        }
        let command = o.tag.as_deref().and_then(|t| t.split_whitespace().next()).unwrap_or("").to_string();
        let columns = match (&o.columns, with_columns) {
            (Some(cols), true) => cols.iter().map(|c| format!("{} {}", c.name, c.type_name)).collect(),
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
}

impl Signature {
    /// The signature of a mismatching statement; `None` for a match.
    pub fn of(outcomes: Pair<&Outcome>, verdict: &Verdict) -> Option<Signature> {
        let Verdict::Mismatch { kinds, .. } = verdict else { return None };
        let with_columns = kinds.iter().any(|k| matches!(k, MismatchKind::Columns | MismatchKind::ColumnTypes));
        Some(Signature {
            kinds: kinds.clone(),
            reference: Shape::of(outcomes.reference, with_columns),
            candidate: Shape::of(outcomes.candidate, with_columns),
        })
    }
}

impl std::fmt::Display for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kinds: Vec<String> = self.kinds.iter().map(|k| k.to_string()).collect();
        write!(f, "{}: reference {}, candidate {}", kinds.join(", "), self.reference, self.candidate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::compare;
    use crate::outcome::{Column, Fault, ServerMessage, TxStatus};

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
    fn faults_are_shapes() {
        let a = sig(&ok("SELECT 1", 1, "integer"), &Outcome::faulted(Fault::ConnectionLost)).unwrap();
        assert_eq!(a.to_string(), "connection lost: reference SELECT, candidate connection lost");
    }
}
