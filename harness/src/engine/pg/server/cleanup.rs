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
    /// Signal the leader only, then wait for the whole group: a helper that stops its own
    /// children (initdb closes the pipe its bootstrap server reads, which then exits cleanly;
    /// signalled itself, that server would leave its shared memory behind).
    pub leader_only: bool,
    /// The signal that stops it quickly (SIGQUIT for postgres, SIGTERM for others).
    pub signal: Signal,
    pub dir: Option<PathBuf>,
}

static OWNED: Mutex<Vec<Owned>> = Mutex::new(Vec::new());
/// Directories made for a server before (or while) the process that owns them runs: a cluster
/// directory during `initdb`. Removed on the signal path once every process is gone.
static DIRS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
/// What the harness made on servers it does not own, until it is dropped again.
static LEFTOVERS: Mutex<Vec<Leftover>> = Mutex::new(Vec::new());

/// Something the harness made on a server it does not own (a URL target): the signal path drops
/// what is left (`engine::pg::drop_leftovers`), so that an interrupted run leaves nothing behind.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Leftover {
    /// A database, dropped through the admin connection `params`.
    Database { params: crate::engine::pg::wire::ConnectParams, name: String },
    /// A workload's schema in the user's database (`params`), and with it every schema that was
    /// not there before it (`before`): what the workload created.
    Schema { params: crate::engine::pg::wire::ConnectParams, name: String, before: Vec<String> },
}

/// Set on a signal: admin workers start no new job.
static STOPPING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
/// Admin jobs running now.
static BUSY: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

pub fn stopping() -> bool {
    STOPPING.load(std::sync::atomic::Ordering::SeqCst)
}

/// An admin job running: counted until dropped, so that the signal path can wait for it.
pub struct Busy(());

impl Busy {
    pub fn start() -> Busy {
        BUSY.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Busy(())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        BUSY.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The signal path: no new admin job, then wait (up to `limit`) for the running ones, so that a
/// database being created is known before the leftovers are dropped.
pub async fn quiesce(limit: Duration) {
    STOPPING.store(true, std::sync::atomic::Ordering::SeqCst);
    let start = Instant::now();
    while BUSY.load(std::sync::atomic::Ordering::SeqCst) > 0 && start.elapsed() < limit {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub fn remember(leftover: Leftover) {
    LEFTOVERS.lock().unwrap_or_else(|e| e.into_inner()).push(leftover);
}

pub fn forget(leftover: &Leftover) {
    let mut all = LEFTOVERS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(i) = all.iter().position(|l| l == leftover) {
        all.remove(i);
    }
}

pub fn take_leftovers() -> Vec<Leftover> {
    std::mem::take(&mut *LEFTOVERS.lock().unwrap_or_else(|e| e.into_inner()))
}

/// Ids of containers the harness started (`docker:` targets).
static CONTAINERS: Mutex<Vec<String>> = Mutex::new(Vec::new());

pub fn register_container(id: &str) {
    CONTAINERS.lock().unwrap_or_else(|e| e.into_inner()).push(id.to_string());
}

pub fn unregister_container(id: &str) {
    CONTAINERS.lock().unwrap_or_else(|e| e.into_inner()).retain(|c| c != id);
}

pub fn register_dir(dir: &std::path::Path) {
    DIRS.lock().unwrap_or_else(|e| e.into_inner()).push(dir.to_path_buf());
}

pub fn unregister_dir(dir: &std::path::Path) {
    DIRS.lock().unwrap_or_else(|e| e.into_inner()).retain(|d| d != dir);
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

/// Stop one owned process: its quick-stop signal (for postgres, immediate shutdown: it stops
/// its backends and removes its shared memory), a wait of up to `grace`, then SIGKILL; for a
/// process group, until no member of the group is left.
fn stop_process(owned: &Owned, grace: Duration) {
    let send = |sig: Signal| {
        if owned.group && !(owned.leader_only && sig != Signal::SIGKILL) {
            let _ = killpg(Pid::from_raw(owned.pid), sig);
        } else {
            let _ = kill(Pid::from_raw(owned.pid), sig);
        }
    };
    let running = || if owned.group { group_alive(owned.pid) } else { alive(owned.pid) };
    send(owned.signal);
    let start = Instant::now();
    while start.elapsed() < grace && running() {
        std::thread::sleep(Duration::from_millis(20));
    }
    if running() {
        send(Signal::SIGKILL);
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) && running() {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Is any process of this process group still there (zombies aside)?
pub fn group_alive(pgid: i32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else { return alive(pgid) };
    entries.flatten().any(|e| {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else { return false };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return false };
        // After the command's closing parenthesis: state, ppid, pgrp.
        let mut fields = stat.rsplit(')').next().unwrap_or("").split_whitespace();
        let state = fields.next().unwrap_or("Z");
        let pgrp = fields.nth(1).and_then(|f| f.parse::<i32>().ok());
        state != "Z" && pgrp == Some(pgid)
    })
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
    for dir in std::mem::take(&mut *DIRS.lock().unwrap_or_else(|e| e.into_inner())) {
        let _ = std::fs::remove_dir_all(dir);
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
        let owned = Owned { pid, group, leader_only: false, signal, dir: Some(dir) };
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

/// When a server is dropped without being stopped (an error path, or the work dropped on a
/// signal): stopped the way `stop` does, synchronously, and its directory removed after it.
impl Drop for Supervised {
    fn drop(&mut self) {
        if self.stopped {
            return;
        }
        if self.is_running() {
            stop_process(&self.owned, self.grace);
            let _ = self.child.try_wait();
        }
        unregister(self.owned.pid);
        if let Some(dir) = &self.owned.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A short-lived helper the harness runs and waits for (`initdb`), in its own process group and
/// registered for the signal path; stopped with its whole group when dropped unfinished.
pub async fn run_helper(mut command: tokio::process::Command) -> std::io::Result<std::process::Output> {
    command.process_group(0).kill_on_drop(false);
    let child = command.spawn()?;
    let pid = child.id().map(|p| p as i32).unwrap_or(0);
    let owned = Owned { pid, group: true, leader_only: true, signal: Signal::SIGTERM, dir: None };
    register(owned.clone());
    struct Guard(Owned, bool);
    impl Drop for Guard {
        fn drop(&mut self) {
            if !self.1 {
                stop_process(&self.0, Duration::from_secs(5));
            }
            unregister(self.0.pid);
        }
    }
    let mut guard = Guard(owned, false);
    let out = child.wait_with_output().await;
    guard.1 = true;
    out
}
