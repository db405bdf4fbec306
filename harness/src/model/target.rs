//! What a run learned about a target: shown in every report's header.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::outcome::Fault;

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
    pub events: Vec<TargetEvent>,
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

/// Something that happened to a target during a run, shown in the reports' header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub enum TargetEvent {
    /// A statement of `workload` ended in a fault that means the target failed (a lost
    /// connection, a crash) at `location`.
    Fault { workload: String, fault: Fault, location: String },
    /// A statement of `workload` timed out and the server ignored the cancel, at `location`.
    CancelIgnored { workload: String, location: String },
    /// A server the harness owns was restarted before the next workload (`Err`: it could not be).
    Restarted { cause: RestartCause, result: Result<(), String> },
    /// What a workload made that all databases share (or a database of the harness) could not
    /// be removed after it: `what`, with why.
    Leftover { workload: String, what: String },
    /// An event read back from a results file: its text, as it was written.
    Logged(String),
}

/// Why a server was restarted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestartCause {
    Crashed,
    /// A statement timed out and the server ignored the cancel.
    Wedged,
    /// Workload `workload` could not get a slate or a connection (`why`).
    Unreachable {
        workload: String,
        why: String,
    },
}

impl std::fmt::Display for TargetEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TargetEvent::Fault { workload, fault, location } => write!(f, "{workload}: {fault} at {location}"),
            TargetEvent::CancelIgnored { workload, location } => write!(f, "{workload}: cancel ignored at {location}"),
            TargetEvent::Leftover { workload, what } if workload.is_empty() => write!(f, "left behind: {what}"),
            TargetEvent::Leftover { workload, what } => write!(f, "{workload}: left behind: {what}"),
            TargetEvent::Restarted { cause, result } => {
                match cause {
                    RestartCause::Crashed => f.write_str("server crashed")?,
                    RestartCause::Wedged => f.write_str("a statement timed out and the server ignored the cancel")?,
                    RestartCause::Unreachable { workload, why } => write!(f, "{workload}: unreachable ({why})")?,
                }
                match result {
                    Ok(()) => f.write_str("; restarted"),
                    Err(e) => write!(f, "; restart failed: {e}"),
                }
            }
            TargetEvent::Logged(text) => f.write_str(text),
        }
    }
}

impl From<TargetEvent> for String {
    fn from(e: TargetEvent) -> String {
        e.to_string()
    }
}

impl From<String> for TargetEvent {
    fn from(text: String) -> TargetEvent {
        TargetEvent::Logged(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_written_as_their_text_and_read_back_unchanged() {
        let events = vec![
            TargetEvent::Fault { workload: "w".into(), fault: Fault::ServerCrashed, location: "w.sql:3:1".into() },
            TargetEvent::CancelIgnored { workload: "w".into(), location: "w.sql:4:1".into() },
            TargetEvent::Restarted { cause: RestartCause::Wedged, result: Err("no port".into()) },
        ];
        let json = serde_json::to_string(&events).unwrap();
        assert_eq!(
            json,
            r#"["w: server crashed at w.sql:3:1","w: cancel ignored at w.sql:4:1","a statement timed out and the server ignored the cancel; restart failed: no port"]"#
        );
        let back: Vec<TargetEvent> = serde_json::from_str(&json).unwrap();
        let texts = |v: &[TargetEvent]| v.iter().map(|e| e.to_string()).collect::<Vec<_>>();
        assert_eq!(texts(&back), texts(&events));
    }
}
