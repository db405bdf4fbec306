//! Everything the harness started, so that Ctrl-C and SIGTERM leave no server processes or
//! temporary clusters behind. Normal shutdown goes through `Target::stop`; this registry is the
//! backstop used from the signal handler.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, killpg, Signal};
use nix::unistd::Pid;

/// A process the harness started and the directory it owns.
#[derive(Debug, Clone)]
pub struct Owned {
    pub pid: i32,
    /// Signal the whole process group (for `exec:` commands run through a shell).
    pub group: bool,
    /// The signal that stops it quickly (SIGQUIT for postgres, SIGTERM for others).
    pub signal: Signal,
    pub dir: Option<PathBuf>,
}

static OWNED: Mutex<Vec<Owned>> = Mutex::new(Vec::new());
/// Ids of containers the harness started (`docker:` targets).
static CONTAINERS: Mutex<Vec<String>> = Mutex::new(Vec::new());

pub fn register_container(id: &str) {
    CONTAINERS.lock().unwrap_or_else(|e| e.into_inner()).push(id.to_string());
}

pub fn unregister_container(id: &str) {
    CONTAINERS.lock().unwrap_or_else(|e| e.into_inner()).retain(|c| c != id);
}

pub fn register(owned: Owned) {
    OWNED.lock().unwrap_or_else(|e| e.into_inner()).push(owned);
}

pub fn unregister(pid: i32) {
    OWNED.lock().unwrap_or_else(|e| e.into_inner()).retain(|o| o.pid != pid);
}

pub fn update_pid(old: i32, new: i32) {
    for o in OWNED.lock().unwrap_or_else(|e| e.into_inner()).iter_mut() {
        if o.pid == old {
            o.pid = new;
        }
    }
}

/// Stop one owned process: its quick-stop signal, then SIGKILL after `grace`.
fn stop_process(owned: &Owned, grace: Duration) {
    let send = |sig: Signal| {
        if owned.group {
            let _ = killpg(Pid::from_raw(owned.pid), sig);
        } else {
            let _ = kill(Pid::from_raw(owned.pid), sig);
        }
    };
    send(owned.signal);
    let start = Instant::now();
    while start.elapsed() < grace && alive(owned.pid) {
        std::thread::sleep(Duration::from_millis(20));
    }
    if alive(owned.pid) {
        send(Signal::SIGKILL);
    }
}

/// Is the process still there (and not a zombie)?
pub fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z'),
        Err(_) => false,
    }
}

/// Stop everything still registered and remove its directories (signal path).
pub fn stop_all() {
    let owned: Vec<Owned> = std::mem::take(&mut *OWNED.lock().unwrap_or_else(|e| e.into_inner()));
    for o in &owned {
        stop_process(o, Duration::from_secs(5));
    }
    for o in &owned {
        if let Some(dir) = &o.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
    let containers: Vec<String> = std::mem::take(&mut *CONTAINERS.lock().unwrap_or_else(|e| e.into_inner()));
    if !containers.is_empty() {
        // The async runtime is being torn down: remove them with the docker CLI.
        let _ = std::process::Command::new("docker").arg("rm").arg("-f").args(&containers).output();
    }
}

/// A server process the harness started, registered for the signal path until it is stopped.
pub struct Supervised {
    child: tokio::process::Child,
    owned: Owned,
    grace: Duration,
    stopped: bool,
}

impl Supervised {
    /// Take charge of `child`; `dir` is removed when it is stopped for good.
    pub fn new(child: tokio::process::Child, group: bool, signal: Signal, dir: PathBuf, grace: Duration) -> Self {
        let pid = child.id().map(|p| p as i32).unwrap_or(0);
        let owned = Owned { pid, group, signal, dir: Some(dir) };
        register(owned.clone());
        Supervised { child, owned, grace, stopped: false }
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Its quick-stop signal, SIGKILL after the grace period, and for a process group a last
    /// SIGKILL to whatever of the group is left.
    async fn kill(&mut self) {
        let send = |sig: Signal| {
            if self.owned.group {
                let _ = killpg(Pid::from_raw(self.owned.pid), sig);
            } else {
                let _ = kill(Pid::from_raw(self.owned.pid), sig);
            }
        };
        send(self.owned.signal);
        if tokio::time::timeout(self.grace, self.child.wait()).await.is_err() {
            send(Signal::SIGKILL);
            let _ = self.child.wait().await;
        } else if self.owned.group {
            send(Signal::SIGKILL);
        }
    }

    /// Restart: stop this process first (it holds the port and the data directory), then put
    /// what `spawn` starts in its place.
    pub async fn restart_with(
        &mut self,
        spawn: impl FnOnce() -> Result<tokio::process::Child, String>,
    ) -> Result<(), String> {
        self.kill().await;
        let child = spawn()?;
        let pid = child.id().map(|p| p as i32).unwrap_or(0);
        update_pid(self.owned.pid, pid);
        self.owned.pid = pid;
        self.child = child;
        Ok(())
    }

    /// Stop it for good; remove its directory unless `keep_dir`.
    pub async fn stop(mut self, keep_dir: bool) {
        self.kill().await;
        self.stopped = true;
        unregister(self.owned.pid);
        if let (false, Some(dir)) = (keep_dir, &self.owned.dir) {
            let _ = tokio::fs::remove_dir_all(dir).await;
        }
    }
}

/// A backstop for error paths that drop a server without stopping it: SIGKILL, no wait.
impl Drop for Supervised {
    fn drop(&mut self) {
        if self.stopped || !self.is_running() {
            return;
        }
        let pid = Pid::from_raw(self.owned.pid);
        let _ = if self.owned.group { killpg(pid, Signal::SIGKILL) } else { kill(pid, Signal::SIGKILL) };
        unregister(self.owned.pid);
        if let Some(dir) = &self.owned.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
