//! The console: a progress bar on a terminal (plain lines otherwise), then the feature table and
//! each mismatch as a reference-vs-candidate diff.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

use crate::model::error::Result;
use crate::model::{Event, Observer, TargetReport};
use crate::model::{Status, StepResult, WorkloadResult};

use crate::export::markdown::{feature_table, Counts};
use crate::render;

pub struct Console {
    bar: Option<ProgressBar>,
    /// Print a line per recorded workload (`record`, where no verdict follows).
    pub show_recorded: bool,
    /// Most mismatch diffs printed at the end (the scorecard lists them all).
    pub max_diffs: usize,
}

impl Console {
    pub fn new(show_recorded: bool) -> Self {
        Console { bar: None, show_recorded, max_diffs: 20 }
    }

    fn line(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => println!("{text}"),
        }
    }

    fn target(&self, label: &str, t: &TargetReport) {
        self.line(&format!("{label}: {} — {}", t.target, t.version));
    }
}

impl Observer for Console {
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
                if self.bar.is_none() && std::io::stderr().is_terminal() {
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
            Event::ReductionSkipped { count } => {
                self.line(&format!(
                    "{count} more distinct mismatch(es) not reduced: the run's reduction time (--reduce-total-seconds) is spent"
                ));
            }
            Event::Done { results, reference, candidate } => {
                if let Some(bar) = self.bar.take() {
                    bar.finish_and_clear();
                }
                print_diffs(results, self.max_diffs);
                println!("{}", feature_table(results, false));
                for (label, t) in [("reference", reference), ("candidate", candidate)] {
                    if !t.refused_settings.is_empty() {
                        let list: Vec<String> = t.refused_settings.iter().cloned().collect();
                        println!("{label} refused settings: {}", list.join("; "));
                    }
                    for e in &t.events {
                        println!("{label}: {e}");
                    }
                }
                print_isolation(results);
                println!("{}", Counts::of(results).line());
            }
        }
        Ok(())
    }
}

/// One line on the anomaly × level table (in full in scorecard.md), and every cell that differs.
fn print_isolation(results: &[WorkloadResult]) {
    use crate::compare::isolation::{differences, results_of, tables};
    let with = results_of(results);
    if with.is_empty() {
        return;
    }
    let diffs = differences(&tables(with.iter().copied()));
    println!("isolation anomalies: {} cells, {} differ (the tables are in scorecard.md)", with.len(), diffs.len());
    for d in diffs {
        let weaker = if d.weaker() { " — weaker" } else { "" };
        println!(
            "  {} at {}: reference {}, candidate {}{weaker} ({})",
            d.anomaly, d.level, d.cells.reference, d.cells.candidate, d.id
        );
    }
}

fn print_diffs(results: &[WorkloadResult], max: usize) {
    let mismatches: Vec<(&WorkloadResult, &StepResult)> =
        results.iter().flat_map(|r| r.mismatches().map(move |s| (r, s))).collect();
    for (r, s) in mismatches.iter().take(max) {
        println!("\n── {} {} at {}: {}", r.id, s.label(), s.location, s.verdict);
        println!("   {}", s.sql.lines().collect::<Vec<_>>().join("\n   "));
        if let Some(o) = &s.outcomes {
            print!("{}", render::diff(&o.reference, &o.candidate));
        }
    }
    if mismatches.len() > max {
        println!("\n… and {} more mismatches (all in scorecard.md and results.json)", mismatches.len() - max);
    }
    if !mismatches.is_empty() {
        println!();
    }
}
