//! pg_regress suites: a folder with `sql/` and a schedule (`parallel_schedule`,
//! `serial_schedule` or `schedule`), or a schedule file named directly. Read as pg_regress reads
//! it: each `test:` line is a group of tests run at once, groups in order; `ignore:` lines and
//! comments run nothing; anything else is an error at its line. Each test is `sql/NAME.sql`,
//! loaded as psql runs it with the variables pg_regress sets (`PG_ABS_SRCDIR`,
//! `PG_ABS_BUILDDIR` and `PG_LIBDIR` are the suite's folder, `PG_DLSUFFIX` is `.so`). A test
//! whose file uses what the loader does not support yet is kept, as not tested with its
//! position; every other error stops the load, as for any workload.

use std::path::{Path, PathBuf};

use super::{load_sql_with, not_supported_yet, read_text};
use crate::model::error::{Error, Location};
use crate::model::{SuitePlace, Workload};

/// The schedule files a suite folder may have, in the order they are looked for.
pub const SCHEDULES: &[&str] = &["parallel_schedule", "serial_schedule", "schedule"];

/// The schedule of a folder that is a suite (it has `sql/` and a schedule).
pub fn schedule_in(dir: &Path) -> Option<PathBuf> {
    if !dir.join("sql").is_dir() {
        return None;
    }
    SCHEDULES.iter().map(|n| dir.join(n)).find(|p| p.is_file())
}

/// Is this file, named directly, a schedule? (Its name ends in `schedule`.)
pub fn is_schedule(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with("schedule"))
}

/// One `test:` line: its line number and its tests, each with its column.
#[derive(Debug, PartialEq, Eq)]
pub struct Group {
    pub line: usize,
    pub tests: Vec<(String, usize)>,
}

/// The groups of a schedule's text.
pub fn parse_schedule(file: &Path, text: &str) -> Result<Vec<Group>, Error> {
    let mut groups = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        let at = |column: usize, message: String| Error::Workload {
            location: Location { file: file.to_path_buf(), line: n + 1, column },
            message,
        };
        if line.is_empty() || line.starts_with('#') || line.starts_with("ignore: ") {
            continue;
        }
        let Some(list) = line.strip_prefix("test: ") else {
            return Err(at(
                1,
                "syntax error in schedule: a line is `test: NAME…`, `ignore: NAME` or `# comment`".into(),
            ));
        };
        let mut tests = Vec::new();
        let mut column = 7;
        for word in list.split(|c: char| c.is_ascii_whitespace()) {
            if !word.is_empty() {
                tests.push((word.to_string(), column));
            }
            column += word.len() + 1;
        }
        if tests.is_empty() {
            return Err(at(1, "syntax error in schedule: a `test:` line names no test".into()));
        }
        groups.push(Group { line: n + 1, tests });
    }
    if groups.is_empty() {
        let location = Location { file: file.to_path_buf(), line: 1, column: 1 };
        return Err(Error::Workload { location, message: "the schedule names no test".into() });
    }
    Ok(groups)
}

/// Every test of the suite `schedule` belongs to, in schedule order. All errors are collected.
pub fn load(schedule: &Path) -> Result<Vec<Workload>, Vec<Error>> {
    let dir = schedule.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let abs = std::fs::canonicalize(dir).map_err(|e| vec![Error::io(dir, e)])?;
    let suite = abs.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "suite".into());
    let text = read_text(schedule).map_err(|e| vec![e])?;
    let groups = parse_schedule(schedule, &text).map_err(|e| vec![e])?;
    let folder = abs.display().to_string();
    let env = |name: &str| match name {
        "PG_ABS_SRCDIR" | "PG_ABS_BUILDDIR" | "PG_LIBDIR" => Some(folder.clone()),
        "PG_DLSUFFIX" => Some(".so".to_string()),
        _ => std::env::var(name).ok(),
    };
    let (mut workloads, mut errors) = (Vec::new(), Vec::new());
    let mut seen = std::collections::HashMap::new();
    for (g, group) in groups.iter().enumerate() {
        for (test, column) in &group.tests {
            let location = Location { file: schedule.to_path_buf(), line: group.line, column: *column };
            if let Some(first) = seen.insert(test.clone(), group.line) {
                let message = format!("test `{test}` is already scheduled at line {first}");
                errors.push(Error::Workload { location, message });
                continue;
            }
            let file = dir.join("sql").join(format!("{test}.sql"));
            if !file.is_file() {
                let message = format!("test `{test}`: no file {}", file.display());
                errors.push(Error::Workload { location, message });
                continue;
            }
            let id = format!("{suite}/{test}");
            let place = SuitePlace { suite: suite.clone(), group: g + 1 };
            let loaded = read_text(&file).and_then(|text| load_sql_with(&file, &id, &text, &env));
            match not_supported_yet(loaded, &file, &id, || (test.clone(), suite.clone())) {
                Ok(w) => workloads.push(Workload { suite: Some(place), ..w }),
                Err(e) => errors.push(e),
            }
        }
    }
    if errors.is_empty() {
        Ok(workloads)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_as_pg_regress_reads_it() {
        let text = "# comment\n\ntest: test_setup\nignore: random\ntest: a  b\tc   \n";
        let groups = parse_schedule(Path::new("s"), text).unwrap();
        assert_eq!(
            groups,
            [
                Group { line: 3, tests: vec![("test_setup".into(), 7)] },
                Group { line: 5, tests: vec![("a".into(), 7), ("b".into(), 10), ("c".into(), 12)] },
            ]
        );
    }

    #[test]
    fn schedule_errors_are_located() {
        let e = parse_schedule(Path::new("s"), "test: a\ntests: b\n").unwrap_err();
        assert!(e.to_string().starts_with("s:2:1: syntax error"), "{e}");
        let e = parse_schedule(Path::new("s"), "test:  \n").unwrap_err();
        assert!(e.to_string().contains("s:1:1"), "{e}");
        let e = parse_schedule(Path::new("s"), "# nothing\n").unwrap_err();
        assert!(e.to_string().contains("names no test"), "{e}");
    }

    #[test]
    fn a_suite_folder_loads_in_schedule_order_with_pg_regress_variables() {
        let dir = tempfile::tempdir().unwrap();
        let suite = dir.path().join("mysuite");
        std::fs::create_dir_all(suite.join("sql")).unwrap();
        std::fs::write(suite.join("parallel_schedule"), "test: setup\ntest: b a\n").unwrap();
        std::fs::write(suite.join("sql/setup.sql"), "\\getenv abs_srcdir PG_ABS_SRCDIR\nSELECT :'abs_srcdir';\n")
            .unwrap();
        std::fs::write(suite.join("sql/a.sql"), "SELECT 1;\n").unwrap();
        std::fs::write(suite.join("sql/b.sql"), "SELECT 2 \\gdesc\nSELECT 3;\n").unwrap();
        std::fs::write(suite.join("sql/unscheduled.sql"), "SELECT 4;\n").unwrap();
        let schedule = schedule_in(&suite).unwrap();
        let tests = load(&schedule).unwrap();
        let ids: Vec<&str> = tests.iter().map(|w| w.id.as_str()).collect();
        assert_eq!(ids, ["mysuite/setup", "mysuite/b", "mysuite/a"]);
        let abs = std::fs::canonicalize(&suite).unwrap();
        assert_eq!(tests[0].steps[0].sql, format!("SELECT '{}'", abs.display()));
        assert_eq!(tests[0].suite, Some(SuitePlace { suite: "mysuite".into(), group: 1 }));
        assert_eq!(tests[2].suite.as_ref().map(|p| p.group), Some(2));
        let why = tests[1].unsupported.as_deref().unwrap();
        assert!(why.contains("b.sql:1:10") && why.contains("\\gdesc"), "{why}");
        assert!(tests[1].steps.is_empty());

        std::fs::write(suite.join("parallel_schedule"), "test: setup missing\n").unwrap();
        let errors = load(&schedule).unwrap_err();
        assert!(errors[0].to_string().contains("parallel_schedule:1:13: test `missing`: no file"), "{}", errors[0]);
    }
}
