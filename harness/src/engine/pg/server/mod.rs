//! Targets: parsing the target grammar, starting what the harness owns (local clusters, `exec:`
//! servers), connecting to what it does not (URLs), and stopping everything at exit.

pub mod cleanup;
pub mod docker;
mod exec;
pub mod local;

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::engine::pg::wire::{ConnectParams, Host, Session};
use crate::model::error::{Error, Result};

/// A target as the user named it (`local`, `local:/bin`, `postgres://…`, `exec:CMD`, `docker:IMG`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSpec {
    Local(Option<PathBuf>),
    Url(String),
    Exec(String),
    Docker(String),
}

impl FromStr for TargetSpec {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        if s == "local" {
            Ok(TargetSpec::Local(None))
        } else if let Some(dir) = s.strip_prefix("local:") {
            Ok(TargetSpec::Local(Some(PathBuf::from(dir))))
        } else if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Ok(TargetSpec::Url(s.to_string()))
        } else if let Some(cmd) = s.strip_prefix("exec:") {
            if !cmd.contains("{port}") {
                return Err(format!("`{s}`: an exec: command must take the port as {{port}}"));
            }
            Ok(TargetSpec::Exec(cmd.to_string()))
        } else if let Some(image) = s.strip_prefix("docker:") {
            Ok(TargetSpec::Docker(image.to_string()))
        } else {
            Err(format!(
                "`{}`: a target is local, local:BINDIR, postgres://URL, exec:COMMAND or docker:IMAGE",
                redact(s)
            ))
        }
    }
}

impl TargetSpec {
    /// Everything that can be checked without starting or reaching it (a URL's syntax, a
    /// container's options), so a malformed target is a usage error before any server starts.
    /// The message never carries a password.
    pub fn validate(&self) -> std::result::Result<(), String> {
        match self {
            TargetSpec::Url(url) => url_params(url).map(|_| ()),
            TargetSpec::Docker(image) => docker::DockerSpec::parse(image).map(|_| ()),
            TargetSpec::Local(_) | TargetSpec::Exec(_) => Ok(()),
        }
    }
}

impl std::fmt::Display for TargetSpec {
    /// The user's spelling with any password replaced by `***`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TargetSpec::Local(None) => f.write_str("local"),
            TargetSpec::Local(Some(dir)) => write!(f, "local:{}", dir.display()),
            TargetSpec::Url(url) => f.write_str(&redact(url)),
            TargetSpec::Exec(cmd) => write!(f, "exec:{cmd}"),
            TargetSpec::Docker(image) => write!(f, "docker:{image}"),
        }
    }
}

/// Replace the password of a URL (`user:pw@`) and any `password=` parameter with `***`.
pub fn redact(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(scheme_end) = out.find("://") {
        let rest_start = scheme_end + 3;
        let authority_end = out[rest_start..].find(['/', '?']).map(|i| rest_start + i).unwrap_or(out.len());
        if let Some(at) = out[rest_start..authority_end].rfind('@') {
            let userinfo = &out[rest_start..rest_start + at];
            if let Some(colon) = userinfo.find(':') {
                out.replace_range(rest_start + colon + 1..rest_start + at, "***");
            }
        }
    }
    if let Some(i) = out.find("password=") {
        let start = i + "password=".len();
        let end = out[start..].find('&').map(|j| start + j).unwrap_or(out.len());
        out.replace_range(start..end, "***");
    }
    out
}

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

fn url_params_with(url: &str, env: impl Fn(&str) -> Option<String>) -> std::result::Result<ConnectParams, String> {
    let config = tokio_postgres::Config::from_str(url).map_err(|e| format!("invalid URL {}: {e}", redact(url)))?;
    if matches!(config.get_ssl_mode(), tokio_postgres::config::SslMode::Require) {
        return Err("sslmode=require: TLS is not supported yet (see README, \"Not done yet\")".into());
    }
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
    Ok(ConnectParams { host, port, user, password, dbname })
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
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("not ready after {limit:?}: {last}"))
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
    fn target_grammar() {
        assert_eq!("local".parse(), Ok(TargetSpec::Local(None)));
        assert_eq!("local:/opt/pg/bin".parse(), Ok(TargetSpec::Local(Some("/opt/pg/bin".into()))));
        assert!(matches!("postgres://u@h/db".parse(), Ok(TargetSpec::Url(_))));
        assert!(matches!("exec:srv --port {port}".parse(), Ok(TargetSpec::Exec(_))));
        assert!("exec:srv".parse::<TargetSpec>().unwrap_err().contains("{port}"));
        assert!("mysql://x".parse::<TargetSpec>().is_err());
    }

    #[test]
    fn passwords_never_show() {
        assert_eq!(redact("postgres://u:secret@h:5433/db"), "postgres://u:***@h:5433/db");
        assert_eq!(
            redact("postgres://u@h/db?password=secret&sslmode=disable"),
            "postgres://u@h/db?password=***&sslmode=disable"
        );
        let spec: TargetSpec = "postgres://u:pw@h/db".parse().unwrap();
        assert_eq!(spec.to_string(), "postgres://u:***@h/db");
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
