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
pub fn stop_process(owned: &Owned, grace: Duration) {
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
}
