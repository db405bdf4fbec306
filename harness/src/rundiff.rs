//! `pgparity diff OLD NEW`: what changed between two runs' results — regressions (a workload
//! or statement that matched and does not now, or mismatches in another way), progressions,
//! workloads added and removed, rules that became stale. Pure: two results files in, a report
//! (markdown and JSON) out.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::export::json::Saved;
use crate::model::{Status, StepResult, Verdict, WorkloadResult};

/// One workload that changed, and its statements that did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Changed {
    pub workload: String,
    /// `Works → Blocked`, or the same status when only statements changed.
    pub status: String,
    pub statements: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunDiff {
    pub old: String,
    pub new: String,
    pub regressions: Vec<Changed>,
    pub progressions: Vec<Changed>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// Rules that accepted differences in the old run and none in the new.
    pub stale_rules: Vec<String>,
}

impl RunDiff {
    /// Exit 1.
    pub fn regressed(&self) -> bool {
        !self.regressions.is_empty()
    }
}

fn good(s: Status) -> Option<bool> {
    match s {
        Status::Works | Status::WorksWithRewrite | Status::Accepted => Some(true),
        Status::Blocked => Some(false),
        Status::NotTested => None,
    }
}

fn key(s: &StepResult) -> (String, usize, Option<String>) {
    (s.phase.to_string(), s.index, s.session.clone())
}

fn kinds(v: &Verdict) -> String {
    match v {
        Verdict::Mismatch { kinds, .. } => kinds.iter().map(|k| k.to_string()).collect::<Vec<_>>().join(", "),
        _ => String::new(),
    }
}

/// A run's results by workload id.
fn by_id(s: &Saved) -> BTreeMap<String, &WorkloadResult> {
    s.workloads.iter().map(|w| (w.id.clone(), w)).collect()
}

/// Compare two runs.
pub fn compare(old: &Saved, new: &Saved, names: (&str, &str)) -> RunDiff {
    let (a, b) = (by_id(old), by_id(new));
    let mut out = RunDiff { old: names.0.to_string(), new: names.1.to_string(), ..Default::default() };
    out.added = b.keys().filter(|k| !a.contains_key(*k)).cloned().collect();
    out.removed = a.keys().filter(|k| !b.contains_key(*k)).cloned().collect();
    for (id, was) in &a {
        let Some(now) = b.get(id) else { continue };
        let before: BTreeMap<_, &StepResult> = was.statements.iter().map(|s| (key(s), s)).collect();
        let (mut worse, mut better) = (Vec::new(), Vec::new());
        for s in &now.statements {
            let Some(p) = before.get(&key(s)) else { continue };
            let at = format!("{} at {}", s.label(), s.location);
            match (p.verdict.is_match(), s.verdict.is_match()) {
                (true, false) => worse.push(format!("{at}: matched, now {}", s.verdict)),
                (false, true) => better.push(format!("{at}: {}, now {}", p.verdict, s.verdict)),
                (false, false) if kinds(&p.verdict) != kinds(&s.verdict) => {
                    worse.push(format!("{at}: {}, now {}", p.verdict, s.verdict))
                }
                _ => {}
            }
        }
        let status = if was.status == now.status {
            now.status.to_string()
        } else {
            format!("{} → {}", was.status, now.status)
        };
        let (g0, g1) = (good(was.status), good(now.status));
        if g0 == Some(true) && g1 == Some(false) || !worse.is_empty() {
            out.regressions.push(Changed { workload: id.clone(), status: status.clone(), statements: worse });
        }
        if g0 == Some(false) && g1 == Some(true) || (!better.is_empty() && g1 != Some(false)) {
            out.progressions.push(Changed { workload: id.clone(), status, statements: better });
        }
    }
    let used_before: BTreeMap<&str, usize> = old.rules.iter().map(|r| (r.id.as_str(), r.accepted)).collect();
    out.stale_rules = new
        .rules
        .iter()
        .filter(|r| r.stale() && used_before.get(r.id.as_str()).is_some_and(|n| *n > 0))
        .map(|r| r.id.clone())
        .collect();
    out
}

/// The diff for a person.
pub fn markdown(d: &RunDiff) -> String {
    let mut out = format!(
        "# pgparity diff\n\n**{} regression(s), {} progression(s), {} workload(s) added, {} removed, {} rule(s) became stale**\n\n- Old: `{}`\n- New: `{}`\n",
        d.regressions.len(),
        d.progressions.len(),
        d.added.len(),
        d.removed.len(),
        d.stale_rules.len(),
        d.old,
        d.new
    );
    for (title, list) in [("Regressions", &d.regressions), ("Progressions", &d.progressions)] {
        if list.is_empty() {
            continue;
        }
        out.push_str(&format!("\n## {title}\n"));
        for c in list {
            out.push_str(&format!("\n- `{}`: {}\n", c.workload, c.status));
            for s in &c.statements {
                out.push_str(&format!("  - {}\n", crate::export::markdown::cell(s)));
            }
        }
    }
    for (title, list) in [("Added", &d.added), ("Removed", &d.removed), ("Stale rules", &d.stale_rules)] {
        if !list.is_empty() {
            out.push_str(&format!("\n## {title}\n\n"));
            for w in list {
                out.push_str(&format!("- `{w}`\n"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Connections, MismatchKind, Phase, RuleUse, TargetReport};

    fn step(index: usize, verdict: Verdict) -> StepResult {
        StepResult {
            phase: Phase::Step,
            index,
            session: None,
            location: format!("w.sql:{index}:1"),
            sql: "SELECT 1".into(),
            verdict,
            outcomes: None,
        }
    }

    fn mismatch(k: MismatchKind) -> Verdict {
        Verdict::Mismatch { kinds: vec![k], normalisers: vec![] }
    }

    fn workload(id: &str, status: Status, statements: Vec<StepResult>) -> WorkloadResult {
        WorkloadResult::of(id, status, statements)
    }

    fn saved(workloads: Vec<WorkloadResult>, rules: Vec<RuleUse>) -> Saved {
        let t = TargetReport {
            target: "local".into(),
            version: "15".into(),
            connections: Connections::Many,
            strategy: None,
            strategy_reason: None,
            refused_settings: Default::default(),
            events: vec![],
        };
        Saved { format: 1, date: "2026-12-01".into(), reference: t.clone(), candidate: t, workloads, rules }
    }

    #[test]
    fn regressions_progressions_and_what_came_and_went() {
        let rule = |n| RuleUse { id: "r".into(), reason: "x".into(), link: None, accepted: n };
        let old = saved(
            vec![
                workload("a", Status::Works, vec![step(1, Verdict::Match), step(2, Verdict::Match)]),
                workload("b", Status::Blocked, vec![step(1, mismatch(MismatchKind::Rows))]),
                workload("c", Status::Blocked, vec![step(1, mismatch(MismatchKind::Rows))]),
                workload("gone", Status::Works, vec![]),
            ],
            vec![rule(2)],
        );
        let new = saved(
            vec![
                workload(
                    "a",
                    Status::Blocked,
                    vec![step(1, Verdict::Match), step(2, mismatch(MismatchKind::Sqlstate))],
                ),
                workload("b", Status::Works, vec![step(1, Verdict::Match)]),
                workload("c", Status::Blocked, vec![step(1, mismatch(MismatchKind::ErrorVsSuccess))]),
                workload("new", Status::Works, vec![]),
            ],
            vec![rule(0)],
        );
        let d = compare(&old, &new, ("old", "new"));
        let ids = |l: &[Changed]| l.iter().map(|c| c.workload.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&d.regressions), vec!["a", "c"], "{d:#?}");
        assert_eq!(d.regressions[0].status, "Works → Blocked");
        assert!(d.regressions[0].statements[0].starts_with("step 2 at w.sql:2:1: matched, now mismatch: SQLSTATE"));
        assert!(d.regressions[1].statements[0].contains("mismatch: rows, now mismatch: error vs success"));
        assert_eq!(ids(&d.progressions), vec!["b"]);
        assert_eq!((d.added.clone(), d.removed.clone()), (vec!["new".to_string()], vec!["gone".to_string()]));
        assert_eq!(d.stale_rules, vec!["r"]);
        assert!(d.regressed());
        assert!(markdown(&d).contains("**2 regression(s), 1 progression(s)"));
    }
}
