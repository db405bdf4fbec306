//! Statement splitting with PostgreSQL's own scanner (via `pg_query`), and facts read from the
//! parse tree. `pg_query::split_with_scanner` silently drops statements that start with an
//! invalid token, so a deliberate syntax error would vanish; this splitter keeps every statement
//! and follows psql's rules instead: split at `;` outside parentheses and outside the body of a
//! `CREATE FUNCTION … BEGIN ATOMIC … END`.

use pg_query::protobuf::Token;

/// One statement found in a script: its text (no trailing `;`) and its byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub text: String,
    pub offset: usize,
    /// For `COPY … FROM STDIN;` in psql's style: the data lines that follow it, up to `\.`.
    pub copy_data: Option<String>,
}

/// A scanner error with the byte offset it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitError {
    pub offset: usize,
    pub message: String,
}

fn is_comment(token: i32) -> bool {
    token == Token::SqlComment as i32 || token == Token::CComment as i32
}

/// Split a script into statements. Comments before a statement are dropped; comments inside
/// it are kept. Empty statements (`;;`) are skipped. As in psql, `COPY … FROM STDIN;` is followed
/// by its data, one row per line, up to a line `\.`.
pub fn split(script: &str) -> Result<Vec<Piece>, SplitError> {
    if script.contains('\0') {
        let offset = script.find('\0').unwrap_or(0);
        return Err(SplitError { offset, message: "NUL byte in SQL text".into() });
    }
    let mut pieces = Vec::new();
    let mut base = 0;
    loop {
        let rest = &script[base..];
        let (mut found, copy_end) = split_until_copy(rest).map_err(|e| SplitError { offset: e.offset + base, ..e })?;
        for p in &mut found {
            p.offset += base;
        }
        pieces.extend(found);
        let Some(end) = copy_end else { return Ok(pieces) };
        // The data starts on the line after the COPY statement and ends at a line `\.`.
        let start = base + end;
        let data_start = script[start..].find('\n').map_or(script.len(), |i| start + i + 1);
        let mut at = data_start;
        let terminator = loop {
            if at >= script.len() {
                let copy = pieces.last().expect("the COPY statement");
                return Err(SplitError {
                    offset: copy.offset,
                    message: "COPY FROM STDIN data has no terminating line `\\.`".into(),
                });
            }
            let line_end = script[at..].find('\n').map_or(script.len(), |i| at + i);
            if script[at..line_end].trim_end_matches('\r') == "\\." {
                break (at, (line_end + 1).min(script.len()));
            }
            at = line_end + 1;
        };
        pieces.last_mut().expect("the COPY statement").copy_data = Some(script[data_start..terminator.0].to_string());
        base = terminator.1;
    }
}

/// Split until a statement that is `COPY … FROM STDIN`: the statements, and for such a COPY,
/// the byte offset just after its `;` (its data follows).
fn split_until_copy(script: &str) -> Result<(Vec<Piece>, Option<usize>), SplitError> {
    let scanned = match pg_query::scan(script) {
        Ok(scanned) => scanned,
        Err(e) => {
            let error = scan_error(script, &e.to_string());
            // COPY data is not SQL (`it's` would be an unterminated string): look for a prefix,
            // ending at a line break before the error, that ends with a COPY … FROM STDIN.
            if !script.to_ascii_lowercase().contains("stdin") {
                return Err(error);
            }
            let mut ends: Vec<usize> = script
                .match_indices('\n')
                .map(|(i, _)| i)
                .filter(|&i| error.offset == 0 || i <= error.offset)
                .collect();
            ends.reverse();
            for end in ends.into_iter().take(5000) {
                if let Ok(prefix) = pg_query::scan(&script[..end]) {
                    if let Ok((pieces, Some(copy_end))) = split_tokens(&script[..end], &prefix.tokens) {
                        return Ok((pieces, Some(copy_end)));
                    }
                }
            }
            return Err(error);
        }
    };
    split_tokens(script, &scanned.tokens)
}

/// Statements from scanned tokens, stopping after a COPY … FROM STDIN (see `split_until_copy`).
fn split_tokens(
    script: &str,
    tokens: &[pg_query::protobuf::ScanToken],
) -> Result<(Vec<Piece>, Option<usize>), SplitError> {
    let mut pieces = Vec::new();
    // Tokens (start, end, token) of the statement being gathered, comments excluded.
    let mut current: Vec<(usize, usize, i32)> = Vec::new();
    let mut paren_depth = 0i32;
    let mut begin_depth = 0i32;
    for tok in tokens {
        let (start, end, token) = (tok.start as usize, tok.end as usize, tok.token);
        if is_comment(token) {
            continue;
        }
        if token == Token::Ascii59 as i32 && paren_depth <= 0 && begin_depth <= 0 {
            let copy_in = copies_from_stdin(script, &current);
            flush(script, &mut current, &mut pieces);
            if copy_in {
                return Ok((pieces, Some(end)));
            }
            paren_depth = 0;
            begin_depth = 0;
            continue;
        }
        if token == Token::Ascii40 as i32 || token == Token::Ascii91 as i32 {
            paren_depth += 1;
        } else if token == Token::Ascii41 as i32 || token == Token::Ascii93 as i32 {
            paren_depth -= 1;
        } else if defines_routine(&current) {
            // psql: inside CREATE FUNCTION/PROCEDURE, BEGIN and CASE open a block that END closes.
            if token == Token::BeginP as i32 || token == Token::Case as i32 {
                begin_depth += 1;
            } else if token == Token::EndP as i32 && begin_depth > 0 {
                begin_depth -= 1;
            }
        }
        current.push((start, end, token));
    }
    flush(script, &mut current, &mut pieces);
    Ok((pieces, None))
}

/// `COPY … FROM STDIN` (not `TO STDOUT`, not from a file or a program)?
fn copies_from_stdin(script: &str, tokens: &[(usize, usize, i32)]) -> bool {
    if tokens.first().is_none_or(|t| t.2 != Token::Copy as i32) {
        return false;
    }
    tokens.windows(2).any(|w| w[0].2 == Token::From as i32 && script[w[1].0..w[1].1].eq_ignore_ascii_case("stdin"))
}

fn flush(script: &str, current: &mut Vec<(usize, usize, i32)>, pieces: &mut Vec<Piece>) {
    if let (Some(first), Some(last)) = (current.first(), current.last()) {
        pieces.push(Piece { text: script[first.0..last.1].to_string(), offset: first.0, copy_data: None });
    }
    current.clear();
}

/// `CREATE [OR REPLACE] FUNCTION|PROCEDURE` so far?
fn defines_routine(tokens: &[(usize, usize, i32)]) -> bool {
    let kinds: Vec<i32> = tokens.iter().take(4).map(|t| t.2).collect();
    let routine = |t: &i32| *t == Token::Function as i32 || *t == Token::Procedure as i32;
    match kinds.as_slice() {
        [c, r, ..] if *c == Token::Create as i32 && routine(r) => true,
        [c, o, rep, r, ..] => {
            *c == Token::Create as i32 && *o == Token::Or as i32 && *rep == Token::Replace as i32 && routine(r)
        }
        _ => false,
    }
}

/// The scanner reports `unterminated quoted string at or near "'abc"`: point at that text.
fn scan_error(script: &str, message: &str) -> SplitError {
    let near = message
        .split_once("at or near \"")
        .and_then(|(_, rest)| rest.rsplit_once('"').map(|(inner, _)| inner.to_string()));
    let offset = near.as_ref().and_then(|n| if n.is_empty() { None } else { script.rfind(n.as_str()) }).unwrap_or(0);
    let message = message.trim_start_matches("Error scanning: ");
    // Quote only the first line of the offending text.
    let message = match (message.split_once("at or near \""), &near) {
        (Some((head, _)), Some(n)) => {
            format!("{head}at or near \"{}\"", n.lines().next().unwrap_or(""))
        }
        _ => message.to_string(),
    };
    SplitError { offset, message }
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
        let err = split("SELECT 1;\nCOPY t FROM stdin;\n1\n").unwrap_err();
        assert!(err.message.contains("no terminating line"), "{}", err.message);
        assert_eq!(line_col("SELECT 1;\nCOPY t FROM stdin;\n1\n", err.offset), (2, 1));
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
}
