//! What `compat` finds: per migration after the old build's last, whether the old build's
//! traffic behaves the same after it as before it (the dynamic verdict, with the statements
//! that broke as evidence), what its schema change is by kind (the static class), and whether
//! its own declaration agrees.

use serde::{Deserialize, Serialize};

use super::migration::TreeInfo;

/// A migration's class from its schema change alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaticClass {
    /// No table, column, constraint, index, view, trigger or enum changed (data only).
    NoSchemaChange,
    /// Only additions older code can ignore: new tables, nullable columns or columns with a
    /// default, plain indexes, views, enum values, defaults where there were none.
    Additive,
    /// A drop, rename, retype, SET NOT NULL, a new NOT NULL column without a default, a new
    /// unique, check or foreign key, a removed enum value, a new trigger.
    PotentiallyBreaking,
}

impl std::fmt::Display for StaticClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StaticClass::NoSchemaChange => "no schema change",
            StaticClass::Additive => "additive",
            StaticClass::PotentiallyBreaking => "potentially breaking",
        })
    }
}

/// One schema change of a migration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub breaking: bool,
    /// `new column orders.note (text, nullable)`, `users.email: SET NOT NULL`.
    pub what: String,
}

/// One old statement that behaves differently after the migration than before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub workload: String,
    /// Where the statement is in the traffic (`file:line:column`).
    pub location: String,
    pub statement: String,
    /// How it broke, in words (`the INSERT omits a new NOT NULL column without a default`).
    pub how: String,
    /// Its outcome on the database before the migration, and after it.
    pub before: String,
    pub after: String,
}

/// One migration's verdict.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompatResult {
    pub version: String,
    pub file: String,
    /// The old traffic gives the same outcomes after this migration as before it. `None`: not
    /// judged (the migration, or an earlier one, fails on the target; the traffic could not run).
    pub backward_compatible: Option<bool>,
    /// The old build still runs here at all: the same outcomes as on its own last version.
    pub old_build_runs: Option<bool>,
    #[serde(rename = "static")]
    pub static_class: StaticClass,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    /// The first statement that broke in each traffic workload.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Evidence>,
    /// Later statements that differ too (most follow from the first: fewer rows, an aborted
    /// transaction).
    #[serde(default)]
    pub later_differences: usize,
    /// Statements that already behave differently before this migration than on the old
    /// build's own version: they cannot show this migration's effect.
    #[serde(default)]
    pub masked: usize,
    /// The file's own `-- backward-compatible: true|false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared: Option<bool>,
    /// The declaration says the opposite of the evidence.
    #[serde(default)]
    pub contradicts: bool,
    /// Where the static class and the evidence disagree, and why; failures.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Reduced repros (below the output folder): the minimal old statements that break.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repros: Vec<String>,
    /// The migration failed on the target: the statement's location and the error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl CompatResult {
    /// Something to act on: a declaration the evidence contradicts, a break nobody declared,
    /// or a migration that fails.
    pub fn needs_attention(&self) -> bool {
        self.contradicts || self.error.is_some() || (self.declared.is_none() && self.backward_compatible == Some(false))
    }

    /// The verdict in words.
    pub fn verdict(&self) -> &'static str {
        match (self.error.is_some(), self.backward_compatible) {
            (true, _) => "migration fails",
            (false, Some(true)) => "compatible",
            (false, Some(false)) => "breaks the old build",
            (false, None) => "not judged",
        }
    }
}

/// One statement of the new build's traffic that behaves differently on the old schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReverseStep {
    pub workload: String,
    pub location: String,
    pub statement: String,
    /// Its outcome on the newest version, and on the old build's.
    pub on_new: String,
    pub on_old: String,
}

/// The reverse question: the new build's traffic on the old build's schema should fail
/// loudly (an error), never silently (a success with another result).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Reverse {
    pub traffic: Vec<String>,
    pub statements: usize,
    /// Statements with the same outcome on both schemas.
    pub same: usize,
    /// An error on the old schema where the new one answers.
    pub loud: Vec<ReverseStep>,
    /// A success on the old schema with another result than on the new one: the dangerous kind.
    pub silent: Vec<ReverseStep>,
    /// The traffic could not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Everything `compat` reports.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompatReport {
    pub tree: TreeInfo,
    /// The old build's last migration, and the newest judged.
    pub from: String,
    pub to: String,
    /// The traffic workloads' ids, and their statements in all.
    pub traffic: Vec<String>,
    pub statements: usize,
    /// How each version's database was made (copies of the previous version's, or rebuilt).
    pub databases: String,
    /// What the whole run says (traffic that fails on the old build's own version).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    pub migrations: Vec<CompatResult>,
    /// The new build's traffic on the old schema, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reverse: Option<Reverse>,
}

impl CompatReport {
    /// Exit 1.
    pub fn needs_attention(&self) -> bool {
        self.migrations.iter().any(CompatResult::needs_attention)
    }
}
