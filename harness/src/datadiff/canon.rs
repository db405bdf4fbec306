//! Values as typed, canonical values, through the schema model's logical types, so that what
//! is equal is equal across engines (SQLite's 1/0 and PostgreSQL's true/false, a timestamp
//! stored as text and a timestamptz at the same instant, `2.50` and `2.5`, JSON with its keys
//! in another order) and what is lost is visible (a float round trip in a numeric, a shifted
//! time zone, a truncated text, NULL against ''). Pure.

use std::cmp::Ordering;

use crate::schema::types::Logical;

/// A canonical value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i128),
    /// A decimal in one spelling: no leading zeros, no trailing fractional zeros, `0` unsigned.
    Dec(String),
    Float(f64),
    /// Microseconds since 1970-01-01 00:00 UTC (a value without a zone is read as UTC); `zoned`:
    /// the text named its offset.
    Time {
        micros: i64,
        zoned: bool,
    },
    Text(String),
    Bytes(Vec<u8>),
    Json(serde_json::Value),
}

/// The logical type both sides are read as: the more specific of the two (a timestamp kept as
/// text on one side is read as a timestamp on both; an INTEGER against a boolean, as a boolean).
pub fn pick(reference: &Logical, candidate: &Logical) -> Logical {
    use Logical::*;
    match (reference, candidate) {
        (a, b) if a == b => a.clone(),
        (Text | Other(_), b) => b.clone(),
        (a, Text | Other(_)) => a.clone(),
        (Boolean, Integer) | (Integer, Boolean) => Boolean,
        (Numeric, Integer | Real) | (Integer | Real, Numeric) => Numeric,
        (Real, Integer) | (Integer, Real) => Real,
        (TimestampTz, Timestamp | Date) | (Timestamp | Date, TimestampTz) => TimestampTz,
        (Timestamp, Date) | (Date, Timestamp) => Timestamp,
        (a, _) => a.clone(),
    }
}

/// A value's text (`None`: NULL) as the canonical value of `logical`; text it cannot read as
/// that type stays text.
pub fn canon(logical: &Logical, text: Option<&str>) -> Value {
    let Some(t) = text else { return Value::Null };
    let parsed = match logical {
        Logical::Boolean => boolean(t).map(Value::Bool),
        Logical::Integer => t.trim().parse::<i128>().ok().map(Value::Int),
        Logical::Numeric => decimal(t).map(Value::Dec),
        Logical::Real => t.trim().parse::<f64>().ok().map(Value::Float),
        Logical::Timestamp | Logical::TimestampTz | Logical::Date => {
            time(t).map(|(micros, zoned)| Value::Time { micros, zoned })
        }
        Logical::Bytes => bytes(t).map(Value::Bytes),
        Logical::Json => serde_json::from_str::<serde_json::Value>(t).ok().map(|v| Value::Json(sorted(v))),
        Logical::Uuid => Some(Value::Text(t.to_ascii_lowercase())),
        _ => None,
    };
    parsed.unwrap_or_else(|| Value::Text(t.to_string()))
}

fn boolean(t: &str) -> Option<bool> {
    match t.trim().to_ascii_lowercase().as_str() {
        "t" | "true" | "1" | "yes" | "y" | "on" => Some(true),
        "f" | "false" | "0" | "no" | "n" | "off" => Some(false),
        _ => None,
    }
}

/// `-002.500` → `-2.5`; `1e3` → `1000` (SQLite prints large REALs so); None when it is no decimal.
fn decimal(t: &str) -> Option<String> {
    let t = t.trim();
    if t.contains(['e', 'E']) {
        let f: f64 = t.parse().ok()?;
        return f.is_finite().then(|| decimal(&format!("{f}"))).flatten();
    }
    let (negative, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() && frac.is_empty()
        || !int.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let int = int.trim_start_matches('0');
    let frac = frac.trim_end_matches('0');
    let mut out = String::new();
    if negative && !(int.is_empty() && frac.is_empty()) {
        out.push('-');
    }
    out.push_str(if int.is_empty() { "0" } else { int });
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    Some(out)
}

/// `\x0a0b` (PostgreSQL's hex output, and SQLite's BLOBs as the harness prints them).
fn bytes(t: &str) -> Option<Vec<u8>> {
    let hex = t.strip_prefix("\\x")?;
    if hex.len() % 2 != 0 {
        return None;
    }
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok()).collect()
}

/// JSON with every object's keys sorted (jsonb's own order is by length, then bytes).
fn sorted(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<(String, serde_json::Value)> = map.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(entries.into_iter().collect())
        }
        serde_json::Value::Array(items) => serde_json::Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// `YYYY-MM-DD[ T]HH:MM[:SS[.ffffff]][Z|±HH[:MM]]`, or a date alone → (µs since the epoch in
/// UTC, whether an offset was named).
pub fn time(t: &str) -> Option<(i64, bool)> {
    let t = t.trim();
    let (date, rest) = if t.len() > 10 { t.split_at(10) } else { (t, "") };
    let mut parts = date.splitn(3, '-');
    let (y, m, d): (i64, i64, i64) =
        (parts.next()?.parse().ok()?, parts.next()?.parse().ok()?, parts.next()?.parse().ok()?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || date.len() != 10 {
        return None;
    }
    let days = days_from_civil(y, m, d);
    let rest = rest.strip_prefix([' ', 'T']).unwrap_or(rest);
    if rest.is_empty() {
        return Some((days * 86_400_000_000, false));
    }
    // The offset: Z, or the last + or - (a time has no other).
    let (clock, offset) = match rest.find(['+', '-', 'Z']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let mut hms = clock.split(':');
    let h: i64 = hms.next()?.parse().ok()?;
    let min: i64 = hms.next()?.parse().ok()?;
    let (s, frac) = match hms.next() {
        Some(sec) => match sec.split_once('.') {
            Some((s, f)) => (s.parse::<i64>().ok()?, f),
            None => (sec.parse::<i64>().ok()?, ""),
        },
        None => (0, ""),
    };
    if !frac.chars().all(|c| c.is_ascii_digit()) || frac.len() > 9 {
        return None;
    }
    let micros_frac: i64 = format!("{frac:0<6}")[..6].parse().ok()?;
    let offset_secs = match offset {
        "" => None,
        "Z" => Some(0),
        o => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let body = &o[1..];
            let (oh, om) = match body.split_once(':') {
                Some((h, m)) => (h.parse::<i64>().ok()?, m.parse::<i64>().ok()?),
                None if body.len() == 4 => (body[..2].parse().ok()?, body[2..].parse().ok()?),
                None => (body.parse::<i64>().ok()?, 0),
            };
            Some(sign * (oh * 3600 + om * 60))
        }
    };
    let local = days * 86_400 + h * 3600 + min * 60 + s;
    Some(((local - offset_secs.unwrap_or(0)) * 1_000_000 + micros_frac, offset_secs.is_some()))
}

/// Days from 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Equal as values: floats within a relative `tolerance`.
pub fn equal(a: &Value, b: &Value, tolerance: f64) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => {
            x == y || (x.is_nan() && y.is_nan()) || (x - y).abs() <= tolerance * x.abs().max(y.abs())
        }
        (Value::Time { micros: x, .. }, Value::Time { micros: y, .. }) => x == y,
        _ => a == b,
    }
}

fn rank(v: &Value) -> u8 {
    match v {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Int(_) | Value::Dec(_) | Value::Float(_) => 2,
        Value::Time { .. } => 3,
        Value::Text(_) => 4,
        Value::Bytes(_) => 5,
        Value::Json(_) => 6,
    }
}

fn number(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Dec(d) => d.parse().unwrap_or(0.0),
        Value::Float(f) => *f,
        _ => 0.0,
    }
}

/// The order rows come in when both engines sort by these values (NULLs first, text by bytes).
pub fn order(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Text(x), Value::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Value::Bytes(x), Value::Bytes(y)) => x.cmp(y),
        (Value::Time { micros: x, .. }, Value::Time { micros: y, .. }) => x.cmp(y),
        (Value::Json(x), Value::Json(y)) => x.to_string().cmp(&y.to_string()),
        (x, y) if rank(x) == 2 && rank(y) == 2 => number(x).total_cmp(&number(y)),
        (x, y) => rank(x).cmp(&rank(y)),
    }
}

/// Rows (or keys) in that order.
pub fn order_rows(a: &[Value], b: &[Value]) -> Ordering {
    a.iter().zip(b).map(|(x, y)| order(x, y)).find(|o| o.is_ne()).unwrap_or(a.len().cmp(&b.len()))
}

/// A value's bytes for a digest: the same for values `equal` calls equal (floats exactly).
pub fn digest_bytes(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.extend_from_slice(b"N;"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"b1;" } else { b"b0;" }),
        Value::Int(i) => out.extend_from_slice(format!("d{i};").as_bytes()),
        Value::Dec(d) => out.extend_from_slice(format!("d{d};").as_bytes()),
        Value::Float(f) => out.extend_from_slice(format!("f{f:?};").as_bytes()),
        Value::Time { micros, .. } => out.extend_from_slice(format!("t{micros};").as_bytes()),
        Value::Text(s) => {
            out.extend_from_slice(format!("s{}:", s.len()).as_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        Value::Bytes(b) => {
            out.extend_from_slice(format!("x{}:", b.len()).as_bytes());
            out.extend_from_slice(b);
        }
        Value::Json(j) => {
            let s = j.to_string();
            out.extend_from_slice(format!("j{}:", s.len()).as_bytes());
            out.extend_from_slice(s.as_bytes());
        }
    }
}

/// What two differing texts of a column look like, when the pattern is recognisable.
pub fn hint(logical: &Logical, reference: Option<&str>, candidate: Option<&str>) -> Option<String> {
    let (r, c) = match (reference, candidate) {
        (Some(""), None) => return Some("'' became NULL".into()),
        (None, Some("")) => return Some("NULL became ''".into()),
        (Some(r), Some(c)) => (r, c),
        _ => return None,
    };
    if *logical == Logical::Boolean {
        if let (Some(a), Some(b)) = (boolean(r), boolean(c)) {
            return (a != b).then(|| format!("a boolean mapped the other way ('{r}' became '{c}')"));
        }
    }
    if matches!(logical, Logical::Timestamp | Logical::TimestampTz | Logical::Date) {
        if let (Some((a, _)), Some((b, _))) = (time(r), time(c)) {
            let shift = b - a;
            if shift != 0 && shift % (15 * 60 * 1_000_000) == 0 && shift.abs() <= 15 * 3600 * 1_000_000 {
                let minutes = shift / 60_000_000;
                let (h, m) = (minutes / 60, (minutes % 60).abs());
                return Some(if m == 0 {
                    format!("time-zone shift of {h:+} h")
                } else {
                    format!("time-zone shift of {h:+} h {m} min")
                });
            }
            if a / 1_000_000 == b / 1_000_000 {
                return Some("fractional seconds lost".into());
            }
        }
    }
    if matches!(logical, Logical::Numeric | Logical::Real) {
        if let (Ok(a), Ok(b)) = (r.trim().parse::<f64>(), c.trim().parse::<f64>()) {
            if (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0) {
                return Some("precision lost (the values differ past the 6th significant digit)".into());
            }
            let rounded = |x: f64, digits: usize| format!("{x:.digits$}").parse::<f64>().unwrap_or(x);
            if (0..6).any(|d| rounded(a, d) == b || rounded(b, d) == a) {
                return Some("precision lost (rounded)".into());
            }
        }
    }
    if r.len() != c.len() && (r.starts_with(c) || c.starts_with(r)) {
        let (long, short) = if r.len() > c.len() { (r, c) } else { (c, r) };
        return Some(format!(
            "truncated: one value is a prefix of the other ({} of {} characters kept)",
            short.chars().count(),
            long.chars().count()
        ));
    }
    if r.trim_end() == c.trim_end() {
        return Some("trailing spaces differ".into());
    }
    let latin1 = |s: &str| s.bytes().map(char::from).collect::<String>();
    if latin1(r) == c || latin1(c) == r {
        return Some("encoding changed: UTF-8 bytes read as Latin-1".into());
    }
    if r.contains('\u{FFFD}') != c.contains('\u{FFFD}') {
        return Some("encoding changed: characters replaced by U+FFFD".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eq(l: &Logical, a: &str, b: &str) -> bool {
        equal(&canon(l, Some(a)), &canon(l, Some(b)), 1e-12)
    }

    #[test]
    fn what_is_equal_is_equal() {
        assert!(eq(&Logical::Boolean, "t", "1") && eq(&Logical::Boolean, "false", "0"));
        assert!(
            eq(&Logical::Numeric, "2.50", "2.5")
                && eq(&Logical::Numeric, "-0.0", "0")
                && eq(&Logical::Numeric, "007", "7")
        );
        assert!(eq(&Logical::TimestampTz, "2024-03-01 10:00:00+00", "2024-03-01T10:00:00Z"));
        assert!(eq(&Logical::TimestampTz, "2024-03-01 12:00:00+02", "2024-03-01 10:00:00"));
        assert!(eq(&Logical::Json, r#"{"b": 1, "a": [1, 2]}"#, r#"{"a":[1,2],"b":1}"#));
        assert!(eq(&Logical::Real, "0.1", "0.10000000000000001"));
        assert!(eq(&Logical::Bytes, "\\x00ff", "\\x00FF"));
    }

    #[test]
    fn what_is_lost_is_visible() {
        assert!(!eq(&Logical::Numeric, "0.1", "0.1000000000000000055511151231257827"));
        assert!(!eq(&Logical::Text, "a ", "a"));
        assert!(!eq(&Logical::Text, "𝄞 clef", "? clef"));
        assert!(!equal(&canon(&Logical::Text, Some("")), &canon(&Logical::Text, None), 0.0));
        assert!(!eq(&Logical::TimestampTz, "2024-03-01 10:00:00+00", "2024-03-01 10:00:00+02"));
        assert!(!eq(&Logical::Text, "a\0b", "ab"));
    }

    #[test]
    fn hints_name_the_pattern() {
        let h = |l: &Logical, a: &str, b: &str| hint(l, Some(a), Some(b)).unwrap_or_default();
        assert_eq!(
            h(&Logical::Text, "hello world", "hello"),
            "truncated: one value is a prefix of the other (5 of 11 characters kept)"
        );
        assert_eq!(
            h(&Logical::TimestampTz, "2024-03-01 10:00:00+00", "2024-03-01 12:00:00+00"),
            "time-zone shift of +2 h"
        );
        assert_eq!(h(&Logical::Numeric, "1.23456", "1.23"), "precision lost (rounded)");
        assert_eq!(h(&Logical::Text, "café", "cafÃ©"), "encoding changed: UTF-8 bytes read as Latin-1");
        assert_eq!(hint(&Logical::Text, None, Some("")).as_deref(), Some("NULL became ''"));
        assert_eq!(h(&Logical::Boolean, "1", "f"), "a boolean mapped the other way ('1' became 'f')");
    }

    #[test]
    fn times_and_orders() {
        assert_eq!(time("1970-01-02"), Some((86_400_000_000, false)));
        assert_eq!(time("1970-01-01 00:00:01.5-01:00"), Some((3_601_500_000, true)));
        assert_eq!(order(&Value::Text("B".into()), &Value::Text("a".into())), Ordering::Less);
        assert_eq!(order(&Value::Int(10), &Value::Dec("9.5".into())), Ordering::Greater);
        assert_eq!(order(&Value::Null, &Value::Int(-1)), Ordering::Less);
        assert_eq!(pick(&Logical::TimestampTz, &Logical::Text), Logical::TimestampTz);
        assert_eq!(pick(&Logical::Boolean, &Logical::Integer), Logical::Boolean);
    }
}
