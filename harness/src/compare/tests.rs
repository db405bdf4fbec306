//! The comparator on hand-made outcomes.

use super::*;
use crate::model::error::Location;
use crate::model::{Column, Fault, Notification, Parameter, TxStatus};
use crate::model::{Order, Rewrite};

fn col(name: &str, ty: &str) -> Column {
    Column { name: name.into(), type_name: ty.into(), typmod: -1 }
}

fn rows(data: &[&[Option<&str>]]) -> Vec<Vec<Option<String>>> {
    data.iter().map(|r| r.iter().map(|v| v.map(str::to_string)).collect()).collect()
}

fn select(cols: Vec<Column>, data: &[&[Option<&str>]]) -> Outcome {
    Outcome {
        columns: Some(cols),
        rows: rows(data),
        tag: Some(format!("SELECT {}", data.len())),
        status: TxStatus::Idle,
        ..Outcome::default()
    }
}

fn error(code: &str, message: &str) -> Outcome {
    Outcome {
        error: Some(ServerMessage {
            severity: "ERROR".into(),
            code: code.into(),
            message: message.into(),
            ..ServerMessage::default()
        }),
        status: TxStatus::Idle,
        ..Outcome::default()
    }
}

pub(super) fn kinds(v: Verdict) -> Vec<MismatchKind> {
    match v {
        Verdict::Mismatch { kinds, .. } => kinds,
        other => panic!("expected a mismatch, got {other}"),
    }
}

#[test]
fn identical_outcomes_match() {
    let a = select(vec![col("a", "integer")], &[&[Some("1")], &[None]]);
    assert_eq!(compare(&a, &a.clone(), false), Verdict::Match);
}

#[test]
fn null_is_not_the_empty_string() {
    let a = select(vec![col("a", "text")], &[&[None]]);
    let b = select(vec![col("a", "text")], &[&[Some("")]]);
    assert_eq!(kinds(compare(&a, &b, false)), vec![MismatchKind::Rows]);
    let c = select(vec![col("a", "text")], &[&[Some("NULL")]]);
    assert_eq!(kinds(compare(&a, &c, false)), vec![MismatchKind::Rows]);
}

#[test]
fn unordered_rows_compare_as_a_multiset_and_name_it() {
    let a = select(vec![col("a", "integer")], &[&[Some("1")], &[Some("2")]]);
    let b = select(vec![col("a", "integer")], &[&[Some("2")], &[Some("1")]]);
    assert_eq!(compare(&a, &b, false), Verdict::MatchAfter { normalisers: vec![Normaliser::MultisetOrder] });
    assert_eq!(kinds(compare(&a, &b, true)), vec![MismatchKind::RowOrder]);
    let dup = select(vec![col("a", "integer")], &[&[Some("1")], &[Some("1")]]);
    assert_eq!(kinds(compare(&a, &dup, false)), vec![MismatchKind::Rows], "multiplicity counts");
}

#[test]
fn floats_compare_with_a_named_tolerance() {
    let a = select(vec![col("f", "double precision")], &[&[Some("0.30000000000000004")]]);
    let b = select(vec![col("f", "double precision")], &[&[Some("0.3")]]);
    assert_eq!(compare(&a, &b, true), Verdict::MatchAfter { normalisers: vec![Normaliser::FloatTolerance] });
    let c = select(vec![col("f", "double precision")], &[&[Some("0.31")]]);
    assert_eq!(kinds(compare(&a, &c, true)), vec![MismatchKind::Rows]);
    let t = select(vec![col("f", "text")], &[&[Some("0.3")]]);
    let u = select(vec![col("f", "text")], &[&[Some("0.30000000000000004")]]);
    assert_eq!(kinds(compare(&t, &u, true)), vec![MismatchKind::Rows], "text is never tolerant");
}

#[test]
fn errors_compare_by_sqlstate_and_text_is_soft() {
    let a = error("42601", "syntax error at or near \"x\"");
    let b = error("42601", "syntax error at end of input");
    assert_eq!(compare(&a, &b, false), Verdict::MatchAfter { normalisers: vec![Normaliser::MessageText] });
    assert_eq!(kinds(compare(&a, &error("42P01", "x"), false)), vec![MismatchKind::Sqlstate]);
    let ok = Outcome { tag: Some("SELECT 1".into()), status: TxStatus::Idle, ..Outcome::default() };
    assert_eq!(kinds(compare(&a, &ok, false)), vec![MismatchKind::ErrorVsSuccess]);
}

#[test]
fn tags_columns_types_and_status_are_their_own_kinds() {
    let a = select(vec![col("a", "integer")], &[&[Some("1")]]);
    let mut b = a.clone();
    b.tag = Some("SELECT".into());
    assert_eq!(kinds(compare(&a, &b, false)), vec![MismatchKind::CommandTag]);
    let b = select(vec![col("b", "integer")], &[&[Some("1")]]);
    assert_eq!(kinds(compare(&a, &b, false)), vec![MismatchKind::Columns]);
    let b = select(vec![col("a", "bigint")], &[&[Some("1")]]);
    assert_eq!(kinds(compare(&a, &b, false)), vec![MismatchKind::ColumnTypes]);
    let mut b = a.clone();
    b.status = TxStatus::InTransaction;
    assert_eq!(kinds(compare(&a, &b, false)), vec![MismatchKind::TransactionStatus]);
    let mut b = a.clone();
    b.columns.as_mut().unwrap()[0].typmod = 24;
    assert_eq!(kinds(compare(&a, &b, false)), vec![MismatchKind::ColumnTypes], "typmod is part of the type");
}

#[test]
fn faults_match_only_the_same_fault() {
    let t = Outcome::faulted(Fault::Timeout);
    assert_eq!(compare(&t, &t.clone(), false), Verdict::Match);
    let ok = select(vec![col("a", "integer")], &[]);
    assert_eq!(kinds(compare(&ok, &t, false)), vec![MismatchKind::Timeout]);
    assert_eq!(kinds(compare(&t, &Outcome::faulted(Fault::ConnectionLost), false)), vec![MismatchKind::ConnectionLost]);
    assert_eq!(
        kinds(compare(&t, &ok, false)),
        vec![MismatchKind::Timeout],
        "the reference's fault when only it faulted"
    );
    assert_eq!(kinds(compare(&ok, &Outcome::faulted(Fault::NotRun), false)), vec![MismatchKind::NotRun]);
}

#[test]
fn missing_sqlstate_and_missing_tag_are_their_own_kinds() {
    let mut no_code = error("", "Parser Error: syntax error");
    no_code.error.as_mut().unwrap().severity = String::new();
    assert_eq!(kinds(compare(&error("42601", "syntax error"), &no_code, false)), vec![MismatchKind::NoSqlstate]);
    let set = Outcome { tag: Some("SET".into()), status: TxStatus::Idle, ..Outcome::default() };
    for missing in [None, Some(String::new())] {
        let c = Outcome { tag: missing, ..set.clone() };
        assert_eq!(kinds(compare(&set, &c, false)), vec![MismatchKind::NoCommandTag]);
    }
    let other = Outcome { tag: Some("SELECT 0".into()), ..set.clone() };
    assert_eq!(kinds(compare(&set, &other, false)), vec![MismatchKind::CommandTag]);
}

#[test]
fn notices_are_soft_and_named() {
    let a = Outcome { tag: Some("DO".into()), status: TxStatus::Idle, ..Outcome::default() };
    let mut b = a.clone();
    b.notices.push(ServerMessage {
        severity: "NOTICE".into(),
        code: "00000".into(),
        message: "hi".into(),
        ..Default::default()
    });
    assert_eq!(compare(&a, &b, false), Verdict::MatchAfter { normalisers: vec![Normaliser::Notices] });
}

fn step(sql: &str) -> Step {
    crate::workload::step(sql.into(), Order::Auto, Location { file: "w.yaml".into(), line: 1, column: 1 })
}

fn workload(steps: &[&str], rewrite: Option<&[&str]>) -> Workload {
    Workload {
        steps: steps.iter().map(|s| step(s)).collect(),
        rewrite: rewrite.map(|r| Rewrite { setup: Vec::new(), steps: r.iter().map(|s| step(s)).collect() }),
        ..Workload::new(std::path::Path::new("w.yaml"), "w", "f".into(), "a".into())
    }
}

fn recording(steps: Vec<Outcome>) -> Recording {
    Recording { setup: Vec::new(), steps }
}

#[test]
fn a_workload_works_only_when_every_statement_matches() {
    let w = workload(&["SELECT 1", "SELECT 2"], None);
    let one = select(vec![col("a", "integer")], &[&[Some("1")]]);
    let r = recording(vec![one.clone(), one.clone()]);
    let result = judge(&w, Pair::new(&r, &r), None);
    assert_eq!((result.status, result.matched, result.total), (Status::Works, 2, 2));
    let c = recording(vec![one.clone(), error("42601", "x")]);
    let result = judge(&w, Pair::new(&r, &c), None);
    assert_eq!((result.status, result.matched), (Status::Blocked, 1));
    assert_eq!(result.reason.as_deref(), Some("1 mismatched (error vs success)"));
    assert!(result.statements[1].outcomes.is_some(), "mismatches keep both outcomes");
    assert!(result.statements[0].outcomes.is_none());
}

#[test]
fn a_rewrite_must_match_on_both_sides_and_reproduce_the_original_result() {
    let w = workload(&["SELECT 0x1F"], Some(&["SELECT 31"]));
    let v31 = select(vec![col("a", "integer")], &[&[Some("31")]]);
    let reference = recording(vec![v31.clone()]);
    let candidate = recording(vec![error("42601", "syntax error")]);
    let rw = recording(vec![v31.clone()]);
    let result = judge(&w, Pair::new(&reference, &candidate), Some(Pair::new(&rw, &rw)));
    assert_eq!(result.status, Status::WorksWithRewrite);
    // The rewrite gives another answer than the original on the reference: not a rewrite.
    let v32 = recording(vec![select(vec![col("a", "integer")], &[&[Some("32")]])]);
    let result = judge(&w, Pair::new(&reference, &candidate), Some(Pair::new(&v32, &v32)));
    assert_eq!(result.status, Status::Blocked);
    // The rewrite fails on the candidate too.
    let result = judge(&w, Pair::new(&reference, &candidate), Some(Pair::new(&rw, &candidate)));
    assert_eq!(result.status, Status::Blocked);
}

#[test]
fn waiting_on_one_side_only_is_a_blocking_mismatch() {
    use crate::model::Wait;
    let done = Outcome { tag: Some("UPDATE 1".into()), status: TxStatus::InTransaction, ..Outcome::default() };
    let waited = Outcome { wait: Some(Wait::Released { by: 6 }), ..done.clone() };
    assert_eq!(kinds(compare(&waited, &done, false)), vec![MismatchKind::Blocking]);
    let other = Outcome { wait: Some(Wait::Released { by: 7 }), ..done.clone() };
    assert_eq!(kinds(compare(&waited, &other, false)), vec![MismatchKind::Blocking], "released by another step");
    assert!(matches!(compare(&waited, &waited.clone(), false), Verdict::Match));
}

#[test]
fn a_declared_alternative_accepts_the_other_victim_as_a_whole() {
    use crate::model::expect::{Alternative, Expect, WaitExpect};
    use crate::model::Wait;
    let mut w = workload(&["UPDATE a", "UPDATE b", "SELECT v"], None);
    let updated = Outcome { tag: Some("UPDATE 1".into()), status: TxStatus::InTransaction, ..Outcome::default() };
    let victim = Outcome { wait: Some(Wait::Finished), ..error("40P01", "deadlock detected") };
    let rows = |v: &str| select(vec![col("v", "integer")], &[&[Some(v)]]);
    let reference =
        recording(vec![victim.clone(), Outcome { wait: Some(Wait::Released { by: 1 }), ..updated.clone() }, rows("2")]);
    let other_victim =
        recording(vec![Outcome { wait: Some(Wait::Released { by: 2 }), ..updated.clone() }, victim.clone(), rows("1")]);
    assert_eq!(judge(&w, Pair::new(&reference, &other_victim), None).status, Status::Blocked, "nothing declared");
    let v1: Vec<Option<String>> = vec![Some("1".into())];
    w.alternatives = vec![Alternative {
        why: "b is the victim".into(),
        steps: [
            (1, Expect { ok: Some(true), wait: Some(WaitExpect::Any), ..Expect::default() }),
            (2, Expect { error: Some("40P01".into()), wait: Some(WaitExpect::Any), ..Expect::default() }),
            (3, Expect { rows: Some(vec![v1]), ..Expect::default() }),
        ]
        .into(),
    }];
    let result = judge(&w, Pair::new(&reference, &other_victim), None);
    assert_eq!(result.status, Status::Works);
    assert_eq!(result.alternative.as_deref(), Some("b is the victim"));
    assert_eq!(result.reason.as_deref(), Some("declared alternative: b is the victim"));
    assert!(result.statements.iter().all(
        |s| matches!(&s.verdict, Verdict::MatchAfter { normalisers } if normalisers.contains(&Normaliser::OutcomeSet))
    ));
    // Both sessions fail: step 1 matches the reference, but step 2 is named with step 1's
    // success, so the alternative does not hold as a whole.
    let both = recording(vec![victim.clone(), victim.clone(), rows("0")]);
    assert_eq!(judge(&w, Pair::new(&reference, &both), None).status, Status::Blocked);
    // The same as the reference needs no alternative.
    let same = judge(&w, Pair::new(&reference, &reference), None);
    assert_eq!((same.status, same.alternative), (Status::Works, None));
}

#[test]
fn user_object_oids_are_recorded_masked_and_system_ones_as_they_are() {
    let cols = vec![col("oid", "oid"), col("relname", "name"), col("n", "text")];
    let mut o =
        select(cols, &[&[Some("16555"), Some("customers"), Some("16555")], &[Some("1259"), Some("pg_class"), None]]);
    o.mask_volatile();
    assert_eq!(o.rows[0], vec![Some("(object oid)".to_string()), Some("customers".into()), Some("16555".into())]);
    assert_eq!(o.rows[1], vec![Some("1259".to_string()), Some("pg_class".into()), None], "system OIDs stay");
}

#[test]
fn a_temporary_schema_is_named_whichever_slot_the_session_got() {
    let cols = vec![col("a", "pg_temp_6.users"), col("b", "pg_temp_x.y"), col("c", "pg_temp_12")];
    let mut o = select(cols, &[]);
    o.param_types = Some(vec!["pg_temp_7.users".into()]);
    o.mask_volatile();
    let names: Vec<&str> = o.columns.iter().flatten().map(|c| c.type_name.as_str()).collect();
    assert_eq!(names, ["pg_temp.users", "pg_temp_x.y", "pg_temp_12"]);
    assert_eq!(o.param_types.unwrap(), ["pg_temp.users"]);
}

#[test]
fn in_a_suite_only_the_count_of_the_same_tag_is_soft() {
    let tag = |t: &str| Outcome { tag: Some(t.into()), ..Outcome::default() };
    let statements = ["CREATE TABLE a AS SELECT * FROM pg_class", "INSERT INTO t SELECT 1", "SELECT 1"];
    let r = recording(vec![tag("SELECT 149"), tag("INSERT 0 2"), tag("SELECT 1")]);
    let c = recording(vec![tag("SELECT 148"), tag("UPDATE 2"), tag("SELECT 1")]);
    let mut w = workload(&statements, None);
    let plain = judge(&w, Pair::new(&r, &c), None);
    assert_eq!((plain.status, plain.matched), (Status::Blocked, 1), "outside a suite a count is a mismatch");
    w.suite = Some(crate::model::SuitePlace { suite: "regress".into(), group: 2 });
    let suite = judge(&w, Pair::new(&r, &c), None);
    assert_eq!(suite.statements[0].verdict, Verdict::MatchAfter { normalisers: vec![Normaliser::TagCount] });
    assert_eq!(kinds(suite.statements[1].verdict.clone()), [MismatchKind::CommandTag], "another command is not");
    assert_eq!(suite.matched, 2);
}

/// What a driver acts on besides the result: the settings the server reports changed, and
/// the notifications that reach the session, each a kind of its own, in the order sent.
#[test]
fn reported_settings_and_notifications_are_compared() {
    let set = Outcome { tag: Some("SET".into()), status: TxStatus::Idle, ..Outcome::default() };
    let param = |name: &str, value: &str| Parameter { name: name.into(), value: value.into() };
    let reported = Outcome { parameters: vec![param("search_path", "s, public")], ..set.clone() };
    assert_eq!(kinds(compare(&set, &reported, false)), vec![MismatchKind::ParameterStatus]);
    assert_eq!(compare(&reported, &reported.clone(), false), Verdict::Match);
    let other_value = Outcome { parameters: vec![param("search_path", "public")], ..set.clone() };
    assert_eq!(kinds(compare(&reported, &other_value, false)), vec![MismatchKind::ParameterStatus]);

    let note = |channel: &str, payload: &str| Notification { channel: channel.into(), payload: payload.into() };
    let notified = Outcome { notifications: vec![note("jobs", "1"), note("jobs", "2")], ..set.clone() };
    assert_eq!(kinds(compare(&set, &notified, false)), vec![MismatchKind::Notifications]);
    let reordered = Outcome { notifications: vec![note("jobs", "2"), note("jobs", "1")], ..set.clone() };
    assert_eq!(kinds(compare(&notified, &reordered, false)), vec![MismatchKind::Notifications]);
    assert_eq!(compare(&notified, &notified.clone(), false), Verdict::Match);
}
