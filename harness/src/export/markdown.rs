//! `scorecard.md`: the results as markdown, for a person.

use comfy_table::{presets, Table};
use serde::Serialize;

use crate::model::{CompatReport, CompatResult, MigrationReport, MigrationResult, MigrationStatus, TargetReport};
use crate::model::{RuleUse, Status, WorkloadResult};
use crate::render;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub works: usize,
    pub works_with_rewrite: usize,
    /// Works once known differences (`--rules`) are accepted.
    #[serde(skip_serializing_if = "is_zero")]
    pub accepted: usize,
    pub blocked: usize,
    pub not_tested: usize,
    pub statements_matched: usize,
    pub statements_total: usize,
    /// Of the matched statements, those a rule accepted.
    #[serde(skip_serializing_if = "is_zero")]
    pub statements_accepted: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Counts {
    pub fn of(results: &[WorkloadResult]) -> Self {
        let mut c = Counts::default();
        for r in results {
            match r.status {
                Status::Works => c.works += 1,
                Status::WorksWithRewrite => c.works_with_rewrite += 1,
                Status::Accepted => c.accepted += 1,
                Status::Blocked => c.blocked += 1,
                Status::NotTested => c.not_tested += 1,
            }
            c.statements_matched += r.matched;
            c.statements_total += r.total;
            c.statements_accepted += r.statements.iter().filter(|s| s.verdict.rule().is_some()).count();
        }
        c
    }

    pub fn line(&self) -> String {
        let accepted =
            if self.accepted > 0 { format!("{} Works with known differences, ", self.accepted) } else { String::new() };
        let by_rules = if self.statements_accepted > 0 {
            format!(" ({} of them accepted by rules)", self.statements_accepted)
        } else {
            String::new()
        };
        format!(
            "{} features: {} Works, {} Works with rewrite, {accepted}{} Blocked, {} Not tested; {}/{} statements matched{by_rules}",
            self.works + self.works_with_rewrite + self.accepted + self.blocked + self.not_tested,
            self.works,
            self.works_with_rewrite,
            self.blocked,
            self.not_tested,
            self.statements_matched,
            self.statements_total
        )
    }
}

/// A markdown table cell: `|` escaped (SQL's `||` would break the row), newlines flattened.
pub fn cell(text: &str) -> String {
    text.replace('\\', "\\\\").replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn sorted(results: &[WorkloadResult]) -> Vec<&WorkloadResult> {
    let mut v: Vec<&WorkloadResult> = results.iter().collect();
    v.sort_by(|a, b| (&a.area, &a.feature, &a.id).cmp(&(&b.area, &b.feature, &b.id)));
    v
}

fn notes(r: &WorkloadResult) -> String {
    let mut notes = r.reason.clone().unwrap_or_default();
    let mut rules: Vec<&str> = r.statements.iter().filter_map(|s| s.verdict.rule()).collect();
    if !rules.is_empty() {
        let n = rules.len();
        rules.sort();
        rules.dedup();
        let sep = if notes.is_empty() { "" } else { "; " };
        notes.push_str(&format!("{sep}{n} accepted ({})", rules.join(", ")));
    }
    for repro in &r.repros {
        notes.push_str(&format!("; repro: {repro}"));
    }
    notes
}

/// The feature table; `markdown` picks the preset (the terminal gets box drawing).
pub fn feature_table(results: &[WorkloadResult], markdown: bool) -> Table {
    let mut table = Table::new();
    table.load_style(if markdown { presets::ASCII_MARKDOWN } else { presets::UTF8_FULL_CONDENSED });
    table.set_header(vec!["Area", "Feature", "Verdict", "Statements", "Notes"]);
    let esc = |s: &str| if markdown { cell(s) } else { s.to_string() };
    for r in sorted(results) {
        let statements =
            if r.status == Status::NotTested { "-".to_string() } else { format!("{}/{}", r.matched, r.total) };
        table.add_row(vec![esc(&r.area), esc(&r.feature), r.status.to_string(), statements, esc(&notes(r))]);
    }
    table
}

fn target_line(label: &str, t: &TargetReport) -> String {
    let mut line = format!("| {label} | {} | `{}` |", cell(&t.version), cell(&t.target));
    let mut notes = t.adaptations();
    if !t.refused_settings.is_empty() {
        notes.push(format!("refused settings: {}", t.refused_settings.iter().cloned().collect::<Vec<_>>().join("; ")));
    }
    notes.extend(t.events.iter().map(|e| e.to_string()));
    line.push_str(&format!(" {} |", cell(&notes.join("; "))));
    line
}

/// `scorecard.md`. Deterministic for the same results and date.
/// The known-difference rules: what each accepted, the stale ones, and every accepted
/// difference with both outcomes (empty without rules).
fn rules_section(results: &[WorkloadResult], rules: &[RuleUse]) -> String {
    if rules.is_empty() {
        return String::new();
    }
    let mut out = String::from("\n## Known differences\n\n| Rule | Reason | Accepted |\n|---|---|---|\n");
    for r in rules {
        let reason = match &r.link {
            Some(link) => format!("{} ([link]({link}))", cell(&r.reason)),
            None => cell(&r.reason),
        };
        let accepted = if r.stale() { "0 (**stale**)".to_string() } else { r.accepted.to_string() };
        out.push_str(&format!("| `{}` | {reason} | {accepted} |\n", cell(&r.id)));
    }
    let stale: Vec<&str> = rules.iter().filter(|r| r.stale()).map(|r| r.id.as_str()).collect();
    if !stale.is_empty() {
        out.push_str(&format!(
            "\nStale (matched nothing in this run): {}.\n",
            stale.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
        ));
    }
    for r in sorted(results) {
        let accepted: Vec<&crate::model::StepResult> =
            r.statements.iter().filter(|s| s.verdict.rule().is_some()).collect();
        if accepted.is_empty() {
            continue;
        }
        out.push_str(&format!("\n### {} / {} (`{}`): accepted\n\n", r.area, r.feature, r.id));
        for s in accepted {
            out.push_str(&format!("- {} at `{}`: {}\n", s.label(), s.location, s.verdict));
        }
    }
    out
}

pub fn render_markdown(
    results: &[WorkloadResult],
    reference: &TargetReport,
    candidate: &TargetReport,
    date: &str,
    rules: &[RuleUse],
) -> String {
    let mut out = String::new();
    out.push_str("# pgparity scorecard\n\n");
    out.push_str(&format!("**{}**\n\n", Counts::of(results).line()));
    out.push_str("| Side | Server version | Target | Notes |\n|---|---|---|---|\n");
    out.push_str(&target_line("Reference", reference));
    out.push('\n');
    out.push_str(&target_line("Candidate", candidate));
    out.push_str(&format!("\n\nDate: {date}\n\n## Features\n\n"));
    out.push_str(&feature_table(results, true).to_string());
    out.push('\n');
    out.push_str(&isolation_section(results, reference, candidate));
    out.push_str(&rules_section(results, rules));
    let blocked: Vec<&WorkloadResult> =
        sorted(results).into_iter().filter(|r| r.mismatches().next().is_some()).collect();
    if !blocked.is_empty() {
        out.push_str("\n## Mismatches\n");
        for r in blocked {
            out.push_str(&format!("\n### {} / {} (`{}`)\n\n", r.area, r.feature, r.id));
            for s in r.mismatches() {
                out.push_str(&format!("- {} at `{}`: {}\n", s.label(), s.location, s.verdict));
                out.push_str(&format!("  - SQL: `{}`\n", inline_code(&s.sql)));
                if let Some(o) = &s.outcomes {
                    out.push_str(&format!("  - reference: {}\n", render::short(&o.reference)));
                    out.push_str(&format!("  - candidate: {}\n", render::short(&o.candidate)));
                }
            }
        }
    }
    out
}

/// `scorecard.md` of a migrate run: both targets, then per version whether the schemas are
/// still the same, each drift with both sides' values, and the history's invariants.
pub fn render_migrations(
    m: &MigrationReport,
    reference: &TargetReport,
    candidate: &TargetReport,
    date: &str,
) -> String {
    let count = |s: MigrationStatus| m.versions.iter().filter(|v| v.status == s).count();
    let mut out = String::new();
    out.push_str("# pgparity scorecard\n\n");
    out.push_str(&format!(
        "**{} versions: {} equivalent, {} drift, {} failed, {} one side only**\n\n",
        m.versions.len(),
        count(MigrationStatus::Equivalent),
        count(MigrationStatus::Drift),
        count(MigrationStatus::Failed),
        count(MigrationStatus::OneSide)
    ));
    out.push_str("| Side | Server version | Target | Notes |\n|---|---|---|---|\n");
    out.push_str(&target_line("Reference", reference));
    out.push('\n');
    out.push_str(&target_line("Candidate", candidate));
    out.push_str(&format!("\n\nDate: {date}\n\n## Migrations\n\n"));
    for (label, t) in [("Reference", &m.trees.reference), ("Candidate", &m.trees.candidate)] {
        let down = if t.down > 0 { format!("; {} down migrations left out", t.down) } else { String::new() };
        out.push_str(&format!("- {label} tree: `{}`, {} migrations, {}{down}\n", t.root, t.migrations, t.convention));
    }
    out.push_str("\n| Version | Reference file | Candidate file | Status | Details |\n|---|---|---|---|---|\n");
    for v in &m.versions {
        let file = |f: &Option<String>| f.as_deref().map(|f| format!("`{}`", cell(f))).unwrap_or_else(|| "-".into());
        let mut details: Vec<String> = v.drifts.iter().map(|d| format!("{} {}", d.kind, d.object)).collect();
        if v.carried > 0 {
            details.push(format!("{} earlier drift(s) still there", v.carried));
        }
        details.extend(v.errors.reference.iter().map(|e| format!("reference failed: {e}")));
        details.extend(v.errors.candidate.iter().map(|e| format!("candidate failed: {e}")));
        details.extend(v.notes.iter().cloned());
        details.extend(v.repros.iter().map(|r| format!("repro: [{r}]({r}/README.md)")));
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            cell(&v.version),
            file(&v.files.reference),
            file(&v.files.candidate),
            v.status,
            cell(&details.join("; "))
        ));
    }
    let drifted: Vec<&MigrationResult> = m.versions.iter().filter(|v| !v.drifts.is_empty()).collect();
    if !drifted.is_empty() {
        out.push_str("\n### Drifts, at the version where each first appears\n");
        for v in drifted {
            out.push_str(&format!("\n**Version {}**\n\n", v.version));
            out.push_str("| Object | What differs | Reference | Candidate |\n|---|---|---|---|\n");
            for d in &v.drifts {
                out.push_str(&format!(
                    "| `{}` | {} | {} | {} |\n",
                    cell(&d.object),
                    d.kind,
                    cell(&d.reference),
                    cell(&d.candidate)
                ));
            }
        }
    }
    if !m.invariants.is_empty() {
        out.push_str("\n### Invariants\n\n| Invariant | Reference | Candidate |\n|---|---|---|\n");
        let show = crate::model::Invariant::verdict;
        for i in &m.invariants {
            out.push_str(&format!("| {} | {} | {} |\n", i.name, show(i.holds.reference), show(i.holds.candidate)));
        }
        for i in &m.invariants {
            for e in &i.evidence {
                out.push_str(&format!("\n- {}: {}", i.name, cell(e)));
            }
        }
        out.push('\n');
    }
    out
}

/// `scorecard.md` of a compat run: per migration after the old build's last, its static class,
/// whether the old traffic behaves the same after it as before it, the evidence, and whether
/// its declaration agrees.
pub fn render_compat(c: &CompatReport, target: &TargetReport, date: &str) -> String {
    let count = |f: &dyn Fn(&CompatResult) -> bool| c.migrations.iter().filter(|m| f(m)).count();
    let mut out = String::from("# pgparity scorecard\n\n");
    out.push_str(&format!(
        "**Backward compatibility of {} migration(s) after {}: {} compatible, {} break the old build, {} not judged; \
         {} need attention**\n\n",
        c.migrations.len(),
        c.from,
        count(&|m| m.error.is_none() && m.backward_compatible == Some(true)),
        count(&|m| m.error.is_none() && m.backward_compatible == Some(false)),
        count(&|m| m.error.is_some() || m.backward_compatible.is_none()),
        count(&|m| m.needs_attention()),
    ));
    out.push_str("| Side | Server version | Target | Notes |\n|---|---|---|---|\n");
    out.push_str(&target_line("Target", target));
    out.push_str(&format!("\n\nDate: {date}\n\n## Backward compatibility\n\n"));
    out.push_str(&format!(
        "- Tree: `{}`, {} migrations, {}\n- The old build knows migrations up to **{}**; judged: the migrations \
         after it, up to {}\n- Traffic: {} workload(s), {} statement(s): {}\n- Databases: {}\n",
        cell(&c.tree.root),
        c.tree.migrations,
        c.tree.convention,
        cell(&c.from),
        cell(&c.to),
        c.traffic.len(),
        c.statements,
        c.traffic.iter().map(|t| format!("`{}`", cell(t))).collect::<Vec<_>>().join(", "),
        c.databases
    ));
    for n in &c.notes {
        out.push_str(&format!("- {}\n", cell(n)));
    }
    out.push_str(
        "\nA migration is **backward-compatible** when the old build's traffic gives the same outcomes after it as \
         before it; *old build runs* compares with the old build's own version instead.\n\n\
         | Version | File | Static class | Backward-compatible | Old build runs | Declared | Evidence | Repro |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    let yes_no = |v: Option<bool>| match v {
        Some(true) => "yes",
        Some(false) => "**no**",
        None => "-",
    };
    for m in &c.migrations {
        let verdict = match (&m.error, m.backward_compatible) {
            (Some(_), _) => "**migration fails**".to_string(),
            (None, v) => yes_no(v).to_string(),
        };
        let declared = match (m.declared, m.contradicts, m.needs_attention()) {
            (Some(d), true, _) => format!("{d} (**contradicted**)"),
            (Some(d), false, _) => d.to_string(),
            (None, _, true) => "- (**undeclared break**)".into(),
            (None, _, false) => "-".into(),
        };
        let evidence = match (m.evidence.first(), &m.error) {
            (_, Some(e)) => cell(e),
            (Some(e), None) => {
                let more = m.evidence.len() - 1 + m.later_differences;
                let more = if more > 0 { format!(" (+{more} more)") } else { String::new() };
                format!("`{}` ({}): {}{more}", cell(first_line(&e.statement)), cell(&e.location), cell(&e.how))
            }
            (None, None) => "-".into(),
        };
        let repros: Vec<String> = m.repros.iter().map(|r| format!("[repro]({r})")).collect();
        out.push_str(&format!(
            "| {} | `{}` | {} | {verdict} | {} | {declared} | {evidence} | {} |\n",
            cell(&m.version),
            cell(&m.file),
            m.static_class,
            yes_no(m.old_build_runs),
            if repros.is_empty() { "-".into() } else { repros.join(" ") }
        ));
    }
    for m in c.migrations.iter().filter(|m| !m.changes.is_empty() || !m.evidence.is_empty() || !m.notes.is_empty()) {
        out.push_str(&format!("\n### Migration {} (`{}`): {}\n\n", cell(&m.version), cell(&m.file), m.verdict()));
        for ch in &m.changes {
            let class = if ch.breaking { "potentially breaking" } else { "additive" };
            out.push_str(&format!("- {}: {class}\n", cell(&ch.what)));
        }
        for n in &m.notes {
            out.push_str(&format!("- *{}*\n", cell(n)));
        }
        if !m.evidence.is_empty() {
            out.push_str("\n| Statement | Where | How it broke | Before | After |\n|---|---|---|---|---|\n");
            for e in &m.evidence {
                out.push_str(&format!(
                    "| `{}` | {} | {} | {} | {} |\n",
                    cell(first_line(&e.statement)),
                    cell(&e.location),
                    cell(&e.how),
                    cell(&e.before),
                    cell(&e.after)
                ));
            }
            if m.later_differences > 0 {
                out.push_str(&format!(
                    "\n{} later statement(s) differ too (most follow from the ones above).\n",
                    m.later_differences
                ));
            }
        }
    }
    if let Some(r) = &c.reverse {
        out.push_str(&format!(
            "\n## The new build on the old schema\n\nThe new build's traffic ({} statement(s): {}) on the old build's \
             version ({}) against the newest ({}): {} the same, {} fail loudly (an error), **{} silently** (a success \
             with another result).\n",
            r.statements,
            r.traffic.iter().map(|t| format!("`{}`", cell(t))).collect::<Vec<_>>().join(", "),
            cell(&c.from),
            cell(&c.to),
            r.same,
            r.loud.len(),
            r.silent.len()
        ));
        if let Some(e) = &r.error {
            out.push_str(&format!("\n{}\n", cell(e)));
        }
        for (title, steps) in [("Silently", &r.silent), ("Loudly", &r.loud)] {
            if steps.is_empty() {
                continue;
            }
            out.push_str(&format!(
                "\n**{title}**\n\n| Statement | Where | On the newest | On the old |\n|---|---|---|---|\n"
            ));
            for s in steps {
                out.push_str(&format!(
                    "| `{}` | {} | {} | {} |\n",
                    cell(first_line(&s.statement)),
                    cell(&s.location),
                    cell(&s.on_new),
                    cell(&s.on_old)
                ));
            }
        }
    }
    out
}

/// `scorecard.md` of a data-diff run: a "Data" section — per table its rows on each side and
/// what differs, then per differing column its examples and hint.
pub fn render_data(d: &crate::model::DataReport, date: &str) -> String {
    let differing = d.tables.iter().filter(|t| !t.equal()).count() + d.only_reference.len() + d.only_candidate.len();
    let mut out = String::from("# pgparity scorecard\n\n");
    out.push_str(&match &d.snapshot_written {
        Some(file) => format!("**Snapshot of {} table(s) written to `{}`**\n\n", d.tables.len(), cell(file)),
        None => format!(
            "**Data: {} table(s) compared, {} equal, {differing} differ**\n\n",
            d.tables.len() + d.only_reference.len() + d.only_candidate.len(),
            d.tables.iter().filter(|t| t.equal()).count()
        ),
    });
    out.push_str(&format!(
        "- Reference: {}\n- Candidate: {}\n- Floats equal within a relative {:e}\n\nDate: {date}\n\n## Data\n\n",
        cell(&d.reference),
        cell(&d.candidate),
        d.float_tolerance
    ));
    out.push_str("| Table | Paired by | Rows (reference) | Rows (candidate) | Missing | Extra | Changed | Verdict |\n");
    out.push_str("|---|---|---|---|---|---|---|---|\n");
    for t in &d.tables {
        let paired = match (&t.pairing, t.key.is_empty()) {
            (Some(p), false) if *p != crate::model::Pairing::WholeRow => format!("{p} ({})", t.key.join(", ")),
            (Some(p), _) => p.to_string(),
            (None, _) => "-".into(),
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} | {} | {} |\n",
            cell(&t.table),
            cell(&paired),
            t.rows.reference,
            t.rows.candidate,
            t.missing,
            t.extra,
            t.changed,
            cell(&render::table_summary(t))
        ));
    }
    for (tables, side) in [(&d.only_reference, "reference"), (&d.only_candidate, "candidate")] {
        for t in tables {
            out.push_str(&format!("| `{}` | - | - | - | - | - | - | only on the {side} |\n", cell(t)));
        }
    }
    for t in d.tables.iter().filter(|t| !t.equal()) {
        out.push_str(&format!("\n### `{}`\n", cell(&t.table)));
        if !t.missing_examples.is_empty() {
            out.push_str(&format!("\n- Missing on the candidate: {}\n", cell(&t.missing_examples.join(", "))));
        }
        if !t.extra_examples.is_empty() {
            out.push_str(&format!("\n- Extra on the candidate: {}\n", cell(&t.extra_examples.join(", "))));
        }
        for r in &t.ranges {
            out.push_str(&format!("\n- Keys {}\n", cell(r)));
        }
        for c in &t.columns {
            let hint = c.hint.as_deref().map(|h| format!(": *{}*", cell(h))).unwrap_or_default();
            out.push_str(&format!("\n**`{}`** differs in {} row(s){hint}\n\n", cell(&c.column), c.rows));
            out.push_str("| Key | Reference | Candidate |\n|---|---|---|\n");
            for e in &c.examples {
                out.push_str(&format!(
                    "| {} | {} | {} |\n",
                    cell(&e.key),
                    cell(&render::value(e.reference.as_deref())),
                    cell(&render::value(e.candidate.as_deref()))
                ));
            }
        }
    }
    out
}

fn first_line(sql: &str) -> &str {
    sql.lines().next().unwrap_or("")
}

/// The anomaly × isolation level table of each side, and where they differ; empty when no
/// workload tests an anomaly.
pub fn isolation_section(results: &[WorkloadResult], reference: &TargetReport, candidate: &TargetReport) -> String {
    use crate::compare::isolation::{differences, levels, results_of, tables};
    let with = results_of(results);
    if with.is_empty() {
        return String::new();
    }
    let levels = levels(with.iter().map(|(_, r)| *r));
    let t = tables(with.iter().copied());
    let mut out = String::from(
        "\n## Isolation anomalies\n\nWhat each schedule showed on each side: *possible* (a witness of the anomaly was \
         observed), or *prevented* and how (a step blocked on a lock, a transaction aborted with that SQLSTATE).\n",
    );
    let header: String = levels.iter().map(|l| format!(" {l} |")).collect();
    let rule: String = levels.iter().map(|_| "---|").collect();
    for (label, side, report) in [("Reference", &t.reference, reference), ("Candidate", &t.candidate, candidate)] {
        out.push_str(&format!("\n### {label}: {}\n\n| Anomaly |{header}\n|---|{rule}\n", cell(&report.version)));
        for ((_, anomaly), row) in side {
            out.push_str(&format!("| {} |", cell(anomaly)));
            for level in &levels {
                let text = row.get(level).map(|(c, _)| c.to_string()).unwrap_or_else(|| "-".into());
                out.push_str(&format!(" {} |", cell(&text)));
            }
            out.push('\n');
        }
    }
    let diffs: Vec<String> = differences(&t)
        .iter()
        .map(|d| {
            let c = d.cells.candidate.to_string();
            let c = if d.weaker() { format!("**{c}** (weaker)") } else { c };
            format!(
                "| {} | {} | {} | {} | `{}` |",
                cell(d.anomaly),
                d.level,
                cell(&d.cells.reference.to_string()),
                cell(&c),
                d.id
            )
        })
        .collect();
    out.push_str("\n### Differences\n\n");
    if diffs.is_empty() {
        out.push_str("None: the candidate's table is the reference's.\n");
    } else {
        out.push_str("| Anomaly | Level | Reference | Candidate | Workload |\n|---|---|---|---|---|\n");
        out.push_str(&diffs.join("\n"));
        out.push('\n');
    }
    out
}

fn inline_code(sql: &str) -> String {
    let flat: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    let flat = flat.replace('`', "'");
    if flat.chars().count() > 160 {
        format!("{}…", flat.chars().take(160).collect::<String>())
    } else {
        flat
    }
}

/// Today's date (UTC) as YYYY-MM-DD, without a date crate.
pub fn today() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    civil_date((secs / 86_400) as i64)
}

/// Days since 1970-01-01 → YYYY-MM-DD (Howard Hinnant's civil_from_days).
pub fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::model::Strategy;
    use crate::model::{Column, Outcome, Pair, RestartCause, ServerMessage, TargetEvent, TxStatus};
    use crate::model::{MismatchKind, Normaliser, Phase, StepResult, Verdict};

    pub(in crate::export) fn target(name: &str, version: &str) -> TargetReport {
        TargetReport {
            target: name.into(),
            version: version.into(),
            connections: crate::model::Connections::Many,
            strategy: Some(Strategy::FreshDatabase),
            strategy_reason: None,
            refused_settings: Default::default(),
            events: Vec::new(),
        }
    }

    fn result(id: &str, area: &str, feature: &str, status: Status, statements: Vec<StepResult>) -> WorkloadResult {
        let mut r = WorkloadResult::of(id, status, statements);
        r.path = format!("workloads/{id}.yaml");
        r.feature = feature.into();
        r.area = area.into();
        r.reason = (status == Status::Blocked).then(|| "1 mismatched (error vs success)".to_string());
        r
    }

    fn step(index: usize, sql: &str, verdict: Verdict, outcomes: Option<Pair<Outcome>>) -> StepResult {
        StepResult {
            phase: Phase::Step,
            index,
            session: None,
            location: format!("workloads/x.yaml:{}:10", index + 4),
            sql: sql.into(),
            verdict,
            outcomes,
        }
    }

    /// Three workloads: one Blocked (a step errors on one side only), one Works, one Not tested.
    pub(in crate::export) fn sample() -> Vec<WorkloadResult> {
        let ok = Outcome {
            columns: Some(vec![Column { name: "?column?".into(), type_name: "integer".into(), typmod: -1 }]),
            rows: vec![vec![Some("31".into())]],
            tag: Some("SELECT 1".into()),
            status: TxStatus::Idle,
            ..Outcome::default()
        };
        let err = Outcome {
            error: Some(ServerMessage {
                severity: "ERROR".into(),
                code: "42601".into(),
                message: "trailing junk after numeric literal at or near \"0x1F\"".into(),
                ..ServerMessage::default()
            }),
            status: TxStatus::Idle,
            ..Outcome::default()
        };
        vec![
            result(
                "syntax/literals",
                "Syntax",
                "Hex literals",
                Status::Blocked,
                vec![
                    step(
                        1,
                        "SELECT 0x1F",
                        Verdict::Mismatch { kinds: vec![MismatchKind::ErrorVsSuccess], normalisers: vec![] },
                        Some(Pair::new(err, ok)),
                    ),
                    step(2, "SELECT 'a' || 'b'", Verdict::Match, None),
                ],
            ),
            result(
                "dml/returning",
                "DML",
                "INSERT … RETURNING",
                Status::Works,
                vec![step(
                    1,
                    "SELECT name FROM users",
                    Verdict::MatchAfter { normalisers: vec![Normaliser::MultisetOrder] },
                    None,
                )],
            ),
            WorkloadResult {
                reason: Some("requires extension:postgis: not available on the reference".into()),
                ..result("geo/points", "Geo", "PostGIS", Status::NotTested, vec![])
            },
        ]
    }

    #[test]
    fn scorecard_markdown() {
        let mut candidate = target("postgres://u:***@db:5433/app", "18.4");
        candidate
            .refused_settings
            .insert("lc_messages (42501 permission denied to set parameter \"lc_messages\")".into());
        candidate.events.push(TargetEvent::Restarted { cause: RestartCause::Crashed, result: Ok(()) });
        let md = render_markdown(&sample(), &target("local", "15.18"), &candidate, "2026-01-01", &[]);
        insta::assert_snapshot!(md);
    }

    #[test]
    fn pipes_in_cells_are_escaped() {
        assert_eq!(cell("a || b\nc"), "a \\|\\| b c");
        let mut r = sample();
        r[1].feature = "concat with ||".into();
        let md = feature_table(&r, true).to_string();
        assert!(md.contains("concat with \\|\\|"), "{md}");
        // Five columns: six unescaped `|` on every row, whatever the cells hold.
        let delimiters = |line: &str| line.replace("\\|", "").matches('|').count();
        assert!(md.lines().all(|l| delimiters(l) == 6), "{md}");
    }

    #[test]
    fn dates_without_a_date_crate() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(19_782), "2024-02-29");
        assert_eq!(civil_date(20_778), "2026-11-21");
    }

    #[test]
    fn counts_line() {
        assert_eq!(
            Counts::of(&sample()).line(),
            "3 features: 1 Works, 0 Works with rewrite, 1 Blocked, 1 Not tested; 2/3 statements matched"
        );
    }
}
