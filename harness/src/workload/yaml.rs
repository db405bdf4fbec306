//! The YAML workload form (PRODUCT §3): strict keys, errors with `file:line:column` and the
//! nearest valid key.

use std::path::Path;

use serde::Deserialize;

use std::collections::BTreeMap;

use super::steps_from_sql;
use crate::model::error::{Error, Location};
use crate::model::expect::{Alternative, Expect, Isolation, Level, Observation, Scalar};
use crate::model::{Bind, Order, Param, Protocol, Requirement, Rewrite, Step, Workload};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorkload {
    feature: String,
    area: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    requires: Vec<String>,
    #[serde(default)]
    sessions: Vec<String>,
    #[serde(default)]
    setup: Option<String>,
    #[serde(default)]
    steps: Vec<RawStep>,
    #[serde(default)]
    rewrite: Option<RawRewrite>,
    #[serde(default)]
    alternatives: Vec<RawAlternative>,
    #[serde(default)]
    isolation: Option<RawIsolation>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlternative {
    why: String,
    steps: BTreeMap<usize, Expect>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIsolation {
    anomaly: String,
    level: Level,
    anomaly_if: Vec<BTreeMap<usize, Observation>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    #[serde(deserialize_with = "statement_text")]
    sql: String,
    #[serde(default)]
    order: Order,
    #[serde(default)]
    session: Option<String>,
    /// Data for `COPY … FROM STDIN`, one row per line.
    #[serde(default)]
    copy_data: Option<String>,
    #[serde(default)]
    protocol: Option<Protocol>,
    #[serde(default)]
    params: Option<Vec<RawParam>>,
    #[serde(default)]
    statement: Option<String>,
    #[serde(default)]
    fetch: Option<u32>,
}

/// `sql:` holds text: `~`, `null` or nothing is refused (serde would read `~` as the text "~").
fn statement_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    use serde::de::Error as _;
    Option::<String>::deserialize(d)?
        .ok_or_else(|| D::Error::custom("`sql:` is empty (null); give the statement, or quote it: `sql: \"~\"`"))
}

/// A parameter: a plain value (untyped: the server infers its type) or `{type, value}`.
enum RawParam {
    Typed(TypedParam),
    Plain(Option<Scalar>),
}

impl<'de> Deserialize<'de> for RawParam {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let value = serde_norway::Value::deserialize(d)?;
        let explain = |e: serde_norway::Error| D::Error::custom(explain(&e.to_string()));
        if value.is_mapping() {
            return serde_norway::from_value(value).map(RawParam::Typed).map_err(explain);
        }
        serde_norway::from_value(value).map(RawParam::Plain).map_err(|_| {
            D::Error::custom("a parameter is a value (text, number, true/false, null) or {type: NAME, value: VALUE}")
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TypedParam {
    #[serde(rename = "type")]
    type_name: String,
    value: Option<Scalar>,
}

impl RawParam {
    fn param(&self) -> Param {
        match self {
            RawParam::Plain(v) => Param { value: v.as_ref().map(|s| s.0.clone()), type_name: None },
            RawParam::Typed(t) => {
                Param { value: t.value.as_ref().map(|s| s.0.clone()), type_name: Some(t.type_name.clone()) }
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRewrite {
    #[serde(default)]
    setup: Option<String>,
    steps: Vec<RawStep>,
}

pub(super) fn load(file: &Path, id: &str, text: &str) -> Result<Workload, Error> {
    let at = |line: usize, column: usize| Location { file: file.to_path_buf(), line, column };
    if let Some(offset) = too_deep(text) {
        let (line, column) = super::sql::line_col(text, offset);
        let message = format!("brackets nested more than {FLOW_DEPTH} deep; a workload needs a few levels at most");
        return Err(Error::Workload { location: at(line, column), message });
    }
    let raw: RawWorkload = serde_norway::from_str(text).map_err(|e| {
        let offset = e.location().map_or(0, |l| l.index());
        let offset = duplicate_key(text, offset, &e.to_string()).unwrap_or(offset);
        let (line, column) = super::sql::line_col(text, offset);
        Error::Workload { location: at(line, column), message: explain(&e.to_string()) }
    })?;
    let mut finder = Finder { text, cursor: 0 };
    for (key, value) in [("feature", &raw.feature), ("area", &raw.area)] {
        if value.trim().is_empty() {
            return Err(Error::Workload {
                location: finder.locate_key(key, file),
                message: format!("`{key}:` is empty; the scorecard lists workloads by feature and area"),
            });
        }
    }
    let requires = raw
        .requires
        .iter()
        .map(|r| {
            Requirement::parse(r)
                .map_err(|message| Error::Workload { location: finder.locate_key("requires", file), message })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let setup = match &raw.setup {
        Some(sql) => steps_from_sql(file, sql, finder.locate_block(sql)?)?,
        None => Vec::new(),
    };
    if raw.steps.is_empty() {
        return Err(Error::Workload {
            location: finder.locate_key("steps", file),
            message: "a workload needs at least one step under `steps:`".into(),
        });
    }
    let mut seen = std::collections::BTreeSet::new();
    if let Some(dup) = raw.sessions.iter().find(|s| !seen.insert(s.as_str())) {
        return Err(Error::Workload {
            location: finder.locate_key("sessions", file),
            message: format!("session `{dup}` is named twice"),
        });
    }
    let steps = convert_steps(file, &raw.steps, &raw.sessions, &mut finder)?;
    let rewrite = match &raw.rewrite {
        Some(rw) => {
            let setup = match &rw.setup {
                Some(sql) => steps_from_sql(file, sql, finder.locate_block(sql)?)?,
                None => setup.clone(),
            };
            if rw.steps.is_empty() {
                return Err(Error::Workload {
                    location: finder.locate_key("rewrite", file),
                    message: "a rewrite needs at least one step".into(),
                });
            }
            Some(Rewrite { setup, steps: convert_steps(file, &rw.steps, &raw.sessions, &mut finder)? })
        }
        None => None,
    };
    let alternatives = check_alternatives(raw.alternatives, steps.len())
        .map_err(|message| Error::Workload { location: finder.locate_key("alternatives", file), message })?;
    let isolation = match raw.isolation {
        Some(i) => Some(
            check_isolation(i, steps.len())
                .map_err(|message| Error::Workload { location: finder.locate_key("isolation", file), message })?,
        ),
        None => None,
    };
    Ok(Workload {
        description: raw.description,
        requires,
        sessions: raw.sessions,
        setup,
        steps,
        rewrite,
        alternatives,
        isolation,
        ..Workload::new(file, id, raw.feature, raw.area)
    })
}

fn check_step_number(n: usize, steps: usize) -> Result<(), String> {
    if n == 0 || n > steps {
        return Err(format!("step {n} does not exist: steps are numbered 1 to {steps}"));
    }
    Ok(())
}

fn check_alternatives(raw: Vec<RawAlternative>, steps: usize) -> Result<Vec<Alternative>, String> {
    raw.into_iter()
        .map(|a| {
            let at = |n: usize, m: String| format!("alternative `{}`, step {n}: {m}", a.why);
            if a.steps.is_empty() {
                return Err(format!("alternative `{}` names no step", a.why));
            }
            for (&n, e) in &a.steps {
                check_step_number(n, steps).map_err(|m| at(n, m))?;
                if e.ok == Some(false) {
                    return Err(at(n, "`ok: false` says nothing; name the failure: `error: SQLSTATE`".into()));
                }
                if e.ok.is_some() && e.error.is_some() {
                    return Err(at(n, "a step cannot both succeed (`ok`) and fail (`error`)".into()));
                }
                if let Some(code) = &e.error {
                    if code.len() != 5 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
                        return Err(at(n, format!("`error: {code}` is not a SQLSTATE (five characters, e.g. 40001)")));
                    }
                    if e.tag.is_some() || e.rows.is_some() {
                        return Err(at(n, "a failing step has no command tag or rows".into()));
                    }
                }
                if *e == Expect::default() {
                    return Err(at(n, "say what differs: ok, error, tag, rows or wait".into()));
                }
            }
            Ok(Alternative { why: a.why, steps: a.steps })
        })
        .collect()
}

fn check_isolation(raw: RawIsolation, steps: usize) -> Result<Isolation, String> {
    if raw.anomaly_if.is_empty() || raw.anomaly_if.iter().any(BTreeMap::is_empty) {
        return Err("`anomaly_if` needs at least one observation: `- {STEP: ROWS or TAG}`".into());
    }
    for n in raw.anomaly_if.iter().flat_map(BTreeMap::keys) {
        check_step_number(*n, steps).map_err(|m| format!("anomaly_if: {m}"))?;
    }
    Ok(Isolation { anomaly: raw.anomaly, level: raw.level, anomaly_if: raw.anomaly_if })
}

/// A step's extended-protocol keys, checked.
fn bind_of(r: &RawStep) -> Result<Option<Bind>, String> {
    if r.params.is_none() && r.statement.is_none() && r.fetch.is_none() {
        return Ok(None);
    }
    if r.protocol == Some(Protocol::Simple) {
        return Err("params, statement and fetch need the extended protocol, not `protocol: simple`".into());
    }
    if r.fetch == Some(0) {
        return Err("`fetch: 0` fetches nothing; give the batch size (1 or more), or leave fetch out".into());
    }
    if r.statement.as_deref() == Some("") {
        return Err("`statement:` needs a name (the unnamed statement is the default)".into());
    }
    Ok(Some(Bind {
        params: r.params.iter().flatten().map(RawParam::param).collect(),
        statement: r.statement.clone(),
        fetch: r.fetch,
    }))
}

fn convert_steps(file: &Path, raw: &[RawStep], sessions: &[String], finder: &mut Finder) -> Result<Vec<Step>, Error> {
    let mut steps = Vec::new();
    // (session, statement name) → the SQL it was prepared with, and where.
    let mut prepared: BTreeMap<(Option<String>, String), (String, String)> = BTreeMap::new();
    for r in raw {
        let base = if r.sql.trim().is_empty() {
            let at = finder.locate_next_key("sql", file);
            (at.line, at.column)
        } else {
            finder.locate_block(&r.sql)?
        };
        let mut found = steps_from_sql(file, &r.sql, base)?;
        let location = Location { file: file.to_path_buf(), line: base.0, column: base.1 };
        match found.len() {
            1 => {
                let mut step = found.remove(0);
                step.order = r.order;
                step.session = check_session(r.session.as_deref(), sessions)
                    .map_err(|message| Error::Workload { location: location.clone(), message })?;
                if let Some(data) = &r.copy_data {
                    if !super::sql::is_copy_from_stdin(&step.sql) {
                        let message =
                            "`copy_data` goes with a `COPY … FROM STDIN` statement; this step is not one".into();
                        return Err(Error::Workload { location, message });
                    }
                    if step.copy_data.is_some() {
                        let message = "this step has COPY data twice (after `\\.` in sql and in copy_data)".into();
                        return Err(Error::Workload { location, message });
                    }
                    step.copy_data = Some(data.clone());
                }
                step.protocol = r.protocol;
                step.bind = bind_of(r).map_err(|message| Error::Workload { location: location.clone(), message })?;
                if let Some(name) = step.bind.as_ref().and_then(|b| b.statement.as_ref()) {
                    let key = (step.session.clone(), name.clone());
                    match prepared.get(&key) {
                        Some((sql, at)) if *sql != step.sql => {
                            let message = format!(
                                "statement `{name}` is prepared with other SQL at {at}; a reused statement repeats its SQL"
                            );
                            return Err(Error::Workload { location, message });
                        }
                        Some(_) => {}
                        None => {
                            prepared.insert(key, (step.sql.clone(), location.to_string()));
                        }
                    }
                }
                steps.push(step);
            }
            0 => return Err(Error::Workload { location, message: "this step has no SQL statement".into() }),
            n => {
                return Err(Error::Workload {
                    location,
                    message: format!("this step holds {n} statements; give each its own step"),
                })
            }
        }
    }
    Ok(steps)
}

/// A step names one of the declared sessions, and only when sessions are declared.
fn check_session(named: Option<&str>, sessions: &[String]) -> Result<Option<String>, String> {
    match (named, sessions.is_empty()) {
        (None, true) => Ok(None),
        (Some(s), true) => Err(format!("`session: {s}` needs the sessions declared at the top: `sessions: [{s}, …]`")),
        (None, false) => Err(format!("name this step's session: `session:` one of {}", sessions.join(", "))),
        (Some(s), false) if sessions.iter().any(|d| d == s) => Ok(Some(s.to_string())),
        (Some(s), false) => match super::yaml::nearest(s, &sessions.iter().map(String::as_str).collect::<Vec<_>>()) {
            Some(n) => Err(format!("session `{s}` is not declared; did you mean `{n}`?")),
            None => Err(format!("session `{s}` is not declared (sessions: {})", sessions.join(", "))),
        },
    }
}

/// One step in this form, as an item of `steps:` (`session` written when given): the SQL as a
/// block scalar, then its COPY data and extended-protocol keys (JSON flow values, which are
/// YAML, so tabs, newlines and NULLs stay exact). Repros and captures are written with it.
pub fn step_yaml(s: &Step, session: Option<&str>) -> String {
    let json = |v: serde_json::Value| v.to_string();
    let mut out = match session {
        Some(name) => format!("  - session: {name}\n    sql: |\n"),
        None => "  - sql: |\n".to_string(),
    };
    for line in s.sql.lines() {
        out.push_str(&format!("      {line}\n"));
    }
    if let Some(data) = &s.copy_data {
        out.push_str(&format!("    copy_data: {}\n", json(data.clone().into())));
    }
    if let Some(p) = s.protocol {
        out.push_str(&format!(
            "    protocol: {}\n",
            serde_json::to_value(p).unwrap_or_default().as_str().unwrap_or("")
        ));
    }
    let Some(bind) = &s.bind else { return out };
    if !bind.params.is_empty() {
        let params = bind
            .params
            .iter()
            .map(|p| match &p.type_name {
                Some(t) => serde_json::json!({"type": t, "value": p.value}),
                None => serde_json::json!(p.value),
            })
            .collect();
        out.push_str(&format!("    params: {}\n", json(serde_json::Value::Array(params))));
    }
    if let Some(name) = &bind.statement {
        out.push_str(&format!("    statement: {}\n", json(name.clone().into())));
    }
    if let Some(n) = bind.fetch {
        out.push_str(&format!("    fetch: {n}\n"));
    }
    out
}

/// serde names a duplicate key at the start of its mapping: point at the second occurrence,
/// the first `key:` after the mapping's own that starts a line's content.
fn duplicate_key(text: &str, mapping: usize, message: &str) -> Option<usize> {
    let key = message.split_once("duplicate field `")?.1.split('`').next()?;
    let needle = format!("{key}:");
    let starts_content =
        |i: usize| text[..i].rsplit('\n').next().is_some_and(|before| before.trim_matches([' ', '-']).is_empty());
    let mut found =
        text.get(mapping..)?.match_indices(&needle).map(|(i, _)| mapping + i).filter(|&i| starts_content(i));
    found.next()?;
    found.next()
}

/// How deep `[` and `{` may nest. The YAML scanner's cost grows with the depth at every token,
/// so a file of nothing but brackets would take minutes; workloads use two or three levels.
const FLOW_DEPTH: usize = 64;

/// Where flow collections first nest deeper than `FLOW_DEPTH`, in one pass: brackets inside
/// quoted scalars, comments and block scalars (`|`, `>`) are text, not structure.
fn too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    // Inside a block scalar: the indentation of the line that opened it.
    let mut block: Option<usize> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let b = line.as_bytes();
        let indent = b.iter().take_while(|&&c| c == b' ').count();
        let blank = line.trim().is_empty();
        if let Some(opened) = block {
            if blank || indent > opened {
                offset += line.len();
                continue;
            }
            block = None;
        }
        // The last byte that is not a space: a quote or a bracket after it starts a value.
        let mut before = b' ';
        let mut i = indent;
        let mut code_end = b.len();
        while i < b.len() {
            let c = b[i];
            match quote {
                Some(q) if c == q && q == b'\'' && b.get(i + 1) == Some(&b'\'') => i += 1,
                Some(q) if c == q => quote = None,
                Some(b'"') if c == b'\\' => i += 1,
                Some(_) => {}
                None => {
                    // `before` is a space only at the start of the line.
                    let starts_value = matches!(before, b' ' | b':' | b'-' | b'?' | b',' | b'[' | b'{');
                    match c {
                        b'#' if i == 0 || b[i - 1] == b' ' || b[i - 1] == b'\t' => {
                            code_end = i;
                            break;
                        }
                        b'\'' | b'"' if starts_value => quote = Some(c),
                        b'[' | b'{' if depth > 0 || starts_value => {
                            depth += 1;
                            if depth > FLOW_DEPTH {
                                return Some(offset + i);
                            }
                        }
                        b']' | b'}' if depth > 0 => depth -= 1,
                        _ => {}
                    }
                }
            }
            // An escape may have stepped past the last byte (`"\` at the end: found by fuzzing).
            if b.get(i).is_some_and(|c| !c.is_ascii_whitespace()) {
                before = b[i];
            }
            i += 1;
        }
        if quote.is_none() && depth == 0 {
            let code = line[..code_end].trim_end();
            let header = code.trim_end_matches(|c: char| c == '-' || c == '+' || c.is_ascii_digit());
            if header.ends_with(['|', '>']) && header.len() + 3 >= code.len() {
                block = Some(indent);
            }
        }
        offset += line.len();
    }
    None
}

/// Finds where scalar values sit in the file, in document order (serde does not keep spans).
struct Finder<'a> {
    text: &'a str,
    cursor: usize,
}

impl Finder<'_> {
    /// Line and column of the first line of `value` at or after the cursor.
    fn locate_block(&mut self, value: &str) -> Result<(usize, usize), Error> {
        let first = value.lines().map(str::trim_end).find(|l| !l.trim().is_empty()).unwrap_or("");
        let rest = &self.text[self.cursor..];
        let found = if first.is_empty() { None } else { rest.find(first) };
        match found {
            Some(i) => {
                let offset = self.cursor + i;
                self.cursor = offset + first.len();
                // Leading blank lines of the value are not in the file position of `first`.
                let skipped = value.lines().take_while(|l| l.trim().is_empty()).count();
                let (line, column) = super::sql::line_col(self.text, offset);
                let leading = value.lines().nth(skipped).map(|l| l.len() - l.trim_start().len()).unwrap_or(0);
                Ok((line.saturating_sub(skipped).max(1), column.saturating_sub(leading).max(1)))
            }
            // Folded or escaped scalars do not appear verbatim: fall back to the cursor.
            None => Ok(super::sql::line_col(self.text, self.cursor)),
        }
    }

    /// The next `key:` at or after the cursor (an empty value has no text to find).
    fn locate_next_key(&mut self, key: &str, file: &Path) -> Location {
        let needle = format!("{key}:");
        let offset = self.text[self.cursor..].find(&needle).map_or(self.cursor, |i| self.cursor + i);
        self.cursor = offset + needle.len().min(self.text.len() - offset);
        let (line, column) = super::sql::line_col(self.text, offset);
        Location { file: file.to_path_buf(), line, column }
    }

    fn locate_key(&self, key: &str, file: &Path) -> Location {
        let needle = format!("{key}:");
        let offset = self.text.find(&needle).unwrap_or(0);
        let (line, column) = super::sql::line_col(self.text, offset);
        Location { file: file.to_path_buf(), line, column }
    }
}

/// Turn serde's message into ours: no trailing position (we print it first), and for an
/// unknown key the nearest valid one.
fn explain(message: &str) -> String {
    let message = match message.rfind(" at line ") {
        Some(i) => &message[..i],
        None => message,
    };
    if let Some(rest) = message.split("unknown field `").nth(1) {
        let unknown = rest.split('`').next().unwrap_or("");
        let expected: Vec<&str> = rest.split("expected").nth(1).unwrap_or("").split('`').skip(1).step_by(2).collect();
        if let Some(nearest) = nearest(unknown, &expected) {
            return format!("{message}; did you mean `{nearest}`?");
        }
    }
    message.to_string()
}

pub(super) fn nearest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::levenshtein(word, c), *c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 2).max(1))
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    #[test]
    fn deep_brackets_are_refused_before_the_yaml_scanner_sees_them() {
        let deep = format!("feature: F\narea: A\nsteps: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(super::too_deep(&deep), Some(26 + super::FLOW_DEPTH));
        // Brackets in SQL, in quotes, in comments and in block scalars are text.
        let sql = format!(
            "feature: F # [[[[\narea: '{}'\nsteps:\n  - sql: |\n      SELECT {}1{}\n  - sql: SELECT ARRAY[[1]]\n    params: [[1], {{a: [2]}}]\n",
            "[".repeat(100),
            "ARRAY[".repeat(100),
            "]".repeat(100)
        );
        assert_eq!(super::too_deep(&sql), None);
        // Escapes and quotes cut off at the end of the text (found by fuzzing).
        for cut in ["\"\\", "a: \"\\", "'", "[\"\\"] {
            assert_eq!(super::too_deep(cut), None, "{cut:?}");
        }
    }

    use super::*;

    fn parse(text: &str) -> Result<Workload, Error> {
        load(Path::new("w/dml/x.yaml"), "dml/x", text)
    }

    fn error_of(text: &str) -> String {
        parse(text).map(|_| ()).expect_err("an error").to_string()
    }

    #[test]
    fn full_form_parses_with_locations() {
        let w = parse(
            "feature: INSERT RETURNING\narea: DML\nrequires: [extension:plpgsql]\nsetup: |\n  CREATE TABLE t (id int);\n  INSERT INTO t VALUES (1);\nsteps:\n  - sql: SELECT id FROM t\n  - sql: SELECT id FROM t ORDER BY id\n    order: any\nrewrite:\n  steps:\n    - sql: SELECT 1\n",
        )
        .unwrap();
        assert_eq!(w.feature, "INSERT RETURNING");
        assert_eq!(w.setup.len(), 2);
        assert_eq!((w.setup[1].location.line, w.setup[1].location.column), (6, 3));
        assert_eq!((w.steps[0].location.line, w.steps[0].location.column), (8, 10));
        assert!(!w.steps[1].ordered(), "order: any overrides ORDER BY");
        assert_eq!(w.rewrite.as_ref().unwrap().setup.len(), 2, "rewrite inherits setup");
        assert_eq!(w.requires, vec![Requirement::Extension("plpgsql".into())]);
    }

    #[test]
    fn unknown_key_names_location_and_nearest_key() {
        let msg = error_of("feature: f\narea: a\nsteps:\n  - sql: SELECT 1\n    ordr: strict\n");
        assert!(msg.starts_with("w/dml/x.yaml:5:"), "{msg}");
        assert!(msg.contains("unknown field `ordr`"), "{msg}");
        assert!(msg.contains("did you mean `order`?"), "{msg}");
        let msg = error_of("feature: f\narea: a\nstep:\n  - sql: SELECT 1\n");
        assert!(msg.contains("did you mean `steps`?"), "{msg}");
    }

    #[test]
    fn missing_and_invalid_values_are_errors() {
        assert!(error_of("area: a\nsteps:\n  - sql: SELECT 1\n").contains("missing field `feature`"));
        let msg = error_of("feature: f\narea: a\nsteps:\n  - sql: SELECT 1\n    order: sorted\n");
        assert!(msg.starts_with("w/dml/x.yaml:5:"), "{msg}");
        assert!(msg.contains("unknown variant `sorted`"), "{msg}");
        assert!(error_of("feature: f\narea: a\n").contains("at least one step"));
    }

    #[test]
    fn empty_values_are_refused_where_they_are() {
        let head = "feature: f\narea: a\nsteps:\n  - sql: SELECT 1\n";
        let msg = error_of(&format!("{head}  - sql: ~\n"));
        assert!(msg.starts_with("w/dml/x.yaml:5:5:") && msg.contains("`sql:` is empty (null)"), "{msg}");
        let msg = error_of(&format!("{head}  - sql:\n"));
        assert!(msg.contains("`sql:` is empty (null)"), "{msg}");
        assert_eq!(error_of(&format!("{head}  - sql: \"\"\n")), "w/dml/x.yaml:5:5: this step has no SQL statement");
        let msg = error_of("feature: f\narea: \" \"\nsteps:\n  - sql: SELECT 1\n");
        assert!(msg.starts_with("w/dml/x.yaml:2:1: `area:` is empty"), "{msg}");
        let msg = error_of("feature: ''\narea: a\nsteps:\n  - sql: SELECT 1\n");
        assert!(msg.starts_with("w/dml/x.yaml:1:1: `feature:` is empty"), "{msg}");
        let msg = error_of("feature: f\narea: a\nsteps:\n  - sql: SELECT 1\n    sql: SELECT 2\n");
        assert!(msg.starts_with("w/dml/x.yaml:5:5:") && msg.contains("duplicate field `sql`"), "{msg}");
    }

    #[test]
    fn copy_data_goes_with_a_copy_from_stdin_only() {
        let msg = error_of("feature: f\narea: a\nsteps:\n  - sql: SELECT 1\n    copy_data: \"1\\n\"\n");
        assert!(msg.starts_with("w/dml/x.yaml:4:10: `copy_data` goes with a `COPY … FROM STDIN`"), "{msg}");
        let ok = parse("feature: f\narea: a\nsteps:\n  - sql: COPY t FROM STDIN\n    copy_data: \"1\\n\"\n").unwrap();
        assert_eq!(ok.steps[0].copy_data.as_deref(), Some("1\n"));
    }

    #[test]
    fn a_step_holds_exactly_one_statement() {
        let msg = error_of("feature: f\narea: a\nsteps:\n  - sql: SELECT 1; SELECT 2\n");
        assert_eq!(msg, "w/dml/x.yaml:4:10: this step holds 2 statements; give each its own step");
    }

    #[test]
    fn sessions_are_declared_and_named_by_every_step() {
        let ok = parse("feature: f\narea: a\nsessions: [a, b]\nsteps:\n  - session: a\n    sql: SELECT 1\n  - session: b\n    sql: SELECT 2\n").unwrap();
        assert_eq!(ok.sessions, vec!["a", "b"]);
        assert_eq!(ok.steps[1].session.as_deref(), Some("b"));
        let msg =
            error_of("feature: f\narea: a\nsessions: [alpha, b]\nsteps:\n  - session: alpah\n    sql: SELECT 1\n");
        assert!(msg.starts_with("w/dml/x.yaml:6:10: session `alpah` is not declared; did you mean `alpha`?"), "{msg}");
        let msg = error_of("feature: f\narea: a\nsessions: [a, b]\nsteps:\n  - sql: SELECT 1\n");
        assert!(msg.contains("name this step's session"), "{msg}");
        let msg = error_of("feature: f\narea: a\nsteps:\n  - session: a\n    sql: SELECT 1\n");
        assert!(msg.contains("needs the sessions declared"), "{msg}");
        let msg = error_of("feature: f\narea: a\nsessions: [a, a]\nsteps:\n  - session: a\n    sql: SELECT 1\n");
        assert!(msg.contains("session `a` is named twice"), "{msg}");
    }

    #[test]
    fn alternatives_and_isolation_parse_and_are_checked() {
        use crate::model::expect::{Level, Observation, WaitExpect};
        let head = "feature: f\narea: a\nsessions: [a, b]\nsteps:\n  - session: a\n    sql: SELECT 1\n  - session: b\n    sql: COMMIT\n";
        let w = parse(&format!(
            "{head}alternatives:\n  - why: b first\n    steps:\n      1: {{ok: true, wait: any}}\n      2: {{error: 40001}}\n  - why: rows\n    steps:\n      1: {{rows: [[1, true, null, x]]}}\nisolation:\n  anomaly: G2\n  level: serializable\n  anomaly_if:\n    - {{1: [[1]], 2: COMMIT}}\n"
        ))
        .unwrap();
        assert_eq!(w.alternatives.len(), 2);
        assert_eq!(w.alternatives[0].steps[&1].wait, Some(WaitExpect::Any));
        assert_eq!(w.alternatives[0].steps[&2].error.as_deref(), Some("40001"));
        let row = vec![Some("1".to_string()), Some("t".into()), None, Some("x".into())];
        assert_eq!(w.alternatives[1].steps[&1].rows, Some(vec![row]), "scalars as PostgreSQL's text format");
        let iso = w.isolation.unwrap();
        assert_eq!((iso.anomaly.as_str(), iso.level), ("G2", Level::Serializable));
        assert_eq!(iso.anomaly_if[0][&2], Observation::Tag("COMMIT".into()));
        let msg = error_of(&format!("{head}alternatives:\n  - why: w\n    steps:\n      3: {{ok: true}}\n"));
        assert_eq!(msg, "w/dml/x.yaml:9:1: alternative `w`, step 3: step 3 does not exist: steps are numbered 1 to 2");
        let msg = error_of(&format!("{head}alternatives:\n  - why: w\n    steps:\n      1: {{error: deadlock}}\n"));
        assert!(msg.contains("is not a SQLSTATE"), "{msg}");
        let msg = error_of(&format!("{head}alternatives:\n  - why: w\n    steps:\n      1: {{wiat: any}}\n"));
        assert!(msg.contains("did you mean `wait`?"), "{msg}");
        let msg =
            error_of(&format!("{head}isolation:\n  anomaly: G0\n  level: snapshot\n  anomaly_if: [{{1: COMMIT}}]\n"));
        assert!(msg.starts_with("w/dml/x.yaml:11:") && msg.contains("unknown variant `snapshot`"), "{msg}");
        let msg = error_of(&format!("{head}isolation:\n  anomaly: G0\n  level: serializable\n  anomaly_if: []\n"));
        assert!(msg.starts_with("w/dml/x.yaml:9:1: `anomaly_if` needs"), "{msg}");
    }

    #[test]
    fn extended_protocol_keys_parse_and_are_checked() {
        use crate::model::{Param, Protocol};
        let w = parse("feature: f\narea: a\nsteps:\n  - sql: SELECT $1, $2, $3\n    params: [1, {type: int4, value: null}, null]\n    statement: q\n    fetch: 2\n  - sql: SELECT $1, $2, $3\n    statement: q\n    params: [x, y, z]\n  - sql: SELECT 1\n    protocol: extended\n  - sql: SELECT 2\n").unwrap();
        let bind = w.steps[0].bind.as_ref().unwrap();
        assert_eq!(
            bind.params,
            vec![
                Param { value: Some("1".into()), type_name: None },
                Param { value: None, type_name: Some("int4".into()) },
                Param { value: None, type_name: None },
            ]
        );
        assert_eq!((bind.statement.as_deref(), bind.fetch), (Some("q"), Some(2)));
        assert_eq!(w.steps[0].protocol(Protocol::Simple), Protocol::Extended, "params need extended");
        assert_eq!(w.steps[2].protocol(Protocol::Simple), Protocol::Extended);
        assert_eq!(w.steps[3].protocol(Protocol::Simple), Protocol::Simple);
        assert_eq!(w.steps[3].protocol(Protocol::Extended), Protocol::Extended, "the run's default");
        let msg = error_of("feature: f\narea: a\nsteps:\n  - sql: SELECT $1\n    params: [1]\n    protocol: simple\n");
        assert_eq!(
            msg,
            "w/dml/x.yaml:4:10: params, statement and fetch need the extended protocol, not `protocol: simple`"
        );
        let msg = error_of("feature: f\narea: a\nsteps:\n  - sql: SELECT 1\n    fetch: 0\n");
        assert!(msg.contains("`fetch: 0` fetches nothing"), "{msg}");
        let msg = error_of(
            "feature: f\narea: a\nsteps:\n  - sql: SELECT 1\n    statement: q\n  - sql: SELECT 2\n    statement: q\n",
        );
        assert!(
            msg.starts_with("w/dml/x.yaml:6:10: statement `q` is prepared with other SQL at w/dml/x.yaml:4:10"),
            "{msg}"
        );
        let msg = error_of("feature: f\narea: a\nsteps:\n  - sql: SELECT $1\n    params: [{type: int4, valeu: 1}]\n");
        assert!(msg.starts_with("w/dml/x.yaml:5:") && msg.contains("did you mean `value`?"), "{msg}");
        let msg = error_of("feature: f\narea: a\nsteps:\n  - sql: SELECT $1\n    params: [[1]]\n");
        assert!(msg.contains("a parameter is a value"), "{msg}");
    }

    #[test]
    fn scanner_errors_in_setup_point_into_the_file() {
        let msg = error_of("feature: f\narea: a\nsetup: |\n  SELECT 1;\n  SELECT 'open\nsteps:\n  - sql: SELECT 1\n");
        assert_eq!(msg, "w/dml/x.yaml:5:10: unterminated quoted string at or near \"'open\"");
    }
}
