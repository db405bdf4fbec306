//! Thin entry point: parse arguments → validated plan → run → exit code.

use clap::Parser;
use pgparity::capture;
use pgparity::cli::{prepare, Cli, Command};
use pgparity::console::Console;
use pgparity::engine::pg::server::cleanup;
use pgparity::export::Tee;
use pgparity::model::error::exit;
use pgparity::model::Mode;
use pgparity::run::execute;

fn main() {
    let cli = Cli::parse();
    if let Command::Capture { listen, upstream, out } = cli.command {
        std::process::exit(capture(capture::Options { listen, upstream, out }));
    }
    let prepared = match prepare(cli.command) {
        Ok(p) => p,
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
        let mode = prepared.plan.mode;
        let mut files = prepared.files;
        let mut console = Console::new(mode == Mode::Record);
        let mut observers = Tee(vec![&mut files, &mut console]);
        let mut sigterm = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: cannot watch SIGTERM: {e}");
                return exit::TARGET;
            }
        };
        let interrupted = |name: &str, code: i32| {
            eprintln!("\n{name}: stopping the servers the harness started; finished workloads are written");
            cleanup::stop_all();
            code
        };
        tokio::select! {
            result = execute(prepared.plan, &mut observers) => match result {
                Ok(summary) => {
                    let blocked = summary.results.iter().any(|r| r.status == pgparity::model::Status::Blocked);
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
            _ = tokio::signal::ctrl_c() => interrupted("interrupted", 130),
            _ = sigterm.recv() => interrupted("terminated", 143),
        }
    });
    drop(runtime);
    std::process::exit(code);
}

/// `pgparity capture`: serve until Ctrl-C or SIGTERM (the proxy watches for both itself, so the
/// open connections' workloads are written before it returns).
fn capture(options: capture::Options) -> i32 {
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return exit::TARGET;
        }
    };
    let code = runtime.block_on(async move {
        match capture::serve(options).await {
            Ok(written) => {
                println!("captured {} connection(s)", written.len());
                exit::OK
            }
            Err(e) => {
                eprintln!("error: {e}");
                cleanup::stop_all();
                e.exit_code()
            }
        }
    });
    drop(runtime);
    code
}
