//! Expressions in one canonical spelling, so that the same CHECK, default or index predicate
//! read from PostgreSQL's catalog (`CHECK ((age >= 0))`, `'x'::character varying`,
//! `status = ANY (ARRAY['a'::text, 'b'::text])`) and from SQLite's stored DDL (`age >= 0`,
//! `'x'`, `status IN ('a', 'b')`) compare equal: PostgreSQL's own parser and deparser
//! (`pg_query`) spell both, after casts are dropped and `= ANY (ARRAY[…])` is written as `IN`.
//! What does not parse is compared as written, white space folded.

use super::types::Logical;

/// A CHECK expression or index predicate, canonical.
pub fn normalise(expr: &str) -> String {
    let mut text = strip_keyword(expr.trim(), "CHECK").trim().to_string();
    text = strip_outer_parens(&text).to_string();
    let Some(first) = deparse_condition(&text) else { return fold(&text) };
    let rewritten = between_to_range(&any_array_to_in(&strip_casts(&first)));
    deparse_condition(&rewritten).map(|s| strip_casts(&s)).unwrap_or(rewritten)
}

/// A column default, canonical for its logical type: `None` for no default (or NULL); a
/// sequence (`nextval(…)`, an identity, SQLite's INTEGER PRIMARY KEY) as `(sequence)`; the
/// current time, however spelt, as `now`; booleans as `true`/`false`; numbers unquoted.
pub fn normalise_default(expr: Option<&str>, logical: &Logical) -> Option<String> {
    let raw = expr?.trim();
    let text = strip_outer_parens(raw);
    let lower = fold(text).to_ascii_lowercase();
    if lower.is_empty() || lower == "null" || lower.starts_with("null::") {
        return None;
    }
    if lower.starts_with("nextval(") {
        return Some("(sequence)".into());
    }
    let now = ["now()", "current_timestamp", "localtimestamp", "datetime('now')", "current_date", "current_time"];
    if now.iter().any(|n| lower == *n || lower.starts_with(&format!("{n}::"))) || lower.starts_with("datetime('now'") {
        return Some("now".into());
    }
    let value = strip_casts(text);
    let unquoted = value.trim().trim_matches('\'');
    if *logical == Logical::Boolean {
        match unquoted.to_ascii_lowercase().as_str() {
            "true" | "t" | "1" | "yes" | "on" => return Some("true".into()),
            "false" | "f" | "0" | "no" | "off" => return Some("false".into()),
            _ => {}
        }
    }
    if matches!(logical, Logical::Integer | Logical::Real | Logical::Numeric) && unquoted.parse::<f64>().is_ok() {
        return Some(canonical_number(unquoted));
    }
    Some(deparse_expression(&value).unwrap_or_else(|| fold(&value)))
}

/// `0.50` → `0.5`, `007` → `7`, `-0` → `0`: the same number, one spelling.
fn canonical_number(text: &str) -> String {
    match text.parse::<i64>() {
        Ok(i) => i.to_string(),
        Err(_) => text.parse::<f64>().map(|f| f.to_string()).unwrap_or_else(|_| text.to_string()),
    }
}

fn strip_keyword<'a>(text: &'a str, keyword: &str) -> &'a str {
    match text.get(..keyword.len()) {
        Some(head) if head.eq_ignore_ascii_case(keyword) => &text[keyword.len()..],
        _ => text,
    }
}

/// Remove parentheses that enclose the whole text, as many times as they do.
fn strip_outer_parens(mut text: &str) -> &str {
    loop {
        let t = text.trim();
        if !(t.starts_with('(') && t.ends_with(')') && closes_at_end(t)) {
            return t;
        }
        text = &t[1..t.len() - 1];
    }
}

/// Does the `(` at the start close at the very end (and not before)?
fn closes_at_end(t: &str) -> bool {
    let mut depth = 0i32;
    let mut quote = false;
    for (i, c) in t.char_indices() {
        match c {
            '\'' => quote = !quote,
            '(' if !quote => depth += 1,
            ')' if !quote => {
                depth -= 1;
                if depth == 0 && i + 1 < t.len() {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

/// White space folded to single spaces.
fn fold(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// PostgreSQL's spelling of a condition (`SELECT WHERE cond`, deparsed).
fn deparse_condition(cond: &str) -> Option<String> {
    let sql = format!("SELECT 1 WHERE {cond}");
    let deparsed = pg_query::parse(&sql, 0).ok()?.deparse(Default::default()).ok()?;
    deparsed.split_once(" WHERE ").map(|(_, c)| c.to_string())
}

/// PostgreSQL's spelling of an expression (`SELECT expr`, deparsed).
fn deparse_expression(expr: &str) -> Option<String> {
    let deparsed = pg_query::parse(&format!("SELECT {expr}"), 0).ok()?.deparse(Default::default()).ok()?;
    deparsed.strip_prefix("SELECT ").map(str::to_string)
}

/// Drop `::type` casts (`::text`, `::character varying`, `::numeric(10,2)`, `::text[]`).
pub fn strip_casts(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut quoted = false;
    while let Some(c) = rest.chars().next() {
        if c == '\'' {
            quoted = !quoted;
        }
        if !quoted && rest.starts_with("::") {
            rest = skip_type(&rest[2..]);
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The text after a type name: words (`character varying`, `timestamp with time zone`),
/// a quoted name, a modifier list and array brackets.
fn skip_type(text: &str) -> &str {
    let mut rest = text;
    if let Some(quoted) = rest.strip_prefix('"') {
        rest = quoted.split_once('"').map_or("", |(_, r)| r);
    } else {
        let words = [
            "character varying",
            "double precision",
            "timestamp with time zone",
            "timestamp without time zone",
            "time with time zone",
            "time without time zone",
            "bit varying",
        ];
        match words.iter().find(|w| rest.len() >= w.len() && rest[..w.len()].eq_ignore_ascii_case(w)) {
            Some(w) => rest = &rest[w.len()..],
            None => {
                let end =
                    rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.')).unwrap_or(rest.len());
                rest = &rest[end..];
            }
        }
    }
    if rest.starts_with('(') {
        if let Some(close) = rest.find(')') {
            rest = &rest[close + 1..];
        }
    }
    while let Some(r) = rest.strip_prefix("[]") {
        rest = r;
    }
    rest
}

/// `x BETWEEN a AND b` → `x >= a AND x <= b` (PostgreSQL stores it that way) where `x`, `a`
/// and `b` are single tokens (a name, a number, a quoted literal without spaces).
fn between_to_range(text: &str) -> String {
    let words: Vec<&str> = text.split(' ').collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    let simple = |w: &str| !w.is_empty() && !w.contains(['(', ')']);
    while i < words.len() {
        let (x, between, a, and, b) =
            (words[i], words.get(i + 1), words.get(i + 2), words.get(i + 3), words.get(i + 4));
        let negated = out.last().is_some_and(|w| w.eq_ignore_ascii_case("NOT"));
        if let (Some(&"BETWEEN"), Some(a), Some(&"AND"), Some(b)) = (between, a, and, b) {
            if simple(x) && simple(a) && simple(b) && !negated {
                out.push(format!("{x} >= {a} AND {x} <= {b}"));
                i += 5;
                continue;
            }
        }
        out.push(x.to_string());
        i += 1;
    }
    out.join(" ")
}

/// `x = ANY (ARRAY[a, b])` → `x IN (a, b)` (PostgreSQL stores an IN list that way).
fn any_array_to_in(text: &str) -> String {
    let mut out = text.to_string();
    loop {
        let found = ["= ANY (ARRAY[", "= ANY(ARRAY["].iter().find_map(|p| out.find(p).map(|at| (at, p.len())));
        let Some((at, len)) = found else { break };
        let open = at + len;
        let Some(close) = out[open..].find("])").map(|i| open + i) else { break };
        let list = out[open..close].to_string();
        out.replace_range(at..close + 2, &format!("IN ({list})"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_read_from_either_engine_meet() {
        let same = |pg: &str, sqlite: &str| {
            assert_eq!(normalise(pg), normalise(sqlite), "{pg} vs {sqlite}");
        };
        same("CHECK ((age >= 0))", "age >= 0");
        same("CHECK ((price > (0)::numeric))", "price > 0");
        same(
            "CHECK (((status)::text = ANY ((ARRAY['open'::character varying, 'closed'::character varying])::text[])))",
            "status IN ('open','closed')",
        );
        same("CHECK ((length((code)::text) <= 8))", "length(code) <= 8");
        same("CHECK (((qty > 0) AND (qty < 100)))", "qty > 0 AND qty < 100");
        same("CHECK ((active = ANY (ARRAY[0, 1])))", "active IN (0, 1)");
        same("CHECK (((percent_off >= 1) AND (percent_off <= 100)))", "percent_off BETWEEN 1 AND 100");
        assert_ne!(normalise("n NOT BETWEEN 1 AND 2"), normalise("n >= 1 AND n <= 2"));
        assert_ne!(normalise("age >= 0"), normalise("age > 0"));
        assert_ne!(normalise("status IN ('open')"), normalise("status IN ('open', 'closed')"));
    }

    #[test]
    fn what_does_not_parse_is_compared_as_written() {
        assert_eq!(normalise("CHECK (name GLOB  '[a-z]*')"), "name GLOB '[a-z]*'");
    }

    #[test]
    fn defaults_meet_by_meaning() {
        let d = |e: &str, l: Logical| normalise_default(Some(e), &l);
        assert_eq!(d("nextval('users_id_seq'::regclass)", Logical::Integer).as_deref(), Some("(sequence)"));
        assert_eq!(d("now()", Logical::TimestampTz), d("CURRENT_TIMESTAMP", Logical::Timestamp));
        assert_eq!(d("(datetime('now'))", Logical::Timestamp).as_deref(), Some("now"));
        assert_eq!(d("true", Logical::Boolean), d("1", Logical::Boolean));
        assert_eq!(d("false", Logical::Boolean), d("'f'", Logical::Boolean));
        assert_eq!(d("'pending'::character varying", Logical::Text), d("'pending'", Logical::Text));
        assert_eq!(d("0", Logical::Integer), d("'0'", Logical::Integer));
        assert_eq!(d("0.50", Logical::Numeric), d("0.5", Logical::Numeric));
        assert_ne!(d("'a'", Logical::Text), d("'b'", Logical::Text));
        assert_eq!(normalise_default(None, &Logical::Text), None);
        assert_eq!(d("NULL", Logical::Text), None);
        assert_eq!(d("NULL::character varying", Logical::Text), None);
    }
}
