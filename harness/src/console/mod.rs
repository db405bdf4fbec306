//! The console: a progress bar on a terminal (plain lines otherwise), then the feature table and
//! each mismatch as a reference-vs-candidate diff — rendered to any writer, so a whole run's
//! output can be a snapshot test. Write errors (a closed pipe) never stop a run.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};

use indicatif::{ProgressBar, ProgressStyle};

use crate::model::error::Result;
use crate::model::{Event, Observer, TargetReport};
use crate::model::{Status, StepResult, WorkloadResult};

use crate::export::markdown::{feature_table, Counts};
use crate::render;

pub struct Console<W: Write = std::io::Stdout> {
    out: W,
    /// Show a progress bar (on stderr): only when stderr is a terminal.
    progress: bool,
    bar: Option<ProgressBar>,
    /// Print a line per recorded workload (`record`, where no verdict follows).
    pub show_recorded: bool,
    /// Most mismatch diffs printed at the end (the scorecard lists them all).
    pub max_diffs: usize,
}

impl Console {
    /// The console on standard output, with a progress bar when stderr is a terminal.
    pub fn new(show_recorded: bool) -> Self {
        Console { progress: std::io::stderr().is_terminal(), ..Console::to(std::io::stdout(), show_recorded) }
    }
}

impl<W: Write> Console<W> {
    /// The console rendered to `out`, without a progress bar.
    pub fn to(out: W, show_recorded: bool) -> Self {
        Console { out, progress: false, bar: None, show_recorded, max_diffs: 20 }
    }

    /// What was written, for a writer that keeps it.
    pub fn into_inner(self) -> W {
        self.out
    }

    /// A line above the progress bar while there is one.
    fn line(&mut self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(crate::model::secrets::scrub(text)),
            None => self.write(&format!("{text}\n")),
        }
    }

    /// Everything the console writes passes the last guard for secrets.
    fn write(&mut self, text: &str) {
        let _ = self.out.write_all(crate::model::secrets::scrub(text).as_bytes());
    }

    fn target(&mut self, label: &str, t: &TargetReport) {
        self.line(&format!("{label}: {} — {}", t.target, t.version));
    }
}

impl<W: Write> Observer for Console<W> {
    fn on(&mut self, event: Event<'_>) -> Result<()> {
        match event {
            Event::TargetsReady { reference, candidate } => {
                if let Some(r) = reference {
                    self.target("reference", r);
                }
                if let Some(c) = candidate {
                    self.target("candidate", c);
                }
            }
            Event::Started { total, workload, .. } => {
                if self.bar.is_none() && self.progress {
                    let bar = ProgressBar::new(total as u64);
                    bar.set_style(
                        ProgressStyle::with_template("{pos:>3}/{len} [{bar:30}] {msg}")
                            .expect("valid template")
                            .progress_chars("=> "),
                    );
                    self.bar = Some(bar);
                }
                if let Some(bar) = &self.bar {
                    bar.set_message(workload.id.clone());
                }
            }
            Event::Recorded { index, total, workload, run, .. } if self.show_recorded => {
                let n = run.original.setup.len() + run.original.steps.len();
                let what = match &run.not_tested {
                    Some(reason) => format!("not tested: {reason}"),
                    None => format!("recorded {n} statements"),
                };
                self.line(&format!("[{index:>3}/{total}] {:<40} {what}", workload.id));
                if let Some(bar) = &self.bar {
                    bar.set_position(index as u64);
                }
            }
            Event::Recorded { .. } => {}
            Event::Finished { index, total, result, .. } => {
                let detail = match result.status {
                    Status::NotTested => result.reason.clone().unwrap_or_default(),
                    _ => format!("{}/{}", result.matched, result.total),
                };
                self.line(&format!("[{index:>3}/{total}] {:<40} {} {detail}", result.id, result.status));
                if let Some(bar) = &self.bar {
                    bar.set_position(index as u64);
                }
            }
            Event::Reduced { repro, elapsed } => {
                let how = if repro.not_reducible {
                    "not reducible: original statements kept".to_string()
                } else {
                    format!(
                        "{} of {} statements, {} trials, {:.1} s{}",
                        repro.statements,
                        repro.original_statements,
                        repro.trials,
                        elapsed.as_secs_f64(),
                        if repro.minimal { ", 1-minimal" } else { "" }
                    ) + if repro.beside_run { ", beside the run" } else { "" }
                };
                self.line(&format!("repro {}: {how} ({} occurrence(s))", repro.path, repro.occurrences));
            }
            Event::ReductionFailed { occurrence, error } => {
                self.line(&format!("no repro for {occurrence}: {error}"));
            }
            Event::ReductionSkipped { count } => {
                self.line(&format!(
                    "{count} more distinct mismatch(es) not reduced: the run's reduction time (--reduce-total-seconds) is spent"
                ));
            }
            Event::Done { results, reference, candidate, rules } => {
                if let Some(bar) = self.bar.take() {
                    bar.finish_and_clear();
                }
                let mut text = diffs(results, self.max_diffs);
                let _ = writeln!(text, "{}", feature_table(results, false));
                for (label, t) in [("reference", reference), ("candidate", candidate)] {
                    if !t.refused_settings.is_empty() {
                        let list: Vec<String> = t.refused_settings.iter().cloned().collect();
                        let _ = writeln!(text, "{label} refused settings: {}", list.join("; "));
                    }
                    for e in &t.events {
                        let _ = writeln!(text, "{label}: {e}");
                    }
                }
                text.push_str(&isolation(results));
                for r in rules {
                    let what = if r.stale() {
                        "stale: it matched nothing".to_string()
                    } else {
                        format!("accepted {}", r.accepted)
                    };
                    let _ = writeln!(text, "rule {}: {what}", r.id);
                }
                let _ = writeln!(text, "{}", Counts::of(results).line());
                self.write(&text);
            }
        }
        Ok(())
    }
}

/// One line on the anomaly × level table (in full in scorecard.md), and every cell that differs.
fn isolation(results: &[WorkloadResult]) -> String {
    use crate::compare::isolation::{differences, results_of, tables};
    let mut out = String::new();
    let with = results_of(results);
    if with.is_empty() {
        return out;
    }
    let diffs = differences(&tables(with.iter().copied()));
    let _ = writeln!(
        out,
        "isolation anomalies: {} cells, {} differ (the tables are in scorecard.md)",
        with.len(),
        diffs.len()
    );
    for d in diffs {
        let weaker = if d.weaker() { " — weaker" } else { "" };
        let _ = writeln!(
            out,
            "  {} at {}: reference {}, candidate {}{weaker} ({})",
            d.anomaly, d.level, d.cells.reference, d.cells.candidate, d.id
        );
    }
    out
}

/// The first `max` mismatches, each with its SQL and diff.
fn diffs(results: &[WorkloadResult], max: usize) -> String {
    let mut out = String::new();
    let mismatches: Vec<(&WorkloadResult, &StepResult)> =
        results.iter().flat_map(|r| r.mismatches().map(move |s| (r, s))).collect();
    for (r, s) in mismatches.iter().take(max) {
        let _ = writeln!(out, "\n── {} {} at {}: {}", r.id, s.label(), s.location, s.verdict);
        let _ = writeln!(out, "   {}", s.sql.lines().collect::<Vec<_>>().join("\n   "));
        if let Some(o) = &s.outcomes {
            out.push_str(&render::diff(&o.reference, &o.candidate));
        }
    }
    if mismatches.len() > max {
        let _ =
            writeln!(out, "\n… and {} more mismatches (all in scorecard.md and results.json)", mismatches.len() - max);
    }
    if !mismatches.is_empty() {
        out.push('\n');
    }
    out
}

/// A migrate run on the console: both targets, a line per version, each drift, the invariants.
/// A data-diff run, as the console shows it: a line per table, its differing columns.
pub fn data(d: &crate::model::DataReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "reference: {}\ncandidate: {}", d.reference, d.candidate);
    for t in &d.tables {
        let _ = writeln!(
            out,
            "{:<32} {} / {} rows: {}",
            t.table,
            t.rows.reference,
            t.rows.candidate,
            crate::render::table_summary(t)
        );
        for c in &t.columns {
            let hint = c.hint.as_deref().map(|h| format!(" ({h})")).unwrap_or_default();
            let _ = writeln!(out, "    {}: {} row(s){hint}", c.column, c.rows);
            for e in c.examples.iter().take(3) {
                let (r, v) =
                    (crate::render::value(e.reference.as_deref()), crate::render::value(e.candidate.as_deref()));
                let _ = writeln!(out, "      {}: {r} → {v}", e.key);
            }
        }
        for r in &t.ranges {
            let _ = writeln!(out, "    keys {r}");
        }
    }
    for t in &d.only_reference {
        let _ = writeln!(out, "{t:<32} only on the reference");
    }
    for t in &d.only_candidate {
        let _ = writeln!(out, "{t:<32} only on the candidate");
    }
    match &d.snapshot_written {
        Some(file) => {
            let _ = writeln!(out, "snapshot of {} table(s) written to {file}", d.tables.len());
        }
        None => {
            let _ = writeln!(out, "{}", if d.differs() { "the contents differ" } else { "the contents are equal" });
        }
    }
    out
}

/// A compat run, as the console shows it: a line per migration, its evidence and notes.
pub fn compat(c: &crate::model::CompatReport, target: &TargetReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "target: {} — {}", target.target, target.version);
    let _ = writeln!(out, "tree: {} ({} migrations, {})", c.tree.root, c.tree.migrations, c.tree.convention);
    let _ = writeln!(
        out,
        "old build: migrations up to {}; traffic: {} workload(s), {} statement(s)",
        c.from,
        c.traffic.len(),
        c.statements
    );
    for n in &c.notes {
        let _ = writeln!(out, "note: {n}");
    }
    for m in &c.migrations {
        let declared = match m.declared {
            Some(d) => format!(", declared {d}{}", if m.contradicts { " (contradicted)" } else { "" }),
            None => String::new(),
        };
        let runs = match m.old_build_runs {
            Some(false) => ", the old build no longer runs here",
            _ => "",
        };
        let _ = writeln!(out, "migration {:<16} {} ({}{declared}){runs}", m.version, m.verdict(), m.static_class);
        if let Some(e) = &m.error {
            let _ = writeln!(out, "    {e}");
        }
        for e in &m.evidence {
            let first = e.statement.lines().next().unwrap_or("");
            let _ = writeln!(out, "    {}: {first}\n      {}", e.location, e.how);
        }
        if m.later_differences > 0 {
            let _ = writeln!(out, "    {} later statement(s) differ too", m.later_differences);
        }
        for n in &m.notes {
            let _ = writeln!(out, "    {n}");
        }
        for r in &m.repros {
            let _ = writeln!(out, "    repro: {r}");
        }
    }
    if let Some(r) = &c.reverse {
        let _ = writeln!(
            out,
            "new build on the old schema: {} statement(s), {} the same, {} fail loudly, {} silently",
            r.statements,
            r.same,
            r.loud.len(),
            r.silent.len()
        );
        for s in &r.silent {
            let first = s.statement.lines().next().unwrap_or("");
            let _ = writeln!(out, "    silently: {}: {first}: {} → on the old: {}", s.location, s.on_new, s.on_old);
        }
    }
    let attention = c.migrations.iter().filter(|m| m.needs_attention()).count();
    let _ = writeln!(out, "{} migration(s) judged, {attention} need attention", c.migrations.len());
    out
}

pub fn migrations(m: &crate::model::MigrationReport, targets: &crate::model::Pair<TargetReport>) -> String {
    let mut out = String::new();
    for (label, t) in [("reference", &targets.reference), ("candidate", &targets.candidate)] {
        let _ = writeln!(out, "{label}: {} — {}", t.target, t.version);
    }
    for (label, t) in [("reference", &m.trees.reference), ("candidate", &m.trees.candidate)] {
        let _ = writeln!(out, "{label} tree: {} ({} migrations, {})", t.root, t.migrations, t.convention);
    }
    for v in &m.versions {
        let carried =
            if v.carried > 0 { format!(" ({} earlier drift(s) still there)", v.carried) } else { String::new() };
        let _ = writeln!(out, "version {:<16} {}{carried}", v.version, v.status);
        for d in &v.drifts {
            let _ = writeln!(out, "    {} {}: reference {}, candidate {}", d.kind, d.object, d.reference, d.candidate);
        }
        for (side, e) in [("reference", &v.errors.reference), ("candidate", &v.errors.candidate)] {
            if let Some(e) = e {
                let _ = writeln!(out, "    {side} failed: {e}");
            }
        }
        for n in &v.notes {
            let _ = writeln!(out, "    {n}");
        }
    }
    for i in &m.invariants {
        let show = crate::model::Invariant::verdict;
        let _ =
            writeln!(out, "{}: reference {}, candidate {}", i.name, show(i.holds.reference), show(i.holds.candidate));
        for e in &i.evidence {
            let _ = writeln!(out, "    {e}");
        }
    }
    out
}
