//! The static class of a migration: its schema change (the schema model's diff between the
//! version before and after it), each change named and judged by kind alone, as linters do.
//! Pure.

use std::collections::BTreeMap;

use crate::model::{Change, Dialect, DriftKind, StaticClass};
use crate::schema::diff::{diff, Read};
use crate::schema::types::Equivalence;
use crate::schema::Schema;

const NONE: &str = "(none)";

/// Every schema change between `before` and `after` (one engine's), named.
pub fn changes(before: &Schema, after: &Schema, dialect: Dialect, table: &Equivalence) -> Vec<Change> {
    let drifts = diff(Read { schema: before, dialect }, Read { schema: after, dialect }, table);
    let mut out = Vec::new();
    let mut push = |breaking: bool, what: String| out.push(Change { breaking, what });
    // Renames show as a drop and an addition of the same shape: pair them.
    let dropped_tables: Vec<&String> =
        drifts.iter().filter(|d| d.kind == DriftKind::Table && d.candidate == NONE).map(|d| &d.object).collect();
    let added_tables: Vec<&String> =
        drifts.iter().filter(|d| d.kind == DriftKind::Table && d.reference == NONE).map(|d| &d.object).collect();
    let mut renamed_tables: BTreeMap<&String, &String> = BTreeMap::new();
    for old in &dropped_tables {
        let shape = |s: &Schema, t: &str| s.tables.get(t).map(|t| t.columns.clone());
        if let Some(new) = added_tables
            .iter()
            .find(|new| shape(after, new) == shape(before, old) && !renamed_tables.values().any(|n| n == *new))
        {
            renamed_tables.insert(old, new);
        }
    }
    let column_of = |s: &Schema, object: &str| {
        let (t, c) = object.split_once('.')?;
        s.tables.get(t)?.column(c).cloned()
    };
    let mut renamed_columns: BTreeMap<&String, &String> = BTreeMap::new();
    let dropped: Vec<&String> =
        drifts.iter().filter(|d| d.kind == DriftKind::Column && d.candidate == NONE).map(|d| &d.object).collect();
    let added: Vec<&String> =
        drifts.iter().filter(|d| d.kind == DriftKind::Column && d.reference == NONE).map(|d| &d.object).collect();
    // Only an unambiguous pair: in one table, one column gone and one come of the same type
    // and nullability.
    let shape = |s: &Schema, object: &str| {
        let c = column_of(s, object)?;
        Some((object.split('.').next().unwrap_or("").to_string(), c.declared, c.not_null))
    };
    for old in &dropped {
        let was = shape(before, old);
        let like = |list: &[&String], s: &Schema| list.iter().filter(|o| shape(s, o) == was).count();
        let came: Vec<&&String> = added.iter().filter(|a| shape(after, a) == was).collect();
        if let ([new], 1) = (came.as_slice(), like(&dropped, before)) {
            renamed_columns.insert(old, new);
        }
    }
    // A CHECK that holds a column to a list of values (SQLite's enum), made again with another
    // list: values allowed or no longer allowed, like an enum's.
    let mut lists: Vec<(&String, &str, &str)> = Vec::new();
    for old in drifts.iter().filter(|d| d.kind == DriftKind::Check && d.candidate == NONE) {
        let Some((column, _)) = in_list(&old.reference) else { continue };
        let new = drifts.iter().find(|d| {
            d.kind == DriftKind::Check
                && d.object == old.object
                && d.reference == NONE
                && in_list(&d.candidate).is_some_and(|(c, _)| c == column)
        });
        if let Some(new) = new {
            lists.push((&old.object, &old.reference, &new.candidate));
        }
    }
    for (table, before_v, after_v) in &lists {
        let ((column, b), (_, a)) = (in_list(before_v).expect("matched"), in_list(after_v).expect("matched"));
        let added: Vec<&str> = a.iter().filter(|v| !b.contains(v)).copied().collect();
        let removed: Vec<&str> = b.iter().filter(|v| !a.contains(v)).copied().collect();
        if !added.is_empty() {
            push(false, format!("value(s) {} now allowed in {table}.{column} (its CHECK's list)", added.join(", ")));
        }
        if !removed.is_empty() {
            push(
                true,
                format!("value(s) {} no longer allowed in {table}.{column} (its CHECK's list)", removed.join(", ")),
            );
        }
    }
    let listed = |d: &crate::model::Drift| {
        d.kind == DriftKind::Check
            && lists.iter().any(|(t, b, a)| **t == d.object && (d.reference == *b || d.candidate == *a))
    };
    for d in drifts.iter().filter(|d| !listed(d)) {
        let (before_v, after_v) = (d.reference.as_str(), d.candidate.as_str());
        let object = &d.object;
        match d.kind {
            DriftKind::Table if after_v == NONE => match renamed_tables.get(object) {
                Some(new) => push(true, format!("table {object} renamed to {new}")),
                None => push(true, format!("table {object} dropped")),
            },
            DriftKind::Table => {
                if !renamed_tables.values().any(|n| *n == object) {
                    push(false, format!("new table {object}"));
                }
            }
            DriftKind::Column if after_v == NONE => match renamed_columns.get(object) {
                Some(new) => push(true, format!("column {object} renamed to {new}")),
                None => push(true, format!("column {object} dropped")),
            },
            DriftKind::Column => {
                if renamed_columns.values().any(|n| *n == object) {
                    continue;
                }
                match column_of(after, object) {
                    Some(c) if c.not_null && c.default.is_none() => {
                        push(true, format!("new NOT NULL column {object} ({}) without a default", c.declared))
                    }
                    Some(c) if c.default.is_some() => {
                        push(false, format!("new column {object} ({}) with a default", c.declared))
                    }
                    _ => push(false, format!("new nullable column {object} ({after_v})")),
                }
            }
            DriftKind::ColumnType => push(true, format!("column {object} retyped: {before_v} → {after_v}")),
            DriftKind::Nullability if after_v == "NOT NULL" => push(true, format!("{object}: SET NOT NULL")),
            DriftKind::Nullability => push(false, format!("{object}: DROP NOT NULL")),
            DriftKind::Default if before_v == NONE => push(false, format!("{object}: default {after_v} added")),
            DriftKind::Default if after_v == NONE => push(true, format!("{object}: default {before_v} dropped")),
            DriftKind::Default => push(true, format!("{object}: default changed {before_v} → {after_v}")),
            DriftKind::PrimaryKey => push(true, format!("primary key of {object}: {before_v} → {after_v}")),
            DriftKind::Index => {
                let unique = after_v.starts_with("unique");
                match (before_v, after_v) {
                    (NONE, _) if unique => push(true, format!("new partial unique index {object}{after_v}")),
                    (NONE, _) => push(false, format!("new index {object}{after_v}")),
                    (_, NONE) if before_v.starts_with("unique") => {
                        push(true, format!("partial unique index {object}{before_v} dropped"))
                    }
                    (_, NONE) => push(false, format!("index {object}{before_v} dropped (results unchanged)")),
                    _ => push(unique, format!("index {object}: {before_v} → {after_v}")),
                }
            }
            DriftKind::Unique | DriftKind::Check | DriftKind::ForeignKey => {
                let what = d.kind.to_string();
                match (before_v, after_v) {
                    (NONE, _) => push(true, format!("new {what} on {object}: {after_v}")),
                    (_, NONE) => push(true, format!("{what} on {object} dropped: {before_v}")),
                    _ => push(true, format!("{what} on {object} changed: {before_v} → {after_v}")),
                }
            }
            DriftKind::View if after_v == NONE => push(true, format!("view {object} dropped")),
            DriftKind::View => push(false, format!("new view {object}")),
            DriftKind::Trigger if after_v == NONE => push(true, format!("trigger {object} dropped")),
            DriftKind::Trigger => push(true, format!("new trigger {object} (it changes what writes do)")),
            DriftKind::Enum => enum_change(object, before, after, &mut push),
            DriftKind::Enforcement => push(true, format!("{object}: {before_v} → {after_v}")),
        }
    }
    out
}

/// `priority IN ('low', 'high')` → (`priority`, [`low`, `high`]).
fn in_list(check: &str) -> Option<(&str, Vec<&str>)> {
    let (column, rest) = check.split_once(" IN (")?;
    let items = rest.strip_suffix(')')?;
    if column.contains(' ') || items.contains('(') {
        return None;
    }
    Some((column, items.split(", ").map(|v| v.trim_matches('\'')).collect()))
}

/// An enum's labels before and after: only new labels is additive.
fn enum_change(name: &str, before: &Schema, after: &Schema, push: &mut impl FnMut(bool, String)) {
    match (before.enums.get(name), after.enums.get(name)) {
        (None, Some(_)) => push(false, format!("new enum type {name}")),
        (Some(_), None) => push(true, format!("enum type {name} dropped")),
        (Some(b), Some(a)) => {
            let removed: Vec<&str> = b.iter().filter(|l| !a.contains(l)).map(String::as_str).collect();
            let added: Vec<&str> = a.iter().filter(|l| !b.contains(l)).map(String::as_str).collect();
            if !added.is_empty() {
                push(false, format!("new value(s) {} in enum {name}", added.join(", ")));
            }
            if !removed.is_empty() {
                push(true, format!("value(s) {} removed from enum {name}", removed.join(", ")));
            }
        }
        (None, None) => {}
    }
}

/// The class of a list of changes.
pub fn class(changes: &[Change]) -> StaticClass {
    if changes.is_empty() {
        StaticClass::NoSchemaChange
    } else if changes.iter().any(|c| c.breaking) {
        StaticClass::PotentiallyBreaking
    } else {
        StaticClass::Additive
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{ColumnDef, Index, Table};

    fn col(name: &str, declared: &str, not_null: bool, default: Option<&str>) -> ColumnDef {
        ColumnDef {
            name: name.into(),
            declared: declared.into(),
            not_null,
            default: default.map(str::to_string),
            max_length: None,
        }
    }

    fn table(columns: Vec<ColumnDef>) -> Table {
        Table { columns, primary_key: vec!["id".into()], ..Default::default() }
    }

    fn schema(tables: Vec<(&str, Table)>) -> Schema {
        Schema { tables: tables.into_iter().map(|(n, t)| (n.to_string(), t)).collect(), ..Default::default() }
    }

    fn whats(before: &Schema, after: &Schema) -> Vec<(bool, String)> {
        changes(before, after, Dialect::Postgres, &Equivalence::default())
            .into_iter()
            .map(|c| (c.breaking, c.what))
            .collect()
    }

    #[test]
    fn additions_older_code_can_ignore_are_additive() {
        let id = || col("id", "integer", true, None);
        let before = schema(vec![("users", table(vec![id()]))]);
        let mut users =
            table(vec![id(), col("note", "text", false, None), col("active", "boolean", true, Some("true"))]);
        users.indexes.insert(Index { columns: vec!["note".into()], unique: false, predicate: None });
        let mut after = schema(vec![("users", users), ("audit", table(vec![id()]))]);
        after.enums.insert("mood".into(), vec!["ok".into()]);
        let found = whats(&before, &after);
        assert!(found.iter().all(|(breaking, _)| !breaking), "{found:?}");
        let text: Vec<&str> = found.iter().map(|(_, w)| w.as_str()).collect();
        assert!(text.contains(&"new table audit"), "{text:?}");
        assert!(text.contains(&"new nullable column users.note (text)"), "{text:?}");
        assert!(text.contains(&"new column users.active (boolean) with a default"), "{text:?}");
        assert!(text.contains(&"new index users(note)"), "{text:?}");
        assert!(text.contains(&"new enum type mood"), "{text:?}");
        assert_eq!(class(&changes(&before, &after, Dialect::Postgres, &Equivalence::default())), StaticClass::Additive);
    }

    #[test]
    fn drops_renames_retypes_and_new_constraints_are_potentially_breaking() {
        let id = || col("id", "integer", true, None);
        let before = schema(vec![
            ("users", table(vec![id(), col("name", "text", false, None), col("age", "integer", false, None)])),
            ("old", table(vec![id()])),
        ]);
        let mut users = table(vec![
            id(),
            col("full_name", "text", false, None),
            col("age", "bigint", true, None),
            col("email", "text", true, None),
        ]);
        users.uniques.insert(vec!["email".into()]);
        users.checks.insert("age > 0".into());
        let after = schema(vec![("users", users), ("legacy", table(vec![id()]))]);
        let found = whats(&before, &after);
        let text: Vec<&str> = found.iter().map(|(_, w)| w.as_str()).collect();
        for expected in [
            "table old renamed to legacy",
            "column users.name renamed to users.full_name",
            "column users.age retyped: integer → bigint",
            "users.age: SET NOT NULL",
            "new NOT NULL column users.email (text) without a default",
            "new unique on users: (email)",
            "new check on users: age > 0",
        ] {
            assert!(text.contains(&expected), "{expected} not in {text:?}");
        }
        assert!(found.iter().all(|(breaking, _)| *breaking), "{found:?}");
    }

    #[test]
    fn a_check_list_made_again_is_read_as_values_allowed() {
        let t = |list: &str| {
            let mut t = table(vec![col("id", "INTEGER", true, None), col("p", "TEXT", true, None)]);
            t.checks.insert(format!("p IN ({list})"));
            schema(vec![("tasks", t)])
        };
        let (before, wider, narrower) = (t("'a', 'b'"), t("'a', 'b', 'c'"), t("'b'"));
        let widened = changes(&before, &wider, Dialect::Sqlite, &Equivalence::default());
        assert_eq!(
            widened,
            vec![Change { breaking: false, what: "value(s) c now allowed in tasks.p (its CHECK's list)".into() }]
        );
        let narrowed = changes(&before, &narrower, Dialect::Sqlite, &Equivalence::default());
        assert_eq!(
            narrowed,
            vec![Change { breaking: true, what: "value(s) a no longer allowed in tasks.p (its CHECK's list)".into() }]
        );
    }

    #[test]
    fn enum_values_added_and_removed() {
        let mut before = Schema::default();
        before.enums.insert("status".into(), vec!["new".into(), "paid".into()]);
        let mut added = before.clone();
        added.enums.insert("status".into(), vec!["new".into(), "paid".into(), "shipped".into()]);
        assert_eq!(whats(&before, &added), vec![(false, "new value(s) shipped in enum status".to_string())]);
        let mut removed = before.clone();
        removed.enums.insert("status".into(), vec!["new".into()]);
        assert_eq!(whats(&before, &removed), vec![(true, "value(s) paid removed from enum status".to_string())]);
        assert_eq!(class(&[]), StaticClass::NoSchemaChange);
    }
}
