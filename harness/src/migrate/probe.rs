//! Behaviour probes: a schema that reads the same on both sides may still behave differently
//! (SQLite ignores a declared length, and foreign keys unless a pragma turns them on). For every
//! constraint of a table, a statement that must be rejected — a NULL, a duplicate, a dangling
//! reference, a value outside the CHECK, an over-long value — and a row that must be accepted;
//! for ON DELETE CASCADE, a parent deleted and its children counted. Generated from the schema
//! alone, in SQL both engines read (string literals their input functions take, parents found
//! with subqueries). Pure: running them is the caller's.

use std::collections::BTreeSet;

use super::super::schema::types::{logical, Logical};
use super::super::schema::{Action, ColumnDef, Dialect, Schema, Table};

/// What a probe expects of a correct side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// The statement succeeds.
    Accepted,
    /// The statement fails (the constraint holds).
    Rejected,
    /// After the statement, `count` returns 0 (the children went with their parent).
    NoneLeft,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub table: String,
    /// What is probed, as a person reads it: `NOT NULL users.email`, `unique (email)`.
    pub constraint: String,
    /// Statements that must succeed first (parent rows, the first of two duplicates).
    pub setup: Vec<String>,
    pub statement: String,
    pub expect: Expect,
    /// For `NoneLeft`: the query whose single value must be 0.
    pub count: Option<String>,
}

/// Probes for the constraints of `tables` (by name) in `schema`, as read on `dialect`.
pub fn probes(schema: &Schema, dialect: Dialect, tables: &BTreeSet<String>) -> Vec<Probe> {
    let mut out = Vec::new();
    for name in tables {
        let Some(t) = schema.tables.get(name) else { continue };
        let Some(base) = Row::build(schema, dialect, name, &mut Vec::new()) else { continue };
        let insert = |row: &Row| row.insert(name);
        let probe = |constraint: String, setup: Vec<String>, statement: String, expect: Expect| Probe {
            table: name.clone(),
            constraint,
            setup,
            statement,
            expect,
            count: None,
        };
        out.push(probe(format!("a valid row of {name}"), base.parents.clone(), insert(&base), Expect::Accepted));
        for c in t.columns.iter().filter(|c| c.not_null && base.has(&c.name)) {
            let row = base.with(&c.name, "NULL");
            out.push(probe(
                format!("NOT NULL {name}.{}", c.name),
                base.parents.clone(),
                insert(&row),
                Expect::Rejected,
            ));
        }
        let keys = std::iter::once(&t.primary_key).filter(|k| !k.is_empty()).chain(&t.uniques);
        for key in keys {
            // A key with a generated column cannot be duplicated by inserting the same row.
            if !key.iter().all(|k| base.has(k)) {
                continue;
            }
            let what = if *key == t.primary_key { "primary key" } else { "unique" };
            let mut setup = base.parents.clone();
            setup.push(insert(&base));
            let constraint = format!("{what} {name} ({})", key.join(", "));
            out.push(probe(constraint, setup, insert(&base), Expect::Rejected));
        }
        for fk in &t.foreign_keys {
            let [column] = fk.columns.as_slice() else { continue };
            if !base.has(column) {
                continue;
            }
            let row = base.with(column, &literal(t.column(column), dialect, 987_654_321));
            let constraint = format!("foreign key {name} ({column}) → {}", fk.references);
            out.push(probe(constraint.clone(), base.parents.clone(), insert(&row), Expect::Rejected));
            if fk.on_delete == Action::Cascade && fk.references != *name {
                let mut setup = base.parents.clone();
                setup.push(insert(&base));
                out.push(Probe {
                    table: name.clone(),
                    constraint: format!("ON DELETE CASCADE {name} ({column}) → {}", fk.references),
                    setup,
                    statement: format!("DELETE FROM {}", fk.references),
                    expect: Expect::NoneLeft,
                    count: Some(format!("SELECT count(*) FROM {name}")),
                });
            }
        }
        for check in &t.checks {
            for c in &t.columns {
                let Some(bad) = violating(check, &c.name) else { continue };
                if !base.has(&c.name) && c.default.is_none() {
                    continue;
                }
                let row = base.with(&c.name, &bad);
                let constraint = format!("check {name}: {check}");
                out.push(probe(constraint, base.parents.clone(), insert(&row), Expect::Rejected));
                break;
            }
        }
        for c in t.columns.iter().filter(|c| base.has(&c.name)) {
            let Some(n) = c.max_length else { continue };
            let row = base.with(&c.name, &format!("'{}'", "x".repeat(n as usize + 1)));
            let constraint = format!("length {name}.{} ≤ {n}", c.name);
            out.push(probe(constraint, base.parents.clone(), insert(&row), Expect::Rejected));
        }
    }
    out
}

/// A row that satisfies the table's constraints: its columns and values, and the statements
/// that insert the parents its foreign keys need.
#[derive(Debug, Clone)]
struct Row {
    values: Vec<(String, String)>,
    parents: Vec<String>,
}

impl Row {
    fn build(schema: &Schema, dialect: Dialect, name: &str, path: &mut Vec<String>) -> Option<Row> {
        if path.iter().any(|p| p == name) || path.len() > 4 {
            return None;
        }
        path.push(name.to_string());
        let t = schema.tables.get(name)?;
        let mut row = Row { values: Vec::new(), parents: Vec::new() };
        for (i, c) in t.columns.iter().enumerate() {
            if c.default.as_deref() == Some("(sequence)") {
                continue;
            }
            let fk = t.foreign_keys.iter().find(|f| f.columns == [c.name.clone()]);
            let value = match fk {
                Some(fk) if fk.references != name => {
                    let parent = Row::build(schema, dialect, &fk.references, path)?;
                    row.parents.extend(parent.parents.iter().cloned());
                    row.parents.push(parent.insert(&fk.references));
                    let key = fk.referenced.first()?;
                    format!("(SELECT max({key}) FROM {})", fk.references)
                }
                // A self-reference (or a column with a default) may stay NULL or default.
                Some(_) => continue,
                None if !c.not_null && !in_key(t, &c.name) => continue,
                None if c.default.is_some() && !in_key(t, &c.name) => continue,
                None => fitting(t, c, dialect, 1000 + i)?,
            };
            row.values.push((c.name.clone(), value));
        }
        path.pop();
        Some(row)
    }

    fn has(&self, column: &str) -> bool {
        self.values.iter().any(|(c, _)| c == column)
    }

    /// The same row with `column` set to `value` (added when the row leaves it out).
    fn with(&self, column: &str, value: &str) -> Row {
        let mut row = self.clone();
        match row.values.iter_mut().find(|(c, _)| c == column) {
            Some(v) => v.1 = value.to_string(),
            None => row.values.push((column.to_string(), value.to_string())),
        }
        row
    }

    fn insert(&self, table: &str) -> String {
        if self.values.is_empty() {
            return format!("INSERT INTO {table} DEFAULT VALUES");
        }
        let (cols, vals): (Vec<&str>, Vec<&str>) = self.values.iter().map(|(c, v)| (c.as_str(), v.as_str())).unzip();
        format!("INSERT INTO {table} ({}) VALUES ({})", cols.join(", "), vals.join(", "))
    }
}

fn in_key(t: &Table, column: &str) -> bool {
    t.primary_key.iter().any(|k| k == column) || t.uniques.iter().any(|u| u.iter().any(|k| k == column))
}

/// A value for `c` that its table's checks accept, where they say how (`IN (…)`, a bound).
fn fitting(t: &Table, c: &ColumnDef, dialect: Dialect, n: usize) -> Option<String> {
    for check in &t.checks {
        if let Some(v) = satisfying(check, &c.name) {
            return Some(v);
        }
    }
    Some(literal(Some(c), dialect, n))
}

/// A literal of the column's type that both engines' input functions read.
fn literal(c: Option<&ColumnDef>, dialect: Dialect, n: usize) -> String {
    let Some(c) = c else { return n.to_string() };
    let text = |s: String| match c.max_length {
        Some(max) => s.chars().take(max as usize).collect::<String>(),
        None => s,
    };
    match logical(dialect, &c.declared) {
        Logical::Integer | Logical::Real | Logical::Numeric | Logical::Other(_) => format!("'{n}'"),
        Logical::Boolean => "'1'".into(),
        Logical::Bytes => "'\\x01'".into(),
        Logical::Timestamp | Logical::TimestampTz => "'2024-01-02 10:00:00'".into(),
        Logical::Date => "'2024-01-02'".into(),
        Logical::Time => "'10:00:00'".into(),
        Logical::Json => "'{}'".into(),
        Logical::Uuid => format!("'00000000-0000-0000-0000-{n:012}'"),
        Logical::Text => format!("'{}'", text(format!("p{n}"))),
    }
}

/// What a normalised check says about `column`: `(operator, operand)` pairs it compares it
/// with (`column IN (a, b)` → `IN`, `a`).
fn comparisons<'a>(check: &'a str, column: &str) -> Vec<(&'a str, &'a str)> {
    let mut out = Vec::new();
    for part in check.split(" AND ") {
        let part = part.trim().trim_start_matches('(').trim_end_matches(')');
        let Some(rest) = part.strip_prefix(column).and_then(|r| r.strip_prefix(' ')) else { continue };
        let (op, operand) = rest.split_once(' ').unwrap_or((rest, ""));
        out.push((op, operand.trim()));
    }
    out
}

/// A value the check accepts.
fn satisfying(check: &str, column: &str) -> Option<String> {
    let mut low: Option<f64> = None;
    for (op, operand) in comparisons(check, column) {
        match op {
            "IN" => {
                return operand
                    .trim_start_matches('(')
                    .split(',')
                    .next()
                    .map(|v| v.trim().trim_end_matches(')').to_string())
            }
            ">=" => low = operand.parse().ok(),
            ">" => low = operand.parse::<f64>().ok().map(|v| v + 1.0),
            "=" => return Some(operand.to_string()),
            _ => {}
        }
    }
    low.map(|v| format!("'{}'", v as i64))
}

/// A value the check rejects.
fn violating(check: &str, column: &str) -> Option<String> {
    for (op, operand) in comparisons(check, column) {
        let number = operand.parse::<f64>().ok();
        let bad = match (op, number) {
            ("IN", _) if operand.contains('\'') => Some("'(not listed)'".to_string()),
            ("IN", _) => Some("'-987654'".to_string()),
            (">=", Some(v)) => Some(format!("'{}'", v as i64 - 1)),
            (">", Some(v)) | ("<", Some(v)) => Some(format!("'{}'", v as i64)),
            ("<=", Some(v)) => Some(format!("'{}'", v as i64 + 1)),
            _ => None,
        };
        if bad.is_some() {
            return bad;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{ColumnDef, ForeignKey};

    fn col(name: &str, declared: &str, not_null: bool, default: Option<&str>) -> ColumnDef {
        ColumnDef {
            name: name.into(),
            declared: declared.into(),
            not_null,
            default: default.map(str::to_string),
            max_length: crate::schema::types::max_length(declared),
        }
    }

    fn shop() -> Schema {
        let mut s = Schema::default();
        s.tables.insert(
            "customers".into(),
            Table {
                columns: vec![
                    col("id", "bigint", true, Some("(sequence)")),
                    col("email", "character varying(20)", true, None),
                ],
                primary_key: vec!["id".into()],
                uniques: [vec!["email".to_string()]].into(),
                ..Table::default()
            },
        );
        let mut orders = Table {
            columns: vec![
                col("id", "bigint", true, Some("(sequence)")),
                col("customer_id", "bigint", true, None),
                col("status", "text", true, None),
                col("qty", "integer", true, None),
            ],
            primary_key: vec!["id".into()],
            ..Table::default()
        };
        orders.foreign_keys.insert(ForeignKey {
            columns: vec!["customer_id".into()],
            references: "customers".into(),
            referenced: vec!["id".into()],
            on_delete: Action::Cascade,
            on_update: Action::NoAction,
        });
        orders.checks.insert("status IN ('open', 'paid')".into());
        orders.checks.insert("qty > 0".into());
        s.tables.insert("orders".into(), orders);
        s
    }

    fn find<'a>(all: &'a [Probe], constraint: &str) -> &'a Probe {
        all.iter().find(|p| p.constraint == constraint).unwrap_or_else(|| panic!("no {constraint}: {all:#?}"))
    }

    #[test]
    fn every_constraint_gets_a_statement_that_must_fail_and_a_row_that_must_pass() {
        let s = shop();
        let all = probes(&s, Dialect::Postgres, &["orders".to_string(), "customers".to_string()].into());
        let valid = find(&all, "a valid row of orders");
        assert_eq!(valid.setup, ["INSERT INTO customers (email) VALUES ('p1001')"]);
        assert_eq!(
            valid.statement,
            "INSERT INTO orders (customer_id, status, qty) VALUES ((SELECT max(id) FROM customers), 'open', '1')"
        );
        assert_eq!(valid.expect, Expect::Accepted);
        assert!(find(&all, "NOT NULL orders.status").statement.contains("NULL, '1')"));
        assert!(find(&all, "foreign key orders (customer_id) → customers").statement.contains("'987654321'"));
        let check = find(&all, "check orders: status IN ('open', 'paid')");
        assert!(check.statement.contains("'(not listed)'"), "{check:?}");
        assert!(find(&all, "check orders: qty > 0").statement.ends_with("'open', '0')"));
        let unique = find(&all, "unique customers (email)");
        assert_eq!((unique.setup.len(), unique.expect), (1, Expect::Rejected));
        assert!(find(&all, "length customers.email ≤ 20").statement.contains(&"x".repeat(21)));
        let cascade = find(&all, "ON DELETE CASCADE orders (customer_id) → customers");
        assert_eq!(cascade.statement, "DELETE FROM customers");
        assert_eq!(cascade.count.as_deref(), Some("SELECT count(*) FROM orders"));
        // The primary key comes from a sequence: not probed by duplicating a row.
        assert!(all.iter().all(|p| !p.constraint.starts_with("primary key")));
    }
}
