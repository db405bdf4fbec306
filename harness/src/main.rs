//! Thin entry point: parse arguments → validated job → one async runtime → exit code.

use clap::Parser;
use pgparity::capture;
use pgparity::cli::{prepare, Cli, Job};
use pgparity::console::Console;
use pgparity::engine::pg::server::cleanup;
use pgparity::export::{Files, Tee};
use pgparity::model::error::exit;
use pgparity::model::{Mode, Status};
use pgparity::run::{execute, Plan};

/// A Ctrl-C (2) or SIGTERM (15) that came before the runtime watched for them.
static EARLY_SIGNAL: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

extern "C" fn note_early_signal(signal: i32) {
    EARLY_SIGNAL.store(signal, std::sync::atomic::Ordering::SeqCst);
}

/// From the first instruction, a Ctrl-C or SIGTERM is noted rather than fatal: nothing has
/// started yet, and the exit code must still say what happened (130, 143). Once the runtime
/// watches signals its handler comes first (and this one only notes them again).
fn note_early_signals() {
    use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
    let action = SigAction::new(SigHandler::Handler(note_early_signal), SaFlags::SA_RESTART, SigSet::empty());
    for signal in [Signal::SIGINT, Signal::SIGTERM] {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        let _ = unsafe { sigaction(signal, &action) };
    }
}

/// The exit code for a signal noted before the runtime watched for them, if one came.
fn early_exit() -> Option<i32> {
    match EARLY_SIGNAL.load(std::sync::atomic::Ordering::SeqCst) {
        0 => None,
        15 => Some(143),
        _ => Some(130),
    }
}

fn main() {
    note_early_signals();
    let parsed = Cli::parse().command;
    if let Some(code) = early_exit() {
        std::process::exit(code);
    }
    let job = match prepare(parsed) {
        Ok(job) => job,
        Err(errors) => {
            for e in &errors {
                say_error(&e);
            }
            std::process::exit(errors.first().map(|e| e.exit_code()).unwrap_or(exit::USAGE));
        }
    };
    if let Some(code) = early_exit() {
        std::process::exit(code);
    }
    // Jobs that read files and run nothing.
    let job = match job {
        Job::Scorecard { saved, rules, files } => std::process::exit(scorecard(*saved, rules, files)),
        Job::Diff { runs, names, out } => std::process::exit(diff(*runs, names, out)),
        job => job,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(exit::TARGET);
        }
    };
    let code = runtime.block_on(async move {
        match job {
            Job::Compare { plan, files, strict_rules } => compare(*plan, files, strict_rules).await,
            Job::Migrate { plan, files } => migrate(*plan, files).await,
            Job::Compat { plan, files } => compat(*plan, files).await,
            Job::DataDiff { plan, files } => data_diff(*plan, files).await,
            Job::Capture(options) => capture(options).await,
            Job::Scorecard { .. } | Job::Diff { .. } => unreachable!("run above"),
        }
    });
    drop(runtime);
    std::process::exit(code);
}

/// Print to stdout past the last guard for secrets.
fn say(text: &str) {
    print!("{}", pgparity::model::secrets::scrub(text));
}

/// An error on stderr, past the last guard for secrets.
fn say_error(e: &impl std::fmt::Display) {
    eprintln!("error: {}", pgparity::model::secrets::scrub(&e.to_string()));
}

/// Drop what the harness made on servers it does not own, then stop every server it started
/// (signals, then a grace period).
async fn stop_all() {
    pgparity::engine::pg::drop_leftovers().await;
    let _ = tokio::task::spawn_blocking(cleanup::stop_all).await;
}

/// Run `work` until it is done, Ctrl-C or SIGTERM; on a signal, stop every server the harness
/// started and exit 130 or 143. `note` is said after the signal's name.
async fn until_signal(work: impl std::future::Future<Output = i32>, note: &str) -> i32 {
    use tokio::signal::unix::{signal, SignalKind};
    let (mut sigint, mut sigterm) = match (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) {
        (Ok(i), Ok(t)) => (i, t),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: cannot watch Ctrl-C and SIGTERM: {e}");
            return exit::TARGET;
        }
    };
    // Watched from here on; one that came before is acted on now.
    let (name, code) = match early_exit() {
        Some(143) => ("terminated", 143),
        Some(code) => ("interrupted", code),
        None => tokio::select! {
            code = work => return code,
            _ = sigint.recv() => ("interrupted", 130),
            _ = sigterm.recv() => ("terminated", 143),
        },
    };
    eprintln!("\n{name}: stopping the servers the harness started{note}");
    stop_all().await;
    code
}

/// run, record, check, reduce: until done, Ctrl-C or SIGTERM.
async fn compare(plan: Plan, mut files: Files, strict_rules: bool) -> i32 {
    let mode = plan.mode;
    let mut console = Console::new(mode == Mode::Record);
    let mut observers = Tee(vec![&mut files, &mut console]);
    let work = async {
        match execute(plan, &mut observers).await {
            Ok(summary) => {
                let blocked = summary.results.iter().any(|r| r.status == Status::Blocked);
                if summary.target_failed {
                    exit::TARGET
                } else if blocked && mode != Mode::Record {
                    exit::MISMATCH
                } else if strict_rules && !summary.stale_rules.is_empty() {
                    eprintln!("stale rules (--strict-rules): {}", summary.stale_rules.join(", "));
                    exit::MISMATCH
                } else {
                    exit::OK
                }
            }
            Err(e) => {
                say_error(&e);
                e.exit_code()
            }
        }
    };
    let code = until_signal(work, "; finished workloads are written").await;
    drop(observers);
    if let Err(e) = files.flush() {
        say_error(&e);
    }
    code
}

/// A job that ends in one report: on success `finish` prints and writes it and gives the exit
/// code; until done, Ctrl-C or SIGTERM.
async fn one_report<R>(
    work: impl std::future::Future<Output = pgparity::model::error::Result<R>>,
    finish: impl FnOnce(R) -> pgparity::model::error::Result<i32>,
) -> i32 {
    let work = async {
        match work.await {
            Ok(report) => or_error(finish(report)),
            Err(e) => {
                say_error(&e);
                stop_all().await;
                e.exit_code()
            }
        }
    };
    until_signal(work, "").await
}

/// `pgparity migrate`: the history on both sides, then the report.
async fn migrate(plan: pgparity::migrate::Plan, files: Files) -> i32 {
    one_report(pgparity::migrate::execute(&plan), |done| {
        say(&pgparity::console::migrations(&done.report, &done.targets));
        files.write_migrations(&done.report, &done.targets)?;
        Ok(if done.report.differs() { exit::MISMATCH } else { exit::OK })
    })
    .await
}

/// `pgparity compat`: the old traffic on each version, then the report.
async fn compat(plan: pgparity::compat::Plan, files: Files) -> i32 {
    one_report(pgparity::compat::execute(&plan), |done| {
        say(&pgparity::console::compat(&done.report, &done.target));
        files.write_compat(&done.report, &done.target)?;
        Ok(if done.target_failed {
            exit::TARGET
        } else if done.report.needs_attention() {
            exit::MISMATCH
        } else {
            exit::OK
        })
    })
    .await
}

/// `pgparity data-diff`: both sides streamed and compared, then the report.
async fn data_diff(plan: pgparity::datadiff::Plan, files: Files) -> i32 {
    one_report(pgparity::datadiff::execute(&plan), |report| {
        say(&pgparity::console::data(&report));
        files.write_data(&report)?;
        Ok(if report.differs() { exit::MISMATCH } else { exit::OK })
    })
    .await
}

/// `pgparity scorecard`: saved results rendered again, with the rules applied when given.
fn scorecard(mut saved: pgparity::export::json::Saved, rules: Option<pgparity::rules::Rules>, files: Files) -> i32 {
    if let Some(rules) = &rules {
        let mut counts = vec![0; rules.rules.len()];
        for r in &mut saved.workloads {
            pgparity::rules::Rules::revert(r);
            rules.apply(r, &saved.candidate.version, &mut counts);
        }
        saved.rules = rules.uses(&counts);
    }
    or_error(files.write_saved(&saved).map(|()| {
        println!("{}", pgparity::export::markdown::Counts::of(&saved.workloads).line());
        println!("written to {}", files.out.display());
        if saved.workloads.iter().any(|r| r.status == Status::Blocked) {
            exit::MISMATCH
        } else {
            exit::OK
        }
    }))
}

/// `pgparity diff`: two saved runs compared.
fn diff(
    runs: (pgparity::export::json::Saved, pgparity::export::json::Saved),
    names: (std::path::PathBuf, std::path::PathBuf),
    out: std::path::PathBuf,
) -> i32 {
    let (old, new) = (names.0.display().to_string(), names.1.display().to_string());
    let d = pgparity::rundiff::compare(&runs.0, &runs.1, (&old, &new));
    let md = pgparity::rundiff::markdown(&d);
    say(&md);
    let written = std::fs::create_dir_all(&out)
        .map_err(|e| pgparity::model::error::Error::io(&out, e))
        .and_then(|_| pgparity::store::write_atomically(&out.join("diff.md"), &md))
        .and_then(|_| pgparity::store::write_atomically(&out.join("diff.json"), &pgparity::store::json::to_string(&d)));
    or_error(written.map(|()| if d.regressed() { exit::MISMATCH } else { exit::OK }))
}

/// The exit code, or the error said and its code.
fn or_error(result: pgparity::model::error::Result<i32>) -> i32 {
    result.unwrap_or_else(|e| {
        say_error(&e);
        e.exit_code()
    })
}

/// `pgparity capture`: serve until Ctrl-C or SIGTERM (the proxy watches for both itself, so the
/// open connections' workloads are written before it returns).
async fn capture(options: capture::Options) -> i32 {
    match capture::serve(options).await {
        Ok(written) => {
            println!("captured {} connection(s)", written.len());
            exit::OK
        }
        Err(e) => {
            say_error(&e);
            stop_all().await;
            e.exit_code()
        }
    }
}
