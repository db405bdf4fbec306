//! Helpers for tests that run the real `pgparity` binary against real PostgreSQL servers.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
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

pub fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A scratch directory, removed at drop.
pub fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("pgparity-test-")
        .tempdir()
        .expect("temp dir")
}

/// Write a workload file under `dir/workloads/<rel>` and return the workloads folder.
pub fn workload(dir: &Path, rel: &str, text: &str) -> PathBuf {
    let root = dir.join("workloads");
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    root
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
                out.push((
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

/// PostgreSQL 18 binaries, installed by the project's own script into its cache.
pub fn pg18_bindir() -> String {
    let out = Command::new(repo_root().join("scripts/install-pg18.sh"))
        .output()
        .expect("install script runs");
    assert!(
        out.status.success(),
        "install-pg18.sh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
