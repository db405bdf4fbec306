//! What a run learned about a target: shown in every report's header.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// How many connections a target takes at once, found by trying a second one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Connections {
    Many,
    /// Everything (admin work, statements, type lookups) runs on one session, reset between
    /// workloads.
    One,
}

/// What a run learned about a target, shown in every report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetReport {
    /// The target as named, password redacted.
    pub target: String,
    pub version: String,
    pub connections: Connections,
    pub strategy: Option<Strategy>,
    /// Why the strategy was chosen, when it is not the default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strategy_reason: Option<String>,
    /// Pinned settings the target refused, with its error.
    pub refused_settings: BTreeSet<String>,
    /// Crashes, restarts and other events, in order.
    pub events: Vec<String>,
}

impl TargetReport {
    /// The adaptations the harness made, in words (strategy, connections), for reports.
    pub fn adaptations(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.connections == Connections::One {
            notes.push("one connection at a time: everything on one session".to_string());
        }
        if let Some(s) = self.strategy {
            notes.push(s.to_string());
        }
        match &self.strategy_reason {
            Some(_) if self.connections == Connections::One => {}
            Some(reason) => notes.push(format!("because {reason}")),
            None => {}
        }
        notes
    }
}

/// How each workload gets a clean slate on a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// `CREATE DATABASE` per workload, dropped after it.
    FreshDatabase,
    /// `CREATE SCHEMA` per workload, first on the search_path, dropped after it.
    FreshSchema,
    /// One session for everything: after each workload ROLLBACK, DISCARD ALL, and every
    /// non-system schema dropped and `public` created again.
    ResetSession,
}

impl std::fmt::Display for Strategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Strategy::FreshDatabase => "fresh database per workload",
            Strategy::FreshSchema => "fresh schema per workload",
            Strategy::ResetSession => "one session, reset between workloads",
        })
    }
}
