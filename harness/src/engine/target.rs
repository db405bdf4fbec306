//! The target grammar, the same for `--reference` and `--candidate`: what the user named,
//! parsed and validated before anything starts, and printed with passwords redacted.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::pg;

/// A target as the user named it (`local`, `local:/bin`, `postgres://…`, `exec:CMD`,
/// `docker:IMG`, `sqlite`, `sqlite:PATH?pragma=value`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSpec {
    Local(Option<PathBuf>),
    Url(String),
    Exec(String),
    Docker(String),
    Sqlite(SqliteSpec),
    /// Not a target: kept (redacted) so that `validate` refuses it before anything starts —
    /// the command-line parser would echo the raw value, password included.
    Invalid {
        shown: String,
        why: String,
    },
}

/// An SQLite target: a fresh database the harness creates (`path` is `None`), or copies of an
/// existing file (the user's file is never opened for writing), with pragmas set on every
/// connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteSpec {
    pub path: Option<PathBuf>,
    /// `(name, value)`, in the order given.
    pub pragmas: Vec<(String, String)>,
}

impl SqliteSpec {
    /// `sqlite`, `sqlite?k=v`, `sqlite:PATH`, `sqlite:PATH?k=v&k2=v2`.
    fn parse(s: &str) -> std::result::Result<SqliteSpec, String> {
        let rest = s.strip_prefix("sqlite").unwrap_or(s);
        let (path, query) = match rest.split_once('?') {
            Some((p, q)) => (p, q),
            None => (rest, ""),
        };
        let path = match path.strip_prefix(':') {
            _ if path.is_empty() => None,
            Some("") => None,
            Some(p) => Some(PathBuf::from(p)),
            None => return Err(format!("`{s}`: an SQLite target is sqlite or sqlite:PATH")),
        };
        let mut pragmas = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').ok_or_else(|| format!("`{pair}`: pragmas are name=value"))?;
            let ident = |v: &str| !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !ident(name) || !ident(value) {
                return Err(format!("`{pair}`: a pragma name and value are letters, digits, `_` or `-`"));
            }
            pragmas.push((name.to_string(), value.to_string()));
        }
        Ok(SqliteSpec { path, pragmas })
    }
}

impl FromStr for TargetSpec {
    type Err = String;
    /// Never fails: what is not a target becomes `Invalid`, refused by `validate`.
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        Ok(Self::parse(s).unwrap_or_else(|why| TargetSpec::Invalid { shown: redact(s), why }))
    }
}

impl TargetSpec {
    fn parse(s: &str) -> std::result::Result<Self, String> {
        if s == "local" {
            Ok(TargetSpec::Local(None))
        } else if let Some(dir) = s.strip_prefix("local:") {
            Ok(TargetSpec::Local(Some(PathBuf::from(dir))))
        } else if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Ok(TargetSpec::Url(s.to_string()))
        } else if let Some(cmd) = s.strip_prefix("exec:") {
            if !cmd.contains("{port}") {
                return Err(format!("`{s}`: an exec: command must take the port as {{port}}"));
            }
            Ok(TargetSpec::Exec(cmd.to_string()))
        } else if let Some(image) = s.strip_prefix("docker:") {
            Ok(TargetSpec::Docker(image.to_string()))
        } else if s == "sqlite" || s.starts_with("sqlite:") || s.starts_with("sqlite?") {
            SqliteSpec::parse(s).map(TargetSpec::Sqlite)
        } else {
            Err(format!(
                "`{}`: a target is local, local:BINDIR, postgres://URL, exec:COMMAND, docker:IMAGE, sqlite or sqlite:PATH",
                redact(s)
            ))
        }
    }
}

impl TargetSpec {
    /// Everything that can be checked without starting or reaching it (a URL's syntax, a
    /// container's options), so a malformed target is a usage error before any server starts.
    /// The message never carries a password; the passwords it holds are registered with the
    /// last guard (`model::secrets`).
    pub fn validate(&self) -> std::result::Result<(), String> {
        let raw = match self {
            TargetSpec::Url(u) => u.as_str(),
            TargetSpec::Docker(d) => d.as_str(),
            _ => "",
        };
        for s in secrets(raw) {
            crate::model::secrets::register(&s);
        }
        match self {
            TargetSpec::Invalid { why, .. } => Err(redact(why)),
            TargetSpec::Url(url) => pg::server::url_params(url).map(|_| ()),
            TargetSpec::Docker(image) => pg::server::docker::DockerSpec::parse(image).map(|_| ()),
            TargetSpec::Sqlite(SqliteSpec { path: Some(path), .. }) => sqlite_file(path),
            TargetSpec::Local(_) | TargetSpec::Exec(_) | TargetSpec::Sqlite(_) => Ok(()),
        }
    }
}

impl std::fmt::Display for TargetSpec {
    /// The user's spelling with any password replaced by `***`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TargetSpec::Local(None) => f.write_str("local"),
            TargetSpec::Local(Some(dir)) => write!(f, "local:{}", dir.display()),
            TargetSpec::Url(url) => f.write_str(&redact(url)),
            TargetSpec::Exec(cmd) => write!(f, "exec:{cmd}"),
            TargetSpec::Docker(image) => write!(f, "docker:{}", redact(image)),
            TargetSpec::Invalid { shown, .. } => f.write_str(shown),
            TargetSpec::Sqlite(spec) => {
                f.write_str("sqlite")?;
                if let Some(path) = &spec.path {
                    write!(f, ":{}", path.display())?;
                }
                let pragmas: Vec<String> = spec.pragmas.iter().map(|(k, v)| format!("{k}={v}")).collect();
                if !pragmas.is_empty() {
                    write!(f, "?{}", pragmas.join("&"))?;
                }
                Ok(())
            }
        }
    }
}

/// Replace every password a target string carries with `***`: a URL's (`user:pw@`, up to the
/// last `@`, so a password holding `/`, `#` or `?` is hidden whole), and every parameter whose
/// key names one — `password=`, twice or percent-encoded (`pass%77ord=`), or an `env=` value
/// like `POSTGRES_PASSWORD=…`.
pub fn redact(text: &str) -> String {
    let mut out = text.to_string();
    if let Some(scheme_end) = out.find("://") {
        let start = scheme_end + 3;
        if let Some(at) = out[start..].rfind('@') {
            let userinfo = &out[start..start + at];
            if let Some(colon) = userinfo.find(':') {
                out.replace_range(start + colon + 1..start + at, "***");
            }
        }
    }
    let Some(q) = out.find('?') else { return out };
    let (head, query) = out.split_at(q + 1);
    let segments: Vec<String> = query.split('&').map(redact_param).collect();
    format!("{head}{}", segments.join("&"))
}

/// One `key=value` parameter with its value hidden when it is a password.
fn redact_param(segment: &str) -> String {
    let decoded = percent_decode(segment).to_ascii_lowercase();
    if !decoded.contains("password=") {
        return segment.to_string();
    }
    let lower = segment.to_ascii_lowercase();
    let from = match lower.rfind("password=") {
        Some(i) => i + "password=".len(),
        None => segment.find('=').map_or(segment.len(), |i| i + 1),
    };
    format!("{}***", &segment[..from])
}

/// The passwords a target string carries (decoded), for the last guard (`model::secrets`).
pub fn secrets(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(scheme_end) = text.find("://") {
        let start = scheme_end + 3;
        if let Some(at) = text[start..].rfind('@') {
            if let Some((_, pw)) = text[start..start + at].split_once(':') {
                out.push(pw.to_string());
                out.push(percent_decode(pw));
            }
        }
    }
    if let Some((_, query)) = text.split_once('?') {
        for segment in query.split('&') {
            let decoded = percent_decode(segment);
            if let Some(i) = decoded.to_ascii_lowercase().rfind("password=") {
                out.push(decoded[i + "password=".len()..].to_string());
            }
        }
    }
    out
}

/// `%2F` → `/` (an invalid escape stays as it is).
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).and_then(|b| hex(*b)), bytes.get(i + 2).and_then(|b| hex(*b))) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// An existing SQLite database file: readable, and a database (its 16-byte header).
fn sqlite_file(path: &Path) -> std::result::Result<(), String> {
    use std::io::Read;
    let mut header = [0u8; 16];
    let mut file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if !file.metadata().map(|m| m.is_file()).unwrap_or(false) {
        return Err(format!("{}: not a regular file", path.display()));
    }
    match file.read_exact(&mut header) {
        Ok(()) if &header == b"SQLite format 3\0" => Ok(()),
        _ => Err(format!("{}: not an SQLite database (no SQLite header)", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Why `validate` refuses a target string (the parser never does: see `Invalid`).
    fn refused(s: &str) -> String {
        s.parse::<TargetSpec>().expect("never fails").validate().unwrap_err()
    }

    #[test]
    fn target_grammar() {
        assert_eq!("local".parse(), Ok(TargetSpec::Local(None)));
        assert_eq!("local:/opt/pg/bin".parse(), Ok(TargetSpec::Local(Some("/opt/pg/bin".into()))));
        assert!(matches!("postgres://u@h/db".parse(), Ok(TargetSpec::Url(_))));
        assert!(matches!("exec:srv --port {port}".parse(), Ok(TargetSpec::Exec(_))));
        assert!(refused("exec:srv").contains("{port}"));
        assert!(refused("mysql://u:pw-secret@x").contains("a target is local"));
        assert!(!refused("mysql://u:pw-secret@x").contains("pw-secret"));
    }

    #[test]
    fn sqlite_targets_name_a_file_and_pragmas() {
        let fresh = SqliteSpec { path: None, pragmas: vec![] };
        assert_eq!("sqlite".parse(), Ok(TargetSpec::Sqlite(fresh.clone())));
        let pragmas = vec![("foreign_keys".to_string(), "on".to_string()), ("journal_mode".into(), "wal".into())];
        let with = SqliteSpec { path: Some("app.db".into()), pragmas: pragmas.clone() };
        let spec: TargetSpec = "sqlite:app.db?foreign_keys=on&journal_mode=wal".parse().unwrap();
        assert_eq!(spec, TargetSpec::Sqlite(with));
        assert_eq!(spec.to_string(), "sqlite:app.db?foreign_keys=on&journal_mode=wal");
        assert_eq!(
            "sqlite?foreign_keys=on".parse(),
            Ok(TargetSpec::Sqlite(SqliteSpec { path: None, pragmas: pragmas[..1].to_vec() }))
        );
        assert!(refused("sqlite:x.db?foreign_keys=on;drop").contains("letters, digits"));
        assert!(refused("sqlite:x.db?foreign_keys").contains("name=value"));
        let missing: TargetSpec = "sqlite:/nonexistent/app.db".parse().unwrap();
        assert!(missing.validate().unwrap_err().contains("/nonexistent/app.db"));
        let dir = tempfile::tempdir().unwrap();
        let not_db = dir.path().join("x.db");
        std::fs::write(&not_db, "hello, this is not a database").unwrap();
        let spec = TargetSpec::Sqlite(SqliteSpec { path: Some(not_db), pragmas: vec![] });
        assert!(spec.validate().unwrap_err().contains("not an SQLite database"));
    }

    #[test]
    fn passwords_never_show() {
        assert_eq!(redact("postgres://u:secret@h:5433/db"), "postgres://u:***@h:5433/db");
        assert_eq!(
            redact("postgres://u@h/db?password=secret&sslmode=disable"),
            "postgres://u@h/db?password=***&sslmode=disable"
        );
        let spec: TargetSpec = "postgres://u:pw@h/db".parse().unwrap();
        assert_eq!(spec.to_string(), "postgres://u:***@h/db");
        // A password with `/`, `#`, `?` or `@`; given twice; under an encoded key; in docker env.
        assert_eq!(redact("postgres://u:a/b#c?d@e@h/db"), "postgres://u:***@h/db");
        assert_eq!(
            redact("postgres://u@h/db?password=one&x=1&password=two"),
            "postgres://u@h/db?password=***&x=1&password=***"
        );
        assert_eq!(redact("postgres://u@h/db?pass%77ord=three"), "postgres://u@h/db?pass%77ord=***");
        assert_eq!(
            redact("postgres:16?password=four&env=POSTGRES_PASSWORD=four&port=5432"),
            "postgres:16?password=***&env=POSTGRES_PASSWORD=***&port=5432"
        );
        let mut found = secrets("postgres://u:a%2Fb@h/db?pass%77ord=c%26d");
        found.sort();
        assert_eq!(found, vec!["a%2Fb", "a/b", "c&d"]);
    }
}
