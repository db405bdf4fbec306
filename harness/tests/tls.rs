//! TLS targets: a PostgreSQL started with `ssl=on` and a certificate authority made here
//! (openssl), reached with each libpq `sslmode` — accepted or refused as libpq documents — with
//! `sslrootcert` (a file; a wrong root is refused), and with a client certificate (`sslcert`,
//! `sslkey`) where the server asks for one. A server without TLS is refused by `require`.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

fn openssl(dir: &Path, args: &str) {
    let out = Command::new("sh").arg("-c").arg(format!("cd {} && openssl {args}", dir.display())).output().unwrap();
    assert!(out.status.success(), "openssl {args}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A root, a server certificate for `localhost` only (not for 127.0.0.1), a client
/// certificate for the `postgres` user, and a second root that signed none of them.
fn certificates(dir: &Path) {
    let days = "-days 3";
    openssl(
        dir,
        &format!("req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt {days} -subj '/CN=pgparity test root'"),
    );
    openssl(
        dir,
        &format!("req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.crt {days} -subj '/CN=another root'"),
    );
    std::fs::write(dir.join("server.ext"), "subjectAltName=DNS:localhost\n").unwrap();
    openssl(dir, "req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj '/CN=localhost'");
    openssl(dir, &format!("x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt {days} -extfile server.ext"));
    openssl(dir, "req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj '/CN=postgres'");
    // X.509 v3 (rustls takes no other): an extension makes it so.
    std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").unwrap();
    openssl(dir, &format!("x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt {days} -extfile client.ext"));
    for key in ["server.key", "client.key"] {
        std::fs::set_permissions(dir.join(key), std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    }
}

/// Does pgparity get a session on `url`? (A snapshot of a database with no tables: exit 0
/// when it connects, 3 when the target refuses.)
fn connects(url: &str) -> (bool, String) {
    let dir = scratch();
    let snapshot = dir.path().join("s.json");
    let out = pgparity(&[
        "data-diff",
        "--out",
        dir.path().to_str().unwrap(),
        "--reference",
        url,
        "--snapshot",
        snapshot.to_str().unwrap(),
    ]);
    let code = code(&out);
    assert!(code == 0 || code == 3, "{url}: exit {code}: {}", stderr(&out));
    (code == 0, stderr(&out))
}

#[test]
fn each_sslmode_as_libpq_documents_it() {
    let tls_only = ManualCluster::start_configured(
        "-c ssl=on -c ssl_cert_file={dir}/server.crt -c ssl_key_file={dir}/server.key -c ssl_ca_file={dir}/ca.crt",
        "local all all trust\nhostssl certdb all 127.0.0.1/32 cert\nhostssl all all 127.0.0.1/32 trust\n",
        certificates,
    );
    let dir = tls_only.dir.path().display().to_string();
    let port = tls_only.port;
    let created = Command::new(pg_bindir().join("psql"))
        .args(["-X", "-q", "-h", &dir, "-p", &port.to_string(), "-U", "postgres", "-c", "CREATE DATABASE certdb"])
        .output()
        .unwrap();
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let url = |host: &str, db: &str, query: &str| format!("postgres://postgres@{host}:{port}/{db}?{query}");
    let ca = format!("sslrootcert={dir}/ca.crt");
    let cases: Vec<(String, bool, &str)> = vec![
        // The server takes TLS connections only.
        (url("localhost", "postgres", "sslmode=disable"), false, "no encryption"),
        (url("localhost", "postgres", "sslmode=allow"), true, ""),
        (url("localhost", "postgres", "sslmode=prefer"), true, ""),
        (url("localhost", "postgres", ""), true, ""),
        (url("127.0.0.1", "postgres", "sslmode=require"), true, ""),
        (url("localhost", "postgres", &format!("sslmode=verify-ca&{ca}")), true, ""),
        (url("127.0.0.1", "postgres", &format!("sslmode=verify-ca&{ca}")), true, ""),
        (url("localhost", "postgres", &format!("sslmode=verify-full&{ca}")), true, ""),
        // The certificate names localhost, not 127.0.0.1.
        (url("127.0.0.1", "postgres", &format!("sslmode=verify-full&{ca}")), false, "TLS"),
        // A root that did not sign it; require with a root checks the chain too.
        (url("localhost", "postgres", &format!("sslmode=verify-ca&sslrootcert={dir}/other.crt")), false, "TLS"),
        (url("localhost", "postgres", &format!("sslmode=require&sslrootcert={dir}/other.crt")), false, "TLS"),
        (url("localhost", "postgres", "sslmode=verify-full&sslrootcert=/nonexistent/root.crt"), false, "sslrootcert"),
        // certdb wants a client certificate.
        (url("localhost", "certdb", "sslmode=require"), false, "certificate"),
        (
            url(
                "localhost",
                "certdb",
                &format!("sslmode=verify-full&{ca}&sslcert={dir}/client.crt&sslkey={dir}/client.key"),
            ),
            true,
            "",
        ),
    ];
    for (u, ok, why) in &cases {
        let (connected, err) = connects(u);
        assert_eq!(connected, *ok, "{u}: {err}");
        assert!(err.contains(why), "{u}: `{why}` not in: {err}");
    }
    // A server without TLS: prefer and allow go on in the clear, require is refused.
    let plain = ManualCluster::start("trust", "unused");
    let url = |query: &str| format!("postgres://postgres@127.0.0.1:{}/postgres?{query}", plain.port);
    for (q, ok) in
        [("sslmode=prefer", true), ("sslmode=allow", true), ("sslmode=disable", true), ("sslmode=require", false)]
    {
        let (connected, err) = connects(&url(q));
        assert_eq!(connected, ok, "{q}: {err}");
    }
    let (_, err) = connects(&url("sslmode=verify-full"));
    assert!(err.contains("does not accept TLS connections") || err.contains("root certificate"), "{err}");
}
