//! `docker:IMAGE[:TAG][?port=N&env=K=V&user=U&password=P&db=D&cmd=ARG]` targets: a container
//! started through testcontainers, ready once a connection succeeds, removed at exit.
//!
//! Without options the image is taken for the official `postgres` image: port 5432, trust
//! authentication, user and database `postgres`. `env` and `cmd` may repeat.

use std::time::Duration;

use testcontainers::core::{ContainerPort, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, ContainerRequest, GenericImage, ImageExt};

use super::cleanup;
use crate::engine::pg::wire::{ConnectParams, Host};

/// Image pulls on first use can be slow.
const READY_LIMIT: Duration = Duration::from_secs(300);

/// What to run, parsed from the target string (pure, unit-tested).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerSpec {
    pub image: String,
    pub tag: String,
    pub port: u16,
    pub env: Vec<(String, String)>,
    pub cmd: Vec<String>,
    pub user: String,
    pub password: Option<String>,
    pub dbname: String,
}

impl DockerSpec {
    /// Parse what follows `docker:`.
    pub fn parse(text: &str) -> Result<DockerSpec, String> {
        let (reference, query) = text.split_once('?').unwrap_or((text, ""));
        if reference.is_empty() {
            return Err("docker: needs an image, e.g. docker:postgres:17".into());
        }
        // A tag follows the last ':' unless that ':' is part of a registry host:port.
        let (image, tag) = match reference.rsplit_once(':') {
            Some((image, tag)) if !tag.contains('/') => (image.to_string(), tag.to_string()),
            _ => (reference.to_string(), "latest".to_string()),
        };
        let mut spec = DockerSpec {
            image,
            tag,
            port: 5432,
            env: Vec::new(),
            cmd: Vec::new(),
            user: "postgres".into(),
            password: None,
            dbname: "postgres".into(),
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').ok_or_else(|| format!("`{pair}`: options are key=value"))?;
            match key {
                "port" => spec.port = value.parse().map_err(|_| format!("`{value}` is not a port"))?,
                "env" => {
                    let (k, v) =
                        value.split_once('=').ok_or_else(|| format!("env=`{value}`: expected env=NAME=VALUE"))?;
                    spec.env.push((k.to_string(), v.to_string()));
                }
                "cmd" => spec.cmd.push(value.to_string()),
                "user" => spec.user = value.to_string(),
                "password" => spec.password = Some(value.to_string()),
                "db" => spec.dbname = value.to_string(),
                other => return Err(format!("unknown docker: option `{other}` (port, env, cmd, user, password, db)")),
            }
        }
        if spec.env.is_empty() && spec.image.rsplit('/').next() == Some("postgres") {
            // The official image refuses to start without a password or trust.
            spec.env.push(("POSTGRES_HOST_AUTH_METHOD".into(), "trust".into()));
        }
        Ok(spec)
    }

    /// The testcontainers request for this spec.
    pub fn request(&self) -> ContainerRequest<GenericImage> {
        let image = GenericImage::new(self.image.clone(), self.tag.clone())
            .with_exposed_port(ContainerPort::Tcp(self.port))
            // Readiness is checked by connecting, as for every target.
            .with_wait_for(WaitFor::Nothing);
        let mut request = image.with_startup_timeout(READY_LIMIT);
        for (k, v) in &self.env {
            request = request.with_env_var(k.clone(), v.clone());
        }
        if !self.cmd.is_empty() {
            request = request.with_cmd(self.cmd.clone());
        }
        request
    }
}

pub struct DockerServer {
    container: ContainerAsync<GenericImage>,
    params: ConnectParams,
}

impl DockerServer {
    pub async fn start(text: &str) -> Result<DockerServer, String> {
        let spec = DockerSpec::parse(text)?;
        let container = spec.request().start().await.map_err(|e| format!("cannot start the container: {e}"))?;
        cleanup::register_container(container.id());
        let result = async {
            let host = container.get_host().await.map_err(|e| e.to_string())?.to_string();
            let port = container.get_host_port_ipv4(ContainerPort::Tcp(spec.port)).await.map_err(|e| e.to_string())?;
            let params = ConnectParams {
                tls: Box::new(crate::engine::pg::wire::tls::Tls::disabled()),
                host: Host::Tcp(host),
                port,
                user: spec.user.clone(),
                password: spec.password.clone(),
                dbname: spec.dbname.clone(),
            };
            super::wait_ready(&params, READY_LIMIT, || true).await?;
            Ok::<_, String>(params)
        }
        .await;
        match result {
            Ok(params) => Ok(DockerServer { container, params }),
            Err(e) => {
                DockerServer::remove(container).await;
                Err(e)
            }
        }
    }

    pub fn params(&self) -> ConnectParams {
        self.params.clone()
    }

    async fn remove(container: ContainerAsync<GenericImage>) {
        let id = container.id().to_string();
        let _ = container.rm().await;
        cleanup::unregister_container(&id);
    }

    pub async fn stop(self) {
        DockerServer::remove(self.container).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn official_postgres_image_defaults() {
        let spec = DockerSpec::parse("postgres:17").unwrap();
        assert_eq!((spec.image.as_str(), spec.tag.as_str(), spec.port), ("postgres", "17", 5432));
        assert_eq!(spec.env, vec![("POSTGRES_HOST_AUTH_METHOD".to_string(), "trust".to_string())]);
        assert_eq!(
            (spec.user.as_str(), spec.dbname.as_str(), spec.password.as_deref()),
            ("postgres", "postgres", None)
        );
        assert_eq!(DockerSpec::parse("postgres").unwrap().tag, "latest");
    }

    #[test]
    fn options_and_registry_ports() {
        let spec = DockerSpec::parse(
            "registry.local:5000/cockroachdb/cockroach?port=26257&cmd=start-single-node&cmd=--insecure&user=root&db=defaultdb",
        )
        .unwrap();
        assert_eq!(spec.image, "registry.local:5000/cockroachdb/cockroach");
        assert_eq!(spec.tag, "latest");
        assert_eq!(spec.port, 26257);
        assert_eq!(spec.cmd, vec!["start-single-node", "--insecure"]);
        assert!(spec.env.is_empty(), "no postgres defaults for other images");
        let spec = DockerSpec::parse("postgres:16?env=POSTGRES_PASSWORD=pw&password=pw").unwrap();
        assert_eq!(spec.env, vec![("POSTGRES_PASSWORD".to_string(), "pw".to_string())]);
        assert!(DockerSpec::parse("postgres?colour=red").unwrap_err().contains("unknown docker: option `colour`"));
        assert!(DockerSpec::parse("postgres?port=x").is_err());
        assert!(DockerSpec::parse("").is_err());
    }

    #[test]
    fn the_container_request_carries_the_spec() {
        let spec = DockerSpec::parse("postgres:17?env=A=1&cmd=postgres&cmd=-c&cmd=fsync=off").unwrap();
        let request = spec.request();
        assert_eq!(request.descriptor(), "postgres:17");
        let env: Vec<(String, String)> = request.env_vars().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        assert_eq!(env, vec![("A".to_string(), "1".to_string())]);
        assert_eq!(request.cmd().map(|c| c.into_owned()).collect::<Vec<_>>(), vec!["postgres", "-c", "fsync=off"]);
        assert_eq!(request.expose_ports(), &[ContainerPort::Tcp(5432)]);
        assert_eq!(request.startup_timeout(), Some(READY_LIMIT));
    }
}
