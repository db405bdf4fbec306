//! psql's meta-commands in a `.sql` file, as psql runs them: variables (`\set`, `\unset`,
//! `\getenv`) and their interpolation into SQL (`:name`, `:'name'`, `:"name"`, `:{?name}`),
//! conditional blocks (`\if` … `\endif`), `\g`; display and describe commands are steps that
//! send nothing. What needs the server's answers (`\gset`, `\gexec`), another connection
//! (`\c`) or the file system (`\copy`, `\i`, `\o`) is refused with its position.

use std::collections::BTreeMap;

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
}

/// The interpreter's state: variables and the `\if` blocks open.
pub struct State<'a> {
    vars: BTreeMap<String, String>,
    /// One per open `\if`: (this branch runs, a branch already ran, the enclosing block runs).
    blocks: Vec<(bool, bool, bool)>,
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
    "gset",
    "gexec",
    "gdesc",
    "c",
    "connect",
    "copy",
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
        State { vars: BTreeMap::new(), blocks: Vec::new(), env }
    }

    /// Are statements sent here (not inside a `\if` branch that does not run)?
    pub fn active(&self) -> bool {
        self.blocks.last().is_none_or(|b| b.0 && b.2)
    }

    /// The text an interpolation at `rest` (just after its `:`) stands for, and how many bytes
    /// of `rest` it takes; `None` when it is not one (or names no variable: psql leaves it).
    pub fn interpolate(&self, rest: &str) -> Option<(String, usize)> {
        let name_len = |s: &str| s.bytes().take_while(|&c| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80).count();
        let b = rest.as_bytes();
        match b.first()? {
            b'\'' | b'"' => {
                let n = name_len(&rest[1..]);
                if n == 0 || b.get(1 + n) != Some(&b[0]) {
                    return None;
                }
                let value = self.vars.get(&rest[1..1 + n])?;
                let quoted = if b[0] == b'\'' { literal(value) } else { identifier(value) };
                Some((quoted, n + 2))
            }
            b'{' if b.get(1) == Some(&b'?') => {
                let n = name_len(&rest[2..]);
                (n > 0 && b.get(2 + n) == Some(&b'}'))
                    .then(|| ((if self.vars.contains_key(&rest[2..2 + n]) { "TRUE" } else { "FALSE" }).into(), n + 3))
            }
            _ => {
                let n = name_len(rest);
                if n == 0 {
                    return None;
                }
                self.vars.get(&rest[..n]).map(|v| (v.clone(), n))
            }
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
                        self.vars.insert(var.clone(), value);
                    }
                }
                Ok(Action::None)
            }
            "unset" => {
                for var in self.args(rest)? {
                    self.vars.remove(&var);
                }
                Ok(Action::None)
            }
            "getenv" => {
                let args = self.args(rest)?;
                let [var, env] = args.as_slice() else {
                    return Err("`\\getenv` takes a variable and an environment variable".into());
                };
                match (self.env)(env) {
                    Some(v) => self.vars.insert(var.clone(), v),
                    None => self.vars.remove(var),
                };
                Ok(Action::None)
            }
            "if" => {
                let enclosing = self.active();
                let run = enclosing && self.condition(rest)?;
                self.blocks.push((run, run, enclosing));
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
                Ok(Action::None)
            }
            "g" | "gx" => Ok(Action::Send),
            "q" | "quit" => Ok(Action::Quit),
            _ => Ok(Action::Record),
        }
    }

    /// `\if`'s expression, as psql reads a boolean (`true`, `off`, `1`, a prefix of `yes`…);
    /// anything else is false, as psql takes it after its error message.
    fn condition(&self, rest: &str) -> Result<bool, String> {
        let value = self.args(rest)?.concat().to_ascii_lowercase();
        let prefix_of = |word: &str, min: usize| value.len() >= min && word.starts_with(value.as_str());
        Ok(prefix_of("true", 1) || prefix_of("yes", 1) || prefix_of("on", 2) || value == "1")
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
        assert!(s.run("\\gset").unwrap_err().contains("`\\gset` is not supported"));
        assert!(s.run("\\set x `date`").is_err());
        // A value that doubles at each line stops growing at the limit (found by fuzzing).
        s.run("\\set x ab").unwrap();
        let err = (0..40).find_map(|_| s.run("\\set x :x :x").err()).expect("refused");
        assert!(err.contains("grows past"), "{err}");
    }
}
