//! Clustering mismatches by root cause, and the repro files: a standalone `.sql` (a `.yaml`
//! when the statements need several sessions) that `psql -f` and `pgparity run` both replay,
//! and a markdown body ready to paste as a bug report (pure).

use serde::Serialize;

use super::signature::Signature;
use crate::model::{Outcome, Pair, ReproSummary};
use crate::model::{Phase, WorkloadResult};
use crate::model::{Step, Workload};
use crate::workload::step_yaml;

/// Where a mismatch occurs: workload, statement (index into setup ++ steps) and location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Occurrence {
    pub workload: String,
    /// Index into the workload's setup followed by its steps.
    #[serde(skip)]
    pub statement: usize,
    pub label: String,
    pub location: String,
}

/// Mismatches with one root cause: the same signature and the same statement fingerprint.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub signature: Signature,
    pub fingerprint: String,
    /// The first is the one reduced.
    pub occurrences: Vec<Occurrence>,
    pub outcomes: Pair<Outcome>,
}

/// pg_query's fingerprint of a statement (literals and whitespace do not count); the text
/// itself when it does not parse.
pub fn fingerprint(sql: &str) -> String {
    pg_query::fingerprint(sql, 0, 0)
        .map(|f| f.hex)
        .unwrap_or_else(|_| sql.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Group the mismatches of original setup and steps (not rewrites) by root cause, in
/// workload order.
pub fn clusters(workloads: &[Workload], results: &[WorkloadResult]) -> Vec<Cluster> {
    let mut out: Vec<Cluster> = Vec::new();
    for r in results {
        let Some(w) = workloads.iter().find(|w| w.id == r.id) else { continue };
        for s in r.mismatches() {
            let statement = match s.phase {
                Phase::Setup => s.index - 1,
                Phase::Step => w.setup.len() + s.index - 1,
                _ => continue,
            };
            let Some(outcomes) = &s.outcomes else { continue };
            let Some(signature) = Signature::of(outcomes.as_ref(), &s.verdict) else { continue };
            // Not run because an earlier statement ended the session: that one is the cause.
            if signature.kinds == [crate::model::MismatchKind::NotRun] {
                continue;
            }
            let fingerprint = fingerprint(&s.sql);
            let occurrence =
                Occurrence { workload: r.id.clone(), statement, label: s.label(), location: s.location.clone() };
            match out.iter_mut().find(|c| c.signature == signature && c.fingerprint == fingerprint) {
                Some(c) => c.occurrences.push(occurrence),
                None => out.push(Cluster {
                    signature,
                    fingerprint,
                    occurrences: vec![occurrence],
                    outcomes: outcomes.clone(),
                }),
            }
        }
    }
    out
}

/// Everything a repro file says.
#[derive(Debug, Clone, Serialize)]
pub struct Repro {
    pub id: String,
    /// The kept statements: the mismatching one last, or followed by the steps of other
    /// sessions that release or decide it.
    #[serde(skip)]
    pub statements: Vec<Step>,
    /// Index of the mismatching statement in `statements`.
    #[serde(skip)]
    pub target: usize,
    pub signature: Signature,
    pub reference: String,
    pub candidate: String,
    #[serde(skip)]
    pub outcomes: Pair<Outcome>,
    pub occurrences: Vec<Occurrence>,
    pub original_statements: usize,
    pub trials: usize,
    pub minimal: bool,
    /// Set when the reduced file did not reproduce and the original statements were kept.
    pub not_reducible: bool,
    /// Reduced beside the run (on extra connections while later workloads ran).
    pub beside_run: bool,
    /// Set when not even the original statements, written and replayed, showed the mismatch:
    /// the file is kept as evidence, and no replay command is offered.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unconfirmed: bool,
    pub path: String,
    /// How to replay it, where `pgparity run` is not the way.
    #[serde(skip)]
    pub replay: Option<String>,
}

impl Repro {
    /// What the console says of it.
    pub fn summary(&self) -> ReproSummary {
        ReproSummary {
            path: self.path.clone(),
            statements: self.statements.len(),
            original_statements: self.original_statements,
            trials: self.trials,
            minimal: self.minimal,
            not_reducible: self.not_reducible,
            beside_run: self.beside_run,
            occurrences: self.occurrences.len(),
        }
    }

    pub fn id_for(occurrence: &Occurrence) -> String {
        let label = occurrence.label.split(" (").next().unwrap_or("").replace(' ', "");
        format!("{}-{}", occurrence.workload.replace('/', "-"), label)
    }

    /// Does it need the YAML form (several sessions, the extended protocol, or COPY data that a
    /// psql script cannot carry: a line `\.` ends the data there)?
    pub fn needs_yaml<'s>(statements: impl IntoIterator<Item = &'s Step>) -> bool {
        statements.into_iter().any(|s| {
            s.session.is_some()
                || s.protocol.is_some()
                || s.bind.is_some()
                || s.copy_data.as_deref().is_some_and(|d| !crate::workload::sql::psql_can_carry(d))
        })
    }

    pub fn file_name(&self) -> String {
        format!("{}.{}", self.id, if Self::needs_yaml(&self.statements) { "yaml" } else { "sql" })
    }

    fn header(&self, comment: &str) -> String {
        let mut h = Vec::new();
        h.push(format!("mismatch: {}", self.signature));
        h.push(format!("reference: {} → {}", self.reference, crate::render::short(&self.outcomes.reference)));
        h.push(format!("candidate: {} → {}", self.candidate, crate::render::short(&self.outcomes.candidate)));
        h.push("normalisers in force: multiset order (no top-level ORDER BY), float tolerance 1e-12, error message text, notices".into());
        if self.target + 1 < self.statements.len() {
            h.push(format!(
                "the mismatch is at statement {} of {}: the later ones release or decide it",
                self.target + 1,
                self.statements.len()
            ));
        }
        h.push(if self.not_reducible && self.statements.len() < self.original_statements {
            format!(
                "not reducible: the reduced statements did not reproduce; these are the test's own {} (it ran after \
                 {} statements of earlier tests of its suite)",
                self.statements.len(),
                self.original_statements - self.statements.len()
            )
        } else if self.not_reducible {
            format!(
                "not reducible: the reduced statements did not reproduce; these are the original {}",
                self.original_statements
            )
        } else {
            format!(
                "reduced from {} to {} statements in {} trials{}",
                self.original_statements,
                self.statements.len(),
                self.trials,
                if self.minimal { " (1-minimal)" } else { " (budget ran out before 1-minimal)" }
            )
        });
        for o in &self.occurrences {
            h.push(format!("occurs at: {} ({} {})", o.location, o.workload, o.label));
        }
        h.push(if self.unconfirmed {
            "replay: none offered: written and replayed, this file did not show the mismatch (kept as evidence)"
                .to_string()
        } else if let Some(replay) = &self.replay {
            format!("replay: {}", replay.replace("{file}", &self.file_name()))
        } else if Self::needs_yaml(&self.statements) {
            format!(
                "replay: pgparity run --candidate TARGET repros/{} (sessions or the extended protocol: not a psql script)",
                self.file_name()
            )
        } else {
            format!("replay: psql -X -f repros/{0}   or   pgparity run --candidate TARGET repros/{0}", self.file_name())
        });
        h.iter().map(|l| format!("{comment} {l}\n")).collect()
    }

    /// The repro as a file pgparity and (for `.sql`) psql both run.
    pub fn render(&self) -> String {
        let feature = format!("Repro of {} {}", self.occurrences[0].workload, self.occurrences[0].label);
        if !Self::needs_yaml(&self.statements) {
            let mut out = format!("-- feature: {feature}\n-- area: Repros\n{}", self.header("--"));
            for s in &self.statements {
                out.push_str(&s.sql);
                // A psql command (`\c`) ends at its line.
                out.push_str(if s.psql_only { "\n" } else { ";\n" });
                // psql's form: the data lines, then `\.`.
                if let Some(data) = &s.copy_data {
                    out.push_str(data);
                    if !data.is_empty() && !data.ends_with('\n') {
                        out.push('\n');
                    }
                    out.push_str("\\.\n");
                }
            }
            return out;
        }
        let mut sessions: Vec<&str> = Vec::new();
        for s in self.statements.iter().filter_map(|s| s.session.as_deref()) {
            if !sessions.contains(&s) {
                sessions.push(s);
            }
        }
        let mut out = self.header("#");
        out.push_str(&format!("feature: {}\narea: Repros\n", yaml_str(&feature)));
        if !sessions.is_empty() {
            out.push_str(&format!("sessions: [{}]\n", sessions.join(", ")));
        }
        out.push_str("steps:\n");
        for s in &self.statements {
            out.push_str(&step_yaml(s, sessions.first().map(|first| s.session.as_deref().unwrap_or(first))));
        }
        out
    }

    /// A bug report body in markdown.
    pub fn render_markdown(&self) -> String {
        let first_line = self.statements.get(self.target).and_then(|s| s.sql.lines().next()).unwrap_or("");
        let mut out = format!("# {}: {}\n\n", self.candidate, self.signature);
        out.push_str(&format!("Statement: `{}`\n\n", first_line.replace('`', "'")));
        out.push_str("## Environment\n\n");
        out.push_str(&format!("- expected behaviour from: {}\n- observed on: {}\n\n", self.reference, self.candidate));
        out.push_str("## Steps to reproduce\n\n");
        let lang = if Self::needs_yaml(&self.statements) { "yaml" } else { "sql" };
        out.push_str(&format!("```{lang}\n{}```\n\n", self.render()));
        out.push_str(&if self.unconfirmed {
            "Written and replayed, these statements did not show the mismatch again (the run's state \
             or timing mattered): they are the evidence, not a replayable repro.\n\n"
                .to_string()
        } else if Self::needs_yaml(&self.statements) {
            format!(
                "Run it with `pgparity run --candidate TARGET {}`: its steps run on separate connections.\n\n",
                self.file_name()
            )
        } else {
            format!("Run it with `psql -X -f {}` on each server.\n\n", self.file_name())
        });
        out.push_str("## Expected (reference)\n\n```\n");
        out.push_str(&crate::render::outcome(&self.outcomes.reference));
        out.push_str("```\n\n## Actual (candidate)\n\n```\n");
        out.push_str(&crate::render::outcome(&self.outcomes.candidate));
        out.push_str("```\n\nFound by [pgparity](https://github.com/) in:\n\n");
        for o in &self.occurrences {
            out.push_str(&format!("- `{}` {} ({})\n", o.workload, o.label, o.location));
        }
        out
    }
}

fn yaml_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::error::Location;
    use crate::model::Order;

    fn step(sql: &str, session: Option<&str>) -> Step {
        let mut s =
            crate::workload::step(sql.into(), Order::Auto, Location { file: "w.yaml".into(), line: 1, column: 1 });
        s.session = session.map(str::to_string);
        s
    }

    fn repro(statements: Vec<Step>) -> Repro {
        let signature = Signature {
            kinds: vec![crate::model::MismatchKind::ErrorVsSuccess],
            reference: super::super::signature::Shape::Error { sqlstate: "42601".into() },
            candidate: super::super::signature::Shape::Ok { command: "SELECT".into(), columns: vec![] },
            reference_wait: None,
            candidate_wait: None,
        };
        Repro {
            id: "syntax-literals-step1".into(),
            target: statements.len() - 1,
            statements,
            signature,
            reference: "15.18 (local)".into(),
            candidate: "18.4 (local:/pg18/bin)".into(),
            outcomes: Pair::default(),
            occurrences: vec![Occurrence {
                workload: "syntax/literals".into(),
                statement: 3,
                label: "step 1".into(),
                location: "workloads/syntax/literals.yaml:5:10".into(),
            }],
            original_statements: 4,
            trials: 3,
            minimal: true,
            not_reducible: false,
            beside_run: false,
            unconfirmed: false,
            replay: None,
            path: String::new(),
        }
    }

    #[test]
    fn sql_repros_parse_back_as_workloads_with_the_same_statements() {
        let r = repro(vec![step("CREATE TABLE t (a int)", None), step("SELECT $$;$$, 0x1F", None)]);
        assert_eq!(r.file_name(), "syntax-literals-step1.sql");
        let text = r.render();
        assert!(text.starts_with(
            "-- feature: Repro of syntax/literals step 1\n-- area: Repros\n-- mismatch: error vs success"
        ));
        let pieces = crate::workload::sql::split(&text).unwrap();
        let sqls: Vec<&str> = pieces.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(sqls, vec!["CREATE TABLE t (a int)", "SELECT $$;$$, 0x1F"], "unparse is the inverse of parse");
    }

    #[test]
    fn copy_data_a_psql_script_cannot_carry_makes_a_yaml_repro() {
        let mut copy = step("COPY t FROM STDIN WITH (FORMAT csv)", None);
        copy.copy_data = Some("1,\"a\n\\.\nb\"\n".into());
        let r = repro(vec![copy.clone()]);
        assert_eq!(r.file_name(), "syntax-literals-step1.yaml");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(r.file_name());
        std::fs::write(&path, r.render()).unwrap();
        let w = crate::workload::load_all(&[path]).unwrap().remove(0);
        assert_eq!(w.steps[0].copy_data, copy.copy_data, "the data, `\\.` line included");
        let mut unconfirmed = repro(vec![step("SELECT 1", None)]);
        unconfirmed.unconfirmed = true;
        assert!(unconfirmed.render().contains("replay: none offered") && !unconfirmed.render().contains("psql -X -f"));
        assert!(!unconfirmed.render_markdown().contains("Run it with"));
    }

    /// A suite test's repro: `\c` between tests is a psql line of its own and loads back as a
    /// new connection; not reducible, it holds the test's own statements and says what came
    /// before them.
    #[test]
    fn a_suite_tests_repro_reconnects_and_says_what_came_before() {
        let mut reconnect = step("\\c", None);
        reconnect.psql_only = true;
        reconnect.runtime = Some(Box::new(crate::model::Runtime { reconnect: true, ..Default::default() }));
        let r = repro(vec![step("CREATE TABLE t (a int)", None), reconnect, step("SELECT 0x1F", None)]);
        let text = r.render();
        assert!(text.contains("CREATE TABLE t (a int);\n\\c\nSELECT 0x1F;\n"), "{text}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(r.file_name());
        std::fs::write(&path, &text).unwrap();
        let w = crate::workload::load_all(&[path]).unwrap().remove(0);
        assert_eq!(w.steps.len(), 3);
        assert!(w.steps[1].runtime.as_ref().is_some_and(|r| r.reconnect), "{:?}", w.steps[1]);
        let own = Repro { not_reducible: true, original_statements: 9, ..repro(vec![step("SELECT 0x1F", None)]) };
        let text = own.render();
        assert!(text.contains("these are the test's own 1 (it ran after 8 statements of earlier tests"), "{text}");
    }

    #[test]
    fn multi_session_repros_are_yaml_workloads() {
        let r = repro(vec![step("SET work_mem = '1MB'", Some("a")), step("SHOW work_mem", Some("b"))]);
        assert_eq!(r.file_name(), "syntax-literals-step1.yaml");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(r.file_name());
        std::fs::write(&path, r.render()).unwrap();
        let w = crate::workload::load_all(&[path]).unwrap().remove(0);
        assert_eq!(w.sessions, vec!["a", "b"]);
        assert_eq!(
            w.steps.iter().map(|s| (s.session.clone().unwrap(), s.sql.clone())).collect::<Vec<_>>(),
            vec![("a".to_string(), "SET work_mem = '1MB'".to_string()), ("b".to_string(), "SHOW work_mem".to_string())]
        );
    }

    #[test]
    fn copy_data_survives_both_forms() {
        let data = "1\tit's\n2\t\\N\n";
        let mut copy = step("COPY t FROM STDIN", None);
        copy.copy_data = Some(data.into());
        let sql = repro(vec![step("CREATE TABLE t (a int, b text)", None), copy.clone(), step("SELECT 0x1F", None)]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(sql.file_name());
        std::fs::write(&path, sql.render()).unwrap();
        let w = crate::workload::load_all(&[path]).unwrap().remove(0);
        assert_eq!(w.steps[1].copy_data.as_deref(), Some(data), "psql form: data lines and \\.");
        assert_eq!(w.steps[2].sql, "SELECT 0x1F");
        copy.session = Some("a".into());
        let yaml = repro(vec![copy, step("SELECT 1", Some("b"))]);
        let path = dir.path().join(yaml.file_name());
        std::fs::write(&path, yaml.render()).unwrap();
        let w = crate::workload::load_all(&[path]).unwrap().remove(0);
        assert_eq!(w.steps[0].copy_data.as_deref(), Some(data), "yaml form: copy_data");
    }

    #[test]
    fn fingerprints_ignore_literals() {
        assert_eq!(fingerprint("SELECT 0x1F"), fingerprint("SELECT 0x2A"));
        assert_ne!(fingerprint("SELECT a FROM t"), fingerprint("SELECT b FROM t"));
    }
}
