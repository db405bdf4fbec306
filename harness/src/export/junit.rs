//! JUnit XML for CI: a test suite per workload, a test case per statement (setup and steps,
//! as judged), a failure per mismatching statement whose message names the kinds and whose
//! body carries the SQL and the reference-vs-candidate diff; a workload that was not tested is
//! one skipped test case with the reason. Both servers' versions are suite properties.

use quick_junit::{NonSuccessKind, Property, Report as JunitReport, TestCase, TestCaseStatus, TestSuite};

use super::Report;
use crate::model::{Status, StepResult, Verdict, WorkloadResult};
use crate::render;

/// The report as JUnit XML.
pub fn render(report: &Report<'_>) -> String {
    let mut junit = JunitReport::new("pgparity");
    for r in report.results {
        junit.add_test_suite(suite(r, report));
    }
    if let Some(m) = report.migrations {
        junit.add_test_suite(migrations(m));
    }
    if let Some(c) = report.compat {
        junit.add_test_suite(compat(c));
    }
    if let Some(d) = report.data {
        junit.add_test_suite(data(d));
    }
    // Serialising into a String only fails on a writer error, which a String never gives.
    junit.to_string().unwrap_or_default()
}

fn suite(r: &WorkloadResult, report: &Report<'_>) -> TestSuite {
    let mut suite = TestSuite::new(r.id.as_str());
    suite.add_properties([
        Property::new("feature", r.feature.as_str()),
        Property::new("area", r.area.as_str()),
        Property::new("status", r.status.to_string()),
        Property::new("reference", report.reference.version.as_str()),
        Property::new("candidate", report.candidate.version.as_str()),
    ]);
    if r.status == Status::NotTested {
        let mut status = TestCaseStatus::skipped();
        status.set_message(r.reason.clone().unwrap_or_default());
        let mut case = TestCase::new("not tested", status);
        case.set_classname(r.id.as_str());
        suite.add_test_case(case);
        return suite;
    }
    for s in &r.statements {
        suite.add_test_case(case(r, s));
    }
    suite
}

/// A suite `migrations`: a test case per version, failing where it drifted or failed.
fn migrations(m: &crate::model::MigrationReport) -> TestSuite {
    use crate::model::MigrationStatus;
    let mut suite = TestSuite::new("migrations");
    for v in &m.versions {
        let status = match v.status {
            MigrationStatus::Equivalent | MigrationStatus::OneSide => TestCaseStatus::success(),
            MigrationStatus::Drift | MigrationStatus::Failed => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status.set_type(v.status.to_string());
                let lines: Vec<String> = v
                    .drifts
                    .iter()
                    .map(|d| format!("{} {}: {} vs {}", d.kind, d.object, d.reference, d.candidate))
                    .chain(v.errors.reference.iter().map(|e| format!("reference: {e}")))
                    .chain(v.errors.candidate.iter().map(|e| format!("candidate: {e}")))
                    .collect();
                status.set_message(format!("version {}: {}", v.version, v.status));
                status.set_description(lines.join("\n"));
                status
            }
        };
        let mut case = TestCase::new(format!("version {}", v.version), status);
        case.set_classname("migrations");
        suite.add_test_case(case);
    }
    suite
}

/// A suite `compat`: a test case per migration judged, failing where it needs attention (a
/// contradicted declaration, an undeclared break, a migration that fails).
fn compat(c: &crate::model::CompatReport) -> TestSuite {
    let mut suite = TestSuite::new("compat");
    suite.add_properties([Property::new("from", c.from.as_str()), Property::new("to", c.to.as_str())]);
    for m in &c.migrations {
        let status = if m.needs_attention() {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_type(m.verdict());
            status.set_message(format!("migration {}: {}", m.version, m.verdict()));
            let lines: Vec<String> = m
                .notes
                .iter()
                .cloned()
                .chain(m.error.iter().cloned())
                .chain(m.evidence.iter().map(|e| format!("{} ({}): {}", e.statement, e.location, e.how)))
                .collect();
            status.set_description(lines.join("\n"));
            status
        } else {
            TestCaseStatus::success()
        };
        let mut case = TestCase::new(format!("migration {}", m.version), status);
        case.set_classname("compat");
        suite.add_test_case(case);
    }
    suite
}

/// A suite `data`: a test case per table, failing where the contents differ.
fn data(d: &crate::model::DataReport) -> TestSuite {
    let mut suite = TestSuite::new("data");
    let mut add = |name: &str, failure: Option<String>| {
        let status = match failure {
            Some(message) => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status.set_message(message);
                status
            }
            None => TestCaseStatus::success(),
        };
        let mut case = TestCase::new(name.to_string(), status);
        case.set_classname("data");
        suite.add_test_case(case);
    };
    for t in &d.tables {
        let failure = (!t.equal()).then(|| crate::render::table_summary(t));
        add(&t.table, failure);
    }
    for t in &d.only_reference {
        add(t, Some("only on the reference".into()));
    }
    for t in &d.only_candidate {
        add(t, Some("only on the candidate".into()));
    }
    suite
}

fn case(r: &WorkloadResult, s: &StepResult) -> TestCase {
    let status = match &s.verdict {
        Verdict::Mismatch { kinds, .. } => {
            let kinds: Vec<String> = kinds.iter().map(|k| k.to_string()).collect();
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_type(kinds.join(", "));
            status.set_message(format!("{} at {}: {}", s.label(), s.location, s.verdict));
            let diff = s.outcomes.as_ref().map(|o| render::diff(&o.reference, &o.candidate)).unwrap_or_default();
            status.set_description(format!("{}\n\n{diff}", s.sql));
            status
        }
        Verdict::Match | Verdict::MatchAfter { .. } | Verdict::Accepted { .. } => TestCaseStatus::success(),
    };
    let mut case = TestCase::new(s.label(), status);
    case.set_classname(r.id.as_str());
    if let Verdict::Accepted { .. } = &s.verdict {
        case.set_system_out(s.verdict.to_string());
    }
    case
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::markdown::tests::{sample, target};

    #[test]
    fn suites_cases_failures_and_skips_read_back_as_written() {
        let results = sample();
        let (reference, candidate) = (target("local", "15.18"), target("local", "18.4"));
        let xml = render(&Report {
            results: &results,
            reference: &reference,
            candidate: &candidate,
            date: "2026-01-01",
            migrations: None,
            compat: None,
            data: None,
            rules: &[],
        });
        let back = JunitReport::deserialize_from_str(&xml).expect("valid JUnit XML");
        assert_eq!((back.tests, back.failures, back.skipped, back.errors), (4, 1, 1, 0));
        let blocked = &back.test_suites[0];
        assert_eq!(blocked.name.as_str(), "syntax/literals");
        assert_eq!((blocked.tests, blocked.failures), (2, 1));
        let versions: Vec<(&str, &str)> = blocked
            .properties
            .iter()
            .map(|p| (p.name.as_str(), p.value.as_str()))
            .filter(|(n, _)| ["reference", "candidate"].contains(n))
            .collect();
        assert_eq!(versions, [("reference", "15.18"), ("candidate", "18.4")]);
        let TestCaseStatus::NonSuccess { message, ty, description, .. } = &blocked.test_cases[0].status else {
            panic!("a failure: {:?}", blocked.test_cases[0].status)
        };
        assert_eq!(ty.as_ref().map(|t| t.as_str()), Some("error vs success"));
        assert!(message.as_ref().unwrap().as_str().starts_with("step 1 at workloads/x.yaml:5:10"));
        let body = description.as_ref().unwrap().as_str();
        assert!(
            body.starts_with("SELECT 0x1F") && body.contains("-error: ERROR 42601") && body.contains("+row: \"31\""),
            "{body}"
        );
        let skipped = &back.test_suites[2];
        assert!(
            matches!(&skipped.test_cases[0].status, TestCaseStatus::Skipped { message: Some(m), .. } if m.as_str().starts_with("requires extension:postgis"))
        );
    }
}
