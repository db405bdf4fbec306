//! One normalised model of a database schema, whichever engine it was read from (PostgreSQL's
//! catalog, SQLite's `sqlite_schema` and pragmas): tables, columns (declared type, logical type,
//! nullability, default), primary keys, unique constraints and unique indexes, foreign keys with
//! their actions, check constraints, indexes (columns, partial predicate), views and triggers.
//! Pure: the introspection queries' rows come in (`introspect`), drifts go out (`diff`).

pub mod diff;
pub mod expr;
pub mod introspect;
pub mod types;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

pub use crate::model::Dialect;

/// A schema: user tables by (lowercased) name, views and triggers by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Schema {
    pub tables: BTreeMap<String, Table>,
    pub views: BTreeSet<String>,
    /// `table.trigger`.
    pub triggers: BTreeSet<String>,
    /// Enum types (PostgreSQL's) and their labels in order.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub enums: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Table {
    /// In declaration order.
    pub columns: Vec<ColumnDef>,
    /// Empty when the table has none.
    pub primary_key: Vec<String>,
    /// Unique constraints and unique indexes without a predicate, as column lists.
    pub uniques: BTreeSet<Vec<String>>,
    pub foreign_keys: BTreeSet<ForeignKey>,
    /// Normalised check expressions (`expr::normalise`).
    pub checks: BTreeSet<String>,
    /// Non-unique indexes, and unique ones with a predicate.
    pub indexes: BTreeSet<Index>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&ColumnDef> {
        self.columns.iter().find(|c| c.name == name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnDef {
    pub name: String,
    /// The type as the engine names it (`character varying(20)`, `VARCHAR(20)`).
    pub declared: String,
    pub not_null: bool,
    /// Normalised (`expr::normalise_default`); `None`: no default.
    pub default: Option<String>,
    /// The type's declared length (`varchar(20)`), for the over-long value probe.
    pub max_length: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ForeignKey {
    pub columns: Vec<String>,
    pub references: String,
    pub referenced: Vec<String>,
    pub on_delete: Action,
    pub on_update: Action,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

impl Action {
    /// PostgreSQL's `confdeltype` letter or SQLite's `on_delete` words.
    pub fn parse(text: &str) -> Action {
        match text.trim().to_ascii_uppercase().as_str() {
            "R" | "RESTRICT" => Action::Restrict,
            "C" | "CASCADE" => Action::Cascade,
            "N" | "SET NULL" => Action::SetNull,
            "D" | "SET DEFAULT" => Action::SetDefault,
            _ => Action::NoAction,
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Action::NoAction => "NO ACTION",
            Action::Restrict => "RESTRICT",
            Action::Cascade => "CASCADE",
            Action::SetNull => "SET NULL",
            Action::SetDefault => "SET DEFAULT",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Index {
    pub columns: Vec<String>,
    pub unique: bool,
    /// The partial index's normalised predicate.
    pub predicate: Option<String>,
}

impl std::fmt::Display for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}({})", if self.unique { "unique " } else { "" }, self.columns.join(", "))?;
        if let Some(p) = &self.predicate {
            write!(f, " WHERE {p}")?;
        }
        Ok(())
    }
}

impl std::fmt::Display for ForeignKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "({}) → {}({}) ON DELETE {} ON UPDATE {}",
            self.columns.join(", "),
            self.references,
            self.referenced.join(", "),
            self.on_delete,
            self.on_update
        )
    }
}
