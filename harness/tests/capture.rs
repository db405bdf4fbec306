//! The capture proxy under real clients (psql and node-postgres), in front of a local cluster
//! it starts itself: forwarded results are byte-identical to a direct connection, the written
//! workloads replay with zero mismatches, SSL is refused cleanly, cancel requests pass through,
//! and 20 concurrent connections are captured without loss.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

struct Capturing {
    child: Child,
    port: u16,
    /// `postgres://postgres@127.0.0.1:PORT/postgres`: the upstream, for direct connections.
    upstream_port: u16,
}

fn start_capture(out: &Path) -> Capturing {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pgparity"))
        .args(["capture", "--listen", "127.0.0.1:0", "--upstream", "local", "-o", out.to_str().unwrap()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut port = None;
    let mut upstream_port = None;
    while port.is_none() || upstream_port.is_none() {
        let line = lines.next().expect("capture prints where it listens").unwrap();
        if let Some(addr) = line.strip_prefix("listening on ") {
            port = addr.rsplit(':').next().and_then(|p| p.parse().ok());
        }
        if let Some(url) = line.strip_prefix("upstream: postgres://postgres@127.0.0.1:") {
            upstream_port = url.split('/').next().and_then(|p| p.parse().ok());
        }
    }
    // Keep draining stdout so the proxy never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Capturing { child, port: port.unwrap(), upstream_port: upstream_port.unwrap() }
}

/// A test that fails part-way still stops its proxy (and the cluster the proxy started).
impl Drop for Capturing {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
            let _ = self.child.wait();
        }
    }
}

/// SIGTERM, as a user's Ctrl-C would: every open connection's workload is written, exit 0.
fn stop(mut c: Capturing) {
    Command::new("kill").args(["-TERM", &c.child.id().to_string()]).status().unwrap();
    let status = c.child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

fn psql(port: u16, args: &[&str]) -> std::process::Output {
    Command::new(pg_bindir().join("psql"))
        .args(["-X", "-h", "127.0.0.1", "-p", &port.to_string(), "-U", "postgres", "-d", "postgres"])
        .args(args)
        .output()
        .unwrap()
}

fn captured(out: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(out).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files
}

/// Replay the captured workloads, PostgreSQL 15 against itself: zero mismatches. The captured
/// `pg_sleep(30)` (cancelled in the capture) must time out on both sides: with the default
/// 30 s timeout, one side's sleep could end just before its timeout and the other's just after.
fn assert_replays(out: &Path, scratch: &Path) {
    let replay = scratch.join("replay");
    let args = ["run", "--no-reduce", "--timeout", "5", "--out", replay.to_str().unwrap(), out.to_str().unwrap()];
    let run = pgparity(&args);
    assert_eq!(code(&run), 0, "{}", String::from_utf8_lossy(&run.stdout));
    assert_eq!(results(&replay)["summary"]["blocked"], 0);
}

const PSQL_SCRIPT: &str = "\
CREATE TEMP TABLE items (id int PRIMARY KEY, name text, price numeric(6,2));
INSERT INTO items VALUES (1, 'apple', 1.25), (2, 'bread', NULL);
COPY items FROM STDIN;
3\tcheese\t7.00
\\.
SELECT * FROM items ORDER BY id;
SELECT 1 / 0;
BEGIN;
UPDATE items SET price = price * 2 RETURNING id, price;
ROLLBACK;
\\d pg_catalog.pg_am
\\dn pg_catalog
";

#[test]
fn psql_through_the_proxy_sees_what_it_sees_directly_and_the_capture_replays() {
    let dir = scratch();
    let out = dir.path().join("captured");
    let c = start_capture(&out);
    let script = dir.path().join("script.sql");
    std::fs::write(&script, PSQL_SCRIPT).unwrap();
    let proxied = psql(c.port, &["-f", script.to_str().unwrap()]);
    let direct = psql(c.upstream_port, &["-f", script.to_str().unwrap()]);
    assert!(proxied.status.success() && !proxied.stdout.is_empty(), "{}", String::from_utf8_lossy(&proxied.stderr));
    assert_eq!(proxied.stdout, direct.stdout, "byte-identical results");
    assert_eq!(proxied.stderr, direct.stderr, "the same errors");
    // SSL: psql's default (prefer) was refused and went on in the clear; require fails cleanly.
    let require = Command::new(pg_bindir().join("psql"))
        .args(["-X", &format!("host=127.0.0.1 port={} user=postgres dbname=postgres sslmode=require", c.port)])
        .args(["-c", "SELECT 1"])
        .output()
        .unwrap();
    assert!(!require.status.success());
    assert!(String::from_utf8_lossy(&require.stderr).contains("server does not support SSL"), "{require:?}");
    // A cancel request goes through to the server.
    let sleeper = Command::new(pg_bindir().join("psql"))
        .args(["-X", "-h", "127.0.0.1", "-p", &c.port.to_string(), "-U", "postgres", "-c", "SELECT pg_sleep(30)"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(1));
    let started = Instant::now();
    Command::new("kill").args(["-INT", &sleeper.id().to_string()]).status().unwrap();
    let cancelled = sleeper.wait_with_output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(10), "cancelled, not waited out");
    assert!(
        String::from_utf8_lossy(&cancelled.stderr).contains("canceling statement due to user request"),
        "{cancelled:?}"
    );
    stop(c);
    let files = captured(&out);
    let text: Vec<String> = files.iter().map(|f| std::fs::read_to_string(f).unwrap()).collect();
    let script_capture = text.iter().find(|t| t.contains("CREATE TEMP TABLE items")).expect("the script's connection");
    // psql sends the `\.` line too: the data is kept byte for byte.
    assert!(script_capture.contains("copy_data: \"3\\tcheese\\t7.00\\n\\\\.\\n\""), "{script_capture}");
    assert!(script_capture.contains("pg_catalog.pg_am"), "psql's \\d queries are captured: {script_capture}");
    assert!(text.iter().any(|t| t.contains("pg_sleep(30)")));
    assert_replays(&out, dir.path());
}

#[test]
fn node_postgres_through_the_proxy_is_captured_with_its_parameters() {
    let install = Command::new(repo_root().join("clients/node-pg.sh")).arg("--install").status().unwrap();
    assert!(install.success(), "node-postgres installs");
    let dir = scratch();
    let out = dir.path().join("captured");
    let c = start_capture(&out);
    let node = |port: u16| {
        Command::new(repo_root().join("clients/node-pg.sh"))
            .args([repo_root().join("clients/node_pg_client.js").to_str().unwrap(), &port.to_string()])
            .output()
            .unwrap()
    };
    let (proxied, direct) = (node(c.port), node(c.upstream_port));
    assert!(proxied.status.success(), "{}", String::from_utf8_lossy(&proxied.stderr));
    assert_eq!(proxied.stdout, direct.stdout, "byte-identical results");
    assert_eq!(
        String::from_utf8_lossy(&proxied.stdout).trim(),
        r#"[[{"name":"apple","price":"1.25"}],[{"name":"cheese","price":"7.00"}],[{"n":42,"t":"x"}],"23505",[{"n":3}]]"#
    );
    stop(c);
    let files = captured(&out);
    assert_eq!(files.len(), 1, "{files:?}");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(text.contains("protocol: extended"), "{text}");
    assert!(text.contains(r#"params: ["2","bread",null]"#), "{text}");
    assert_eq!(text.matches("statement: \"item_by_id\"").count(), 2, "parsed once, reused: {text}");
    assert_replays(&out, dir.path());
}

#[test]
fn twenty_concurrent_connections_are_captured_without_loss() {
    let dir = scratch();
    let out = dir.path().join("captured");
    let c = start_capture(&out);
    let clients: Vec<Child> = (0..20)
        .map(|i| {
            let sql = format!(
                "CREATE TEMP TABLE t{i} (n int); INSERT INTO t{i} SELECT generate_series(1, {n}); SELECT count(*) AS c{i} FROM t{i}; SELECT pg_sleep(0.2);",
                n = 100 + i
            );
            Command::new(pg_bindir().join("psql"))
                .args(["-X", "-h", "127.0.0.1", "-p", &c.port.to_string(), "-U", "postgres", "-c", &sql])
                .stdout(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (i, client) in clients.into_iter().enumerate() {
        let done = client.wait_with_output().unwrap();
        assert!(done.status.success(), "client {i}");
        assert!(String::from_utf8_lossy(&done.stdout).contains(&format!(" {}\n", 100 + i)), "client {i} got its rows");
    }
    stop(c);
    let files = captured(&out);
    assert_eq!(files.len(), 20, "one workload per connection: {files:?}");
    for i in 0..20 {
        let holding: Vec<String> = files
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap())
            .filter(|t| t.contains(&format!("CREATE TEMP TABLE t{i} (n int)\n")))
            .collect();
        assert_eq!(holding.len(), 1, "client {i}'s connection");
        assert_eq!(holding[0].matches("  - sql: |").count(), 4, "all four statements: {}", holding[0]);
    }
    assert_replays(&out, dir.path());
}

/// A raw client: the startup packet for user and database `postgres`, read until the server
/// is ready for a query.
fn raw_client(port: u16) -> std::net::TcpStream {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let body = b"\x00\x03\x00\x00user\x00postgres\x00database\x00postgres\x00\x00";
    let len = (body.len() + 4) as u32;
    s.write_all(&[&len.to_be_bytes()[..], body].concat()).unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    // ReadyForQuery: 'Z', length 5, a status byte.
    while !seen.windows(5).any(|w| w == b"Z\x00\x00\x00\x05") {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "the server closed during startup");
        seen.extend_from_slice(&buf[..n]);
    }
    s
}

/// Hostile clients: a startup packet that announces 1 GiB is refused at once (PostgreSQL's own
/// limit, 10 000 bytes), and 120 clients that send a malformed message after start-up — more
/// than the upstream's 100 connection slots — each release their upstream connection, so a
/// well-behaved client still gets in.
#[test]
fn malformed_clients_release_their_upstream_and_a_huge_startup_is_refused() {
    use std::io::{Read, Write};
    let dir = scratch();
    let out = dir.path().join("captured");
    let c = start_capture(&out);
    let mut huge = std::net::TcpStream::connect(("127.0.0.1", c.port)).unwrap();
    huge.write_all(&(1u32 << 30).to_be_bytes()).unwrap();
    huge.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    let mut rest = Vec::new();
    // Closed by the proxy at once — not left waiting for a gigabyte (a read timeout).
    match huge.read_to_end(&mut rest) {
        Ok(_) => assert!(rest.is_empty()),
        Err(e) => assert!(
            !matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut),
            "the proxy still waits for the startup packet: {e}"
        ),
    }
    for _ in 0..120 {
        let mut s = raw_client(c.port);
        // A Query message whose length says 2 GiB.
        s.write_all(b"Q\xff\xff\xff\xf0").unwrap();
        let mut sink = Vec::new();
        s.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
        let _ = s.read_to_end(&mut sink);
    }
    let ok = psql(c.port, &["-c", "SELECT 1 AS still_in"]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("still_in"));
    stop(c);
}
