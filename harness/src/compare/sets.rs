//! Outcome sets: does a candidate's run of the steps match one of the workload's declared
//! alternatives, where it differs from the reference?

use super::{compare, rows};
use crate::model::expect::{Expect, Row, WaitExpect};
use crate::model::Outcome;
use crate::model::{MismatchKind, Verdict};

/// Does the candidate's outcome of a step do what `expect` says, given the reference's?
pub fn accepts(expect: &Expect, reference: &Outcome, candidate: &Outcome, ordered: bool) -> bool {
    if candidate.fault.is_some() {
        return false;
    }
    let wait_ok = match expect.wait {
        None => reference.wait == candidate.wait,
        Some(WaitExpect::Any) => true,
        Some(WaitExpect::None) => candidate.wait.is_none(),
        Some(WaitExpect::Waits) => candidate.wait.is_some(),
    };
    if !wait_ok {
        return false;
    }
    if let Some(code) = &expect.error {
        return candidate.error.as_ref().is_some_and(|e| &e.code == code);
    }
    let tag_ok = expect.tag.as_ref().is_none_or(|t| candidate.error.is_none() && candidate.tag.as_ref() == Some(t));
    let rows_ok = expect.rows.as_ref().is_none_or(|r| candidate.error.is_none() && rows_equal(r, candidate, ordered));
    if !(tag_ok && rows_ok) {
        return false;
    }
    if expect.ok == Some(true) {
        return candidate.error.is_none();
    }
    // The result is not named: everything not overridden compares with the reference.
    match compare(reference, candidate, ordered) {
        Verdict::Mismatch { kinds, .. } => kinds.iter().all(|k| match k {
            MismatchKind::Blocking => true,
            MismatchKind::CommandTag => expect.tag.is_some(),
            MismatchKind::Rows | MismatchKind::RowOrder => expect.rows.is_some(),
            _ => false,
        }),
        _ => true,
    }
}

/// The candidate returned `expected` (a multiset unless the step orders its rows).
pub fn rows_equal(expected: &[Row], candidate: &Outcome, ordered: bool) -> bool {
    let floats: Vec<bool> =
        candidate.columns.as_deref().unwrap_or_default().iter().map(|c| rows::is_float_type(&c.type_name)).collect();
    matches!(rows::compare_rows(expected, &candidate.rows, ordered, &floats), rows::RowComparison::Equal(_))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ServerMessage, TxStatus, Wait};

    fn ok(tag: &str, rows: &[&[&str]]) -> Outcome {
        Outcome {
            columns: (!rows.is_empty()).then(Vec::new),
            rows: rows.iter().map(|r| r.iter().map(|c| Some(c.to_string())).collect()).collect(),
            tag: Some(tag.into()),
            status: TxStatus::InTransaction,
            ..Outcome::default()
        }
    }

    fn failed(code: &str) -> Outcome {
        let error = ServerMessage { severity: "ERROR".into(), code: code.into(), ..ServerMessage::default() };
        Outcome { error: Some(error), status: TxStatus::Failed, ..Outcome::default() }
    }

    #[test]
    fn naming_the_result_frees_what_follows_from_it() {
        let reference = failed("40P01");
        let candidate = Outcome { wait: Some(Wait::Released { by: 8 }), ..ok("UPDATE 1", &[]) };
        let e = Expect { ok: Some(true), wait: Some(WaitExpect::Any), ..Expect::default() };
        assert!(accepts(&e, &reference, &candidate, false), "status and tag follow from success");
        let strict_wait = Expect { ok: Some(true), ..Expect::default() };
        assert!(!accepts(&strict_wait, &reference, &candidate, false), "the wait is compared unless named");
        let e = Expect { error: Some("40P01".into()), wait: Some(WaitExpect::Any), ..Expect::default() };
        assert!(accepts(&e, &candidate, &reference, false));
        assert!(!accepts(&Expect { error: Some("40001".into()), ..e.clone() }, &candidate, &reference, false));
        assert!(!accepts(&e, &reference, &candidate, false), "success is not the named error");
    }

    #[test]
    fn unnamed_aspects_compare_with_the_reference() {
        let reference = ok("SELECT 2", &[&["1", "10"], &["2", "20"]]);
        let candidate = ok("SELECT 2", &[&["2", "0"], &["1", "0"]]);
        let rows: Vec<Row> = vec![vec![Some("1".into()), Some("0".into())], vec![Some("2".into()), Some("0".into())]];
        let e = Expect { rows: Some(rows.clone()), ..Expect::default() };
        assert!(accepts(&e, &reference, &candidate, false), "a multiset unless ordered");
        assert!(!accepts(&e, &reference, &candidate, true), "ordered: the order counts");
        let e = Expect { tag: Some("SELECT 2".into()), ..Expect::default() };
        assert!(!accepts(&e, &reference, &candidate, false), "rows still compare with the reference");
        let waited = Outcome { wait: Some(Wait::Finished), ..reference.clone() };
        let e = Expect { wait: Some(WaitExpect::Any), ..Expect::default() };
        assert!(accepts(&e, &reference, &waited, false) && accepts(&e, &waited, &reference, false));
        let e = Expect { wait: Some(WaitExpect::None), ..Expect::default() };
        assert!(!accepts(&e, &reference, &waited, false), "`wait: none` refuses a wait");
        let e = Expect { wait: Some(WaitExpect::Waits), ..Expect::default() };
        assert!(accepts(&e, &reference, &waited, false) && !accepts(&e, &reference, &reference, false));
        let lost = Outcome::faulted(crate::model::Fault::ConnectionLost);
        assert!(!accepts(&Expect { wait: Some(WaitExpect::Any), ..Expect::default() }, &reference, &lost, false));
    }
}
