//! psql's meta-commands in a `.sql` file, as psql runs them: variables (`\set`, `\unset`,
//! `\getenv`) and their interpolation into SQL (`:name`, `:'name'`, `:"name"`, `:{?name}`),
//! conditional blocks (`\if` … `\endif`), `\g`; display and describe commands are steps that
//! send nothing. `\gset` takes variables from the server's answer as the script runs: the
//! statements that use them carry holes filled on each side with its own values, and an `\if`
//! on one (with a `\q` inside, the usual "skip this test" idiom) guards the statements in it.
//! What else needs the server's answers (`\gexec`), another connection (`\c`) or the file
//! system (`\copy`, `\i`, `\o`) is refused with its position.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Guard, Hole, HoleStyle};

/// What a meta-command does to the script.
#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    /// Nothing is sent and nothing is recorded (`\set`, `\if`…).
    None,
    /// End the statement gathered so far and send it (`\g`, `\gx`).
    Send,
    /// A step that sends nothing: recorded in its place (`\pset`, `\d t`, `\echo`…).
    Record,
    /// psql stops reading the script (`\q`).
    Quit,
    /// End the statement gathered so far, send it, and set variables from its one row, named
    /// with this prefix (`\gset [prefix]`).
    Gset(String),
    /// `\c` to the same database as the same user: a new connection replaces the session.
    Reconnect,
    /// End the statement gathered so far, send it, and send each value of its result (`\gexec`).
    Gexec,
    /// `\copy … from stdin` / `to stdout`: this `COPY` statement (its data, if any, follows).
    Copy(String),
}

/// What an interpolation stands for: text known when the script is read, or a hole filled as
/// it runs.
#[derive(Debug, PartialEq, Eq)]
pub enum Interp {
    Text(String),
    Hole { var: String, style: HoleStyle, fallback: Option<String> },
}

/// The interpreter's state: variables and the `\if` blocks open.
pub struct State<'a> {
    vars: BTreeMap<String, String>,
    /// One per open `\if`: (this branch runs, a branch already ran, the enclosing block runs).
    blocks: Vec<(bool, bool, bool)>,
    /// Beside each block: its guard when it is decided as the script runs.
    guards: Vec<Option<Guard>>,
    /// After a `\q` in blocks decided as the script runs: what must not have held.
    quits: Vec<Guard>,
    /// Variables a `\gset` may set as the script runs (every one, after a `\gset` whose
    /// columns cannot be named here — except those set again since).
    deferred: BTreeSet<String>,
    defer_all: bool,
    set_since: BTreeSet<String>,
    env: &'a dyn Fn(&str) -> Option<String>,
}

/// The longest value a variable may hold: `\set x :x :x` doubles it each time (psql would let
/// it grow until memory runs out; a loader must not).
pub const MAX_VALUE: usize = 1 << 20;

/// What a refusal of a command psql runs but the loader does not (yet) says.
pub const NOT_SUPPORTED: &str = "is not supported yet";

/// Commands that change what is sent depending on the server's answers, another connection or
/// files: not supported (yet).
const REFUSED: &[&str] = &[
    "gdesc",
    "i",
    "include",
    "ir",
    "include_relative",
    "o",
    "out",
    "w",
    "write",
    "watch",
    "bind",
    "!",
    "cd",
    "setenv",
    "e",
    "edit",
    "ef",
    "ev",
    "s",
    "prompt",
    "password",
    "crosstabview",
    "lo_import",
    "lo_export",
    "lo_unlink",
    "lo_list",
    "startpipeline",
    "endpipeline",
    "syncpipeline",
];

impl<'a> State<'a> {
    pub fn new(env: &'a dyn Fn(&str) -> Option<String>) -> Self {
        State {
            vars: BTreeMap::new(),
            blocks: Vec::new(),
            guards: Vec::new(),
            quits: Vec::new(),
            deferred: BTreeSet::new(),
            defer_all: false,
            set_since: BTreeSet::new(),
            env,
        }
    }

    /// May a `\gset` have set this variable as the script runs?
    fn is_deferred(&self, name: &str) -> bool {
        self.deferred.contains(name) || (self.defer_all && !self.set_since.contains(name))
    }

    /// A `\gset` with `prefix` sets these columns' variables (`None`: columns not known here).
    pub fn defer(&mut self, prefix: &str, columns: Option<Vec<String>>) {
        match columns {
            Some(names) => {
                for name in names {
                    self.set_since.remove(&format!("{prefix}{name}"));
                    self.deferred.insert(format!("{prefix}{name}"));
                }
            }
            None => {
                self.defer_all = true;
                self.set_since.clear();
            }
        }
    }

    /// The guards a statement here is sent under (none: it is always sent).
    pub fn guards(&self) -> Vec<Guard> {
        self.quits.iter().cloned().chain(self.guards.iter().flatten().cloned()).collect()
    }

    /// A variable set when the script is read: no longer one a `\gset` set.
    fn known(&mut self, var: &str) -> Result<(), String> {
        if self.guards.iter().any(Option::is_some) {
            return Err(format!(
                "a variable set inside an `\\if` decided as the script runs (by `\\gset`) {NOT_SUPPORTED}"
            ));
        }
        self.deferred.remove(var);
        if self.defer_all {
            self.set_since.insert(var.to_string());
        }
        Ok(())
    }

    /// Are statements sent here (not inside a `\if` branch that does not run)?
    pub fn active(&self) -> bool {
        self.blocks.last().is_none_or(|b| b.0 && b.2)
    }

    /// What an interpolation at `rest` (just after its `:`) stands for, and how many bytes of
    /// `rest` it takes; `None` when it is not one (or names no variable: psql leaves it).
    pub fn interpolation(&self, rest: &str) -> Option<(Interp, usize)> {
        let (name, style, taken) = reference(rest)?;
        if self.is_deferred(name) {
            let fallback = self.vars.get(name).cloned();
            return Some((Interp::Hole { var: name.to_string(), style, fallback }, taken));
        }
        let text = match style {
            HoleStyle::Defined => (if self.vars.contains_key(name) { "TRUE" } else { "FALSE" }).to_string(),
            style => styled(self.vars.get(name)?, style),
        };
        Some((Interp::Text(text), taken))
    }

    /// The text an interpolation at `rest` stands for when the script is read (see
    /// `interpolation`); `None` also for a hole.
    pub fn interpolate(&self, rest: &str) -> Option<(String, usize)> {
        match self.interpolation(rest)? {
            (Interp::Text(text), taken) => Some((text, taken)),
            (Interp::Hole { .. }, _) => None,
        }
    }

    /// Run one meta-command line (from its backslash, no newline). Err: why it is refused.
    pub fn run(&mut self, line: &str) -> Result<Action, String> {
        let body = &line[1..];
        let name_end = body.find(|c: char| c.is_whitespace() || c == '\\').unwrap_or(body.len());
        let (name, rest) = (&body[..name_end], &body[name_end..]);
        let conditional = matches!(name, "if" | "elif" | "else" | "endif");
        if !conditional && !self.active() {
            return Ok(Action::None);
        }
        if REFUSED.contains(&name) {
            return Err(format!(
                "psql meta-command `\\{name}` {NOT_SUPPORTED} (it needs the server's answers, another \
                 connection or files)"
            ));
        }
        match name {
            "set" => {
                let args = self.args(rest)?;
                match args.split_first() {
                    None => {}
                    Some((var, value)) => {
                        let value = value.concat();
                        if value.len() > MAX_VALUE {
                            return Err(format!("the value of `{var}` grows past {MAX_VALUE} bytes"));
                        }
                        self.known(var)?;
                        self.vars.insert(var.clone(), value);
                    }
                }
                Ok(Action::None)
            }
            "unset" => {
                for var in self.args(rest)? {
                    self.known(&var)?;
                    self.vars.remove(&var);
                }
                Ok(Action::None)
            }
            "getenv" => {
                let args = self.args(rest)?;
                let [var, env] = args.as_slice() else {
                    return Err("`\\getenv` takes a variable and an environment variable".into());
                };
                self.known(var)?;
                match (self.env)(env) {
                    Some(v) => self.vars.insert(var.clone(), v),
                    None => self.vars.remove(var),
                };
                Ok(Action::None)
            }
            "if" => {
                let enclosing = self.active();
                // `\if :name` (or `:{?name}`) on a variable a `\gset` sets: decided as the
                // script runs.
                if let Some((var, style, taken)) = rest.trim().strip_prefix(':').and_then(reference) {
                    if enclosing && taken + 1 == rest.trim().len() && self.is_deferred(var) {
                        let (name, fallback) = (var.to_string(), self.vars.get(var).cloned());
                        let guard = match style {
                            HoleStyle::Plain => Guard::Var { name, want: true, fallback },
                            HoleStyle::Defined => Guard::Defined { name, want: true, fallback: fallback.is_some() },
                            _ => return Err(format!("`\\if` on a quoted `\\gset` variable {NOT_SUPPORTED}")),
                        };
                        self.blocks.push((true, true, enclosing));
                        self.guards.push(Some(guard));
                        return Ok(Action::None);
                    }
                }
                let run = enclosing && self.condition(rest)?;
                self.blocks.push((run, run, enclosing));
                self.guards.push(None);
                Ok(Action::None)
            }
            "elif" if self.guards.last().is_some_and(Option::is_some) => {
                Err(format!("`\\elif` after an `\\if` decided as the script runs {NOT_SUPPORTED}"))
            }
            "else" if self.guards.last().is_some_and(Option::is_some) => {
                if let Some(Some(Guard::Var { want, .. } | Guard::Defined { want, .. })) = self.guards.last_mut() {
                    *want = !*want;
                }
                Ok(Action::None)
            }
            "elif" => {
                let enclosing = self.blocks.last().ok_or("`\\elif` without `\\if`")?.2;
                let taken = self.blocks.last().is_some_and(|b| b.1);
                let run = enclosing && !taken && self.condition(rest)?;
                let block = self.blocks.last_mut().expect("checked");
                *block = (run, taken || run, enclosing);
                Ok(Action::None)
            }
            "else" => {
                let block = self.blocks.last_mut().ok_or("`\\else` without `\\if`")?;
                *block = (!block.1, true, block.2);
                Ok(Action::None)
            }
            "endif" => {
                self.blocks.pop().ok_or("`\\endif` without `\\if`")?;
                self.guards.pop();
                Ok(Action::None)
            }
            "g" | "gx" => Ok(Action::Send),
            "gexec" => Ok(Action::Gexec),
            "c" | "connect" => {
                let args = self.args(rest)?;
                if args.iter().all(|a| a == "-") {
                    Ok(Action::Reconnect)
                } else {
                    Err(format!(
                        "`\\{name}` to another database, user or server {NOT_SUPPORTED} (only `\\{name}` and `\\{name} -`)"
                    ))
                }
            }
            "copy" => copy_statement(rest).map(Action::Copy),
            "gset" => {
                let args = self.args(rest)?;
                Ok(Action::Gset(args.into_iter().next().unwrap_or_default()))
            }
            // Inside blocks decided as the script runs: the rest is sent only if they did not hold.
            "q" | "quit" if self.guards.iter().any(Option::is_some) => {
                self.quits.push(Guard::NotAll(self.guards.iter().flatten().cloned().collect()));
                Ok(Action::None)
            }
            "q" | "quit" => Ok(Action::Quit),
            _ => Ok(Action::Record),
        }
    }

    /// `\if`'s expression, as psql reads a boolean (`true`, `off`, `1`, a prefix of `yes`…);
    /// anything else is false, as psql takes it after its error message.
    fn condition(&self, rest: &str) -> Result<bool, String> {
        Ok(boolean(&self.args(rest)?.concat()))
    }

    /// A meta-command's arguments: split at white space, `'…'` quoted as psql quotes them
    /// (`''` and backslash escapes), `:name` interpolated; a backquote (a shell command) is
    /// refused.
    fn args(&self, rest: &str) -> Result<Vec<String>, String> {
        let mut args = Vec::new();
        let mut chars = rest.chars().peekable();
        loop {
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
            let Some(&first) = chars.peek() else { return Ok(args) };
            if first == '\\' {
                // `\\` separates another command on the line: not read here.
                return Ok(args);
            }
            let mut arg = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                chars.next();
                match c {
                    '`' => return Err("a backquoted shell command in a meta-command is not run".into()),
                    '\'' => loop {
                        match chars.next() {
                            None => return Err("unterminated quoted string in a meta-command".into()),
                            Some('\'') if chars.peek() == Some(&'\'') => {
                                chars.next();
                                arg.push('\'');
                            }
                            Some('\'') => break,
                            Some('\\') => match chars.next() {
                                Some('n') => arg.push('\n'),
                                Some('t') => arg.push('\t'),
                                Some('r') => arg.push('\r'),
                                Some(other) => arg.push(other),
                                None => return Err("unterminated quoted string in a meta-command".into()),
                            },
                            Some(other) => arg.push(other),
                        }
                    },
                    ':' => {
                        let tail: String = chars.clone().collect();
                        if let Some((Interp::Hole { var, .. }, _)) = self.interpolation(&tail) {
                            return Err(format!(
                                "`:{var}` is set by `\\gset` as the script runs: a meta-command using it {NOT_SUPPORTED}"
                            ));
                        }
                        match self.interpolate(&tail) {
                            Some((value, taken)) => {
                                arg.push_str(&value);
                                for _ in 0..tail[..taken].chars().count() {
                                    chars.next();
                                }
                            }
                            None => arg.push(':'),
                        }
                    }
                    other => arg.push(other),
                }
            }
            args.push(arg);
        }
    }

    /// After the whole script: a block left open is an error psql reports too.
    pub fn finish(&self) -> Result<(), String> {
        if self.blocks.is_empty() {
            Ok(())
        } else {
            Err("`\\if` without `\\endif` at the end of the script".into())
        }
    }
}

/// `\copy`'s line as the `COPY` statement psql sends for it, when its other end is psql's own
/// input or output (`stdin`, `stdout`, `pstdin`, `pstdout`); a file or a program is not.
fn copy_statement(rest: &str) -> Result<String, String> {
    let text = rest.trim().trim_end_matches(';').trim_end();
    let words: Vec<String> = text.split_whitespace().map(str::to_ascii_lowercase).collect();
    let end = words.windows(2).position(|w| {
        (w[0] == "from" && matches!(w[1].as_str(), "stdin" | "pstdin"))
            || (w[0] == "to" && matches!(w[1].as_str(), "stdout" | "pstdout"))
    });
    if end.is_none() {
        return Err(format!("`\\copy` from or to a file or a program {NOT_SUPPORTED} (stdin and stdout are)"));
    }
    let text = if words.iter().any(|w| w == "pstdin" || w == "pstdout") {
        let mapped: Vec<&str> = text
            .split_whitespace()
            .map(|w| match w.to_ascii_lowercase().as_str() {
                "pstdin" => "stdin",
                "pstdout" => "stdout",
                _ => w,
            })
            .collect();
        mapped.join(" ")
    } else {
        text.to_string()
    };
    Ok(format!("COPY {}", text.trim_end_matches(';')))
}

/// A variable reference at `rest` (just after its `:`): its name, how it is written, and how
/// many bytes of `rest` it takes.
fn reference(rest: &str) -> Option<(&str, HoleStyle, usize)> {
    let name_len = |s: &str| s.bytes().take_while(|&c| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80).count();
    let b = rest.as_bytes();
    match b.first()? {
        b'\'' | b'"' => {
            let n = name_len(&rest[1..]);
            if n == 0 || b.get(1 + n) != Some(&b[0]) {
                return None;
            }
            let style = if b[0] == b'\'' { HoleStyle::Literal } else { HoleStyle::Identifier };
            Some((&rest[1..1 + n], style, n + 2))
        }
        b'{' if b.get(1) == Some(&b'?') => {
            let n = name_len(&rest[2..]);
            (n > 0 && b.get(2 + n) == Some(&b'}')).then(|| (&rest[2..2 + n], HoleStyle::Defined, n + 3))
        }
        _ => {
            let n = name_len(rest);
            (n > 0).then(|| (&rest[..n], HoleStyle::Plain, n))
        }
    }
}

/// A value written as `style` says (not `Defined`, which depends on whether it is set).
fn styled(value: &str, style: HoleStyle) -> String {
    match style {
        HoleStyle::Literal => literal(value),
        HoleStyle::Identifier => identifier(value),
        HoleStyle::Plain | HoleStyle::Defined => value.to_string(),
    }
}

/// A value read as psql reads a boolean (`true`, `off`, `1`, a prefix of `yes`…); anything else
/// is false, as psql takes it after its error message.
fn boolean(value: &str) -> bool {
    let value = value.to_ascii_lowercase();
    let prefix_of = |word: &str, min: usize| value.len() >= min && word.starts_with(value.as_str());
    prefix_of("true", 1) || prefix_of("yes", 1) || prefix_of("on", 2) || value == "1"
}

/// Variables a `\gset` set as the script runs, on one side (`None`: unset by a NULL).
pub type Vars = BTreeMap<String, Option<String>>;

fn value_of<'v>(vars: &'v Vars, name: &str, fallback: &'v Option<String>) -> Option<&'v str> {
    match vars.get(name) {
        Some(value) => value.as_deref(),
        None => fallback.as_deref(),
    }
}

/// A step's SQL with its holes filled from `vars` (a variable not set is left as written, as
/// psql leaves it).
pub fn instantiate(sql: &str, holes: &[Hole], vars: &Vars) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut at = 0;
    for hole in holes {
        out.push_str(&sql[at..hole.start]);
        let value = value_of(vars, &hole.var, &hole.fallback);
        match (hole.style, value) {
            (HoleStyle::Defined, v) => out.push_str(if v.is_some() { "TRUE" } else { "FALSE" }),
            (style, Some(v)) => out.push_str(&styled(v, style)),
            (_, None) => out.push_str(&sql[hole.start..hole.end]),
        }
        at = hole.end;
    }
    out.push_str(&sql[at..]);
    out
}

/// Do all these guards hold with `vars`?
pub fn holds(guards: &[Guard], vars: &Vars) -> bool {
    guards.iter().all(|g| match g {
        Guard::Var { name, want, fallback } => value_of(vars, name, fallback).is_some_and(boolean) == *want,
        Guard::Defined { name, want, fallback } => {
            let set = match vars.get(name) {
                Some(value) => value.is_some(),
                None => *fallback,
            };
            set == *want
        }
        Guard::NotAll(all) => !holds(all, vars),
    })
}

/// `\gset prefix` after a result: with exactly one row, each column sets `prefix` + its name
/// (a NULL unsets it); otherwise psql reports an error and sets nothing.
pub fn gset(prefix: &str, columns: &[String], rows: &[Vec<Option<String>>], vars: &mut Vars) {
    if let [row] = rows {
        for (name, value) in columns.iter().zip(row) {
            vars.insert(format!("{prefix}{name}"), value.clone());
        }
    }
}

/// A value as a SQL literal, as psql's `:'name'` writes it (PQescapeLiteral).
fn literal(value: &str) -> String {
    let escaped = value.replace('\'', "''");
    if value.contains('\\') {
        format!(" E'{}'", escaped.replace('\\', "\\\\"))
    } else {
        format!("'{escaped}'")
    }
}

/// A value as a SQL identifier, as psql's `:"name"` writes it (PQescapeIdentifier).
fn identifier(value: &str) -> String {
    format!("\"{}\"", value.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "PG_ABS_SRCDIR").then(|| "/src/test/regress".to_string())
    }

    #[test]
    fn variables_are_set_read_from_the_environment_and_interpolated() {
        let mut s = State::new(&env);
        assert_eq!(s.run("\\set x 'it''s' two"), Ok(Action::None));
        assert_eq!(s.run("\\getenv abs_srcdir PG_ABS_SRCDIR"), Ok(Action::None));
        assert_eq!(s.interpolate("x + 1"), Some(("it'stwo".into(), 1)));
        assert_eq!(s.interpolate("'x'"), Some(("'it''stwo'".into(), 3)));
        assert_eq!(s.interpolate("\"x\""), Some(("\"it'stwo\"".into(), 3)));
        assert_eq!(s.interpolate("{?abs_srcdir}"), Some(("TRUE".into(), 13)));
        assert_eq!(s.interpolate("{?nope}"), Some(("FALSE".into(), 7)));
        assert_eq!(s.interpolate("nope"), None, "an unknown variable is left as written");
        s.run("\\set filename :abs_srcdir '/data/agg.data'").unwrap();
        assert_eq!(s.interpolate("'filename'"), Some(("'/src/test/regress/data/agg.data'".into(), 10)));
        s.run("\\set back 'a\\\\b'").unwrap();
        assert_eq!(s.interpolate("'back'"), Some((" E'a\\\\b'".into(), 6)));
        s.run("\\unset x").unwrap();
        assert_eq!(s.interpolate("x"), None);
    }

    #[test]
    fn if_blocks_choose_what_is_sent() {
        let mut s = State::new(&env);
        s.run("\\set on_linux true").unwrap();
        s.run("\\if :on_linux").unwrap();
        assert!(s.active());
        s.run("\\if off").unwrap();
        assert!(!s.active());
        s.run("\\elif 1").unwrap();
        assert!(s.active());
        s.run("\\else").unwrap();
        assert!(!s.active());
        s.run("\\set ignored x").unwrap();
        s.run("\\endif").unwrap();
        s.run("\\else").unwrap();
        assert!(!s.active());
        s.run("\\endif").unwrap();
        assert!(s.active() && s.interpolate("ignored").is_none());
        assert!(s.run("\\endif").is_err());
        s.run("\\if :{?nope}").unwrap();
        assert!(!s.active());
        assert!(s.finish().is_err());
    }

    #[test]
    fn display_commands_are_recorded_and_run_time_ones_refused() {
        let mut s = State::new(&env);
        assert_eq!(s.run("\\pset null '(null)'"), Ok(Action::Record));
        assert_eq!(s.run("\\d+ t"), Ok(Action::Record));
        assert_eq!(s.run("\\g"), Ok(Action::Send));
        assert_eq!(s.run("\\q"), Ok(Action::Quit));
        assert_eq!(s.run("\\gset pre_"), Ok(Action::Gset("pre_".into())));
        assert_eq!(s.run("\\gexec"), Ok(Action::Gexec));
        assert!(s.run("\\gdesc").unwrap_err().contains("`\\gdesc` is not supported"));
        assert!(s.run("\\set x `date`").is_err());
        // A value that doubles at each line stops growing at the limit (found by fuzzing).
        s.run("\\set x ab").unwrap();
        let err = (0..40).find_map(|_| s.run("\\set x :x :x").err()).expect("refused");
        assert!(err.contains("grows past"), "{err}");
    }
}
