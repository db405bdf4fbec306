//! Thin entry point: parse arguments → validated plan → run → exit code.

use clap::Parser;
use pgparity::cli::{prepare, Cli};
use pgparity::error::exit;
use pgparity::report::console::Console;
use pgparity::report::Tee;
use pgparity::run::{execute, Mode};
use pgparity::target::cleanup;

fn main() {
    let cli = Cli::parse();
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
                    let blocked = summary.results.iter().any(|r| r.status == pgparity::compare::Status::Blocked);
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
