//! `local` targets: an ephemeral cluster (initdb into a temp dir, a free port, loopback only,
//! fsync off), dropping to the `postgres` OS user when run as root. Removed at exit.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::Signal;
use nix::unistd::{Gid, Uid, User};

use super::cleanup::Supervised;
use crate::engine::pg::wire::{ConnectParams, Host};

pub struct LocalCluster {
    bindir: PathBuf,
    dir: PathBuf,
    port: u16,
    run_as: Option<(Uid, Gid)>,
    process: Supervised,
}

/// Immediate shutdown: the cluster is thrown away.
const STOP_SIGNAL: Signal = Signal::SIGQUIT;
const STOP_GRACE: Duration = Duration::from_secs(5);

impl LocalCluster {
    pub async fn start(bindir: Option<&Path>) -> Result<LocalCluster, String> {
        // It may run `pg_config`: off the async workers.
        let given = bindir.map(Path::to_path_buf);
        let bindir = tokio::task::spawn_blocking(move || find_bindir(given.as_deref()))
            .await
            .map_err(|e| format!("finding the server binaries: {e}"))??;
        let run_as = if nix::unistd::geteuid().is_root() {
            let user = User::from_name("postgres")
                .map_err(|e| e.to_string())?
                .ok_or("running as root and there is no `postgres` OS user for initdb to run as")?;
            Some((user.uid, user.gid))
        } else {
            None
        };
        let dir = tempfile::Builder::new()
            .prefix("pgparity-")
            .tempdir_in(scratch_base())
            .map_err(|e| format!("cannot create a temp dir: {e}"))?
            .keep();
        // Until a server owns it, the signal path removes it.
        super::cleanup::register_dir(&dir);
        if let Some((uid, gid)) = run_as {
            if let Err(e) = std::os::unix::fs::chown(&dir, Some(uid.as_raw()), Some(gid.as_raw())) {
                let _ = std::fs::remove_dir_all(&dir);
                super::cleanup::unregister_dir(&dir);
                return Err(format!("chown {}: {e}", dir.display()));
            }
        }
        let result = Self::init_and_start(bindir, dir.clone(), run_as).await;
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        super::cleanup::unregister_dir(&dir);
        result
    }

    async fn init_and_start(bindir: PathBuf, dir: PathBuf, run_as: Option<(Uid, Gid)>) -> Result<LocalCluster, String> {
        let data = dir.join("data");
        let mut initdb = command(&bindir.join("initdb"), run_as);
        initdb
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "-N"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let out = super::cleanup::run_helper(initdb)
            .await
            .map_err(|e| format!("cannot run {}: {e}", bindir.join("initdb").display()))?;
        if !out.status.success() {
            return Err(format!("initdb failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
        }
        let mut last_error = String::new();
        for _ in 0..3 {
            let port = super::free_port().map_err(|e| format!("no free port: {e}"))?;
            let child = spawn_postgres(&bindir, &dir, port, run_as)?;
            let process = Supervised::new(child, false, STOP_SIGNAL, dir.clone(), STOP_GRACE);
            let mut cluster = LocalCluster { bindir: bindir.clone(), dir: dir.clone(), port, run_as, process };
            match cluster.wait_ready().await {
                Ok(()) => return Ok(cluster),
                Err(e) => {
                    last_error = e;
                    // The port may have been taken meanwhile: try another, same data directory.
                    cluster.process.stop(true).await;
                }
            }
        }
        Err(last_error)
    }

    async fn wait_ready(&mut self) -> Result<(), String> {
        let params = self.params();
        let process = &mut self.process;
        super::wait_ready(&params, Duration::from_secs(60), || process.is_running())
            .await
            .map_err(|e| format!("{e}\n{}", super::log_tail(&self.dir.join("postgres.log"))))
    }

    pub fn params(&self) -> ConnectParams {
        ConnectParams {
            tls: Box::new(crate::engine::pg::wire::tls::Tls::disabled()),
            host: Host::Tcp("127.0.0.1".into()),
            port: self.port,
            user: "postgres".into(),
            password: None,
            dbname: "postgres".into(),
        }
    }

    pub fn is_running(&mut self) -> bool {
        self.process.is_running()
    }

    /// Start the server again on the same data directory and port (crash recovery runs).
    pub async fn restart(&mut self) -> Result<(), String> {
        let (bindir, dir, port, run_as) = (&self.bindir, &self.dir, self.port, self.run_as);
        self.process.restart_with(|| spawn_postgres(bindir, dir, port, run_as)).await?;
        self.wait_ready().await
    }

    pub async fn stop(self) {
        self.process.stop(false).await;
    }
}

/// Where ephemeral clusters live: memory (`/dev/shm`) when it has room, since the cluster is
/// thrown away anyway and two servers on one disk contend for it; else the temp directory.
/// `PGPARITY_TMPDIR` overrides both.
pub fn scratch_base() -> PathBuf {
    if let Some(dir) = std::env::var_os("PGPARITY_TMPDIR") {
        return PathBuf::from(dir);
    }
    const NEEDED: u64 = 2 << 30;
    let shm = Path::new("/dev/shm");
    // The statvfs field types differ between platforms.
    #[allow(clippy::unnecessary_cast)]
    let roomy = nix::sys::statvfs::statvfs(shm)
        .map(|s| (s.blocks_available() as u64).saturating_mul(s.fragment_size() as u64) >= NEEDED)
        .unwrap_or(false);
    if roomy && nix::unistd::access(shm, nix::unistd::AccessFlags::W_OK).is_ok() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

fn command(program: &Path, run_as: Option<(Uid, Gid)>) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(program);
    if let Some((uid, gid)) = run_as {
        cmd.uid(uid.as_raw()).gid(gid.as_raw());
    }
    // Own process group: a terminal's Ctrl-C reaches the harness, which stops the server itself.
    cmd.process_group(0).env("LC_ALL", "C").env_remove("PGDATA").stdin(Stdio::null());
    cmd
}

fn spawn_postgres(
    bindir: &Path,
    dir: &Path,
    port: u16,
    run_as: Option<(Uid, Gid)>,
) -> Result<tokio::process::Child, String> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("postgres.log"))
        .map_err(|e| format!("cannot open the server log: {e}"))?;
    let log2 = log.try_clone().map_err(|e| e.to_string())?;
    let mut cmd = command(&bindir.join("postgres"), run_as);
    cmd.arg("-D").arg(dir.join("data")).arg("-p").arg(port.to_string()).arg("-k").arg(dir);
    for setting in [
        "listen_addresses=127.0.0.1",
        "fsync=off",
        "synchronous_commit=off",
        "full_page_writes=off",
        "max_connections=60",
        "shared_buffers=32MB",
    ] {
        cmd.arg("-c").arg(setting);
    }
    cmd.stdout(log).stderr(log2);
    cmd.spawn().map_err(|e| format!("cannot start {}: {e}", bindir.join("postgres").display()))
}

/// PostgreSQL server binaries: the given directory, else `initdb` on PATH, else
/// `pg_config --bindir`, else the newest `/usr/lib/postgresql/*/bin`.
pub fn find_bindir(given: Option<&Path>) -> Result<PathBuf, String> {
    let complete = |d: &Path| d.join("initdb").is_file() && d.join("postgres").is_file();
    if let Some(dir) = given {
        return if complete(dir) {
            Ok(dir.to_path_buf())
        } else {
            Err(format!("{} has no initdb and postgres binaries", dir.display()))
        };
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if let Ok(real) = std::fs::canonicalize(dir.join("initdb")) {
                if let Some(parent) = real.parent().filter(|p| complete(p)) {
                    return Ok(parent.to_path_buf());
                }
            }
        }
    }
    if let Ok(out) = std::process::Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && complete(&dir) {
            return Ok(dir);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            complete(&bin).then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).ok_or_else(|| {
        "no PostgreSQL server binaries found (initdb on PATH, pg_config --bindir, /usr/lib/postgresql/*/bin); \
         install postgresql or pass local:/path/to/bin"
            .to_string()
    })
}
