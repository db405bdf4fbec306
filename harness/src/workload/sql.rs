//! Statement splitting as psql does it (its lexer, `psqlscan.l`, followed rule by rule), and
//! facts read from the parse tree. psql never refuses a token: `SELECT U&'wrong: \061'`,
//! `SELECT 123abc` or `""` are sent as written and the server's error is the outcome. A script
//! splits at `;` outside parentheses and outside the body of a `CREATE FUNCTION … BEGIN ATOMIC …
//! END`; one pass over the bytes, so any script splits in linear time.

/// One statement found in a script: its text (no trailing `;`) and its byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub text: String,
    pub offset: usize,
    /// For `COPY … FROM STDIN;` in psql's style: the data lines that follow it, up to `\.`.
    pub copy_data: Option<String>,
    /// What psql decides as the script runs (`\gset` and what depends on it).
    pub runtime: Option<Box<crate::model::Runtime>>,
}

/// A psql meta-command (`\set x 1`): its line from the backslash, and its byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub text: String,
    pub offset: usize,
    /// `\\c`: the session is replaced (and any guards it is under).
    pub runtime: Option<Box<crate::model::Runtime>>,
}

impl Meta {
    /// The command's name, without the backslash (`set`, `gset`, `d+`).
    pub fn name(&self) -> &str {
        let rest = &self.text[1..];
        rest.split(|c: char| c.is_whitespace() || c == '\\').next().unwrap_or("")
    }
}

/// What a script holds, in the order psql acts on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Statement(Piece),
    Meta(Meta),
}

/// A scanner error with the byte offset it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitError {
    pub offset: usize,
    pub message: String,
}

/// Split a script into statements. Comments before a statement are dropped; comments inside
/// it are kept. Empty statements (`;;`) are skipped. As in psql, `COPY … FROM STDIN;` followed
/// by data lines up to a line `\.` takes them as its data; a COPY not followed by such a block
/// has none (the server's answer to it is the outcome). A psql meta-command is refused here
/// with its position: `items` returns them.
pub fn split(script: &str) -> Result<Vec<Piece>, SplitError> {
    items(script)?
        .into_iter()
        .map(|item| match item {
            Item::Statement(p) => Ok(p),
            Item::Meta(m) => Err(SplitError {
                offset: m.offset,
                message: format!("psql meta-command `\\{}` is not supported in a SQL file yet", m.name()),
            }),
        })
        .collect()
}

/// Statements and psql meta-commands, in order, as written. The only errors: a NUL byte, and a
/// quoted string, identifier, dollar-quoted body or comment still open at the end of the script.
pub fn items(script: &str) -> Result<Vec<Item>, SplitError> {
    lex(script, None)
}

/// A script as psql runs it (`psql.rs`): meta-commands interpreted — variables interpolated
/// into the statements, `\if` branches that do not run left out — and the ones that send
/// nothing kept as `Item::Meta`. `env` reads the environment (`\getenv`).
pub fn script(script: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Vec<Item>, SplitError> {
    lex(script, Some(super::psql::State::new(env)))
}

/// One pass of the lexer, interpreting meta-commands when given psql's state.
fn lex<'a>(script: &'a str, psql: Option<super::psql::State<'a>>) -> Result<Vec<Item>, SplitError> {
    if let Some(offset) = script.find('\0') {
        return Err(SplitError { offset, message: "NUL byte in SQL text".into() });
    }
    let mut lexer = Lexer::new(script);
    lexer.psql = psql;
    lexer.run()?;
    if let Some(Err(message)) = lexer.psql.as_ref().map(super::psql::State::finish) {
        return Err(SplitError { offset: script.len(), message });
    }
    Ok(lexer.items)
}

/// Is this one statement a `COPY … FROM STDIN` (the only kind that takes COPY data)?
pub fn is_copy_from_stdin(sql: &str) -> bool {
    let mut lexer = Lexer::new(sql);
    lexer.run().is_ok() && lexer.last_copy_in
}

/// The most text interpolation may add to one script: a few references to a large variable
/// are fine, millions of them are not.
const MAX_INTERPOLATED: usize = 64 << 20;

/// How a single-quoted string treats a backslash.
#[derive(Clone, Copy, PartialEq)]
enum Quote {
    /// `'…'` with standard_conforming_strings on, `U&'…'`, `B'…'`, `X'…'`: a backslash is text.
    Standard,
    /// `E'…'`, or `'…'` with standard_conforming_strings off: a backslash escapes the next byte.
    Escape,
}

struct Lexer<'a> {
    /// Interpreting meta-commands (`script`), or taking them as written (`items`).
    psql: Option<super::psql::State<'a>>,
    /// Interpolations in the statement being gathered: (start, end, text).
    subs: Vec<(usize, usize, super::psql::Interp)>,
    /// Bytes interpolated so far in the whole script (bounded: `MAX_INTERPOLATED`).
    interpolated: usize,
    /// psql's `\q`: nothing after it is read.
    quit: bool,
    s: &'a str,
    b: &'a [u8],
    items: Vec<Item>,
    /// psql tracks the server's standard_conforming_strings; here, the script's own `SET`s.
    std_strings: bool,
    /// The statement being gathered: first and last byte of its tokens.
    start: Option<usize>,
    end: usize,
    paren: u32,
    begin: u32,
    /// psql's heuristic for `CREATE [OR REPLACE] FUNCTION|PROCEDURE`: the first letters of its
    /// first four words, when they are among those keywords.
    words: usize,
    head: [u8; 4],
    /// COPY … FROM STDIN, word by word.
    copy: bool,
    after_from: bool,
    from_stdin: bool,
    /// Was the last statement a COPY … FROM STDIN?
    last_copy_in: bool,
    /// The last statement sent, and its holes: psql's `\\g`, `\\gset` and `\\gexec` with nothing
    /// gathered send it again.
    last_sent: Option<(String, Vec<crate::model::Hole>)>,
    /// Lines that end COPY data (`\\.`: true) or start a COPY … FROM STDIN (false), by
    /// (start, end) offset: found once, when the first COPY needs them.
    stops: Option<Vec<(usize, usize, bool)>>,
}

fn ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn ident_cont(c: u8) -> bool {
    ident_start(c) || c.is_ascii_digit() || c == b'$'
}

impl<'a> Lexer<'a> {
    fn new(s: &'a str) -> Self {
        Lexer {
            psql: None,
            subs: Vec::new(),
            interpolated: 0,
            quit: false,
            s,
            b: s.as_bytes(),
            items: Vec::new(),
            std_strings: true,
            start: None,
            end: 0,
            paren: 0,
            begin: 0,
            words: 0,
            head: [0; 4],
            copy: false,
            after_from: false,
            from_stdin: false,
            last_copy_in: false,
            last_sent: None,
            stops: None,
        }
    }

    fn at(&self, i: usize) -> u8 {
        self.b.get(i).copied().unwrap_or(0)
    }

    fn line_end(&self, i: usize) -> usize {
        self.s[i..].find('\n').map_or(self.b.len(), |n| i + n)
    }

    fn run(&mut self) -> Result<(), SplitError> {
        let mut i = 0;
        while i < self.b.len() && !self.quit {
            let c = self.b[i];
            i = match c {
                b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' => i + 1,
                b'-' if self.at(i + 1) == b'-' => self.line_end(i),
                b'/' if self.at(i + 1) == b'*' => self.block_comment(i)?,
                b'\\' => self.meta(i)?,
                b';' if self.paren == 0 && self.begin == 0 => self.finish(i + 1),
                _ => {
                    let end = self.token(i)?;
                    self.start.get_or_insert(i);
                    self.end = end;
                    end
                }
            };
        }
        self.finish(self.b.len());
        Ok(())
    }

    /// One token from `i` (not whitespace, not a comment): its end.
    fn token(&mut self, i: usize) -> Result<usize, SplitError> {
        let c = self.b[i];
        let next = self.at(i + 1);
        self.after_from = self.after_from && ident_start(c);
        Ok(match c {
            b'\'' => self.string(i, i + 1, if self.std_strings { Quote::Standard } else { Quote::Escape })?,
            b'"' => self.quoted_identifier(i, i + 1)?,
            b'$' if next.is_ascii_digit() => self.skip_while(i + 1, |c| c.is_ascii_digit()),
            b'$' => match self.dollar_tag(i) {
                Some(tag_end) => self.dollar_body(i, tag_end)?,
                None => i + 1,
            },
            b':' if next == b':' => i + 2,
            b':' if self.psql.as_ref().is_some_and(|p| p.active()) => {
                match self.psql.as_ref().and_then(|p| p.interpolation(&self.s[i + 1..])) {
                    Some((text, taken)) => {
                        if let super::psql::Interp::Text(text) = &text {
                            self.interpolated += text.len();
                        }
                        if self.interpolated > MAX_INTERPOLATED {
                            let message = format!(
                                "variables interpolated into this script add more than {MAX_INTERPOLATED} bytes"
                            );
                            return Err(SplitError { offset: i, message });
                        }
                        self.subs.push((i, i + 1 + taken, text));
                        i + 1 + taken
                    }
                    None => i + 1,
                }
            }
            b'(' => {
                self.paren += 1;
                i + 1
            }
            b')' => {
                self.paren = self.paren.saturating_sub(1);
                i + 1
            }
            b'e' | b'E' if next == b'\'' => self.string(i, i + 2, Quote::Escape)?,
            b'b' | b'B' | b'x' | b'X' if next == b'\'' => self.string(i, i + 2, Quote::Standard)?,
            // N'…' is a plain string after its N.
            b'n' | b'N' if next == b'\'' => i + 1,
            b'u' | b'U' if next == b'&' && self.at(i + 2) == b'\'' => self.string(i, i + 3, Quote::Standard)?,
            b'u' | b'U' if next == b'&' && self.at(i + 2) == b'"' => self.quoted_identifier(i, i + 3)?,
            c if ident_start(c) => {
                let end = self.skip_while(i, ident_cont);
                self.word(&self.s[i..end]);
                end
            }
            // A number, and an identifier glued to it (`123abc`: one token, as in psql).
            c if c.is_ascii_digit() || (c == b'.' && next.is_ascii_digit()) => {
                let end = self.skip_while(i, |c| c.is_ascii_digit() || c == b'.');
                if ident_start(self.at(end)) {
                    self.skip_while(end, ident_cont)
                } else {
                    end
                }
            }
            // Any other byte is a token of its own; a UTF-8 sequence is an identifier above.
            _ => i + 1,
        })
    }

    fn skip_while(&self, mut i: usize, keep: impl Fn(u8) -> bool) -> usize {
        while i < self.b.len() && keep(self.b[i]) {
            i += 1;
        }
        i
    }

    fn unterminated(&self, start: usize, what: &str) -> SplitError {
        let near: String = self.s[start..].lines().next().unwrap_or("").chars().take(40).collect();
        SplitError { offset: start, message: format!("unterminated {what} at or near \"{near}\"") }
    }

    /// A single-quoted string whose body starts at `body`: its end.
    fn string(&self, start: usize, body: usize, quote: Quote) -> Result<usize, SplitError> {
        let mut i = body;
        while i < self.b.len() {
            match self.b[i] {
                b'\\' if quote == Quote::Escape => i += 2,
                b'\'' if self.at(i + 1) == b'\'' => i += 2,
                b'\'' => return Ok(i + 1),
                _ => i += 1,
            }
        }
        Err(self.unterminated(start, "quoted string"))
    }

    fn quoted_identifier(&self, start: usize, body: usize) -> Result<usize, SplitError> {
        let mut i = body;
        while i < self.b.len() {
            match self.b[i] {
                b'"' if self.at(i + 1) == b'"' => i += 2,
                b'"' => return Ok(i + 1),
                _ => i += 1,
            }
        }
        Err(self.unterminated(start, "quoted identifier"))
    }

    /// `$tag$` or `$$` at `i`: the end of the delimiter.
    fn dollar_tag(&self, i: usize) -> Option<usize> {
        let mut j = i + 1;
        if ident_start(self.at(j)) && self.at(j) != b'$' {
            j = self.skip_while(j, |c| ident_start(c) || c.is_ascii_digit());
        }
        (self.at(j) == b'$').then_some(j + 1)
    }

    fn dollar_body(&self, start: usize, tag_end: usize) -> Result<usize, SplitError> {
        let tag = &self.s[start..tag_end];
        match self.s[tag_end..].find(tag) {
            Some(n) => Ok(tag_end + n + tag.len()),
            None => Err(self.unterminated(start, "dollar-quoted string")),
        }
    }

    /// `/* … */`, nested as PostgreSQL nests them: its end.
    fn block_comment(&self, start: usize) -> Result<usize, SplitError> {
        let (mut depth, mut i) = (1, start + 2);
        while i < self.b.len() {
            if self.b[i] == b'/' && self.at(i + 1) == b'*' {
                depth += 1;
                i += 2;
            } else if self.b[i] == b'*' && self.at(i + 1) == b'/' {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return Ok(i);
                }
            } else {
                i += 1;
            }
        }
        Err(self.unterminated(start, "/* comment"))
    }

    /// psql's rules for a word: BEGIN … END blocks inside a routine's body, and COPY FROM STDIN.
    fn word(&mut self, word: &str) {
        let lower = word.to_ascii_lowercase();
        if self.words == 0 {
            self.head = [0; 4];
            self.copy = lower == "copy";
        }
        if self.words < 4 && ["create", "function", "procedure", "or", "replace"].contains(&lower.as_str()) {
            self.head[self.words] = lower.as_bytes()[0];
        }
        self.words += 1;
        let h = self.head;
        let routine = h[0] == b'c'
            && (h[1] == b'f' || h[1] == b'p' || (h[1] == b'o' && h[2] == b'r' && (h[3] == b'f' || h[3] == b'p')));
        if routine && self.paren == 0 {
            match lower.as_str() {
                "begin" => self.begin += 1,
                "case" if self.begin >= 1 => self.begin += 1,
                "end" if self.begin > 0 => self.begin -= 1,
                _ => {}
            }
        }
        if self.copy && self.paren == 0 {
            self.from_stdin |= self.after_from && lower == "stdin";
            self.after_from = lower == "from";
        }
    }

    /// The statement gathered so far ends at `i` (after its `;`, or at the end of the script):
    /// where scanning goes on.
    fn finish(&mut self, i: usize) -> usize {
        let copy_in = self.copy && self.from_stdin;
        let mut next = i;
        let subs = std::mem::take(&mut self.subs);
        let sent = self.psql.as_ref().is_none_or(|p| p.active());
        if let Some(start) = self.start.take() {
            let mut text = String::with_capacity(self.end - start);
            let mut runtime = crate::model::Runtime::default();
            let mut at = start;
            for (from, to, value) in subs.into_iter().filter(|(from, _, _)| *from >= start) {
                text.push_str(&self.s[at..from]);
                match value {
                    super::psql::Interp::Text(value) => text.push_str(&value),
                    // Kept as written; filled on each side as the script runs.
                    super::psql::Interp::Hole { var, style, fallback } => {
                        let hole_start = text.len();
                        text.push_str(&self.s[from..to]);
                        runtime.holes.push(crate::model::Hole {
                            start: hole_start,
                            end: text.len(),
                            var,
                            style,
                            fallback,
                        });
                    }
                }
                at = to;
            }
            text.push_str(&self.s[at..self.end]);
            runtime.guards = self.psql.as_ref().map(super::psql::State::guards).unwrap_or_default();
            let runtime = (runtime != crate::model::Runtime::default()).then(|| Box::new(runtime));
            self.track_settings(&text);
            self.last_copy_in = copy_in;
            let copy_data = if copy_in { self.copy_block(i) } else { None };
            if let Some((_, after)) = &copy_data {
                next = *after;
            }
            if sent {
                let holes = runtime.as_ref().map(|r| r.holes.clone()).unwrap_or_default();
                self.last_sent = Some((text.clone(), holes));
                self.items.push(Item::Statement(Piece {
                    text,
                    offset: start,
                    copy_data: copy_data.map(|d| d.0),
                    runtime,
                }));
            }
        }
        self.paren = 0;
        self.begin = 0;
        self.words = 0;
        self.copy = false;
        self.after_from = false;
        self.from_stdin = false;
        next
    }

    /// psql's `\\g` (and kin) at `i` with nothing gathered (`finish` pushed nothing): the last
    /// statement sent is sent again. Whether one was.
    fn again(&mut self, i: usize, active: bool) -> bool {
        if !active {
            return false;
        }
        let Some((text, holes)) = self.last_sent.clone() else { return false };
        let guards = self.psql.as_ref().map(super::psql::State::guards).unwrap_or_default();
        let runtime = crate::model::Runtime { holes, guards, ..Default::default() };
        let runtime = (runtime != crate::model::Runtime::default()).then(|| Box::new(runtime));
        self.items.push(Item::Statement(Piece { text, offset: i, copy_data: None, runtime }));
        true
    }

    /// The data of a COPY … FROM STDIN whose statement ends at `i`: the lines after it up to a
    /// line `\.` (and where scanning goes on), unless another COPY … FROM STDIN comes first or
    /// no such line follows: then the COPY has no data of its own (it is expected to fail).
    fn copy_block(&mut self, i: usize) -> Option<(String, usize)> {
        let data_start = (self.line_end(i) + 1).min(self.b.len());
        // The lines that end a data block or start another COPY … FROM STDIN, found in one pass
        // over the script the first time (scanning ahead from every COPY would be quadratic).
        if self.stops.is_none() {
            let mut stops = Vec::new();
            let mut at = 0;
            while at < self.b.len() {
                let end = self.line_end(at);
                let line = self.s[at..end].trim_end_matches('\r');
                if line == "\\." {
                    stops.push((at, end, true));
                } else if starts_copy_from_stdin(line) {
                    stops.push((at, end, false));
                }
                at = end + 1;
            }
            self.stops = Some(stops);
        }
        let stops = self.stops.as_ref().expect("found");
        let next = stops.partition_point(|(start, _, _)| *start < data_start);
        match stops.get(next) {
            Some(&(start, end, true)) => Some((self.s[data_start..start].to_string(), (end + 1).min(self.b.len()))),
            _ => None,
        }
    }

    /// psql follows the server's standard_conforming_strings; a script's `SET` and `RESET` of
    /// it are what a static split can know.
    fn track_settings(&mut self, text: &str) {
        // Only SET and RESET can change it: other statements cost one comparison.
        let head = text.get(..5).unwrap_or(text).to_ascii_lowercase();
        if !(head.starts_with("set") || head.starts_with("reset")) {
            return;
        }
        let words: Vec<String> = text
            .split(|c: char| c.is_whitespace() || c == '=' || c == '\'' || c == '"')
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        match words.as_slice() {
            ["reset", "all"] | ["reset", "standard_conforming_strings"] => self.std_strings = true,
            ["set", rest @ ..] => {
                let rest = match rest {
                    ["session" | "local", tail @ ..] => tail,
                    tail => tail,
                };
                if let ["standard_conforming_strings", tail @ ..] = rest {
                    let value = tail.iter().find(|w| **w != "to").copied().unwrap_or("");
                    match value {
                        "off" | "false" | "0" | "no" => self.std_strings = false,
                        "on" | "true" | "1" | "yes" | "default" => self.std_strings = true,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }

    /// A backslash outside any quote starts a psql meta-command that runs to the end of its
    /// line. `\g` and its kin send the statement gathered so far; the others run before it.
    fn meta(&mut self, i: usize) -> Result<usize, SplitError> {
        let end = self.line_end(i);
        let meta = Meta { text: self.s[i..end].trim_end_matches('\r').to_string(), offset: i, runtime: None };
        let Some(psql) = self.psql.as_mut() else {
            let next = if meta.name().starts_with('g') { self.finish(i) } else { i };
            self.items.push(Item::Meta(meta));
            return Ok(end.max(next));
        };
        let active = psql.active();
        let action = psql.run(&meta.text).map_err(|message| SplitError { offset: i, message })?;
        Ok(match action {
            super::psql::Action::None => end,
            super::psql::Action::Send => {
                let before = self.items.len();
                let next = end.max(self.finish(i));
                if self.items.len() == before {
                    self.again(i, active);
                }
                next
            }
            super::psql::Action::Record => {
                if active {
                    self.items.push(Item::Meta(meta));
                }
                end
            }
            super::psql::Action::Quit => {
                self.finish(i);
                self.quit = true;
                end
            }
            super::psql::Action::Reconnect => {
                if active {
                    let guards = self.psql.as_ref().map(super::psql::State::guards).unwrap_or_default();
                    let runtime = crate::model::Runtime { reconnect: true, guards, ..Default::default() };
                    self.items.push(Item::Meta(Meta { runtime: Some(Box::new(runtime)), ..meta }));
                }
                end
            }
            super::psql::Action::Copy(text) => {
                let guards = self.psql.as_ref().map(super::psql::State::guards).unwrap_or_default();
                let runtime =
                    (!guards.is_empty()).then(|| Box::new(crate::model::Runtime { guards, ..Default::default() }));
                let from_stdin = is_copy_from_stdin(&text);
                let block = if from_stdin { self.copy_block(i) } else { None };
                let next = block.as_ref().map_or(end, |(_, after)| *after);
                if active {
                    let copy_data = block.map(|(data, _)| data);
                    self.items.push(Item::Statement(Piece { text, offset: i, copy_data, runtime }));
                }
                next
            }
            super::psql::Action::Gexec => {
                let before = self.items.len();
                let next = end.max(self.finish(i));
                let pushed = self.items.len() > before || self.again(i, active);
                match self.items.last_mut() {
                    Some(Item::Statement(piece)) if pushed => {
                        piece.runtime.get_or_insert_with(Default::default).gexec = true;
                    }
                    _ if !active => {}
                    _ => {
                        let message = format!("`\\gexec` with no statement before it {}", super::psql::NOT_SUPPORTED);
                        return Err(SplitError { offset: i, message });
                    }
                }
                next
            }
            super::psql::Action::Gset(prefix) => {
                let before = self.items.len();
                let next = end.max(self.finish(i));
                if self.items.len() == before && !self.again(i, active) {
                    if !active {
                        return Ok(next);
                    }
                    let message = format!("`\\gset` with no statement before it {}", super::psql::NOT_SUPPORTED);
                    return Err(SplitError { offset: i, message });
                }
                let Some(Item::Statement(piece)) = self.items.last_mut() else {
                    unreachable!("a statement was pushed")
                };
                let columns = gset_columns(&piece.text);
                piece.runtime.get_or_insert_with(Default::default).gset = Some(prefix.clone());
                if let Some(psql) = self.psql.as_mut() {
                    psql.defer(&prefix, columns);
                }
                next
            }
        })
    }
}

/// Can a psql script carry these COPY data lines after their statement? Not when a line is `\.`
/// (it would end the data there) or starts another COPY … FROM STDIN (the split would take the
/// COPY for one without data).
pub fn psql_can_carry(data: &str) -> bool {
    data.lines().all(|l| l.trim_end_matches('\r') != "\\." && !starts_copy_from_stdin(l))
}

/// Does this line start a `COPY … FROM STDIN` statement?
fn starts_copy_from_stdin(line: &str) -> bool {
    let trimmed = line.trim_start();
    let lower = trimmed.get(..4).map(str::to_ascii_lowercase);
    lower.as_deref() == Some("copy")
        && !trimmed.as_bytes().get(4).copied().is_some_and(ident_cont)
        && line.to_ascii_lowercase().contains("stdin")
}

/// Does the statement's top level carry an ORDER BY (so its row order is part of the result)?
pub fn has_top_level_order_by(sql: &str) -> bool {
    use pg_query::NodeEnum;
    let Ok(parsed) = pg_query::parse(sql, 0) else {
        return false;
    };
    let node = parsed.protobuf.stmts.first().and_then(|s| s.stmt.as_ref()).and_then(|n| n.node.as_ref());
    matches!(node, Some(NodeEnum::SelectStmt(s)) if !s.sort_clause.is_empty())
}

/// The names of the columns a statement returns, as the server names them (its FigureColname:
/// an alias, a column's name, a function's, `?column?`…), for the variables a `\gset` after it
/// sets; `None` when they cannot be told without the server (`*`, a subquery, not a query).
pub fn gset_columns(sql: &str) -> Option<Vec<String>> {
    use pg_query::NodeEnum;
    let parsed = pg_query::parse(sql, 0).ok()?;
    let node = parsed.protobuf.stmts.first()?.stmt.as_ref()?.node.as_ref()?;
    let targets = match node {
        NodeEnum::SelectStmt(s) => {
            let mut s = s.as_ref();
            while let Some(left) = s.larg.as_deref() {
                s = left;
            }
            &s.target_list
        }
        _ => return None,
    };
    targets
        .iter()
        .map(|t| match t.node.as_ref()? {
            NodeEnum::ResTarget(r) if !r.name.is_empty() => Some(r.name.clone()),
            NodeEnum::ResTarget(r) => figure_colname(r.val.as_deref()?.node.as_ref()?),
            _ => None,
        })
        .collect()
}

/// PostgreSQL's FigureColname for the common expressions; `None` where only the server knows.
fn figure_colname(node: &pg_query::NodeEnum) -> Option<String> {
    use pg_query::NodeEnum;
    let last_name = |names: &[pg_query::protobuf::Node]| match names.last()?.node.as_ref()? {
        NodeEnum::String(s) => Some(s.sval.clone()),
        _ => None,
    };
    Some(match node {
        NodeEnum::ColumnRef(c) => last_name(&c.fields)?,
        NodeEnum::FuncCall(f) => last_name(&f.funcname)?,
        NodeEnum::TypeCast(t) => match t.arg.as_deref().and_then(|a| a.node.as_ref()).map(figure_colname) {
            Some(Some(name)) if name != "?column?" => name,
            // The type's name, as the grammar spells built-in ones (`int` is `int4`).
            _ => last_name(&t.type_name.as_ref()?.names)?,
        },
        NodeEnum::CollateClause(c) => figure_colname(c.arg.as_deref()?.node.as_ref()?)?,
        NodeEnum::CaseExpr(_) => "case".into(),
        NodeEnum::CoalesceExpr(_) => "coalesce".into(),
        NodeEnum::AArrayExpr(_) => "array".into(),
        NodeEnum::RowExpr(_) => "row".into(),
        NodeEnum::AConst(_) | NodeEnum::AExpr(_) | NodeEnum::BoolExpr(_) | NodeEnum::ParamRef(_) => "?column?".into(),
        _ => return None,
    })
}

/// Line and column of many offsets of one text, each in logarithmic time (and in linear time
/// in all for increasing offsets on one long line): `line_col` for every statement of a script
/// would be quadratic.
pub struct Locator<'a> {
    text: &'a str,
    /// Byte offset where each line starts.
    starts: Vec<usize>,
    /// The last offset asked for, and its column: the next one on the same line counts on.
    last: Option<(usize, usize)>,
}

impl<'a> Locator<'a> {
    pub fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        Locator { text, starts, last: None }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn at(&mut self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        let (from, column) = match self.last {
            Some((at, column)) if at >= start && at <= offset => (at, column),
            _ => (start, 1),
        };
        let column = column + self.text[from..offset].chars().count();
        self.last = Some((offset, column));
        (line, column)
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(script: &str) -> Vec<String> {
        split(script).unwrap().into_iter().map(|p| p.text).collect()
    }

    #[test]
    fn splits_simple_statements_and_skips_empty_ones() {
        assert_eq!(texts("SELECT 1; SELECT 2;;\n\n SELECT 3"), vec!["SELECT 1", "SELECT 2", "SELECT 3"]);
    }

    #[test]
    fn keeps_semicolons_inside_strings_and_quoted_identifiers() {
        assert_eq!(
            texts("SELECT 'a;b', \"x;y\" FROM t; SELECT E'it\\'s;'"),
            vec!["SELECT 'a;b', \"x;y\" FROM t", "SELECT E'it\\'s;'"]
        );
    }

    #[test]
    fn keeps_dollar_quoted_bodies_whole() {
        let script =
            "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$ BEGIN RETURN 1; END $body$;\nSELECT f();";
        let got = texts(script);
        assert_eq!(got.len(), 2);
        assert!(got[0].ends_with("END $body$"));
        assert_eq!(got[1], "SELECT f()");
    }

    #[test]
    fn nested_comments_and_line_comments_do_not_split() {
        let got = texts("/* a /* nested; */ still; */ SELECT 1 -- trailing; comment\n; SELECT 2");
        assert_eq!(got, vec!["SELECT 1", "SELECT 2"]);
    }

    #[test]
    fn begin_atomic_bodies_stay_one_statement() {
        let script = "CREATE FUNCTION one() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 1 END; END; SELECT one()";
        let got = texts(script);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].ends_with("END; END"));
    }

    #[test]
    fn transaction_begin_still_splits() {
        assert_eq!(texts("BEGIN; SELECT 1; END;"), vec!["BEGIN", "SELECT 1", "END"]);
    }

    #[test]
    fn syntax_errors_are_kept_as_statements() {
        // The server must see them: a syntax error is an outcome to compare.
        assert_eq!(texts("SELEC 1; SELECT 0x1F; asdf"), vec!["SELEC 1", "SELECT 0x1F", "asdf"]);
    }

    #[test]
    fn offsets_point_at_statement_starts() {
        let script = "-- header\nSELECT 1;\n  SELECT 2;";
        let pieces = split(script).unwrap();
        assert_eq!(line_col(script, pieces[0].offset), (2, 1));
        assert_eq!(line_col(script, pieces[1].offset), (3, 3));
    }

    #[test]
    fn unterminated_string_is_an_error_with_a_position() {
        let script = "SELECT 1;\nSELECT 'oops";
        let err = split(script).unwrap_err();
        assert!(err.message.contains("unterminated"), "{}", err.message);
        assert_eq!(line_col(script, err.offset).0, 2);
    }

    #[test]
    fn copy_from_stdin_takes_its_data_up_to_a_backslash_dot_line() {
        let script = "CREATE TABLE t (a int, b text);\nCOPY t (a, b) FROM stdin;\n1\tit's; not SQL\n2\t\\N\n\\.\nSELECT * FROM t;\nCOPY t TO STDOUT;\n";
        let pieces = split(script).unwrap();
        let texts: Vec<&str> = pieces.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(
            texts,
            vec!["CREATE TABLE t (a int, b text)", "COPY t (a, b) FROM stdin", "SELECT * FROM t", "COPY t TO STDOUT"]
        );
        assert_eq!(pieces[1].copy_data.as_deref(), Some("1\tit's; not SQL\n2\t\\N\n"));
        assert_eq!(pieces[0].copy_data, None);
        assert_eq!(line_col(script, pieces[2].offset), (6, 1), "offsets count the data lines");
        let csv = split("COPY t FROM STDIN WITH (FORMAT csv);\n\\.\n").unwrap();
        assert_eq!(csv[0].copy_data.as_deref(), Some(""), "no rows");
        // No `\.` line after it: a COPY without data, and the lines after it are statements.
        let pieces = split("SELECT 1;\nCOPY t FROM stdin;\nSELECT 2;\n").unwrap();
        assert_eq!(pieces.len(), 3);
        assert_eq!(pieces[1].copy_data, None);
        assert!(is_copy_from_stdin("copy t (a) from STDIN with (format csv)"));
        assert!(!is_copy_from_stdin("COPY t TO STDOUT") && !is_copy_from_stdin("COPY (SELECT 1 FROM stdin) TO STDOUT"));
    }

    #[test]
    fn a_copy_that_must_fail_has_no_data_when_another_copy_comes_before_the_terminator() {
        // From PostgreSQL's copy.sql and copy2.sql: failing COPYs are followed by SQL.
        let script = "copy h from stdin with (header wrong_choice);\n-- works\ncopy h from stdin with (header match);\na\tb\n1\t2\n\\.\nCOPY x (a, b, c, d, e, d, c) from stdin;\n\n-- missing data: should fail\nCOPY x from stdin;\n\n\\.\n";
        let pieces = split(script).unwrap();
        let data: Vec<Option<&str>> = pieces.iter().map(|p| p.copy_data.as_deref()).collect();
        assert_eq!(data, vec![None, Some("a\tb\n1\t2\n"), None, Some("\n")]);
    }

    #[test]
    fn what_the_server_rejects_is_sent_as_written() {
        // psql's lexer refuses no token; PostgreSQL's scanner would reject these.
        assert_eq!(
            texts("SELECT U&'wrong: \\061';\nSELECT 123abc;\nSELECT \"\";\nSELECT 1e'x';SELECT $1;"),
            vec!["SELECT U&'wrong: \\061'", "SELECT 123abc", "SELECT \"\"", "SELECT 1e'x'", "SELECT $1"]
        );
        // `a$b$` is an identifier, not a dollar quote; `1$a$…$a$` is a number, then one.
        assert_eq!(texts("SELECT a$b$; SELECT 1$a$;$a$;"), vec!["SELECT a$b$", "SELECT 1$a$;$a$"]);
    }

    #[test]
    fn backslashes_follow_standard_conforming_strings() {
        let script = "SELECT 'a\\'; SET standard_conforming_strings = off; SELECT 'b\\';'; SELECT 1; RESET standard_conforming_strings; SELECT 'c\\';";
        assert_eq!(
            texts(script),
            vec![
                "SELECT 'a\\'",
                "SET standard_conforming_strings = off",
                "SELECT 'b\\';'",
                "SELECT 1",
                "RESET standard_conforming_strings",
                "SELECT 'c\\'"
            ]
        );
    }

    #[test]
    fn meta_commands_are_items_of_their_own() {
        let got = items("\\set x 1\nSELECT 1\n\\gset\nSELECT 2;\n\\pset null '(null)'\n").unwrap();
        let shown: Vec<String> = got
            .iter()
            .map(|i| match i {
                Item::Statement(p) => p.text.clone(),
                Item::Meta(m) => format!("meta {}", m.name()),
            })
            .collect();
        assert_eq!(shown, vec!["meta set", "SELECT 1", "meta gset", "SELECT 2", "meta pset"]);
        let err = split("SELECT 1;\n\\d t\n").unwrap_err();
        assert_eq!((line_col("SELECT 1;\n\\d t\n", err.offset), err.message.contains("\\d")), ((2, 1), true));
    }

    #[test]
    fn a_script_runs_as_psql_runs_it() {
        let env = |name: &str| (name == "PG_LIBDIR").then(|| "/lib".to_string());
        let text = "\\getenv libdir PG_LIBDIR\n\\set regresslib :libdir '/regress.so'\n\
                    CREATE FUNCTION f() RETURNS int AS :'regresslib' LANGUAGE C;\n\
                    SELECT ':libdir', :\"libdir\", 1::int, :{?libdir}\n\\g\n\
                    \\if :{?nope}\nSELECT 'not sent';\n\\else\n\\pset null '(null)'\nSELECT 'sent';\n\\endif\n\
                    \\q\nSELECT 'after quit';\n";
        let got: Vec<String> = script(text, &env)
            .unwrap()
            .into_iter()
            .map(|i| match i {
                Item::Statement(p) => p.text,
                Item::Meta(m) => format!("meta {}", m.name()),
            })
            .collect();
        assert_eq!(
            got,
            vec![
                "CREATE FUNCTION f() RETURNS int AS '/lib/regress.so' LANGUAGE C",
                "SELECT ':libdir', \"/lib\", 1::int, TRUE",
                "meta pset",
                "SELECT 'sent'",
            ]
        );
        let err = script("SELECT 1 \\gdesc\n", &env).unwrap_err();
        assert_eq!((err.offset, err.message.contains("`\\gdesc` is not supported")), (9, true));
        assert!(script("\\if true\nSELECT 1;\n", &env).unwrap_err().message.contains("without `\\endif`"));
    }

    #[test]
    fn an_error_at_the_end_of_a_long_script_is_found_in_one_pass() {
        // 20 000 statements mentioning stdin, one unterminated string at the end.
        let mut script: String = (0..20_000).map(|i| format!("SELECT 'stdin', {i};\n")).collect();
        script.push_str("SELECT 'open\n");
        let err = split(&script).unwrap_err();
        assert!(err.message.contains("unterminated"));
        assert_eq!(line_col(&script, err.offset).0, 20_001);
    }

    #[test]
    fn order_by_is_read_from_the_parse_tree() {
        assert!(has_top_level_order_by("SELECT a FROM t ORDER BY a"));
        assert!(has_top_level_order_by("SELECT 1 UNION SELECT 2 ORDER BY 1"));
        assert!(!has_top_level_order_by("SELECT a FROM (SELECT a FROM t ORDER BY a) s"));
        assert!(!has_top_level_order_by("SELECT 'ORDER BY'"));
        assert!(!has_top_level_order_by("INSERT INTO t SELECT 1 RETURNING *"));
        assert!(!has_top_level_order_by("SELEC 1 ORDER BY 1"));
    }

    fn runtime_of(script_text: &str) -> Vec<(String, Option<Box<crate::model::Runtime>>)> {
        script(script_text, &|_| None)
            .unwrap()
            .into_iter()
            .filter_map(|item| match item {
                Item::Statement(p) => Some((p.text, p.runtime)),
                Item::Meta(_) => None,
            })
            .collect()
    }

    #[test]
    fn gset_values_fill_holes_as_the_script_runs() {
        use crate::workload::psql::{gset, holds, instantiate, Vars};
        let items = runtime_of(
            "\\set known 7\nSELECT 1 AS one, 'it''s' AS two \\gset p_\nSELECT :p_one, :'p_two', :{?p_one}, :known, :p_none;\n",
        );
        assert_eq!(items[0].0, "SELECT 1 AS one, 'it''s' AS two");
        assert_eq!(items[0].1.as_ref().unwrap().gset.as_deref(), Some("p_"));
        let (sql, runtime) = (&items[1].0, items[1].1.as_ref().unwrap());
        assert_eq!(sql, "SELECT :p_one, :'p_two', :{?p_one}, 7, :p_none", "known ones are filled when read");
        let mut vars = Vars::new();
        assert_eq!(instantiate(sql, &runtime.holes, &vars), "SELECT :p_one, :'p_two', FALSE, 7, :p_none");
        gset("p_", &["one".into(), "two".into()], &[vec![Some("1".into()), Some("it's".into())]], &mut vars);
        assert_eq!(instantiate(sql, &runtime.holes, &vars), "SELECT 1, 'it''s', TRUE, 7, :p_none");
        assert!(holds(&runtime.guards, &vars));
        // Not one row: psql sets nothing.
        let mut other = Vars::new();
        gset("p_", &["one".into()], &[vec![Some("1".into())], vec![Some("2".into())]], &mut other);
        assert!(other.is_empty());
    }

    #[test]
    fn an_if_on_a_gset_value_with_a_quit_guards_the_rest() {
        use crate::workload::psql::{gset, holds, Vars};
        let items = runtime_of(
            "SELECT getdatabaseencoding() <> 'UTF8' AS skip_test \\gset\n\\if :skip_test\n\\quit\n\\endif\nSELECT 1;\n\\if :skip_test\nSELECT 'skipped';\n\\else\nSELECT 'run';\n\\endif\n",
        );
        let texts: Vec<&str> = items.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(texts[1..], ["SELECT 1", "SELECT 'skipped'", "SELECT 'run'"]);
        let guards = |k: usize| items[k].1.as_ref().map(|r| r.guards.clone()).unwrap_or_default();
        for (skip, sent) in [("t", [false, false, false]), ("f", [true, false, true])] {
            let mut vars = Vars::new();
            gset("", &["skip_test".into()], &[vec![Some(skip.into())]], &mut vars);
            let got: Vec<bool> = (1..4).map(|k| holds(&guards(k), &vars)).collect();
            assert_eq!(got, sent, "skip_test = {skip}");
        }
        let err = script("SELECT 1 AS x \\gset\n\\set y :x\n", &|_| None).unwrap_err();
        assert!(err.message.contains(crate::workload::psql::NOT_SUPPORTED), "{}", err.message);
        let err = script("SELECT 1 AS x \\gset\n\\if :x\n\\elif true\n\\endif\n", &|_| None).unwrap_err();
        assert!(err.message.contains("elif"), "{}", err.message);
    }

    #[test]
    fn gset_columns_as_the_server_names_them() {
        assert_eq!(
            gset_columns("SELECT a, t.b, count(*), x AS y, 1, 'a'::text, c::int, CASE WHEN true THEN 1 END"),
            Some(vec![
                "a".into(),
                "b".into(),
                "count".into(),
                "y".into(),
                "?column?".into(),
                "text".into(),
                "c".into(),
                "case".into()
            ])
        );
        assert_eq!(gset_columns("SELECT * FROM t"), None);
        assert_eq!(gset_columns("SELECT (SELECT 1)"), None);
        assert_eq!(gset_columns("INSERT INTO t VALUES (1) RETURNING id"), None);
    }

    #[test]
    fn reconnect_and_copy_through_psql() {
        let items = script(
            "\\c -\n\\copy t (a, b) from stdin\n1\tx\n\\.\n\\copy (SELECT 1) TO pstdout\nSELECT 2;\n\\connect\n",
            &|_| None,
        )
        .unwrap();
        let shown: Vec<String> = items
            .iter()
            .map(|item| match item {
                Item::Statement(p) => format!("{} | {:?}", p.text, p.copy_data),
                Item::Meta(m) => format!("{} reconnect={}", m.text, m.runtime.as_ref().is_some_and(|r| r.reconnect)),
            })
            .collect();
        assert_eq!(
            shown,
            [
                "\\c - reconnect=true",
                "COPY t (a, b) from stdin | Some(\"1\\tx\\n\")",
                "COPY (SELECT 1) TO stdout | None",
                "SELECT 2 | None",
                "\\connect reconnect=true",
            ]
        );
        for refused in
            ["\\c otherdb\n", "\\c - someone\n", "\\copy t from '/tmp/data'\n", "\\copy t to program 'cat'\n"]
        {
            let err = script(refused, &|_| None).unwrap_err();
            assert!(err.message.contains(crate::workload::psql::NOT_SUPPORTED), "{refused}: {}", err.message);
        }
    }

    #[test]
    fn an_if_on_whether_a_gset_variable_is_set() {
        use crate::workload::psql::{gset, holds, Vars};
        let items = runtime_of("SELECT 1 AS d \\gset\n\\if :{?d}\nSELECT 'set';\n\\else\nSELECT 'unset';\n\\endif\n");
        let guards = |k: usize| items[k].1.as_ref().unwrap().guards.clone();
        let mut vars = Vars::new();
        gset("", &["d".into()], &[vec![None]], &mut vars);
        assert_eq!((holds(&guards(1), &vars), holds(&guards(2), &vars)), (false, true), "a NULL unsets it");
        gset("", &["d".into()], &[vec![Some("x".into())]], &mut vars);
        assert_eq!((holds(&guards(1), &vars), holds(&guards(2), &vars)), (true, false));
    }

    #[test]
    fn g_gset_and_gexec_with_nothing_gathered_send_the_last_statement_again() {
        let items = runtime_of("SELECT 'SELECT 1';\n\\gexec\nSELECT 2 AS two;\n\\gset\n\\g\n");
        let shown: Vec<(String, bool, Option<String>)> = items
            .iter()
            .map(|(t, r)| (t.clone(), r.as_ref().is_some_and(|r| r.gexec), r.as_ref().and_then(|r| r.gset.clone())))
            .collect();
        assert_eq!(
            shown,
            [
                ("SELECT 'SELECT 1'".to_string(), false, None),
                ("SELECT 'SELECT 1'".to_string(), true, None),
                ("SELECT 2 AS two".to_string(), false, None),
                ("SELECT 2 AS two".to_string(), false, Some(String::new())),
                ("SELECT 2 AS two".to_string(), false, None),
            ]
        );
    }

    #[test]
    fn the_locator_agrees_with_line_col_in_any_order() {
        let text = "SELECT 'é';\n\nSELECT 2; SELECT 'ü', 3;\nlast";
        let offsets: Vec<usize> = (0..=text.len()).filter(|&o| text.is_char_boundary(o)).collect();
        let mut locator = Locator::new(text);
        for &o in offsets.iter().chain(offsets.iter().rev()).chain([30, 2, 31, 12].iter()) {
            assert_eq!(locator.at(o), line_col(text, o), "offset {o}");
        }
    }

    #[test]
    fn many_copies_without_data_are_split_in_one_pass() {
        // Found by fuzzing: each COPY … FROM STDIN looked ahead to the end of the script for its
        // `\.`, so thousands of them took quadratic time.
        let script: String = (0..5_000).map(|i| format!("COPY t FROM STDIN; -- stdin {i}\nSELECT {i};\n")).collect();
        let pieces = split(&script).unwrap();
        assert_eq!(pieces.len(), 10_000);
        assert!(pieces.iter().all(|p| p.copy_data.is_none()));
    }
}
