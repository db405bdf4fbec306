//! A migration tree: the files of one folder, in the order a migration tool applies them.
//! The naming convention is detected from the names (and named in the report): Flyway
//! (`V<version>__<name>.sql`), golang-migrate (`<version>_<name>.up.sql`), sqlx
//! (`<version>_<name>.sql`, `.up.sql`), dbmate (`<version>_<name>.sql` with `-- migrate:up` /
//! `-- migrate:down` sections), diesel (`<version>_<name>/up.sql`), Prisma
//! (`<version>_<name>/migration.sql`), and plain numbered files (`001.sql`, `002-users.sql`).
//! Down migrations are recognised and left out; an order file (one path per line) overrides
//! everything. Pure: it reads files, never a database.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::model::error::{Error, Location};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Convention {
    Flyway,
    GolangMigrate,
    Sqlx,
    Dbmate,
    Diesel,
    Prisma,
    Numbered,
    /// The order file's.
    OrderFile,
}

impl std::fmt::Display for Convention {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Convention::Flyway => "Flyway (V<version>__<name>.sql)",
            Convention::GolangMigrate => "golang-migrate (<version>_<name>.up.sql)",
            Convention::Sqlx => "sqlx (<version>_<name>.sql)",
            Convention::Dbmate => "dbmate (<version>_<name>.sql, -- migrate:up sections)",
            Convention::Diesel => "diesel (<version>_<name>/up.sql)",
            Convention::Prisma => "Prisma (<version>_<name>/migration.sql)",
            Convention::Numbered => "numbered files (<number>[-_<name>].sql)",
            Convention::OrderFile => "an order file",
        })
    }
}

/// One migration: its version (for ordering and pairing), its file and the SQL it applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// As the file names it, leading zeros dropped (`18`, `2.1`, `20240101120000`).
    pub version: String,
    /// The numbers the version orders by.
    pub key: Vec<u64>,
    pub name: String,
    pub path: PathBuf,
    /// The up SQL (a dbmate file's `-- migrate:up` section; the whole file otherwise).
    pub sql: String,
    /// The line of `path` where `sql` starts (1-based), for locations.
    pub first_line: usize,
    /// A leading `-- backward-compatible: true|false` comment, if any.
    pub backward_compatible: Option<bool>,
}

/// A folder's migrations, ordered.
#[derive(Debug, Clone)]
pub struct Tree {
    pub root: PathBuf,
    pub convention: Convention,
    pub migrations: Vec<Migration>,
    /// Down migrations seen and left out.
    pub down: usize,
}

impl Tree {
    pub fn get(&self, version: &str) -> Option<&Migration> {
        self.migrations.iter().find(|m| m.version == version)
    }

    /// Where a version as a user types it is (`3`, `003`, `1.2`, `1_2`).
    pub fn position(&self, text: &str) -> Option<usize> {
        let key = version(text.trim().trim_start_matches(['V', 'v']), &['.', '_']).map(|(_, key)| key);
        self.migrations.iter().position(|m| m.version == text || Some(&m.key) == key.as_ref())
    }
}

fn err(path: &Path, line: usize, message: impl Into<String>) -> Error {
    Error::Workload { location: Location { file: path.to_path_buf(), line, column: 1 }, message: message.into() }
}

/// `007` → (`7`, [7]); `1_2` (Flyway) → (`1.2`, [1, 2]); None when it is no version.
fn version(text: &str, separators: &[char]) -> Option<(String, Vec<u64>)> {
    let parts: Vec<&str> = text.split(|c| separators.contains(&c)).collect();
    if parts.is_empty() || parts.iter().any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_digit())) {
        return None;
    }
    let key: Vec<u64> = parts.iter().map(|p| p.parse().ok()).collect::<Option<_>>()?;
    Some((key.iter().map(u64::to_string).collect::<Vec<_>>().join("."), key))
}

/// The leading digits of a name and what follows a separator (`0003_users` → `0003`, `users`).
fn split_version(stem: &str) -> Option<(&str, &str)> {
    let end = stem.find(|c: char| !c.is_ascii_digit()).unwrap_or(stem.len());
    if end == 0 {
        return None;
    }
    let rest = &stem[end..];
    let name = rest.trim_start_matches(['_', '-', '.']);
    (rest.is_empty() || rest.len() != name.len()).then_some((&stem[..end], name))
}

/// Read the migrations of `root`, or of `order` (a file listing them, relative to `root`).
pub fn read(root: &Path, order: Option<&Path>) -> Result<Tree, Error> {
    if !root.is_dir() {
        return Err(Error::Usage(format!("{}: not a folder of migrations", root.display())));
    }
    if let Some(order) = order {
        return read_order(root, order);
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(root)
        .map_err(|e| Error::io(root, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
        .collect();
    entries.sort();
    let dirs: Vec<&PathBuf> = entries.iter().filter(|p| p.is_dir()).collect();
    let files: Vec<&PathBuf> = entries.iter().filter(|p| p.is_file() && has_ext(p, "sql")).collect();
    let (convention, mut found, down) =
        if !dirs.is_empty() && files.is_empty() { read_dirs(&dirs)? } else { read_files(&files)? };
    if found.is_empty() {
        return Err(Error::Usage(format!("{}: no migrations found", root.display())));
    }
    found.sort_by(|a, b| a.key.cmp(&b.key));
    for pair in found.windows(2) {
        if pair[0].key == pair[1].key {
            let message = format!("version {} is also {}", pair[1].version, pair[0].path.display());
            return Err(err(&pair[1].path, 1, message));
        }
    }
    Ok(Tree { root: root.to_path_buf(), convention, migrations: found, down })
}

fn has_ext(p: &Path, ext: &str) -> bool {
    p.extension().is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

fn stem(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

fn read_files(files: &[&PathBuf]) -> Result<(Convention, Vec<Migration>, usize), Error> {
    let names: Vec<String> = files.iter().map(|p| stem(p)).collect();
    let flyway = names.iter().any(|n| n.starts_with('V') && n.contains("__"));
    let updown = names.iter().any(|n| n.ends_with(".up.sql") || n.ends_with(".down.sql"));
    let mut out = Vec::new();
    let mut down = 0;
    let mut convention = if flyway {
        Convention::Flyway
    } else if updown {
        Convention::GolangMigrate
    } else {
        Convention::Numbered
    };
    for (path, name) in files.iter().zip(&names) {
        let base = name.strip_suffix(".sql").or_else(|| name.strip_suffix(".SQL")).unwrap_or(name);
        if base.ends_with(".down") || (flyway && (name.starts_with('U') || name.starts_with("R__"))) {
            down += 1;
            continue;
        }
        let base = base.strip_suffix(".up").unwrap_or(base);
        let (version, name) = if flyway {
            let rest = base
                .strip_prefix('V')
                .ok_or_else(|| err(path, 1, "a Flyway migration is named V<version>__<name>.sql"))?;
            let (v, n) = rest
                .split_once("__")
                .ok_or_else(|| err(path, 1, "a Flyway migration is named V<version>__<name>.sql"))?;
            (version(v, &['.', '_']), n.replace('_', " "))
        } else {
            match split_version(base) {
                Some((v, n)) => (version(v, &[]), n.to_string()),
                None => (None, String::new()),
            }
        };
        let Some((version, key)) = version else {
            return Err(err(path, 1, format!("`{name}` does not start with a version number ({convention})")));
        };
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path.as_path(), e))?;
        let (sql, first_line) = match dbmate_up(&text) {
            Some(up) => {
                if !flyway && !updown {
                    convention = Convention::Dbmate;
                }
                up
            }
            None => (text.clone(), 1),
        };
        // `<version>_<name>` is sqlx's (and dbmate's); `<version>-<name>` or a bare number, plain.
        let digits = base.len() - base.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if convention == Convention::Numbered && base[digits..].starts_with('_') {
            convention = Convention::Sqlx;
        }
        out.push(Migration {
            backward_compatible: declared_compatibility(&sql),
            version,
            key,
            name,
            path: path.to_path_buf(),
            sql,
            first_line,
        });
    }
    Ok((convention, out, down))
}

fn read_dirs(dirs: &[&PathBuf]) -> Result<(Convention, Vec<Migration>, usize), Error> {
    let mut out = Vec::new();
    let mut down = 0;
    let mut convention = Convention::Diesel;
    for dir in dirs {
        let name = stem(dir);
        let Some((v, n)) = split_version(&name) else { continue };
        let Some((version, key)) = version(v, &[]) else { continue };
        let (file, conv) = if dir.join("up.sql").is_file() {
            (dir.join("up.sql"), Convention::Diesel)
        } else if dir.join("migration.sql").is_file() {
            (dir.join("migration.sql"), Convention::Prisma)
        } else {
            return Err(err(dir, 1, "a migration folder holds up.sql (diesel) or migration.sql (Prisma)"));
        };
        convention = conv;
        down += usize::from(dir.join("down.sql").is_file());
        let sql = std::fs::read_to_string(&file).map_err(|e| Error::io(&file, e))?;
        out.push(Migration {
            backward_compatible: declared_compatibility(&sql),
            version,
            key,
            name: n.replace('_', " "),
            path: file,
            sql,
            first_line: 1,
        });
    }
    Ok((convention, out, down))
}

fn read_order(root: &Path, order: &Path) -> Result<Tree, Error> {
    let text = std::fs::read_to_string(order).map_err(|e| Error::io(order, e))?;
    let mut migrations = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let path = root.join(line);
        let sql = std::fs::read_to_string(&path).map_err(|e| err(order, i + 1, format!("{}: {e}", path.display())))?;
        let n = migrations.len() as u64 + 1;
        migrations.push(Migration {
            version: n.to_string(),
            key: vec![n],
            name: line.to_string(),
            path,
            backward_compatible: declared_compatibility(&sql),
            sql,
            first_line: 1,
        });
    }
    if migrations.is_empty() {
        return Err(err(order, 1, "the order file lists no migration"));
    }
    Ok(Tree { root: root.to_path_buf(), convention: Convention::OrderFile, migrations, down: 0 })
}

/// A dbmate file's up section and the line it starts on; `None` without dbmate markers.
fn dbmate_up(text: &str) -> Option<(String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let marker = |l: &str, what: &str| l.trim().to_ascii_lowercase().replace(' ', "") == format!("--migrate:{what}");
    let up = lines.iter().position(|l| marker(l, "up"))?;
    let end = lines.iter().skip(up + 1).position(|l| marker(l, "down")).map_or(lines.len(), |i| up + 1 + i);
    Some((lines[up + 1..end].join("\n"), up + 2))
}

/// `-- backward-compatible: true` (or false) among the leading comment lines.
pub fn declared_compatibility(sql: &str) -> Option<bool> {
    for line in sql.lines().map(str::trim).take_while(|l| l.is_empty() || l.starts_with("--")) {
        let body = line.trim_start_matches('-').trim().to_ascii_lowercase();
        if let Some(v) = body.strip_prefix("backward-compatible:").or_else(|| body.strip_prefix("backward_compatible:"))
        {
            return match v.trim() {
                "true" | "yes" => Some(true),
                "false" | "no" => Some(false),
                _ => None,
            };
        }
    }
    None
}

/// Two trees paired by version, in version order: `(version, reference's, candidate's)`.
pub fn pair<'a>(
    reference: &'a Tree,
    candidate: &'a Tree,
) -> Vec<(String, Option<&'a Migration>, Option<&'a Migration>)> {
    let mut keys: Vec<(&Vec<u64>, &str)> =
        reference.migrations.iter().chain(&candidate.migrations).map(|m| (&m.key, m.version.as_str())).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter().map(|(_, v)| (v.to_string(), reference.get(v), candidate.get(v))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> (tempfile::TempDir, Result<Tree, Error>) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let t = read(dir.path(), None);
        (dir, t)
    }

    fn versions(t: &Tree) -> Vec<&str> {
        t.migrations.iter().map(|m| m.version.as_str()).collect()
    }

    #[test]
    fn conventions_are_told_apart_and_ordered_by_version() {
        let (_d, t) =
            tree(&[("V10__later.sql", "x"), ("V2__users.sql", "y"), ("V1_1__fix.sql", "z"), ("U2__undo.sql", "")]);
        let t = t.unwrap();
        assert_eq!((t.convention, versions(&t), t.down), (Convention::Flyway, vec!["1.1", "2", "10"], 1));
        assert_eq!(t.migrations[1].name, "users");
        let (_d, t) = tree(&[("002_b.up.sql", "b"), ("001_a.up.sql", "a"), ("001_a.down.sql", "-a")]);
        let t = t.unwrap();
        assert_eq!((t.convention, versions(&t), t.down), (Convention::GolangMigrate, vec!["1", "2"], 1));
        let (_d, t) = tree(&[("20240102_b.sql", "b"), ("20240101_a.sql", "a")]);
        assert_eq!(t.unwrap().convention, Convention::Sqlx);
        let (_d, t) = tree(&[("010.sql", ""), ("9-users.sql", "")]);
        let t = t.unwrap();
        assert_eq!((t.convention, versions(&t)), (Convention::Numbered, vec!["9", "10"]));
        let (_d, t) = tree(&[("2024_a/up.sql", "a"), ("2024_a/down.sql", "-a"), ("2025_b/up.sql", "b")]);
        let t = t.unwrap();
        assert_eq!((t.convention, versions(&t), t.down), (Convention::Diesel, vec!["2024", "2025"], 1));
        let (_d, t) = tree(&[("20240101_init/migration.sql", "a")]);
        assert_eq!(t.unwrap().convention, Convention::Prisma);
    }

    #[test]
    fn dbmate_files_give_their_up_section() {
        let (_d, t) =
            tree(&[("20240101_a.sql", "-- migrate:up\nCREATE TABLE a (id int);\n\n-- migrate:down\nDROP TABLE a;\n")]);
        let t = t.unwrap();
        assert_eq!(t.convention, Convention::Dbmate);
        assert_eq!(t.migrations[0].sql.trim(), "CREATE TABLE a (id int);");
        assert_eq!(t.migrations[0].first_line, 2);
    }

    #[test]
    fn bad_names_and_duplicate_versions_name_the_file() {
        let (_d, t) = tree(&[("001_a.sql", ""), ("users.sql", "")]);
        let e = t.unwrap_err().to_string();
        assert!(e.contains("users.sql:1:1") && e.contains("does not start with a version"), "{e}");
        let (_d, t) = tree(&[("001_a.sql", ""), ("1_b.sql", "")]);
        let e = t.unwrap_err().to_string();
        assert!(e.contains("version 1 is also"), "{e}");
    }

    #[test]
    fn declarations_and_pairing() {
        let (_d, a) = tree(&[
            ("1_a.sql", "-- backward-compatible: true\nCREATE TABLE a ();"),
            ("2_b.sql", "x"),
            ("4_d.sql", "y"),
        ]);
        let (_e, b) = tree(&[("1_a.sql", ""), ("3_c.sql", ""), ("4_d.sql", "")]);
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.migrations[0].backward_compatible, Some(true));
        assert_eq!(a.migrations[1].backward_compatible, None);
        let paired: Vec<(String, bool, bool)> =
            pair(&a, &b).into_iter().map(|(v, r, c)| (v, r.is_some(), c.is_some())).collect();
        assert_eq!(
            paired,
            vec![
                ("1".into(), true, true),
                ("2".into(), true, false),
                ("3".into(), false, true),
                ("4".into(), true, true)
            ]
        );
    }
}
