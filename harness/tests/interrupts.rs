//! Ctrl-C at random moments (during initdb, start-up, a statement, reduction, the report)
//! leaves nothing behind: no process, no directory, no shared memory, no database or schema on
//! a server the harness does not own. One test in its own binary, so that nothing else starts
//! servers meanwhile and the machine-wide counts mean this test.

mod common;

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// psql on the hand-made cluster: one value per line.
fn psql(port: u16, user: &str, db: &str, sql: &str) -> Vec<String> {
    let out = Command::new(pg_bindir().join("psql"))
        .args(["-X", "-At", "-h", "127.0.0.1", "-p", &port.to_string(), "-U", user, "-d", db, "-c", sql])
        .output()
        .expect("psql runs");
    assert!(out.status.success(), "psql {sql}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect()
}

/// Shared memory PostgreSQL servers hold: System V segments (by id) and `/dev/shm/PostgreSQL.*`
/// files (by name).
fn shared_memory() -> std::collections::BTreeSet<String> {
    let sysv = std::fs::read_to_string("/proc/sysvipc/shm").unwrap_or_default();
    let ids = sysv.lines().skip(1).filter_map(|l| l.split_whitespace().nth(1)).map(|id| format!("sysv {id}"));
    let posix = std::fs::read_dir("/dev/shm")
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("PostgreSQL."))
                .map(|n| format!("/dev/shm/{n}"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    ids.chain(posix).collect()
}

/// Processes whose command line mentions `needle` (the scratch folder every cluster lives in).
fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if entry.file_name().to_string_lossy().parse::<u32>().is_err() {
            continue;
        }
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else { continue };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(needle) {
            found.push(format!("{}: {cmdline}", entry.file_name().to_string_lossy()));
        }
    }
    found
}

/// Children of initdb and postmasters whose data directory is gone do not show the folder in
/// their command line: count the postgres OS user's processes instead.
fn postgres_processes() -> usize {
    let Ok(Some(pg)) = nix::unistd::User::from_name("postgres") else { return 0 };
    let mut n = 0;
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if entry.file_name().to_string_lossy().parse::<u32>().is_err() {
            continue;
        }
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else { continue };
        let uid = status.lines().find_map(|l| l.strip_prefix("Uid:")).and_then(|l| l.split_whitespace().next());
        let zombie = status.lines().any(|l| l.starts_with("State:") && l.contains('Z'));
        if !zombie && uid == Some(&pg.uid.as_raw().to_string()) {
            n += 1;
        }
    }
    n
}

fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    done()
}

#[test]
fn twenty_interrupts_leave_no_process_directory_shared_memory_database_or_schema() {
    // A server the harness does not own, with a role that may create databases and one that
    // may not (the fresh-schema fallback, in the role's own database).
    let url_server = ManualCluster::start("trust", "unused");
    let port = url_server.port;
    psql(port, "postgres", "postgres", "CREATE ROLE maker LOGIN CREATEDB");
    psql(port, "postgres", "postgres", "CREATE ROLE plain LOGIN");
    psql(port, "postgres", "postgres", "CREATE DATABASE appdb OWNER plain");
    psql(port, "plain", "appdb", "CREATE SCHEMA keepme");
    let databases_before = psql(port, "postgres", "postgres", "SELECT datname FROM pg_database ORDER BY 1");
    let schemas_before = psql(port, "plain", "appdb", "SELECT nspname FROM pg_namespace ORDER BY 1");

    let dir = scratch();
    // Statements that take a while, one that differs between the two servers (so reduction
    // runs), and schemas the workloads create themselves.
    let root = workload(
        dir.path(),
        "slow/a.sql",
        "CREATE SCHEMA made_here;\nCREATE TABLE made_here.t (a int);\nSELECT pg_sleep(0.4);\n\
         INSERT INTO made_here.t SELECT g FROM generate_series(1, 1000) g;\nSELECT pg_sleep(0.4);\n",
    );
    workload(
        dir.path(),
        "slow/b.sql",
        "CREATE TABLE t (a int, b text);\nINSERT INTO t VALUES (1, 'x'), (2, 'y'), (3, 'z');\n\
         SELECT a, b, current_setting('port') FROM t ORDER BY a;\nSELECT pg_sleep(0.3);\n",
    );
    workload(dir.path(), "slow/c.sql", "CREATE SCHEMA other;\nSELECT pg_sleep(0.5);\nSELECT 1;\n");
    let scratch_base = dir.path().join("clusters");
    std::fs::create_dir(&scratch_base).unwrap();
    if nix::unistd::geteuid().is_root() {
        // The clusters' parent must be reachable by the postgres OS user.
        std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&scratch_base, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    }
    let memory_before = shared_memory();
    // The fewest over a second: psql's backends may still be exiting.
    let postgres_before = (0..10)
        .map(|_| {
            std::thread::sleep(Duration::from_millis(100));
            postgres_processes()
        })
        .min()
        .unwrap_or(0);
    let needle = scratch_base.display().to_string();

    let mut outcomes = Vec::new();
    for i in 0..20u64 {
        let user = if i % 2 == 0 { "maker" } else { "plain" };
        let url = format!("postgres://{user}@127.0.0.1:{port}/{}", if i % 2 == 0 { "postgres" } else { "appdb" });
        let out = dir.path().join(format!("out-{i}"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_pgparity"))
            .args(["run", "--reference", "local", "--candidate", &url, "--reduce-seconds", "5", "--out"])
            .arg(&out)
            .arg(root.join("slow"))
            .env("PGPARITY_TMPDIR", &scratch_base)
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("pgparity starts");
        // From 30 ms (initdb) to about 4 s (reduction, the report), spread over the run.
        let delay = Duration::from_millis(30 + i * i * 11);
        std::thread::sleep(delay);
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), nix::sys::signal::SIGINT);
        let exited = wait_until(Duration::from_secs(60), || matches!(child.try_wait(), Ok(Some(_))));
        assert!(exited, "interrupt {i}: pgparity still running a minute after SIGINT");
        let output = child.wait_with_output().unwrap();
        // Killed by the signal itself (it came before `main` could watch for it: the exec
        // of a large binary on a loaded machine): what a shell reports, 128 + the signal.
        let code = output.status.code().or(output.status.signal().map(|s| 128 + s)).unwrap_or(-1);
        outcomes.push(format!("{}ms:{code}", delay.as_millis()));
        assert!([0, 1, 130].contains(&code), "interrupt {i}: exit {code}\n{}", String::from_utf8_lossy(&output.stderr));

        let left = std::fs::read_dir(&scratch_base).unwrap().flatten().map(|e| e.path()).collect::<Vec<_>>();
        assert!(left.is_empty(), "interrupt {i} ({outcomes:?}): directories left: {left:?}");
        let procs = processes_mentioning(&needle);
        assert!(procs.is_empty(), "interrupt {i}: processes left: {procs:?}");
        assert!(
            // Fewer is fine: the hand-made server's own workers come and go.
            wait_until(Duration::from_secs(10), || postgres_processes() <= postgres_before),
            "interrupt {i}: {} postgres processes, {postgres_before} before",
            postgres_processes()
        );
        // New segments only: others' may go meanwhile (a server of an earlier test still exiting).
        let new: Vec<String> = shared_memory().difference(&memory_before).cloned().collect();
        assert!(new.is_empty(), "interrupt {i} ({outcomes:?}): shared memory left: {new:?}");
        let databases = psql(port, "postgres", "postgres", "SELECT datname FROM pg_database ORDER BY 1");
        assert_eq!(databases, databases_before, "interrupt {i} ({outcomes:?}): databases left");
        let schemas = psql(port, "plain", "appdb", "SELECT nspname FROM pg_namespace ORDER BY 1");
        assert_eq!(schemas, schemas_before, "interrupt {i} ({outcomes:?}): schemas left");
        assert!(!out_has_partial_files(&out), "interrupt {i}: a half-written file in {}", out.display());
    }
    eprintln!("interrupts (delay:exit): {outcomes:?}");
    // Uninterrupted, in the fresh-schema fallback: the schemas the workloads made go too.
    let url = format!("postgres://plain@127.0.0.1:{port}/appdb");
    let out = dir.path().join("out-whole");
    let whole = Command::new(env!("CARGO_BIN_EXE_pgparity"))
        .args(["run", "--reference", "local", "--candidate", &url, "--no-reduce", "--out"])
        .arg(&out)
        .arg(root.join("slow"))
        .env("PGPARITY_TMPDIR", &scratch_base)
        .output()
        .unwrap();
    assert_eq!(whole.status.code(), Some(1), "{}", String::from_utf8_lossy(&whole.stderr));
    assert!(String::from_utf8_lossy(&std::fs::read(out.join("scorecard.md")).unwrap()).contains("fresh schema"));
    assert_eq!(psql(port, "plain", "appdb", "SELECT nspname FROM pg_namespace ORDER BY 1"), schemas_before);
    // At least the early ones hit start-up and the later ones a running workload.
    assert!(outcomes.iter().filter(|o| o.ends_with(":130")).count() >= 15, "{outcomes:?}");
}

/// Files are written atomically: a temp file beside the target (`NAME.tmp~`) is never left.
fn out_has_partial_files(out: &Path) -> bool {
    out.exists() && tree(out).iter().any(|(p, _)| p.to_string_lossy().ends_with(".tmp~"))
}
