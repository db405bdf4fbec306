//! A deterministic, diff-friendly JSON layout: objects one key per line, but arrays and small
//! objects holding only scalars on one line, so that each result row is one line of `expected/`.

use serde::Serialize;
use serde_json::Value;

/// Render `value` in the layout; ends with a newline.
pub fn to_string<T: Serialize>(value: &T) -> String {
    let value = serde_json::to_value(value).expect("plain data serializes");
    let mut out = String::new();
    write(&value, 0, &mut out);
    out.push('\n');
    out
}

const INLINE_OBJECT_LIMIT: usize = 100;

fn scalar(v: &Value) -> bool {
    !matches!(v, Value::Array(_) | Value::Object(_))
}

fn write(v: &Value, depth: usize, out: &mut String) {
    let pad = |d: usize| "  ".repeat(d);
    match v {
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Array(items) if items.iter().all(scalar) => out.push_str(&Value::Array(items.clone()).to_string()),
        Value::Array(items) => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                out.push_str(&pad(depth + 1));
                write(item, depth + 1, out);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            out.push_str(&pad(depth));
            out.push(']');
        }
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Object(map) => {
            let inline = serde_json::to_string(v).unwrap_or_default();
            if map.values().all(scalar) && inline.len() <= INLINE_OBJECT_LIMIT {
                // serde_json's compact form has no spaces; keep ", " and ": " for reading.
                let parts: Vec<String> =
                    map.iter().map(|(k, v)| format!("{}: {}", Value::String(k.clone()), v)).collect();
                out.push_str(&format!("{{{}}}", parts.join(", ")));
                return;
            }
            out.push_str("{\n");
            for (i, (k, val)) in map.iter().enumerate() {
                out.push_str(&pad(depth + 1));
                out.push_str(&Value::String(k.clone()).to_string());
                out.push_str(": ");
                write(val, depth + 1, out);
                out.push_str(if i + 1 < map.len() { ",\n" } else { "\n" });
            }
            out.push_str(&pad(depth));
            out.push('}');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_one_line_and_the_text_parses_back() {
        let v = serde_json::json!({
            "sql": "SELECT 1",
            "columns": [{"name": "a", "type": "integer"}],
            "rows": [["1", null], ["", "x"]],
            "nested": {"deep": {"k": [1, [2]]}},
            "empty": []
        });
        let text = to_string(&v);
        assert_eq!(
            text,
            "{\n  \"sql\": \"SELECT 1\",\n  \"columns\": [\n    {\"name\": \"a\", \"type\": \"integer\"}\n  ],\n  \"rows\": [\n    [\"1\",null],\n    [\"\",\"x\"]\n  ],\n  \"nested\": {\n    \"deep\": {\n      \"k\": [\n        1,\n        [2]\n      ]\n    }\n  },\n  \"empty\": []\n}\n"
        );
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), v);
    }
}
