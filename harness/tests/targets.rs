//! Target kinds on real servers: password (SCRAM) authentication over a URL, and `exec:`.

mod common;

use common::*;

/// A URL target with SCRAM-SHA-256 authentication; a wrong password is a target failure whose
/// message carries the SQLSTATE and never the password.
#[test]
fn url_target_with_scram_authentication() {
    let cluster = ManualCluster::start("scram-sha-256", "s3cret-pw");
    let dir = scratch();
    let url = format!("postgres://postgres:s3cret-pw@127.0.0.1:{}/postgres", cluster.port);
    let out = pgparity(&[
        "run",
        "--reference",
        &url,
        "--out",
        dir.path().to_str().unwrap(),
        "workloads/nulls",
        "workloads/dml",
    ]);
    assert_eq!(code(&out), 0);
    let results = results(dir.path());
    assert_eq!(results["reference"]["target"], format!("postgres://postgres:***@127.0.0.1:{}/postgres", cluster.port));
    assert_eq!(results["summary"]["blocked"], 0);
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(!all.contains("s3cret-pw"));
    assert!(!std::fs::read_to_string(dir.path().join("results.json")).unwrap().contains("s3cret-pw"));

    let wrong = format!("postgres://postgres:nope-pw@127.0.0.1:{}/postgres", cluster.port);
    let out = pgparity(&["run", "--reference", &wrong, "--out", dir.path().to_str().unwrap(), "workloads/nulls"]);
    assert_eq!(code(&out), 3);
    assert!(stderr(&out).contains("28P01"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("nope-pw"));
}

/// A non-superuser cannot set `lc_messages`: the refusal is reported for that target, and the
/// run goes on (a fresh database per workload still works with CREATEDB).
#[test]
fn a_refused_pinned_setting_is_reported() {
    let cluster = ManualCluster::start("scram-sha-256", "admin-pw");
    let create = std::process::Command::new("psql")
        .args(["-X", "-q", "-h", "127.0.0.1", "-p", &cluster.port.to_string(), "-U", "postgres", "-d", "postgres"])
        .args(["-c", "CREATE ROLE app LOGIN CREATEDB PASSWORD 'app-pw'"])
        .env("PGPASSWORD", "admin-pw")
        .output()
        .unwrap();
    assert!(create.status.success(), "{}", String::from_utf8_lossy(&create.stderr));
    let dir = scratch();
    let url = format!("postgres://app:app-pw@127.0.0.1:{}/postgres", cluster.port);
    let out = pgparity(&["run", "--reference", &url, "--out", dir.path().to_str().unwrap(), "workloads/nulls"]);
    assert_eq!(code(&out), 0);
    let results = results(dir.path());
    let refused = results["reference"]["refused_settings"].as_array().unwrap();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(refused[0].as_str().unwrap().starts_with("lc_messages (42501"), "{refused:?}");
    assert_eq!(results["candidate"]["refused_settings"], serde_json::json!([]));
    let scorecard = std::fs::read_to_string(dir.path().join("scorecard.md")).unwrap();
    assert!(scorecard.contains("refused settings: lc_messages (42501"), "{scorecard}");
}

/// An `exec:` target: the harness runs the command with {port} and {datadir}, waits for it,
/// and stops it at the end.
#[test]
fn exec_target_starts_and_stops_a_server_command() {
    let b = pg_bindir();
    let p = as_postgres();
    let command = format!(
        "exec:{p} {b}/initdb -D {{datadir}} -U postgres -A trust -N >/dev/null && exec {p} {b}/postgres -D {{datadir}} -p {{port}} -k {{datadir}} -c listen_addresses=127.0.0.1",
        b = b.display()
    );
    let dir = scratch();
    let out = pgparity(&[
        "run",
        "--candidate",
        &command,
        "--out",
        dir.path().to_str().unwrap(),
        "workloads/nulls",
        "workloads/transactions",
    ]);
    assert_eq!(code(&out), 0);
    let results = results(dir.path());
    assert!(results["candidate"]["target"].as_str().unwrap().starts_with("exec:"));
    assert_eq!(results["summary"]["works"], 3);
    // Stopped at the end: no server of this command is left.
    let ps = std::process::Command::new("sh")
        .arg("-c")
        .arg("ps -eo args | grep -c '[p]ostgres -D /tmp/pgparity-exec-' || true")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&ps.stdout).trim(), "0");
}

fn docker_engine_reachable() -> bool {
    std::process::Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A `docker:` target. With a Docker engine, end to end: the container starts, is ready once a
/// connection succeeds, runs the workloads, and is removed at exit. Without one (this machine),
/// that part reports itself skipped — the only skip allowed — and the test checks instead that
/// the target fails cleanly: exit 3 with a message, not a hang or a panic.
#[test]
fn docker_target() {
    let dir = scratch();
    let run = || {
        pgparity(&[
            "run",
            "--candidate",
            "docker:postgres:15",
            "--out",
            dir.path().to_str().unwrap(),
            "workloads/nulls",
        ])
    };
    if !docker_engine_reachable() {
        let reason = "SKIPPED docker end-to-end: no Docker engine reachable (`docker info` fails)";
        println!("{reason}");
        eprintln!("{reason}");
        let out = run();
        assert_eq!(code(&out), 3);
        assert!(stderr(&out).contains("docker:postgres:15: cannot start the container"), "{}", stderr(&out));
        return;
    }
    let out = run();
    assert_eq!(code(&out), 0);
    let results = results(dir.path());
    assert!(results["candidate"]["version"].as_str().unwrap().starts_with("15."));
    let left =
        std::process::Command::new("docker").args(["ps", "-q", "--filter", "ancestor=postgres:15"]).output().unwrap();
    assert!(String::from_utf8_lossy(&left.stdout).trim().is_empty(), "the container was removed");
}

/// Every file under `dir`, read as text.
fn all_files(dir: &std::path::Path) -> String {
    let mut out = String::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.push_str(&all_files(&path));
        } else {
            out.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_default()));
        }
    }
    out
}

/// A password never reaches the console, scorecard.md, results.json or a repro's bug report,
/// whatever form the target gives it in: with `/`, `#` and `?` in it (percent-encoded, or
/// not), given twice, under a percent-encoded key, in a target the command line cannot parse,
/// in a `docker:` target's options.
#[test]
fn no_password_in_any_output_whatever_its_form() {
    let secret = "s3cr/#?et";
    let cluster = ManualCluster::start("scram-sha-256", secret);
    let port = cluster.port;
    let encoded = "s3cr%2F%23%3Fet";
    let work = scratch();
    let w = workload(work.path(), "t/literal.sql", "SELECT 0x1F;\nSELECT 1;\n");
    let forms: Vec<(String, Vec<&str>)> = vec![
        // Reaches the server: a full run against PostgreSQL 18, with a mismatch and its repro.
        (format!("postgres://postgres:{encoded}@127.0.0.1:{port}/postgres"), vec![secret, encoded]),
        (format!("postgres://postgres:{secret}@127.0.0.1:{port}/postgres"), vec![secret, encoded, "s3cr/"]),
        (
            format!("postgres://postgres@127.0.0.1:{port}/postgres?password=first-pw&password={encoded}"),
            vec![secret, encoded, "first-pw"],
        ),
        (format!("postgres://postgres@127.0.0.1:{port}/postgres?pass%77ord={encoded}"), vec![secret, encoded]),
        ("mysql://u:clap-pw-1@h/db".to_string(), vec!["clap-pw-1"]),
        ("docker:postgres:16?password=docker-pw-1&env=POSTGRES_PASSWORD=docker-pw-1".to_string(), vec!["docker-pw-1"]),
    ];
    let candidate = format!("local:{}", pg18_bindir());
    for (i, (target, secrets)) in forms.iter().enumerate() {
        let out_dir = scratch();
        let other = if i == 0 { candidate.as_str() } else { "sqlite" };
        let out = pgparity(&[
            "run",
            "--reference",
            target,
            "--candidate",
            other,
            "--out",
            out_dir.path().to_str().unwrap(),
            "--junit",
            out_dir.path().join("junit.xml").to_str().unwrap(),
            w.to_str().unwrap(),
        ]);
        let everything =
            format!("{}{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out), all_files(out_dir.path()));
        if i == 0 {
            assert_eq!(code(&out), 1, "{}", stderr(&out));
            assert!(out_dir.path().join("repros").is_dir(), "a repro was written");
            assert!(everything.contains("postgres://postgres:***@127.0.0.1"), "{everything}");
        }
        for s in secrets {
            assert!(!everything.contains(s), "form {i} ({}) shows {s}:\n{everything}", code(&out));
        }
    }
}

/// An `exec:` server that answers the start-up with something that is not PostgreSQL's
/// protocol is given up at once (exit 3, saying so), not waited on for the readiness window.
#[test]
fn a_server_that_answers_garbage_is_given_up_at_once() {
    let dir = scratch();
    let script = dir.path().join("garbage.py");
    let program = [
        "import socket, sys",
        "s = socket.socket()",
        "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
        "s.bind(('127.0.0.1', int(sys.argv[1])))",
        "s.listen()",
        "while True:",
        "    c, _ = s.accept()",
        "    c.recv(1024)",
        "    c.sendall(b'q\\x00\\x00\\x00\\x04')",
        "    c.close()",
    ];
    std::fs::write(&script, program.join("\n") + "\n").unwrap();
    let w = workload(dir.path(), "t/one.sql", "SELECT 1;\n");
    let target = format!("exec:python3 {} {{port}}", script.display());
    let out = pgparity(&[
        "run",
        "--candidate",
        &target,
        "--out",
        dir.path().join("out").to_str().unwrap(),
        w.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(stderr(&out).contains("the server answered, but not as PostgreSQL does"), "{}", stderr(&out));
}

/// What all databases of a server share, listed by psql on `port`.
fn shared_objects(port: u16) -> String {
    let sql = "SELECT 'role ' || rolname FROM pg_roles UNION ALL SELECT 'db ' || datname FROM pg_database \
               UNION ALL SELECT 'tablespace ' || spcname FROM pg_tablespace \
               UNION ALL SELECT 'slot ' || slot_name FROM pg_replication_slots \
               UNION ALL SELECT 'subscription ' || subname FROM pg_subscription \
               UNION ALL SELECT 'prepared ' || gid FROM pg_prepared_xacts ORDER BY 1";
    let out = std::process::Command::new("psql")
        .args(["-X", "-At", "-h", "127.0.0.1", "-p", &port.to_string(), "-U", "postgres", "-d", "postgres", "-c", sql])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Issue 15, findings 4 and 5, on two servers the harness does not own: a workload that reads
/// pg_database sees no database of the harness but its own (the next one is not prepared
/// beside it, the last one is dropped before it); what a workload makes that all databases
/// share (roles, a database, a tablespace, a replication slot, a subscription in its own
/// database, a prepared transaction) is removed after it, and what was there stays. A second
/// run against the same servers gives the same results, and the servers end as they began.
#[test]
fn workloads_that_touch_shared_state_run_alone_and_leave_nothing() {
    let start = || {
        ManualCluster::start_configured(
            "-c max_prepared_transactions=5",
            "local all all trust\nhost all all 127.0.0.1/32 trust\n",
            |_| {},
        )
    };
    let (one, two) = (start(), start());
    let before = (shared_objects(one.port), shared_objects(two.port));
    let dir = scratch();
    workload(dir.path(), "1_before.sql", "CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);\n");
    workload(dir.path(), "2_catalog.sql", "SELECT datname FROM pg_database ORDER BY 1;\n");
    let root = workload(
        dir.path(),
        "3_cluster.sql",
        "CREATE ROLE regress_owner;\n\
         CREATE ROLE regress_member IN ROLE regress_owner;\n\
         GRANT CONNECT ON DATABASE postgres TO regress_owner;\n\
         CREATE TABLE owned (a int);\n\
         ALTER TABLE owned OWNER TO regress_owner;\n\
         CREATE DATABASE regress_made;\n\
         SET allow_in_place_tablespaces = true;\n\
         CREATE TABLESPACE regress_space LOCATION '';\n\
         SELECT 'made' FROM pg_create_physical_replication_slot('regress_slot');\n\
         CREATE SUBSCRIPTION regress_sub CONNECTION 'dbname=regress_nowhere' PUBLICATION p WITH (connect = false);\n\
         BEGIN;\n\
         CREATE TABLE held (a int);\n\
         PREPARE TRANSACTION 'regress_gid';\n\
         SELECT rolname FROM pg_roles WHERE rolname LIKE 'regress%' ORDER BY 1;\n",
    );
    workload(dir.path(), "4_after.sql", "SELECT datname FROM pg_database ORDER BY 1;\nSELECT count(*) FROM t;\n");
    let (url_one, url_two) = (
        format!("postgres://postgres@127.0.0.1:{}/postgres", one.port),
        format!("postgres://postgres@127.0.0.1:{}/postgres", two.port),
    );
    let root = root.to_str().unwrap();
    let mut runs = Vec::new();
    for _ in 0..2 {
        let (code, results, _, _out) = with_results("run", &["--reference", &url_one, "--candidate", &url_two, root]);
        assert_eq!(code, 0);
        assert_eq!(with_status(&results, "works").len(), 4, "{results:#}");
        assert_eq!((shared_objects(one.port), shared_objects(two.port)), before, "the servers end as they began");
        runs.push(results["workloads"].clone());
    }
    assert_eq!(runs[0], runs[1], "a second run against the same servers gives the same results");

    let (code, _, _, out) = with_results("record", &["--reference", &url_one, root]);
    assert_eq!(code, 0);
    let expected = |id: &str| -> serde_json::Value {
        let text = std::fs::read_to_string(out.path().join("expected").join(format!("{id}.json"))).unwrap();
        serde_json::from_str(&text).unwrap()
    };
    let catalog = expected("2_catalog");
    assert_eq!(
        catalog["steps"][0]["rows"],
        serde_json::json!([["pgparity_2_catalog"], ["postgres"], ["template0"], ["template1"]]),
        "only its own database of the harness's"
    );
    assert_eq!(expected("4_after")["steps"][0]["rows"].as_array().unwrap().len(), 4);
    let cluster = expected("3_cluster");
    for step in cluster["steps"].as_array().unwrap() {
        assert!(step.get("error").is_none(), "{step:#}");
    }
    assert_eq!(cluster["steps"][13]["rows"], serde_json::json!([["regress_member"], ["regress_owner"]]));
    assert_eq!((shared_objects(one.port), shared_objects(two.port)), before);
}
