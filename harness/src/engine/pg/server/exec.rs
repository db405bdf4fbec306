//! `exec:COMMAND` targets: the harness runs a server command itself (`{port}` and `{datadir}`
//! substituted) through `sh -c`, waits until it accepts connections, and stops its whole
//! process group at the end.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::Signal;

use super::cleanup::Supervised;
use crate::engine::pg::wire::{ConnectParams, Host};

/// First start may install the candidate into a cache: allow for it.
const READY_LIMIT: Duration = Duration::from_secs(300);

pub struct ExecServer {
    command: String,
    dir: PathBuf,
    port: u16,
    process: Supervised,
}

/// The whole process group gets SIGTERM (some servers deadlock on SIGINT), SIGKILL after 10 s.
const STOP_SIGNAL: Signal = Signal::SIGTERM;
const STOP_GRACE: Duration = Duration::from_secs(10);

impl ExecServer {
    pub async fn start(template: &str) -> Result<ExecServer, String> {
        let dir = tempfile::Builder::new()
            .prefix("pgparity-exec-")
            .tempdir()
            .map_err(|e| format!("cannot create a temp dir: {e}"))?
            .keep();
        // The command may drop privileges (e.g. to the postgres OS user): let it write here.
        let _ = std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777));
        let port = super::free_port().map_err(|e| format!("no free port: {e}"))?;
        let command =
            template.replace("{port}", &port.to_string()).replace("{datadir}", &dir.join("data").to_string_lossy());
        let child = match spawn(&command, &dir) {
            Ok(c) => c,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(e);
            }
        };
        let process = Supervised::new(child, true, STOP_SIGNAL, dir.clone(), STOP_GRACE);
        let mut server = ExecServer { command, dir, port, process };
        if let Err(e) = server.wait_ready().await {
            server.stop().await;
            return Err(e);
        }
        Ok(server)
    }

    async fn wait_ready(&mut self) -> Result<(), String> {
        let params = self.params();
        let process = &mut self.process;
        super::wait_ready(&params, READY_LIMIT, || process.is_running())
            .await
            .map_err(|e| format!("{e}\n{}", super::log_tail(&self.dir.join("server.log"))))
    }

    pub fn params(&self) -> ConnectParams {
        let env = |k: &str, d: &str| std::env::var(k).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| d.to_string());
        ConnectParams {
            tls: Box::new(crate::engine::pg::wire::tls::Tls::disabled()),
            host: Host::Tcp("127.0.0.1".into()),
            port: self.port,
            user: env("PGUSER", "postgres"),
            password: std::env::var("PGPASSWORD").ok(),
            dbname: env("PGDATABASE", "postgres"),
        }
    }

    pub fn is_running(&mut self) -> bool {
        self.process.is_running()
    }

    pub async fn restart(&mut self) -> Result<(), String> {
        let (command, dir) = (&self.command, &self.dir);
        self.process.restart_with(|| spawn(command, dir)).await?;
        self.wait_ready().await
    }

    pub async fn stop(self) {
        self.process.stop(false).await;
    }
}

fn spawn(command: &str, dir: &std::path::Path) -> Result<tokio::process::Child, String> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("server.log"))
        .map_err(|e| format!("cannot open the server log: {e}"))?;
    let log2 = log.try_clone().map_err(|e| e.to_string())?;
    tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log2)
        .spawn()
        .map_err(|e| format!("cannot run `{command}`: {e}"))
}
