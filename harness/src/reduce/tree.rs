//! Simplifying one statement through its syntax tree, in the spirit of SQLreduce: parse with
//! PostgreSQL's own parser (`pg_query`), make one small edit — replace an expression by one of
//! its operands, remove a clause or a list item, shorten a literal — and deparse. Every
//! candidate is strictly shorter than the statement it came from, so a greedy loop over them
//! ends.

use std::ops::ControlFlow;

use pg_query::protobuf::{a_const::Val, Node, SetOperation, WithClause};
use pg_query::NodeEnum;

/// The parts of a node a simplification may touch.
#[derive(Default)]
struct Parts<'a> {
    /// Optional child nodes: (slot, may be removed).
    slots: Vec<(&'a mut Option<Box<Node>>, bool)>,
    /// Child lists: (list, the fewest items it may be left with; `usize::MAX`: walk only).
    lists: Vec<(&'a mut Vec<Node>, usize)>,
    /// Which of its child nodes may replace the node (an expression by an operand that is an
    /// expression, a join by either side), if any.
    replace_by: Option<fn(&NodeEnum) -> bool>,
}

fn is_expression(node: &NodeEnum) -> bool {
    matches!(
        node,
        NodeEnum::AConst(_)
            | NodeEnum::ColumnRef(_)
            | NodeEnum::ParamRef(_)
            | NodeEnum::AExpr(_)
            | NodeEnum::BoolExpr(_)
            | NodeEnum::FuncCall(_)
            | NodeEnum::TypeCast(_)
            | NodeEnum::CaseExpr(_)
            | NodeEnum::CoalesceExpr(_)
            | NodeEnum::MinMaxExpr(_)
            | NodeEnum::NullTest(_)
            | NodeEnum::BooleanTest(_)
            | NodeEnum::AIndirection(_)
            | NodeEnum::RowExpr(_)
            | NodeEnum::AArrayExpr(_)
            | NodeEnum::SubLink(_)
            | NodeEnum::CollateClause(_)
            | NodeEnum::SqlvalueFunction(_)
    )
}

fn is_from_item(node: &NodeEnum) -> bool {
    matches!(
        node,
        NodeEnum::RangeVar(_) | NodeEnum::JoinExpr(_) | NodeEnum::RangeSubselect(_) | NodeEnum::RangeFunction(_)
    )
}

const WALK_ONLY: usize = usize::MAX;

impl<'a> Parts<'a> {
    fn expression(slots: Vec<&'a mut Option<Box<Node>>>, lists: Vec<(&'a mut Vec<Node>, usize)>) -> Self {
        Parts { slots: slots.into_iter().map(|s| (s, false)).collect(), lists, replace_by: Some(is_expression) }
    }

    fn with(mut self, with: &'a mut Option<WithClause>) -> Self {
        if let Some(w) = with {
            self.lists.push((&mut w.ctes, 0));
        }
        self
    }

    fn returning(mut self, returning: &'a mut Option<pg_query::protobuf::ReturningClause>) -> Self {
        if let Some(r) = returning {
            self.lists.push((&mut r.exprs, 0));
        }
        self
    }
}

fn parts(node: &mut NodeEnum) -> Parts<'_> {
    match node {
        NodeEnum::SelectStmt(s) => Parts {
            slots: vec![
                (&mut s.where_clause, true),
                (&mut s.having_clause, true),
                (&mut s.limit_count, true),
                (&mut s.limit_offset, true),
            ],
            lists: vec![
                (&mut s.target_list, 1),
                (&mut s.from_clause, 0),
                (&mut s.group_clause, 0),
                (&mut s.sort_clause, 0),
                (&mut s.distinct_clause, 0),
                (&mut s.window_clause, 0),
                (&mut s.locking_clause, 0),
                (&mut s.values_lists, 1),
            ],
            replace_by: None,
        }
        .with(&mut s.with_clause),
        NodeEnum::InsertStmt(s) => Parts { slots: vec![(&mut s.select_stmt, false)], ..Default::default() }
            .with(&mut s.with_clause)
            .returning(&mut s.returning_clause),
        NodeEnum::UpdateStmt(s) => Parts {
            slots: vec![(&mut s.where_clause, true)],
            lists: vec![(&mut s.target_list, 1), (&mut s.from_clause, 0)],
            replace_by: None,
        }
        .with(&mut s.with_clause)
        .returning(&mut s.returning_clause),
        NodeEnum::DeleteStmt(s) => {
            Parts { slots: vec![(&mut s.where_clause, true)], lists: vec![(&mut s.using_clause, 0)], replace_by: None }
                .with(&mut s.with_clause)
                .returning(&mut s.returning_clause)
        }
        NodeEnum::CreateStmt(s) => {
            Parts { lists: vec![(&mut s.table_elts, 0), (&mut s.constraints, 0)], ..Default::default() }
        }
        NodeEnum::ColumnDef(c) => {
            Parts { slots: vec![(&mut c.raw_default, true)], lists: vec![(&mut c.constraints, 0)], replace_by: None }
        }
        NodeEnum::ViewStmt(s) => Parts { slots: vec![(&mut s.query, false)], ..Default::default() },
        NodeEnum::CreateTableAsStmt(s) => Parts { slots: vec![(&mut s.query, false)], ..Default::default() },
        NodeEnum::ExplainStmt(s) => {
            Parts { slots: vec![(&mut s.query, false)], lists: vec![(&mut s.options, 0)], replace_by: None }
        }
        NodeEnum::CommonTableExpr(c) => Parts { slots: vec![(&mut c.ctequery, false)], ..Default::default() },
        NodeEnum::RangeSubselect(r) => Parts { slots: vec![(&mut r.subquery, false)], ..Default::default() },
        NodeEnum::JoinExpr(j) => {
            // A join may become either of its sides; its ON clause is only walked.
            let slots = vec![(&mut j.larg, false), (&mut j.rarg, false), (&mut j.quals, false)];
            Parts { slots, lists: Vec::new(), replace_by: Some(is_from_item) }
        }
        NodeEnum::ResTarget(r) => Parts { slots: vec![(&mut r.val, false)], ..Default::default() },
        NodeEnum::SortBy(s) => Parts { slots: vec![(&mut s.node, false)], ..Default::default() },
        NodeEnum::CaseWhen(w) => {
            Parts { slots: vec![(&mut w.expr, false), (&mut w.result, false)], ..Default::default() }
        }
        NodeEnum::SubLink(s) => {
            Parts { slots: vec![(&mut s.testexpr, false), (&mut s.subselect, false)], ..Default::default() }
        }
        NodeEnum::List(l) => Parts { lists: vec![(&mut l.items, 1)], ..Default::default() },
        NodeEnum::AExpr(e) => Parts::expression(vec![&mut e.lexpr, &mut e.rexpr], Vec::new()),
        NodeEnum::BoolExpr(e) => Parts::expression(Vec::new(), vec![(&mut e.args, 2)]),
        NodeEnum::FuncCall(f) => {
            let mut p = Parts::expression(Vec::new(), vec![(&mut f.args, 1)]);
            p.slots.push((&mut f.agg_filter, true));
            p
        }
        NodeEnum::TypeCast(c) => Parts::expression(vec![&mut c.arg], Vec::new()),
        NodeEnum::CaseExpr(c) => {
            let mut p = Parts::expression(vec![&mut c.arg], Vec::new());
            p.slots.push((&mut c.defresult, true));
            // The WHEN arms are not expressions themselves: they are dropped, not promoted.
            p.lists.push((&mut c.args, 1));
            p
        }
        NodeEnum::CoalesceExpr(c) => Parts::expression(Vec::new(), vec![(&mut c.args, 1)]),
        NodeEnum::MinMaxExpr(m) => Parts::expression(Vec::new(), vec![(&mut m.args, 1)]),
        NodeEnum::NullTest(t) => Parts::expression(vec![&mut t.arg], Vec::new()),
        NodeEnum::BooleanTest(t) => Parts::expression(vec![&mut t.arg], Vec::new()),
        NodeEnum::AIndirection(i) => Parts::expression(vec![&mut i.arg], Vec::new()),
        NodeEnum::RowExpr(r) => Parts::expression(Vec::new(), vec![(&mut r.args, 1)]),
        NodeEnum::AArrayExpr(a) => Parts::expression(Vec::new(), vec![(&mut a.elements, 1)]),
        _ => Parts::default(),
    }
}

/// Visit `node` and everything under it, pre-order, until `visit` breaks.
fn walk(node: &mut Node, visit: &mut dyn FnMut(&mut Node) -> ControlFlow<()>) -> ControlFlow<()> {
    visit(node)?;
    let Some(inner) = node.node.as_mut() else { return ControlFlow::Continue(()) };
    // The arms of a set operation are bare SelectStmts: walk them wrapped as nodes.
    if let NodeEnum::SelectStmt(s) = inner {
        for arm in [&mut s.larg, &mut s.rarg] {
            if let Some(select) = arm.take() {
                let mut wrapped = Node { node: Some(NodeEnum::SelectStmt(select)) };
                let flow = walk(&mut wrapped, visit);
                if let Some(NodeEnum::SelectStmt(select)) = wrapped.node {
                    *arm = Some(select);
                }
                flow?;
            }
        }
    }
    let p = parts(inner);
    for (slot, _) in p.slots {
        if let Some(child) = slot {
            walk(child, visit)?;
        }
    }
    for (list, _) in p.lists {
        for child in list {
            walk(child, visit)?;
        }
    }
    ControlFlow::Continue(())
}

/// The edits of one node, in a fixed order; applies the `apply`-th when asked. Returns how many
/// there are.
fn edits(node: &mut Node, apply: Option<usize>) -> usize {
    let mut k = 0usize;
    let hit = |k: &mut usize| {
        let now = apply == Some(*k);
        *k += 1;
        now
    };
    let Some(inner) = node.node.as_mut() else { return 0 };
    // A set operation may become either arm.
    if let NodeEnum::SelectStmt(s) = inner {
        if s.op != SetOperation::SetopNone as i32 {
            for arm in [s.larg.clone(), s.rarg.clone()] {
                if hit(&mut k) {
                    node.node = arm.map(NodeEnum::SelectStmt);
                    return k;
                }
            }
        }
    }
    if let NodeEnum::AConst(c) = inner {
        for shorter in shorter_literals(c.val.as_ref()) {
            if hit(&mut k) {
                c.val = Some(shorter);
                return k;
            }
        }
        return k;
    }
    let p = parts(inner);
    let mut replacement = None;
    if let Some(fits) = p.replace_by {
        let children =
            p.slots.iter().filter_map(|(s, _)| s.as_deref()).chain(p.lists.iter().flat_map(|(l, _)| l.iter()));
        for child in children.filter(|c| c.node.as_ref().is_some_and(fits)) {
            if hit(&mut k) {
                replacement = Some(child.clone());
            }
        }
    }
    if replacement.is_none() {
        for (slot, removable) in p.slots {
            if removable && slot.is_some() && hit(&mut k) {
                *slot = None;
                return k;
            }
        }
        for (list, fewest) in p.lists {
            if fewest == WALK_ONLY || list.len() <= fewest {
                continue;
            }
            for i in 0..list.len() {
                if hit(&mut k) {
                    list.remove(i);
                    return k;
                }
            }
            if fewest == 0 && list.len() > 1 && hit(&mut k) {
                list.clear();
                return k;
            }
        }
    }
    if let Some(child) = replacement {
        *node = child;
    }
    k
}

/// After an edit: a WITH or RETURNING clause whose last item went is removed whole.
fn tidy(node: &mut Node) {
    fn empty_with(w: &mut Option<WithClause>) {
        if w.as_ref().is_some_and(|w| w.ctes.is_empty()) {
            *w = None;
        }
    }
    fn empty_returning(r: &mut Option<pg_query::protobuf::ReturningClause>) {
        if r.as_ref().is_some_and(|r| r.exprs.is_empty()) {
            *r = None;
        }
    }
    match node.node.as_mut() {
        Some(NodeEnum::SelectStmt(s)) => empty_with(&mut s.with_clause),
        Some(NodeEnum::InsertStmt(s)) => {
            empty_with(&mut s.with_clause);
            empty_returning(&mut s.returning_clause);
        }
        Some(NodeEnum::UpdateStmt(s)) => {
            empty_with(&mut s.with_clause);
            empty_returning(&mut s.returning_clause);
        }
        Some(NodeEnum::DeleteStmt(s)) => {
            empty_with(&mut s.with_clause);
            empty_returning(&mut s.returning_clause);
        }
        _ => {}
    }
}

/// Shorter spellings of a literal: half of a long string, fewer digits of a number.
fn shorter_literals(val: Option<&Val>) -> Vec<Val> {
    match val {
        Some(Val::Sval(s)) if s.sval.chars().count() > 1 => {
            let half = s.sval.chars().count().div_ceil(2);
            vec![Val::Sval(pg_query::protobuf::String { sval: s.sval.chars().take(half).collect() })]
        }
        Some(Val::Ival(i)) if i.ival.unsigned_abs() >= 10 => {
            let digits = i.ival.unsigned_abs().to_string();
            let keep: String = digits[..digits.len().div_ceil(2)].to_string();
            let shorter = keep.parse::<i32>().unwrap_or(1) * i.ival.signum();
            vec![Val::Ival(pg_query::protobuf::Integer { ival: shorter })]
        }
        Some(Val::Fval(f)) if f.fval.len() > 2 => {
            let keep = f.fval.len().div_ceil(2);
            let mut shorter = f.fval[..keep].trim_end_matches(['.', 'e', 'E', '-', '+']).to_string();
            if shorter.is_empty() || shorter == "-" {
                shorter = "1".into();
            }
            vec![Val::Fval(pg_query::protobuf::Float { fval: shorter })]
        }
        _ => Vec::new(),
    }
}

/// Every one-edit simplification of a single statement, shortest first; empty when it does not
/// parse, is not one statement, or the deparser cannot print it.
pub fn simplifications(sql: &str) -> Vec<String> {
    let Ok(parsed) = pg_query::parse(sql, 0) else { return Vec::new() };
    let parsed = parsed.protobuf;
    let Some(base) = deparsed(&parsed) else { return Vec::new() };
    if parsed.stmts.len() != 1 {
        return Vec::new();
    }
    let Some(root) = parsed.stmts[0].stmt.as_deref().cloned() else { return Vec::new() };
    let mut counts = Vec::new();
    let _ = walk(&mut root.clone(), &mut |n| {
        counts.push(edits(&mut n.clone(), None));
        ControlFlow::Continue(())
    });
    let mut out: Vec<String> = Vec::new();
    for (site, &count) in counts.iter().enumerate() {
        for edit in 0..count {
            let mut copy = root.clone();
            let mut i = 0;
            let _ = walk(&mut copy, &mut |n| {
                if i == site {
                    edits(n, Some(edit));
                    return ControlFlow::Break(());
                }
                i += 1;
                ControlFlow::Continue(())
            });
            let _ = walk(&mut copy, &mut |n| {
                tidy(n);
                ControlFlow::Continue(())
            });
            let mut edited = parsed.clone();
            edited.stmts[0].stmt = Some(Box::new(copy));
            // What the deparser prints may not parse again (FETCH … WITH TIES without ORDER
            // BY): such a candidate would only ever be a syntax error.
            let fits = |t: &String| t.len() < base.len() && !out.contains(t) && pg_query::parse(t, 0).is_ok();
            if let Some(text) = deparsed(&edited).filter(fits) {
                out.push(text);
            }
        }
    }
    out.sort_by_key(|t| t.len());
    out
}

/// The statement as PostgreSQL's deparser prints it (`None` if it cannot).
pub fn deparse(sql: &str) -> Option<String> {
    deparsed(&pg_query::parse(sql, 0).ok()?.protobuf)
}

fn deparsed(parsed: &pg_query::protobuf::ParseResult) -> Option<String> {
    pg_query::deparse(parsed, Default::default()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clauses_operands_and_list_items_go() {
        let all = simplifications("SELECT a + 1, b FROM t WHERE a > 2 AND b < 3 ORDER BY a LIMIT 5");
        for expected in [
            "SELECT a + 1, b FROM t WHERE a > 2 AND b < 3 ORDER BY a",
            "SELECT b FROM t WHERE a > 2 AND b < 3 ORDER BY a LIMIT 5",
            "SELECT a, b FROM t WHERE a > 2 AND b < 3 ORDER BY a LIMIT 5",
            "SELECT a + 1, b FROM t WHERE a > 2 ORDER BY a LIMIT 5",
            "SELECT a + 1, b FROM t ORDER BY a LIMIT 5",
            "SELECT a + 1, b FROM t WHERE a > 2 AND b < 3 LIMIT 5",
        ] {
            assert!(all.contains(&expected.to_string()), "missing {expected:?} in {all:#?}");
        }
        assert!(all.windows(2).all(|w| w[0].len() <= w[1].len()), "shortest first");
        assert!(all.iter().all(|s| pg_query::parse(s, 0).is_ok()), "every candidate parses");
    }

    #[test]
    fn literals_get_shorter() {
        let all = simplifications("SELECT upper('abcdefgh'), 123456, 3.14159265");
        assert!(all.contains(&"SELECT upper('abcd'), 123456, 3.14159265".to_string()), "{all:#?}");
        assert!(all.contains(&"SELECT upper('abcdefgh'), 123, 3.14159265".to_string()), "{all:#?}");
        assert!(all.contains(&"SELECT upper('abcdefgh'), 123456, 3.141".to_string()), "{all:#?}");
    }

    #[test]
    fn set_operations_casts_and_functions_unwrap() {
        let all = simplifications("SELECT 1::int8 UNION ALL SELECT coalesce(x, 2) FROM t");
        for expected in
            ["SELECT 1::int8", "SELECT 1 UNION ALL SELECT COALESCE(x, 2) FROM t", "SELECT COALESCE(x, 2) FROM t"]
        {
            assert!(all.contains(&expected.to_string()), "missing {expected:?} in {all:#?}");
        }
        let all = simplifications("SELECT * FROM a JOIN b ON a.id = b.id");
        assert!(all.contains(&"SELECT * FROM a".to_string()), "{all:#?}");
    }

    #[test]
    fn ddl_and_dml_lose_parts() {
        let all = simplifications("CREATE TABLE t (a int PRIMARY KEY, b text DEFAULT 'xyz' NOT NULL)");
        assert!(all.contains(&"CREATE TABLE t (a int PRIMARY KEY)".to_string()), "{all:#?}");
        assert!(all.contains(&"CREATE TABLE t (a int, b text DEFAULT 'xyz' NOT NULL)".to_string()), "{all:#?}");
        let all = simplifications("UPDATE t SET a = 1, b = 2 WHERE c RETURNING a");
        assert!(all.contains(&"UPDATE t SET a = 1 WHERE c RETURNING a".to_string()), "{all:#?}");
        assert!(all.contains(&"UPDATE t SET a = 1, b = 2 RETURNING a".to_string()), "{all:#?}");
    }

    /// Every statement of the shipped workloads, and every candidate of every candidate: the
    /// deparser (assertions on in debug builds) accepts each edited tree, and each candidate
    /// parses again.
    #[test]
    fn every_shipped_statement_simplifies_safely() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../workloads");
        let workloads = crate::workload::load_all(&[dir]).unwrap();
        let mut statements = 0;
        for w in &workloads {
            // The captured ORM pack's catalog queries are long: one level of edits for the
            // shorter ones (all of them, twice, take minutes in a debug build).
            let twice = !w.id.starts_with("orm/");
            for step in w.setup.iter().chain(&w.steps) {
                if !twice && step.sql.len() > 600 {
                    continue;
                }
                statements += 1;
                for candidate in simplifications(&step.sql) {
                    assert!(pg_query::parse(&candidate, 0).is_ok(), "{candidate}");
                    for again in simplifications(&candidate).into_iter().filter(|_| twice) {
                        assert!(pg_query::parse(&again, 0).is_ok(), "{again}");
                    }
                }
            }
        }
        assert!(statements > 400, "{statements} statements");
    }

    #[test]
    fn nothing_for_what_cannot_be_simplified() {
        assert!(simplifications("SELECT 1").is_empty());
        assert!(simplifications("SELEC 1").is_empty());
        assert!(simplifications("SELECT 1; SELECT 2").is_empty());
    }
}
