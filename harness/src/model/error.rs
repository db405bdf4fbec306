//! The one error type of the harness and its mapping to documented exit codes.

use std::path::PathBuf;

/// Exit codes, documented in `--help` and the README.
pub mod exit {
    /// Every feature compatible.
    pub const OK: i32 = 0;
    /// Mismatches found.
    pub const MISMATCH: i32 = 1;
    /// Usage or workload error (nothing was run).
    pub const USAGE: i32 = 2;
    /// A target failed: unreachable, could not start, crashed.
    pub const TARGET: i32 = 3;
}

/// Where in an input file something is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input in a workload file, with its location.
    #[error("{location}: {message}")]
    Workload { location: Location, message: String },
    #[error("{0}")]
    Usage(String),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{target}: {message}")]
    Target { target: String, message: String },
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Workload { .. } | Error::Usage(_) | Error::Io { .. } => exit::USAGE,
            Error::Target { .. } => exit::TARGET,
        }
    }

    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }

    pub fn target(target: impl std::fmt::Display, message: impl Into<String>) -> Self {
        Error::Target { target: target.to_string(), message: message.into() }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
