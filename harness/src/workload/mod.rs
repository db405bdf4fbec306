//! Workloads: finding, parsing and validating them, before any connection is opened (pure, sync).

pub mod psql;
pub mod shared;
pub mod slt;
pub mod spec;
pub mod sql;
pub mod suite;
mod yaml;

pub use yaml::step_yaml;

use std::path::{Component, Path, PathBuf};

use crate::model::error::{Error, Location};
use crate::model::{slate_name, Order, Requirement, Step, Workload};

/// A step of `sql`, with its top-level ORDER BY read from the parse tree.
pub fn step(sql: String, order: Order, location: Location) -> Step {
    let has_order_by = sql::has_top_level_order_by(&sql);
    Step::new(sql, order, has_order_by, location)
}

/// The same step with other SQL (a reduction's edit).
pub fn edited(step: &Step, sql: String) -> Step {
    Step { has_order_by: sql::has_top_level_order_by(&sql), sql, ..step.clone() }
}

/// Load every workload under `paths` (files or directories, searched recursively in sorted
/// order). All errors are collected so a user fixes them in one pass.
pub fn load_all(paths: &[PathBuf]) -> Result<Vec<Workload>, Vec<Error>> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match find_files(path) {
            Ok(found) => files.extend(found.into_iter().map(|f| (path.clone(), f))),
            Err(e) => errors.push(e),
        }
    }
    if files.is_empty() && errors.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        errors.push(Error::Usage(format!(
            "no workloads (.yaml, .yml, .sql, .spec, .slt, or a pg_regress schedule) found in {}",
            shown.join(", ")
        )));
    }
    let mut workloads: Vec<Workload> = Vec::new();
    let loaded = files.into_iter().flat_map(|(root, file)| -> Vec<Result<Workload, Error>> {
        if suite::is_schedule(&file) {
            match suite::load(&file) {
                Ok(tests) => tests.into_iter().map(Ok).collect(),
                Err(errors) => errors.into_iter().map(Err).collect(),
            }
        } else if file.extension().and_then(|e| e.to_str()) == Some("spec") {
            let loaded = read_text(&file).and_then(|text| spec::load(&file, &workload_id(&root, &file), &text));
            match loaded {
                Ok(permutations) => permutations.into_iter().map(Ok).collect(),
                Err(e) => vec![Err(e)],
            }
        } else if file.extension().and_then(|e| e.to_str()) == Some("slt") {
            vec![read_text(&file).and_then(|text| slt::load(&file, &workload_id(&root, &file), &text))]
        } else {
            vec![load_file(&root, &file)]
        }
    });
    for loaded in loaded {
        match loaded {
            Ok(w) => {
                let location = Location { file: w.path.clone(), line: 1, column: 1 };
                if let Some(other) = workloads.iter().find(|o| o.id == w.id) {
                    let message = format!("workload id `{}` is also used by {}", w.id, other.path.display());
                    errors.push(Error::Workload { location, message });
                } else if let Some(other) = workloads.iter().find(|o| slate_name(&o.id) == slate_name(&w.id)) {
                    // Both would run in the same database: one's would be dropped under the other.
                    let message = format!(
                        "workload id `{}` and `{}` ({}) map to the same database name `{}`; rename one",
                        w.id,
                        other.id,
                        other.path.display(),
                        slate_name(&w.id)
                    );
                    errors.push(Error::Workload { location, message });
                } else {
                    workloads.push(w);
                }
            }
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(workloads)
    } else {
        Err(errors)
    }
}

fn is_workload_file(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "sql" | "spec" | "slt"))
}

/// The largest workload file read (a bigger one is refused, not read into memory).
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// A workload file's text: only a regular file (a FIFO would hang, `/dev/zero` never ends), at
/// most `MAX_FILE_BYTES`, in UTF-8 — each refusal names the file.
fn read_text(file: &Path) -> Result<String, Error> {
    let meta = std::fs::metadata(file).map_err(|e| Error::io(file, e))?;
    let at = || Location { file: file.to_path_buf(), line: 1, column: 1 };
    if !meta.is_file() {
        let message = "not a regular file (a FIFO, device or socket?): workloads are files".to_string();
        return Err(Error::Workload { location: at(), message });
    }
    if meta.len() > MAX_FILE_BYTES {
        let message = format!("{} bytes is over the limit for a workload file ({MAX_FILE_BYTES} bytes)", meta.len());
        return Err(Error::Workload { location: at(), message });
    }
    let bytes = std::fs::read(file).map_err(|e| Error::io(file, e))?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let text = String::from_utf8_lossy(valid);
        let (line, column) = sql::line_col(&text, text.len());
        Error::Workload {
            location: Location { file: file.to_path_buf(), line, column },
            message: "invalid UTF-8: workloads are UTF-8 text".into(),
        }
    })
}

/// Folders of these names, met while searching a folder for workloads, are passed over (name
/// one directly to load its files as workloads): migration trees (for `pgparity migrate`), and
/// an old build's traffic with its migrations (for `pgparity compat`), which only means
/// something on a migrated schema.
pub const PASSED_OVER: &[&str] = &["migrations", "compat"];

fn find_files(path: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut found = Vec::new();
    let mut seen = std::collections::HashSet::new();
    walk(path, &mut found, &mut seen)?;
    Ok(found)
}

/// Files below `path`, each once: a folder reached again through a symbolic link (a loop, or
/// two links to one place) is not walked twice, nor a file listed twice.
fn walk(path: &Path, found: &mut Vec<PathBuf>, seen: &mut std::collections::HashSet<PathBuf>) -> Result<(), Error> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    let real = std::fs::canonicalize(path).map_err(|e| Error::io(path, e))?;
    if !seen.insert(real) {
        return Ok(());
    }
    if !meta.is_dir() {
        found.push(path.to_path_buf());
        return Ok(());
    }
    // A pg_regress suite: its schedule says which files run, and how.
    if let Some(schedule) = suite::schedule_in(path) {
        found.push(schedule);
        return Ok(());
    }
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(path).map_err(|e| Error::io(path, e))?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for entry in entries {
        let name = entry.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || name.eq_ignore_ascii_case("README.md") {
            continue;
        }
        if entry.is_dir() {
            // Migration histories and compat examples live beside workloads, not among them.
            if PASSED_OVER.contains(&name) {
                continue;
            }
            walk(&entry, found, seen)?;
        } else if is_workload_file(&entry) {
            walk(&entry, found, seen)?;
        }
    }
    Ok(())
}

/// The id of a file: its path below the nearest enclosing `workloads` folder (or below the
/// folder the user named), without extension, `/`-separated.
pub fn workload_id(root: &Path, file: &Path) -> String {
    let comps: Vec<String> = file
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    let below = if let Some(i) = comps.iter().rposition(|c| c == "workloads") {
        comps[i + 1..].to_vec()
    } else if root.is_dir() {
        let root_len = root.components().filter(|c| matches!(c, Component::Normal(_))).count();
        let base = root.file_name().map(|n| n.to_string_lossy().into_owned());
        let mut v: Vec<String> = base.into_iter().collect();
        v.extend(comps.iter().skip(root_len).cloned());
        v
    } else {
        comps.iter().rev().take(2).rev().cloned().collect()
    };
    let mut id = below.join("/");
    if let Some(dot) = id.rfind('.') {
        if !id[dot..].contains('/') {
            id.truncate(dot);
        }
    }
    id
}

fn load_file(root: &Path, file: &Path) -> Result<Workload, Error> {
    let text = read_text(file)?;
    let id = workload_id(root, file);
    not_supported_yet(parse(file, &id, &text), file, &id, || sql_names(file, &id))
}

/// A file psql runs that uses what is not supported here yet: not tested, with where and why
/// (`names`: its feature and area), and the run goes on. Any other error stays an error.
fn not_supported_yet(
    loaded: Result<Workload, Error>,
    file: &Path,
    id: &str,
    names: impl FnOnce() -> (String, String),
) -> Result<Workload, Error> {
    match loaded {
        Err(Error::Workload { location, message }) if message.contains(psql::NOT_SUPPORTED) => {
            let (feature, area) = names();
            let unsupported = Some(format!("{location}: {message}"));
            Ok(Workload { unsupported, ..Workload::new(file, id, feature, area) })
        }
        other => other,
    }
}

/// A workload from its text, as if read from `file` (`.sql`, else YAML): the loader's whole
/// parse and validation, without the file system (the fuzz targets drive it).
pub fn parse(file: &Path, id: &str, text: &str) -> Result<Workload, Error> {
    // A byte-order mark is not part of the first key or statement.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match file.extension().and_then(|e| e.to_str()) {
        Some("sql") => load_sql(file, id, text),
        _ => yaml::load(file, id, text),
    }
}

/// Split SQL text into steps with file locations.
/// `base` is the file line and column of the text's first character; every line of a YAML
/// block scalar carries the same indentation, so columns shift by the same amount.
pub(crate) fn steps_from_sql(file: &Path, sql_text: &str, base: (usize, usize)) -> Result<Vec<Step>, Error> {
    let items = sql::split(sql_text).map(|pieces| pieces.into_iter().map(sql::Item::Statement).collect());
    steps_of(file, sql_text, base, items)
}

/// Items of `text` as steps located in `file` (`base`: where the text starts there).
fn steps_of(
    file: &Path,
    text: &str,
    base: (usize, usize),
    items: Result<Vec<sql::Item>, sql::SplitError>,
) -> Result<Vec<Step>, Error> {
    let mut lines = sql::Locator::new(text);
    let mut locate = |offset: usize| {
        let (line, column) = lines.at(offset);
        Location { file: file.to_path_buf(), line: base.0 + line - 1, column: column + base.1 - 1 }
    };
    let items = items.map_err(|e| Error::Workload { location: locate(e.offset), message: e.message })?;
    Ok(items
        .into_iter()
        .map(|item| match item {
            sql::Item::Statement(p) => {
                Step { copy_data: p.copy_data, runtime: p.runtime, ..step(p.text, Order::Auto, locate(p.offset)) }
            }
            sql::Item::Meta(m) => {
                Step { psql_only: true, runtime: m.runtime, ..step(m.text, Order::Auto, locate(m.offset)) }
            }
        })
        .collect())
}

/// A `.sql` file as psql runs it (`psql.rs`): every statement sent is a step, and so is every
/// display or describe command (a step that sends nothing); variables come from the script and
/// `env` (`\getenv`).
pub(crate) fn steps_from_script(
    file: &Path,
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Step>, Error> {
    steps_of(file, text, (1, 1), sql::script(text, env))
}

/// A `.sql` file's feature and area unless its comments say otherwise: its stem and folder.
fn sql_names(file: &Path, id: &str) -> (String, String) {
    let feature = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let area = id.rsplit_once('/').map(|(dir, _)| dir.to_string()).unwrap_or_else(|| "general".into());
    (feature, area)
}

/// A `.sql` file: every statement is a step; feature = file stem, area = folder, unless the
/// leading comment block says otherwise (`-- feature: …`, `-- area: …`, `-- description: …`,
/// `-- requires: extension:x, version:16`).
fn load_sql(file: &Path, id: &str, text: &str) -> Result<Workload, Error> {
    load_sql_with(file, id, text, &|name| std::env::var(name).ok())
}

/// A `.sql` file, its `\getenv` reading `env`.
fn load_sql_with(file: &Path, id: &str, text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Workload, Error> {
    let steps = steps_from_script(file, text, env)?;
    if steps.is_empty() {
        return Err(Error::Workload {
            location: Location { file: file.to_path_buf(), line: 1, column: 1 },
            message: "no SQL statements in this file".into(),
        });
    }
    let (mut feature, mut area) = sql_names(file, id);
    let mut description = None;
    let mut requires = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let Some(comment) = line.trim_start().strip_prefix("--") else {
            if line.trim().is_empty() {
                continue;
            }
            break;
        };
        let Some((key, value)) = comment.split_once(':') else {
            continue;
        };
        let value = value.trim().to_string();
        match key.trim() {
            "feature" => feature = value,
            "area" => area = value,
            "description" => description = Some(value),
            "requires" => {
                for r in value.split(',').map(str::trim).filter(|r| !r.is_empty()) {
                    let req = Requirement::parse(r).map_err(|message| Error::Workload {
                        location: Location { file: file.to_path_buf(), line: n + 1, column: 1 },
                        message,
                    })?;
                    requires.push(req);
                }
            }
            _ => {}
        }
    }
    Ok(Workload { description, requires, steps, ..Workload::new(file, id, feature, area) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_relative_to_the_workloads_folder() {
        let id = workload_id(Path::new("workloads"), Path::new("workloads/dml/returning.yaml"));
        assert_eq!(id, "dml/returning");
        let id = workload_id(Path::new("/x/workloads/dml"), Path::new("/x/workloads/dml/a.sql"));
        assert_eq!(id, "dml/a");
    }

    /// A FIFO hung the loader, a link to `/dev/zero` was read until memory ran out, a link loop
    /// loaded one workload again and again, and a byte-order mark broke the first key: now
    /// only regular files are read (each once, at most `MAX_FILE_BYTES`), and a mark is dropped.
    #[test]
    fn only_regular_files_each_once_and_a_byte_order_mark_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("w");
        std::fs::create_dir(&root).unwrap();
        std::fs::write(root.join("a.yaml"), "\u{feff}feature: F\narea: A\nsteps:\n  - sql: SELECT 1\n").unwrap();
        std::fs::write(root.join("b.sql"), "\u{feff}SELECT 2;\n").unwrap();
        std::os::unix::fs::symlink(&root, root.join("again")).unwrap();
        let loaded = load_all(std::slice::from_ref(&root)).expect("a loop is walked once");
        let ids: Vec<&str> = loaded.iter().map(|w| w.id.as_str()).collect();
        assert_eq!(ids, ["w/a", "w/b"]);
        assert_eq!(loaded[0].feature, "F");
        assert_eq!(loaded[1].steps[0].sql, "SELECT 2");
        nix::unistd::mkfifo(&root.join("pipe.sql"), nix::sys::stat::Mode::S_IRWXU).unwrap();
        std::os::unix::fs::symlink("/dev/zero", root.join("zero.yaml")).unwrap();
        let big = std::fs::File::create(root.join("big.sql")).unwrap();
        big.set_len(MAX_FILE_BYTES + 1).unwrap();
        let errors: Vec<String> = load_all(&[root]).expect_err("refused").iter().map(|e| e.to_string()).collect();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("pipe.sql:1:1: not a regular file")), "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("zero.yaml:1:1: not a regular file")), "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("big.sql:1:1") && e.contains("over the limit")), "{errors:?}");
    }

    #[test]
    fn invalid_utf8_names_where_it_starts() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.sql");
        std::fs::write(&file, b"SELECT 1;\nSELECT '\xff';\n").unwrap();
        let e = load_all(&[file]).expect_err("refused")[0].to_string();
        assert!(e.contains("bad.sql:2:9: invalid UTF-8"), "{e}");
    }

    /// `a-b` and `a_b` would share database `pgparity_a_b`: the run would drop one's database
    /// under the other. Refused at load, naming both.
    #[test]
    fn ids_that_share_a_database_name_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("w");
        std::fs::create_dir(&root).unwrap();
        for name in ["a-b.sql", "a_b.sql", "c.sql"] {
            std::fs::write(root.join(name), "SELECT 1;\n").unwrap();
        }
        let errors = load_all(&[root]).expect_err("refused");
        assert_eq!(errors.len(), 1);
        let message = errors[0].to_string();
        assert!(message.contains("a_b.sql:1:1") && message.contains("`w/a-b`"), "{message}");
        assert!(message.contains("same database name `pgparity_w_a_b`"), "{message}");
    }

    #[test]
    fn sql_files_become_one_step_per_statement() {
        let w =
            load_sql(Path::new("w/types/casts.sql"), "types/casts", "SELECT 1;\n-- c\nSELECT 'x' ORDER BY 1;").unwrap();
        assert_eq!(w.feature, "casts");
        assert_eq!(w.area, "types");
        assert_eq!(w.steps.len(), 2);
        assert_eq!(w.steps[1].location.line, 3);
        assert!(w.steps[1].ordered());
        assert!(!w.steps[0].ordered());
    }

    #[test]
    fn sql_header_comments_name_feature_and_area() {
        let text = "-- feature: Casts\n-- area: Types\n-- requires: version:13\n-- just a comment\nSELECT 1;\n-- area: ignored\n";
        let w = load_sql(Path::new("w/x.sql"), "x", text).unwrap();
        assert_eq!((w.feature.as_str(), w.area.as_str()), ("Casts", "Types"));
        assert_eq!(w.requires, vec![Requirement::MinVersion(13)]);
        let err = load_sql(Path::new("w/x.sql"), "x", "\n-- requires: os:x\nSELECT 1").unwrap_err();
        assert!(err.to_string().starts_with("w/x.sql:2:1: unknown requirement"), "{err}");
    }

    #[test]
    fn requirements_parse_or_explain() {
        assert_eq!(Requirement::parse("extension:pgcrypto"), Ok(Requirement::Extension("pgcrypto".into())));
        assert_eq!(Requirement::parse("version:16"), Ok(Requirement::MinVersion(16)));
        assert!(Requirement::parse("version:x").unwrap_err().contains("major version"));
        assert!(Requirement::parse("os:linux").unwrap_err().contains("unknown requirement"));
    }
}
