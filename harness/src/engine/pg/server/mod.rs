//! Targets: parsing the target grammar, starting what the harness owns (local clusters, `exec:`
//! servers), connecting to what it does not (URLs), and stopping everything at exit.

pub mod cleanup;
pub mod docker;
mod exec;
pub mod local;

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::engine::pg::wire::tls::{SslMode, Tls};
use crate::engine::pg::wire::{ConnectParams, Host, Session};
use crate::engine::target::{percent_decode, redact, TargetSpec};
use crate::model::error::{Error, Result};

/// What the harness started for a target, if anything.
enum Server {
    Local(local::LocalCluster),
    Exec(exec::ExecServer),
    Docker(Box<docker::DockerServer>),
}

/// A started (or reachable) target.
pub struct Target {
    pub spec: TargetSpec,
    pub params: ConnectParams,
    /// `server_version` as the server reported it.
    pub version: String,
    server: Option<Server>,
}

const CONNECT_PATIENCE: Duration = Duration::from_secs(5);

impl Target {
    /// Start (or reach) the target and read its version.
    pub async fn start(spec: &TargetSpec) -> Result<Target> {
        let (params, server) = match spec {
            TargetSpec::Local(bindir) => {
                let cluster =
                    local::LocalCluster::start(bindir.as_deref()).await.map_err(|m| Error::target(spec, m))?;
                (cluster.params(), Some(Server::Local(cluster)))
            }
            TargetSpec::Exec(cmd) => {
                let server = exec::ExecServer::start(cmd).await.map_err(|m| Error::target(spec, m))?;
                (server.params(), Some(Server::Exec(server)))
            }
            TargetSpec::Url(url) => (url_params(url).map_err(|m| Error::target(spec, m))?, None),
            TargetSpec::Docker(image) => {
                let server = docker::DockerServer::start(image).await.map_err(|m| Error::target(spec, m))?;
                (server.params(), Some(Server::Docker(Box::new(server))))
            }
            TargetSpec::Sqlite(_) => return Err(Error::target(spec, "not a PostgreSQL server")),
            TargetSpec::Invalid { why, .. } => return Err(Error::Usage(redact(why))),
        };
        let mut target = Target { spec: spec.clone(), params, version: String::new(), server };
        // Patiently: a one-connection server may still be closing the readiness probe.
        match Session::connect_patiently(&target.params, CONNECT_PATIENCE).await {
            Ok(session) => {
                target.version = session.server_version().unwrap_or("unknown").to_string();
                session.close().await;
                Ok(target)
            }
            Err(e) => {
                // Stop what was started: an error must not leave a server behind.
                target.stop().await;
                Err(Error::target(spec, format!("cannot connect: {e}")))
            }
        }
    }

    /// Did the harness start this server, and is it gone?
    pub fn crashed(&mut self) -> bool {
        match &mut self.server {
            Some(Server::Local(c)) => !c.is_running(),
            Some(Server::Exec(s)) => !s.is_running(),
            // Not watched: a container that died shows as lost connections.
            Some(Server::Docker(_)) | None => false,
        }
    }

    /// The same server, reached again: for extra connections that must not stop or restart
    /// it (crashes show there as lost connections).
    pub fn attach(&self) -> Target {
        Target { spec: self.spec.clone(), params: self.params.clone(), version: self.version.clone(), server: None }
    }

    /// Did the harness start this server itself?
    pub fn owned(&self) -> bool {
        self.server.is_some()
    }

    /// Restart a server the harness owns after a crash. Returns false for servers it does not own.
    pub async fn restart(&mut self) -> std::result::Result<bool, String> {
        match &mut self.server {
            Some(Server::Local(c)) => c.restart().await.map(|_| true),
            Some(Server::Exec(s)) => s.restart().await.map(|_| true),
            // Its host port could change on restart; not restarted.
            Some(Server::Docker(_)) | None => Ok(false),
        }
    }

    pub async fn stop(self) {
        match self.server {
            Some(Server::Local(c)) => c.stop().await,
            Some(Server::Exec(s)) => s.stop().await,
            Some(Server::Docker(s)) => s.stop().await,
            None => {}
        }
    }
}

/// libpq URL rules (via tokio-postgres's parser), with `PG*` environment variables as defaults.
pub fn url_params(url: &str) -> std::result::Result<ConnectParams, String> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    url_params_with(url, env)
}

/// The URL without its TLS parameters (`sslmode`, `sslrootcert`, `sslcert`, `sslkey`), and
/// those parameters, percent-decoded (`PGSSLMODE` and friends as defaults).
fn split_tls(url: &str, env: &impl Fn(&str) -> Option<String>) -> std::result::Result<(String, Tls), String> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut kept = Vec::new();
    let mut found: std::collections::BTreeMap<String, String> = Default::default();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode(k);
        if matches!(key.as_str(), "sslmode" | "sslrootcert" | "sslcert" | "sslkey") {
            found.insert(key, percent_decode(v));
        } else {
            kept.push(pair);
        }
    }
    let get = |k: &str, var: &str| found.get(k).cloned().or_else(|| env(var));
    let mode = match get("sslmode", "PGSSLMODE") {
        Some(m) => SslMode::parse(&m)
            .ok_or_else(|| format!("sslmode={m}: one of disable, allow, prefer, require, verify-ca, verify-full"))?,
        None => SslMode::Prefer,
    };
    let tls = Tls {
        mode,
        rootcert: get("sslrootcert", "PGSSLROOTCERT"),
        cert: get("sslcert", "PGSSLCERT").map(PathBuf::from),
        key: get("sslkey", "PGSSLKEY").map(PathBuf::from),
    };
    let rest = if kept.is_empty() { base.to_string() } else { format!("{base}?{}", kept.join("&")) };
    Ok((rest, tls))
}

fn url_params_with(url: &str, env: impl Fn(&str) -> Option<String>) -> std::result::Result<ConnectParams, String> {
    let (url, tls) = split_tls(url, &env)?;
    let url = url.as_str();
    let config = tokio_postgres::Config::from_str(url).map_err(|e| format!("invalid URL {}: {e}", redact(url)))?;
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => Host::Tcp(h.clone()),
        Some(tokio_postgres::config::Host::Unix(p)) => Host::Unix(p.clone()),
        None => match env("PGHOST") {
            Some(h) if h.starts_with('/') => Host::Unix(PathBuf::from(h)),
            Some(h) => Host::Tcp(h),
            None if std::path::Path::new("/var/run/postgresql").is_dir() => {
                Host::Unix(PathBuf::from("/var/run/postgresql"))
            }
            None => Host::Tcp("localhost".into()),
        },
    };
    let port = match config.get_ports().first() {
        Some(p) => *p,
        None => env("PGPORT").and_then(|p| p.parse().ok()).unwrap_or(5432),
    };
    let user = config
        .get_user()
        .map(str::to_string)
        .or_else(|| env("PGUSER"))
        .or_else(|| nix::unistd::User::from_uid(nix::unistd::getuid()).ok().flatten().map(|u| u.name))
        .unwrap_or_else(|| "postgres".into());
    let password = config.get_password().map(|p| String::from_utf8_lossy(p).into_owned()).or_else(|| env("PGPASSWORD"));
    let dbname = config.get_dbname().map(str::to_string).or_else(|| env("PGDATABASE")).unwrap_or_else(|| user.clone());
    Ok(ConnectParams { host, port, user, password, dbname, tls: Box::new(tls) })
}

/// A TCP port free on loopback right now.
pub(crate) fn free_port() -> std::io::Result<u16> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    Ok(listener.local_addr()?.port())
}

/// Wait until a server accepts a full connection (startup included) or `alive` says it died.
pub(crate) async fn wait_ready(
    params: &ConnectParams,
    limit: Duration,
    mut alive: impl FnMut() -> bool,
) -> std::result::Result<(), String> {
    let start = std::time::Instant::now();
    let mut last = String::from("no attempt");
    while start.elapsed() < limit {
        if !alive() {
            return Err(format!("the server exited before accepting connections ({last})"));
        }
        match Session::connect(params, Duration::from_secs(5)).await {
            Ok(s) => {
                s.close().await;
                return Ok(());
            }
            // A definite answer that is not PostgreSQL's start-up (garbage, a protocol error,
            // a refusal other than "starting up" or "too many clients"): waiting will not help.
            Err(e) if definite(&e) => return Err(format!("the server answered, but not as PostgreSQL does: {e}")),
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("not ready after {limit:?}: {last}"))
}

/// A connection error that is the server's final word rather than its not being up yet.
fn definite(e: &crate::engine::pg::wire::ConnectError) -> bool {
    use crate::engine::pg::wire::ConnectError;
    match e {
        ConnectError::Protocol(_) => true,
        ConnectError::Io(io) => matches!(io.kind(), std::io::ErrorKind::InvalidInput | std::io::ErrorKind::InvalidData),
        ConnectError::Server(m) => !matches!(m.code.as_str(), "57P03" | "53300" | "57P01" | "57P02"),
        ConnectError::Timeout(_) => false,
    }
}

/// The last lines of a server log, for error messages.
pub(crate) fn log_tail(path: &std::path::Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(8)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show() {
        let params = url_params_with("postgres://u:pw@h/db", |_| None).unwrap();
        assert!(!format!("{params:?}").contains("pw\""));
    }

    #[test]
    fn urls_follow_libpq_rules_with_env_defaults() {
        let p = url_params_with("postgres://ann:pw@db.example:6543/app", |_| None).unwrap();
        assert_eq!(
            (p.host, p.port, p.user.as_str(), p.dbname.as_str()),
            (Host::Tcp("db.example".into()), 6543, "ann", "app")
        );
        assert_eq!(p.password.as_deref(), Some("pw"));
        let env = |k: &str| match k {
            "PGHOST" => Some("h2".to_string()),
            "PGPORT" => Some("5499".to_string()),
            "PGUSER" => Some("bob".to_string()),
            "PGPASSWORD" => Some("s3".to_string()),
            _ => None,
        };
        let p = url_params_with("postgres:///", env).unwrap();
        assert_eq!((p.host, p.port, p.user.as_str(), p.dbname.as_str()), (Host::Tcp("h2".into()), 5499, "bob", "bob"));
        assert_eq!(p.password.as_deref(), Some("s3"));
        let p = url_params_with("postgres://%2Ftmp%2Fsock/db", |_| None).unwrap();
        assert_eq!(p.host, Host::Unix("/tmp/sock".into()));
    }
}
