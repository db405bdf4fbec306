//! Outcomes as text, one renderer for every place a person reads them: the console's diffs,
//! the scorecard's one-liners and the repros' bug-report bodies (pure).

use similar::TextDiff;

use crate::model::Outcome;

/// A unified diff of two outcomes' renderings, reference first.
pub fn diff(reference: &Outcome, candidate: &Outcome) -> String {
    let (a, b) = (outcome(reference), outcome(candidate));
    TextDiff::from_lines(&a, &b).unified_diff().context_radius(3).header("reference", "candidate").to_string()
}

/// An outcome as lines: values quoted, NULL bare, so `'NULL'` and NULL never look alike.
pub fn outcome(o: &Outcome) -> String {
    let mut out = String::new();
    if let Some(f) = &o.fault {
        out.push_str(&format!("fault: {f}\n"));
    }
    if let Some(w) = &o.wait {
        out.push_str(&format!("{w}\n"));
    }
    if let Some(types) = &o.param_types {
        out.push_str(&format!("parameter types: {}\n", types.join(", ")));
    }
    if let Some(cols) = &o.columns {
        let list: Vec<String> = cols
            .iter()
            .map(|c| match c.typmod {
                -1 => format!("{} {}", c.name, c.type_name),
                m => format!("{} {} (typmod {m})", c.name, c.type_name),
            })
            .collect();
        out.push_str(&format!("columns: {}\n", list.join(", ")));
    }
    let line = |row: &Vec<Option<String>>| -> String {
        let vals: Vec<String> = row
            .iter()
            .map(|v| match v {
                Some(s) => serde_json::to_string(s).unwrap_or_default(),
                None => "NULL".into(),
            })
            .collect();
        vals.join(", ")
    };
    if let Some(large) = &o.large {
        out.push_str(&format!(
            "rows: {} (too many to hold: the first {} are shown; multiset digest {}, in order {})\n",
            large.rows,
            o.rows.len(),
            large.multiset,
            &large.ordered[..large.ordered.len().min(32)]
        ));
    }
    for row in &o.rows {
        out.push_str(&format!("row: {}\n", line(row)));
    }
    if let Some(large) = &o.large {
        for row in &large.only_here {
            out.push_str(&format!("only here: {}\n", line(row)));
        }
    }
    if let Some(fetches) = o.fetches {
        out.push_str(&format!("batches: {fetches}\n"));
    }
    if let Some(tag) = &o.tag {
        out.push_str(&format!("tag: {tag}\n"));
    }
    if let Some(e) = &o.error {
        out.push_str(&format!("error: {} {} {}\n", e.severity, e.code, e.message));
        if let Some(d) = &e.detail {
            out.push_str(&format!("detail: {d}\n"));
        }
    }
    for n in &o.notices {
        out.push_str(&format!("notice: {} {} {}\n", n.severity, n.code, n.message));
    }
    for p in &o.parameters {
        out.push_str(&format!("parameter status: {} = {}\n", p.name, value(Some(&p.value))));
    }
    for n in &o.notifications {
        out.push_str(&format!("notification: {} {}\n", n.channel, value(Some(&n.payload))));
    }
    out.push_str(&format!("status: {}\n", o.status));
    out
}

/// A one-line description of an outcome for the scorecard.
pub fn short(o: &Outcome) -> String {
    let mut s = o.summary();
    if o.error.is_none() && o.fault.is_none() && o.columns.is_some() {
        let n = o.large.as_ref().map_or(o.rows.len() as u64, |l| l.rows);
        s.push_str(&format!(" ({n} row{})", if n == 1 { "" } else { "s" }));
    }
    if let Some(w) = &o.wait {
        s.push_str(&format!(" [{w}]"));
    }
    for p in &o.parameters {
        s.push_str(&format!(" [reports {} = {}]", p.name, value(Some(&p.value))));
    }
    for n in &o.notifications {
        s.push_str(&format!(" [notified on {}: {}]", n.channel, value(Some(&n.payload))));
    }
    s.replace('\n', " ")
}

/// A value as the reports show it: quoted, with what cannot be seen escaped (a NUL, a tab, a
/// trailing space shows inside the quotes), NULL bare.
pub fn value(v: Option<&str>) -> String {
    match v {
        None => "NULL".into(),
        Some(v) => format!("'{}'", v.escape_debug()),
    }
}

/// A data-diff table's differences in one line (`3 missing, 1 extra, 2 changed (name, price)`).
pub fn table_summary(t: &crate::model::TableDiff) -> String {
    if let Some(e) = &t.error {
        return format!("could not be compared: {e}");
    }
    let mut parts = Vec::new();
    for (n, what) in [(t.missing, "missing"), (t.extra, "extra")] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    if t.changed > 0 {
        let cols: Vec<&str> = t.columns.iter().map(|c| c.column.as_str()).collect();
        parts.push(format!("{} changed ({})", t.changed, cols.join(", ")));
    }
    if !t.ranges.is_empty() {
        parts.push(format!("{} key range(s) differ from the snapshot", t.ranges.len()));
    }
    for (cols, side) in [(&t.only_reference_columns, "reference"), (&t.only_candidate_columns, "candidate")] {
        if !cols.is_empty() {
            parts.push(format!("column(s) {} only on the {side}", cols.join(", ")));
        }
    }
    if parts.is_empty() {
        "equal".into()
    } else {
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Column, Notification, Parameter, ServerMessage, TxStatus};

    #[test]
    fn outcome_diff_quotes_values_and_shows_null_bare() {
        let col = |n: &str| Column { name: n.into(), type_name: "text".into(), typmod: -1 };
        let reference = Outcome {
            columns: Some(vec![col("a"), col("b")]),
            rows: vec![vec![None, Some("NULL".into())], vec![Some("".into()), Some("x".into())]],
            tag: Some("SELECT 2".into()),
            status: TxStatus::Idle,
            ..Outcome::default()
        };
        let candidate = Outcome {
            error: Some(ServerMessage {
                severity: "ERROR".into(),
                code: "0A000".into(),
                message: "not supported".into(),
                ..Default::default()
            }),
            status: TxStatus::Failed,
            ..Outcome::default()
        };
        insta::assert_snapshot!(diff(&reference, &candidate));
    }

    /// A mismatch in a field the old rendering left out showed an empty diff: every field that
    /// can differ is in the rendering.
    #[test]
    fn every_field_that_can_differ_shows_in_the_diff() {
        let base = Outcome {
            columns: Some(vec![Column { name: "v".into(), type_name: "character varying".into(), typmod: 24 }]),
            param_types: Some(vec!["integer".into()]),
            fetches: Some(2),
            tag: Some("SELECT 1".into()),
            status: TxStatus::Idle,
            ..Outcome::default()
        };
        let typmod = Outcome {
            columns: Some(vec![Column { typmod: 14, ..base.columns.clone().unwrap()[0].clone() }]),
            ..base.clone()
        };
        let params = Outcome { param_types: Some(vec!["bigint".into()]), ..base.clone() };
        let batches = Outcome { fetches: Some(3), ..base.clone() };
        let setting = Parameter { name: "search_path".into(), value: "s, public".into() };
        let reported = Outcome { parameters: vec![setting], ..base.clone() };
        let notified = Outcome {
            notifications: vec![Notification { channel: "jobs".into(), payload: "7".into() }],
            ..base.clone()
        };
        for other in [typmod, params, batches, reported, notified] {
            let d = diff(&base, &other);
            let changed =
                |l: &&str| (l.starts_with('-') || l.starts_with('+')) && !l.starts_with("---") && !l.starts_with("+++");
            assert!(d.lines().any(|l| changed(&l)), "empty diff for {other:?}");
        }
    }
}
