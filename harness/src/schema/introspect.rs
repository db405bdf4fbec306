//! Reading a schema back from the engine itself: the queries (PostgreSQL's catalog; SQLite's
//! `sqlite_schema` and its table-valued pragmas), and their rows → a `Schema`. The queries run
//! wherever the caller runs statements; this module only says what to ask and reads the rows.
//! Names are lowercased (PostgreSQL folds unquoted names, SQLite compares them without case).

use std::collections::BTreeMap;

use super::types::{logical, max_length};
use super::{expr, Action, ColumnDef, Dialect, ForeignKey, Index, Schema, Table};

/// A result row in text form (`None`: NULL).
pub type Row = Vec<Option<String>>;

/// The queries, in the order `build` expects their rows.
pub fn queries(dialect: Dialect) -> &'static [&'static str] {
    match dialect {
        Dialect::Postgres => PG,
        Dialect::Sqlite => SQLITE,
    }
}

const PG: &[&str] = &[
    // 0: columns of every user table in the current schema.
    "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull::text, \
       pg_get_expr(d.adbin, d.adrelid), a.attidentity::text \
     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
     JOIN pg_namespace n ON n.oid = c.relnamespace \
     LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
     WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema() AND a.attnum > 0 AND NOT a.attisdropped \
     ORDER BY c.relname, a.attnum",
    // 1: primary keys, unique, foreign key and check constraints (not PostgreSQL 18's NOT NULL ones).
    "SELECT c.relname, con.contype::text, \
       array_to_json(ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, i) \
         JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i))::text, \
       f.relname, \
       array_to_json(ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(n, i) \
         JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i))::text, \
       con.confdeltype::text, con.confupdtype::text, pg_get_constraintdef(con.oid) \
     FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid \
     JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_class f ON f.oid = con.confrelid \
     WHERE n.nspname = current_schema() AND con.contype IN ('p', 'u', 'f', 'c') \
     ORDER BY c.relname, con.conname",
    // 2: indexes that no constraint made: key columns (or expressions), uniqueness, predicate.
    "SELECT t.relname, ix.indisunique::text, \
       array_to_json(ARRAY(SELECT pg_get_indexdef(ix.indexrelid, k, true) \
         FROM generate_series(1, ix.indnkeyatts) k))::text, \
       pg_get_expr(ix.indpred, ix.indrelid) \
     FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid \
     JOIN pg_namespace n ON n.oid = t.relnamespace \
     WHERE n.nspname = current_schema() \
       AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = ix.indexrelid AND con.contype IN ('p', 'u', 'x')) \
     ORDER BY t.relname, i.relname",
    // 3: views and materialized views.
    "SELECT viewname FROM pg_views WHERE schemaname = current_schema() \
     UNION ALL SELECT matviewname FROM pg_matviews WHERE schemaname = current_schema()",
    // 4: triggers a user made.
    "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
     JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT t.tgisinternal AND n.nspname = current_schema()",
    // 5: enum types and their labels in order.
    "SELECT t.typname, array_to_json(ARRAY(SELECT e.enumlabel FROM pg_enum e WHERE e.enumtypid = t.oid \
       ORDER BY e.enumsortorder))::text FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
     WHERE t.typtype = 'e' AND n.nspname = current_schema() ORDER BY t.typname",
];

const SQLITE: &[&str] = &[
    // 0: columns of every table.
    "SELECT m.name, p.name, p.type, p.\"notnull\", p.dflt_value, p.pk FROM sqlite_schema m \
     JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
     ORDER BY m.name, p.cid",
    // 1: foreign keys, one row per column.
    "SELECT m.name, f.id, f.seq, f.\"table\", f.\"from\", f.\"to\", f.on_delete, f.on_update FROM sqlite_schema m \
     JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table' ORDER BY m.name, f.id, f.seq",
    // 2: indexes (what made them: c = CREATE INDEX, u = UNIQUE, pk = PRIMARY KEY), one row per column.
    "SELECT m.name, l.name, l.\"unique\", l.origin, l.partial, i.seqno, i.name FROM sqlite_schema m \
     JOIN pragma_index_list(m.name) l JOIN pragma_index_info(l.name) i \
     WHERE m.type = 'table' ORDER BY m.name, l.name, i.seqno",
    // 3: every object with its SQL: tables (their CHECKs), views, triggers, index predicates.
    "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
];

fn cell(row: &Row, i: usize) -> Option<&str> {
    row.get(i).and_then(|v| v.as_deref())
}

fn text(row: &Row, i: usize) -> String {
    cell(row, i).unwrap_or("").to_string()
}

fn name(row: &Row, i: usize) -> String {
    text(row, i).to_lowercase()
}

fn json_names(row: &Row, i: usize) -> Vec<String> {
    let list: Vec<String> = serde_json::from_str(cell(row, i).unwrap_or("[]")).unwrap_or_default();
    list.into_iter().map(|s| s.to_lowercase()).collect()
}

/// Rows of `queries(dialect)`, in order → the schema.
pub fn build(dialect: Dialect, results: &[Vec<Row>]) -> Schema {
    match dialect {
        Dialect::Postgres => build_pg(results),
        Dialect::Sqlite => build_sqlite(results),
    }
}

fn column(dialect: Dialect, name: String, declared: String, not_null: bool, default: Option<&str>) -> ColumnDef {
    let default = expr::normalise_default(default, &logical(dialect, &declared));
    ColumnDef { max_length: max_length(&declared), name, declared, not_null, default }
}

fn build_pg(results: &[Vec<Row>]) -> Schema {
    let empty = Vec::new();
    let rows = |i: usize| results.get(i).unwrap_or(&empty);
    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    for r in rows(0) {
        let identity = cell(r, 5).is_some_and(|v| !v.is_empty());
        let mut c = column(Dialect::Postgres, name(r, 1), text(r, 2), text(r, 3) == "true", cell(r, 4));
        if identity {
            c.default = Some("(sequence)".into());
        }
        tables.entry(name(r, 0)).or_default().columns.push(c);
    }
    for r in rows(1) {
        let Some(t) = tables.get_mut(&name(r, 0)) else { continue };
        let columns = json_names(r, 2);
        match text(r, 1).as_str() {
            "p" => t.primary_key = columns,
            "u" => {
                t.uniques.insert(columns);
            }
            "f" => {
                t.foreign_keys.insert(ForeignKey {
                    columns,
                    references: name(r, 3),
                    referenced: json_names(r, 4),
                    on_delete: Action::parse(&text(r, 5)),
                    on_update: Action::parse(&text(r, 6)),
                });
            }
            "c" => {
                t.checks.insert(expr::normalise(&text(r, 7)));
            }
            _ => {}
        }
    }
    for r in rows(2) {
        let Some(t) = tables.get_mut(&name(r, 0)) else { continue };
        let columns = json_names(r, 2);
        let unique = text(r, 1) == "true";
        let predicate = cell(r, 3).map(expr::normalise);
        if unique && predicate.is_none() {
            t.uniques.insert(columns);
        } else {
            t.indexes.insert(Index { columns, unique, predicate });
        }
    }
    let views = rows(3).iter().map(|r| name(r, 0)).collect();
    let triggers = rows(4).iter().map(|r| format!("{}.{}", name(r, 0), name(r, 1))).collect();
    let enums = rows(5).iter().map(|r| (name(r, 0), json_names(r, 1))).collect();
    Schema { tables, views, triggers, enums }
}

/// An index as SQLite's pragmas describe it: what made it (`c`, `u`, `pk`) and its columns.
struct SqliteIndex {
    unique: bool,
    origin: String,
    partial: bool,
    columns: Vec<String>,
}

fn build_sqlite(results: &[Vec<Row>]) -> Schema {
    let empty = Vec::new();
    let rows = |i: usize| results.get(i).unwrap_or(&empty);
    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    // Primary key columns by position (`pk` is 1-based within the key).
    let mut keys: BTreeMap<String, Vec<(u32, String)>> = BTreeMap::new();
    for r in rows(0) {
        let (table, col) = (name(r, 0), name(r, 1));
        let pk: u32 = text(r, 5).parse().unwrap_or(0);
        if pk > 0 {
            keys.entry(table.clone()).or_default().push((pk, col.clone()));
        }
        let c = column(Dialect::Sqlite, col, text(r, 2), text(r, 3) == "1", cell(r, 4));
        tables.entry(table).or_default().columns.push(c);
    }
    for (table, mut key) in keys {
        key.sort();
        let t = tables.get_mut(&table).expect("a table with columns");
        t.primary_key = key.into_iter().map(|(_, c)| c).collect();
        // INTEGER PRIMARY KEY is the rowid: never NULL, and numbered when not given.
        if let [only] = t.primary_key.as_slice() {
            if let Some(c) =
                t.columns.iter_mut().find(|c| c.name == *only && c.declared.eq_ignore_ascii_case("integer"))
            {
                c.not_null = true;
                c.default.get_or_insert_with(|| "(sequence)".into());
            }
        }
    }
    // Foreign keys: rows of one key share an id.
    let mut fks: BTreeMap<(String, String), ForeignKey> = BTreeMap::new();
    for r in rows(1) {
        let key = (name(r, 0), text(r, 1));
        let fk = fks.entry(key).or_insert_with(|| ForeignKey {
            columns: Vec::new(),
            references: name(r, 3),
            referenced: Vec::new(),
            on_delete: Action::parse(&text(r, 6)),
            on_update: Action::parse(&text(r, 7)),
        });
        fk.columns.push(name(r, 4));
        // `to` is NULL when the key references the parent's primary key implicitly.
        fk.referenced.push(name(r, 5));
    }
    for ((table, _), mut fk) in fks {
        if fk.referenced.iter().all(String::is_empty) {
            fk.referenced = tables.get(&fk.references).map(|p| p.primary_key.clone()).unwrap_or_default();
        }
        if let Some(t) = tables.get_mut(&table) {
            t.foreign_keys.insert(fk);
        }
    }
    // Index columns, then what made each index.
    let mut indexes: BTreeMap<(String, String), SqliteIndex> = BTreeMap::new();
    for r in rows(2) {
        let entry = indexes.entry((name(r, 0), name(r, 1))).or_insert_with(|| SqliteIndex {
            unique: text(r, 2) == "1",
            origin: text(r, 3),
            partial: text(r, 4) == "1",
            columns: Vec::new(),
        });
        entry.columns.push(cell(r, 6).map(str::to_lowercase).unwrap_or_else(|| "(expression)".into()));
    }
    let sql_of: BTreeMap<String, String> =
        rows(3).iter().filter(|r| text(r, 0) == "index").map(|r| (name(r, 1), text(r, 3))).collect();
    for ((table, index), SqliteIndex { unique, origin, partial, columns }) in indexes {
        let Some(t) = tables.get_mut(&table) else { continue };
        match origin.as_str() {
            "pk" => {}
            "u" => {
                t.uniques.insert(columns);
            }
            _ => {
                let predicate = if partial {
                    sql_of.get(&index).and_then(|sql| where_clause(sql)).map(|w| expr::normalise(&w))
                } else {
                    None
                };
                if unique && predicate.is_none() {
                    t.uniques.insert(columns);
                } else {
                    t.indexes.insert(Index { columns, unique, predicate });
                }
            }
        }
    }
    let mut views = std::collections::BTreeSet::new();
    let mut triggers = std::collections::BTreeSet::new();
    for r in rows(3) {
        match text(r, 0).as_str() {
            "table" => {
                if let Some(t) = tables.get_mut(&name(r, 1)) {
                    t.checks.extend(checks_in(&text(r, 3)).iter().map(|c| expr::normalise(c)));
                }
            }
            "view" => {
                views.insert(name(r, 1));
            }
            "trigger" => {
                triggers.insert(format!("{}.{}", name(r, 2), name(r, 1)));
            }
            _ => {}
        }
    }
    Schema { tables, views, triggers, enums: BTreeMap::new() }
}

/// The `CHECK (…)` expressions of a CREATE TABLE statement, table and column ones alike.
pub fn checks_in(create: &str) -> Vec<String> {
    let mut out = Vec::new();
    let upper = create.to_ascii_uppercase();
    let bytes = create.as_bytes();
    let mut from = 0;
    while let Some(i) = upper[from..].find("CHECK").map(|i| i + from) {
        from = i + 5;
        // A whole word, outside a quoted string.
        let before_ok = i == 0 || !(bytes[i - 1] as char).is_ascii_alphanumeric() && bytes[i - 1] != b'_';
        if !before_ok || create[..i].matches('\'').count() % 2 == 1 {
            continue;
        }
        let rest = create[from..].trim_start();
        if !rest.starts_with('(') {
            continue;
        }
        let start = create.len() - rest.len();
        if let Some(len) = balanced(&create[start..]) {
            out.push(create[start + 1..start + len - 1].to_string());
            from = start + len;
        }
    }
    out
}

/// The length of the balanced parenthesised text at the start (quotes respected).
fn balanced(text: &str) -> Option<usize> {
    let mut depth = 0;
    let mut quote: Option<char> = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// The WHERE clause of a CREATE INDEX statement.
fn where_clause(create: &str) -> Option<String> {
    let upper = create.to_ascii_uppercase();
    let at = upper.rfind(" WHERE ")?;
    Some(create[at + 7..].trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_are_found_in_create_table_text() {
        let sql = "CREATE TABLE t (a INT CHECK (a > 0), b TEXT DEFAULT 'CHECK (x)', c INT, CONSTRAINT c_ok CHECK ((c IN (0, 1)) AND c < 5), recheck INT)";
        assert_eq!(checks_in(sql), ["a > 0", "(c IN (0, 1)) AND c < 5"]);
        assert_eq!(where_clause("CREATE INDEX i ON t (a) WHERE b IS NOT NULL").as_deref(), Some("b IS NOT NULL"));
    }
}
