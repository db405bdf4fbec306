//! Lists inside one statement that a reduction can shorten item by item: the rows of a
//! multi-row `INSERT … VALUES` and the columns of a `SELECT` list. Read and rewritten through
//! PostgreSQL's own parser and deparser (`pg_query`).

use pg_query::protobuf::{Node, ParseResult};
use pg_query::NodeEnum;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    /// The rows of `INSERT … VALUES (…), (…)`.
    InsertRows,
    /// The result columns of a plain `SELECT a, b, …` (not a set operation, not VALUES).
    SelectColumns,
}

impl std::fmt::Display for List {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            List::InsertRows => "rows",
            List::SelectColumns => "columns",
        })
    }
}

fn items(parsed: &mut ParseResult, list: List) -> Option<&mut Vec<Node>> {
    if parsed.stmts.len() != 1 {
        return None;
    }
    let node = parsed.stmts[0].stmt.as_mut()?.node.as_mut()?;
    let items = match (list, node) {
        (List::InsertRows, NodeEnum::InsertStmt(insert)) => {
            let Some(NodeEnum::SelectStmt(select)) = insert.select_stmt.as_mut()?.node.as_mut() else { return None };
            &mut select.values_lists
        }
        (List::SelectColumns, NodeEnum::SelectStmt(select)) if select.larg.is_none() => &mut select.target_list,
        _ => return None,
    };
    (!items.is_empty()).then_some(items)
}

/// How many items the statement has in that list; `None` when it has no such list.
pub fn len(sql: &str, list: List) -> Option<usize> {
    let mut parsed = pg_query::parse(sql, 0).ok()?.protobuf;
    items(&mut parsed, list).map(|items| items.len())
}

/// The same statement with only the items at `keep` (indices, in order); `None` when nothing
/// would be left or the statement has no such list.
pub fn keep(sql: &str, list: List, keep: &[usize]) -> Option<String> {
    if keep.is_empty() {
        return None;
    }
    let mut parsed = pg_query::parse(sql, 0).ok()?.protobuf;
    let items = items(&mut parsed, list)?;
    let kept: Vec<_> = keep.iter().filter_map(|&i| items.get(i).cloned()).collect();
    *items = kept;
    pg_query::deparse(&parsed, Default::default()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_keeps_rows() {
        let sql = "INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'it''s'), (3, NULL) RETURNING a";
        assert_eq!(len(sql, List::InsertRows), Some(3));
        let kept = keep(sql, List::InsertRows, &[1]).unwrap();
        assert_eq!(kept, "INSERT INTO t (a, b) VALUES (2, 'it''s') RETURNING a");
        assert_eq!(len(&kept, List::InsertRows), Some(1));
        assert_eq!(keep(sql, List::InsertRows, &[]), None);
    }

    #[test]
    fn counts_and_keeps_select_columns() {
        let sql = "SELECT a, upper(b) AS u, 0x1F FROM t WHERE a > 1";
        assert_eq!(len(sql, List::SelectColumns), Some(3));
        assert_eq!(keep(sql, List::SelectColumns, &[1]).unwrap(), "SELECT upper(b) AS u FROM t WHERE a > 1");
        assert_eq!(len("SELECT 1 UNION SELECT 2", List::SelectColumns), None, "a set operation's columns are tied");
        assert_eq!(len("INSERT INTO t VALUES (1)", List::SelectColumns), None);
    }

    #[test]
    fn other_statements_have_no_lists_to_reduce() {
        assert_eq!(len("INSERT INTO t SELECT * FROM u", List::InsertRows), None);
        assert_eq!(len("SELECT 1", List::InsertRows), None);
        assert_eq!(len("SELEC 1", List::InsertRows), None);
        assert_eq!(len("SELECT 1; SELECT 2", List::SelectColumns), None);
    }
}
