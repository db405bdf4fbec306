//! Known differences as rules: each with an id, a reason and a link, matching on what it names
//! (the candidate's version range, the workload or feature, the statement's pattern or
//! fingerprint, the mismatch kinds, the SQLSTATE pair, the message). A matched mismatch is
//! accepted under its rule — reported as such, never as a match — and a rule that matched
//! nothing in a run is stale. Pure: rules are read from a file and applied to results.
//!
//! What a rule never hides unless it names that kind: a wrong result row, a success turned
//! into an error or back, a changed column type, a fault.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::model::error::{Error, Location, Result};
use crate::model::{MismatchKind, RuleUse, Status, StepResult, Verdict, WorkloadResult};

/// The kinds a rule must name to accept.
const PROTECTED: &[MismatchKind] = &[
    MismatchKind::Rows,
    MismatchKind::ErrorVsSuccess,
    MismatchKind::ColumnTypes,
    MismatchKind::Timeout,
    MismatchKind::ConnectionLost,
    MismatchKind::ServerCrashed,
    MismatchKind::ProtocolError,
    MismatchKind::NotRun,
    MismatchKind::ConnectionRefused,
];

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    rules: Vec<Rule>,
}

/// One known difference.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The candidate's major version: `18`, `>=16`, `<18`, `16..18` (both included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate_version: Option<String>,
    /// A glob (`*` for any text) on the workload id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<String>,
    /// A glob on the workload's feature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature: Option<String>,
    /// A glob on the statement (whitespace runs read as one space, case ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    /// The statement's fingerprint (pg_query's: literals and whitespace do not count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// The mismatch kinds it accepts; a mismatch with another kind is not accepted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<MismatchKind>,
    /// `REFERENCE -> CANDIDATE` SQLSTATEs, `-` for none (`42601 -> -`, `- -> 0A000`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sqlstate: Option<String>,
    /// A glob on the candidate's error message (or the reference's, when only it failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A run's rules, read from a file.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    pub path: String,
    pub rules: Vec<Rule>,
}

impl Rules {
    /// Read and check a rules file; an error names its line and column.
    pub fn load(path: &Path) -> Result<Rules> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let at = |line: usize, column: usize, message: String| Error::Workload {
            location: Location { file: path.to_path_buf(), line, column },
            message,
        };
        let file: File = serde_norway::from_str(&text).map_err(|e| {
            let (line, column) = e.location().map(|l| (l.line(), l.column())).unwrap_or((1, 1));
            at(line, column, format!("not a rules file: {e}"))
        })?;
        let mut seen = std::collections::HashSet::new();
        for r in &file.rules {
            let line = text.lines().position(|l| l.contains(&r.id)).map_or(1, |i| i + 1);
            if r.id.trim().is_empty() || r.reason.trim().is_empty() {
                return Err(at(line, 1, "every rule needs an id and a reason".into()));
            }
            if !seen.insert(r.id.clone()) {
                return Err(at(line, 1, format!("rule id `{}` is used twice", r.id)));
            }
            if let Some(v) = &r.candidate_version {
                parse_range(v).ok_or_else(|| {
                    at(line, 1, format!("rule {}: candidate_version `{v}`: write 18, >=16, <18 or 16..18", r.id))
                })?;
            }
            if let Some(s) = &r.sqlstate {
                if !s.contains("->") {
                    return Err(at(line, 1, format!("rule {}: sqlstate `{s}`: write REFERENCE -> CANDIDATE", r.id)));
                }
            }
        }
        Ok(Rules { path: path.display().to_string(), rules: file.rules })
    }

    /// Accept the mismatches of `result` that a rule matches (the first rule that does), on a
    /// candidate of version `version`; `counts` (one per rule) counts what each accepted.
    pub fn apply(&self, result: &mut WorkloadResult, version: &str, counts: &mut [usize]) {
        let major = major(version);
        let (id, feature) = (result.id.clone(), result.feature.clone());
        let mut accepted_any = false;
        for s in result.statements.iter_mut().chain(result.rewrite.iter_mut()) {
            let Verdict::Mismatch { kinds, normalisers } = &s.verdict else { continue };
            let found = self.rules.iter().position(|r| matches(r, major, &id, &feature, s, kinds));
            if let Some(i) = found {
                counts[i] += 1;
                accepted_any = true;
                s.verdict = Verdict::Accepted {
                    rule: self.rules[i].id.clone(),
                    kinds: kinds.clone(),
                    normalisers: normalisers.clone(),
                };
            }
        }
        if !accepted_any {
            return;
        }
        result.matched = result.statements.iter().filter(|s| s.verdict.is_match()).count();
        if result.status == Status::Blocked && result.matched == result.total {
            result.status = Status::Accepted;
        }
    }

    /// Undo what earlier rules accepted (results read back, before other rules apply).
    pub fn revert(result: &mut WorkloadResult) {
        let mut any = false;
        for s in result.statements.iter_mut().chain(result.rewrite.iter_mut()) {
            if let Verdict::Accepted { kinds, normalisers, .. } = &s.verdict {
                s.verdict = Verdict::Mismatch { kinds: kinds.clone(), normalisers: normalisers.clone() };
                any = true;
            }
        }
        if any {
            result.matched = result.statements.iter().filter(|s| s.verdict.is_match()).count();
            if result.status == Status::Accepted {
                result.status = Status::Blocked;
            }
        }
    }

    /// Each rule with what it accepted.
    pub fn uses(&self, counts: &[usize]) -> Vec<RuleUse> {
        self.rules
            .iter()
            .zip(counts)
            .map(|(r, n)| RuleUse { id: r.id.clone(), reason: r.reason.clone(), link: r.link.clone(), accepted: *n })
            .collect()
    }
}

fn matches(r: &Rule, major: Option<u32>, id: &str, feature: &str, s: &StepResult, kinds: &[MismatchKind]) -> bool {
    let accepts_kinds = if r.kinds.is_empty() {
        kinds.iter().all(|k| !PROTECTED.contains(k))
    } else {
        kinds.iter().all(|k| r.kinds.contains(k))
    };
    if !accepts_kinds {
        return false;
    }
    if let Some(range) = &r.candidate_version {
        match (parse_range(range), major) {
            (Some((lo, hi)), Some(m)) if m >= lo && m <= hi => {}
            _ => return false,
        }
    }
    let normal = |sql: &str| sql.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    let outcomes = s.outcomes.as_ref();
    let code = |o: Option<&crate::model::Outcome>| {
        o.and_then(|o| o.error.as_ref()).map(|e| e.code.clone()).unwrap_or_else(|| "-".into())
    };
    let message =
        outcomes.and_then(|o| o.candidate.error.as_ref().or(o.reference.error.as_ref()).map(|e| e.message.clone()));
    r.workload.as_ref().is_none_or(|g| glob(g, id))
        && r.feature.as_ref().is_none_or(|g| glob(g, feature))
        && r.statement.as_ref().is_none_or(|g| glob(&normal(g), &normal(&s.sql)))
        && r.fingerprint.as_ref().is_none_or(|f| *f == crate::reduce::repro::fingerprint(&s.sql))
        && r.sqlstate.as_ref().is_none_or(|pair| {
            let (a, b) = pair.split_once("->").unwrap_or((pair, ""));
            a.trim() == code(outcomes.map(|o| &o.reference)) && b.trim() == code(outcomes.map(|o| &o.candidate))
        })
        && r.message.as_ref().is_none_or(|g| message.as_deref().is_some_and(|m| glob(g, m)))
}

/// `15.18 (Debian …)`, `18beta1` → the major version.
fn major(version: &str) -> Option<u32> {
    let digits: String = version.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

/// `18` → (18, 18); `>=16` → (16, max); `<18` → (0, 17); `16..18` → (16, 18).
fn parse_range(text: &str) -> Option<(u32, u32)> {
    let t = text.trim();
    let n = |s: &str| s.trim().parse::<u32>().ok();
    if let Some(v) = t.strip_prefix(">=") {
        return Some((n(v)?, u32::MAX));
    }
    if let Some(v) = t.strip_prefix("<=") {
        return Some((0, n(v)?));
    }
    if let Some(v) = t.strip_prefix('>') {
        return Some((n(v)?.checked_add(1)?, u32::MAX));
    }
    if let Some(v) = t.strip_prefix('<') {
        return Some((0, n(v)?.checked_sub(1)?));
    }
    if let Some((a, b)) = t.split_once("..") {
        return Some((n(a)?, n(b)?));
    }
    n(t).map(|v| (v, v))
}

/// `*` matches any text (newlines included); everything else matches itself.
pub fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if text.len() < first.len() + last.len() || !text.starts_with(first) || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Outcome, Pair, Phase, ServerMessage};

    fn step(sql: &str, kinds: Vec<MismatchKind>, codes: (Option<&str>, Option<&str>)) -> StepResult {
        let o = |c: Option<&str>| Outcome {
            error: c.map(|c| ServerMessage { code: c.into(), message: format!("message {c}"), ..Default::default() }),
            ..Outcome::default()
        };
        StepResult {
            phase: Phase::Step,
            index: 1,
            session: None,
            location: "w.sql:1:1".into(),
            sql: sql.into(),
            verdict: Verdict::Mismatch { kinds, normalisers: vec![] },
            outcomes: Some(Pair::new(o(codes.0), o(codes.1))),
        }
    }

    fn result(statements: Vec<StepResult>) -> WorkloadResult {
        let mut r = WorkloadResult::of("catalog/version", Status::Blocked, statements);
        r.feature = "version()".into();
        r
    }

    fn rule(id: &str) -> Rule {
        Rule { id: id.into(), reason: "known".into(), ..Default::default() }
    }

    #[test]
    fn a_rule_accepts_what_it_names_and_is_counted() {
        let rules = Rules {
            path: "r.yaml".into(),
            rules: vec![
                Rule {
                    candidate_version: Some(">=16".into()),
                    kinds: vec![MismatchKind::Rows],
                    statement: Some("select version()".into()),
                    ..rule("version")
                },
                Rule { sqlstate: Some("- -> 42601".into()), message: Some("message *".into()), ..rule("syntax") },
                rule("stale"),
            ],
        };
        let mut r = result(vec![
            step("SELECT  version()", vec![MismatchKind::Rows], (None, None)),
            step("SELECT 0x1F", vec![MismatchKind::Sqlstate], (None, Some("42601"))),
        ]);
        let mut counts = vec![0; 3];
        rules.apply(&mut r, "18.4", &mut counts);
        assert_eq!(counts, vec![1, 1, 0]);
        assert_eq!(r.status, Status::Accepted);
        assert_eq!(r.matched, 2);
        assert!(matches!(&r.statements[0].verdict, Verdict::Accepted { rule, .. } if rule == "version"));
        assert!(rules.uses(&counts)[2].stale());
        // On 15 the version rule does not hold.
        let mut r = result(vec![step("SELECT version()", vec![MismatchKind::Rows], (None, None))]);
        let mut counts = vec![0; 3];
        rules.apply(&mut r, "15.18 (Debian)", &mut counts);
        assert_eq!((r.status, counts), (Status::Blocked, vec![0, 0, 0]));
    }

    #[test]
    fn a_rule_never_hides_a_wrong_row_an_error_or_a_fault_it_does_not_name() {
        let rules = Rules { path: "r.yaml".into(), rules: vec![rule("anything")] };
        for kind in
            [MismatchKind::Rows, MismatchKind::ErrorVsSuccess, MismatchKind::ColumnTypes, MismatchKind::ServerCrashed]
        {
            let mut r = result(vec![step("SELECT 1", vec![MismatchKind::CommandTag, kind], (None, None))]);
            let mut counts = vec![0];
            rules.apply(&mut r, "18", &mut counts);
            assert_eq!((r.status, counts[0]), (Status::Blocked, 0), "{kind}");
        }
        let mut r = result(vec![step("SELECT 1", vec![MismatchKind::Sqlstate], (Some("22012"), Some("22003")))]);
        let mut counts = vec![0];
        rules.apply(&mut r, "18", &mut counts);
        assert_eq!(counts[0], 1, "a SQLSTATE difference is not protected");
    }

    #[test]
    fn globs_and_ranges() {
        assert!(
            glob("catalog/*", "catalog/version") && glob("*version*", "select version()") && glob("a*b*c", "aXbYc")
        );
        assert!(!glob("a*b", "ba") && !glob("abc", "ab"));
        assert_eq!(parse_range("16..18"), Some((16, 18)));
        assert_eq!(parse_range("<18"), Some((0, 17)));
        assert_eq!(parse_range("x"), None);
    }
}
