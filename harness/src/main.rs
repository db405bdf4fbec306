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

fn main() {
    let job = match prepare(Cli::parse().command) {
        Ok(job) => job,
        Err(errors) => {
            for e in &errors {
                eprintln!("error: {e}");
            }
            std::process::exit(errors.first().map(|e| e.exit_code()).unwrap_or(exit::USAGE));
        }
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
            Job::Compare { plan, files } => compare(*plan, files).await,
            Job::Migrate { plan, files } => migrate(*plan, files).await,
            Job::Capture(options) => capture(options).await,
        }
    });
    drop(runtime);
    std::process::exit(code);
}

/// Stop every server the harness started (blocking: signals, then a grace period).
async fn stop_all() {
    let _ = tokio::task::spawn_blocking(cleanup::stop_all).await;
}

/// run, record, check, reduce: until done, Ctrl-C or SIGTERM.
async fn compare(plan: Plan, mut files: Files) -> i32 {
    let mode = plan.mode;
    let mut console = Console::new(mode == Mode::Record);
    let mut observers = Tee(vec![&mut files, &mut console]);
    let mut sigterm = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot watch SIGTERM: {e}");
            return exit::TARGET;
        }
    };
    let interrupted =
        |name: &str| eprintln!("\n{name}: stopping the servers the harness started; finished workloads are written");
    tokio::select! {
        result = execute(plan, &mut observers) => match result {
            Ok(summary) => {
                let blocked = summary.results.iter().any(|r| r.status == Status::Blocked);
                if summary.target_failed {
                    exit::TARGET
                } else if blocked && mode != Mode::Record {
                    exit::MISMATCH
                } else {
                    exit::OK
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                e.exit_code()
            }
        },
        _ = tokio::signal::ctrl_c() => {
            interrupted("interrupted");
            stop_all().await;
            130
        }
        _ = sigterm.recv() => {
            interrupted("terminated");
            stop_all().await;
            143
        }
    }
}

/// `pgparity migrate`: the history on both sides, then the report; until done, Ctrl-C or SIGTERM.
async fn migrate(plan: pgparity::migrate::Plan, files: Files) -> i32 {
    let mut sigterm = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot watch SIGTERM: {e}");
            return exit::TARGET;
        }
    };
    tokio::select! {
        result = pgparity::migrate::execute(&plan) => match result {
            Ok(done) => {
                print!("{}", pgparity::console::migrations(&done.report, &done.targets));
                if let Err(e) = files.write_migrations(&done.report, &done.targets) {
                    eprintln!("error: {e}");
                    return e.exit_code();
                }
                if done.report.differs() { exit::MISMATCH } else { exit::OK }
            }
            Err(e) => {
                eprintln!("error: {e}");
                stop_all().await;
                e.exit_code()
            }
        },
        _ = tokio::signal::ctrl_c() => {
            eprintln!("\ninterrupted: stopping the servers the harness started");
            stop_all().await;
            130
        }
        _ = sigterm.recv() => {
            eprintln!("\nterminated: stopping the servers the harness started");
            stop_all().await;
            143
        }
    }
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
            eprintln!("error: {e}");
            stop_all().await;
            e.exit_code()
        }
    }
}
