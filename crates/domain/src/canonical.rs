//! The canonical JSON encoding that journal hashes are computed over.
//!
//! The rules (specified for outside verifiers in `docs/journal.md`):
//! - objects have their keys sorted by Unicode code point, no duplicate keys;
//! - no insignificant white space: `,` and `:` with nothing around them;
//! - strings are UTF-8; only `"` `\` and the control characters U+0000–U+001F are escaped:
//!   `\b \t \n \f \r` by their short forms, the others as `\u00xx` with lower-case hex;
//!   everything else, including non-ASCII, is written as is;
//! - numbers are integers only (no fraction, no exponent); `true`, `false`, `null` as usual.
//!
//! This is exactly what Python's `json.dumps(v, sort_keys=True, separators=(",", ":"),
//! ensure_ascii=False)` produces for such values, so an export can be re-verified in a few lines.

use serde_json::Value;

/// A value that cannot be put in canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("value cannot be canonically encoded: {0}")]
pub struct CanonicalError(String);

/// Appends the canonical encoding of `value` to `out`.
pub fn encode_into(value: &Value, out: &mut String) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.push_str(&i.to_string());
            } else if let Some(u) = n.as_u64() {
                out.push_str(&u.to_string());
            } else {
                return Err(CanonicalError(format!(
                    "the number {n} is not an integer; journal payloads hold integers only"
                )));
            }
        }
        Value::String(s) => encode_str(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                encode_into(item, out)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            // Rust compares `str` by UTF-8 bytes, which orders exactly like Unicode code points.
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                encode_str(key, out);
                out.push(':');
                encode_into(&map[key], out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// The canonical encoding of `value` as a new string.
pub fn encode(value: &Value) -> Result<String, CanonicalError> {
    let mut out = String::with_capacity(256);
    encode_into(value, &mut out)?;
    Ok(out)
}

fn encode_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{0c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorts_keys_and_drops_white_space() {
        let v = json!({"b": 1, "a": [true, null, "x"], "é": {"z": 0, "A": -3}});
        assert_eq!(
            encode(&v).unwrap(),
            r#"{"a":[true,null,"x"],"b":1,"é":{"A":-3,"z":0}}"#
        );
    }

    #[test]
    fn escapes_like_python() {
        let v = json!("q\"b\\s/\u{1}\n\t\u{7f}é€😀");
        assert_eq!(
            encode(&v).unwrap(),
            "\"q\\\"b\\\\s/\\u0001\\n\\t\u{7f}é€😀\""
        );
    }

    #[test]
    fn refuses_floats() {
        assert!(encode(&json!({"cost": 1.5})).is_err());
    }

    #[test]
    fn code_point_order_beyond_the_bmp() {
        // U+FF5E sorts before U+1F600 by code point (and by UTF-8 bytes), though not by UTF-16 units.
        let v = json!({"\u{1F600}": 1, "\u{FF5E}": 2});
        assert_eq!(encode(&v).unwrap(), "{\"\u{FF5E}\":2,\"\u{1F600}\":1}");
    }
}
