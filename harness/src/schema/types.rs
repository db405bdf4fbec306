//! The type-equivalence table: when a PostgreSQL column and an SQLite column hold the same
//! thing. Each declared type is read as a logical type (PostgreSQL by its `format_type` name,
//! SQLite by its declared name, then by SQLite's own type-affinity rules); the same logical type
//! is equivalent, and so are the pairs below, which applications use on purpose. A user's
//! table (`--types FILE`) adds pairs of declared names.
//!
//! | PostgreSQL | SQLite |
//! |---|---|
//! | text, varchar(n), char(n) | TEXT, VARCHAR(n), CLOB… (text affinity) |
//! | smallint, integer, bigint | INTEGER, INT, BIGINT… (integer affinity) |
//! | real, double precision | REAL, DOUBLE, FLOAT |
//! | numeric(p,s) | NUMERIC, DECIMAL (numeric affinity) |
//! | boolean | BOOLEAN, or INTEGER with a `CHECK (col IN (0, 1))` |
//! | bytea | BLOB |
//! | timestamp, timestamptz, date, time | DATETIME, TIMESTAMP, DATE, TIME, or TEXT |
//! | json, jsonb | JSON or TEXT |
//! | uuid | UUID or TEXT |

use super::Dialect;

/// What a column holds, whatever an engine calls it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Logical {
    Text,
    Integer,
    Real,
    Numeric,
    Boolean,
    Bytes,
    Timestamp,
    TimestampTz,
    Date,
    Time,
    Json,
    Uuid,
    /// Anything else, by its name (compared by name).
    Other(String),
}

/// The declared type without its modifiers, lowercased (`character varying(20)` → `character varying`).
pub fn base_name(declared: &str) -> String {
    let base = declared.split('(').next().unwrap_or("").trim().to_ascii_lowercase();
    base.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The length a text type declares (`varchar(20)`, `character(5)`, `VARCHAR(20)`).
pub fn max_length(declared: &str) -> Option<u32> {
    let base = base_name(declared);
    let texty = ["character varying", "varchar", "character", "char", "nvarchar", "nchar", "varying character"];
    if !texty.contains(&base.as_str()) {
        return None;
    }
    let inside = declared.split_once('(')?.1.split_once(')')?.0;
    inside.trim().parse().ok()
}

/// How `dialect` reads `declared`.
pub fn logical(dialect: Dialect, declared: &str) -> Logical {
    let base = base_name(declared);
    match dialect {
        Dialect::Postgres => match base.as_str() {
            "text" | "character varying" | "varchar" | "character" | "char" | "bpchar" | "citext" | "name" => {
                Logical::Text
            }
            "smallint" | "integer" | "bigint" | "int" | "int2" | "int4" | "int8" => Logical::Integer,
            "real" | "double precision" | "float4" | "float8" => Logical::Real,
            "numeric" | "decimal" => Logical::Numeric,
            "boolean" | "bool" => Logical::Boolean,
            "bytea" => Logical::Bytes,
            "timestamp without time zone" | "timestamp" => Logical::Timestamp,
            "timestamp with time zone" | "timestamptz" => Logical::TimestampTz,
            "date" => Logical::Date,
            "time without time zone" | "time with time zone" | "time" => Logical::Time,
            "json" | "jsonb" => Logical::Json,
            "uuid" => Logical::Uuid,
            other => Logical::Other(other.to_string()),
        },
        Dialect::Sqlite => match base.as_str() {
            "boolean" | "bool" => Logical::Boolean,
            "datetime" | "timestamp" => Logical::Timestamp,
            "timestamptz" | "timestamp with time zone" => Logical::TimestampTz,
            "date" => Logical::Date,
            "time" => Logical::Time,
            "json" | "jsonb" => Logical::Json,
            "uuid" => Logical::Uuid,
            // SQLite's affinity rules, in their order (https://sqlite.org/datatype3.html, 3.1).
            b if b.contains("int") => Logical::Integer,
            b if b.contains("char") || b.contains("clob") || b.contains("text") => Logical::Text,
            b if b.contains("blob") || b.is_empty() => Logical::Bytes,
            b if b.contains("real") || b.contains("floa") || b.contains("doub") => Logical::Real,
            _ => Logical::Numeric,
        },
    }
}

/// The equivalence table, with the user's extra pairs of declared names.
#[derive(Debug, Clone, Default)]
pub struct Equivalence {
    /// `(PostgreSQL declared base name, SQLite declared base name)`, lowercased.
    pub extra: Vec<(String, String)>,
}

/// One side of a comparison: its dialect, the column's declared type, and whether the table
/// holds the column to 0 and 1 with a CHECK (SQLite's way to spell a boolean).
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    pub dialect: Dialect,
    pub declared: &'a str,
    pub zero_one: bool,
}

impl Equivalence {
    /// Read a user's table: one `postgres_type = sqlite_type` per line; `#` comments.
    pub fn parse(text: &str) -> Result<Equivalence, (usize, String)> {
        let mut extra = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let (pg, sqlite) =
                line.split_once('=').ok_or((i + 1, format!("`{line}`: expected `postgres_type = sqlite_type`")))?;
            let (pg, sqlite) = (base_name(pg), base_name(sqlite));
            if pg.is_empty() || sqlite.is_empty() {
                return Err((i + 1, format!("`{line}`: both types must be named")));
            }
            extra.push((pg, sqlite));
        }
        Ok(Equivalence { extra })
    }

    /// Are the two columns' types the same? The same engine compares declared names exactly
    /// (PostgreSQL 15 and 18 name a type the same way); two engines go through the table.
    pub fn equivalent(&self, a: Side<'_>, b: Side<'_>) -> bool {
        if a.dialect == b.dialect {
            return normalise_declared(a.declared) == normalise_declared(b.declared);
        }
        let (pg, sqlite) = if a.dialect == Dialect::Postgres { (a, b) } else { (b, a) };
        let (pg_base, sqlite_base) = (base_name(pg.declared), base_name(sqlite.declared));
        if self.extra.iter().any(|(p, s)| *p == pg_base && *s == sqlite_base) {
            return true;
        }
        let (l_pg, l_sqlite) = (logical(Dialect::Postgres, pg.declared), logical(Dialect::Sqlite, sqlite.declared));
        use Logical::*;
        match (&l_pg, &l_sqlite) {
            (Boolean, Integer) => sqlite.zero_one,
            (Timestamp | TimestampTz | Date | Time | Json | Uuid, Text) => true,
            (Other(p), Other(s)) => p == s,
            (p, s) => p == s,
        }
    }
}

/// A declared type for comparison within one engine: lowercased, spaces folded.
fn normalise_declared(declared: &str) -> String {
    declared.to_ascii_lowercase().split_whitespace().collect::<Vec<_>>().join(" ").replace(" (", "(")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pg(declared: &str) -> Side<'_> {
        Side { dialect: Dialect::Postgres, declared, zero_one: false }
    }
    fn lite(declared: &str) -> Side<'_> {
        Side { dialect: Dialect::Sqlite, declared, zero_one: false }
    }

    #[test]
    fn the_documented_pairs_are_equivalent_and_others_are_not() {
        let t = Equivalence::default();
        for (p, s) in [
            ("text", "TEXT"),
            ("character varying(20)", "VARCHAR(20)"),
            ("character varying(20)", "TEXT"),
            ("integer", "INTEGER"),
            ("bigint", "INTEGER"),
            ("bigint", "BIGINT"),
            ("double precision", "REAL"),
            ("numeric(10,2)", "NUMERIC"),
            ("numeric", "DECIMAL(10,2)"),
            ("boolean", "BOOLEAN"),
            ("bytea", "BLOB"),
            ("timestamp without time zone", "DATETIME"),
            ("timestamp with time zone", "TEXT"),
            ("date", "DATE"),
            ("jsonb", "TEXT"),
            ("uuid", "TEXT"),
        ] {
            assert!(t.equivalent(pg(p), lite(s)), "{p} ≈ {s}");
            assert!(t.equivalent(lite(s), pg(p)), "symmetric: {s} ≈ {p}");
        }
        for (p, s) in
            [("text", "INTEGER"), ("integer", "TEXT"), ("boolean", "TEXT"), ("bytea", "TEXT"), ("numeric", "REAL")]
        {
            assert!(!t.equivalent(pg(p), lite(s)), "{p} ≉ {s}");
        }
        // A boolean is an INTEGER only where a CHECK holds it to 0 and 1.
        assert!(!t.equivalent(pg("boolean"), lite("INTEGER")));
        assert!(t.equivalent(pg("boolean"), Side { zero_one: true, ..lite("INTEGER") }));
    }

    #[test]
    fn the_same_engine_compares_declared_names() {
        let t = Equivalence::default();
        assert!(t.equivalent(pg("character varying(20)"), pg("character varying(20)")));
        assert!(!t.equivalent(pg("character varying(20)"), pg("character varying(30)")));
        assert!(!t.equivalent(pg("integer"), pg("bigint")));
        assert!(t.equivalent(lite("varchar (20)"), lite("VARCHAR(20)")));
    }

    #[test]
    fn affinity_and_lengths() {
        assert_eq!(logical(Dialect::Sqlite, "UNSIGNED BIG INT"), Logical::Integer);
        assert_eq!(logical(Dialect::Sqlite, "NATIVE CHARACTER(70)"), Logical::Text);
        assert_eq!(logical(Dialect::Sqlite, ""), Logical::Bytes);
        assert_eq!(logical(Dialect::Sqlite, "FLOATING POINT"), Logical::Integer, "SQLite's own rule: INT comes first");
        assert_eq!(logical(Dialect::Sqlite, "MONEY"), Logical::Numeric);
        assert_eq!(max_length("character varying(20)"), Some(20));
        assert_eq!(max_length("VARCHAR( 8 )"), Some(8));
        assert_eq!(max_length("numeric(10,2)"), None);
        assert_eq!(max_length("text"), None);
    }

    #[test]
    fn a_user_table_adds_pairs() {
        let t = Equivalence::parse("# ours\nuuid = BLOB\ninterval=TEXT\n").unwrap();
        assert!(t.equivalent(pg("uuid"), lite("BLOB")));
        assert!(t.equivalent(pg("interval"), lite("text")));
        assert_eq!(Equivalence::parse("uuid BLOB").unwrap_err().0, 1);
    }
}
