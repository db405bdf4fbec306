//! Helpers for tests that run the real `pgparity` binary against real PostgreSQL servers.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// Run pgparity with `args` from the repository root.
pub fn pgparity(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_pgparity"))
        .args(args)
        .current_dir(repo_root())
        .env("NO_COLOR", "1")
        .output()
        .expect("pgparity runs");
    eprintln!(
        "$ pgparity {}\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `pgparity COMMAND --out SCRATCH ARGS…`: its exit code, its results.json (Null when none was
/// written), its output, and the scratch folder.
pub fn with_results(command: &str, args: &[&str]) -> (i32, serde_json::Value, Output, tempfile::TempDir) {
    let dir = scratch();
    let mut all = vec![command, "--out", dir.path().to_str().unwrap()];
    all.extend_from_slice(args);
    let out = pgparity(&all);
    let results = if dir.path().join("results.json").exists() { results(dir.path()) } else { serde_json::Value::Null };
    (code(&out), results, out, dir)
}

/// `pgparity run --candidate CANDIDATE --out OUT ARGS…`: a run against one candidate.
pub fn run_against(candidate: &str, out: &Path, args: &[&str]) -> Output {
    let mut all = vec!["run", "--candidate", candidate, "--out", out.to_str().unwrap()];
    all.extend_from_slice(args);
    pgparity(&all)
}

pub fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A scratch directory, removed at drop.
pub fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("pgparity-test-").tempdir().expect("temp dir")
}

/// Write a workload file under `dir/workloads/<rel>` and return the workloads folder.
pub fn workload(dir: &Path, rel: &str, text: &str) -> PathBuf {
    let root = dir.join("workloads");
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    root
}

/// The ids of the workloads of `results` with `status` (`blocked`, `works`…), in order.
pub fn with_status(results: &serde_json::Value, status: &str) -> Vec<String> {
    results["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["status"] == status)
        .map(|w| w["id"].as_str().unwrap().to_string())
        .collect()
}

pub fn results(out_dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(out_dir.join("results.json")).expect("results.json written");
    serde_json::from_str(&text).expect("results.json parses")
}

/// The result object of workload `id`.
pub fn workload_result<'a>(results: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    results["workloads"]
        .as_array()
        .expect("workloads array")
        .iter()
        .find(|w| w["id"] == id)
        .unwrap_or_else(|| panic!("no result for {id}"))
}

/// Every file under `dir`, relative path → bytes.
pub fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// PostgreSQL 18 binaries, installed by the project's own script into its cache.
pub fn pg18_bindir() -> String {
    let out = Command::new(repo_root().join("scripts/install-pg18.sh")).output().expect("install script runs");
    assert!(out.status.success(), "install-pg18.sh failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The PostgreSQL server binaries the tests use (as `local` finds them).
pub fn pg_bindir() -> PathBuf {
    let initdb = Command::new("sh")
        .arg("-c")
        .arg("command -v initdb || ls /usr/lib/postgresql/*/bin/initdb | tail -1")
        .output()
        .expect("sh runs");
    let path = PathBuf::from(String::from_utf8_lossy(&initdb.stdout).trim());
    std::fs::canonicalize(&path).expect("initdb found").parent().unwrap().to_path_buf()
}

/// A prefix that runs a command as the `postgres` OS user when the tests run as root.
pub fn as_postgres() -> &'static str {
    if nix::unistd::geteuid().is_root() {
        "runuser -u postgres --"
    } else {
        ""
    }
}

/// A cluster set up by hand (not by pgparity), e.g. with password authentication.
pub struct ManualCluster {
    pub dir: tempfile::TempDir,
    pub port: u16,
    bindir: PathBuf,
}

impl ManualCluster {
    /// initdb with `auth` for every connection and the superuser password `password`, started.
    pub fn start(auth: &str, password: &str) -> ManualCluster {
        let dir = scratch();
        if nix::unistd::geteuid().is_root() {
            let pg = nix::unistd::User::from_name("postgres").unwrap().expect("postgres OS user");
            std::os::unix::fs::chown(dir.path(), Some(pg.uid.as_raw()), Some(pg.gid.as_raw())).unwrap();
        }
        let pwfile = dir.path().join("pw");
        std::fs::write(&pwfile, password).unwrap();
        std::fs::set_permissions(&pwfile, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
        let port = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap().local_addr().unwrap().port();
        let bindir = pg_bindir();
        let data = dir.path().join("data");
        let script = format!(
            "{p} {b}/initdb -D {d} -U postgres -A {auth} --pwfile={pw} -N >/dev/null && \
             {p} {b}/pg_ctl -D {d} -l {d}.log -w -o '-p {port} -k {s} -c listen_addresses=127.0.0.1 -c fsync=off' start >/dev/null",
            p = as_postgres(),
            b = bindir.display(),
            d = data.display(),
            pw = pwfile.display(),
            s = dir.path().display(),
        );
        let out = Command::new("sh").arg("-c").arg(&script).output().unwrap();
        assert!(out.status.success(), "manual cluster: {}", String::from_utf8_lossy(&out.stderr));
        ManualCluster { dir, port, bindir }
    }
}

impl ManualCluster {
    /// initdb with trust, `hba` as pg_hba.conf, started with the `-c` settings `options`
    /// (paths in them may use `{dir}`, the cluster's folder, which the postgres user owns).
    pub fn start_configured(options: &str, hba: &str, prepare: impl FnOnce(&Path)) -> ManualCluster {
        let dir = scratch();
        prepare(dir.path());
        if nix::unistd::geteuid().is_root() {
            let pg = nix::unistd::User::from_name("postgres").unwrap().expect("postgres OS user");
            for entry in
                std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.path()).chain([dir.path().to_path_buf()])
            {
                std::os::unix::fs::chown(&entry, Some(pg.uid.as_raw()), Some(pg.gid.as_raw())).unwrap();
            }
        }
        let port = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap().local_addr().unwrap().port();
        let bindir = pg_bindir();
        let data = dir.path().join("data");
        let options = options.replace("{dir}", &dir.path().display().to_string());
        let init = format!(
            "{p} {b}/initdb -D {d} -U postgres -A trust -N >/dev/null",
            p = as_postgres(),
            b = bindir.display(),
            d = data.display()
        );
        let out = Command::new("sh").arg("-c").arg(&init).output().unwrap();
        assert!(out.status.success(), "initdb: {}", String::from_utf8_lossy(&out.stderr));
        std::fs::write(data.join("pg_hba.conf"), hba).unwrap();
        let start = format!(
            "{p} {b}/pg_ctl -D {d} -l {d}.log -w -o '-p {port} -k {s} -c listen_addresses=127.0.0.1 -c fsync=off {options}' start >/dev/null",
            p = as_postgres(),
            b = bindir.display(),
            d = data.display(),
            s = dir.path().display(),
        );
        let out = Command::new("sh").arg("-c").arg(&start).output().unwrap();
        let log = std::fs::read_to_string(format!("{}.log", data.display())).unwrap_or_default();
        assert!(out.status.success(), "pg_ctl: {}\n{log}", String::from_utf8_lossy(&out.stderr));
        ManualCluster { dir, port, bindir }
    }
}

impl Drop for ManualCluster {
    fn drop(&mut self) {
        let script = format!(
            "{} {}/pg_ctl -D {}/data -m immediate stop",
            as_postgres(),
            self.bindir.display(),
            self.dir.path().display()
        );
        let _ = Command::new("sh").arg("-c").arg(script).output();
    }
}

/// How many workloads the shipped suite has (files under `workloads/`).
pub fn suite_size() -> usize {
    fn count(dir: &Path) -> usize {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| match p.extension().and_then(|e| e.to_str()) {
                // Migration histories and compat examples live beside the workloads, not among them.
                _ if p.is_dir() && p.file_name().is_some_and(|n| n == "migrations" || n == "compat") => 0,
                _ if p.is_dir() => count(&p),
                Some("yaml" | "yml" | "sql") => 1,
                _ => 0,
            })
            .sum()
    }
    count(&repo_root().join("workloads"))
}

/// JUnit XML read back with a JUnit parser, checked against results.json: a test suite per
/// workload, a test case per judged statement (one skipped case for a workload not tested),
/// a failure per mismatching statement. Returns (tests, failures, skipped).
pub fn junit_matches_results(junit: &Path, out_dir: &Path) -> (usize, usize, usize) {
    let xml = std::fs::read_to_string(junit).expect("the JUnit file");
    let report = quick_junit::Report::deserialize_from_str(&xml).expect("valid JUnit XML");
    let results = results(out_dir);
    let workloads = results["workloads"].as_array().expect("workloads");
    assert_eq!(report.test_suites.len(), workloads.len(), "a suite per workload");
    let (mut tests, mut failures, mut skipped) = (0, 0, 0);
    for (suite, w) in report.test_suites.iter().zip(workloads) {
        assert_eq!(suite.name.as_str(), w["id"].as_str().unwrap());
        let statements = w["statements"].as_array().map_or(0, Vec::len);
        let mismatched =
            w["statements"].as_array().into_iter().flatten().filter(|s| s["verdict"] == "mismatch").count();
        let not_tested = usize::from(w["status"] == "not_tested");
        assert_eq!((suite.tests, suite.failures, suite.skipped), (statements.max(not_tested), mismatched, not_tested));
        tests += suite.tests;
        failures += suite.failures;
        skipped += suite.skipped;
    }
    assert_eq!((report.tests, report.failures, report.skipped), (tests, failures, skipped));
    (tests, failures, skipped)
}
