//! Every file the tool writes — `expected/`, `repros/`, captures, reports — and how: through a
//! temporary file and a rename, so a reader (or an interrupted run) never sees half a file.

pub mod expected;
pub mod json;

use std::path::{Path, PathBuf};

use crate::model::error::{Error, Result};
use crate::reduce::repro::Repro;

/// Write through a temporary file and rename; the folder is created when missing.
pub fn write_atomically(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let tmp = path.with_extension("tmp~");
    // The last guard: no password a target carries reaches a file.
    std::fs::write(&tmp, crate::model::secrets::scrub(text)).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

/// A repro's replayable file (`.sql` or `.yaml`) under `dir`; its path.
pub fn write_repro_file(dir: &Path, repro: &Repro) -> Result<PathBuf> {
    let path = dir.join(repro.file_name());
    write_atomically(&path, &repro.render())?;
    Ok(path)
}

/// A repro: its replayable file and its bug-report body (`.md`) under `dir`.
pub fn write_repro(dir: &Path, repro: &Repro) -> Result<()> {
    write_repro_file(dir, repro)?;
    write_atomically(&dir.join(format!("{}.md", repro.id)), &repro.render_markdown())
}

/// A captured connection, as workload `conn-NNNN.yaml` in `dir`; its path.
pub fn write_capture(dir: &Path, id: u64, text: &str) -> Result<PathBuf> {
    let path = dir.join(format!("conn-{id:04}.yaml"));
    write_atomically(&path, text)?;
    Ok(path)
}
