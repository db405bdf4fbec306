//! bindgen's place in pg_query's build script: the builder calls pg_query makes
//! (`Builder::default().header(…).generate()?.write_to_file(…)`), answered with bindings that
//! bindgen 0.66.1 generated for pg_query 18.1.0's `pg_query.h` on x86_64 Linux (glibc). The
//! header is checked first: any other header is an error that says how to regenerate.

use std::fmt;
use std::path::{Path, PathBuf};

/// The header the bindings were generated from: its length and FNV-1a 64 hash.
const HEADER_LEN: usize = 7986;
const HEADER_FNV: u64 = 0x26ff_b91b_61b0_c085;
const BINDINGS: &str = include_str!("pg_query_18_1_0.rs");

#[derive(Debug, Default)]
pub struct Builder {
    headers: Vec<PathBuf>,
}

#[derive(Debug)]
pub struct BindgenError(String);

impl fmt::Display for BindgenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BindgenError {}

pub struct Bindings(&'static str);

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3))
}

impl Builder {
    pub fn header<T: Into<String>>(mut self, header: T) -> Builder {
        self.headers.push(PathBuf::from(header.into()));
        self
    }

    pub fn generate(self) -> Result<Bindings, BindgenError> {
        let [header] = self.headers.as_slice() else {
            return Err(BindgenError("these bindings are for one header, pg_query.h".into()));
        };
        let text = std::fs::read(header).map_err(|e| BindgenError(format!("{}: {e}", header.display())))?;
        let arch_ok = cfg!(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"));
        if text.len() != HEADER_LEN || fnv(&text) != HEADER_FNV || !arch_ok {
            return Err(BindgenError(format!(
                "{}: the pre-generated bindings in vendor/bindgen are for pg_query 18.1.0's header on x86_64 Linux; \
                 after upgrading pg_query (or on another platform) regenerate them as vendor/bindgen/README.md says",
                header.display()
            )));
        }
        Ok(Bindings(BINDINGS))
    }
}

impl Bindings {
    pub fn write_to_file<P: AsRef<Path>>(&self, path: P) -> std::io::Result<()> {
        std::fs::write(path, self.0)
    }
}
