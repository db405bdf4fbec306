//! Two schemas → their drifts: every object whose definition differs, with both sides' value.
//! Types compare through the equivalence table; a SQLite `CHECK (col IN (0, 1))` that makes an
//! INTEGER a boolean is part of that type, not a check of its own.

use super::types::{logical, Equivalence, Logical, Side};
use super::{Dialect, Schema, Table};
pub use crate::model::{Drift, DriftKind};

const NONE: &str = "(none)";

/// A schema with the engine it was read from.
#[derive(Debug, Clone, Copy)]
pub struct Read<'a> {
    pub schema: &'a Schema,
    pub dialect: Dialect,
}

/// Every drift between the reference's schema and the candidate's, in a stable order.
pub fn diff(reference: Read<'_>, candidate: Read<'_>, table: &Equivalence) -> Vec<Drift> {
    let mut out = Vec::new();
    let mut push = |object: String, kind: DriftKind, r: String, c: String| {
        out.push(Drift { object, kind, reference: r, candidate: c });
    };
    let (rs, cs) = (reference.schema, candidate.schema);
    for name in rs.tables.keys().chain(cs.tables.keys()).collect::<std::collections::BTreeSet<_>>() {
        match (rs.tables.get(name), cs.tables.get(name)) {
            (Some(r), Some(c)) => diff_table(name, Pair { r, c, reference, candidate }, table, &mut push),
            (r, c) => push(name.clone(), DriftKind::Table, present(r.is_some()), present(c.is_some())),
        }
    }
    for v in rs.views.symmetric_difference(&cs.views) {
        push(v.clone(), DriftKind::View, present(rs.views.contains(v)), present(cs.views.contains(v)));
    }
    for t in rs.triggers.symmetric_difference(&cs.triggers) {
        push(t.clone(), DriftKind::Trigger, present(rs.triggers.contains(t)), present(cs.triggers.contains(t)));
    }
    // Only PostgreSQL has enum types (SQLite spells them as text with a CHECK).
    if reference.dialect == Dialect::Postgres && candidate.dialect == Dialect::Postgres {
        for name in rs.enums.keys().chain(cs.enums.keys()).collect::<std::collections::BTreeSet<_>>() {
            let show = |labels: Option<&Vec<String>>| match labels {
                Some(l) => format!("({})", l.join(", ")),
                None => NONE.to_string(),
            };
            let (r, c) = (rs.enums.get(name), cs.enums.get(name));
            if r != c {
                push(name.clone(), DriftKind::Enum, show(r), show(c));
            }
        }
    }
    out
}

fn present(yes: bool) -> String {
    if yes { "present" } else { NONE }.to_string()
}

struct Pair<'a> {
    r: &'a Table,
    c: &'a Table,
    reference: Read<'a>,
    candidate: Read<'a>,
}

/// Columns whose SQLite table holds them to 0 and 1 with a CHECK, and those checks' text.
fn zero_one(t: &Table) -> Vec<(String, String)> {
    t.columns
        .iter()
        .filter_map(|c| {
            let check = super::expr::normalise(&format!("{} IN (0, 1)", c.name));
            t.checks.contains(&check).then(|| (c.name.clone(), check))
        })
        .collect()
}

/// The CHECK that holds a text column to `n` characters (SQLite's way to spell `varchar(n)`).
fn length_check(column: &str, n: u32) -> String {
    super::expr::normalise(&format!("length({column}) <= {n}"))
}

fn diff_table(name: &str, p: Pair<'_>, table: &Equivalence, push: &mut impl FnMut(String, DriftKind, String, String)) {
    let (r01, c01) = (zero_one(p.r), zero_one(p.c));
    let is01 = |list: &[(String, String)], col: &str| list.iter().any(|(c, _)| c == col);
    // Checks that only make a boolean of an INTEGER, where the other side's column is a boolean.
    let mut typing_checks: Vec<&str> = Vec::new();
    for rc in &p.r.columns {
        let object = format!("{name}.{}", rc.name);
        let Some(cc) = p.c.column(&rc.name) else {
            push(object, DriftKind::Column, rc.declared.clone(), NONE.into());
            continue;
        };
        let rside = Side { dialect: p.reference.dialect, declared: &rc.declared, zero_one: is01(&r01, &rc.name) };
        let cside = Side { dialect: p.candidate.dialect, declared: &cc.declared, zero_one: is01(&c01, &cc.name) };
        // A length one side declares in its type and the other in a CHECK is the same length.
        if let Some(n) = rc.max_length.or(cc.max_length) {
            for (t, other) in [(p.r, &cc), (p.c, &rc)] {
                let check = length_check(&rc.name, n);
                if t.checks.contains(&check) && other.max_length == Some(n) {
                    typing_checks.push(t.checks.get(&check).map(String::as_str).unwrap_or_default());
                }
            }
        }
        if !table.equivalent(rside, cside) {
            push(object.clone(), DriftKind::ColumnType, rc.declared.clone(), cc.declared.clone());
        } else {
            for (side, list, other) in [(&rside, &r01, &cside), (&cside, &c01, &rside)] {
                if side.zero_one && logical(other.dialect, other.declared) == Logical::Boolean {
                    if let Some((_, check)) = list.iter().find(|(c, _)| *c == rc.name) {
                        typing_checks.push(check);
                    }
                }
            }
        }
        if rc.not_null != cc.not_null {
            push(object.clone(), DriftKind::Nullability, nullability(rc.not_null), nullability(cc.not_null));
        }
        // A boolean default on an INTEGER that stands for a boolean: 1 is true, 0 is false.
        let as_boolean = |side: &Side<'_>, other: &Side<'_>, d: &Option<String>| match d.as_deref() {
            Some(v) if side.zero_one && logical(other.dialect, other.declared) == Logical::Boolean => Some(match v {
                "1" => "true".to_string(),
                "0" => "false".to_string(),
                v => v.to_string(),
            }),
            _ => d.clone(),
        };
        let (rd, cd) = (as_boolean(&rside, &cside, &rc.default), as_boolean(&cside, &rside, &cc.default));
        if rd != cd {
            let show = |d: &Option<String>| d.clone().unwrap_or_else(|| NONE.into());
            push(object, DriftKind::Default, show(&rc.default), show(&cc.default));
        }
    }
    for cc in p.c.columns.iter().filter(|c| p.r.column(&c.name).is_none()) {
        push(format!("{name}.{}", cc.name), DriftKind::Column, NONE.into(), cc.declared.clone());
    }
    if p.r.primary_key != p.c.primary_key {
        push(name.into(), DriftKind::PrimaryKey, list(&p.r.primary_key), list(&p.c.primary_key));
    }
    one_sided(name, DriftKind::Unique, &p.r.uniques, &p.c.uniques, |u| format!("({})", u.join(", ")), push);
    let fk_key = |f: &crate::schema::ForeignKey| (f.columns.clone(), f.references.clone(), f.referenced.clone());
    paired(name, DriftKind::ForeignKey, &p.r.foreign_keys, &p.c.foreign_keys, fk_key, |f| f.to_string(), push);
    let keep = |checks: &std::collections::BTreeSet<String>| -> std::collections::BTreeSet<String> {
        checks.iter().filter(|c| !typing_checks.contains(&c.as_str())).cloned().collect()
    };
    one_sided(name, DriftKind::Check, &keep(&p.r.checks), &keep(&p.c.checks), |c| c.clone(), push);
    paired(name, DriftKind::Index, &p.r.indexes, &p.c.indexes, |i| i.columns.clone(), |i| i.to_string(), push);
}

fn nullability(not_null: bool) -> String {
    if not_null { "NOT NULL" } else { "nullable" }.to_string()
}

fn list(columns: &[String]) -> String {
    if columns.is_empty() {
        NONE.into()
    } else {
        format!("({})", columns.join(", "))
    }
}

/// Elements of one set missing from the other, as drifts; where both sides have an element
/// with the same key (a foreign key's columns and target, an index's columns) but otherwise
/// different, one drift shows both.
fn paired<T: Ord, K: PartialEq>(
    name: &str,
    kind: DriftKind,
    r: &std::collections::BTreeSet<T>,
    c: &std::collections::BTreeSet<T>,
    key: impl Fn(&T) -> K,
    show: impl Fn(&T) -> String,
    push: &mut impl FnMut(String, DriftKind, String, String),
) {
    let (only_r, only_c): (Vec<&T>, Vec<&T>) = (r.difference(c).collect(), c.difference(r).collect());
    let mut matched = vec![false; only_c.len()];
    for a in &only_r {
        match only_c.iter().enumerate().find(|(i, b)| !matched[*i] && key(a) == key(b)) {
            Some((i, b)) => {
                matched[i] = true;
                push(name.into(), kind, show(a), show(b));
            }
            None => push(name.into(), kind, show(a), NONE.into()),
        }
    }
    for (b, _) in only_c.iter().zip(&matched).filter(|(_, m)| !**m) {
        push(name.into(), kind, NONE.into(), show(b));
    }
}

/// Each element of one set missing from the other, as a drift.
fn one_sided<T: Ord>(
    name: &str,
    kind: DriftKind,
    r: &std::collections::BTreeSet<T>,
    c: &std::collections::BTreeSet<T>,
    show: impl Fn(&T) -> String,
    push: &mut impl FnMut(String, DriftKind, String, String),
) {
    for only in r.difference(c) {
        push(name.into(), kind, show(only), NONE.into());
    }
    for only in c.difference(r) {
        push(name.into(), kind, NONE.into(), show(only));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{ColumnDef, ForeignKey};

    fn col(name: &str, declared: &str, not_null: bool) -> ColumnDef {
        ColumnDef { name: name.into(), declared: declared.into(), not_null, default: None, max_length: None }
    }

    fn schema(t: Table) -> Schema {
        let mut s = Schema::default();
        s.tables.insert("users".into(), t);
        s
    }

    fn pg_users() -> Table {
        let mut t = Table {
            columns: vec![
                col("id", "integer", true),
                col("name", "character varying(40)", true),
                col("active", "boolean", true),
            ],
            primary_key: vec!["id".into()],
            ..Table::default()
        };
        t.columns[2].default = Some("true".into());
        t.uniques.insert(vec!["name".into()]);
        t
    }

    fn sqlite_users() -> Table {
        let mut t = Table {
            columns: vec![col("id", "INTEGER", true), col("name", "TEXT", true), col("active", "INTEGER", true)],
            primary_key: vec!["id".into()],
            ..Table::default()
        };
        t.columns[2].default = Some("true".into());
        t.uniques.insert(vec!["name".into()]);
        t.checks.insert(crate::schema::expr::normalise("active IN (0,1)"));
        t
    }

    fn drifts(r: &Schema, rd: Dialect, c: &Schema, cd: Dialect) -> Vec<Drift> {
        diff(Read { schema: r, dialect: rd }, Read { schema: c, dialect: cd }, &Equivalence::default())
    }

    #[test]
    fn an_equivalent_schema_on_the_other_engine_has_no_drift() {
        let (pg, lite) = (schema(pg_users()), schema(sqlite_users()));
        assert_eq!(drifts(&pg, Dialect::Postgres, &lite, Dialect::Sqlite), vec![]);
        assert_eq!(drifts(&lite, Dialect::Sqlite, &pg, Dialect::Postgres), vec![]);
        assert_eq!(drifts(&pg, Dialect::Postgres, &pg, Dialect::Postgres), vec![]);
    }

    #[test]
    fn each_kind_of_drift_names_the_object_and_both_values() {
        let pg = schema(pg_users());
        let mut t = sqlite_users();
        t.columns[1].not_null = false;
        t.columns[0].declared = "TEXT".into();
        t.columns.push(col("email", "TEXT", false));
        t.uniques.clear();
        t.checks.clear();
        t.foreign_keys.insert(ForeignKey {
            columns: vec!["id".into()],
            references: "accounts".into(),
            referenced: vec!["id".into()],
            on_delete: crate::schema::Action::Cascade,
            on_update: crate::schema::Action::NoAction,
        });
        let lite = schema(t);
        let found: Vec<(String, DriftKind, String, String)> = drifts(&pg, Dialect::Postgres, &lite, Dialect::Sqlite)
            .into_iter()
            .map(|d| (d.object, d.kind, d.reference, d.candidate))
            .collect();
        let expect = |o: &str, k: DriftKind, r: &str, c: &str| (o.to_string(), k, r.to_string(), c.to_string());
        assert_eq!(
            found,
            vec![
                expect("users.id", DriftKind::ColumnType, "integer", "TEXT"),
                expect("users.name", DriftKind::Nullability, "NOT NULL", "nullable"),
                // Without its 0/1 CHECK, an INTEGER is no boolean.
                expect("users.active", DriftKind::ColumnType, "boolean", "INTEGER"),
                expect("users.email", DriftKind::Column, "(none)", "TEXT"),
                expect("users", DriftKind::Unique, "(name)", "(none)"),
                expect(
                    "users",
                    DriftKind::ForeignKey,
                    "(none)",
                    "(id) → accounts(id) ON DELETE CASCADE ON UPDATE NO ACTION"
                ),
            ]
        );
    }

    #[test]
    fn a_table_view_or_trigger_on_one_side_only() {
        let mut pg = schema(pg_users());
        pg.views.insert("active_users".into());
        let mut lite = Schema::default();
        lite.triggers.insert("users.touch".into());
        let kinds: Vec<(String, DriftKind)> =
            drifts(&pg, Dialect::Postgres, &lite, Dialect::Sqlite).into_iter().map(|d| (d.object, d.kind)).collect();
        assert_eq!(
            kinds,
            vec![
                ("users".into(), DriftKind::Table),
                ("active_users".into(), DriftKind::View),
                ("users.touch".into(), DriftKind::Trigger)
            ]
        );
    }
}
