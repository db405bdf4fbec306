//! PostgreSQL's isolation specs (`.spec`, as `isolationtester` reads them: its scanner and
//! grammar followed): setup and teardown blocks, sessions with their own setup, steps and
//! teardown, and permutations (every interleaving of the sessions' steps when none is listed).
//! Each permutation is a multi-session workload of its own, judged by the harness's blocking
//! detection: the main setup and teardown run on a control session (as isolationtester runs
//! them), each session's setup first and its teardown last. A block's statements are steps of
//! their own. Blocking markers (`step(*)`, `step(other)`, `step(other notices 1)`) are read and
//! checked; they only order isolationtester's output, so they change nothing here.

use std::path::Path;

use super::sql;
use crate::model::error::{Error, Location};
use crate::model::{Order, Step, Workload};

/// The control session's name (a spec's names are SQL identifiers: it cannot clash with one
/// written without quotes, and the parser refuses it quoted).
pub const CONTROL: &str = "(control)";

/// More interleavings than this, when a spec lists no permutation, is refused (with the count).
pub const MAX_PERMUTATIONS: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Keyword(&'static str),
    Ident(String),
    /// An SQL block's text (trimmed), and its offset in the file.
    Sql(String, usize),
    Int(usize),
    Punct(char),
}

struct Block {
    sql: String,
    offset: usize,
}

struct Session {
    name: String,
    setup: Vec<Block>,
    steps: Vec<(String, Block)>,
    teardown: Option<Block>,
}

struct Spec {
    setup: Vec<Block>,
    teardown: Option<Block>,
    sessions: Vec<Session>,
    /// Step names, each with its offset in the file.
    permutations: Vec<Vec<(String, usize)>>,
}

fn scan(text: &str) -> Result<Vec<(Token, usize)>, (usize, String)> {
    const KEYWORDS: [&str; 6] = ["notices", "permutation", "session", "setup", "step", "teardown"];
    let b = text.as_bytes();
    let ident_start = |c: u8| c.is_ascii_alphabetic() || c == b'_' || c >= 0x80;
    let ident_cont = |c: u8| ident_start(c) || c.is_ascii_digit() || c == b'$';
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\r' | b'\n' | 0x0c => i += 1,
            b'#' => i = text[i..].find('\n').map_or(b.len(), |n| i + n),
            b'{' => {
                let close = text[i..].find('}').ok_or((i, "unterminated sql block".to_string()))? + i;
                let raw = &text[i + 1..close];
                let lead = raw.len() - raw.trim_start_matches([' ', '\t', '\r', '\x0c']).len();
                let sql = raw.trim_start_matches([' ', '\t', '\r', '\x0c']).trim_end_matches([' ', '\t', '\r', '\x0c']);
                out.push((Token::Sql(sql.to_string(), i + 1 + lead), i));
                i = close + 1;
            }
            b'"' => {
                let mut name = String::new();
                let mut j = i + 1;
                loop {
                    match b.get(j) {
                        None => return Err((i, "unterminated quoted identifier".into())),
                        Some(b'\n') => return Err((j, "unexpected newline in quoted identifier".into())),
                        Some(b'"') if b.get(j + 1) == Some(&b'"') => {
                            name.push('"');
                            j += 2;
                        }
                        Some(b'"') => break,
                        Some(_) => {
                            let ch = text[j..].chars().next().expect("in bounds");
                            name.push(ch);
                            j += ch.len_utf8();
                        }
                    }
                }
                out.push((Token::Ident(name), i));
                i = j + 1;
            }
            c if c.is_ascii_digit() => {
                let end = text[i..].find(|ch: char| !ch.is_ascii_digit()).map_or(b.len(), |n| i + n);
                let n = text[i..end].parse().map_err(|_| (i, "number too large".to_string()))?;
                out.push((Token::Int(n), i));
                i = end;
            }
            c if ident_start(c) => {
                let end = (i..b.len()).find(|&j| !ident_cont(b[j])).unwrap_or(b.len());
                let word = &text[i..end];
                match KEYWORDS.iter().find(|k| **k == word) {
                    Some(k) => out.push((Token::Keyword(k), i)),
                    None => out.push((Token::Ident(word.to_string()), i)),
                }
                i = end;
            }
            b',' | b'(' | b')' | b'*' => {
                out.push((Token::Punct(c as char), i));
                i += 1;
            }
            _ => {
                let ch = text[i..].chars().next().expect("in bounds");
                return Err((i, format!("syntax error: unexpected character \"{ch}\"")));
            }
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<(Token, usize)>,
    at: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at).map(|t| &t.0)
    }
    fn offset(&self) -> usize {
        self.tokens.get(self.at).map_or(self.end, |t| t.1)
    }
    fn keyword(&mut self, k: &'static str) -> bool {
        if self.peek() == Some(&Token::Keyword(k)) {
            self.at += 1;
            true
        } else {
            false
        }
    }
    fn ident(&mut self, what: &str) -> Result<(String, usize), (usize, String)> {
        match self.tokens.get(self.at) {
            Some((Token::Ident(name), offset)) => {
                self.at += 1;
                Ok((name.clone(), *offset))
            }
            _ => Err((self.offset(), format!("syntax error: {what} expected"))),
        }
    }
    fn block(&mut self) -> Result<Block, (usize, String)> {
        match self.tokens.get(self.at) {
            Some((Token::Sql(sql, offset), _)) => {
                self.at += 1;
                Ok(Block { sql: sql.clone(), offset: *offset })
            }
            _ => Err((self.offset(), "syntax error: `{ SQL }` expected".into())),
        }
    }
    fn punct(&mut self, c: char) -> bool {
        if self.peek() == Some(&Token::Punct(c)) {
            self.at += 1;
            true
        } else {
            false
        }
    }
}

fn parse(text: &str) -> Result<Spec, (usize, String)> {
    let mut p = Parser { tokens: scan(text)?, at: 0, end: text.len() };
    let mut spec = Spec { setup: Vec::new(), teardown: None, sessions: Vec::new(), permutations: Vec::new() };
    while p.keyword("setup") {
        spec.setup.push(p.block()?);
    }
    if p.keyword("teardown") {
        spec.teardown = Some(p.block()?);
    }
    while p.keyword("session") {
        let (name, _) = p.ident("a session name")?;
        let mut session = Session { name, setup: Vec::new(), steps: Vec::new(), teardown: None };
        while p.keyword("setup") {
            session.setup.push(p.block()?);
        }
        while p.keyword("step") {
            let name = p.ident("a step name")?.0;
            session.steps.push((name, p.block()?));
        }
        if session.steps.is_empty() {
            return Err((p.offset(), format!("syntax error: session {} has no step", session.name)));
        }
        if p.keyword("teardown") {
            session.teardown = Some(p.block()?);
        }
        spec.sessions.push(session);
    }
    if spec.sessions.is_empty() {
        return Err((p.offset(), "syntax error: a spec has at least one session".into()));
    }
    while p.keyword("permutation") {
        let mut steps = Vec::new();
        while matches!(p.peek(), Some(Token::Ident(_))) {
            let step = p.ident("a step name")?;
            if p.punct('(') {
                // Blocking markers: `*`, `other`, `other notices N`, separated by commas.
                loop {
                    if !p.punct('*') {
                        let other = p.ident("a blocking marker (`*` or a step name)")?;
                        check_step(&spec, &other)?;
                        if p.keyword("notices") {
                            if !matches!(p.peek(), Some(Token::Int(_))) {
                                return Err((p.offset(), "syntax error: a number of notices expected".into()));
                            }
                            p.at += 1;
                        }
                    }
                    if p.punct(')') {
                        break;
                    }
                    if !p.punct(',') {
                        return Err((p.offset(), "syntax error: `,` or `)` expected".into()));
                    }
                }
            }
            check_step(&spec, &step)?;
            steps.push(step);
        }
        if steps.is_empty() {
            return Err((p.offset(), "syntax error: a permutation names at least one step".into()));
        }
        spec.permutations.push(steps);
    }
    if p.at < p.tokens.len() {
        return Err((p.offset(), "syntax error: `setup`, `teardown`, `session` or `permutation` expected here".into()));
    }
    let mut names = std::collections::HashSet::new();
    for (name, block) in spec.sessions.iter().flat_map(|s| &s.steps) {
        if !names.insert(name) {
            return Err((block.offset, format!("step name `{name}` is used more than once")));
        }
    }
    Ok(spec)
}

fn check_step(spec: &Spec, (name, offset): &(String, usize)) -> Result<(), (usize, String)> {
    if spec.sessions.iter().flat_map(|s| &s.steps).any(|(n, _)| n == name) {
        Ok(())
    } else {
        Err((*offset, format!("undefined step `{name}` in permutation")))
    }
}

/// Every interleaving of the sessions' steps (each session's in order), as isolationtester
/// makes them when a spec lists none; `None` past `MAX_PERMUTATIONS`.
fn all_interleavings(spec: &Spec) -> Option<Vec<Vec<String>>> {
    fn walk(lists: &[Vec<&str>], at: &mut Vec<usize>, current: &mut Vec<String>, out: &mut Vec<Vec<String>>) -> bool {
        if out.len() > MAX_PERMUTATIONS {
            return false;
        }
        let mut any = false;
        for s in 0..lists.len() {
            if at[s] < lists[s].len() {
                any = true;
                current.push(lists[s][at[s]].to_string());
                at[s] += 1;
                let ok = walk(lists, at, current, out);
                at[s] -= 1;
                current.pop();
                if !ok {
                    return false;
                }
            }
        }
        if !any {
            out.push(current.clone());
        }
        true
    }
    let lists: Vec<Vec<&str>> =
        spec.sessions.iter().map(|s| s.steps.iter().map(|(n, _)| n.as_str()).collect()).collect();
    let mut out = Vec::new();
    let done = walk(&lists, &mut vec![0; lists.len()], &mut Vec::new(), &mut out);
    (done && out.len() <= MAX_PERMUTATIONS).then_some(out)
}

/// A spec file's permutations as workloads, ids `<id>/<n>` (from 1, in the spec's order).
pub fn load(file: &Path, id: &str, text: &str) -> Result<Vec<Workload>, Error> {
    let at = |offset: usize| {
        let (line, column) = sql::line_col(text, offset);
        Location { file: file.to_path_buf(), line, column }
    };
    let spec = parse(text).map_err(|(offset, message)| Error::Workload { location: at(offset), message })?;
    if spec.sessions.iter().any(|s| s.name == CONTROL) {
        let message = format!("a session may not be named `{CONTROL}`");
        return Err(Error::Workload { location: at(0), message });
    }
    // A block's statements, each a step on `session` (a block psql would refuse is an error).
    let statements = |block: &Block, session: &str| -> Result<Vec<Step>, Error> {
        let pieces = sql::split(&block.sql)
            .map_err(|e| Error::Workload { location: at(block.offset + e.offset), message: e.message })?;
        Ok(pieces
            .into_iter()
            .map(|p| Step {
                session: Some(session.to_string()),
                copy_data: p.copy_data,
                ..super::step(p.text, Order::Auto, at(block.offset + p.offset))
            })
            .collect())
    };
    let permutations = if spec.permutations.is_empty() {
        all_interleavings(&spec).ok_or_else(|| Error::Workload {
            location: at(0),
            message: format!("no permutation is listed, and the sessions' steps interleave in more than {MAX_PERMUTATIONS} ways: list the ones to run"),
        })?
    } else {
        spec.permutations.iter().map(|p| p.iter().map(|(name, _)| name.clone()).collect()).collect()
    };
    let mut setup = Vec::new();
    for block in &spec.setup {
        setup.extend(statements(block, CONTROL)?);
    }
    let mut sessions = vec![CONTROL.to_string()];
    sessions.extend(spec.sessions.iter().map(|s| s.name.clone()));
    let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let mut workloads = Vec::with_capacity(permutations.len());
    for (k, permutation) in permutations.iter().enumerate() {
        let mut steps = Vec::new();
        for session in &spec.sessions {
            for block in &session.setup {
                steps.extend(statements(block, &session.name)?);
            }
        }
        for name in permutation {
            let (session, block) = spec
                .sessions
                .iter()
                .find_map(|s| s.steps.iter().find(|(n, _)| n == name).map(|(_, b)| (s, b)))
                .expect("checked at parse");
            steps.extend(statements(block, &session.name)?);
        }
        for session in &spec.sessions {
            if let Some(block) = &session.teardown {
                steps.extend(statements(block, &session.name)?);
            }
        }
        if let Some(block) = &spec.teardown {
            steps.extend(statements(block, CONTROL)?);
        }
        let feature = format!("{stem}: {}", permutation.join(" "));
        let area = id.rsplit_once('/').map_or("isolation", |(dir, _)| dir).to_string();
        let named = Workload::new(file, &format!("{id}/{}", k + 1), feature, area);
        workloads.push(Workload { sessions: sessions.clone(), setup: setup.clone(), steps, ..named });
    }
    Ok(workloads)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIMPLE: &str = "# comment\nsetup\n{\n  CREATE TABLE a1 ();\n}\n\nteardown { DROP TABLE a1; }\n\n\
        session s1\nsetup { BEGIN; }\nstep s1as { LOCK TABLE a1 IN ACCESS SHARE MODE; }\nstep s1c { COMMIT; }\n\n\
        session \"s 2\"\nstep s2as { LOCK TABLE a1 IN ACCESS EXCLUSIVE MODE; }\nteardown { SELECT 1; SELECT 2 }\n";

    #[test]
    fn every_interleaving_when_no_permutation_is_listed() {
        let w = load(Path::new("specs/simple.spec"), "specs/simple", SIMPLE).unwrap();
        // s1 has two steps and "s 2" one: three interleavings.
        let features: Vec<&str> = w.iter().map(|w| w.feature.as_str()).collect();
        assert_eq!(features, ["simple: s1as s1c s2as", "simple: s1as s2as s1c", "simple: s2as s1as s1c"]);
        assert_eq!(w[1].id, "specs/simple/2");
        assert_eq!(w[1].sessions, [CONTROL, "s1", "s 2"]);
        let setup: Vec<&str> = w[1].setup.iter().map(|s| s.sql.as_str()).collect();
        assert_eq!(setup, ["CREATE TABLE a1 ()"]);
        assert_eq!(w[1].setup[0].session.as_deref(), Some(CONTROL));
        let steps: Vec<(String, String)> =
            w[1].steps.iter().map(|s| (s.session.clone().unwrap(), s.sql.clone())).collect();
        let expect = [
            ("s1", "BEGIN"),
            ("s1", "LOCK TABLE a1 IN ACCESS SHARE MODE"),
            ("s 2", "LOCK TABLE a1 IN ACCESS EXCLUSIVE MODE"),
            ("s1", "COMMIT"),
            ("s 2", "SELECT 1"),
            ("s 2", "SELECT 2"),
            (CONTROL, "DROP TABLE a1"),
        ];
        assert_eq!(steps, expect.map(|(a, b)| (a.to_string(), b.to_string())));
        assert_eq!(w[1].steps[1].location.to_string(), "specs/simple.spec:11:13");
    }

    #[test]
    fn listed_permutations_with_markers() {
        let text = format!("{SIMPLE}permutation s1as s2as(*) s1c\npermutation s2as(s1c, s1as notices 1) s1as s1c\n");
        let w = load(Path::new("x.spec"), "x", &text).unwrap();
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].feature, "x: s1as s2as s1c");
    }

    #[test]
    fn errors_are_located() {
        let err = |text: &str| load(Path::new("x.spec"), "x", text).unwrap_err().to_string();
        assert!(err(&format!("{SIMPLE}permutation s1as nope\n")).contains("x.spec:17:18: undefined step `nope`"));
        assert!(err("session s1\nstep a { SELECT 1 \n").contains("x.spec:2:8: unterminated sql block"));
        assert!(err("session s1\nstep a { SELECT 1 }\nstep a { SELECT 2 }\n")
            .contains("step name `a` is used more than once"));
        assert!(err("setup { SELECT 1 }\n").contains("at least one session"));
        assert!(err("session s1\nstep a { SELECT 1 } ;\n")
            .contains("x.spec:2:21: syntax error: unexpected character \";\""));
        let e = err("session s1\nstep a { SELECT 'x }\n");
        assert!(e.contains("x.spec:2:17"), "{e}");
    }
}
