//! The isolation anomaly table: what a schedule's recording shows about its anomaly on one
//! side (possible, or prevented and how), and the anomaly × level table across workloads.

use std::collections::{BTreeMap, BTreeSet};

use super::sets::rows_equal;
use crate::model::expect::{Isolation, Level, Observation};
use crate::model::Step;
use crate::model::{Cell, IsolationResult, Outcome, Pair};

/// The Hermitage anomalies, in the order of its tables; others sort after them by name.
pub const HERMITAGE: [&str; 10] = ["G0", "G1a", "G1b", "G1c", "OTV", "PMP", "P4", "G-single", "G2-item", "G2"];

/// Read a side's recording of the steps: the anomaly's witness, else how it was prevented.
pub fn classify(spec: &Isolation, steps: &[Step], outcomes: &[Outcome]) -> Cell {
    for i in 0..steps.len() {
        match outcomes.get(i) {
            None => return Cell::Inconclusive { why: format!("step {} did not run", i + 1) },
            Some(Outcome { fault: Some(fault), .. }) => {
                return Cell::Inconclusive { why: format!("step {}: {fault}", i + 1) }
            }
            Some(_) => {}
        }
    }
    let holds = |n: usize, obs: &Observation| {
        let (o, step) = (&outcomes[n - 1], &steps[n - 1]);
        o.error.is_none()
            && match obs {
                Observation::Tag(t) => o.tag.as_ref() == Some(t),
                Observation::Rows(rows) => rows_equal(rows, o, step.ordered()),
            }
    };
    if spec.anomaly_if.iter().any(|all| all.iter().all(|(n, obs)| holds(*n, obs))) {
        return Cell::Possible;
    }
    let mut aborted: Vec<String> = Vec::new();
    for (i, o) in outcomes.iter().enumerate().take(steps.len()) {
        let Some(e) = &o.error else { continue };
        match e.code.as_str() {
            // Serialization failure, deadlock, a lock not granted (no-wait engines, lock_timeout):
            // how a level prevents an anomaly.
            c if c.starts_with("40") || c == "55P03" => {
                if !aborted.contains(&e.code) {
                    aborted.push(e.code.clone());
                }
            }
            // The rest of an aborted transaction; a step cancelled while still waiting.
            "25P02" | "57014" => {}
            _ => {
                let why = format!("step {} failed with {} ({})", i + 1, e.code, e.message);
                return Cell::Inconclusive { why };
            }
        }
    }
    let blocked = outcomes.iter().any(|o| o.wait.is_some());
    Cell::Prevented { blocked, aborted }
}

/// The results that test an anomaly, with their workload ids.
pub fn results_of(results: &[super::WorkloadResult]) -> Vec<(&str, &IsolationResult)> {
    results.iter().filter_map(|r| r.isolation.as_ref().map(|i| (r.id.as_str(), i))).collect()
}

/// The table of one side: anomaly → level → cell (and the workload it came from).
pub type Table<'a> = BTreeMap<(usize, &'a str), BTreeMap<Level, (&'a Cell, &'a str)>>;

/// Row order: Hermitage's first, then by name.
fn rank(anomaly: &str) -> usize {
    HERMITAGE.iter().position(|a| *a == anomaly).unwrap_or(HERMITAGE.len())
}

/// Build both sides' tables from `(workload id, result)` pairs.
pub fn tables<'a>(results: impl Iterator<Item = (&'a str, &'a IsolationResult)> + Clone) -> Pair<Table<'a>> {
    let side = |pick: fn(&'a Pair<Cell>) -> &'a Cell| {
        let mut t: Table<'a> = BTreeMap::new();
        for (id, r) in results.clone() {
            t.entry((rank(&r.anomaly), r.anomaly.as_str())).or_default().insert(r.level, (pick(&r.cells), id));
        }
        t
    };
    Pair::new(side(|p| &p.reference), side(|p| &p.candidate))
}

/// A cell where the candidate's table differs from the reference's.
pub struct Difference<'a> {
    pub anomaly: &'a str,
    pub level: Level,
    pub cells: Pair<&'a Cell>,
    /// The workload that showed it.
    pub id: &'a str,
}

impl Difference<'_> {
    /// The reference prevents the anomaly and the candidate lets it happen.
    pub fn weaker(&self) -> bool {
        matches!(self.cells.reference, Cell::Prevented { .. }) && matches!(self.cells.candidate, Cell::Possible)
    }
}

/// Every cell both tables have where they differ, in table order.
pub fn differences<'a>(t: &Pair<Table<'a>>) -> Vec<Difference<'a>> {
    let mut out = Vec::new();
    for (key, row) in &t.reference {
        for (level, (r, id)) in row {
            let Some((c, _)) = t.candidate.get(key).and_then(|row| row.get(level)) else { continue };
            if r != c {
                out.push(Difference { anomaly: key.1, level: *level, cells: Pair::new(*r, *c), id });
            }
        }
    }
    out
}

/// The levels any result covers, weakest first.
pub fn levels<'a>(results: impl Iterator<Item = &'a IsolationResult>) -> Vec<Level> {
    results.map(|r| r.level).collect::<BTreeSet<_>>().into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::error::Location;
    use crate::model::Order;
    use crate::model::{ServerMessage, TxStatus, Wait};

    fn steps(n: usize) -> Vec<Step> {
        (0..n)
            .map(|_| {
                crate::workload::step("SELECT 1".into(), Order::Auto, Location { file: "w".into(), line: 1, column: 1 })
            })
            .collect()
    }

    fn rows(values: &[(&str, &str)]) -> Outcome {
        Outcome {
            columns: Some(Vec::new()),
            rows: values.iter().map(|(a, b)| vec![Some(a.to_string()), Some(b.to_string())]).collect(),
            tag: Some(format!("SELECT {}", values.len())),
            status: TxStatus::InTransaction,
            ..Outcome::default()
        }
    }

    fn tag(t: &str) -> Outcome {
        Outcome { tag: Some(t.into()), status: TxStatus::Idle, ..Outcome::default() }
    }

    fn failed(code: &str) -> Outcome {
        let error = ServerMessage { severity: "ERROR".into(), code: code.into(), ..ServerMessage::default() };
        Outcome { error: Some(error), status: TxStatus::Failed, ..Outcome::default() }
    }

    /// G1b-like: step 2 reads; the anomaly shows if it reads 101.
    fn spec() -> Isolation {
        let witness = BTreeMap::from([(2, Observation::Rows(vec![vec![Some("1".into()), Some("101".into())]]))]);
        let lost_update =
            BTreeMap::from([(1, Observation::Tag("UPDATE 1".into())), (3, Observation::Tag("COMMIT".into()))]);
        Isolation { anomaly: "G1b".into(), level: Level::ReadCommitted, anomaly_if: vec![witness, lost_update] }
    }

    #[test]
    fn a_witness_makes_it_possible_else_the_way_it_was_prevented_is_named() {
        let s = steps(3);
        let seen = [tag("UPDATE 1"), rows(&[("1", "101")]), tag("ROLLBACK")];
        assert_eq!(classify(&spec(), &s, &seen), Cell::Possible);
        let both_tags = [tag("UPDATE 1"), rows(&[("1", "10")]), tag("COMMIT")];
        assert_eq!(classify(&spec(), &s, &both_tags), Cell::Possible, "every observation of one set holds");
        let snapshot = [tag("UPDATE 1"), rows(&[("1", "10")]), tag("ROLLBACK")];
        assert_eq!(classify(&spec(), &s, &snapshot), Cell::Prevented { blocked: false, aborted: vec![] });
        assert_eq!(classify(&spec(), &s, &snapshot).to_string(), "prevented");
        let waited = Outcome { wait: Some(Wait::Released { by: 3 }), ..failed("40001") };
        let aborted = [tag("UPDATE 1"), waited, failed("25P02")];
        let cell = classify(&spec(), &s, &aborted);
        assert_eq!(cell, Cell::Prevented { blocked: true, aborted: vec!["40001".into()] });
        assert_eq!(cell.to_string(), "prevented (blocked, aborted 40001)");
    }

    #[test]
    fn other_errors_and_faults_are_inconclusive() {
        let s = steps(3);
        let syntax = [failed("42601"), rows(&[("1", "10")]), tag("COMMIT")];
        let cell = classify(&spec(), &s, &syntax);
        assert!(matches!(&cell, Cell::Inconclusive { why } if why.starts_with("step 1 failed with 42601")), "{cell}");
        let lost = [tag("UPDATE 1"), Outcome::faulted(crate::model::Fault::ConnectionLost)];
        assert!(matches!(classify(&spec(), &s, &lost), Cell::Inconclusive { .. }));
    }

    #[test]
    fn tables_order_rows_as_hermitage_does() {
        let cell = |c: Cell| Pair::new(c.clone(), c);
        let prevented = Cell::Prevented { blocked: false, aborted: vec![] };
        let results = [
            ("x", IsolationResult { anomaly: "G2".into(), level: Level::Serializable, cells: cell(prevented.clone()) }),
            ("y", IsolationResult { anomaly: "Mine".into(), level: Level::ReadCommitted, cells: cell(Cell::Possible) }),
            ("z", IsolationResult { anomaly: "G0".into(), level: Level::ReadCommitted, cells: cell(prevented) }),
        ];
        let t = tables(results.iter().map(|(id, r)| (*id, r)));
        let order: Vec<&str> = t.reference.keys().map(|(_, a)| *a).collect();
        assert_eq!(order, vec!["G0", "G2", "Mine"]);
        assert_eq!(levels(results.iter().map(|(_, r)| r)), vec![Level::ReadCommitted, Level::Serializable]);
    }
}
