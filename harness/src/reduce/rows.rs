//! The rows of a multi-row `INSERT … VALUES`, read and rewritten through PostgreSQL's own
//! parser and deparser (`pg_query`), so a reduction can keep only the rows that matter.

use pg_query::NodeEnum;

fn values_lists(parsed: &mut pg_query::protobuf::ParseResult) -> Option<&mut Vec<pg_query::protobuf::Node>> {
    if parsed.stmts.len() != 1 {
        return None;
    }
    let Some(NodeEnum::InsertStmt(insert)) = parsed.stmts[0].stmt.as_mut()?.node.as_mut() else { return None };
    let Some(NodeEnum::SelectStmt(select)) = insert.select_stmt.as_mut()?.node.as_mut() else { return None };
    (!select.values_lists.is_empty()).then_some(&mut select.values_lists)
}

/// How many rows a `INSERT … VALUES (…), (…)` statement inserts; `None` for anything else.
pub fn insert_rows(sql: &str) -> Option<usize> {
    let mut parsed = pg_query::parse(sql, 0).ok()?.protobuf;
    values_lists(&mut parsed).map(|rows| rows.len())
}

/// The same statement with only the rows at `keep` (indices, in order); `None` when nothing
/// would be left or the statement is not such an INSERT.
pub fn with_rows(sql: &str, keep: &[usize]) -> Option<String> {
    if keep.is_empty() {
        return None;
    }
    let mut parsed = pg_query::parse(sql, 0).ok()?.protobuf;
    let rows = values_lists(&mut parsed)?;
    let kept: Vec<_> = keep.iter().filter_map(|&i| rows.get(i).cloned()).collect();
    *rows = kept;
    pg_query::deparse(&parsed, Default::default()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_keeps_rows() {
        let sql = "INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'it''s'), (3, NULL) RETURNING a";
        assert_eq!(insert_rows(sql), Some(3));
        let kept = with_rows(sql, &[1]).unwrap();
        assert_eq!(kept, "INSERT INTO t (a, b) VALUES (2, 'it''s') RETURNING a");
        assert_eq!(insert_rows(&kept), Some(1));
        assert_eq!(with_rows(sql, &[]), None);
    }

    #[test]
    fn other_statements_have_no_rows_to_reduce() {
        assert_eq!(insert_rows("INSERT INTO t SELECT * FROM u"), None);
        assert_eq!(insert_rows("SELECT 1"), None);
        assert_eq!(insert_rows("SELEC 1"), None);
    }
}
